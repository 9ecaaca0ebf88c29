// MPTCP v1 over a single subflow, as Linux 6.18 shows it on the wire (RFC 8684 §3.3; Linux net/mptcp/, net/ipv4/tcp_output.c):
// the MP_CAPABLE handshake, the data-sequence space, DSS mappings and DATA_ACKs, DATA_FIN,
// checksums, MP_FASTCLOSE / MP_TCPRST and every single-path fallback condition. The TCP state
// machine owns the subflow and asks this object which options to write and what received
// options mean. Written data is mapped at the data level's write_seq (DSN) on the subflow it is
// queued on; join subflows (RFC 8684 §3.2; Linux net/mptcp/subflow.c) share this object, its sequence spaces and its
// DATA_ACK. In the v0 mode (RFC 6824, `net.mptcp.mptcp_version=0`) the same object speaks v0:
// keys in the SYN, SHA-1 tokens and IDSNs, no DLL form of MP_CAPABLE, ADD_ADDR without HMAC or
// echo, MP_PRIO by address id, no MP_TCPRST (README, "MPTCP v0"). The state and the MP_CAPABLE
// handshake are msk.ts; this file adds sending, receiving and ADD_ADDR.
import { addAddrHmac, dssChecksum, expandSeq32 } from '../../wire/crypto.js';
import { bytesEqual } from '../../wire/codec.js';
import type { AddAddr, Dss, MptcpOption, TcpOption } from '../../wire/packet.js';
import type { Subflow } from './subflow-socket.js';
import { padded } from '../tcp/options.js';
import { findCapable, validCapable } from './capable.js';
import { dataSpan, mappingCoversSegment } from './mapping.js';
import { decideFallback, RESET_MIDDLEBOX, type MappingProblem } from './fallback.js';
import type { Mib } from '../mib.js';
import { TCP_RTO_MIN_US } from './data-fin-timer.js';
import { add64, MptcpSock, type RxMapping, type RxVerdict, type SubflowRxMap, type TxMapping, type TxSegmentInfo } from './msk.js';

export { add64, RESET_MIDDLEBOX, type MptcpSettings, type RxMapping, type RxVerdict, type SubflowRxMap, type TxMapping, type TxSegmentInfo } from './msk.js';

export class MptcpConnection extends MptcpSock {
  // ---- sending --------------------------------------------------------------------------------

  /** Maps `data` written at subflow-relative sequence `ssn`; advances the data-level write_seq. */
  mapWrite(ssn: number, data: Uint8Array, owner?: Subflow): TxMapping {
    const dsn = this.writeSeq;
    this.writeSeq = add64(dsn, data.length);
    if (owner) this.txq.push(dsn, data, owner);
    return this.mapAt(dsn, ssn, data);
  }

  /** A mapping for bytes already numbered at `dsn` (reinjected or retransmitted on another subflow). */
  mapAt(dsn: bigint, ssn: number, data: Uint8Array): TxMapping {
    const m: TxMapping = { dsn, ssn, dll: data.length };
    if (this.checksum) m.checksum = dssChecksum(dsn, ssn, data.length, data);
    return m;
  }

  /** True when the bare DATA_FIN should go out (the app closed; all data was sent). */
  queueDataFin(): void {
    if (this.dataFinDsn === undefined) {
      this.dataFinDsn = this.writeSeq;
      this.writeSeq = add64(this.writeSeq, 1);
    }
  }

  /** Both DATA_FINs exchanged and acknowledged: the subflow may close with a TCP FIN. */
  get dataLevelClosed(): boolean {
    return this.dataFinAcked && this.peerDataFin;
  }

