// Loss recovery (tcp_recovery.c): the congestion window's growth (by the socket's algorithm,
// congestion.ts), fast retransmit on three duplicate ACKs, retransmission of segments marked lost, and a
// lowered path MTU's resend (tcp_simple_retransmit).
import { seqAdd } from './seq.js';
import type { InFlight } from './sock.js';
import { TcpHandshake } from './connect.js';

export abstract class TcpRecovery<Tag = unknown> extends TcpHandshake<Tag> {
  protected growCwnd(acked: number, packetsOutBefore: number): void {
    // Only a window that limited the sender grows (tcp_is_cwnd_limited).
    const limited = this.cwnd < 2 * Math.max(this.maxPacketsOut, packetsOutBefore);
    this.maxPacketsOut = this.inflight.length;
    this.ca.congAvoid(this.sndUna, acked, limited);
  }

  protected onDupAck(): void {
    this.dupAcks++;
    if (this.dupAcks !== 3) return;
    // Fast retransmit: the algorithm's threshold (congestion.ts), resend the head.
    this.ssthresh = this.ca.ssthresh();
    this.cwnd = this.ssthresh;
    this.caState = 3;
    const head = this.inflight[0];
    if (head) { head.lost = true; this.retransmitLost(1); }
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
    this.retransmitLost(Infinity);
  }

  protected retransmitHead(): void {
    if (this.state === 'SYN_RECV') this.sendSynAck();
  }

  /** Retransmits up to `max` segments marked lost, within the congestion window. */
  protected retransmitLost(max: number): void {
    let sent = 0;
    for (const e of this.inflight) {
      if (sent >= max) break;
      if (!e.lost) continue;
      if (sent > 0 && this.inflightNotLost() >= this.cwnd) break;
      e.lost = false;
      e.retrans = true;
      e.sentAt = this.now;
      this.totalRetrans++;
      this.sendData(e.seq, e.len, e.fin, true);
      sent++;
    }
  }

  protected inflightNotLost(): number {
    return this.inflight.filter((e) => !e.lost).length;
  }
}
