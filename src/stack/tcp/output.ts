// Sending (Linux's tcp_output.c): the send queue the application fills, the send loop within the
// congestion and send windows with Nagle, data segments with PSH, pure ACKs, the FIN and RSTs.
import type { TcpOption } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { optionBytes, segmentOptions } from './options.js';
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq.js';
import { packetsInFlight } from './sack.js';
import { canSend } from './state.js';
import { DELACK_US, type SendChunk } from './sock.js';
import { TcpSock } from './sock.js';
import { tsoSegs } from './gso.js';

export abstract class TcpOutput<Tag = unknown> extends TcpSock<Tag> {
  /** Resends up to `max` segments marked lost (recovery.ts). */
  protected abstract retransmitLost(max: number): void;
  /** The zero-window probe timer (timers.ts). */
  protected abstract armProbe(): void;
  /** The retransmission timer, due in `us` (timers.ts). */
  protected abstract armRtx(us: number): void;
  /** New data went out: PRR counts it, the loss probe moves after it (recovery.ts); `probe`: it was the probe. */
  protected abstract newDataSent(probe: boolean): void;
  /** output() is sending a loss probe (one segment, past the congestion window). */
  private probing = false;

  /** Queues application data; returns the number of bytes taken (bounded by the send buffer). */
  write(data: Uint8Array): number {
    return this.queueData(data, this.sendBufferFree());
  }

  /** Queues up to `room` bytes of `data` in pieces the upper layer tags, and sends what it may. */
  protected queueData(data: Uint8Array, room: number): number {
    const n = Math.min(room, data.length);
    let at = 0;
    while (at < n) {
      const take = Math.min(n - at, this.ulp?.writePiece() ?? Infinity);
      const piece = data.slice(at, at + take);
      this.enqueue(piece, at + take === n, this.ulp?.tagWrite(piece));
      at += take;
    }
    if (n > 0) this.output();
    return n;
  }

  /** Appends `piece` to the send queue at sndEnd (PSH at its end when `push`). */
  protected enqueue(piece: Uint8Array, push: boolean, tag: Tag | undefined): void {
    this.chunks.push({ seq: this.sndEnd, data: piece, push, tag });
    this.sndEnd = seqAdd(this.sndEnd, piece.length);
  }

  sendBufferFree(): number {
    return Math.max(0, this.settings.sndBuf - seqDiff(this.sndEnd, this.sndUna));
  }

  /** Forgets what was queued and not sent yet (it goes elsewhere: the connection is closing). */
  protected dropUnsent(): void {
    this.chunks = this.chunks.filter((c) => seqLt(c.seq, this.sndNxt));
    this.sndEnd = this.sndNxt;
  }

  protected queueFin(): void {
    if (this.finQueued) return;
    if (this.offWire) {
      // Off the wire, nothing is left to send a FIN on: the socket it stood for closes.
      this.finQueued = true;
      this.state = 'CLOSED';
      return;
    }
    if (this.state === 'ESTABLISHED' || this.state === 'SYN_RECV') this.state = 'FIN_WAIT1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    else return;
    this.finQueued = true;
    this.finSeq = this.sndEnd;
    this.sndEnd = seqAdd(this.sndEnd, 1);
    this.output();
  }