  txOptions(s: TxSegmentInfo): TcpOption[] {
    if (this.fallback) return [];
    if (s.rst) {
      const out: TcpOption[] = [];
      if (s.rst.fastclose && this.remote) out.push({ kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: this.remote.key });
      // A subflow reset for a checksum failure carries MP_FAIL before MP_TCPRST (6.18).
      const reason = this.mappingResetReason ?? s.rst.reason;
      this.mappingResetReason = undefined;
      if (this.mpFail.pendingDsn !== undefined && reason === RESET_MIDDLEBOX) { out.push({ kind: 'mptcp', subtype: 'mp_fail', dsn: this.mpFail.pendingDsn }); this.mpFail.sent(); }
      if (reason !== undefined) out.push(...this.resetOptions(reason));
      return out;
    }
    if (!this.remote) return [];
    const pureAck = !s.mapping && !s.dataFin && s.payloadLen === 0 && !s.fin;
    const echo = pureAck ? this.pendingEchoes.shift() ?? this.nextAnnounce() : undefined;
    if (echo) return padded(echo); // an ADD_ADDR (or its echo) rides alone on a pure ACK
    if (this.role === 'client' && !this.fullyEstablished && !s.joined) {
      // v0 has no MP_CAPABLE with a data-level length: data goes under a DSS from the start.
      if (s.mapping && s.mapping.ssn === 1 && this.version === 1) {
        const o: MptcpOption = { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: this.ackFlags, senderKey: this.local.key, receiverKey: this.remote.key, dataLen: s.mapping.dll };
        if (this.checksum) o.checksum = s.mapping.checksum ?? 0;
        return padded(o);
      }
      if (!s.mapping && !s.dataFin && s.payloadLen === 0 && s.seqRel === 1 && !s.fin) {
        return padded({ kind: 'mptcp', subtype: 'mp_capable', version: this.version, flags: this.ackFlags, senderKey: this.local.key, receiverKey: this.remote.key });
      }
    }
    // The ACK carrying our MP_FAIL does not acknowledge the failed mapping (6.18).
    const dataAck = this.mpFail.pendingDataAck ?? this.rcvNxt;
    const dss: Dss = { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck, dataAck64: this.use64bitAck, dsn64: false };
    if (!this.use64bitAck) dss.dataAck = dataAck & 0xffffffffn;
    if (s.mapping) {
      // After answering the peer's MP_FAIL the next data goes under an infinite mapping (DLL 0,
      // checksum 0) at its own DSN; once it is sent the connection is TCP (RFC 8684 §3.7). The
      // stack also asks for options to size a segment, so the switch waits for onDataSent.
      const infinite = this.mpFail.sendInfiniteMap;
      Object.assign(dss, { dsn: s.mapping.dsn, dsn64: true, ssn: s.mapping.ssn, dll: infinite ? 0 : s.mapping.dll });
      if (this.checksum) dss.checksum = infinite ? 0 : s.mapping.checksum ?? 0;
    } else if (s.dataFin && this.dataFinDsn !== undefined) {
      Object.assign(dss, { dataFin: true, dsn: this.dataFinDsn, dsn64: true, ssn: 0, dll: 1 });
      if (this.checksum) dss.checksum = dssChecksum(this.dataFinDsn, 0, 1, new Uint8Array(0));
    }
    const out = padded(dss);
    // MP_FAIL goes on the ACK sent at once (tcp_send_ack), never on data being sized.
    if (this.mpFail.pendingDsn !== undefined && s.payloadLen === 0) {
      out.push({ kind: 'mptcp', subtype: 'mp_fail', dsn: this.mpFail.pendingDsn });
      this.mpFail.sent();
    }
    return out;
  }

  onDataSent(bytes: number, retransmit: boolean): void {
    if (retransmit) { this.stats.bytesRetrans += BigInt(bytes); this.stats.retransmits++; }
    else this.stats.bytesSent += BigInt(bytes);
    if (bytes > 0) this.stats.lastDataSent = this.now();
    // New data sets the timer interval again (mptcp_set_timeout: no subflow timer pending yet).
    if (bytes > 0 && !retransmit) this.rtxIvalUs = TCP_RTO_MIN_US;
    if (bytes > 0 && this.mpFail.sendInfiniteMap) {
      this.mpFail.sendInfiniteMap = false;
      this.settings.mib?.inc('MPTcpExtInfiniteMapTx'); // protocol.c mptcp_update_infinite_map
      this.fallBack();
    }
  }

  // ---- receiving ----------------------------------------------------------------------------

