// Validates every packet of an interop run as it crosses the tun device, in both directions:
// each is decoded with the codec, and per MPTCP connection the validator follows both data
// directions — keys, tokens and IDSNs from MP_CAPABLE, MP_JOIN tokens and HMACs, ADD_ADDR HMACs,
// DSS mappings (DSN continuity, SSN relative to the subflow ISN, DATA_ACK never beyond what was
// sent, checksums when negotiated) — and checks every payload byte against the pattern at the
// stream offset its mapping gives it, so a byte at the wrong DSN fails too.
import { decodeIp } from '../wire/codec.js';
import { addAddrHmac, dssChecksum, expandSeq32, joinHmac, keyIdsn, keyToken, type MptcpVersion } from '../wire/crypto.js';
import { bytesEqual } from '../wire/bytes.js';
import type { AddAddr, Dss, MpCapable, MpJoin, MptcpOption, TcpSegment } from '../wire/packet.js';
import { TcpFlag } from '../wire/packet.js';
import { Checks } from './checks.js';
import { firstMismatch } from './pattern.js';
import { RangeSet } from './range-set.js';

const MASK64 = (1n << 64n) - 1n;
const add64 = (a: bigint, n: bigint | number): bigint => (a + BigInt(n)) & MASK64;
const FLAG_CHECKSUM = 0x80;
/** Verified mappings whose data is kept per side (a retransmitted form of one is checked against it). */
const KEPT_DONE_MAPPINGS = 64;

interface Mapping { dsn: bigint; ssn: number; dll: number; dataFin: boolean; checksum: number | undefined }

/**
 * A mapping whose payload is being collected to verify its DSS checksum. Linux may send the last
 * segment of a mapping again with the DATA_FIN folded in (DLL + 1, a new checksum): both forms
 * cover the same data and are verified once it is complete.
 */
interface PendingChecksum { forms: Map<string, Mapping>; data: Uint8Array; have: Uint8Array; missing: number }

/** One endpoint of an MPTCP connection, and the data direction it sends. */
interface Side {
  name: 'client' | 'server';
  key?: bigint;
  idsn?: bigint;
  token?: number;
  /** Pattern seed of the bytes this side sends. */
  seed: number;
  /** Next DSN after the highest data byte this side mapped. */
  mappedEnd?: bigint;
  /** Mapped stream offsets (DSN − IDSN − 1): must leave no gap before the DATA_FIN. */
  mapped: RangeSet;
  dataFinDsn?: bigint;
  /** Highest DATA_ACK this side sent (acknowledging the other side's data). */
  maxDataAck?: bigint;
  /** Stream offsets of the payload bytes seen on the wire (each checked against the pattern). */
  wire: RangeSet;
  pendingChecksums: Map<string, PendingChecksum>;
  /** The data of the last few verified mappings, for a form of one that comes again later. */
  doneChecksums: Map<string, Uint8Array>;
}

interface Flow { isn: number; fin: boolean; lastMapping?: Mapping }

interface Subflow {
  conn: Conn;
  /** Endpoint ("ip:port") that sent the SYN, and which MPTCP side it is. */
  initiator: string;
  initiatorSide: 'client' | 'server';
  flows: Map<string, Flow>;
  join?: { initiatorNonce: number; responderNonce?: number; verified?: boolean };
  /** Payload bytes carried, both directions (retransmissions included). */
  payload: number;
  /** Reset after its path was withdrawn (REMOVE_ADDR): it ends without FINs. */
  withdrawn?: boolean;
}

interface Conn {
  id: number;
  version: MptcpVersion;
  checksum: boolean;
  capableDone: boolean;
  client: Side;
  server: Side;
  subflows: Subflow[];
  resets: number;
  /**
   * RSTs on a joined subflow after a REMOVE_ADDR: the path withdrawn, whose subflows are closed
   * with a reset (RFC 8684 §3.4.2; Linux 6.18 resets them with MP_TCPRST, then answers what was
   * still in flight on them with plain RSTs). Not a failure.
   */
  withdrawnResets: number;
  /** ADD_ADDR announcements (not echoes) whose HMAC verified, and REMOVE_ADDRs seen. */
  addAddrs: number;
  removeAddrs: number;
}