  /**
   * Sends what the windows and Nagle allow; then the FIN (and the upper layer's signals) when due.
   * `probe`: one new segment for a loss probe, past the congestion window and Nagle
   * (tcp_write_xmit with push_one 2).
   */
  output(probe = false): void {
    if (this.offWire) return;
    const fastOpenChild = this.passiveFastOpen && this.state === 'SYN_RECV';
    if (!canSend(this.state) && !fastOpenChild && this.state !== 'FIN_WAIT1' && this.state !== 'LAST_ACK' && this.state !== 'CLOSING') return;
    if (!probe) this.retransmitLost(Infinity);
    const sentBefore = this.sndNxt;
    this.probing = probe;
    // Segments left in the current TSO packet (tcp_write_xmit: min(cwnd quota, tcp_tso_segs)).
    let burstLeft = 0;
    for (;;) {
      const dataEnd = this.finQueued ? this.finSeq : this.sndEnd;
      const avail = seqDiff(dataEnd, this.sndNxt);
      if (avail <= 0) break;
      // tcp_cwnd_test counts what is in flight: neither sacked nor lost and not resent.
      if (!probe && packetsInFlight(this.inflight) >= this.cwnd) break;
      if (probe && !this.probing) break;
      const chunk = this.chunkAt(this.sndNxt);
      const tag = this.ulp?.liveTag(chunk?.tag);
      const mp = this.ulpOptions(tag, 1, false);
      const mss = this.payloadRoom(mp);
      let len = Math.min(avail, mss);
      // A tagged piece (an MPTCP mapping) ends its segment.
      if (tag && chunk) len = Math.min(len, seqDiff(seqAdd(chunk.seq, chunk.data.length), this.sndNxt));
      const wndRoom = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
      if (wndRoom <= 0) { this.armProbe(); break; }
      if (len > wndRoom) {
        len = wndRoom;
      }
      if (len < mss && len === avail && !probe) {
        // tcp_nagle_check with tcp_minshall_check: a small segment not yet acknowledged and sent.
        const nagle = !this.settings.nodelay && seqGt(this.sndSml, this.sndUna) && seqLe(this.sndSml, this.sndNxt) && this.inflight.length > 0;
        if (this.settings.cork || nagle) break;
      }
      const withFin = this.finQueued && seqAdd(this.sndNxt, len) === this.finSeq;
      if (burstLeft === 0) burstLeft = tag ? 1 : this.burstSegments(Math.min(avail, wndRoom), mss, probe);
      // The last segment of a TSO packet of two or more gets PSH (tcp_transmit_skb).
      this.gsoPush = burstLeft === 1 && this.burstLen > 1;
      burstLeft--;
      this.sendData(this.sndNxt, len, withFin, false);
      this.gsoPush = false;
      this.sndNxt = seqAdd(this.sndNxt, len + (withFin ? 1 : 0));
      if (withFin) this.finSent = true;
      if (len < mss) this.sndSml = this.sndNxt;
    }
    const probeSent = probe && !this.probing;
    this.probing = false;
    if (this.finQueued && !this.finSent && this.sndNxt === this.finSeq && !probeSent) {
      this.sendData(this.sndNxt, 0, true, false);
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.finSent = true;
    }
    const cwndLimited = packetsInFlight(this.inflight) >= this.cwnd;
    if (this.sndNxt !== sentBefore || cwndLimited) this.cwndUsage.validate(cwndLimited, this.inflight.length, this.sndUna, this.sndNxt);
    this.ulp?.afterOutput();
  }

  /** The segment being sent ends a TSO packet of more than one segment (PSH, tcp_transmit_skb). */
  private gsoPush = false;
  /** Segments of the TSO packet being sent. */
  private burstLen = 0;

  /**
   * The segments of the next TSO packet (tcp_write_xmit / tcp_mss_split_point): at most
   * tcp_tso_autosize's count and the congestion window's room, within the bytes the send window
   * lets go; a loss probe sends one.
   */
  private burstSegments(bytes: number, mss: number, probe: boolean): number {
    const quota = probe ? 1 : Math.max(1, this.cwnd - packetsInFlight(this.inflight));
    const segs = tsoSegs({ mss, cwnd: this.cwnd, ssthresh: this.ssthresh, packetsOut: this.inflight.length, srttUs: this.rtt.srttUs, minRttUs: this.rtt.hasSample ? this.rtt.minRttUs : undefined });
    this.burstLen = Math.max(1, Math.min(segs, quota, Math.ceil(bytes / mss)));
    return this.burstLen;
  }

  protected chunkAt(seq: number): SendChunk<Tag> | undefined {
    for (const c of this.chunks) if (seqLe(c.seq, seq) && seqLt(seq, seqAdd(c.seq, c.data.length))) return c;
    return undefined;
  }

  /** The upper layer's options for a segment after the handshake. */
  protected ulpOptions(tag: Tag | undefined, payloadLen: number, fin: boolean, seq = this.sndNxt): TcpOption[] {
    return this.ulp?.txOptions({ tag, payloadLen, fin, seq }) ?? [];
  }

  protected payloadRoom(upper: TcpOption[]): number {
    const sack = this.sackOk && this.ooo.size > 0 ? 0 : 0;
    const opt = (this.tsOk ? 12 : 0) + optionBytes(upper) + sack;
    return this.mssNoOptions - ((opt + 3) & ~3);
  }

  protected bytesAt(seq: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let at = 0;
    for (const c of this.chunks) {
      if (at >= len) break;
      const cEnd = seqAdd(c.seq, c.data.length);
      const want = seqAdd(seq, at);
      if (seqLe(cEnd, want) || seqGt(c.seq, want)) continue;
      const off = seqDiff(want, c.seq);
      const take = Math.min(c.data.length - off, len - at);
      out.set(c.data.subarray(off, off + take), at);
      at += take;
    }
    return out;
  }

