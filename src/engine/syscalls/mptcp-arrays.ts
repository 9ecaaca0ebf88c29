// The SOL_MPTCP getsockopts that return arrays, written as their kernel structs (Linux
// include/uapi/linux/mptcp.h, net/mptcp/sockopt.c) with one expectation per subflow, in the kernel's subflow
// order (the initial subflow first, then the joins as they were made):
//
//   MPTCP_TCPINFO        {size_subflow_data=16, num_subflows=2, size_kernel=280, size_user=280,
//                         tcp_info=[{tcpi_state=TCP_ESTABLISHED}, ...]}
//   MPTCP_SUBFLOW_ADDRS  {num_subflows=2, addrs=[{sin_local={...}, sin_remote={...}}, ...]}
//   MPTCP_FULL_INFO      {num_subflows=2, size_arrays_user=2, mptcp_info={mptcpi_...=...},
//                         subflow_info=[{id=1, addrs={sin_local=...}}, ...], tcp_info=[{tcpi_...}, ...]}
//
// The fields the caller fills in (size_subflow_data, size_user; size_tcpinfo_user,
// size_sfinfo_user, size_arrays_user) are sent as written (defaults: 16 and the kernel's element
// sizes, and as many array slots as elements written) and checked like the others on return. An
// array without a trailing `...` must have exactly as many elements as written.

import type { Expr, SourceRange, StructExpr } from '../../script/ast.js';
import type { PointedBuffer, SyscallResult } from '../../targets/target.js';
import {
  MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_FULL_INFO_INFO_OFFSET, MPTCP_FULL_INFO_SIZE, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_ADDRS_SIZE,
  MPTCP_SUBFLOW_DATA_LAYOUT, MPTCP_SUBFLOW_INFO_ADDRS_OFFSET, MPTCP_SUBFLOW_INFO_LAYOUT, SOCKADDR_STORAGE_SIZE,
} from '../../sys/mptcp-structs.js';
import { decodeStruct, encodeStruct, type StructLayout } from '../../sys/struct-layout.js';
import { decodeSockAddr } from '../../sys/structs.js';
import { TCP_INFO_LAYOUT } from '../../sys/tcp-info.js';
import { expectedSockaddr, sockaddrMismatch } from './expect-sockaddr.js';
import { countMismatch, elementList, fieldMismatch, wantedFields, written, type ElementList } from './expect-struct.js';
import { CallError, intArg, isEllipsis } from './expr.js';
import type { OutputCheck } from './outputs.js';

export const SOL_MPTCP = 284;
export const MPTCP_TCPINFO = 2;
export const MPTCP_SUBFLOW_ADDRS = 3;
export const MPTCP_FULL_INFO = 4;

/** Array slots a trailing `...` adds when the script does not say how many it wants. */
const OPEN_SLOTS = 8;

/** What the engine sends for one of these calls, and the check of what comes back. */
export interface ArrayCall {
  value: Uint8Array;
  optlen: number;
  buffers?: PointedBuffer[];
  check: OutputCheck | undefined;
}

export const isMptcpArrayOption = (level: number, optname: number): boolean =>
  level === SOL_MPTCP && (optname === MPTCP_TCPINFO || optname === MPTCP_SUBFLOW_ADDRS || optname === MPTCP_FULL_INFO);

/** One element's expectation against its bytes (as many as the caller's element size). */
type ElementCheck = (bytes: Uint8Array, what: string) => string | undefined;

function tcpInfoElement(s: StructExpr): ElementCheck {
  const wanted = wantedFields(s, TCP_INFO_LAYOUT);
  return (bytes, what) => fieldMismatch(wanted, decodeStruct(TCP_INFO_LAYOUT, bytes), what, `not returned: ${bytes.length}-byte element`);
}

const SIDES = { local: ['sa_local', 'sin_local', 'sin6_local', 'ss_local'], remote: ['sa_remote', 'sin_remote', 'sin6_remote', 'ss_remote'] } as const;