const endpoint = (ip: string, port: number): string => `${ip}:${port}`;
const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

export interface ValidatorOptions {
  /** Pattern seed of the bytes sent from each address (the stack's and the kernel's). */
  seedOf: (ip: string) => number;
}

export class WireValidator {
  readonly checks = new Checks();
  readonly conns: Conn[] = [];
  private readonly subflows = new Map<string, Subflow>();
  packets = 0;
  /** Payload bytes of every segment seen (retransmissions included). */
  payloadBytes = 0;
  wireBytes = 0;
  ignored = 0;

  constructor(private readonly opts: ValidatorOptions) {}

  /** One packet as it crossed the tun device. */
  observe(bytes: Uint8Array): void {
    this.packets++;
    this.wireBytes += bytes.length;
    const pkt = decodeIp(bytes);
    if (!pkt.tcp && !pkt.raw && pkt.errors.length === 0) { this.ignored++; return; }
    if (!this.checks.check('decode', !!pkt.tcp && !pkt.raw && pkt.errors.length === 0, () => `undecodable packet: ${pkt.errors.join('; ') || 'no TCP header'}`)) return;
    const seg = pkt.tcp!;
    const src = endpoint(pkt.ip.src, seg.srcPort);
    const dst = endpoint(pkt.ip.dst, seg.dstPort);
    const mp = seg.options.filter((o): o is MptcpOption => o.kind === 'mptcp');
    const key = pairKey(src, dst);
    if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) this.onSyn(key, src, pkt.ip.src, pkt.ip.dst, seg, mp);
    const sf = this.subflows.get(key);
    if (!this.checks.check('known-subflow', !!sf, () => `${src} > ${dst}: segment of no connection seen opening`)) return;
    const conn = sf!.conn;
    const side = this.sideOf(sf!, src);
    const other = side === conn.client ? conn.server : conn.client;
    let flow = sf!.flows.get(src);
    if (seg.flags & TcpFlag.SYN) {
      if (!flow) { flow = { isn: seg.seq, fin: false }; sf!.flows.set(src, flow); }
      if (seg.flags & TcpFlag.ACK) this.onSynAck(sf!, side, other, mp);
      return;
    }
    if (!this.checks.check('handshake', !!flow, () => `${src}: data before its SYN`)) return;
    if (seg.flags & TcpFlag.RST) {
      if (sf!.join !== undefined && conn.removeAddrs > 0) {
        conn.withdrawnResets++;
        sf!.withdrawn = true;
      }
      else conn.resets++;
    }
    if (seg.flags & TcpFlag.FIN) flow!.fin = true;
    for (const o of mp) {
      if (o.subtype === 'mp_capable') this.onCapableAck(conn, o);
      else if (o.subtype === 'mp_join' && o.form === 'ack') this.onJoinAck(sf!, side, other, o);
      else if (o.subtype === 'add_addr') this.onAddAddr(conn, side, other, o);
      else if (o.subtype === 'remove_addr') conn.removeAddrs++;
    }
    const dss = mp.find((o): o is Dss => o.subtype === 'dss');
    let mapping: Mapping | undefined;
    if (dss) mapping = this.onDss(conn, side, other, dss);
    const cap = mp.find((o): o is MpCapable => o.subtype === 'mp_capable');
    if (!mapping && cap?.dataLen !== undefined && side.idsn !== undefined) {
      // v1: the first data segment may carry MP_CAPABLE with a data length instead of a DSS,
      // mapping it implicitly at the start of both spaces.
      mapping = { dsn: add64(side.idsn, 1), ssn: 1, dll: cap.dataLen, dataFin: false, checksum: cap.checksum };
      side.mappedEnd = bigMax(side.mappedEnd ?? 0n, add64(mapping.dsn, mapping.dll));
      side.mapped.add(0n, BigInt(mapping.dll));
    }
    if (mapping) flow!.lastMapping = mapping;
    sf!.payload += seg.payload.length;
    this.payloadBytes += seg.payload.length;
    if (seg.payload.length > 0) this.onPayload(conn, side, flow!, seg, mapping ?? flow!.lastMapping, src);
  }

  private sideOf(sf: Subflow, src: string): Side {
    const initiator = sf.initiatorSide === 'client' ? sf.conn.client : sf.conn.server;
    const responder = sf.initiatorSide === 'client' ? sf.conn.server : sf.conn.client;
    return src === sf.initiator ? initiator : responder;
  }

  private onSyn(key: string, src: string, srcIp: string, dstIp: string, seg: TcpSegment, mp: MptcpOption[]): void {
    const existing = this.subflows.get(key);
    if (existing && existing.flows.get(src)?.isn === seg.seq) return; // a retransmitted SYN
    const cap = mp.find((o): o is MpCapable => o.subtype === 'mp_capable');
    const join = mp.find((o): o is MpJoin => o.subtype === 'mp_join');
    if (join) {
      const conn = this.conns.find((c) => c.client.token === join.token || c.server.token === join.token);
      if (!this.checks.check('join-token', !!conn, () => `${src}: MP_JOIN token ${join.token} matches no connection's key`)) return;
      const side = conn!.client.token === join.token ? 'server' : 'client'; // the SYN comes from the other side
      this.subflows.set(key, { conn: conn!, initiator: src, initiatorSide: side, flows: new Map(), join: { initiatorNonce: join.nonce ?? 0 }, payload: 0 });
      conn!.subflows.push(this.subflows.get(key)!);
      return;
    }
    const conn: Conn = {
      id: this.conns.length + 1,
      version: (cap?.version === 0 ? 0 : 1),
      checksum: cap ? (cap.flags & FLAG_CHECKSUM) !== 0 : false,
      capableDone: false,
      client: { name: 'client', seed: this.opts.seedOf(srcIp), mapped: new RangeSet(), wire: new RangeSet(), pendingChecksums: new Map(), doneChecksums: new Map() },
      server: { name: 'server', seed: this.opts.seedOf(dstIp), mapped: new RangeSet(), wire: new RangeSet(), pendingChecksums: new Map(), doneChecksums: new Map() },
      subflows: [],
      resets: 0,
      withdrawnResets: 0,
      addAddrs: 0,
      removeAddrs: 0,
    };
    const sf: Subflow = { conn, initiator: src, initiatorSide: 'client', flows: new Map(), payload: 0 };
    conn.subflows.push(sf);
    this.conns.push(conn);
    this.subflows.set(key, sf);
    this.checks.check('mp-capable-syn', !!cap, () => `${src}: SYN without MP_CAPABLE (the run expects MPTCP)`);
  }

  private onSynAck(sf: Subflow, side: Side, other: Side, mp: MptcpOption[]): void {
    const conn = sf.conn;
    const cap = mp.find((o): o is MpCapable => o.subtype === 'mp_capable');
    if (cap?.senderKey !== undefined && !sf.join) {
      if (side.key !== undefined) this.checks.check('mp-capable-keys', side.key === cap.senderKey, () => 'the SYN/ACK key changed on a retransmission');
      this.setKey(conn, side, cap.senderKey);
      if (cap.flags & FLAG_CHECKSUM) conn.checksum = true;
    } else if (!sf.join) this.checks.check('mp-capable-synack', false, () => 'SYN/ACK without a keyed MP_CAPABLE');
    const join = mp.find((o): o is MpJoin => o.subtype === 'mp_join');
    if (join && sf.join) {
      sf.join.responderNonce = join.nonce ?? 0;
      const ok = side.key !== undefined && other.key !== undefined && join.hmac !== undefined
        && bytesEqual(join.hmac, joinHmac(side.key, other.key, join.nonce ?? 0, sf.join.initiatorNonce, conn.version).slice(0, 8));
      this.checks.check('join-hmac', ok, () => `MP_JOIN SYN/ACK of connection ${conn.id}: truncated HMAC does not verify`);
    }
  }

  private setKey(conn: Conn, side: Side, key: bigint): void {
    side.key = key;
    side.token = keyToken(key, conn.version);
    side.idsn = keyIdsn(key, conn.version);
    side.mappedEnd ??= add64(side.idsn, 1);
  }

  private onCapableAck(conn: Conn, o: MpCapable): void {
    if (o.senderKey === undefined) return;
    const ok = o.receiverKey === conn.server.key && (conn.client.key === undefined || conn.client.key === o.senderKey);
    this.checks.check('mp-capable-keys', ok, () => `connection ${conn.id}: the MP_CAPABLE ACK's keys do not echo the handshake's`);
    if (conn.client.key === undefined) this.setKey(conn, conn.client, o.senderKey);
    if (o.flags & FLAG_CHECKSUM) conn.checksum = true;
    conn.capableDone = true;
  }

  private onJoinAck(sf: Subflow, side: Side, other: Side, o: MpJoin): void {
    const j = sf.join;
    const ok = !!j && j.responderNonce !== undefined && side.key !== undefined && other.key !== undefined && o.hmac !== undefined
      && bytesEqual(o.hmac, joinHmac(side.key, other.key, j.initiatorNonce, j.responderNonce, sf.conn.version).slice(0, 20));
    if (this.checks.check('join-hmac', ok, () => `MP_JOIN ACK of connection ${sf.conn.id}: HMAC does not verify`)) sf.join!.verified = true;
  }

  private onAddAddr(conn: Conn, side: Side, other: Side, o: AddAddr): void {
    if (o.echo || o.version !== 1) return;
    const ok = side.key !== undefined && other.key !== undefined && o.hmac !== undefined
      && bytesEqual(o.hmac, addAddrHmac(side.key, other.key, o.addressId, o.address, o.port));
    if (this.checks.check('add-addr-hmac', ok, () => `ADD_ADDR id ${o.addressId} ${o.address}: HMAC does not verify`)) conn.addAddrs++;
  }

  private onDss(conn: Conn, side: Side, other: Side, dss: Dss): Mapping | undefined {
    if (dss.dataAck !== undefined) {
      if (this.checks.check('data-ack', other.idsn !== undefined, () => `${side.name}: DATA_ACK before the peer's key is known`)) {
        const end = other.mappedEnd!;
        const ack = dss.dataAck64 ? dss.dataAck : expandSeq32(Number(dss.dataAck), end);
        const limit = other.dataFinDsn !== undefined && end >= other.dataFinDsn ? add64(other.dataFinDsn, 1) : end;
        const first = add64(other.idsn!, 1);
        this.checks.check('data-ack', ack >= first && ack <= limit,
          () => `${side.name}: DATA_ACK ${ack - first} (relative) beyond what the ${other.name} sent (${limit - first})`);
        side.maxDataAck = bigMax(side.maxDataAck ?? 0n, ack);
      }
    }
    if (dss.dsn === undefined) return undefined;
    if (!this.checks.check('dsn-continuity', side.idsn !== undefined, () => `${side.name}: DSS mapping before its key is known`)) return undefined;
    const dsn = dss.dsn64 ? dss.dsn : expandSeq32(Number(dss.dsn), side.mappedEnd!);
    const m: Mapping = { dsn, ssn: dss.ssn ?? 0, dll: dss.dll ?? 0, dataFin: dss.dataFin, checksum: dss.checksum };
    const first = add64(side.idsn!, 1);
    const dataLen = m.dll - (m.dataFin ? 1 : 0);
    // Linux may send a bare DATA_FIN at write_seq while data before it is still queued: a
    // DATA_FIN alone may run ahead of the mapped data (finish() checks the data caught up).
    const bareFin = m.dataFin && dataLen === 0;
    // With one subflow mappings come in DSN order: a gap shows at once. With several, a later
    // DSN may cross one subflow before an earlier one crosses another: finish() judges the union.
    const ordered = conn.subflows.length === 1;
    const rel = (dsn - first) & MASK64;
    side.mapped.add(rel, rel + BigInt(dataLen));
    this.checks.check('dsn-continuity', rel < 1n << 62n && (bareFin || !ordered || dsn <= side.mappedEnd!) && m.dll > 0,
      () => `${side.name}: mapping at DSN ${dsn - first} (relative), DLL ${m.dll}, leaves a gap after ${side.mappedEnd! - first} or is infinite`);
    side.mappedEnd = bigMax(side.mappedEnd!, add64(dsn, dataLen));
    if (m.dataFin) {
      const fin = add64(dsn, m.dll - 1);
      if (side.dataFinDsn !== undefined) this.checks.check('data-fin', side.dataFinDsn === fin, () => `${side.name}: DATA_FIN moved from ${side.dataFinDsn} to ${fin}`);
      side.dataFinDsn = fin;
    }
    if (conn.checksum) {
      if (this.checks.check('dss-checksum', m.checksum !== undefined, () => `${side.name}: mapping without the negotiated checksum`) && dataLen === 0) {
        this.checks.check('dss-checksum', dssChecksum(dsn, m.ssn, m.dll, new Uint8Array(0)) === m.checksum, () => `${side.name}: bare DATA_FIN checksum does not verify`);
      }
    }
    return m;
  }

  private onPayload(conn: Conn, side: Side, flow: Flow, seg: TcpSegment, m: Mapping | undefined, src: string): void {
    const len = seg.payload.length;
    if (!this.checks.check('mapping-present', !!m && side.idsn !== undefined, () => `${src}: ${len} payload bytes with no mapping`)) return;
    const seqRel = (seg.seq - flow.isn) >>> 0;
    const dataLen = m!.dll - (m!.dataFin ? 1 : 0);
    const inside = seqRel >= m!.ssn && seqRel + len <= m!.ssn + dataLen;
    if (!this.checks.check('ssn-relative', inside, () => `${src}: payload at subflow offset ${seqRel}+${len} outside its mapping (SSN ${m!.ssn}, DLL ${m!.dll})`)) return;
    const dsnStart = add64(m!.dsn, seqRel - m!.ssn);
    const offset = Number((dsnStart - add64(side.idsn!, 1)) & MASK64);
    const bad = firstMismatch(side.seed, offset, seg.payload);
    this.checks.check('stream-content', bad < 0, () => `${side.name}: byte at stream offset ${offset + bad} is not the pattern's (wrong DSN or data)`);
    side.wire.add(BigInt(offset), BigInt(offset + len));
    if (conn.checksum && m!.checksum !== undefined) this.collectChecksum(side, m!, seqRel - m!.ssn, seg.payload);
  }

  private collectChecksum(side: Side, m: Mapping, at: number, payload: Uint8Array): void {
    const dataLen = m.dll - (m.dataFin ? 1 : 0);
    const key = `${m.dsn}/${m.ssn}/${dataLen}`;
    const done = side.doneChecksums.get(key);
    if (done) { this.verifyChecksum(side, m, done); return; }
    let p = side.pendingChecksums.get(key);
    if (!p) { p = { forms: new Map(), data: new Uint8Array(dataLen), have: new Uint8Array(dataLen), missing: dataLen }; side.pendingChecksums.set(key, p); }
    p.forms.set(`${m.dll}/${m.checksum}`, m);
    for (let i = 0; i < payload.length; i++) {
      if (!p.have[at + i]) { p.have[at + i] = 1; p.missing--; }
      p.data[at + i] = payload[i]!;
    }
    if (p.missing > 0) return;
    side.pendingChecksums.delete(key);
    side.doneChecksums.set(key, p.data);
    if (side.doneChecksums.size > KEPT_DONE_MAPPINGS) side.doneChecksums.delete(side.doneChecksums.keys().next().value!);
    for (const f of p.forms.values()) this.verifyChecksum(side, f, p.data);
  }

  private verifyChecksum(side: Side, m: Mapping, data: Uint8Array): void {
    this.checks.check('dss-checksum', dssChecksum(m.dsn, m.ssn, m.dll, data) === m.checksum,
      () => `${side.name}: DSS checksum of the mapping at SSN ${m.ssn} (DLL ${m.dll}) does not verify`);
  }

  /** True once every connection has both DATA_FINs acked and a FIN on every subflow direction. */
  allClosed(): boolean {
    if (this.conns.length === 0) return false;
    return this.conns.every((c) => [[c.client, c.server], [c.server, c.client]].every(([s, o]) =>
      s!.dataFinDsn !== undefined && o!.maxDataAck !== undefined && o!.maxDataAck >= add64(s!.dataFinDsn, 1))
      && c.subflows.every((sf) => sf.flows.size === 2 && [...sf.flows.values()].every((f) => f.fin)));
  }

  /**
   * End-of-run checks: MPTCP held, each side sent `bytes` then a DATA_FIN the peer acked, clean
   * FINs. `expect.paths` 2: an ADD_ADDR and a joined subflow; `expect.removed`: a REMOVE_ADDR.
   */
  finish(bytes: number, expect: { paths: 1 | 2; removed: boolean } = { paths: 1, removed: false }): void {
    this.checks.check('connection', this.conns.length > 0, () => 'no connection was seen on the wire');
    for (const c of this.conns) {
      if (expect.paths === 2) {
        this.checks.check('add-addr', c.addAddrs > 0, () => `connection ${c.id}: no ADD_ADDR announced the second path`);
        this.checks.check('second-subflow', c.subflows.some((sf) => sf.join?.verified === true),
          () => `connection ${c.id}: no MP_JOIN subflow completed its handshake`);
      }
      if (expect.removed) this.checks.check('remove-addr', c.removeAddrs > 0, () => `connection ${c.id}: no REMOVE_ADDR withdrew the second path`);
      this.checks.check('mp-capable', c.capableDone && c.client.key !== undefined && c.server.key !== undefined,
        () => `connection ${c.id}: the MP_CAPABLE handshake did not complete (fallback?)`);
      for (const [s, o] of [[c.client, c.server], [c.server, c.client]] as const) {
        const onWire = s.wire.contiguousEnd(0n);
        this.checks.check('wire-bytes', onWire >= BigInt(bytes), () => `connection ${c.id}: the ${s.name}'s stream on the wire covers ${onWire} of ${bytes} bytes without a gap`);
        const mapped = s.mapped.contiguousEnd(0n);
        this.checks.check('dsn-continuity', mapped >= BigInt(bytes), () => `connection ${c.id}: the ${s.name}'s mappings cover ${mapped} of ${bytes} bytes without a gap`);
        const finAt = s.dataFinDsn !== undefined && s.idsn !== undefined ? Number((s.dataFinDsn - add64(s.idsn, 1)) & MASK64) : -1;
        this.checks.check('data-fin', finAt === bytes, () => `connection ${c.id}: the ${s.name}'s DATA_FIN ${finAt < 0 ? 'never came' : `is at offset ${finAt}, not ${bytes}`}`);
        const acked = s.dataFinDsn !== undefined && o.maxDataAck !== undefined && o.maxDataAck >= add64(s.dataFinDsn, 1);
        this.checks.check('data-fin-acked', acked, () => `connection ${c.id}: the ${o.name} never acked the ${s.name}'s DATA_FIN`);
        this.checks.check('dss-checksum', s.pendingChecksums.size === 0, () => `connection ${c.id}: ${s.pendingChecksums.size} checksummed mappings never completed`);
      }
      for (const sf of c.subflows) {
        if (sf.withdrawn) continue;
        for (const [src, f] of sf.flows) this.checks.check('tcp-fin', f.fin, () => `connection ${c.id}: ${src} never sent its FIN`);
      }
      this.checks.check('no-reset', c.resets === 0, () => `connection ${c.id}: ${c.resets} RST segments`);
    }
  }
}

const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
