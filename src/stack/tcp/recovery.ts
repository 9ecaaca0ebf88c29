// Loss recovery (tcp_recovery.c, tcp_input.c tcp_fastretrans_alert): the congestion window's
// growth (by the socket's algorithm, congestion.ts), the SACK scoreboard (sack.ts), RACK loss
// detection and its reordering timer (rack.ts), Proportional Rate Reduction while recovering
// (prr.ts), the tail loss probe (tlp.ts), retransmission of segments marked lost, fast retransmit
// on three duplicate ACKs for a peer without SACK, and a lowered path MTU's resend
// (tcp_simple_retransmit).
import { seqAdd, seqGe, seqGt, seqLt } from './seq.js';
import type { InFlight } from './sock.js';
import { TcpHandshake } from './connect.js';
import { Prr } from './prr.js';
import { Rack } from './rack.js';
import { packetsInFlight, sackTag, scoreboard, segEnd, type SackTagResult } from './sack.js';
import { jiffiesUs, probeTimeoutUs, TIMEOUT_MIN_US, TlpState } from './tlp.js';

/** tcpi_ca_state values (enum tcp_ca_state). */
const CA_OPEN = 0;
const CA_DISORDER = 1;
const CA_CWR = 2;
const CA_RECOVERY = 3;
const CA_LOSS = 4;

/** What one ACK did, gathered before and during its processing (tcp_ack's prior_* and flag). */
export interface AckContext {
  priorUna: number;
  sack: SackTagResult | undefined;
  /** Segments the cumulative ACK removed from flight. */
  acked: InFlight[];
  /** packets_out before the ACK (the window grows only when it limited the sender). */
  priorPacketsOut: number;
  /** The ACK carried data or opened the window (FLAG_DATA | FLAG_WIN_UPDATE). */
  notDup: boolean;
  /** The end of the highest sacked segment once the blocks are tagged (tcp_highest_sack_seq), if any. */
  fack: number | undefined;
}

export abstract class TcpRecovery<Tag = unknown> extends TcpHandshake<Tag> {
  protected readonly rack = new Rack();
  protected readonly prr = new Prr();
  protected readonly tlp = new TlpState();
  /** tp->high_seq: snd_nxt when recovery or loss began; reaching it ends them. */
  protected highSeq = 0;
  /** What the retransmission timer (icsk_retransmit_timer) is armed for now. */
  private xmitPending: 'rto' | 'reo' | 'tlp' = 'rto';

  protected growCwnd(acked: number, _packetsOutBefore: number): void {
    // Only a window that limited the sender grows (tcp_is_cwnd_limited).
    this.ca.congAvoid(this.sndUna, acked, this.cwndUsage.limits(this.cwnd, this.ssthresh));
  }

  /** A peer without SACK: the third duplicate ACK proves the head lost (tcp_newreno_mark_lost). */
  protected onDupAck(): void {
    if (this.sackOk) return;
    this.dupAcks++;
    if (this.dupAcks !== 3) return;
    // Fast retransmit: the algorithm's threshold (congestion.ts), resend the head.
    this.ssthresh = this.ca.ssthresh();
    this.cwnd = this.ssthresh;
    this.setCaState(CA_RECOVERY);
    const head = this.inflight[0];
    if (head) { head.lost = true; this.retransmitLost(1, true); }
  }

  /** The start of an ACK's processing: the SACK blocks mark the scoreboard (before the cumulative ACK, as tcp_ack). */
  protected ackStart(ack: number, blocks: Array<[number, number]>, notDup: boolean): AckContext {
    const ctx: AckContext = { priorUna: this.sndUna, sack: undefined, acked: [], priorPacketsOut: this.inflight.length, notDup, fack: undefined };
    if (this.sackOk && blocks.length > 0) {
      ctx.sack = sackTag(this.inflight, blocks, ack);
      if (ctx.sack.reordered) this.rack.reordSeen = true;
      for (const e of ctx.sack.newly) this.rack.advance(e, this.now, this.rtt.minRttUs);
    }
    for (const e of this.inflight) if (e.sacked) ctx.fack = segEnd(e);
    return ctx;
  }