  protected sendData(seq: number, len: number, fin: boolean, retrans: boolean): void {
    const chunk = len > 0 ? this.chunkAt(seq) : undefined;
    const tag = this.ulp?.liveTag(chunk?.tag);
    const payload = this.bytesAt(seq, len);
    const end = seqAdd(seq, len);
    const push = len > 0 && (fin || this.gsoPush || this.chunks.some((c) => c.push && seqAdd(c.seq, c.data.length) === end) || end === this.sndEnd);
    const mp = this.ulpOptions(tag, len, fin, seq);
    let flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (push ? TcpFlag.PSH : 0);
    if (this.state === 'SYN_RECV' && !this.passiveFastOpen) flags = TcpFlag.ACK;
    this.transmitAck(mp, len, { seq, flags, payload });
    if (len > 0) {
      // tcp_event_data_sent: the first segment after an idle time (nothing in flight).
      if (!retrans && this.inflight.length === 0) this.ca.cwndEvent?.('tx-start');
      this.dataSegsOut++;
      this.lastDataSent = this.now;
      if (retrans) this.bytesRetrans += len; else this.bytesSent += len;
      this.ulp?.dataSent(chunk?.tag, len, retrans);
      // Pingpong: data sent shortly after data arrived (tcp_event_data_sent).
      if (this.lastRcvTime >= 0 && this.now - this.lastRcvTime < Math.max(this.ato, DELACK_US)) this.pingpong = true;
    }
    if (!retrans) {
      this.trackInFlight(seq, len, false, fin, false);
      this.newDataSent(this.probing);
      this.probing = false;
    }
    if (!this.rtxTimer) this.armRtx(this.rtt.rtoUs);
  }

  /** A pure ACK (with the options the upper layer puts on it). */
  sendAck(extra: TcpOption[] = [], staleTs = false): void {
    if (this.state === 'CLOSED' || this.state === 'SYN_SENT' || this.state === 'LISTEN') return;
    this.transmitAck([...this.ulpOptions(undefined, 0, false, this.sndNxt), ...extra], 0, undefined, staleTs);
  }

  protected transmitAck(upper: TcpOption[], len: number, data?: { seq: number; flags: number; payload: Uint8Array }, staleTs = false): void {
    if (len > 0 || data) this.clockCache = this.now;
    const ts = this.tsOk ? { val: this.tsVal(staleTs), ecr: this.tsRecent } : undefined;
    const sack = this.sackOk ? this.ooo.sackBlocks(4) : [];
    const options = segmentOptions(ts, sack, upper);
    this.transmit({
      flags: data?.flags ?? TcpFlag.ACK,
      seq: data?.seq ?? this.sndNxt,
      ack: this.rcvNxt,
      window: this.windowField(),
      options,
      payload: data?.payload ?? new Uint8Array(len),
    });
    this.ackSent();
  }

  protected ackSent(): void {
    this.ackNow = false;
    this.delackTimer?.cancel();
    this.delackTimer = undefined;
    this.rcvWup = this.rcvNxt;
    if (this.quick > 0) this.quick--;
  }

  protected trackInFlight(seq: number, len: number, syn: boolean, fin: boolean, retrans: boolean): void {
    const existing = this.inflight.find((e) => e.seq === seq && e.syn === syn);
    if (existing) { existing.sentAt = this.now; existing.retrans = retrans || existing.retrans; return; }
    this.inflight.push({ seq, len, syn, fin, sentAt: this.now, retrans, lost: false });
  }

  /** RST|ACK from this connection (close with unread data, SO_LINGER 0, timeouts), with the upper layer's options `mp`. */
  protected sendReset(seq: number, withAck: boolean, mp: TcpOption[]): void {
    const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
    // tcp_send_active_reset goes through tcp_transmit_skb: an RST|ACK announces the current window.
    this.transmit({ flags: TcpFlag.RST | (withAck ? TcpFlag.ACK : 0), seq, ack: withAck ? this.rcvNxt : 0, window: withAck ? this.windowField() : 0, options: segmentOptions(ts, [], mp), payload: new Uint8Array(0) });
  }

  protected sendBareReset(seq: number, _reason: number | undefined): void {
    this.transmit({ flags: TcpFlag.RST, seq, ack: 0, window: 0, options: [], payload: new Uint8Array(0) });
  }
}