  /**
   * Counters of the options of a segment that reached the MPTCP level (options.c
   * mptcp_incoming_options: an ACK, or an RST through tcp_reset; ADD_ADDR is counted by
   * onAddAddr, once its HMAC is checked). A REMOVE_ADDR counts each id it names (pm_kernel.c
   * mptcp_pm_nl_rm_addr_or_subflow).
   */
  countReceived(opts: readonly MptcpOption[]): void {
    const mib = this.settings.mib;
    if (!mib || this.fallback) return;
    for (const o of opts) {
      if (o.subtype === 'mp_fastclose' && o.receiverKey === this.local.key) mib.inc('MPTcpExtMPFastcloseRx');
      // The 4-byte form with an address id is RFC 6824's: Linux parses only the 3-byte one.
      else if (o.subtype === 'mp_prio' && (o.addressId === undefined || this.version === 0)) mib.inc('MPTcpExtMPPrioRx');
      else if (o.subtype === 'mp_fail') mib.inc('MPTcpExtMPFailRx');
      else if (o.subtype === 'mp_tcprst') mib.inc('MPTcpExtMPRstRx');
      else if (o.subtype === 'remove_addr' && this.remote) mib.inc('MPTcpExtRmAddr', o.addressIds.length);
    }
  }

  /** A userspace path manager runs this connection (MptcpSettings.userspacePm). */
  get userspacePm(): boolean {
    return this.settings.userspacePm ?? false;
  }

  /** The namespace's counters, for the subflows (join.ts). */
  get mib(): Mib | undefined {
    return this.settings.mib;
  }

  /** MP_FASTCLOSE carrying our key (§5.5). */
  isFastClose(opts: readonly MptcpOption[]): boolean {
    return !this.fallback && opts.some((o) => o.subtype === 'mp_fastclose' && o.receiverKey === this.local.key);
  }

