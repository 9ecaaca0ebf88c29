// Congestion control as Linux's struct tcp_congestion_ops (include/net/tcp.h): TCP asks the
// socket's algorithm for the slow-start threshold on a loss, for the window's growth on an ACK,
// tells it of RTT samples, events and state changes, and asks what to restore when a reduction
// is undone. One algorithm instance per socket holds its private state (icsk_ca_priv).
import { Reno } from './reno.js';

/** enum tcp_ca_event. */
export type CaEvent = 'tx-start' | 'cwnd-restart' | 'complete-cwr' | 'loss' | 'ecn-no-ce' | 'ecn-is-ce';

/** What an algorithm reads and writes of the connection (struct tcp_sock's congestion fields). */
export interface CongestionSock {
  /** tp->snd_cwnd, in segments. */
  cwnd: number;
  /** tp->snd_ssthresh. */
  ssthresh: number;
  /** tp->snd_cwnd_cnt: ACKed segments counted towards the next increase in congestion avoidance. */
  cwndCount: number;
  /** tp->prior_cwnd: the window when the current reduction began (recovery sets it). */
  readonly priorCwnd: number;
  /** tp->snd_nxt and tp->snd_una (HyStart's rounds). */
  readonly sndNxt: number;
  readonly sndUna: number;
  /** tp->tcp_mstamp, microseconds. */
  readonly nowUs: number;
}

/** struct ack_sample. */
export interface AckSample {
  pktsAcked: number;
  /** The RTT measured by this ACK, or -1 (none: only retransmitted segments were acknowledged). */
  rttUs: number;
  inFlight: number;
}

/** struct tcp_congestion_ops, bound to one socket. */
export interface CongestionOps {
  /** The name TCP_CONGESTION reads back. */
  readonly name: string;
  /** The slow-start threshold after a loss (required). */
  ssthresh(): number;
  /** Grows the window for `acked` newly acknowledged segments (required); `cwndLimited` is tcp_is_cwnd_limited(). */
  congAvoid(ack: number, acked: number, cwndLimited: boolean): void;
  /** Before the congestion-avoidance state (tcpi_ca_state) changes. */
  setState?(state: number): void;
  cwndEvent?(ev: CaEvent): void;
  /** Segments acknowledged by an ACK, with its RTT sample (tcp_clean_rtx_queue). */
  pktsAcked?(sample: AckSample): void;
  /** The window to restore when a reduction proves spurious (required). */
  undoCwnd(): number;
}

/** TCP_CA_NAME_MAX: a name longer than 15 bytes is cut (tcp_set_congestion_control). */
export const CA_NAME_MAX = 16;

/**
 * The algorithm for `name` on the socket `sk` (tcp_ca_find). The stack models reno; any other
 * name keeps its name for TCP_CONGESTION and grows the window as reno does.
 */
export function createCongestion(name: string, sk: CongestionSock): CongestionOps {
  return new Reno(sk, name);
}
