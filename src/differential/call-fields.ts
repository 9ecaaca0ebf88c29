// The comparable fields of a call's output (TraceCallOutput): what the call gave back beyond its
// return value. Addresses, ephemeral ports and fds are named by the trace normalizer (by order of
// appearance, shared with the packets); option values of integer size are compared exactly;
// known structs (tcp_info, mptcp_info, the SOL_MPTCP arrays) become one field per C field, of
// which compare.ts compares only the stable ones by default (STRUCT_STABLE).

import { MPTCP_FULL_INFO, MPTCP_TCPINFO, SOL_MPTCP } from '../engine/syscalls/mptcp-arrays.js';
import type { TraceCallOutput } from '../engine/types.js';
import {
  MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_FULL_INFO_INFO_OFFSET, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_DATA_LAYOUT, MPTCP_SUBFLOW_INFO_ADDRS_OFFSET,
  MPTCP_SUBFLOW_INFO_LAYOUT,
} from '../sys/mptcp-structs.js';
import { decodeStruct, type StructLayout } from '../sys/struct-layout.js';
import { decodeSubflowAddrs } from '../sys/structs.js';
import { TCP_INFO_LAYOUT } from '../sys/tcp-info.js';
import type { SockAddr } from '../targets/target.js';
import { fromHex } from '../wire/bytes.js';
import type { NormField } from './normalize.js';

const SOL_TCP = 6;
const TCP_INFO = 11;
const MPTCP_INFO = 1;
const MPTCP_SUBFLOW_ADDRS = 3;

/** How the normalizer names per-run values. */
export interface Namer {
  sockaddr(a: SockAddr): string;
  fd(n: number): string;
}

/** Every field name this file can produce (for FIELD_NAMES). */
export const CALL_OUTPUT_FIELDS: readonly string[] = [
  'out-len', 'out-data', 'msg-flags', 'out-addr', 'control-len', 'revents', 'epoll-events', 'out-fds', 'optlen', 'opt-value',
  'sf-addrs',
];

/** The struct fields a differential run names: the C fields of these layouts (pointers left out: user addresses). */
const STRUCT_LAYOUTS: readonly StructLayout[] = [TCP_INFO_LAYOUT, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_DATA_LAYOUT, MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_SUBFLOW_INFO_LAYOUT];
const POINTERS = new Set(['subflow_info', 'tcp_info']);
export const STRUCT_FIELDS: readonly string[] = [...new Set(STRUCT_LAYOUTS.flatMap((l) => l.fields.map((f) => f.name)).filter((n) => !POINTERS.has(n)))];

/** Little-endian integer of up to 8 bytes, as text. */
function leInt(bytes: Uint8Array): string {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v.toString();
}

/** A value that is not an integer and not a known struct: text when it is (TCP_CONGESTION), else hex. */
function opaque(bytes: Uint8Array, hex: string): string {
  const end = bytes.indexOf(0);
  const text = Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) && bytes.subarray(end < 0 ? bytes.length : end).every((b) => b === 0) ? `"${text}"` : hex;
}

class Fields {
  readonly out: NormField[] = [];
  private readonly seen = new Map<string, number>();
  /** Repeats of a name (array elements) get `#N`, as repeated packet options do. */
  add(name: string, value: string): void {
    const n = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, n);
    this.out.push({ name: n === 1 ? name : `${name}#${n}`, value });
  }
  struct(layout: StructLayout, bytes: Uint8Array, at = 0): void {
    if (bytes.length <= at) return;
    const values = decodeStruct(layout, bytes.subarray(at, Math.min(bytes.length, at + layout.size)));
    for (const f of layout.fields) {
      const v = values[f.name];
      if (v !== undefined && !POINTERS.has(f.name)) this.add(f.name, String(v));
    }
  }
}

function subflowAddrs(bytes: Uint8Array, at: number, namer: Namer): string {
  const { local, remote } = decodeSubflowAddrs(bytes, at);
  const side = (a: SockAddr | null): string => (a ? namer.sockaddr(a) : 'none');
  return `${side(local)} > ${side(remote)}`;
}

/** Elements of `count` items `stride` apart, each given to `each` at its offset. */
function elements(bytes: Uint8Array | undefined, count: number, stride: number, each: (at: number) => void): void {
  if (!bytes || stride <= 0) return;
  for (let i = 0; i < count && (i + 1) * stride <= bytes.length; i++) each(i * stride);
}

