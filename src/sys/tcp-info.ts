// struct tcp_info as Linux 6.18 fills it for getsockopt(SOL_TCP, TCP_INFO): 280 bytes, field
// names as packetdrill's Python blocks know them (`tcpi_*`). The bundled TS stack encodes its own
// state with the same table, so a Python block reads the same names on both targets. Also the
// congestion-control structs of TCP_CC_INFO (bbr, vegas, dctcp).
import { bits, defineStruct, f, type StructLayout } from './struct-layout.js';

const u32 = (...names: string[]) => names.map((n) => f(n, 'u32'));
const u64 = (...names: string[]) => names.map((n) => f(n, 'u64'));

export const TCP_INFO_LAYOUT: StructLayout = defineStruct('tcp_info', [
  f('tcpi_state', 'u8'),
  f('tcpi_ca_state', 'u8'),
  f('tcpi_retransmits', 'u8'),
  f('tcpi_probes', 'u8'),
  f('tcpi_backoff', 'u8'),
  f('tcpi_options', 'u8'),
  bits('u8', ['tcpi_snd_wscale', 4], ['tcpi_rcv_wscale', 4]),
  bits('u8', ['tcpi_delivery_rate_app_limited', 1], ['tcpi_fastopen_client_fail', 2]),
  ...u32('tcpi_rto', 'tcpi_ato', 'tcpi_snd_mss', 'tcpi_rcv_mss'),
  ...u32('tcpi_unacked', 'tcpi_sacked', 'tcpi_lost', 'tcpi_retrans', 'tcpi_fackets'),
  ...u32('tcpi_last_data_sent', 'tcpi_last_ack_sent', 'tcpi_last_data_recv', 'tcpi_last_ack_recv'),
  ...u32('tcpi_pmtu', 'tcpi_rcv_ssthresh', 'tcpi_rtt', 'tcpi_rttvar', 'tcpi_snd_ssthresh', 'tcpi_snd_cwnd',
    'tcpi_advmss', 'tcpi_reordering'),
  ...u32('tcpi_rcv_rtt', 'tcpi_rcv_space', 'tcpi_total_retrans'),
  ...u64('tcpi_pacing_rate', 'tcpi_max_pacing_rate', 'tcpi_bytes_acked', 'tcpi_bytes_received'),
  ...u32('tcpi_segs_out', 'tcpi_segs_in', 'tcpi_notsent_bytes', 'tcpi_min_rtt', 'tcpi_data_segs_in',
    'tcpi_data_segs_out'),
  ...u64('tcpi_delivery_rate', 'tcpi_busy_time', 'tcpi_rwnd_limited', 'tcpi_sndbuf_limited'),
  ...u32('tcpi_delivered', 'tcpi_delivered_ce'),
  ...u64('tcpi_bytes_sent', 'tcpi_bytes_retrans'),
  ...u32('tcpi_dsack_dups', 'tcpi_reord_seen', 'tcpi_rcv_ooopack', 'tcpi_snd_wnd', 'tcpi_rcv_wnd', 'tcpi_rehash'),
  f('tcpi_total_rto', 'u16'),
  f('tcpi_total_rto_recoveries', 'u16'),
  ...u32('tcpi_total_rto_time', 'tcpi_received_ce', 'tcpi_delivered_e1_bytes', 'tcpi_delivered_e0_bytes',
    'tcpi_delivered_ce_bytes', 'tcpi_received_e1_bytes', 'tcpi_received_e0_bytes', 'tcpi_received_ce_bytes'),
  f('tcpi_accecn_fail_mode', 'u16'),
  f('tcpi_accecn_opt_seen', 'u16'),
]);

/** TCP_CC_INFO of bbr (struct tcp_bbr_info). `bbr_bw` = hi << 32 | lo is what blocks use. */
export const TCP_BBR_INFO_LAYOUT = defineStruct('tcp_bbr_info',
  u32('bbr_bw_lo', 'bbr_bw_hi', 'bbr_min_rtt', 'bbr_pacing_gain', 'bbr_cwnd_gain'));

export const TCPVEGAS_INFO_LAYOUT = defineStruct('tcpvegas_info',
  u32('tcpv_enabled', 'tcpv_rttcnt', 'tcpv_rtt', 'tcpv_minrtt'));

export const TCP_DCTCP_INFO_LAYOUT = defineStruct('tcp_dctcp_info', [
  f('dctcp_enabled', 'u16'), f('dctcp_ce_state', 'u16'), ...u32('dctcp_alpha', 'dctcp_ab_ecn', 'dctcp_ab_tot'),
]);
