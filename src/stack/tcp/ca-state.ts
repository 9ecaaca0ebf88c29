// The congestion state machine's steps (tcp_input.c: tcp_set_ca_state, tcp_try_keep_open,
// tcp_try_to_open, tcp_init_cwnd_reduction, tcp_enter_recovery, tcp_end_cwnd_reduction, the undo
// steps and tcp_process_tlp_ack) and the loss-recovery state they work on: RACK (rack.ts), PRR
// (prr.ts), the loss probe's episode (tlp.ts), undo (undo.ts) and tp->high_seq. recovery.ts
// decides when each step runs.
import { TcpHandshake } from './connect.js';
import { Prr } from './prr.js';
import { Rack } from './rack.js';
import { scoreboard } from './sack.js';
import { seqGt, seqLt } from './seq.js';
import { TlpState } from './tlp.js';
import { UndoState } from './undo.js';

/** tcpi_ca_state values (enum tcp_ca_state). */
export const CA_OPEN = 0;
export const CA_DISORDER = 1;
export const CA_CWR = 2;
export const CA_RECOVERY = 3;
export const CA_LOSS = 4;

export abstract class TcpCaState<Tag = unknown> extends TcpHandshake<Tag> {
  protected readonly rack = new Rack();
  protected readonly prr = new Prr();
  protected readonly tlp = new TlpState();
  protected readonly undo = new UndoState();
  /** tp->high_seq: snd_nxt when recovery or loss began; reaching it ends them. */
  protected highSeq = 0;
  /** tp->frto: F-RTO (RFC 5682) runs in this loss episode. */
  protected frto = false;

  /** tcp_end_cwnd_reduction: the window is what the reduction aimed at, unless it was undone. */
  protected endCwndReduction(): void {
    if (this.ssthresh < 0x7fffffff && (this.caState === CA_CWR || this.undo.marker !== undefined)) this.cwnd = this.ssthresh;
  }

  /** tcp_try_undo_recovery (SACK): recovery is over; undone when nothing was lost. */
  protected tryUndoRecovery(tsEcr: number | undefined): void {
    if (this.undo.mayUndo(tsEcr)) this.undoCwndReduction(false);
    this.setCaState(CA_OPEN);
  }

  /**
   * tcp_try_undo_partial: the hole was filled by the original (its timestamp is echoed), so the
   * path reorders; with no retransmission left in flight the reduction is undone.
   */
  protected tryUndoPartial(tsEcr: number | undefined): boolean {
    if (this.undo.marker === undefined || !this.undo.packetDelayed(tsEcr)) return false;
    this.rack.reordSeen = true;
    if (scoreboard(this.inflight).retrans > 0) return true;
    if (!this.anyRetransDone()) this.undo.stamp = 0;
    this.undoCwndReduction(true);
    this.tryKeepOpen();
    return false;
  }

  /** tcp_try_undo_loss: a timeout proved spurious (F-RTO, `frtoUndo`) or undoable: back to Open. */
  protected tryUndoLoss(frtoUndo: boolean, tsEcr: number | undefined): boolean {
    if (!frtoUndo && !this.undo.mayUndo(tsEcr)) return false;
    this.undoCwndReduction(true);
    this.retransmits = 0;
    this.setCaState(CA_OPEN);
    return true;
  }

  /**
   * tcp_enter_loss's F-RTO choice, before the state becomes Loss: on (net.ipv4.tcp_frto) for a
   * timeout that starts a new recovery or repeats one.
   */
  protected frtoOnRto(): void {
    this.frto = this.env.sysctls.int('net.ipv4.tcp_frto') > 0 && (this.caState < CA_RECOVERY || this.retransmits > 0);
  }

  /** tcp_enter_loss when it takes a new threshold: what undo restores (tcp_current_ssthresh) and from where. */
  protected initLossUndo(): void {
    const reducing = this.caState === CA_CWR || this.caState === CA_RECOVERY;
    this.undo.priorSsthresh = reducing ? this.ssthresh : Math.max(this.ssthresh, (this.cwnd >> 1) + (this.cwnd >> 2));
    this.undo.init(this.sndUna, scoreboard(this.inflight).retrans);
  }