  /**
   * Options of an acceptable non-SYN segment after the handshake. `seqRel` is its sequence
   * relative to the peer's ISN; `inOrder` whether it starts at rcv_nxt.
   */
  onSegment(opts: readonly MptcpOption[], payload: Uint8Array, seqRel: number, inOrder: boolean, joined: boolean, rx: SubflowRxMap): RxVerdict {
    this.lastMapping = undefined;
    if (this.fallback) return 'ok';
    this.countReceived(opts);
    if (this.isFastClose(opts)) return 'fastclose-on-ack';
    const dss = opts.find((o): o is Dss => o.subtype === 'dss');
    for (const o of opts) {
      if (o.subtype === 'add_addr') this.onAddAddr(o);
      else if (o.subtype === 'remove_addr' && this.remote) this.peerRemoved.push(...o.addressIds);
      else if (o.subtype === 'mp_prio' && o.addressId !== undefined && this.version === 0) this.peerPrio.push({ addressId: o.addressId, backup: o.backup });
      // Without infinite fallback left Linux ignores MP_FAIL (its sender resets the subflow).
      else if (o.subtype === 'mp_fail' && this.infiniteFallbackAllowed) this.mpFail.received(this.lastRxMapDsn ?? this.rcvNxt);
    }
    if (this.role === 'client' && !this.fullyEstablished && inOrder) {
      const addAddr = opts.some((o) => o.subtype === 'add_addr' && !o.echo);
      if (dss?.dataAck !== undefined || addAddr) this.fullyEstablished = true;
      else { this.fallBack(); return 'ok'; }
    }
    if (dss?.dataAck !== undefined) this.onDataAck(dss.dataAck64 ? dss.dataAck : expandSeq32(Number(dss.dataAck), this.sndUna));
    let mapping: RxMapping | undefined;
    let mapDsn64 = true;
    let checksumPresent = false;
    const mpc = findCapable(opts);
    if (dss?.dsn !== undefined && dss.ssn !== undefined && dss.dll !== undefined) {
      const dsn = dss.dsn64 ? dss.dsn : expandSeq32(Number(dss.dsn), this.rcvNxt);
      // The DATA_ACK's size follows the width of the last mapping taken in subflow order
      // (subflow.c get_mapping_status sets msk->use_64bit_ack as data leaves the subflow's queue):
      // an out-of-order or duplicate segment's mapping changes nothing until its data is in
      // order (subflow.ts toDataLevel). A bare DATA_FIN on a zero-length segment does not either.
      mapDsn64 = dss.dsn64;
      if (inOrder && !(dss.dataFin && payload.length === 0)) this.use64bitAck = dss.dsn64;
      checksumPresent = dss.checksum !== undefined;
      mapping = { dsn, ssn: dss.ssn, dll: dss.dll, checksum: dss.checksum, dataFin: dss.dataFin, parts: [], got: 0 };
      if (dss.dataFin && (payload.length > 0 || dss.dll === 1)) this.peerDataFinDsn = add64(dsn, dss.dll - 1);
    } else if (mpc && payload.length > 0 && this.remote && this.version === 1 && validCapable([mpc], [22, 24], 1)) {
      // Only a well-formed MP_CAPABLE maps data (options.c mptcp_parse_option drops one with a
      // wrong version or flags; the data then has no mapping and the connection falls back).
      this.use64bitAck = true;
      checksumPresent = mpc.checksum !== undefined;
      mapping = { dsn: add64(this.remote.idsn, 1), ssn: 1, dll: mpc.dataLen ?? 0, checksum: mpc.checksum, dataFin: false, parts: [], got: 0 };
    }
    let problem: MappingProblem | undefined;
    let overrun = false;
    if (mapping && mapping.dll === 0) {
      // An infinite mapping: the peer fell back (subflow.c get_mapping_status counts it).
      if (payload.length > 0) { problem = 'invalid'; this.settings.mib?.inc('MPTcpExtInfiniteMapRx'); }
    } else if (mapping && (payload.length > 0 || !mapping.dataFin)) {
      this.lastMapping = { dsn: mapping.dsn, ssn: mapping.ssn, dll: mapping.dll, dsn64: mapDsn64 };
      this.lastRxMapDsn = mapping.dsn;
      const previous = rx.window;
      rx.window = dataSpan(mapping.ssn, mapping.dll, mapping.dataFin);
      const span = dataSpan(mapping.ssn, mapping.dll, mapping.dataFin);
      if (checksumPresent !== this.checksum) problem = 'invalid';
      else if (payload.length > 0 && inOrder && !mappingCoversSegment(span, previous, seqRel, payload.length)) {
        // A segment that starts in its mapping and runs past it, with checksums on: Linux checks
        // the mapping's checksum before it finds the rest unmapped (subflow.c get_mapping_status
        // validates the start only, then validate_data_csum), so a bad one is an MP_FAIL.
        if (this.checksum && seqRel >= span.start && seqRel < span.end) { rx.collecting = mapping; overrun = true; }
        else {
          problem = 'invalid';
          this.settings.mib?.inc('MPTcpExtDSSNoMatchTCP'); // subflow.c: validate_mapping failed
        }
      }
      else if (this.checksum && payload.length > 0) rx.collecting = mapping;
    } else if (payload.length > 0 && !mapping && (rx.window === undefined || seqRel >= rx.window.end)) {
      problem = 'no-dss'; // new data outside this subflow's mapping (MAPPING_NODSS on 6.18)
    } else if (payload.length > 0 && !mapping && seqRel + payload.length > rx.window!.end) {
      // Running past the mapping's end: once the mapping is read, the rest has none.
      problem = 'past-end';
    }
    const collecting = rx.collecting;
    if (!problem && this.checksum && collecting && payload.length > 0 && inOrder && !this.collect(rx, collecting, payload, seqRel)) {
      problem = 'bad-checksum';
      this.settings.mib?.inc('MPTcpExtDataCsumErr'); // subflow.c validate_data_csum
    } else if (!problem && overrun) {
      problem = 'invalid';
      this.settings.mib?.inc('MPTcpExtDSSNoMatchTCP');
    }
    return problem ? this.onMappingProblem(problem, joined, collecting?.dsn) : 'ok';
  }

