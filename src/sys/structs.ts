// Linux x86-64 layouts of the structs that cross the syscall boundary, shared by the engine, the
// kernel target and the bundled TS stack (see src/targets/target.ts: values travel as raw bytes in
// these layouts). Every struct is a field table (struct-layout.ts); socket addresses, whose
// address part is text, have their own small codec.
import type { SockAddr } from '../targets/target.js';
import { formatAddress, parseAddress } from '../wire/addr.js';
import { decodeStruct, defineStruct, encodeStruct, f, type StructValues } from './struct-layout.js';
import { MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_FULL_INFO_INFO_OFFSET, MPTCP_INFO_LAYOUT, SOCKADDR_STORAGE_SIZE } from './mptcp-structs.js';

export * from './struct-layout.js';
export * from './tcp-info.js';
export * from './mptcp-structs.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;

export const INT_LAYOUT = defineStruct('int', [f('value', 'i32')]);
/** loff_t (splice / sendfile offsets). */
export const LOFF_T_LAYOUT = defineStruct('loff_t', [f('value', 'i64')]);
export const LINGER_LAYOUT = defineStruct('linger', [f('l_onoff', 'i32'), f('l_linger', 'i32')]);
export const POLLFD_LAYOUT = defineStruct('pollfd', [f('fd', 'i32'), f('events', 'i16'), f('revents', 'i16')]);
/** Packed on x86-64: 12 bytes, the 64-bit data at offset 4. */
export const EPOLL_EVENT_LAYOUT = defineStruct('epoll_event', [f('events', 'u32'), f('data', 'u64')], { packed: true });
export const IOVEC_LAYOUT = defineStruct('iovec', [f('iov_base', 'u64'), f('iov_len', 'u64')]);
export const MSGHDR_LAYOUT = defineStruct('msghdr', [
  f('msg_name', 'u64'), f('msg_namelen', 'u32'), f('msg_iov', 'u64'), f('msg_iovlen', 'u64'),
  f('msg_control', 'u64'), f('msg_controllen', 'u64'), f('msg_flags', 'i32'),
]);
export const CMSGHDR_LAYOUT = defineStruct('cmsghdr', [f('cmsg_len', 'u64'), f('cmsg_level', 'i32'), f('cmsg_type', 'i32')]);
export const SOCK_EXTENDED_ERR_LAYOUT = defineStruct('sock_extended_err', [
  f('ee_errno', 'u32'), f('ee_origin', 'u8'), f('ee_type', 'u8'), f('ee_code', 'u8'), f('ee_pad', 'u8'),
  f('ee_info', 'u32'), f('ee_data', 'u32'),
]);
/** Three struct timespec; the first (software stamp) is what scripts name scm_sec / scm_nsec. */
export const SCM_TIMESTAMPING_LAYOUT = defineStruct('scm_timestamping', [
  f('scm_sec', 'i64'), f('scm_nsec', 'i64'), f('scm_sec_1', 'i64'), f('scm_nsec_1', 'i64'),
  f('scm_sec_2', 'i64'), f('scm_nsec_2', 'i64'),
]);

// ---- plain ints -----------------------------------------------------------------------------

export const encodeInt = (v: number): Uint8Array => encodeStruct(INT_LAYOUT, { value: v });
/** Reads a (possibly short) native int; getsockopt may return 1 byte for some options. */
export function decodeInt(b: Uint8Array): number {
  if (b.byteLength >= 4) return Number(decodeStruct(INT_LAYOUT, b).value);
  let v = 0;
  for (let i = b.byteLength - 1; i >= 0; i--) v = v * 256 + b[i];
  return v;
}

// ---- socket addresses ---------------------------------------------------------------------

/** Where the two families keep their fields: sockaddr_in (16 bytes) and sockaddr_in6 (28 bytes). */
const SOCKADDR_FORMS = {
  inet: { af: AF_INET, size: SOCKADDR_IN_SIZE, addrAt: 4, addrLen: 4, minLen: 8 },
  inet6: { af: AF_INET6, size: SOCKADDR_IN6_SIZE, addrAt: 8, addrLen: 16, minLen: 24 },
} as const;

