// struct tcp_info from the connection's state (getsockopt TCP_INFO, Python blocks' tcpi_*).
import { encodeStruct, TCP_INFO_LAYOUT, type StructValues } from '../../sys/structs.js';
import type { TcpConnection } from './connection.js';
import { LINUX_STATE_NUMBER } from './state.js';

export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;
export const TCPI_OPT_ECN = 8;
export const TCPI_OPT_ECN_SEEN = 16;
export const TCPI_OPT_SYN_DATA = 32;
export const TCPI_OPT_TFO_CHILD = 128;

const msAgo = (now: number, t: number): number => (t === 0 ? Math.floor(now / 1000) : Math.floor((now - t) / 1000));

export function tcpInfoValues(c: TcpConnection | undefined, now: number, pmtu: number): StructValues {
  if (!c) return { tcpi_state: LINUX_STATE_NUMBER.CLOSED, tcpi_rto: 1_000_000, tcpi_snd_mss: 536, tcpi_rcv_mss: 536, tcpi_snd_cwnd: 10, tcpi_snd_ssthresh: 0x7fffffff, tcpi_reordering: 3, tcpi_pmtu: pmtu };
  // A passive Fast Open child stays one (tp->syn_fastopen_child), and says whether its SYN's data was taken.
  const options = (c.tsOk ? TCPI_OPT_TIMESTAMPS : 0) | (c.sackOk ? TCPI_OPT_SACK : 0) | (c.wscaleOk ? TCPI_OPT_WSCALE : 0)
    | (c.ecn.ok ? TCPI_OPT_ECN : 0) | (c.ecn.seen ? TCPI_OPT_ECN_SEEN : 0)
    | (c.passiveFastOpen ? TCPI_OPT_TFO_CHILD : 0) | (c.passiveFastOpen && c.synDataAccepted ? TCPI_OPT_SYN_DATA : 0);
  // 6.18 takes the timestamp option off advmss when the handshake completes (tcp_rcv_state_process
  // in SYN_RECV, tcp_rcv_synsent_state_process): a Fast Open child read before its third ACK still has it whole.
  const handshaking = c.state === 'SYN_RECV' || c.state === 'SYN_SENT';
  return {
    // The socket behind a file descriptor is CLOSE once a time-wait minisock took over.
    tcpi_state: LINUX_STATE_NUMBER[c.state === 'TIME_WAIT' ? 'CLOSED' : c.state],
    tcpi_ca_state: c.caState,
    tcpi_retransmits: c.retransmits,
    tcpi_probes: c.probesOut,
    tcpi_backoff: c.backoff,
    tcpi_options: options,
    tcpi_snd_wscale: c.sndWscale,
    tcpi_rcv_wscale: c.rcvWscale,
    tcpi_rto: c.rtt.rtoUs,
    tcpi_ato: c.ackTimeoutUs,
    tcpi_snd_mss: c.sndMss,
    tcpi_rcv_mss: c.rcvMss,
    tcpi_unacked: c.inflightCount,
    tcpi_lost: c.lostCount,
    tcpi_retrans: 0,
    tcpi_last_data_sent: msAgo(now, c.lastDataSent),
    tcpi_last_data_recv: msAgo(now, c.lastDataRecv),
    tcpi_last_ack_recv: msAgo(now, c.lastAckRecv),
    tcpi_pmtu: pmtu,
    tcpi_rcv_ssthresh: c.rcvWnd,
    tcpi_rtt: Math.round(c.rtt.srttUs),
    tcpi_rttvar: Math.round(c.rtt.mdevUs / 2),
    tcpi_snd_ssthresh: c.ssthresh,
    tcpi_snd_cwnd: c.cwnd,
    tcpi_advmss: c.advMss - (c.tsOk && !handshaking ? 12 : 0),
    tcpi_reordering: 3,
    // tcp_init_buffer_space: min(rcv_ssthresh, rcv_wnd, TCP_INIT_CWND * advmss); its growth as data are
    // read (tcp_rcv_space_adjust) is not modelled.
    tcpi_rcv_space: Math.min(c.rcvWnd, 10 * (c.advMss - (c.tsOk ? 12 : 0))),
    tcpi_total_retrans: c.totalRetrans,
    tcpi_bytes_acked: BigInt(c.bytesAcked),
    tcpi_bytes_received: BigInt(c.bytesReceived),
    tcpi_segs_out: c.segsOut,
    tcpi_segs_in: c.segsIn,
    tcpi_notsent_bytes: c.notSentBytes,
    tcpi_min_rtt: c.rtt.hasSample ? c.rtt.minRttUs : 0xffffffff,
    tcpi_data_segs_in: c.dataSegsIn,
    tcpi_data_segs_out: c.dataSegsOut,
    tcpi_delivered: c.dataSegsOut,
    tcpi_bytes_sent: BigInt(c.bytesSent + c.bytesRetrans),
    tcpi_bytes_retrans: BigInt(c.bytesRetrans),
    tcpi_snd_wnd: c.sndWnd,
    tcpi_rcv_wnd: c.advertisedWindow(),
    tcpi_fastopen_client_fail: c.fastOpenClientFail,
  };
}

export function encodeTcpInfo(c: TcpConnection | undefined, now: number, pmtu: number): Uint8Array {
  return encodeStruct(TCP_INFO_LAYOUT, tcpInfoValues(c, now, pmtu));
}
