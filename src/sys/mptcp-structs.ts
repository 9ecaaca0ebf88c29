// SOL_MPTCP getsockopt structs of Linux 6.18 (Linux include/uapi/linux/mptcp.h, net/mptcp/sockopt.c). The distribution's headers
// are older (43-byte mptcp_info, no MPTCP_FULL_INFO), so the layouts are declared here.
import { alignTo, defineStruct, f, pad, type StructLayout } from './struct-layout.js';

const u8 = (...names: string[]) => names.map((n) => f(n, 'u8'));
const u32 = (...names: string[]) => names.map((n) => f(n, 'u32'));
const u64 = (...names: string[]) => names.map((n) => f(n, 'u64'));

export const MPTCP_INFO_LAYOUT: StructLayout = defineStruct('mptcp_info', [
  ...u8('mptcpi_subflows', 'mptcpi_add_addr_signal', 'mptcpi_add_addr_accepted', 'mptcpi_subflows_max',
    'mptcpi_add_addr_signal_max', 'mptcpi_add_addr_accepted_max'),
  ...u32('mptcpi_flags', 'mptcpi_token'),
  ...u64('mptcpi_write_seq', 'mptcpi_snd_una', 'mptcpi_rcv_nxt'),
  ...u8('mptcpi_local_addr_used', 'mptcpi_local_addr_max', 'mptcpi_csum_enabled'),
  ...u32('mptcpi_retransmits'),
  ...u64('mptcpi_bytes_retrans', 'mptcpi_bytes_sent', 'mptcpi_bytes_received', 'mptcpi_bytes_acked'),
  f('mptcpi_subflows_total', 'u8'),
  pad(3),
  ...u32('mptcpi_last_data_sent', 'mptcpi_last_data_recv', 'mptcpi_last_ack_recv'),
]);

/** mptcpi_flags bits. */
export const MPTCP_INFO_FLAG_FALLBACK = 0x1;
export const MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED = 0x2;

/** Header of MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS (16 bytes, 8-aligned); elements follow it. */
export const MPTCP_SUBFLOW_DATA_LAYOUT = defineStruct('mptcp_subflow_data',
  u32('size_subflow_data', 'num_subflows', 'size_kernel', 'size_user'), { minAlign: 8 });

/** struct mptcp_subflow_addrs: two sockaddr_storage-sized unions (local, then remote). */
export const SOCKADDR_STORAGE_SIZE = 128;
export const MPTCP_SUBFLOW_ADDRS_SIZE = 2 * SOCKADDR_STORAGE_SIZE;

/** struct mptcp_subflow_info: u32 id, then mptcp_subflow_addrs at offset 8 (8-aligned storage). */
export const MPTCP_SUBFLOW_INFO_LAYOUT = defineStruct('mptcp_subflow_info', [
  f('id', 'u32'), alignTo(8), pad(MPTCP_SUBFLOW_ADDRS_SIZE),
], { minAlign: 8 });
export const MPTCP_SUBFLOW_INFO_ADDRS_OFFSET = 8;

/** Header of struct mptcp_full_info; `struct mptcp_info` follows at MPTCP_FULL_INFO_INFO_OFFSET. */
export const MPTCP_FULL_INFO_HEADER_LAYOUT = defineStruct('mptcp_full_info', [
  ...u32('size_tcpinfo_kernel', 'size_tcpinfo_user', 'size_sfinfo_kernel', 'size_sfinfo_user', 'num_subflows',
    'size_arrays_user'),
  ...u64('subflow_info', 'tcp_info'),
]);
export const MPTCP_FULL_INFO_INFO_OFFSET = MPTCP_FULL_INFO_HEADER_LAYOUT.size;
export const MPTCP_FULL_INFO_SIZE = MPTCP_FULL_INFO_INFO_OFFSET + MPTCP_INFO_LAYOUT.size;
