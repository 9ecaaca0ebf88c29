// The SOL_MPTCP getsockopts that list subflows, with Linux 6.18's layouts and truncation rules
// (net/mptcp/sockopt.c; measured on 6.18, see test/sockopt-arrays.test.ts):
//   MPTCP_TCPINFO / MPTCP_SUBFLOW_ADDRS: a struct mptcp_subflow_data header the caller fills in
//     (size_subflow_data >= 16 and <= optlen, num_subflows = size_kernel = 0, else EINVAL); the
//     kernel clamps size_user to its element size, copies one element per subflow while the rest
//     of optlen holds one, writes back min(size_subflow_data, 16) header bytes and sets optlen to
//     size_subflow_data + the bytes copied, or to min(size_subflow_data, 16) when none were.
//   MPTCP_FULL_INFO: a 40-byte header (optlen >= 40, the kernel-size fields and num_subflows 0)
//     pointing to two caller arrays of size_arrays_user slots each, elements laid at the caller's
//     (clamped) sizes; struct mptcp_info follows the header, truncated to optlen - 40 (at most 96).
import {
  MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_FULL_INFO_INFO_OFFSET, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_ADDRS_SIZE,
  MPTCP_SUBFLOW_DATA_LAYOUT, MPTCP_SUBFLOW_INFO_ADDRS_OFFSET, MPTCP_SUBFLOW_INFO_LAYOUT, SOCKADDR_STORAGE_SIZE,
} from '../../sys/mptcp-structs.js';
import { decodeStruct, encodeStruct } from '../../sys/struct-layout.js';
import { encodeSockAddr } from '../../sys/structs.js';
import { TCP_INFO_LAYOUT } from '../../sys/tcp-info.js';
import type { PointedBuffer, SyscallResult } from '../../targets/target.js';
import type { Subflow as TcpConnection } from './subflow-socket.js';
import type { MptcpConnection } from './connection.js';

const fail = (errno: string): SyscallResult => ({ ret: -1, errno });
const INT_MAX = 0x7fffffff;

// ---- subflow ids ---------------------------------------------------------------------------

// subflow->subflow_id: 1 for the initial subflow, then 2, 3, ... in the order subflows are
// created on the connection (never reused), on both sides (measured).
const nextId = new WeakMap<MptcpConnection, number>();
const ids = new WeakMap<TcpConnection, number>();

/** Gives a new join subflow of `m` its id (the path manager calls it when it adds one). */
export function numberSubflow(m: MptcpConnection, c: TcpConnection): number {
  const known = ids.get(c);
  if (known !== undefined) return known;
  const id = nextId.get(m) ?? 2;
  nextId.set(m, id + 1);
  ids.set(c, id);
  return id;
}

/** The initial subflow, then the join subflows in the order they were made (msk->conn_list). */
export function subflowsOf(initial: TcpConnection | undefined): TcpConnection[] {
  return initial ? [initial, ...(initial.mptcp?.joins ?? [])] : [];
}

/** What the subflow getsockopts read of one subflow. */
export interface SubflowView {
  id: number;
  /** struct mptcp_subflow_addrs. */
  addrs: Uint8Array;
  /** struct tcp_info, made only when asked for. */
  tcpInfo: () => Uint8Array;
}

export function subflowViews(initial: TcpConnection | undefined, socketFamily: 4 | 6, tcpInfo: (c: TcpConnection) => Uint8Array): SubflowView[] {
  return subflowsOf(initial).map((c) => ({
    id: c === initial ? 1 : numberSubflow(initial!.mptcp!, c),
    addrs: encodeSubflowAddrs(c, socketFamily),
    tcpInfo: () => tcpInfo(c),
  }));
}

// ---- elements -----------------------------------------------------------------------------

/**
 * struct mptcp_subflow_addrs: the subflow's local then remote sockaddr, each in 128 bytes, in
 * the socket's family: an AF_INET6 socket's IPv4 subflows read as IPv4-mapped sin6 (measured).
 */
export function encodeSubflowAddrs(c: TcpConnection, socketFamily: 4 | 6 = c.tuple.family): Uint8Array {
  const out = new Uint8Array(MPTCP_SUBFLOW_ADDRS_SIZE);
  const family = socketFamily === 4 ? 'inet' : 'inet6';
  const api = (ip: string): string => (family === 'inet6' && c.tuple.family === 4 ? `::ffff:${ip}` : ip);
  const local = encodeSockAddr({ family, address: api(c.tuple.localIp), port: c.tuple.localPort });
  const remote = encodeSockAddr({ family, address: api(c.tuple.remoteIp), port: c.tuple.remotePort });
  if (local) out.set(local, 0);
  if (remote) out.set(remote, SOCKADDR_STORAGE_SIZE);
  return out;
}

// ---- MPTCP_TCPINFO / MPTCP_SUBFLOW_ADDRS -----------------------------------------------------