/** struct mptcp_subflow_addrs: the local and the remote sockaddr, each under any of its union names. */
function addrsElement(s: StructExpr): ElementCheck {
  const known: string[] = [...SIDES.local, ...SIDES.remote];
  for (const f of s.fields) {
    if (f.name === undefined || !known.includes(f.name)) throw new CallError(`struct mptcp_subflow_addrs has no field ${f.name ?? '(positional)'}`, f.range);
  }
  const side = (names: readonly string[]) => {
    const f = s.fields.find((x) => x.name !== undefined && names.includes(x.name));
    if (!f || isEllipsis(f.value)) return undefined;
    if (f.value.kind !== 'struct') throw new CallError(`${f.name} must be a {sa_family=..., sin_port=..., sin_addr=...} struct`, f.value.range);
    return { name: f.name!, want: expectedSockaddr(f.value) };
  };
  const local = side(SIDES.local);
  const remote = side(SIDES.remote);
  return (bytes, what) => {
    for (const [exp, at] of [[local, 0], [remote, SOCKADDR_STORAGE_SIZE]] as const) {
      if (!exp) continue;
      const got = bytes.length >= at + 2 ? decodeSockAddr(bytes.subarray(at, Math.min(bytes.length, at + SOCKADDR_STORAGE_SIZE))) : null;
      const m = sockaddrMismatch(exp.want, got, `${what} ${exp.name}`);
      if (m) return m;
    }
    return undefined;
  };
}

/** struct mptcp_subflow_info: `id`, and `addrs` at offset 8. */
function subflowInfoElement(s: StructExpr): ElementCheck {
  const wanted = wantedFields(s, MPTCP_SUBFLOW_INFO_LAYOUT, new Set(['addrs']));
  const addrs = written(s, 'addrs');
  if (addrs && addrs.kind !== 'struct') throw new CallError('addrs must be a {sin_local=..., sin_remote=...} struct', addrs.range);
  const inner = addrs?.kind === 'struct' ? addrsElement(addrs) : undefined;
  return (bytes, what) =>
    fieldMismatch(wanted, decodeStruct(MPTCP_SUBFLOW_INFO_LAYOUT, bytes), what, `not returned: ${bytes.length}-byte element`)
    ?? inner?.(bytes.subarray(Math.min(bytes.length, MPTCP_SUBFLOW_INFO_ADDRS_OFFSET)), `${what} addrs`);
}

interface Elements {
  list: ElementList;
  checks: Array<ElementCheck | undefined>;
  name: string;
}

function elements(s: StructExpr, name: string, make: (e: StructExpr) => ElementCheck, what: string): Elements | undefined {
  const list = elementList(written(s, name), `${what} ${name}`);
  return list && { list, checks: list.items.map((it) => (it ? make(it) : undefined)), name };
}

/** Slots to ask for: as many as written, a few more when the list is open. */
const slots = (e: Elements | undefined): number => (e ? e.list.items.length + (e.list.open ? OPEN_SLOTS : 0) : 0);

/** Checks `count` elements laid `stride` bytes apart in `bytes` against the list. */
function checkElements(e: Elements | undefined, bytes: Uint8Array | undefined, count: number, stride: number, what: string): string | undefined {
  if (!e) return undefined;
  const counted = countMismatch(e.list, count, `${what} ${e.name}`);
  if (counted) return counted;
  if (!bytes && count > 0) return `${what} ${e.name}: the target returned no array`;
  for (let i = 0; i < Math.min(count, e.checks.length); i++) {
    const m = e.checks[i]?.(bytes!.subarray(i * stride, (i + 1) * stride), `${what} ${e.name}[${i}]`);
    if (m) return m;
  }
  return undefined;
}

const int = (s: StructExpr, name: string, fallback: number): number => {
  const e = written(s, name);
  return e === undefined ? fallback : intArg(e, name);
};

/** MPTCP_TCPINFO / MPTCP_SUBFLOW_ADDRS: a mptcp_subflow_data header, then the elements. */
function subflowData(optname: number, s: StructExpr, optlenWritten: number | undefined, what: string): ArrayCall {
  const tcp = optname === MPTCP_TCPINFO;
  const arrayName = tcp ? 'tcp_info' : 'addrs';
  const kernelSize = tcp ? TCP_INFO_LAYOUT.size : MPTCP_SUBFLOW_ADDRS_SIZE;
  const header = wantedFields(s, MPTCP_SUBFLOW_DATA_LAYOUT, new Set([arrayName]));
  const list = elements(s, arrayName, tcp ? tcpInfoElement : addrsElement, what);
  const sizeData = int(s, 'size_subflow_data', MPTCP_SUBFLOW_DATA_LAYOUT.size);
  const sizeUser = int(s, 'size_user', kernelSize);
  const optlen = optlenWritten ?? sizeData + slots(list) * Math.min(sizeUser, kernelSize);
  const value = new Uint8Array(Math.max(optlen, MPTCP_SUBFLOW_DATA_LAYOUT.size));
  encodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, { size_subflow_data: sizeData, size_user: sizeUser }, value);
  const check: OutputCheck = (r) => {
    if (r.ret < 0) return undefined;
    if (r.out?.kind !== 'opt') return `${what}: the call returned no value`;
    const got = decodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, r.out.value);
    const m = fieldMismatch(header, got, what, `not returned; optlen ${r.out.optlen}`);
    if (m) return m;
    // optlen is size_subflow_data + the bytes copied, or the header alone when nothing was.
    const stride = Number(got.size_user ?? 0);
    const count = stride > 0 && r.out.optlen > sizeData ? Math.floor((r.out.optlen - sizeData) / stride) : 0;
    return checkElements(list, r.out.value.subarray(sizeData), count, stride, what);
  };
  return { value, optlen, check };
}

