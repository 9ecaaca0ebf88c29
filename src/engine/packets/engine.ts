// PacketEngine: the packet half of the engine (docs/language.md §7 and §8).
//
//   const pe = new PacketEngine({ ipVersion, localIp, remoteIp, bindPort, connectPort,
//                                 tsEcrScaled, tsTickUsecs, toleranceUsecs?, strictSegments, seed });
//   pe.buildInbound(action, nowUs)        → { ok, packet, bytes } | { ok: false, message, range }
//   pe.matchOutbound(action, live, nowUs) → { status: 'match' | 'more' | 'mismatch', mismatches, message }
//   pe.isTestTraffic(live)                → packets of the test's addresses / subflows
//   pe.renderExpected(action), pe.renderActual(live, relativeTo?)   → .pkt text
//   pe.describeState()                    → ['label: value', ...]  (describeEntries() as pairs)
//   pe.cleanupResets()                    → RST bytes for every subflow still open
//
// One engine per script run: it remembers subflows, ISNs, TS values, MPTCP keys, nonces and
// DSNs. A line changes that memory only when it is built / matched (see state.ts, Txn).
// 'more' (strict_segments off): the live segment is a correct first part of a longer line;
// call matchOutbound again with the *same* action object and the next live segment. Any other
// action drops the pending split. A mismatch `message` is the sentence that follows
// `error handling packet: `, e.g. `live packet field tcp_ack_seq: expected: 101 (0x65) vs actual: 1 (0x1)`.

