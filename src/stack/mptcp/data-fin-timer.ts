// When an unacknowledged DATA_FIN goes again (RFC 8684 §3.3.3 leaves it to the implementation).
// Linux 6.18 repeats it from the MPTCP socket's retransmission timer, not a subflow's RTO
// (net/mptcp/protocol.c): mptcp_subflow_shutdown arms mptcp_retransmit_timer with
// msk->timer_ival, and each expiry (__mptcp_retrans without data) sends it again
// (mptcp_send_ack), counts icsk_retransmits and sets mptcp_set_datafin_timeout
// (TCP_RTO_MIN << retransmits). timer_ival is TCP_RTO_MIN when the socket starts or sends data
// (mptcp_set_timeout) and 0 once every byte sent was DATA_ACKed (mptcp_stop_rtx_timer): a DATA_FIN
// after acknowledged data then goes again at once, twice, within a few ms.
// Measured on 6.18 with variants of test/scripts/mptcp/conformance/3.3.3/client-data-fin.pkt: the
// gaps are [timer_ival, timer_ival, 400 ms, 800 ms, 1.6 s, ...] (the first retransmission re-arms
// with the interval in force, the doubling starts one step late), 0 meaning the next jiffy.

/** TCP_RTO_MIN (include/net/tcp.h), in µs like every time here. */
export const TCP_RTO_MIN_US = 200_000;
/** One jiffy at CONFIG_HZ=250 (6.18 here): a timer due now fires at the next tick. */
const JIFFY_US = 4_000;
/** ilog2(TCP_RTO_MAX / TCP_RTO_MIN): where mptcp_set_datafin_timeout stops doubling. */
const MAX_DOUBLINGS = 9;

/**
 * The wait before the next copy of the DATA_FIN, after `retransmits` retransmissions of it.
 * `firstIvalUs` is the socket's timer_ival when the DATA_FIN was first sent.
 */
export function dataFinRetransmitDelay(firstIvalUs: number, retransmits: number): number {
  if (retransmits < 2) return Math.max(JIFFY_US, firstIvalUs);
  return TCP_RTO_MIN_US * 2 ** Math.min(retransmits - 1, MAX_DOUBLINGS);
}
