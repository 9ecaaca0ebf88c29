// Inbound ICMP errors (`< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]`): an ICMP or
// ICMPv6 message from the script's address quoting a segment the stack sent on the newest
// subflow (its sequence number remapped like an outbound line). packetdrill's type and code
// names; on IPv6 `unreachable frag_needed` means "packet too big".

import type { IcmpBody } from '../../script/ast.js';
import type { IpPacket } from '../../wire/packet.js';
import { encodeIp } from '../../wire/codec.js';
import { parseAddress } from '../../wire/addr.js';
import { finishChecksum, sumWords, transportChecksum } from '../../wire/checksum.js';
import type { Env } from './env.js';
import { buildIpHeader } from './header.js';
import { PacketLineError } from './types.js';

const V4_TYPES: Record<string, number> = {
  echo_reply: 0, unreachable: 3, source_quench: 4, redirect: 5, echo_request: 8, time_exceeded: 11, parameter_problem: 12,
  timestamp_request: 13, timestamp_reply: 14,
};
const V4_UNREACHABLE: Record<string, number> = {
  net_unreachable: 0, host_unreachable: 1, protocol_unreachable: 2, port_unreachable: 3, frag_needed: 4, source_route_failed: 5,
  net_unknown: 6, host_unknown: 7, source_host_isolated: 8, net_prohibited: 9, host_prohibited: 10, net_unreachable_for_tos: 11,
  host_unreachable_for_tos: 12, packet_filtered: 13, precedence_violation: 14, precedence_cutoff: 15,
};
const V6_TYPES: Record<string, number> = {
  unreachable: 1, packet_too_big: 2, time_exceeded: 3, parameter_problem: 4, echo_request: 128, echo_reply: 129,
};
const V6_UNREACHABLE: Record<string, number> = {
  no_route: 0, admin_prohibited: 1, beyond_scope: 2, address_unreachable: 3, port_unreachable: 4,
};

function typeAndCode(family: 4 | 6, body: IcmpBody): [number, number] {
  if (family === 6 && body.type === 'unreachable' && body.code === 'frag_needed') return [2, 0];
  const types = family === 4 ? V4_TYPES : V6_TYPES;
  const type = types[body.type];
  if (type === undefined) throw new PacketLineError(`unknown ICMP${family === 6 ? 'v6' : ''} type ${body.type}`, body.range);
  if (body.code === undefined) return [type, 0];
  const codes = type === (family === 4 ? 3 : 1) ? (family === 4 ? V4_UNREACHABLE : V6_UNREACHABLE) : {};
  const code = codes[body.code] ?? (/^\d+$/.test(body.code) ? Number(body.code) : undefined);
  if (code === undefined) throw new PacketLineError(`unknown ICMP code ${body.code} for type ${body.type}`, body.range);
  return [type, code];
}

/** The IP packet the message quotes: the stack's segment, headers only (what routers keep). */
function quoted(env: Env, body: IcmpBody): Uint8Array {
  const sub = env.world.newest();
  if (!sub) throw new PacketLineError('an ICMP error needs a connection whose packet it quotes', body.range);
  const e = body.echoed;
  const seq = ((e?.seqStart ?? 0) + sub.stackOffset()) >>> 0;
  const pkt: IpPacket = {
    ip: buildIpHeader(env.family, undefined, sub.local.address, sub.remote.address),
    tcp: { srcPort: sub.local.port, dstPort: sub.remote.port, seq, ack: 0, flags: 0x10, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) },
    errors: [],
  };
  const bytes = encodeIp(pkt);
  // Say the original carried its payload (total / payload length), though only headers are quoted.
  const len = e?.payloadLength ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (env.family === 4) view.setUint16(2, (bytes.length + len) & 0xffff);
  else view.setUint16(4, (bytes.length - 40 + len) & 0xffff);
  return bytes;
}

export function buildIcmp(env: Env, body: IcmpBody): IpPacket {
  const [type, code] = typeAndCode(env.family, body);
  const inner = body.echoed ? quoted(env, body) : new Uint8Array(0);
  const msg = new Uint8Array(8 + inner.length);
  msg[0] = type;
  msg[1] = code;
  const view = new DataView(msg.buffer);
  if (body.mtu !== undefined) {
    if (env.family === 4) view.setUint16(6, body.mtu);
    else view.setUint32(4, body.mtu);
  } else if (body.id !== undefined) view.setUint16(4, body.id);
  msg.set(inner, 8);
  const sub = env.world.newest();
  const src = sub?.remote.address ?? env.ctx.remoteIp;
  const dst = sub?.local.address ?? env.ctx.localIp;
  // ICMPv6 covers the IPv6 pseudo-header; ICMP only the message.
  const s = parseAddress(src)!.bytes;
  const d = parseAddress(dst)!.bytes;
  view.setUint16(2, env.family === 6 ? transportChecksum(s, 0, d, 0, 16, 58, msg, 0, msg.length, 2) : finishChecksum(sumWords(msg, 0, msg.length)));
  const ip = buildIpHeader(env.family, undefined, src, dst);
  if (ip.version === 4) ip.protocol = 1;
  else ip.nextHeader = 58;
  return { ip, other: { protocol: env.family === 4 ? 1 : 58, bytes: msg }, errors: [] };
}
