// MPTCP v1 over a single subflow, as Linux 6.18 shows it on the wire (RFC 8684 §3.3; Linux net/mptcp/, net/ipv4/tcp_output.c):
// the MP_CAPABLE handshake, the data-sequence space, DSS mappings and DATA_ACKs, DATA_FIN,
// checksums, MP_FASTCLOSE / MP_TCPRST and every single-path fallback condition. The TCP state
// machine owns the subflow and asks this object which options to write and what received
// options mean. Written data is mapped at the data level's write_seq (DSN) on the subflow it is
// queued on; join subflows (RFC 8684 §3.2; Linux net/mptcp/subflow.c) share this object, its sequence spaces and its
// DATA_ACK. In the v0 mode (RFC 6824, `net.mptcp.mptcp_version=0`) the same object speaks v0:
// keys in the SYN, SHA-1 tokens and IDSNs, no DLL form of MP_CAPABLE, ADD_ADDR without HMAC or
// echo, MP_PRIO by address id, no MP_TCPRST (README, "MPTCP v0").
import { addAddrHmac, dssChecksum, expandSeq32, type MptcpVersion } from '../../wire/crypto.js';
import { bytesEqual } from '../../wire/codec.js';
import type { AddAddr, Dss, MpCapable, MptcpOption, TcpOption } from '../../wire/packet.js';
import type { Subflow } from './subflow-socket.js';
import { padded } from '../tcp/options.js';
import { findCapable, FLAG_A_CHECKSUM, FLAG_C_NO_JOIN_INITIAL, localFlags, validCapable } from './capable.js';
import { dataSpan, mappingCoversSegment } from './mapping.js';
import type { KeyMaterial } from './keys.js';
import { material } from './keys.js';
import { DataTxQueue } from './tx-queue.js';
import { decideFallback, MpFailExchange, RESET_MIDDLEBOX, type MappingProblem } from './fallback.js';
import type { Mib } from '../mib.js';

const MASK64 = (1n << 64n) - 1n;
export const add64 = (a: bigint, n: bigint | number): bigint => (a + BigInt(n)) & MASK64;

export interface MptcpSettings {
  checksumEnabled: boolean;
  allowJoinInitial: boolean;
  synRetransBeforeFallback: number;
  /** `net.mptcp.mptcp_version`: the version a client opens with; a server also answers v0 SYNs when 0. */
  version?: MptcpVersion;
  /** Active MPTCP is disabled in the namespace (fallback.ts ActiveMptcpBlackhole): plain SYNs. */
  activeDisabled?: boolean;
  /** A connection whose MP_CAPABLE SYNs were dropped got its SYN/ACK: the namespace may disable active MPTCP. */
  onMpcBlackhole?: () => void;
  /** The namespace's MIB counters. */
  mib?: Mib;
  /**
   * `net.mptcp.pm_type=1` when the connection was made (pm.c mptcp_pm_data_init): a userspace
   * path manager decides, and with no daemon listening (the stack models none) the kernel
   * announces nothing, echoes no ADD_ADDR and takes no join (pm.c mptcp_pm_allow_new_subflow).
   */
  userspacePm?: boolean;
}

/** The mapping a stretch of written data is sent under (repeated on every segment cut from it). */
export interface TxMapping {
  dsn: bigint;
  ssn: number;
  dll: number;
  checksum?: number;
}

export interface TxSegmentInfo {
  mapping?: TxMapping;
  payloadLen: number;
  /** Sequence number of the segment relative to the subflow ISN (1 = first byte after the SYN). */
  seqRel: number;
  fin: boolean;
  /** A zero-length segment carrying the bare DATA_FIN. */
  dataFin: boolean;
  /** Sent on a join subflow (never carries MP_CAPABLE). */
  joined?: boolean;
  rst?: { fastclose: boolean; reason: number | undefined };
}

/**
 * What the subflow does with a segment:
 * 'mp-fail-reset': a mapping error with no fallback left (fallback.ts): reset this subflow (its
 * data taken at TCP level); the connection lives on over the others. The RST's MP_TCPRST reason
 * is the one fallback.ts chose (6 "middlebox interference" for a stripped DSS or a checksum
 * failure, with MP_FAIL then; 1 for any other bad mapping), whatever reason the subflow asks for.
 * A failed checksum never discards data: 6.18 delivers the failed mapping's data and sends MP_FAIL.
 */
export type RxVerdict = 'ok' | 'fastclose-on-ack' | 'mp-fail-reset';