  /** Linux's msk->allow_infinite_fallback: lost once a join was established or the data level retransmitted. */
  get infiniteFallbackAllowed(): boolean {
    return !this.hadJoin && this.joins.size === 0 && !this.retransmitted;
  }

  /** What a mapping problem does to the subflow (fallback.ts); `failedDsn`: the mapping whose checksum failed. */
  protected onMappingProblem(problem: MappingProblem, joined: boolean, failedDsn: bigint | undefined): RxVerdict {
    const d = decideFallback(problem, { joined, validChecksumSeen: this.validChecksumSeen, infiniteAllowed: this.infiniteFallbackAllowed });
    if (d.action === 'fallback') { this.fallBack(); return 'ok'; }
    // The failed mapping's data is still delivered (6.18); the MP_FAIL rides on the next ACK or the RST.
    if (failedDsn !== undefined && (d.action === 'mp-fail' || d.mpFail)) this.mpFail.fail(failedDsn, this.rcvNxt);
    if (d.action === 'mp-fail') return 'ok';
    this.mappingResetReason = d.reason;
    this.resetDeliversSegment = problem === 'past-end';
    return 'mp-fail-reset';
  }

  /**
   * Queues an ADD_ADDR of ours (the path manager's `signal` endpoint) for the next pure ACK. A v0
   * announcement has no HMAC and is never echoed, so it is not waited for (nor repeated).
   */
  announce(addressId: number, address: string, port: number | undefined, retransmit: boolean): void {
    if (!this.remote) return;
    const a: AddAddr = { kind: 'mptcp', subtype: 'add_addr', version: this.version, echo: false, addressId, address };
    if (this.version === 1) a.hmac = addAddrHmac(this.local.key, this.remote.key, addressId, address, port);
    if (port !== undefined) a.port = port;
    if (!retransmit) this.addAddrSignal++;
    if (this.version === 1) this.unechoed.set(addressId, a);
    this.pendingAnnounces.push(a);
  }

  protected nextAnnounce(): AddAddr | undefined {
    return this.pendingAnnounces.shift();
  }

  get hasPendingAnnounce(): boolean {
    return this.pendingAnnounces.length > 0;
  }

  /**
   * A v1 announcement with the right HMAC is echoed (even when it will not be used); on a v0
   * connection only the v0 form counts, taken as is (no HMAC, no echo). The other form is ignored.
   */
  protected onAddAddr(o: AddAddr): void {
    if (o.version !== this.version || !this.remote) return;
    if (o.version === 0) {
      this.addAddrReceived++;
      this.settings.mib?.inc('MPTcpExtAddAddr');
      this.peerAnnounced.push(o);
      return;
    }
    if (o.echo) {
      // options.c mptcp_incoming_options: an echo needs no HMAC and always counts.
      this.settings.mib?.inc('MPTcpExtEchoAdd');
      const mine = this.unechoed.get(o.addressId);
      if (mine && mine.address === o.address && mine.port === o.port) this.unechoed.delete(o.addressId);
      return;
    }
    if (!o.hmac) return;
    const want = addAddrHmac(this.remote.key, this.local.key, o.addressId, o.address, o.port);
    if (!bytesEqual(want, o.hmac)) return;
    this.settings.mib?.inc('MPTcpExtAddAddr');
    // pm.c mptcp_pm_add_addr_received: without an active userspace daemon the address is dropped unechoed.
    if (this.settings.userspacePm && !this.settings.userspaceDaemon?.()) { this.settings.mib?.inc('MPTcpExtAddAddrDrop'); return; }
    if (!this.settings.userspacePm) this.addAddrReceived++;
    const echo: AddAddr = { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: o.addressId, address: o.address };
    if (o.port !== undefined) echo.port = o.port;
    this.pendingEchoes.push(echo);
    this.peerAnnounced.push(o);
  }

  /**
   * Something must go out on an ACK now: an ADD_ADDR echo, or an MP_FAIL (ours, or the answer
   * echoing the peer's, which arrives on a pure ACK that would otherwise not be acknowledged).
   */
  get hasPendingEcho(): boolean {
    return this.pendingEchoes.length > 0 || this.mpFail.pendingDsn !== undefined;
  }