function optFields(o: Extract<TraceCallOutput, { kind: 'opt' }>, f: Fields, namer: Namer): void {
  f.add('optlen', String(o.optlen));
  const value = (fromHex(o.value) ?? new Uint8Array(0)).subarray(0, Math.max(0, o.optlen));
  if (o.optlen <= 8) { f.add('opt-value', leInt(value)); return; }
  if (o.level === SOL_TCP && o.optname === TCP_INFO) { f.struct(TCP_INFO_LAYOUT, value); return; }
  if (o.level !== SOL_MPTCP) { f.add('opt-value', opaque(value, o.value.slice(0, 2 * o.optlen))); return; }
  if (o.optname === MPTCP_INFO) { f.struct(MPTCP_INFO_LAYOUT, value); return; }
  if (o.optname === MPTCP_TCPINFO || o.optname === MPTCP_SUBFLOW_ADDRS) {
    f.struct(MPTCP_SUBFLOW_DATA_LAYOUT, value);
    const head = decodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, value);
    const start = Number(head.size_subflow_data ?? 0);
    const stride = Number(head.size_user ?? 0);
    const arr = value.subarray(Math.min(value.length, start));
    const count = stride > 0 ? Math.floor(arr.length / stride) : 0;
    if (o.optname === MPTCP_TCPINFO) elements(arr, count, stride, (at) => f.struct(TCP_INFO_LAYOUT, arr.subarray(0, at + stride), at));
    else elements(arr, count, stride, (at) => f.add('sf-addrs', subflowAddrs(arr, at, namer)));
    return;
  }
  if (o.optname === MPTCP_FULL_INFO) {
    f.struct(MPTCP_FULL_INFO_HEADER_LAYOUT, value);
    f.struct(MPTCP_INFO_LAYOUT, value, MPTCP_FULL_INFO_INFO_OFFSET);
    const head = decodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, value);
    const count = Math.min(Number(head.num_subflows ?? 0), Number(head.size_arrays_user ?? 0));
    const [sf, ti] = (o.buffers ?? []).map((h) => fromHex(h) ?? new Uint8Array(0));
    const sfStride = Number(head.size_sfinfo_user ?? 0);
    elements(sf, count, sfStride, (at) => {
      f.struct(MPTCP_SUBFLOW_INFO_LAYOUT, sf!.subarray(0, at + sfStride), at);
      if (sfStride > MPTCP_SUBFLOW_INFO_ADDRS_OFFSET) f.add('sf-addrs', subflowAddrs(sf!.subarray(0, at + sfStride), at + MPTCP_SUBFLOW_INFO_ADDRS_OFFSET, namer));
    });
    const tiStride = Number(head.size_tcpinfo_user ?? 0);
    elements(ti, count, tiStride, (at) => f.struct(TCP_INFO_LAYOUT, ti!.subarray(0, at + tiStride), at));
    return;
  }
  f.add('opt-value', o.value);
}

/** The fields of one call's output, in a fixed order. */
export function callOutputFields(o: TraceCallOutput, namer: Namer): NormField[] {
  const f = new Fields();
  switch (o.kind) {
    case 'data':
      // The targets differ in what they leave out, not in what they say: the bundled stack gives
      // no data for end of file and no msg_flags when they are 0, the kernel target both.
      if (o.len > 0) {
        f.add('out-len', String(o.len));
        f.add('out-data', `sha256 ${o.sha}`);
      }
      if (o.flags) f.add('msg-flags', `0x${o.flags.toString(16)}`);
      if (o.addr) f.add('out-addr', namer.sockaddr(o.addr));
      if (o.controlLen) f.add('control-len', String(o.controlLen));
      break;
    case 'addr': f.add('out-addr', namer.sockaddr(o.addr)); break;
    case 'poll': f.add('revents', o.revents.map((r) => `0x${r.toString(16)}`).join(',')); break;
    case 'epoll': f.add('epoll-events', o.events.map((e) => `0x${e.events.toString(16)}/${e.data}`).join(',') || 'none'); break;
    case 'fds': f.add('out-fds', o.fds.map((n) => namer.fd(n)).join(',')); break;
    case 'opt': optFields(o, f, namer); break;
  }
  return f.out;
}
