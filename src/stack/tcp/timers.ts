// The connection's timers (tcp_timer.c): retransmission (RTO with backoff, SYN and SYN/ACK
// retries, the orphan and retries2 limits), delayed ACK, keepalive, zero-window probe, FIN_WAIT2
// and TIME_WAIT.
import { TcpFlag } from '../../wire/packet.js';
import { segmentOptions } from './options.js';
import { MAX_RTO_US } from './rtt.js';
import { seqAdd, seqDiff, seqGt } from './seq.js';
import { TIME_WAIT_US } from './sock.js';
import { TcpRecovery } from './recovery.js';
import { clampProbe0ToUserTimeout, clampRtoToUserTimeout, orphanRetries, probesTimedOut, retransmitsTimedOut, RTO_MIN_US } from './write-timeout.js';

export abstract class TcpTimers<Tag = unknown> extends TcpRecovery<Tag> {
  /** Runs `fire` after `us` on the delayed-ACK timer (an ACK sent meanwhile cancels it). */
  protected armAckTimer(us: number, fire: () => void): void {
    this.delackTimer?.cancel();
    this.delackTimer = this.env.clock.schedule(this.now + us, () => {
      this.delackTimer = undefined;
      fire();
    });
  }

  protected scheduleAck(force: boolean): void {
    const quickMode = this.quick > 0 && !this.pingpong;
    const twoSegments = seqDiff(this.rcvNxt, this.rcvWup) > this.rcvMss;
    // ato is 0 until data arrived: the delayed-ACK timer then fires at the next jiffy (observed
    // on 6.18: a FIN on an idle connection is acked within ~2 ms).
    if (force || quickMode || twoSegments || this.ato === 0) { this.ackNow = true; return; }
    if (!this.delackTimer) this.delackTimer = this.env.clock.schedule(this.now + this.ato, () => this.onDelack());
  }

  protected onDelack(): void {
    this.delackTimer = undefined;
    if (this.pingpong) this.pingpong = false; // Linux leaves pingpong mode when a delayed ACK fires
    if (this.state !== 'CLOSED') this.sendAck();
  }

  protected armRtx(us: number): void {
    this.rtxTimer?.cancel();
    this.rtxTimer = this.env.clock.schedule(this.now + us, () => this.onRtx());
  }

  protected onRtx(): void {
    this.rtxTimer = undefined;
    if (this.state === 'CLOSED' || this.inflight.length === 0) return;
    const s = this.env.sysctls;
    if (this.state === 'SYN_SENT') {
      if (this.synRetrans >= s.int('net.ipv4.tcp_syn_retries')) { this.error = 'ETIMEDOUT'; this.aborted = true; this.becomeClosed(); return; }
      this.synRetrans++;
      this.retransmits++;
      this.totalRetrans++;
      this.sendSyn();
      return;
    }
    if (this.state === 'SYN_RECV') {
      if (this.synRetrans >= s.int('net.ipv4.tcp_synack_retries')) { this.becomeClosed(); return; }
      this.synRetrans++;
      this.retransmits++;
      this.totalRetrans++;
      this.sendSynAck();
      return;
    }
    if (this.writeTimedOut()) {
      // tcp_write_err: ETIMEDOUT and tcp_done, no RST (measured on 6.18: timers/user-timeout.pkt).
      if (this.ulp?.retriesExhausted()) return;
      this.error = 'ETIMEDOUT';
      this.aborted = true;
      this.becomeClosed();
      return;
    }
    if (this.retransmits === 0) this.retransStamp = this.now;
    // RTO: everything outstanding is lost; slow start from one segment.
    // tcp_enter_loss: a new threshold from Open or Disorder, or once recovery's point was reached,
    // or in Loss before a retransmission counted; a timeout repeating in Loss keeps it.
    this.frtoOnRto();
    if (this.caState <= 1 || !seqGt(this.highSeq, this.sndUna) || (this.caState === 4 && this.retransmits === 0)) {
      this.initLossUndo();
      this.priorCwnd = this.cwnd;
      this.ssthresh = this.ca.ssthresh();
    }
    this.cwnd = 1;
    this.cwndCount = 0;
    this.setCaState(4);
    this.ecn.reduced();
    this.markAllLost();
    this.retransmits++;
    this.backoff++;
    this.retransmitLost(1);
    this.armRtx(clampRtoToUserTimeout(Math.min(MAX_RTO_US, this.rtt.rtoUs * 2 ** this.backoff), this.retransStamp, this.now, this.settings.userTimeoutMs ?? 0));
  }

  /** tcp_retransmit_skb's retrans_stamp: when the first retransmission of the current run went. */
  protected retransStamp = 0;

  /** tcp_write_timeout after SYN_RECV: tcp_retries2 (an orphan's own retries) or TCP_USER_TIMEOUT, as a time. */
  private writeTimedOut(): boolean {
    const s = this.env.sysctls;
    const alive = this.rtt.rtoUs * 2 ** this.backoff < MAX_RTO_US;
    const boundary = this.orphaned ? orphanRetries(s.int('net.ipv4.tcp_orphan_retries'), alive) : s.int('net.ipv4.tcp_retries2');
    return retransmitsTimedOut(this.retransmits, this.retransStamp, this.now, boundary, this.settings.userTimeoutMs ?? 0);
  }

  /** TCP_QUICKACK reads "not in pingpong mode" (inet_csk_in_pingpong_mode). */
  get inPingpong(): boolean {
    return this.pingpong;
  }

