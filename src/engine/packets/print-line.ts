// A packet line of the script as .pkt text, for failure reports ("expected" side). The tuple is
// filled with the live endpoints of the line's subflow and key names with their values when known.

import type { DssField, Endpoint, HmacSpec, KeyRef, PacketAction, SeqValue, TcpOptionSpec, TokenSpec } from '../../script/ast.js';
import { renderTcpOption } from '../../wire/render.js';
import { toHex } from '../../wire/bytes.js';
import { plainTcpOption } from './options-build.js';

function seqValue(v: SeqValue): string {
  if (v.kind === 'relative') return String(v.value);
  if (v.kind === 'idsn_of_name') return `trunc_r64_hmac(${v.name})${v.plus ? `+${v.plus}` : ''}`;
  return `trunc_r64_hmac_${v.alg}(${v.key})`;
}

function dssField(name: string, f: DssField | undefined): string[] {
  if (!f) return [];
  return [`${name}${f.width}${f.value ? `=${seqValue(f.value)}` : ''}`];
}

function token(t: TokenSpec): string {
  if (t.kind === 'literal') return `token=${t.value}`;
  if (t.kind === 'hash') return `token=${t.alg}_32(${t.name})`;
  return 'token=auto';
}

function hmac(h: HmacSpec): string {
  if (h.kind === 'auto') return h.spelling === 'token' ? 'token=auto' : 'sender_hmac=auto';
  if (h.kind === 'literal') return `sender_hmac=${h.value}`;
  if (h.kind === 'keys') return `sender_hmac=${h.form}_hmac(${h.first} ${h.second})`;
  return `sender_hmac=trunc_l64_hmac(${h.value})`;
}

function addressId(id: number | 'auto' | undefined): string[] {
  return id === undefined ? [] : [`address_id=${id}`];
}

const FLAG_NAMES = ['flag_h', 'flag_g', 'flag_f', 'flag_e', 'flag_d', 'flag_c', 'flag_b', 'flag_a'];

/** The value a key name holds now, to print `name=value` for names the run has bound. */
export type KeyLookup = (name: string) => bigint | undefined;

function keyRef(k: KeyRef, lookup: KeyLookup | undefined): string {
  const v = k.value ?? lookup?.(k.name);
  return v !== undefined ? `${k.name}=${v}` : k.name;
}