/** `elements` make each subflow's element (kernelSize bytes), in subflow order. */
export function getSubflowData(elements: ReadonlyArray<() => Uint8Array>, optlen: number, input: Uint8Array | undefined, kernelSize: number): SyscallResult {
  const hdrSize = MPTCP_SUBFLOW_DATA_LAYOUT.size;
  if (optlen < hdrSize) return fail('EINVAL');
  const given = new Uint8Array(Math.max(optlen, hdrSize));
  if (input) given.set(input.subarray(0, given.length));
  const hdr = decodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, given);
  const sizeData = Number(hdr.size_subflow_data);
  const sizeUserIn = Number(hdr.size_user);
  if (sizeData > INT_MAX || sizeUserIn > INT_MAX || sizeData < hdrSize || sizeData > optlen) return fail('EINVAL');
  if (Number(hdr.num_subflows) !== 0 || Number(hdr.size_kernel) !== 0) return fail('EINVAL');
  const sizeUser = Math.min(sizeUserIn, kernelSize);
  // The caller's bytes between the header and size_subflow_data stay as they were.
  const out = given;
  let room = optlen - sizeData;
  let copied = 0;
  for (const element of elements) {
    if (room === 0 || room < sizeUser) continue;
    out.set(element().subarray(0, sizeUser), sizeData + copied);
    copied += sizeUser;
    room -= sizeUser;
  }
  encodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, { size_subflow_data: sizeData, num_subflows: elements.length, size_kernel: kernelSize, size_user: sizeUser }, out);
  const outLen = copied > 0 ? sizeData + copied : Math.min(sizeData, hdrSize);
  return { ret: 0, out: { kind: 'opt', value: out.slice(0, outLen), optlen: outLen } };
}

// ---- MPTCP_FULL_INFO ----------------------------------------------------------------------

/**
 * `buffers` are the arrays the caller's pointers designate (in the order subflow_info,
 * tcp_info, by their offset in the header); a pointer with no buffer behind it is NULL, and
 * copying a non-empty element there is EFAULT, as on Linux.
 */
export function getFullInfo(subflows: readonly SubflowView[], mptcpInfo: () => Uint8Array, optlen: number, input: Uint8Array | undefined, buffers: readonly PointedBuffer[] = []): SyscallResult {
  const hdrSize = MPTCP_FULL_INFO_INFO_OFFSET;
  if (optlen < hdrSize) return fail('EINVAL');
  const given = new Uint8Array(hdrSize);
  if (input) given.set(input.subarray(0, hdrSize));
  const hdr = decodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, given);
  if (Number(hdr.size_tcpinfo_kernel) || Number(hdr.size_sfinfo_kernel) || Number(hdr.num_subflows)) return fail('EINVAL');
  if (Number(hdr.size_sfinfo_user) > INT_MAX || Number(hdr.size_tcpinfo_user) > INT_MAX) return fail('EINVAL');
  const len = optlen - hdrSize;
  const copylen = len > 0 ? Math.min(len, MPTCP_INFO_LAYOUT.size) : 0;
  const tiUser = Math.min(Number(hdr.size_tcpinfo_user), TCP_INFO_LAYOUT.size);
  const sfUser = Math.min(Number(hdr.size_sfinfo_user), MPTCP_SUBFLOW_INFO_LAYOUT.size);
  const slots = Number(hdr.size_arrays_user);
  const arrays = new Map(buffers.map((b) => [b.at, new Uint8Array(b.size)]));
  const target = (field: string): Uint8Array | undefined => arrays.get(MPTCP_FULL_INFO_HEADER_LAYOUT.byName.get(field)!.offset);
  const sfArray = target('subflow_info');
  const tiArray = target('tcp_info');
  for (const [i, sub] of subflows.entries()) {
    if (i >= slots) continue;
    const sf = encodeStruct(MPTCP_SUBFLOW_INFO_LAYOUT, { id: sub.id });
    // The addresses only when the caller's element reaches past the id.
    if (sfUser > MPTCP_SUBFLOW_INFO_ADDRS_OFFSET) sf.set(sub.addrs, MPTCP_SUBFLOW_INFO_ADDRS_OFFSET);
    if (!copyOut(sfArray, i * sfUser, sf.subarray(0, sfUser))) return fail('EFAULT');
    if (tiUser > 0 && !copyOut(tiArray, i * tiUser, sub.tcpInfo().subarray(0, tiUser))) return fail('EFAULT');
  }
  const out = new Uint8Array(hdrSize + copylen);
  out.set(given);
  encodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, {
    size_tcpinfo_kernel: TCP_INFO_LAYOUT.size, size_tcpinfo_user: tiUser,
    size_sfinfo_kernel: MPTCP_SUBFLOW_INFO_LAYOUT.size, size_sfinfo_user: sfUser, num_subflows: subflows.length,
  }, out);
  if (copylen > 0) out.set(mptcpInfo().subarray(0, copylen), hdrSize);
  const filled = buffers.map((b) => arrays.get(b.at)!);
  return { ret: 0, out: { kind: 'opt', value: out, optlen: out.length, ...(filled.length > 0 ? { buffers: filled } : {}) } };
}

/** copy_to_user into a caller array: false (EFAULT) when there is none or it is too short. */
function copyOut(array: Uint8Array | undefined, at: number, bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  if (!array || at + bytes.length > array.length) return false;
  array.set(bytes, at);
  return true;
}