  /** tcp_try_undo_dsack: every retransmission was reported duplicate. */
  protected tryUndoDsack(): boolean {
    if (this.undo.marker === undefined || this.undo.retrans !== 0) return false;
    this.undoCwndReduction(false);
    return true;
  }

  /** tcp_undo_cwnd_reduction: the algorithm's window before the loss, the threshold before it. */
  protected undoCwndReduction(unmarkLoss: boolean): void {
    if (unmarkLoss) for (const e of this.inflight) e.lost = false;
    if (this.undo.priorSsthresh) {
      this.cwnd = this.ca.undoCwnd();
      if (this.undo.priorSsthresh > this.ssthresh) this.ssthresh = this.undo.priorSsthresh;
    }
    this.undo.marker = undefined;
    this.rack.advanced = true;
  }

  /** tcp_any_retrans_done. */
  protected anyRetransDone(): boolean {
    return scoreboard(this.inflight).retrans > 0 || (this.inflight[0]?.retrans ?? false);
  }

  /** tcp_try_to_open: no retransmission left forgets its time; Open or Disorder. */
  protected tryToOpen(): void {
    if (!this.anyRetransDone()) this.undo.stamp = 0;
    if (this.caState !== CA_CWR) this.tryKeepOpen();
  }

  /** tcp_set_ca_state: the algorithm hears of the change first. */
  protected setCaState(state: number): void {
    this.ca.setState?.(state);
    this.caState = state;
  }

  /** tcp_try_keep_open: Disorder while anything is sacked, lost or resent, else Open. */
  protected tryKeepOpen(): void {
    const s = scoreboard(this.inflight);
    const state = s.sacked > 0 || s.lost > 0 || this.anyRetransDone() ? CA_DISORDER : CA_OPEN;
    if (this.caState !== state) { this.setCaState(state); this.highSeq = this.sndNxt; }
  }

  /** tcp_init_cwnd_reduction: the algorithm's threshold, PRR from the current window. */
  protected initCwndReduction(): void {
    this.highSeq = this.sndNxt;
    this.tlp.highSeq = 0;
    this.cwndCount = 0;
    this.priorCwnd = this.cwnd;
    this.prr.start(this.cwnd);
    this.ssthresh = this.ca.ssthresh();
    this.ecn.reduced();
  }

  /** tcp_enter_recovery: undo starts from here; the threshold to restore is tcp_current_ssthresh. */
  protected enterRecovery(): void {
    this.undo.priorSsthresh = 0;
    this.undo.init(this.sndUna, scoreboard(this.inflight).retrans);
    if (this.caState !== CA_CWR) {
      this.undo.priorSsthresh = Math.max(this.ssthresh, (this.cwnd >> 1) + (this.cwnd >> 2));
      this.initCwndReduction();
    }
    this.setCaState(CA_RECOVERY);
  }

  /**
   * tcp_process_tlp_ack: an ACK at or beyond the probe. A probe of new data, or one both copies
   * of which arrived (a duplicate ACK), ends the episode; an ACK beyond a resent probe means a
   * loss that the probe repaired: the window is reduced once (CWR).
   */
  protected processTlpAck(unaAdvanced: boolean, notDup: boolean, sacked: boolean): void {
    if (seqLt(this.sndUna, this.tlp.highSeq)) return;
    if (!this.tlp.retrans) { this.tlp.highSeq = 0; return; }
    if (seqGt(this.sndUna, this.tlp.highSeq)) {
      this.initCwndReduction();
      this.setCaState(CA_CWR);
      this.cwnd = this.ssthresh;
      this.tryKeepOpen();
      return;
    }
    if (!unaAdvanced && !notDup && !sacked) this.tlp.highSeq = 0;
  }
}