  /**
   * TCP_QUICKACK (__tcp_sock_set_quickack): 0 enters pingpong mode (ACKs are delayed); another
   * value leaves it and sends a scheduled ACK at once, an even one entering pingpong again after.
   */
  setQuickAck(v: number): void {
    if (v === 0) { this.pingpong = true; return; }
    this.pingpong = false;
    if ((this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT') && this.delackTimer) {
      this.sendAck();
      if ((v & 1) === 0) this.pingpong = true;
    }
  }

  /**
   * Keepalive (tcp_keepalive_timer): after `idle` s without hearing from the peer and with
   * nothing in flight, a probe (an ACK with snd_una - 1) every `intvl` s; after `cnt`
   * unanswered probes, RST and ETIMEDOUT.
   */
  armKeepalive(): void {
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = undefined;
    const k = this.settings.keepalive;
    if (!k.on || this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'SYN_SENT' || this.state === 'SYN_RECV') return;
    const due = this.keepaliveProbes === 0 ? this.lastHeard + k.idle * 1_000_000 : this.now + k.intvl * 1_000_000;
    this.keepaliveTimer = this.env.clock.schedule(Math.max(due, this.now), () => this.onKeepalive());
  }

  protected onKeepalive(): void {
    this.keepaliveTimer = undefined;
    const k = this.settings.keepalive;
    if (!k.on || this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.inflight.length > 0 || this.notSentBytes > 0) { this.keepaliveTimer = this.env.clock.schedule(this.now + k.idle * 1_000_000, () => this.onKeepalive()); return; }
    if (this.keepaliveProbes === 0 && this.now - this.lastHeard < k.idle * 1_000_000) { this.armKeepalive(); return; }
    if (this.keepaliveProbes >= k.cnt) {
      this.sendReset(this.sndNxt, true, this.ulp?.rstOptions(false) ?? []);
      this.error = 'ETIMEDOUT';
      this.aborted = true;
      this.becomeClosed();
      return;
    }
    const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
    this.transmit({ flags: TcpFlag.ACK, seq: seqAdd(this.sndUna, -1 >>> 0), ack: this.rcvNxt, window: this.windowField(), options: segmentOptions(ts, [], this.ulpOptions(undefined, 0, false)), payload: new Uint8Array(0) });
    this.keepaliveProbes++;
    this.armKeepalive();
  }

  /**
   * Zero-window probe (tcp_probe_timer, tcp_send_probe0): an ACK with an old sequence number
   * (tcp_xmit_probe_skb) at max(RTO, TCP_RTO_MIN), doubling (the backoff stops growing at
   * tcp_retries2); the connection ends with ETIMEDOUT, no RST, after tcp_retries2 unanswered
   * probes (an orphan's own retries) or TCP_USER_TIMEOUT after the first probe.
   */
  protected armProbe(): void {
    if (this.probeTimer || this.inflight.length > 0) return;
    const when = Math.min(MAX_RTO_US, Math.max(this.rtt.rtoUs, RTO_MIN_US) * 2 ** this.backoff);
    const wait = clampProbe0ToUserTimeout(when, this.probesStamp, this.now, this.settings.userTimeoutMs ?? 0);
    this.probeTimer = this.env.clock.schedule(this.now + wait, () => {
      this.probeTimer = undefined;
      if (this.state === 'CLOSED' || this.sndWnd > 0) return;
      if (this.probesStamp === undefined) this.probesStamp = this.now;
      else if (probesTimedOut(this.probesStamp, this.now, this.settings.userTimeoutMs ?? 0)) { this.probesExpired(); return; }
      const s = this.env.sysctls;
      const retries2 = s.int('net.ipv4.tcp_retries2');
      const alive = when < MAX_RTO_US;
      const maxProbes = this.orphaned ? orphanRetries(s.int('net.ipv4.tcp_orphan_retries'), alive) : retries2;
      if (this.orphaned && !alive && this.backoff >= maxProbes) { this.probesExpired(); return; }
      if (this.probesOut >= maxProbes) { this.probesExpired(); return; }
      this.probesOut++;
      if (this.backoff < retries2) this.backoff++;
      const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
      this.transmit({ flags: TcpFlag.ACK, seq: seqAdd(this.sndUna, -1 >>> 0), ack: this.rcvNxt, window: this.windowField(), options: segmentOptions(ts, [], this.ulpOptions(undefined, 0, false)), payload: new Uint8Array(0) });
      this.armProbe();
    });
  }

  /** icsk_probes_out (tcpi_probes) and icsk_probes_tstamp: the probes of the current closed window. */
  probesOut = 0;
  protected probesStamp: number | undefined;

  /** tcp_write_err from the probe timer: ETIMEDOUT, no RST. */
  private probesExpired(): void {
    this.error = 'ETIMEDOUT';
    this.aborted = true;
    this.becomeClosed();
  }

  protected cancelProbeIfAny(): void {
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    this.backoff = 0;
    this.probesOut = 0;
    this.probesStamp = undefined;
  }

  protected armEnd(us: number): void {
    this.endTimer?.cancel();
    this.endTimer = this.env.clock.schedule(this.now + us, () => { this.endTimer = undefined; this.becomeClosed(); });
  }

  protected enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.rtxTimer?.cancel();
    this.armEnd(TIME_WAIT_US);
  }
}
