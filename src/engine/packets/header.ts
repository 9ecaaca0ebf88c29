// IP and TCP headers: built for inbound lines, compared for outbound ones (docs/language.md §7.1,
// §7.2), with packetdrill's sequence-number rules:
// - The script's ISN is the seq it writes on its SYN or SYN/ACK, sent as written; its later
//   segments count from it (`1:1001` after `< S. 123:123(0)` is 124:1124 on the wire), and so do
//   the stack's acks, except on the stack's SYN/ACK (and a first packet sent before any), whose
//   ack is compared as it is on the wire.
// - The stack's ISN is learned from its SYN or SYN/ACK; neither seq is compared. Its numbers
//   count from 0 (what a SYN/ACK writes is ignored); after an active open's SYN written
//   `START:…`, from START once the script injected its SYN/ACK.
// - A stack packet sent before any SYN or SYN/ACK of its own (a RST refusing a join or probe)
//   has its seq compared as it is on the wire: there is no ISN to count from.
// - An inbound packet with the ACK flag and no `ack` value acknowledges 0, counted from the
//   stack's ISN like any ack.
import type { IpInfo, TcpBody } from '../../script/ast.js';
import type { IpHeader, IpPacket, TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { flagsToString } from '../../wire/render.js';
import type { Line } from './line.js';
import { fieldMismatch, numberMismatch, PacketLineError, type FieldMismatch } from './types.js';

const ECN_BITS = { noecn: 0, ect1: 1, ect0: 2, ce: 3 } as const;

/** Flags as on the wire: the AccECN ACE value written after the flags sets AE, CWR, ECE. */
export function wireFlags(body: TcpBody): number {
  if (body.ace === undefined) return body.flags;
  const ace = body.ace;
  return (body.flags & ~(TcpFlag.AE | TcpFlag.CWR | TcpFlag.ECE)) | (ace & 4 ? TcpFlag.AE : 0) | (ace & 2 ? TcpFlag.CWR : 0) | (ace & 1 ? TcpFlag.ECE : 0);
}

export function buildIpHeader(family: 4 | 6, info: IpInfo | undefined, src: string, dst: string): IpHeader {
  if (info?.ecn === 'ect01') throw new PacketLineError('`ect01` (either ECT codepoint) is only allowed on outbound packets', info.range);
  const tos = info?.tos ?? (info?.ecn ? ECN_BITS[info.ecn] : 0);
  const ttl = info?.ttl ?? 64;
  if (family === 4) return { version: 4, tos, id: 0, fragment: 0x4000, ttl, protocol: 6, src, dst, options: new Uint8Array(0) };
  return { version: 6, trafficClass: tos, flowLabel: info?.flowLabel ?? 0, nextHeader: 6, hopLimit: ttl, src, dst, extensions: new Uint8Array(0) };
}

export function buildTcpHeader(line: Line): Omit<TcpSegment, 'options'> {
  const { body, sub } = line;
  if (body.win === undefined) throw new PacketLineError('window must be specified for inbound packets', body.range);
  const off = sub.stackOffset();
  const hasAck = (body.flags & TcpFlag.ACK) !== 0;
  return {
    srcPort: sub.remote.port,
    dstPort: sub.local.port,
    seq: body.flags & TcpFlag.SYN ? body.seqStart >>> 0 : (body.seqStart + sub.scriptOffset()) >>> 0,
    ack: hasAck || body.ack !== undefined ? ((body.ack ?? 0) + off) >>> 0 : 0,
    flags: wireFlags(body),
    window: body.win,
    urgent: body.urg ?? 0,
    payload: new Uint8Array(body.payloadLength),
  };
}

export function matchIpHeader(info: IpInfo | undefined, live: IpPacket, out: FieldMismatch[]): void {
  if (!info) return;
  const v4 = live.ip.version === 4;
  const tos = live.ip.version === 4 ? live.ip.tos : live.ip.trafficClass;
  const p = v4 ? 'ipv4' : 'ipv6';
  if (info.tos !== undefined && info.tos !== tos) out.push(numberMismatch(v4 ? 'ipv4_tos' : 'ipv6_traffic_class', info.tos, tos));
  if (info.ecn) {
    const ecn = tos & 3;
    const ok = info.ecn === 'ect01' ? ecn === 1 || ecn === 2 : ecn === ECN_BITS[info.ecn];
    if (!ok) out.push(fieldMismatch(`${p}_ecn`, info.ecn, ['noecn', 'ect1', 'ect0', 'ce'][ecn]!));
  }
  if (info.flowLabel !== undefined && live.ip.version === 6 && info.flowLabel !== live.ip.flowLabel) out.push(numberMismatch('ipv6_flow_label', info.flowLabel, live.ip.flowLabel));
  const ttl = live.ip.version === 4 ? live.ip.ttl : live.ip.hopLimit;
  if (info.ttl !== undefined && info.ttl !== ttl) out.push(numberMismatch(v4 ? 'ipv4_ttl' : 'ipv6_hop_limit', info.ttl, ttl));
}

export function payloadMismatch(expected: number, actual: number): FieldMismatch {
  return {
    field: 'tcp_payload_len',
    expected: String(expected),
    actual: String(actual),
    message: `live packet payload: expected ${expected} bytes vs actual ${actual} bytes`,
  };
}

export function flagsMismatch(want: number, got: number, mask: number): FieldMismatch | undefined {
  if ((want & mask) === (got & mask)) return undefined;
  return fieldMismatch('tcp_flags', flagsToString(want), flagsToString(got));
}

/** Compares the TCP header of the stack's segment (or of a split burst put back together). */
export function matchTcpHeader(line: Line, tcp: TcpSegment, out: FieldMismatch[]): void {
  const { body, sub, tx } = line;
  const want = wireFlags(body);
  const f = flagsMismatch(want, tcp.flags, ~0);
  if (f) out.push(f);
  const syn = (body.flags & TcpFlag.SYN) !== 0;
  if (syn) {
    // The stack's ISN: learned from its SYN / SYN-ACK, not compared; its numbers count from 0.
    const learned = { live: tcp.seq, script: 0 };
    const synSeq = body.flags & TcpFlag.ACK ? undefined : body.seqStart >>> 0;
    tx.later(() => {
      sub.stackIsn = learned;
      sub.stackSynSeq = synSeq;
    });
  } else {
    // No ISN yet (a RST refusing a join or a probe): the seq as it is on the wire.
    const rel = (tcp.seq - sub.stackOffset()) >>> 0;
    if (rel !== body.seqStart >>> 0) out.push(numberMismatch('tcp_seq', body.seqStart >>> 0, rel));
  }
  const len = tcp.payload.length;
  if (len !== body.payloadLength) out.push(payloadMismatch(body.payloadLength, len));
  // The stack acknowledges script data: counted from the script's ISN once the stack's
  // SYN/ACK is behind (its own ack, and any sent before it, are compared as on the wire).
  if (body.flags & TcpFlag.ACK && body.ack !== undefined) {
    const rel = syn || !sub.stackIsn ? tcp.ack : (tcp.ack - sub.scriptOffset()) >>> 0;
    if (rel !== body.ack >>> 0) out.push(numberMismatch('tcp_ack_seq', body.ack >>> 0, rel));
  }
  if (body.win !== undefined && body.win !== tcp.window) out.push(numberMismatch('tcp_window', body.win, tcp.window));
  if (body.urg !== undefined && body.urg !== tcp.urgent) out.push(numberMismatch('tcp_urg_ptr', body.urg, tcp.urgent));
}