export { RESET_MIDDLEBOX };

export interface RxMapping {
  dsn: bigint;
  ssn: number;
  dll: number;
  checksum: number | undefined;
  dataFin: boolean;
  parts: Uint8Array[];
  got: number;
}

/**
 * The mapping a subflow is receiving under, kept per subflow as 6.18 keeps map_seq,
 * map_subflow_seq, map_data_len and map_csum in each subflow context: segments without a DSS of
 * their own inside it belong to it, on a join as on the first subflow.
 */
export interface SubflowRxMap {
  /** Subflow sequence span of the latest mapping's data (first byte, end; a DATA_FIN takes no byte): data past its end without a DSS means the DSS was stripped (MAPPING_NODSS). */
  window?: { start: number; end: number };
  /** The mapping whose payload is being gathered for its DSS checksum (checksums on). */
  collecting?: RxMapping;
}

export class MptcpConnection {
  /** The connection's MPTCP version: the client's from the sysctl, the server's from the SYN. */
  version: MptcpVersion;
  fallback = false;
  checksum = false;
  fullyEstablished = false;
  remote: KeyMaterial | undefined;
  /** Send a 64-bit DATA_ACK (the last mapping received had a 64-bit DSN). */
  use64bitAck = false;
  /** Data level: next DSN to write (write_seq), oldest unacked (snd_una), next expected (rcv_nxt). */
  writeSeq: bigint;
  sndUna: bigint;
  rcvNxt = 0n;
  dataFinDsn: bigint | undefined;
  dataFinAcked = false;
  peerDataFin = false;
  private peerDataFinDsn: bigint | undefined;
  /** DSN of the latest mapping received (Linux's subflow->map_seq, what our MP_FAIL names). */
  private lastRxMapDsn: bigint | undefined;
  private validChecksumSeen = false;
  /** The peer's MP_CAPABLE set C: it accepts no join to its initial address (msk->pm.remote_deny_join_id0). */
  peerDeniesJoinToInitial = false;
  /** The SYN went plain after unanswered MP_CAPABLE SYNs (Linux's subflow->mpc_drop). */
  private mpcDropped = false;
  private readonly mpFail = new MpFailExchange();
  /** MP_TCPRST reason of the subflow reset a mapping error asked for ('mp-fail-reset'). */
  private mappingResetReason: number | undefined;
  /** The segment whose mapping problem resets the subflow still reaches the socket whole (6.18, 'past-end'). */
  resetDeliversSegment = false;
  /** Valid ADD_ADDRs received, to be echoed one per pure ACK (§5.4). */
  private pendingEchoes: AddAddr[] = [];
  addAddrReceived = 0;
  /** Our announcements (ADD_ADDR, HMAC with our key first), sent one per pure ACK until echoed. */
  private pendingAnnounces: AddAddr[] = [];
  /** Announced and not yet echoed, by address id. */
  readonly unechoed = new Map<number, AddAddr>();
  /** MPTCP_INFO counters: ADD_ADDRs we sent (first transmissions) and peer addresses we used. */
  addAddrSignal = 0;
  addAddrAccepted = 0;
  /** Local `subflow` endpoints the established event took (pm.local_addr_used; joins made in answer to an ADD_ADDR do not count). */
  localAddrUsed = 0;
  /** The mapping the last segment given to onSegment carried (DSN expanded to 64 bits). */
  lastMapping: { dsn: bigint; ssn: number; dll: number } | undefined;
  /** Data-level reassembly across subflows: bytes that arrived ahead of rcv_nxt, by DSN. */
  private readonly ahead = new Map<bigint, Uint8Array>();
  /** Established join subflows (the initial subflow is not counted, as mptcpi_subflows). */
  readonly joins = new Set<Subflow>();
  /** Written data not yet DATA_ACKed, by DSN, with the subflow carrying it (reinjection, MPTCP-level retransmission). */
  readonly txq = new DataTxQueue<Subflow>();
  /** The peer's data-level window ends here (msk->wnd_end: a DATA_ACK plus the window beside it). */
  wndEnd = 0n;
  /** A join subflow was established once (Linux then forbids the infinite-mapping fallback). */
  hadJoin = false;
  /** The data level retransmitted once (idem). */
  retransmitted = false;
  /** The initial subflow is gone while the connection lives on over its joins. */
  initialClosed = false;
  /** Join subflows reset after a checksum failure: 6.18 keeps counting them in mptcpi_subflows. */
  lingeringResets = 0;
  /** Valid ADD_ADDRs from the peer (already queued for their echo), for the path manager. */
  readonly peerAnnounced: AddAddr[] = [];
  /** Address ids the peer removed (REMOVE_ADDR): the path manager closes their subflows. */
  readonly peerRemoved: number[] = [];
  /** v0 MP_PRIO with an address id: the path manager applies it to the subflows of that remote id. */
  readonly peerPrio: Array<{ addressId: number; backup: boolean }> = [];
  stats = { bytesSent: 0n, bytesReceived: 0n, bytesAcked: 0n, bytesRetrans: 0n, retransmits: 0, lastDataSent: 0, lastDataRecv: 0, lastAckRecv: 0 };

