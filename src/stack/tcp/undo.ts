// Undoing a window reduction that proves spurious (tcp_input.c tcp_init_undo, tcp_may_undo,
// tcp_packet_delayed, tcp_check_dsack; RFC 3522's timestamp detection and RFC 2883's D-SACK):
// recovery remembers where it began and counts its retransmissions; an ACK echoing a timestamp
// older than the first retransmission, or D-SACKs for every retransmission, show that nothing
// was lost.
import { seqGt, seqLe, seqLt } from './seq.js';
import { segEnd } from './sack.js';
import type { InFlight } from './sock.js';

export class UndoState {
  /** tp->undo_marker: snd_una when the reduction began; undefined: nothing to undo. */
  marker: number | undefined;
  /** tp->undo_retrans: retransmissions not yet reported duplicate (-1: none made). */
  retrans = 0;
  /** tp->prior_ssthresh: the threshold to restore. */
  priorSsthresh = 0;
  /** tp->retrans_stamp: the TS value of the first retransmission (0: none). */
  stamp = 0;

  /** tcp_init_undo. */
  init(sndUna: number, retransOut: number): void {
    this.marker = sndUna;
    this.retrans = retransOut > 0 ? retransOut : -1;
  }

  /** tcp_retransmit_skb's bookkeeping for a retransmission sent with TS value `tsVal`. */
  retransmitted(tsVal: number): void {
    if (this.stamp === 0) this.stamp = tsVal;
    if (this.retrans < 0) this.retrans = 0;
    this.retrans++;
  }

  /**
   * A D-SACK block [start, end): below the cumulative ACK it counts its segments (of `mss`
   * bytes) off the retransmissions (tcp_check_dsack); above it, each retransmitted segment it
   * covers (tcp_sacktag_one).
   */
  dsack(start: number, end: number, priorUna: number, mss: number, inflight: InFlight[]): void {
    if (this.marker === undefined || this.retrans <= 0) return;
    if (seqLe(end, priorUna)) {
      if (seqGt(end, this.marker)) this.retrans = Math.max(0, this.retrans - Math.ceil((end - start) / Math.max(1, mss)));
      return;
    }
    for (const e of inflight) {
      if (e.retrans && !seqLt(e.seq, start) && seqLe(segEnd(e), end) && seqGt(segEnd(e), this.marker) && this.retrans > 0) this.retrans--;
    }
  }

  /** tcp_packet_delayed: the ACK echoes a timestamp older than the first retransmission. */
  packetDelayed(tsEcr: number | undefined): boolean {
    return this.stamp !== 0 && tsEcr !== undefined && tsEcr !== 0 && seqLt(tsEcr, this.stamp);
  }

  /** tcp_may_undo. */
  mayUndo(tsEcr: number | undefined): boolean {
    return this.marker !== undefined && (this.retrans === 0 || this.packetDelayed(tsEcr));
  }
}
