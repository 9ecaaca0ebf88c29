// Segment arrival (tcp_input.c, tcp_rcv_state_process): SYN_SENT and SYN_RECV, sequence
// checks, RST and challenge ACKs, ACK processing (windows, RTT, congestion, FIN states),
// in-order and out-of-order data, the FIN, and when the ACK goes.
import type { TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { readFastOpen, TFO_DATA_NOT_ACKED, TFO_SYN_RETRANSMITTED } from '../fastopen.js';
import { findTimestamp, readSynOptions } from './options.js';
import { CA_CWR } from './ca-state.js';
import type { AckContext } from './recovery.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { canReceive, type TcpState } from './state.js';
import { DEFAULT_PEER_MSS, DELACK_US, MAX_QUICKACKS, TIME_WAIT_US } from './sock.js';
import { TcpTimers } from './timers.js';

export abstract class TcpInput<Tag = unknown> extends TcpTimers<Tag> {
  input(seg: TcpSegment, ipEcn = 0): void {
    this.rxIpEcn = ipEcn;
    this.segsIn++;
    this.lastHeard = this.now;
    this.clockCache = this.now;
    this.keepaliveProbes = 0;
    switch (this.state) {
      case 'SYN_SENT': return this.inputSynSent(seg);
      case 'SYN_RECV': return this.inputSynRecv(seg);
      case 'CLOSED':
      case 'LISTEN': return;
      default: return this.inputSynchronized(seg);
    }
  }

  protected inputSynSent(seg: TcpSegment): void {
    const f = seg.flags;
    if (f & TcpFlag.ACK) {
      // snd_una < ack <= snd_nxt: a SYN/ACK may ack the SYN without the data it carried.
      if (seqLe(seg.ack, this.sndUna) || seqGt(seg.ack, this.sndNxt)) {
        if (!(f & TcpFlag.RST)) this.sendBareReset(seg.ack, undefined);
        return;
      }
    }
    if (f & TcpFlag.RST) {
      if (f & TcpFlag.ACK) { this.error = 'ECONNREFUSED'; this.aborted = true; this.becomeClosed(); }
      return;
    }
    if (!(f & TcpFlag.SYN) || !(f & TcpFlag.ACK)) return;
    if (this.ulp && !this.ulp.synAckReceived(seg)) return;
    this.ecn.synAckReceived(f);
    const peer = readSynOptions(seg.options);
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvWup = this.rcvNxt;
    this.peerMss = peer.mss ?? DEFAULT_PEER_MSS;
    if (!peer.ts) this.tsOk = false;
    if (!peer.sackOk) this.sackOk = false;
    if (peer.wscale === undefined) { this.wscaleOk = false; this.rcvWscale = 0; }
    this.sndWscale = this.wscaleOk ? peer.wscale! : 0;
    if (peer.ts) this.tsRecent = peer.ts.val;
    this.ackedUpTo(seg.ack);
    this.sndWnd = seg.window; // the window of a SYN is never scaled
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.state = 'ESTABLISHED';
    this.expandSendBuffer();
    this.lastAckRecv = this.now;
    this.armKeepalive();
    if ((this.fastOpen || this.synData > 0) && this.fastOpenSynAck(seg, peer.mss ?? 0)) return;
    this.sendAck();
    this.ulp?.established(true);
    this.output();
  }

  /**
   * tcp_rcv_fastopen_synack: the destination's cache learns the cookie and MSS (or that a
   * request went unanswered: ask in the experimental form next time); SYN data the SYN/ACK did
   * not acknowledge is sent again at once, and that segment stands for the ACK (returns true).
   */
  protected fastOpenSynAck(seg: TcpSegment, mss: number): boolean {
    const fo = this.fastOpen;
    this.fastOpen = undefined;
    const got = readFastOpen(seg.options);
    const dataLeft = this.inflight.some((e) => !e.syn && e.len > 0);
    let cookie = got;
    let synLost = false;
    let tryExp = 0;
    if (!this.synFastOpen) cookie = undefined; // an unsolicited cookie is ignored
    else if (this.totalRetrans > 0) synLost = !got && dataLeft;
    else if (!got && this.synData === 0) tryExp = fo?.option?.experimental ? 2 : 1;
    fo?.cache.set(this.tuple.localIp, this.tuple.remoteIp, mss, cookie, synLost, tryExp);
    if (!dataLeft) return false;
    this.fastOpenClientFail = this.totalRetrans > 0 ? TFO_SYN_RETRANSMITTED : TFO_DATA_NOT_ACKED;
    for (const e of this.inflight) if (!e.syn) e.lost = true;
    this.retransmitLost(Infinity, true);
    return true;
  }

  protected inputSynRecv(seg: TcpSegment): void {
    const f = seg.flags;
    if (f & TcpFlag.RST) { if (seg.seq === this.rcvNxt) this.becomeClosed(); return; }
    if (f & TcpFlag.SYN) {
      if (seg.seq === this.irs) { this.synRetrans++; this.retransmitHead(); }
      return;
    }
    if (!(f & TcpFlag.ACK)) return;
    // A Fast Open child may have sent data already: the ACK may cover it.
    const ackOk = this.passiveFastOpen ? seqGt(seg.ack, this.iss) && seqLe(seg.ack, this.sndNxt) : seg.ack === seqAdd(this.iss, 1);
    if (!ackOk) { this.sendBareReset(seg.ack, undefined); return; }
    // The completing ACK's timestamp becomes ts_recent (tcp_replace_ts_recent): later segments echo it.
    const ackTs = findTimestamp(seg.options);
    if (ackTs && this.tsOk && seg.seq === this.rcvNxt) this.tsRecent = ackTs.val;
    if (this.ulp && !this.ulp.thirdAckReceived(seg)) return;
    this.state = 'ESTABLISHED';
    this.expandSendBuffer();
    this.armKeepalive();
    this.ackedUpTo(seg.ack);
    this.sndWnd = seg.window << this.sndWscale;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.lastAckRecv = this.now;
    this.env.established(this);
    this.ulp?.established(false);
    // Whatever else the segment carries (data, FIN) is processed like any later segment.
    if (seg.payload.length > 0 || (f & TcpFlag.FIN)) this.inputSynchronized(seg, true);
  }

  /** Linux's tcp_sequence(): the segment overlaps [rcv_wup, rcv_nxt + window]. */
  protected acceptable(seg: TcpSegment): boolean {
    const len = seg.payload.length + ((seg.flags & TcpFlag.FIN) ? 1 : 0);
    const end = seqAdd(seg.seq, len);
    return seqGe(end, this.rcvWup) && seqLe(seg.seq, seqAdd(this.rcvNxt, this.advertisedWindow()));
  }

  protected inputSynchronized(seg: TcpSegment, ackDone = false): void {
    const f = seg.flags;
    if (this.state === 'TIME_WAIT') {
      if (f & TcpFlag.RST) { this.becomeClosed(); return; }
      if (f & TcpFlag.FIN) { this.sendAck(); this.armEnd(TIME_WAIT_US); }
      return;
    }
    if (!this.acceptable(seg)) {
      if (!(f & TcpFlag.RST)) this.sendAck();
      return;
    }
    if (f & TcpFlag.RST) {
      if (seg.seq !== this.rcvNxt) { this.sendAck(); return; } // challenge ACK (RFC 5961)
      if (this.ulp?.resetReceived(seg)) return;
      this.onReset();
      return;
    }
    if (f & TcpFlag.SYN) { this.sendAck(); return; }
    if (!(f & TcpFlag.ACK)) return;
    const ts = findTimestamp(seg.options);
    if (ts && this.tsOk && seqLe(seg.seq, this.rcvNxt)) this.tsRecent = ts.val;
    if (!ackDone && !this.processAck(seg)) return;
    if (this.state === 'CLOSED') return;
    if (this.ulp && !this.ulp.incoming(seg, seg.seq === this.rcvNxt)) return;
    this.processData(seg);
    const upperEnd = this.ulp?.afterData(seg) ?? false;
    // New data goes out first and carries the ACK (tcp_data_snd_check before tcp_ack_snd_check).
    this.output();
    this.ulp?.afterInput();
    // When the upper layer's end let the connection close, the FIN carried its ACK and the upper
    // layer's own ACK of it still follows (an MPTCP DATA_FIN, observed on 6.18).
    if ((this.ackNow || (upperEnd && this.finSent)) && (this.state as TcpState) !== 'CLOSED') this.sendAck();
  }

  protected onReset(): void {
    if (this.state === 'CLOSE_WAIT' || this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT1' || this.state === 'FIN_WAIT2') {
      this.error = this.state === 'CLOSE_WAIT' ? 'EPIPE' : 'ECONNRESET';
    }
    this.aborted = true;
    this.becomeClosed();
  }

  /** tcp_ecn_check_ce: a new CE mark, or an unmarked resend after marks, asks for quick ACKs. */
  private ecnCheckCe(): void {
    if (this.ecn.checkCe(this.rxIpEcn)) { this.quick = Math.max(this.quick, 2); this.pingpong = false; }
  }

  /** tcp_enter_cwr: an ECE reduces the window once a window (CWR state, PRR), resending nothing. */
  private enterCwr(): void {
    this.undo.priorSsthresh = 0;
    if (this.caState >= CA_CWR) return;
    this.undo.marker = undefined;
    this.initCwndReduction();
    this.setCaState(CA_CWR);
  }

  /** Returns false when the segment must be dropped (an ACK of data never sent). */
  protected processAck(seg: TcpSegment): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndNxt)) { this.sendAck(); return false; }
    const window = seg.window << this.sndWscale;
    // FLAG_DATA | FLAG_WIN_UPDATE: such an ACK is no duplicate (tcp_ack's FLAG_NOT_DUP).
    const notDup = seg.payload.length > 0 || seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && window > this.sndWnd);
    const ctx = this.ackStart(ack, seg.options, notDup);
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack))) {
      const opened = window > this.sndWnd;
      this.sndWnd = window;
      this.maxSndWnd = Math.max(this.maxSndWnd, window);
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (opened && this.sndWnd > 0) this.cancelProbeIfAny();
    }
    if (seqGt(ack, this.sndUna)) {
      this.lastAckRecv = this.now;
      this.dupAcks = 0;
      this.ackedUpTo(ack, ctx);
    } else if (ack === this.sndUna && seg.payload.length === 0 && this.inflight.length > 0 && window === this.sndWnd && !(seg.flags & TcpFlag.FIN)) {
      this.onDupAck();
    }
    if (this.ecn.echoed(seg.flags)) this.enterCwr();
    this.ackEnd(ctx);
    if (this.ecn.acceptCwr(seg.flags, seg.payload.length > 0)) this.ackNow = true;
    return true;
  }

  /**
   * New data acknowledged up to `ack`: RTT, congestion window, timers, FIN states. An ACK
   * processed with its context (`ctx`) leaves the window and the timers to ackEnd (recovery.ts).
   */
  protected ackedUpTo(ack: number, ctx?: AckContext): void {
    const wasOut = this.inflight.length;
    let ackedPkts = 0;
    let rttSample: number | undefined;
    while (this.inflight.length > 0) {
      const e = this.inflight[0]!;
      const end = seqAdd(e.seq, e.len + (e.syn ? 1 : 0) + (e.fin ? 1 : 0));
      if (seqGt(end, ack)) break;
      this.inflight.shift();
      ctx?.acked.push(e);
      ackedPkts++;
      if (!e.retrans) rttSample = this.now - e.sentAt;
    }
    const dataAcked = Math.max(0, seqDiff(ack, this.sndUna) - (seqLe(this.sndUna, this.iss) ? 1 : 0) - (this.finSent && seqGt(ack, this.finSeq) ? 1 : 0));
    this.bytesAcked += dataAcked;
    this.sndUna = ack;
    while (this.chunks.length > 0) {
      const c = this.chunks[0]!;
      if (seqGt(seqAdd(c.seq, c.data.length), ack)) break;
      this.chunks.shift();
    }
    if (rttSample !== undefined) this.rtt.sample(rttSample);
    if (ackedPkts > 0) this.ca.pktsAcked?.({ pktsAcked: ackedPkts, rttUs: rttSample ?? -1, inFlight: this.inflight.length });
    this.backoff = 0;
    this.retransmits = 0;
    if (!ctx) {
      if (ackedPkts > 0 && this.state !== 'SYN_SENT' && this.state !== 'SYN_RECV') this.growCwnd(ackedPkts, wasOut);
      if (this.inflight.length === 0) { this.rtxTimer?.cancel(); this.rtxTimer = undefined; }
      else this.armRtx(this.rtt.rtoUs);
    }
    if (this.finSent && seqGt(ack, this.finSeq)) this.onFinAcked();
  }

  protected onFinAcked(): void {
    if (this.state === 'FIN_WAIT1') {
      this.state = 'FIN_WAIT2';
      if (this.orphaned) this.armEnd(this.env.sysctls.int('net.ipv4.tcp_fin_timeout') * 1_000_000);
    } else if (this.state === 'CLOSING') this.enterTimeWait();
    else if (this.state === 'LAST_ACK') this.becomeClosed();
  }

  protected processData(seg: TcpSegment): void {
    const fin = (seg.flags & TcpFlag.FIN) !== 0;
    let payload = seg.payload;
    let seq = seg.seq;
    if (payload.length > 0 || fin) this.lastRcvTime = this.now;
    if (payload.length > 0) {
      this.dataSegsIn++;
      if (!canReceive(this.state)) return;
      // Trim what we already have.
      if (seqLt(seq, this.rcvNxt)) {
        const skip = seqDiff(this.rcvNxt, seq);
        if (skip >= payload.length) { this.ackNow = true; return; }
        payload = payload.subarray(skip);
        seq = this.rcvNxt;
      }
      if (payload.length >= this.rcvMss) this.rcvMss = Math.min(payload.length, this.advMss);
      if (seq !== this.rcvNxt) {
        this.ecnCheckCe();
        this.ooo.insert(seq, payload.slice());
        if (fin) this.pendingFinSeq = seqAdd(seq, payload.length);
        this.quick = Math.max(this.quick, 1);
        this.ackNow = true;
        return;
      }
      this.ecnCheckCe();
      const hadHole = this.ooo.size > 0;
      this.deliver(payload);
      for (const more of this.ooo.take(this.rcvNxt)) this.deliver(more);
      if (fin) this.pendingFinSeq = seqAdd(seq, payload.length);
      if (this.pendingFinSeq !== undefined && this.pendingFinSeq === this.rcvNxt) { this.receiveFin(); return; }
      this.scheduleAck(hadHole);
      return;
    }
    if (fin) {
      if (seq !== this.rcvNxt) { this.pendingFinSeq = seq; this.ackNow = true; return; }
      this.receiveFin();
    }
  }

  /** In-order bytes, acknowledged at TCP level and queued at the data level. */
  protected deliver(data: Uint8Array): void {
    if (this.ato === 0) {
      // First data: quick-ACK mode for up to 16 segments (tcp_incr_quickack).
      this.ato = DELACK_US;
      this.quick = Math.min(MAX_QUICKACKS, Math.max(2, Math.floor(this.rcvWnd / (2 * this.rcvMss))));
    }
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.bytesReceived += data.length;
    this.lastDataRecv = this.now;
    if (this.ulp) this.ulp.receive(data);
    else this.queueReceived(data);
  }

  protected receiveFin(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.pendingFinSeq = undefined;
    this.rcvEof = true;
    switch (this.state) {
      case 'ESTABLISHED':
        this.state = 'CLOSE_WAIT';
        // tcp_fin() enters pingpong mode: the ACK is delayed (by ato) hoping to ride on our FIN.
        this.pingpong = true;
        this.scheduleAck(false);
        return;
      case 'FIN_WAIT1':
        if (this.finSent && seqGt(this.sndUna, this.finSeq)) this.enterTimeWait();
        else this.state = 'CLOSING';
        this.ackNow = true;
        return;
      case 'FIN_WAIT2':
        this.ackNow = true;
        this.enterTimeWait();
        return;
      default:
        this.ackNow = true;
    }
  }

  /** In-order bytes for the application's receive queue. */
  queueReceived(data: Uint8Array): void {
    if (!this.shutRd) { this.rcvQueue.push(data.slice()); this.rcvQueued += data.length; }
  }
}