  constructor(
    readonly role: 'client' | 'server',
    /** Our key, with its token and IDSN hashed for `version` (a v0 server rehashes on the SYN). */
    public local: KeyMaterial,
    private readonly settings: MptcpSettings,
    private readonly now: () => number,
  ) {
    this.version = role === 'client' ? settings.version ?? 1 : 1;
    if (this.version !== 1) this.local = material(local.key, this.version);
    this.writeSeq = add64(this.local.idsn, 1);
    this.sndUna = this.writeSeq;
  }

  private get flags(): number {
    return localFlags(this.settings.checksumEnabled, this.settings.allowJoinInitial, this.version);
  }

  /**
   * Flags of the client's MP_CAPABLE after the SYN/ACK (third ACK, first data): A when checksums
   * were negotiated, also when only the server asked (6.18 writes msk->csum_enabled there).
   */
  private get ackFlags(): number {
    return this.flags | (this.checksum ? FLAG_A_CHECKSUM : 0);
  }

  /** A server answering a v0 SYN: token and IDSN become SHA-1 ones. */
  private useVersion(version: MptcpVersion): void {
    if (version === this.version) return;
    this.version = version;
    this.local = material(this.local.key, version);
    this.writeSeq = add64(this.local.idsn, 1);
    this.sndUna = this.writeSeq;
  }

