// Proportional Rate Reduction (RFC 6937; tcp_input.c tcp_init_cwnd_reduction,
// tcp_cwnd_reduction): during recovery the window follows what the peer delivers. While more
// than ssthresh is in flight, sending keeps to ssthresh/prior_cwnd of the delivered segments;
// below it, slow start up to ssthresh (PRR-SSRB). The first reduction always lets the fast
// retransmit go.

export class Prr {
  /** tp->prior_cwnd: the window when the reduction began. */
  priorCwnd = 0;
  /** tp->prr_delivered: segments the peer received since. */
  delivered = 0;
  /** tp->prr_out: segments sent since. */
  out = 0;

  /** tcp_init_cwnd_reduction's PRR part. */
  start(cwnd: number): void {
    this.priorCwnd = cwnd;
    this.delivered = 0;
    this.out = 0;
  }

  /**
   * tcp_cwnd_reduction: the window after an ACK that delivered `newlyAckedSacked` segments and
   * found `newlyLost` lost, with `inFlight` segments in flight; undefined: the window stays.
   */
  reduce(newlyAckedSacked: number, newlyLost: number, sndUnaAdvanced: boolean, ssthresh: number, inFlight: number): number | undefined {
    if (newlyAckedSacked <= 0 || this.priorCwnd === 0) return undefined;
    const delta = ssthresh - inFlight;
    this.delivered += newlyAckedSacked;
    let sndcnt: number;
    if (delta < 0) {
      sndcnt = Math.floor((ssthresh * this.delivered + this.priorCwnd - 1) / this.priorCwnd) - this.out;
    } else {
      sndcnt = Math.max(this.delivered - this.out, newlyAckedSacked);
      if (sndUnaAdvanced && newlyLost === 0) sndcnt++;
      sndcnt = Math.min(delta, sndcnt);
    }
    // Force a fast retransmit upon entering fast recovery.
    sndcnt = Math.max(sndcnt, this.out > 0 ? 0 : 1);
    return inFlight + sndcnt;
  }
}