/** Encodes a SockAddr as sockaddr_in or sockaddr_in6; null if the address text is not of that family. */
export function encodeSockAddr(addr: SockAddr): Uint8Array | null {
  const form = SOCKADDR_FORMS[addr.family];
  const ip = parseAddress(addr.address);
  if (ip?.bytes.length !== form.addrLen) return null;
  const out = new Uint8Array(form.size);
  const v = new DataView(out.buffer);
  v.setUint16(0, form.af, true);
  v.setUint16(2, addr.port, false);
  out.set(ip.bytes, form.addrAt);
  return out;
}

/** Decodes a sockaddr_in / sockaddr_in6 (e.g. from accept or a sockaddr_storage); null for other families or short input. */
export function decodeSockAddr(b: Uint8Array, len = b.byteLength): SockAddr | null {
  if (Math.min(len, b.byteLength) < 2) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = v.getUint16(0, true);
  const entry = Object.entries(SOCKADDR_FORMS).find(([, form]) => form.af === family);
  if (!entry || Math.min(len, b.byteLength) < entry[1].minLen) return null;
  const [name, form] = entry;
  return { family: name as SockAddr['family'], port: v.getUint16(2, false), address: formatAddress(b, form.addrAt, form.addrLen) };
}

// ---- SOL_MPTCP helpers ----------------------------------------------------------------------

/** MPTCP_SUBFLOW_ADDRS element: local and remote addresses of one subflow. */
export function decodeSubflowAddrs(b: Uint8Array, at = 0): { local: SockAddr | null; remote: SockAddr | null } {
  const local = b.subarray(at, at + SOCKADDR_STORAGE_SIZE);
  const remote = b.subarray(at + SOCKADDR_STORAGE_SIZE, at + 2 * SOCKADDR_STORAGE_SIZE);
  return { local: decodeSockAddr(local), remote: decodeSockAddr(remote) };
}

/** MPTCP_FULL_INFO: header fields plus the embedded mptcp_info's `mptcpi_*` fields. */
export function decodeFullInfo(b: Uint8Array): StructValues {
  return { ...decodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, b), ...decodeStruct(MPTCP_INFO_LAYOUT, b.subarray(MPTCP_FULL_INFO_INFO_OFFSET)) };
}

// ---- control messages -----------------------------------------------------------------------

export interface ControlMessage {
  level: number;
  type: number;
  data: Uint8Array;
}

const cmsgAlign = (n: number): number => (n + 7) & ~7;

/** Splits a msg_control buffer into messages (CMSG_FIRSTHDR/CMSG_NXTHDR); stops at the first malformed header. */
export function decodeControl(b: Uint8Array): ControlMessage[] {
  const out: ControlMessage[] = [];
  let at = 0;
  while (at + CMSGHDR_LAYOUT.size <= b.byteLength) {
    const h = decodeStruct(CMSGHDR_LAYOUT, b, at);
    const len = Number(h.cmsg_len);
    if (len < CMSGHDR_LAYOUT.size || at + len > b.byteLength) break;
    out.push({ level: Number(h.cmsg_level), type: Number(h.cmsg_type), data: b.slice(at + CMSGHDR_LAYOUT.size, at + len) });
    at += cmsgAlign(len);
  }
  return out;
}

/** Builds a msg_control buffer (CMSG_SPACE per message). */
export function encodeControl(msgs: readonly ControlMessage[]): Uint8Array {
  const size = msgs.reduce((n, m) => n + cmsgAlign(CMSGHDR_LAYOUT.size + m.data.byteLength), 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const m of msgs) {
    encodeStruct(CMSGHDR_LAYOUT, { cmsg_len: CMSGHDR_LAYOUT.size + m.data.byteLength, cmsg_level: m.level, cmsg_type: m.type }, out, at);
    out.set(m.data, at + CMSGHDR_LAYOUT.size);
    at += cmsgAlign(CMSGHDR_LAYOUT.size + m.data.byteLength);
  }
  return out;
}