  /**
   * The end of an ACK's processing (tcp_ack after tcp_clean_rtx_queue): the loss probe's
   * outcome, the recovery state machine with RACK, the window (PRR while reducing, the
   * algorithm otherwise), and the retransmission timer. Lost segments go with the next output().
   */
  protected ackEnd(ctx: AckContext): void {
    const unaAdvanced = seqGt(this.sndUna, ctx.priorUna);
    const ackedData = ctx.acked.filter((e) => !e.syn);
    for (const e of ackedData) if (!e.sacked) this.rack.advance(e, this.now, this.rtt.minRttUs);
    // A segment never resent, acknowledged below the highest SACK, arrived late: the path
    // reorders (tcp_clean_rtx_queue's tcp_check_sack_reordering).
    const fack = ctx.fack;
    if (fack !== undefined && ackedData.some((e) => !e.sacked && !e.retrans && seqLt(e.seq, fack))) this.rack.reordSeen = true;
    const newlySacked = ctx.sack?.newly.length ?? 0;
    const newlyAcked = ackedData.filter((e) => !e.sacked).length;
    if (this.tlp.highSeq !== 0) this.processTlpAck(unaAdvanced, ctx.notDup, newlySacked > 0);
    let newlyLost = 0;
    let setTimer = ackedData.length > 0;
    const dubious = (!unaAdvanced && !ctx.notDup) || newlySacked > 0 || (ctx.sack?.dsack ?? false) || this.caState !== CA_OPEN;
    if (!this.sackOk) {
      // Without SACK: recovery ends once nothing lost waits to be resent.
      if (this.caState !== CA_OPEN && this.inflight.every((e) => !e.lost)) this.setCaState(CA_OPEN);
    } else if (dubious) {
      const r = this.fastRetransAlert();
      newlyLost = r.newlyLost;
      if (r.reoArmed) setTimer = false;
    }
    if (this.sackOk && (this.caState === CA_RECOVERY || this.caState === CA_CWR)) {
      const cwnd = this.prr.reduce(newlyAcked + newlySacked, newlyLost, unaAdvanced, this.ssthresh, packetsInFlight(this.inflight));
      if (cwnd !== undefined) this.cwnd = cwnd;
    } else if (ackedData.length > 0) this.growCwnd(newlyAcked + newlySacked, ctx.priorPacketsOut);
    if (this.inflight.length === 0) { this.rtxTimer?.cancel(); this.rtxTimer = undefined; }
    else if (setTimer) this.setXmitTimer();
  }

  /** tcp_fastretrans_alert with RACK (Linux's default loss detection), without undo. */
  private fastRetransAlert(): { newlyLost: number; reoArmed: boolean } {
    if (this.caState !== CA_OPEN && seqGe(this.sndUna, this.highSeq)) {
      // Recovery or loss is over: the window is what the reduction aimed at (tcp_end_cwnd_reduction).
      if (this.caState === CA_RECOVERY || (this.caState === CA_CWR && this.sndUna !== this.highSeq)) this.cwnd = this.ssthresh;
      if (this.caState !== CA_DISORDER) this.setCaState(CA_OPEN);
    }
    const r = this.rackMarkLost();
    if (this.caState === CA_RECOVERY || this.caState === CA_LOSS) return r;
    if (scoreboard(this.inflight).lost === 0) { this.tryKeepOpen(); return r; }
    this.enterRecovery();
    return r;
  }

  /** tcp_set_ca_state: the algorithm hears of the change first. */
  protected setCaState(state: number): void {
    this.ca.setState?.(state);
    this.caState = state;
  }

  /** tcp_rack_mark_lost: detection when something was delivered; the reordering timer for the rest. */
  private rackMarkLost(): { newlyLost: number; reoArmed: boolean } {
    if (!this.rack.advanced || this.inflight.length === 0) return { newlyLost: 0, reoArmed: false };
    this.rack.advanced = false;
    const inRecovery = this.caState >= CA_RECOVERY;
    const reo = this.rack.reoWnd(inRecovery, scoreboard(this.inflight).sacked, this.rtt.minRttUs, this.rtt.srttUs);
    const { lost, waitUs } = this.rack.detectLoss(this.inflight, this.now, reo);
    if (waitUs > 0) this.armXmit('reo', jiffiesUs(waitUs + TIMEOUT_MIN_US));
    return { newlyLost: lost.length, reoArmed: waitUs > 0 };
  }

