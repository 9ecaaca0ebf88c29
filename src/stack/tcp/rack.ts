// RACK loss detection (RFC 8985 6; tcp_recovery.c): a segment is lost when one sent after it was
// delivered and more than the latest RTT plus a reordering window has passed since it went. The
// window is 0 while nothing was seen reordered once recovery runs or three segments are sacked
// (tcp_rack_reo_wnd), otherwise min_rtt/4, at most SRTT; a segment not yet due arms the
// reordering timer for the time left (tcp_rack_mark_lost).
import { seqGt, seqLt } from './seq.js';
import { segEnd } from './sack.js';
import type { InFlight } from './sock.js';

/** RACK.xmit_ts / RACK.end_seq is after (t1, seq1): tcp_skb_sent_after. */
export function sentAfter(t1: number, t2: number, seq1: number, seq2: number): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(seq1, seq2));
}

/** tp->reordering's default (net.ipv4.tcp_reordering): segments sacked before a loss is proven. */
export const DUPTHRESH = 3;

export class Rack {
  /** Send time and end of the most recently sent segment delivered (RACK.xmit_ts, RACK.end_seq). */
  mstamp = 0;
  endSeq = 0;
  /** RTT of that segment (RACK.rtt). */
  rttUs = 0;
  /** Something was delivered since the last detection (tp->rack.advanced). */
  advanced = false;
  /** Reordering was seen on this connection (tp->reord_seen). */
  reordSeen = false;

  /**
   * tcp_rack_advance: `e` was (s)acked now. A retransmitted segment acknowledged sooner than
   * min_rtt is ambiguous (the original may have been delivered) and does not advance RACK.
   */
  advance(e: InFlight, nowUs: number, minRttUs: number): void {
    const rtt = nowUs - e.sentAt;
    if (rtt < minRttUs && (e.retrans || e.rtxOut)) return;
    this.advanced = true;
    this.rttUs = rtt;
    const end = segEnd(e);
    if (sentAfter(e.sentAt, this.mstamp, end, this.endSeq)) {
      this.mstamp = e.sentAt;
      this.endSeq = end;
    }
  }

  /** tcp_rack_reo_wnd. */
  reoWnd(inRecovery: boolean, sackedOut: number, minRttUs: number, srttUs: number): number {
    if (!this.reordSeen && (inRecovery || sackedOut >= DUPTHRESH)) return 0;
    return Math.min(Math.floor(minRttUs / 4), srttUs);
  }

  /**
   * tcp_rack_detect_loss over the segments in send order: marks the overdue ones lost and
   * returns the longest time left for the others (0: none waits).
   */
  detectLoss(inflight: InFlight[], nowUs: number, reoWndUs: number): { lost: InFlight[]; waitUs: number } {
    const queue = inflight.filter((e) => !e.sacked && !e.syn && !e.lost);
    queue.sort((a, b) => (a.sentAt !== b.sentAt ? a.sentAt - b.sentAt : seqLt(a.seq, b.seq) ? -1 : 1));
    const lost: InFlight[] = [];
    let waitUs = 0;
    for (const e of queue) {
      if (!sentAfter(this.mstamp, e.sentAt, this.endSeq, segEnd(e))) break;
      const remaining = this.rttUs + reoWndUs - (nowUs - e.sentAt);
      if (remaining <= 0) {
        // tcp_mark_skb_lost: a lost retransmission is no longer in flight.
        e.lost = true;
        e.rtxOut = false;
        lost.push(e);
      } else waitUs = Math.max(waitUs, remaining);
    }
    return { lost, waitUs };
  }
}