import type { PacketAction, TcpBody } from '../../script/ast.js';
import type { IpPacket, TcpOption, TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { decodeIp, encodeIp } from '../../wire/codec.js';
import { renderPacket } from '../../wire/render.js';
import { keyIdsn, keyToken } from '../../wire/crypto.js';
import type { PacketPort } from '../packet-port.js';
import { wireAddress, type Env } from './env.js';
import { sameEndpoint } from './state.js';
import { buildIpHeader, buildTcpHeader, matchIpHeader, matchTcpHeader, payloadMismatch } from './header.js';
import type { Line } from './line.js';
import { buildTcpOptions } from './options-build.js';
import { matchTcpOptions } from './options-match.js';
import { printPacketLine } from './print-line.js';
import { buildIcmp } from './icmp.js';
import { buildUdp } from './udp.js';
import { SeededRandom } from './random.js';
import { selectInbound, selectOutbound } from './select.js';
import { endpointText, Txn, World, type Subflow } from './state.js';
import { fieldMismatch, numberMismatch, PACKETDRILL_UNCHECKED, PacketLineError, type BuildResult, type FieldMismatch, type MatchResult, type PacketContext } from './types.js';

/** The first segments of a split line (strict_segments off), kept until the rest arrive. */
interface PendingSplit {
  action: PacketAction;
  sub: Subflow;
  /** The first segment: its seq and CWR stand for the whole burst. */
  first: IpPacket;
  /** Live sequence number the next segment must start at. */
  nextSeq: number;
  payloads: Uint8Array[];
  got: number;
  errors: string[];
}

function mismatch(mismatches: FieldMismatch[]): MatchResult {
  return { status: 'mismatch', mismatches, message: mismatches[0]?.message ?? 'packet does not match' };
}

function tcpBody(action: PacketAction): TcpBody | undefined {
  return action.body.kind === 'tcp' ? action.body : undefined;
}

export class PacketEngine implements PacketPort {
  private readonly env: Env;
  private pending?: PendingSplit;

  constructor(ctx: PacketContext) {
    const norm: PacketContext = { ...ctx, localIp: wireAddress(ctx.localIp), remoteIp: wireAddress(ctx.remoteIp) };
    const world = new World();
    world.scriptAddresses.push(norm.remoteIp);
    this.env = { ctx: norm, rng: new SeededRandom(ctx.seed), world, family: ctx.ipVersion === 'ipv6' ? 6 : 4 };
  }

  buildInbound(action: PacketAction, nowUs: number): BuildResult {
    try {
      return this.build(action, nowUs);
    } catch (e) {
      if (e instanceof PacketLineError) return { ok: false, message: e.message, range: e.range ?? action.range };
      return { ok: false, message: `cannot build the packet: ${(e as Error).message}`, range: action.range };
    }
  }

  private build(action: PacketAction, nowUs: number): BuildResult {
    const body = tcpBody(action);
    if (action.direction !== 'inbound') throw new PacketLineError('buildInbound needs an inbound (`<`) line', action.range);
    if (action.body.kind !== 'tcp') {
      const pkt = action.body.kind === 'icmp' ? buildIcmp(this.env, action.body) : buildUdp(this.env, action.body);
      const raw = encodeIp(pkt);
      return { ok: true, packet: decodeIp(raw), bytes: raw };
    }
    if (!body) throw new PacketLineError(`injecting ${action.body.kind} packets is not supported yet`, action.body.range);
    if (action.encaps.length) throw new PacketLineError('encapsulated packets (ipv4/ipv6/gre/mpls) are not supported yet', action.encaps[0]!.range);
    const tx = new Txn(this.env.world);
    const { subflow: sub } = selectInbound(this.env, tx, action, body);
    const line: Line = { env: this.env, tx, action, body, sub, conn: sub.conn, nowUs };
    const flags = body.flags;
    // The script's SYN/ACK answers an active open: from now on the stack's numbers count from
    // the START its SYN was written with (packetdrill's rule), this SYN/ACK's ack included.
    const before = sub.stackIsn;
    const adopt = flags & TcpFlag.SYN && flags & TcpFlag.ACK && before && sub.stackSynSeq !== undefined ? { live: before.live, script: sub.stackSynSeq } : undefined;
    let header: Omit<TcpSegment, 'options'>;
    let options: TcpOption[];
    try {
      if (adopt) sub.stackIsn = adopt;
      header = buildTcpHeader(line);
      options = buildTcpOptions(line);
    } finally {
      sub.stackIsn = before;
    }
    const packet: IpPacket = {
      ip: buildIpHeader(this.env.family, action.ip, sub.remote.address, sub.local.address),
      tcp: { ...header, options },
      errors: [],
    };
    const bytes = encodeIp(packet);
    if (action.badChecksum) {
      // Corrupt the TCP checksum (bytes 16-17 of the TCP header) so it is surely wrong.
      const at = (this.env.family === 4 ? (bytes[0]! & 0x0f) * 4 : 40) + 16;
      bytes[at] = bytes[at]! ^ 0xff;
      bytes[at + 1] = bytes[at + 1]! ^ 0xff;
    }
    tx.later(() => {
      if (adopt) {
        sub.stackIsn = adopt;
        sub.stackSynSeq = undefined;
      }
      if (flags & TcpFlag.SYN) sub.scriptIsn = body.seqStart >>> 0;
      else sub.established = true;
      if (flags & TcpFlag.RST) sub.reset = true;
    });
    tx.commit();
    return { ok: true, packet: decodeIp(bytes), bytes };
  }

  matchOutbound(action: PacketAction, live: IpPacket, nowUs: number): MatchResult {
    const body = tcpBody(action);
    if (!body) return mismatch([fieldMismatch('protocol', action.body.kind, live.tcp ? 'tcp' : `ip proto ${live.other?.protocol ?? '?'}`, 'only TCP lines are checked so far')]);
    if (!live.tcp) return mismatch([fieldMismatch('protocol', 'tcp', `ip proto ${live.other?.protocol ?? '?'}`)]);
    const pending = this.pending;
    this.pending = undefined;
    if (pending && pending.action === action) return this.continueSplit(pending, body, live, nowUs);
    try {
      return this.match(action, body, live, nowUs);
    } catch (e) {
      // A line that cannot be checked (unbound name, unknown key...) fails with its reason.
      const message = e instanceof PacketLineError ? e.message : `cannot check the packet: ${(e as Error).message}`;
      return mismatch([{ field: 'script', expected: '', actual: '', message }]);
    }
  }

  private match(action: PacketAction, body: TcpBody, live: IpPacket, nowUs: number, optionPayload?: Uint8Array): MatchResult {
    const tcp = live.tcp!;
    const tx = new Txn(this.env.world);
    const sel = selectOutbound(this.env, tx, action, body, live);
    if (!sel.ok) return mismatch(sel.mismatches);
    const sub = sel.line.subflow;
    const line: Line = { env: this.env, tx, action, body, sub, conn: sub.conn, nowUs };
    if (!this.env.ctx.strictSegments && tcp.payload.length > 0 && tcp.payload.length < body.payloadLength) return this.startSplit(action, body, live, sub);
    const out: FieldMismatch[] = [];
    matchIpHeader(action.ip, live, out);
    matchTcpHeader(line, tcp, out);
    matchTcpOptions(line, tcp.options, optionPayload ?? tcp.payload, out);
    // A partial checksum (pseudo-header only) is checksum offload seen before the NIC: not wrong.
    const bad = live.errors.find((e) => e.startsWith('TCP checksum') && !e.includes(' is partial '));
    if (bad) out.push({ field: 'tcp_checksum', expected: 'a correct checksum', actual: bad, message: `live packet field tcp_checksum: ${bad} (${PACKETDRILL_UNCHECKED})` });
    if (out.length) return mismatch(out);
    tx.later(() => {
      if (tcp.flags & TcpFlag.ACK) sub.lastStackAck = tcp.ack;
      if (tcp.flags & TcpFlag.RST) sub.reset = true;
    });
    tx.commit();
    return { status: 'match' };
  }

  /**
   * The first of several live segments carrying one line's payload (a TSO/GSO burst split at
   * the MSS). As packetdrill, the burst is judged once it is complete, as one segment with the
   * headers of the last (flags with PSH and FIN, window, ack, options) and the seq and CWR of
   * the first; only the seq is checked now, so a wrong start fails at once.
   */
  private startSplit(action: PacketAction, body: TcpBody, live: IpPacket, sub: Subflow): MatchResult {
    const tcp = live.tcp!;
    const rel = (tcp.seq - sub.stackOffset()) >>> 0;
    if (rel !== body.seqStart >>> 0) return mismatch([numberMismatch('tcp_seq', body.seqStart >>> 0, rel)]);
    this.pending = { action, sub, first: live, nextSeq: (tcp.seq + tcp.payload.length) >>> 0, payloads: [tcp.payload], got: tcp.payload.length, errors: [...live.errors] };
    return { status: 'more' };
  }

  /** The next live segment of a split line: continues the previous one, adds up to LEN. */
  private continueSplit(p: PendingSplit, body: TcpBody, live: IpPacket, nowUs: number): MatchResult {
    const tcp = live.tcp!;
    const here = this.env.world.findByTuple({ address: live.ip.src, port: tcp.srcPort }, { address: live.ip.dst, port: tcp.dstPort });
    if (here !== p.sub) return mismatch([fieldMismatch('subflow', p.sub.label(), here ? here.label() : `${live.ip.src}:${tcp.srcPort} > ${live.ip.dst}:${tcp.dstPort}`, 'the rest of a split segment came on another path')]);
    if (tcp.seq !== p.nextSeq) {
      const off = p.sub.stackOffset();
      return mismatch([numberMismatch('tcp_seq', (p.nextSeq - off) >>> 0, (tcp.seq - off) >>> 0, 'the next part of a split segment must continue the previous one')]);
    }
    const got = p.got + tcp.payload.length;
    const payloads = [...p.payloads, tcp.payload];
    const errors = [...p.errors, ...live.errors];
    if (got < body.payloadLength && tcp.payload.length > 0) {
      this.pending = { ...p, nextSeq: (tcp.seq + tcp.payload.length) >>> 0, payloads, got, errors };
      return { status: 'more' };
    }
    // Past the line's length the burst cannot be it, whatever its headers say.
    if (got > body.payloadLength) return mismatch([payloadMismatch(body.payloadLength, got)]);
    // The whole burst: the last segment's headers, the first's seq and CWR, all the payload.
    const payload = new Uint8Array(got);
    let at = 0;
    for (const b of payloads) {
      payload.set(b, at);
      at += b.length;
    }
    const firstTcp = p.first.tcp!;
    const flags = (tcp.flags & ~TcpFlag.CWR) | (firstTcp.flags & TcpFlag.CWR);
    const aggregate: IpPacket = { ...live, tcp: { ...tcp, seq: firstTcp.seq, flags, payload }, errors };
    // Options are checked against the last segment's own payload (its DSS mapping's data).
    return this.match(p.action, body, aggregate, nowUs, tcp.payload);
  }

  noteScriptAddress(address: string): void {
    const { world } = this.env;
    if (!world.scriptAddresses.includes(address)) world.scriptAddresses.push(address);
  }

  subflowLocalPort(localAddress: string, remote: { address: string; port: number }): number | undefined {
    const subs = this.env.world.subflows;
    return [...subs].reverse().find((s) => s.local.address === localAddress && sameEndpoint(s.remote, remote))?.local.port;
  }

  keyToken(name: string, alg: 'sha1' | 'sha256'): number | undefined {
    const key = this.env.world.keys.get(name);
    return key === undefined ? undefined : keyToken(key, alg === 'sha1' ? 0 : 1);
  }

  isTestTraffic(live: IpPacket): boolean {
    const { world, ctx } = this.env;
    if (live.raw) return false;
    if (live.tcp) {
      const local = { address: live.ip.src, port: live.tcp.srcPort };
      const remote = { address: live.ip.dst, port: live.tcp.dstPort };
      if (world.findByTuple(local, remote)) return true;
    }
    return live.ip.dst === ctx.remoteIp || world.scriptAddresses.includes(live.ip.dst);
  }

  renderExpected(action: PacketAction): string {
    const sub = this.lineSubflow(action);
    const lookup = (name: string) => this.env.world.keys.get(name);
    if (!sub) return printPacketLine(action, undefined, lookup);
    const [a, b] = action.direction === 'inbound' ? [sub.remote, sub.local] : [sub.local, sub.remote];
    return printPacketLine(action, `${endpointText(a)} > ${endpointText(b)}`, lookup);
  }

  /** The subflow a line is on as far as known now, without changing anything. */
  private lineSubflow(action: PacketAction): Subflow | undefined {
    const world = this.env.world;
    const t = action.tuple;
    const names = t ? [t.src, t.dst].map((e) => (e?.kind === 'named' ? world.addresses.get(e.name) : undefined)) : [];
    if (!names.some((n) => n)) return world.newest();
    const [srcB, dstB] = names;
    const inbound = action.direction === 'inbound';
    for (let i = world.subflows.length - 1; i >= 0; i--) {
      const s = world.subflows[i]!;
      const [src, dst] = inbound ? [s.remote, s.local] : [s.local, s.remote];
      if ((!srcB || srcB.address === src.address) && (!dstB || dstB.address === dst.address)) return s;
    }
    return undefined;
  }

  renderActual(live: IpPacket, relativeTo?: PacketAction): string {
    const { world } = this.env;
    if (!live.tcp) return renderPacket(live);
    const tcp = live.tcp;
    const outbound = world.findByTuple({ address: live.ip.src, port: tcp.srcPort }, { address: live.ip.dst, port: tcp.dstPort });
    const inbound = outbound ? undefined : world.findByTuple({ address: live.ip.dst, port: tcp.dstPort }, { address: live.ip.src, port: tcp.srcPort });
    const sub = outbound ?? inbound ?? (relativeTo ? this.lineSubflow(relativeTo) : undefined);
    if (!sub) return renderPacket(live);
    const stackIdsn = this.idsnOf(sub.conn.stackKeyName, sub.conn.version);
    const scriptIdsn = this.idsnOf(sub.conn.scriptKeyName, sub.conn.version);
    const fromStack = !inbound;
    const stackIsn = sub.stackIsn ? sub.stackOffset() : 0;
    // The script's numbers count from its ISN, but for a SYN's own seq and a SYN/ACK's ack
    // (as they are written and compared).
    const scriptIsn = tcp.flags & TcpFlag.SYN || (fromStack && !sub.stackIsn) ? 0 : sub.scriptOffset();
    const names = new Map<bigint, string>();
    for (const [n, k] of world.keys) if (!names.has(k)) names.set(k, n);
    return renderPacket(live, {
      isn: fromStack ? { sender: stackIsn, receiver: scriptIsn } : { sender: scriptIsn, receiver: stackIsn },
      ...(stackIdsn !== undefined && scriptIdsn !== undefined
        ? { idsn: fromStack ? { sender: stackIdsn, receiver: scriptIdsn } : { sender: scriptIdsn, receiver: stackIdsn } }
        : {}),
      keyName: (k) => names.get(k),
      addressName: (address, port) => {
        for (const [n, b] of world.addresses) if (b.address === address && (port === undefined || b.port === undefined || b.port === port)) return n;
        return undefined;
      },
    });
  }

  private idsnOf(name: string | undefined, version: 0 | 1): bigint | undefined {
    const k = name !== undefined ? this.env.world.keys.get(name) : undefined;
    return k === undefined ? undefined : keyIdsn(k, version);
  }

  /** Keys (by script name), tokens, IDSNs, ISNs per subflow, ports, current DSN / DACK. */
  describeEntries(): Array<[label: string, value: string]> {
    const { world } = this.env;
    const out: Array<[string, string]> = [];
    const hex = (n: bigint | number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;
    for (const c of world.connections) {
      const p = `connection ${c.id}`;
      if (!c.mptcp) continue;
      out.push([`${p} version`, `v${c.version}${c.checksum ? ', DSS checksums' : ''}`]);
      for (const side of ['script', 'stack'] as const) {
        const name = side === 'script' ? c.scriptKeyName : c.stackKeyName;
        const key = name !== undefined ? world.keys.get(name) : undefined;
        if (name === undefined || key === undefined) continue;
        const idsn = keyIdsn(key, c.version);
        out.push([`${p} ${side} key ${name}`, `${key} (${hex(key, 16)}), token ${hex(keyToken(key, c.version), 8)}, IDSN ${idsn} (${hex(idsn, 16)})`]);
        const next = side === 'script' ? c.scriptNextDsn : c.stackNextDsn;
        const cur = next ?? BigInt.asUintN(64, idsn + 1n);
        out.push([`${p} next ${side} DSN`, `${BigInt.asUintN(64, cur - idsn)} relative (${cur})`]);
      }
    }
    for (const s of world.subflows) {
      const p = `subflow ${s.id}`;
      out.push([`${p} tuple`, `stack ${s.localName ? `addr[${s.localName}] ` : ''}${endpointText(s.local)} <-> script ${s.remoteName ? `addr[${s.remoteName}] ` : ''}${endpointText(s.remote)}${s.join ? ' (MP_JOIN)' : ''}`]);
      out.push([`${p} ISNs`, `script ${s.scriptIsn ?? '?'}, stack ${s.stackIsn ? `${s.stackIsn.live} (script writes ${s.stackIsn.script})` : '?'}`]);
      if (s.scriptNonce !== undefined || s.stackNonce !== undefined) {
        out.push([`${p} MP_JOIN`, `script nonce ${s.scriptNonce !== undefined ? hex(s.scriptNonce, 8) : '?'} id ${s.scriptAddrId ?? '?'}, stack nonce ${s.stackNonce !== undefined ? hex(s.stackNonce, 8) : '?'} id ${s.stackAddrId ?? '?'}`]);
      }
    }
    for (const [n, a] of world.addresses) out.push([`addr[${n}]`, `${a.address}${a.port !== undefined ? ` port ${a.port}` : ''}${a.id !== undefined ? ` id ${a.id}` : ''}`]);
    return out;
  }

  describeState(): string[] {
    return this.describeEntries().map(([l, v]) => `${l}: ${v}`);
  }

  cleanupResets(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const s of this.env.world.subflows) {
      if (s.reset || s.scriptIsn === undefined) continue;
      // The stack's last ACK is where it expects the script's next byte: a RST there is accepted.
      const seq = s.lastStackAck ?? (s.scriptIsn + 1) >>> 0;
      out.push(
        encodeIp({
          ip: buildIpHeader(this.env.family, undefined, s.remote.address, s.local.address),
          tcp: { srcPort: s.remote.port, dstPort: s.local.port, seq, ack: 0, flags: TcpFlag.RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) },
          errors: [],
        }),
      );
      s.reset = true;
    }
    return out;
  }
}
