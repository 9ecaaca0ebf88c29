// struct mptcp_info (SOL_MPTCP / MPTCP_INFO, 96 bytes on 6.18) from the connection's state.
import { encodeStruct, MPTCP_INFO_FLAG_FALLBACK, MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED, MPTCP_INFO_LAYOUT, type StructValues } from '../../sys/structs.js';
import type { MptcpConnection } from './connection.js';

export interface PmLimits {
  subflows: number;
  addAddrAccepted: number;
  signalEndpoints: number;
  localAddrMax: number;
}

const msAgo = (now: number, t: number): number => (t === 0 ? 0 : Math.floor((now - t) / 1000));

const NO_LIMITS: PmLimits = { subflows: 0, addAddrAccepted: 0, signalEndpoints: 0, localAddrMax: 0 };

export function mptcpInfoValues(m: MptcpConnection | undefined, pmLimits: PmLimits, now: number): StructValues {
  // sockopt.c mptcp_diag_fill_info reports the in-kernel PM's limits only: 0 under a userspace PM.
  const limits = m?.userspacePm ? NO_LIMITS : pmLimits;
  const base: StructValues = {
    mptcpi_subflows_max: limits.subflows,
    mptcpi_add_addr_signal_max: limits.signalEndpoints,
    mptcpi_add_addr_accepted_max: limits.addAddrAccepted,
    mptcpi_local_addr_max: limits.localAddrMax,
  };
  if (!m) return base;
  // pm.subflows: joins leave the count when closed by REMOVE_ADDR at once, when reset after a
  // checksum failure not at all (6.18 keeps that subflow until the socket goes).
  // A join the stack opened counts once its fourth ACK (a DATA_ACK or an ADD_ADDR) made it fully
  // established (options.c check_fully_established; measured on 6.18: 0 before it).
  const subflows = [...m.joins].filter((j) => !j.removedByPm && (j.join?.established ?? true)).length + m.lingeringResets;
  return {
    ...base,
    mptcpi_flags: (m.fallback ? MPTCP_INFO_FLAG_FALLBACK : 0) | (m.remote ? MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED : 0),
    mptcpi_token: m.local.token,
    mptcpi_write_seq: m.writeSeq,
    mptcpi_snd_una: m.sndUna,
    mptcpi_rcv_nxt: m.rcvNxt,
    mptcpi_csum_enabled: m.checksum ? 1 : 0,
    mptcpi_retransmits: m.stats.retransmits,
    mptcpi_bytes_retrans: m.stats.bytesRetrans,
    mptcpi_bytes_sent: m.stats.bytesSent,
    mptcpi_bytes_received: m.stats.bytesReceived,
    mptcpi_bytes_acked: m.stats.bytesAcked,
    mptcpi_subflows: subflows,
    mptcpi_add_addr_signal: m.addAddrSignal,
    mptcpi_add_addr_accepted: m.addAddrAccepted,
    mptcpi_local_addr_used: m.localAddrUsed,
    // 6.18: mptcpi_subflows plus the initial subflow while it lives (__mptcp_has_initial_subflow).
    mptcpi_subflows_total: subflows + (m.initialClosed ? 0 : 1),
    mptcpi_last_data_sent: msAgo(now, m.stats.lastDataSent),
    mptcpi_last_data_recv: msAgo(now, m.stats.lastDataRecv),
    mptcpi_last_ack_recv: msAgo(now, m.stats.lastAckRecv),
  };
}

export function encodeMptcpInfo(m: MptcpConnection | undefined, limits: PmLimits, now: number): Uint8Array {
  return encodeStruct(MPTCP_INFO_LAYOUT, mptcpInfoValues(m, limits, now));
}