  /** Adds the segment's bytes to the mapping; false when the mapping completed with a bad checksum. */
  protected collect(rx: SubflowRxMap, m: RxMapping, payload: Uint8Array, seqRel: number): boolean {
    const start = seqRel - m.ssn;
    const dataLen = m.dll - (m.dataFin ? 1 : 0);
    if (start < m.got || start >= dataLen) return true;
    const take = payload.subarray(0, Math.min(payload.length, dataLen - start));
    m.parts.push(take);
    m.got += take.length;
    if (m.got < dataLen) return true;
    const all = new Uint8Array(m.got);
    let at = 0;
    for (const p of m.parts) { all.set(p, at); at += p.length; }
    const ok = dssChecksum(m.dsn, m.ssn, m.dll, all) === m.checksum;
    rx.collecting = undefined;
    if (ok) this.validChecksumSeen = true;
    return ok;
  }

  protected onDataAck(ack: bigint): void {
    this.stats.lastAckRecv = this.now();
    if (ack <= this.sndUna || ack > this.writeSeq) return;
    // bytes_acked counts data only: the DATA_FIN's sequence number is not a byte.
    const dataEnd = this.dataFinDsn ?? this.writeSeq;
    const dataAcked = (ack < dataEnd ? ack : dataEnd) - this.sndUna;
    if (dataAcked > 0n) this.stats.bytesAcked += dataAcked;
    this.sndUna = ack;
    this.txq.trim(ack);
    if (this.dataFinDsn !== undefined && ack === add64(this.dataFinDsn, 1)) this.dataFinAcked = true;
    // Everything sent is acknowledged before any DATA_FIN: __mptcp_clean_una stops the timer and
    // mptcp_stop_rtx_timer zeroes its interval.
    if (this.dataFinDsn === undefined && ack === this.writeSeq) this.rtxIvalUs = 0;
  }

  /**
   * Subflow-ordered bytes that start at data sequence `dsn`: what is now in data order (after
   * trimming duplicates, and with whatever waited behind it) comes back; the rest waits.
   */
  reorder(dsn: bigint, data: Uint8Array): Uint8Array[] {
    if (dsn > this.rcvNxt) {
      this.aheadTotal += data.length - (this.ahead.get(dsn)?.length ?? 0);
      this.ahead.set(dsn, data.slice());
      return [];
    }
    const out: Uint8Array[] = [];
    let at = dsn;
    let d: Uint8Array | undefined = data;
    let next = this.rcvNxt;
    while (d) {
      if (at < next) d = at + BigInt(d.length) > next ? d.subarray(Number(next - at)) : undefined;
      if (d && d.length > 0) { out.push(d); next = add64(next, d.length); }
      d = undefined;
      for (const [k, v] of this.ahead) {
        if (k > next) continue;
        this.ahead.delete(k);
        this.aheadTotal -= v.length;
        at = k;
        d = v;
        break;
      }
    }
    return out;
  }

  /** Bytes that arrived ahead of rcv_nxt at the data level (they take receive-window room). */
  get aheadBytes(): number {
    return this.aheadTotal;
  }

  protected aheadTotal = 0;

  /** `n` in-order bytes reached the receive queue. */
  onDelivered(n: number): void {
    if (this.fallback || n === 0) return;
    this.rcvNxt = add64(this.rcvNxt, n);
    this.stats.bytesReceived += BigInt(n);
    this.stats.lastDataRecv = this.now();
  }

  /** The peer's DATA_FIN is next in sequence and not yet consumed. */
  get dataFinReady(): boolean {
    return !this.fallback && !this.peerDataFin && this.peerDataFinDsn !== undefined && this.peerDataFinDsn === this.rcvNxt;
  }

  /** Consumes the DATA_FIN: it takes one DSN, so the DATA_ACK moves one past it. */
  consumeDataFin(): void {
    if (!this.dataFinReady) return;
    this.peerDataFin = true;
    this.rcvNxt = add64(this.rcvNxt, 1);
  }

}