const FULL_INFO_ARRAYS = ['subflow_info', 'tcp_info'] as const;
const at = (layout: StructLayout, name: string): number => layout.byName.get(name)!.offset;

/** MPTCP_FULL_INFO: the header points to the two arrays; struct mptcp_info follows it. */
function fullInfo(s: StructExpr, optlenWritten: number | undefined, what: string): ArrayCall {
  const header = wantedFields(s, MPTCP_FULL_INFO_HEADER_LAYOUT, new Set([...FULL_INFO_ARRAYS, 'mptcp_info']));
  const infoExpr = written(s, 'mptcp_info');
  if (infoExpr && infoExpr.kind !== 'struct') throw new CallError('mptcp_info must be a {mptcpi_...=...} struct', infoExpr.range);
  const info = infoExpr?.kind === 'struct' ? wantedFields(infoExpr, MPTCP_INFO_LAYOUT) : [];
  const sf = elements(s, 'subflow_info', subflowInfoElement, what);
  const ti = elements(s, 'tcp_info', tcpInfoElement, what);
  const tiUser = int(s, 'size_tcpinfo_user', TCP_INFO_LAYOUT.size);
  const sfUser = int(s, 'size_sfinfo_user', MPTCP_SUBFLOW_INFO_LAYOUT.size);
  const arrays = int(s, 'size_arrays_user', Math.max(slots(sf), slots(ti)));
  const optlen = optlenWritten ?? MPTCP_FULL_INFO_SIZE;
  const value = new Uint8Array(Math.max(optlen, MPTCP_FULL_INFO_INFO_OFFSET));
  encodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, { size_tcpinfo_user: tiUser, size_sfinfo_user: sfUser, size_arrays_user: arrays }, value);
  const buffers: PointedBuffer[] = [
    { at: at(MPTCP_FULL_INFO_HEADER_LAYOUT, 'subflow_info'), size: Math.max(0, sfUser) * Math.max(0, arrays) },
    { at: at(MPTCP_FULL_INFO_HEADER_LAYOUT, 'tcp_info'), size: Math.max(0, tiUser) * Math.max(0, arrays) },
  ];
  const check: OutputCheck = (r: SyscallResult) => {
    if (r.ret < 0) return undefined;
    if (r.out?.kind !== 'opt') return `${what}: the call returned no value`;
    const got = decodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, r.out.value);
    const missing = `not returned; optlen ${r.out.optlen}`;
    const m = fieldMismatch(header, got, what, missing)
      ?? fieldMismatch(info, decodeStruct(MPTCP_INFO_LAYOUT, r.out.value.subarray(Math.min(r.out.value.length, MPTCP_FULL_INFO_INFO_OFFSET))), `${what} mptcp_info`, missing);
    if (m) return m;
    const count = Math.min(Number(got.num_subflows ?? 0), arrays);
    const [sfBytes, tiBytes] = r.out.buffers ?? [];
    return checkElements(sf, sfBytes, count, Number(got.size_sfinfo_user ?? 0), what)
      ?? checkElements(ti, tiBytes, Number(got.size_tcpinfo_user ?? 0) > 0 ? count : 0, Number(got.size_tcpinfo_user ?? 0), what);
  };
  return { value, optlen, buffers, check };
}

/**
 * The request value, default length, pointed buffers and output check of a SOL_MPTCP array
 * option; `range` is the call's, for a value left as `...`.
 */
export function mptcpArrayCall(optname: number, valueExpr: Expr | undefined, optlenWritten: number | undefined, what: string, range: SourceRange): ArrayCall {
  if (valueExpr && !isEllipsis(valueExpr) && valueExpr.kind !== 'struct') throw new CallError(`${what} must be a {...} struct or ...`, valueExpr.range);
  const s: StructExpr = valueExpr?.kind === 'struct' ? valueExpr : { kind: 'struct', fields: [], range };
  return optname === MPTCP_FULL_INFO ? fullInfo(s, optlenWritten, what) : subflowData(optname, s, optlenWritten, what);
}
