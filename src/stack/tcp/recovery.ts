// Loss recovery (tcp_recovery.c, tcp_input.c tcp_fastretrans_alert): the congestion window's
// growth (by the socket's algorithm, congestion.ts), the SACK scoreboard (sack.ts), RACK loss
// detection and its reordering timer (rack.ts), Proportional Rate Reduction while recovering
// (prr.ts), the tail loss probe (tlp.ts), undoing a spurious reduction (undo.ts),
// retransmission of segments marked lost, fast retransmit on three duplicate ACKs for a peer
// without SACK, and a lowered path MTU's resend (tcp_simple_retransmit).
import { seqAdd, seqGe, seqGt, seqLt } from './seq.js';
import type { InFlight } from './sock.js';
import { CA_CWR, CA_DISORDER, CA_LOSS, CA_OPEN, CA_RECOVERY, TcpCaState } from './ca-state.js';
import type { TcpOption } from '../../wire/packet.js';
import { findTimestamp } from './options.js';
import { packetsInFlight, sackBlocks, sackTag, scoreboard, segEnd, type SackTagResult } from './sack.js';
import { jiffiesUs, probeTimeoutUs, TIMEOUT_MIN_US } from './tlp.js';

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
  /** The TS echo reply of the ACK (undo's tcp_packet_delayed), if it had timestamps. */
  tsEcr: number | undefined;
}

export abstract class TcpRecovery<Tag = unknown> extends TcpCaState<Tag> {
  /** F-RTO asked for new data before any retransmission on this ACK (REXMIT_NEW). */
  private newDataFirst = false;
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
  protected ackStart(ack: number, options: TcpOption[], notDup: boolean): AckContext {
    const tsEcr = this.tsOk ? findTimestamp(options)?.ecr : undefined;
    const ctx: AckContext = { priorUna: this.sndUna, sack: undefined, acked: [], priorPacketsOut: this.inflight.length, notDup, fack: undefined, tsEcr };
    const blocks = sackBlocks(options);
    if (this.sackOk && blocks.length > 0) {
      ctx.sack = sackTag(this.inflight, blocks, ack);
      const d = ctx.sack.dsack ? blocks[0] : undefined;
      if (d) this.undo.dsack(d[0], d[1], this.sndUna, this.sndMss, this.inflight);
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
      // FLAG_ORIG_SACK_ACKED: a segment never resent was (s)acked now (F-RTO's proof).
      const origAcked = [...ackedData, ...(ctx.sack?.newly ?? [])].some((e) => !e.retrans);
      const r = this.fastRetransAlert(unaAdvanced, ctx.tsEcr, origAcked, newlySacked > 0, !unaAdvanced && !ctx.notDup);
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

  /**
   * tcp_fastretrans_alert with RACK (Linux's default loss detection): the end of recovery, the
   * undo checks, loss detection and entering recovery.
   */
  private fastRetransAlert(unaAdvanced: boolean, tsEcr: number | undefined, origAcked: boolean, dataSacked: boolean, dupAck: boolean): { newlyLost: number; reoArmed: boolean } {
    const none = { newlyLost: 0, reoArmed: false };
    if (this.caState === CA_OPEN) this.undo.stamp = 0;
    else if (seqGe(this.sndUna, this.highSeq)) {
      if (this.caState === CA_CWR && this.sndUna !== this.highSeq) { this.endCwndReduction(); this.setCaState(CA_OPEN); }
      else if (this.caState === CA_RECOVERY) { this.tryUndoRecovery(tsEcr); this.endCwndReduction(); }
    }
    switch (this.caState) {
      case CA_RECOVERY: {
        if (unaAdvanced && this.tryUndoPartial(tsEcr)) return none;
        if (this.tryUndoDsack()) this.tryKeepOpen();
        const r = this.rackMarkLost();
        if ((this.caState as number) !== CA_RECOVERY && scoreboard(this.inflight).lost > 0) this.enterRecovery();
        return r;
      }
      case CA_LOSS:
        if (this.processLoss(unaAdvanced, origAcked, dataSacked, dupAck, tsEcr)) return none;
        return this.rackMarkLost();
      default: {
        if (this.caState <= CA_DISORDER) this.tryUndoDsack();
        const r = this.rackMarkLost();
        if (scoreboard(this.inflight).lost === 0) { this.tryToOpen(); return r; }
        this.enterRecovery();
        return r;
      }
    }
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

  /**
   * tcp_process_loss with F-RTO (RFC 5682, SACK-enhanced): after the timeout's retransmission
   * is acknowledged, new data goes instead of more retransmissions; an ACK of a segment never
   * resent then proves the timeout spurious and undoes it. Returns true when the ACK is done.
   */
  private processLoss(unaAdvanced: boolean, origAcked: boolean, dataSacked: boolean, dupAck: boolean, tsEcr: number | undefined): boolean {
    const recovered = seqGe(this.sndUna, this.highSeq);
    if (unaAdvanced && this.tryUndoLoss(false, tsEcr)) return true;
    if (this.frto) {
      if (origAcked && this.tryUndoLoss(true, tsEcr)) return true;
      if (seqGt(this.sndNxt, this.highSeq)) {
        if (dataSacked || dupAck) this.frto = false;
      } else if (unaAdvanced && !recovered) {
        this.highSeq = this.sndNxt;
        // REXMIT_NEW: new data if there is some and the peer's window takes it.
        if (this.notSentBytes > 0 && seqGt(seqAdd(this.sndUna, this.sndWnd), this.sndNxt)) { this.newDataFirst = true; return true; }
        this.frto = false;
      }
    }
    if (recovered) { this.tryUndoRecovery(tsEcr); return true; }
    return false;
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
    if (this.newDataFirst) {
      // F-RTO's new data goes first; retransmissions only if none went (tcp_xmit_recovery).
      this.newDataFirst = false;
      if (!forceFirst) return;
    }
    let sent = 0;
    for (const e of this.inflight) {
      if (sent >= max) break;
      if (e.sacked || !e.lost) continue;
      if (!(forceFirst && sent === 0) && packetsInFlight(this.inflight) >= this.cwnd) break;
      e.lost = false;
      e.rtxOut = true;
      e.retrans = true;
      e.sentAt = this.now;
      this.undo.retransmitted(this.tsVal());
      this.totalRetrans++;
      if (this.caState !== CA_LOSS) this.prr.out++;
      this.sendData(e.seq, e.len, e.fin, true);
      if (e === this.inflight[0] && this.xmitPending !== 'reo') this.armXmit('rto', this.rtt.rtoUs);
      sent++;
    }
  }

}