  /** MP_TCPRST of a reset (v1 only: RFC 6824 has no such option). */
  resetOptions(reason: number): TcpOption[] {
    return this.version === 0 ? [] : [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason }];
  }

  // ---- opening ------------------------------------------------------------------------------

  /** Client SYN option; from the (limit+1)-th retransmission on, the SYN is plain TCP (fallback). */
  synOptions(retransmissions: number): TcpOption[] {
    if (!this.fallback && retransmissions > this.settings.synRetransBeforeFallback) this.mpcDropped = true;
    if (this.fallback || this.mpcDropped || this.settings.activeDisabled) {
      this.fallBack();
      return [];
    }
    const o: MpCapable = { kind: 'mptcp', subtype: 'mp_capable', version: this.version, flags: this.flags };
    if (this.version === 0) o.senderKey = this.local.key; // v0: the initiator's key rides in the SYN
    return [o];
  }

  /**
   * Server: the SYN asked for MPTCP (validSynCapable). A v1 listener takes checksums from its own
   * sysctl, not from the SYN's A flag: Linux 6.18 sets the request's csum_reqd from
   * net.mptcp.checksum_enabled only (subflow.c subflow_init_req) and the client's wish comes with
   * its third ACK (protocol.c mptcp_sk_clone_init; onThirdAck). A v0 SYN (RFC 6824 §3.1: either
   * side's A asks for checksums) makes the connection v0 and already carries the client's key.
   */
  acceptSyn(syn: MpCapable): void {
    this.useVersion(syn.version === 0 ? 0 : 1);
    const peerAsks = this.version === 0 && (syn.flags & FLAG_A_CHECKSUM) !== 0;
    this.checksum = this.settings.checksumEnabled || peerAsks;
    if (this.version === 0 && syn.senderKey !== undefined) this.setRemote(syn.senderKey);
  }

  synAckOptions(): TcpOption[] {
    if (this.fallback) return [];
    return [{ kind: 'mptcp', subtype: 'mp_capable', version: this.version, flags: this.flags, senderKey: this.local.key }];
  }

  /** Client: a SYN/ACK with a valid 12-byte MP_CAPABLE, or fallback. */
  onSynAck(opts: readonly MptcpOption[]): void {
    if (this.mpcDropped) this.settings.onMpcBlackhole?.();
    if (this.fallback) return;
    const c = validCapable(opts, [12], this.version);
    // subflow.c subflow_finish_connect: a client that asked for MPTCP counts the answer either way.
    if (!c || c.senderKey === undefined) { this.settings.mib?.inc('MPTcpExtMPCapableFallbackSYNACK'); this.fallBack(); return; }
    this.settings.mib?.inc('MPTcpExtMPCapableSYNACKRX');
    this.setRemote(c.senderKey);
    this.checksum = this.settings.checksumEnabled || (c.flags & FLAG_A_CHECKSUM) !== 0;
    this.notePeerFlags(c.flags);
  }

  /** Flag C of the peer's MP_CAPABLE (client: its SYN/ACK, subflow.c subflow_finish_connect; server: the third ACK, options.c check_fully_established). */
  private notePeerFlags(flags: number): void {
    if (this.version === 1 && (flags & FLAG_C_NO_JOIN_INITIAL) !== 0) this.peerDeniesJoinToInitial = true;
  }

  /**
   * Server: the segment completing the handshake must carry MP_CAPABLE with both keys (20 on a
   * pure ACK, 22/24 with data); otherwise the connection falls back to TCP.
   */
  onThirdAck(opts: readonly MptcpOption[], payloadLen: number): void {
    if (this.fallback) return;
    const c = validCapable(opts, this.version === 0 ? [20] : payloadLen > 0 ? [22, 24] : [20], this.version);
    if (this.version === 0 && !c && this.remote && opts.some((o) => o.subtype === 'dss')) {
      // RFC 6824 §3.1: the third ACK was lost; a DSS from the client (whose key came in the SYN)
      // confirms MPTCP as well.
      this.fullyEstablished = true;
      return;
    }
    // subflow.c subflow_syn_recv_sock: an MPTCP request whose third ACK has no MP_CAPABLE.
    if (!c || c.senderKey === undefined) { this.settings.mib?.inc('MPTcpExtMPCapableFallbackACK'); this.fallBack(); return; }
    this.setRemote(c.senderKey);
    if ((c.flags & FLAG_A_CHECKSUM) !== 0) this.checksum = true;
    this.notePeerFlags(c.flags);
    this.fullyEstablished = true;
  }

  private setRemote(key: bigint): void {
    this.remote = material(key, this.version);
    this.rcvNxt = add64(this.remote.idsn, 1);
  }

  fallBack(): void {
    this.fallback = true;
  }

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
    let checksumPresent = false;
    const mpc = findCapable(opts);
    if (dss?.dsn !== undefined && dss.ssn !== undefined && dss.dll !== undefined) {
      const dsn = dss.dsn64 ? dss.dsn : expandSeq32(Number(dss.dsn), this.rcvNxt);
      // A bare DATA_FIN on a zero-length segment does not change the DATA_ACK size (§4.2).
      if (!(dss.dataFin && payload.length === 0)) this.use64bitAck = dss.dsn64;
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
      this.lastMapping = { dsn: mapping.dsn, ssn: mapping.ssn, dll: mapping.dll };
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
  private onMappingProblem(problem: MappingProblem, joined: boolean, failedDsn: bigint | undefined): RxVerdict {
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

  private nextAnnounce(): AddAddr | undefined {
    return this.pendingAnnounces.shift();
  }

  get hasPendingAnnounce(): boolean {
    return this.pendingAnnounces.length > 0;
  }

  /**
   * A v1 announcement with the right HMAC is echoed (even when it will not be used); on a v0
   * connection only the v0 form counts, taken as is (no HMAC, no echo). The other form is ignored.
   */
  private onAddAddr(o: AddAddr): void {
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
    if (this.settings.userspacePm) { this.settings.mib?.inc('MPTcpExtAddAddrDrop'); return; }
    this.addAddrReceived++;
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
  private collect(rx: SubflowRxMap, m: RxMapping, payload: Uint8Array, seqRel: number): boolean {
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

  private onDataAck(ack: bigint): void {
    this.stats.lastAckRecv = this.now();
    if (ack <= this.sndUna || ack > this.writeSeq) return;
    // bytes_acked counts data only: the DATA_FIN's sequence number is not a byte.
    const dataEnd = this.dataFinDsn ?? this.writeSeq;
    const dataAcked = (ack < dataEnd ? ack : dataEnd) - this.sndUna;
    if (dataAcked > 0n) this.stats.bytesAcked += dataAcked;
    this.sndUna = ack;
    this.txq.trim(ack);
    if (this.dataFinDsn !== undefined && ack === add64(this.dataFinDsn, 1)) this.dataFinAcked = true;
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

  private aheadTotal = 0;

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
