// Congestion control as Linux's struct tcp_congestion_ops (include/net/tcp.h): TCP asks the
// socket's algorithm for the slow-start threshold on a loss, for the window's growth on an ACK,
// tells it of RTT samples, events and state changes, and asks what to restore when a reduction
// is undone. One algorithm instance per socket holds its private state (icsk_ca_priv).
import { Cubic } from './cubic.js';
import { Reno } from './reno.js';
import { seqLt } from './seq.js';

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
  /** tp->lsndtime: when data was last sent, microseconds. */
  readonly lastSendUs: number;
  /** tp->mss_cache and the smoothed RTT (the pacing rate HyStart reads). */
  readonly mss: number;
  readonly srttUs: number;
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
 * The algorithm for `name` on the socket `sk` (tcp_ca_find, then its init). The stack models
 * reno and cubic; another name (bbr, the kernel's default in a namespace here) keeps its name for
 * TCP_CONGESTION and grows the window as reno does: BBR is not modelled, and no corpus script
 * leaves the algorithm unpinned (test/scripts/common/defaults.sh picks reno).
 */
export function createCongestion(name: string, sk: CongestionSock): CongestionOps {
  return name === 'cubic' ? new Cubic(sk) : new Reno(sk, name);
}

/**
 * Whether the window limited the sender (tcp_output.c tcp_cwnd_validate, include/net/tcp.h
 * tcp_is_cwnd_limited): remembered for the window sent, so the ACKs of a full window all grow
 * cwnd; in slow start also while cwnd is below twice the most packets out in that window.
 */
export class CwndUsage {
  private isCwndLimited = false;
  private maxPacketsOut = 0;
  private usageSeq = 0;

  /** After a send loop that sent something or stopped at the window (tcp_write_xmit). */
  validate(limited: boolean, packetsOut: number, sndUna: number, sndNxt: number): void {
    if (!seqLt(sndUna, this.usageSeq) || limited || (!this.isCwndLimited && packetsOut > this.maxPacketsOut)) {
      this.isCwndLimited = limited;
      this.maxPacketsOut = packetsOut;
      this.usageSeq = sndNxt;
    }
  }

  limits(cwnd: number, ssthresh: number): boolean {
    if (this.isCwndLimited) return true;
    return cwnd < ssthresh && cwnd < 2 * this.maxPacketsOut;
  }
}