export function optionText(o: TcpOptionSpec, lookup?: KeyLookup): string {
  const plain = o.kind !== 'accecn' && o.kind !== 'raw' ? plainTcpOption(o) : undefined;
  if (plain) return renderTcpOption(plain);
  switch (o.kind) {
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'timestamp':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'accecn':
      return `ECN ${o.fields.map((f) => `${f.name} ${f.value}`).join(' ')}`;
    case 'raw':
      return `raw ${o.code}${o.data.length > 0 ? ` 0x${toHex(o.data)}` : ''}`;
    case 'mp_capable': {
      const flags = o.flags === 0 ? 'no_flags' : FLAG_NAMES.filter((_, i) => o.flags & (1 << i)).reverse().join(', ');
      const keys = o.keys.length ? `key[${o.keys.map((k) => keyRef(k, lookup)).join(', ')}]` : 'nokey';
      const version = o.legacy ? 'v0' : o.version === 'default' ? 'none' : `v${o.version}`;
      return `mpcapable ${version} flags[${flags}] ${keys}${o.dataLen !== undefined ? ` mpcdatalen ${o.dataLen}` : ''}${o.checksum !== undefined ? ` cksum=${o.checksum}` : ''}`;
    }
    case 'mp_join_syn':
      return ['mp_join_syn', ...(o.backup !== undefined ? [`backup=${o.backup}`] : []), ...addressId(o.addressId), token(o.token), ...(o.rand !== undefined ? [`rand=${o.rand}`] : [])].join(' ');
    case 'mp_join_syn_ack':
      return ['mp_join_syn_ack', ...(o.backup !== undefined ? [`backup=${o.backup}`] : []), ...addressId(o.addressId), hmac(o.hmac), ...(o.rand !== undefined ? [`rand=${o.rand}`] : [])].join(' ');
    case 'mp_join_ack':
      return `mp_join_ack ${hmac(o.hmac)}`;
    case 'dss': {
      const parts = ['dss', ...dssField('dack', o.dack), ...dssField('dsn', o.dsn)];
      if (o.ssn !== undefined) parts.push(`ssn=${o.ssn}`);
      if (o.dll !== undefined) parts.push(`dll=${o.dll}`);
      if (o.checksum.kind === 'none' && !o.bare) parts.push('nocs');
      if (o.checksum.kind === 'literal') parts.push(`cksum=${o.checksum.value}`);
      if (o.fin) parts.push('fin');
      return parts.join(' ');
    }
    case 'add_address': {
      const lit = o.addr.literal;
      const addr = `addr[${o.addr.name}${lit ? `=${lit.family}_addr("${lit.address}")` : ''}]`;
      const h = o.hmac.kind === 'echo' ? 'addr_echo' : o.hmac.kind === 'auto' ? 'hmac=auto' : `hmac=${o.hmac.value}`;
      return ['add_address', ...addressId(o.addressId), addr, ...(o.port !== undefined ? [`port=${o.port}`] : []), h].join(' ');
    }
    case 'remove_address':
      return `remove_address address_id=[${o.addressIds.join(', ')}]`;
    case 'mp_prio':
      return ['mp_prio', ...(o.backup !== undefined ? [`backup=${o.backup}`] : []), ...addressId(o.addressId)].join(' ');
    case 'mp_fail':
      return ['mp_fail', ...dssField('dsn', o.dsn)].join(' ');
    case 'mp_fastclose':
      return ['mp_fastclose', ...(o.key ? [keyRef(o.key, lookup)] : []), ...(o.plus ? [`+${o.plus}`] : [])].join(' ');
    case 'mp_reset':
      return `mp_reset ${o.reason}${o.flags & 1 ? ' flags[flag_t]' : ''}`;
    default:
      return o.kind;
  }
}

function endpointText(e: Endpoint): string {
  if (e.kind === 'port') return String(e.port);
  if (e.kind === 'named') return `addr[${e.name}]`;
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The line without time: `< S 0:0(0) win 1000 <mss 1460>`; `tuple` replaces the written one. */
export function printPacketLine(action: PacketAction, tuple?: string, lookup?: KeyLookup): string {
  const parts: string[] = [action.direction === 'inbound' ? '<' : '>'];
  const ip = action.ip;
  if (ip) {
    const bits: string[] = [];
    if (ip.ecn) bits.push(ip.ecn);
    if (ip.tos !== undefined) bits.push(`tos 0x${ip.tos.toString(16)}`);
    if (ip.flowLabel !== undefined) bits.push(`flowlabel 0x${ip.flowLabel.toString(16)}`);
    if (ip.ttl !== undefined) bits.push(`ttl ${ip.ttl}`);
    parts.push(`[${bits.join(', ')}]`);
  }
  const written = action.tuple ? `${action.tuple.src ? endpointText(action.tuple.src) : ''} > ${action.tuple.dst ? endpointText(action.tuple.dst) : ''}` : undefined;
  const t = tuple ?? written;
  if (t) parts.push(t);
  const b = action.body;
  if (b.kind === 'udp') parts.push(`udp (${b.payloadLength})`);
  else if (b.kind === 'icmp') parts.push(`icmp ${b.type}${b.code ? ` ${b.code}` : ''}`);
  else {
    parts.push(`${b.flagsText}${b.ace !== undefined && !b.flagsText.endsWith(String(b.ace)) ? b.ace : ''}`, `${b.seqStart}:${b.seqEnd}(${b.payloadLength})`);
    if (b.ack !== undefined) parts.push(`ack ${b.ack}`);
    if (b.win !== undefined) parts.push(`win ${b.win}`);
    if (b.urg !== undefined) parts.push(`urg ${b.urg}`);
    if (b.options === 'any') parts.push('<...>');
    else if (b.options !== 'none') parts.push(`<${b.options.map((o) => optionText(o, lookup)).join(', ')}>`);
  }
  if (action.badChecksum) parts.push('(bad_csum)');
  return parts.join(' ');
}
