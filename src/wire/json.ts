// The JSON form of a decoded packet (`mptcpdrill decode --json`). 64-bit values are decimal
// strings (JSON numbers lose precision past 2^53); byte strings are lower-case hex; fields a
// packet does not carry are omitted.

import type { IpPacket, MptcpOption, TcpOption } from './packet.js';
import { toHex } from './bytes.js';
import { flagsToString } from './render.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function put(o: JsonObject, name: string, value: JsonValue | undefined): void {
  if (value !== undefined) o[name] = value;
}

function str64(v: bigint | undefined): string | undefined {
  return v === undefined ? undefined : v.toString();
}

function hex(v: Uint8Array | undefined): string | undefined {
  return v === undefined ? undefined : toHex(v);
}

export function mptcpOptionToJson(m: MptcpOption): JsonObject {
  const o: JsonObject = { kind: 'mptcp', subtype: m.subtype };
  switch (m.subtype) {
    case 'mp_capable':
      o.version = m.version;
      o.flags = m.flags;
      put(o, 'sender_key', str64(m.senderKey));
      put(o, 'receiver_key', str64(m.receiverKey));
      put(o, 'data_len', m.dataLen);
      put(o, 'checksum', m.checksum);
      break;
    case 'mp_join':
      o.backup = m.backup;
      put(o, 'address_id', m.addressId);
      put(o, 'token', m.token);
      put(o, 'nonce', m.nonce);
      put(o, 'hmac', hex(m.hmac));
      break;
    case 'dss':
      put(o, 'data_ack', str64(m.dataAck));
      put(o, 'dsn', str64(m.dsn));
      put(o, 'ssn', m.ssn);
      put(o, 'dll', m.dll);
      put(o, 'checksum', m.checksum);
      o.data_fin = m.dataFin;
      o.data_ack_64 = m.dataAck64;
      o.dsn_64 = m.dsn64;
      break;
    case 'add_addr':
      o.echo = m.echo;
      o.address_id = m.addressId;
      o.address = m.address;
      put(o, 'port', m.port);
      put(o, 'hmac', hex(m.hmac));
      break;
    case 'remove_addr':
      o.address_ids = m.addressIds;
      break;
    case 'mp_prio':
      o.backup = m.backup;
      put(o, 'address_id', m.addressId);
      break;
    case 'mp_fail':
      o.dsn = m.dsn.toString();
      break;
    case 'mp_fastclose':
      o.receiver_key = m.receiverKey.toString();
      break;
    case 'mp_tcprst':
      o.flags = m.flags;
      o.reason = m.reason;
      break;
    case 'unknown':
      o.code = m.code;
      o.data = toHex(m.data);
      put(o, 'reason', m.reason);
      break;
  }
  return o;
}

export function tcpOptionToJson(t: TcpOption): JsonObject {
  switch (t.kind) {
    case 'eol':
    case 'nop':
      return { kind: t.kind };
    case 'mss':
    case 'wscale':
      return { kind: t.kind, value: t.kind === 'mss' ? t.mss : t.shift };
    case 'sack_permitted':
      return { kind: 'sack_permitted' };
    case 'sack':
      return { kind: 'sack', blocks: t.blocks.map(([l, r]) => [l, r]) };
    case 'timestamp':
      return { kind: 'timestamp', val: t.val, ecr: t.ecr };
    case 'fastopen':
      return { kind: 'fastopen', cookie: toHex(t.cookie), experimental: t.experimental };
    case 'md5':
      return { kind: 'md5', digest: toHex(t.digest) };
    case 'mptcp':
      return mptcpOptionToJson(t);
    case 'unknown':
      return { kind: 'unknown', code: t.code, data: toHex(t.data) };
    case 'malformed':
      return { kind: 'malformed', offset: t.offset, reason: t.reason };
  }
}

/** The documented JSON object of one packet; `frame` and `time` come from the capture. */
export function packetToJson(pkt: IpPacket, frame: number, time: number): JsonObject {
  const o: JsonObject = { frame, time, src: pkt.ip.src, dst: pkt.ip.dst };
  const tcp = pkt.tcp;
  if (tcp) {
    o.sport = tcp.srcPort;
    o.dport = tcp.dstPort;
    o.flags = flagsToString(tcp.flags);
    o.seq = tcp.seq;
    o.ack = tcp.ack;
    o.win = tcp.window;
    o.len = tcp.payload.length;
    o.options = tcp.options.map(tcpOptionToJson);
  } else if (pkt.raw) {
    o.len = pkt.raw.length;
  } else if (pkt.other) {
    o.protocol = pkt.other.protocol;
    o.len = pkt.other.bytes.length;
  }
  // A partial checksum (the pseudo-header sum that checksum offload leaves for the NIC to finish)
  // is how a capturing host records its own outgoing packets, not damage: `checksum: "partial"`,
  // and `errors` keeps its meaning (the packet is damaged).
  const damage = pkt.errors.filter((e) => !PARTIAL_CHECKSUM.test(e));
  if (damage.length < pkt.errors.length) o.checksum = 'partial';
  if (damage.length) o.errors = damage;
  return o;
}

/** The decoder's note for a TCP checksum left partial by checksum offload (src/wire/ip.ts). */
const PARTIAL_CHECKSUM = /^TCP checksum 0x[0-9a-f]+ is partial \(pseudo-header only/;