  /** tcp_try_keep_open: Disorder while anything is sacked, lost or resent, else Open. */
  private tryKeepOpen(): void {
    if (this.caState === CA_CWR) return;
    const s = scoreboard(this.inflight);
    const state = s.sacked > 0 || s.lost > 0 || s.retrans > 0 || (this.inflight[0]?.retrans ?? false) ? CA_DISORDER : CA_OPEN;
    if (this.caState !== state) { this.setCaState(state); this.highSeq = this.sndNxt; }
  }

  /** tcp_init_cwnd_reduction: the algorithm's threshold, PRR from the current window. */
  private initCwndReduction(): void {
    this.highSeq = this.sndNxt;
    this.tlp.highSeq = 0;
    this.cwndCount = 0;
    this.priorCwnd = this.cwnd;
    this.prr.start(this.cwnd);
    this.ssthresh = this.ca.ssthresh();
  }

  /** tcp_enter_recovery. */
  private enterRecovery(): void {
    if (this.caState !== CA_CWR) this.initCwndReduction();
    this.setCaState(CA_RECOVERY);
  }

  /**
   * tcp_process_tlp_ack: an ACK at or beyond the probe. A probe of new data, or one both copies
   * of which arrived (a duplicate ACK), ends the episode; an ACK beyond a resent probe means a
   * loss that the probe repaired: the window is reduced once (CWR).
   */
  private processTlpAck(unaAdvanced: boolean, notDup: boolean, sacked: boolean): void {
    if (seqLt(this.sndUna, this.tlp.highSeq) && !(this.sndUna === this.tlp.highSeq)) {
      if (unaAdvanced || notDup || sacked) return;
    }
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

  /** tcp_set_xmit_timer: the loss probe when it may go, else the RTO. */
  protected setXmitTimer(): void {
    if (!this.scheduleLossProbe(true)) this.rearmRto();
  }

  /** tcp_rearm_rto: a full RTO from now, or what is left of it after a probe or reordering timer. */
  protected rearmRto(): void {
    if (this.inflight.length === 0) { this.rtxTimer?.cancel(); this.rtxTimer = undefined; return; }
    let us = this.rtt.rtoUs;
    if (this.rtxTimer && this.xmitPending !== 'rto') us = Math.max(1, this.rtoLeftUs());
    this.armXmit('rto', us);
  }

  /** How far off the RTO of the oldest segment in flight is (tcp_rto_delta_us). */
  private rtoLeftUs(): number {
    const head = this.inflight[0];
    return head ? head.sentAt + this.rtt.rtoUs - this.now : this.rtt.rtoUs;
  }

  /** tcp_schedule_loss_probe: SACK peers, Open or CWR, with something in flight; early_retrans 3 or 4. */
  protected scheduleLossProbe(advancingRto: boolean): boolean {
    const er = this.env.sysctls.int('net.ipv4.tcp_early_retrans');
    if ((er !== 3 && er !== 4) || this.inflight.length === 0 || !this.sackOk) return false;
    if (this.caState !== CA_OPEN && this.caState !== CA_CWR) return false;
    if (this.state === 'SYN_RECV' || this.state === 'SYN_SENT') return false;
    const rtoLeft = advancingRto ? this.rtt.rtoUs : this.rtoLeftUs();
    const rtoMin = this.env.sysctls.int('net.ipv4.tcp_rto_min_us');
    this.armXmit('tlp', probeTimeoutUs(this.rtt.srttUs, this.rtt.hasSample, this.inflight.length, rtoMin, rtoLeft));
    return true;
  }

  /** Arms the retransmission timer for `kind` (one timer, as icsk_retransmit_timer serves all three). */
  private armXmit(kind: 'rto' | 'reo' | 'tlp', us: number): void {
    this.rtxTimer?.cancel();
    this.xmitPending = kind;
    if (kind === 'rto') { this.armRtx(us); return; }
    this.rtxTimer = this.env.clock.schedule(this.now + us, () => {
      this.rtxTimer = undefined;
      if (this.state === 'CLOSED' || this.inflight.length === 0) return;
      if (kind === 'tlp') this.sendLossProbe();
      else this.reoTimeout();
    });
  }

  /** New data went out (tcp_write_xmit): PRR counts it; the loss probe moves after it. */
  protected newDataSent(probe: boolean): void {
    if (this.caState === CA_RECOVERY || this.caState === CA_CWR) this.prr.out++;
    if (!probe) this.scheduleLossProbe(false);
  }

  /**
   * tcp_send_loss_probe: at most one probe per episode; new data if the peer's window takes it
   * (ignoring the congestion window), else the last segment again. The RTO restarts from now.
   */
  private sendLossProbe(): void {
    this.xmitPending = 'tlp';
    if (this.tlp.highSeq !== 0) { this.rearmRto(); return; }
    this.tlp.retrans = false;
    const before = this.inflight.length;
    this.output(true);
    if (this.inflight.length === before) {
      const last = this.inflight[this.inflight.length - 1];
      if (!last || last.syn) { this.rearmRto(); return; }
      last.retrans = true;
      last.sentAt = this.now;
      this.totalRetrans++;
      this.sendData(last.seq, last.len, last.fin, true);
      this.tlp.retrans = true;
    }
    this.tlp.highSeq = this.sndNxt;
    this.xmitPending = 'rto';
    this.armXmit('rto', this.rtt.rtoUs);
  }

  /** tcp_rack_reo_timeout: the segments now overdue are lost; recovery starts if it had not. */
  private reoTimeout(): void {
    this.xmitPending = 'reo';
    const prior = packetsInFlight(this.inflight);
    const reo = this.rack.reoWnd(this.caState >= CA_RECOVERY, scoreboard(this.inflight).sacked, this.rtt.minRttUs, this.rtt.srttUs);
    this.rack.detectLoss(this.inflight, this.now, reo);
    if (prior !== packetsInFlight(this.inflight)) {
      if (this.caState !== CA_RECOVERY) {
        this.enterRecovery();
        const cwnd = this.prr.reduce(1, 0, false, this.ssthresh, packetsInFlight(this.inflight));
        if (cwnd !== undefined) this.cwnd = cwnd;
      }
      this.retransmitLost(Infinity);
    }
    this.rearmRto();
  }

  /** tcp_enter_loss's marking (the RTO): every segment not sacked is lost, no resend is in flight. */
  protected markAllLost(): void {
    for (const e of this.inflight) { if (!e.sacked) e.lost = true; e.rtxOut = false; }
    this.highSeq = this.sndNxt;
    this.tlp.highSeq = 0;
  }

  /**
   * A smaller path MTU: segments in flight that no longer fit are lost; they are resent, cut to
   * the new size, at once (tcp_simple_retransmit).
   */
  onPathMtu(mtu: number): void {
    const minMtu = this.tuple.family === 4 ? 552 : 1280;
    const m = Math.max(mtu, minMtu);
    if (m >= (this.pmtu || this.env.mtu) || this.state === 'CLOSED') return;
    this.pmtu = m;
    const room = this.payloadRoom([]);
    const next: InFlight[] = [];
    for (const e of this.inflight) {
      if (e.syn || e.len <= room) { next.push(e); continue; }
      for (let off = 0; off < e.len; off += room) {
        const len = Math.min(room, e.len - off);
        next.push({ seq: seqAdd(e.seq, off), len, syn: false, fin: e.fin && off + len === e.len, sentAt: e.sentAt, retrans: e.retrans, lost: true });
      }
    }
    this.inflight = next;
    this.retransmitLost(Infinity, true);
  }

  protected retransmitHead(): void {
    if (this.state === 'SYN_RECV') this.sendSynAck();
  }

  /**
   * Resends up to `max` segments marked lost and not resent yet, never a sacked one, while what
   * is in flight stays below the congestion window (tcp_xmit_retransmit_queue); `forceFirst`
   * lets the first go regardless. Resending the head restarts the RTO unless the reordering
   * timer is pending.
   */
  protected retransmitLost(max: number, forceFirst = false): void {
    let sent = 0;
    for (const e of this.inflight) {
      if (sent >= max) break;
      if (e.sacked || !e.lost) continue;
      if (!(forceFirst && sent === 0) && packetsInFlight(this.inflight) >= this.cwnd) break;
      e.lost = false;
      e.rtxOut = true;
      e.retrans = true;
      e.sentAt = this.now;
      this.totalRetrans++;
      if (this.caState !== CA_LOSS) this.prr.out++;
      this.sendData(e.seq, e.len, e.fin, true);
      if (e === this.inflight[0] && this.xmitPending !== 'reo') this.armXmit('rto', this.rtt.rtoUs);
      sent++;
    }
  }

}
