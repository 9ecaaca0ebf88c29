// The MPTCP socket's sending over its subflows (net/mptcp/protocol.c): writes go through the
// scheduler once a join existed, a dying subflow's data is reinjected on the others, the
// MPTCP-level retransmission timer, DATA_FIN on every subflow, MP_FASTCLOSE and the subflow
// closes the path manager asks for. The initial subflow stands for the socket (subflow.ts).
import type { Timer } from '../virtual-clock.js';
import { Reassembly } from '../tcp/reassembly.js';
import { MS, type ConnEnv } from '../tcp/connection.js';
import { seqDiff } from '../tcp/seq.js';
import { add64 } from './connection.js';
import { PendingTx } from './pending.js';
import { pacingRate, pickRetransSubflow, pickSendSubflow, SEND_BURST } from './scheduler.js';
import { SubflowBase, type TxTag } from './subflow.js';

/**
 * One MPTCP mapping covers one socket buffer: at most a GSO-sized skb, i.e. the whole segments
 * that fit 64 KiB less the TCP header room (6.18 maps 64080 = 45 x 1424 bytes at MSS 1460 with
 * timestamps and a DSS). The DLL field is 16 bits, so a mapping never reaches 65536.
 */
const GSO_ROOM = 65536 - 1 - 320;

/** A subflow's host environment: the connection callbacks take subflows; a join's third ACK asks for admission. */
export interface SubflowEnv extends ConnEnv<Subflow> {
  /** A join subflow's valid third ACK: may the connection take another subflow? */
  admitJoin?(conn: Subflow): boolean;
}

export class Subflow extends SubflowBase {
  declare readonly env: SubflowEnv;
  declare master: Subflow | undefined;
  /** The MPTCP-level retransmission timer (on the initial subflow, which stands for the socket). */
  private mptcpRtxTimer: Timer | undefined;
  /** Multipath: written bytes no subflow has taken yet (on the initial subflow, standing for the socket). */
  private readonly pendingTx = new PendingTx();
  /** shutdown/close came while bytes were pending: the DATA_FIN follows them. */
  private dataFinDeferred = false;

  /** Usable for data: established, and for a joiner, past the fourth ACK. */
  get sendable(): boolean {
    // The initial subflow's shutWr is the socket's (DATA_FIN); it carries data until its own FIN.
    const open = !this.shutWr || (!this.join && this.mptcpActive && !this.finQueued);
    return (this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT') && open && !this.detached && (!this.join || this.join.established);
  }

  /** Bytes written here and not yet acknowledged by this subflow (the scheduler's sk_wmem_queued). */
  get queuedBytes(): number {
    return this.state === 'CLOSED' ? 0 : Math.max(0, seqDiff(this.sndEnd, this.sndUna));
  }

  get pacingRate(): number {
    return pacingRate(this.sndMss, this.cwnd, this.ssthresh, this.rtt.srttUs);
  }

  /** Backup in either direction (our endpoint's flag or the peer's request), as Linux's scheduler sees it. */
  get backup(): boolean {
    return this.peerBackup || (this.join?.backup ?? false) || (this.join?.peerBackup ?? false);
  }

  /** Every subflow of the connection, the initial one first (even when detached: it is never sendable). */
  subflowList(): Subflow[] {
    const socket = this.master ?? this;
    return this.mptcp ? [socket, ...this.mptcp.joins] : [this];
  }

  /**
   * Writes on the socket go through the scheduler: MPTCP with joins (or the initial subflow gone),
   * and for good once a join existed. Bytes the scheduler holds back (the data-level window, the
   * subflows' buffers) get their DSN only when handed out, so after the last join goes they must
   * still go first: writing straight to the initial subflow would number new bytes ahead of them.
   */
  private get multipathSend(): boolean {
    return this.mptcpActive && !this.join && (this.mptcp!.joins.size > 0 || this.detached || this.mptcp!.hadJoin);
  }

  /**
   * Bytes one mapping takes: Linux maps each skb it builds (mptcp_sendmsg_frag), whose size is
   * tcp_xmit_size_goal's: whole segments (DATA_ACK 4 or 8, DSN 8; the checksum takes the
   * padding) up to the GSO size, bounded by half the largest window the peer offered
   * (tcp_bound_to_half_wnd; the whole window when it is at most 536 bytes).
   */
  private maxMapping(): number {
    const dss = this.mptcp!.use64bitAck ? 28 : 24;
    const seg = Math.max(1, this.mssNoOptions - (this.tsOk ? 12 : 0) - dss);
    const halfWnd = this.maxSndWnd > 536 ? this.maxSndWnd >> 1 : this.maxSndWnd;
    const goal = halfWnd > 0 ? Math.min(GSO_ROOM, halfWnd) : GSO_ROOM;
    return seg * Math.max(1, Math.floor(goal / seg));
  }

  writePiece(): number {
    return this.mptcpActive ? this.maxMapping() : Infinity;
  }

  tagWrite(piece: Uint8Array): TxTag | undefined {
    if (!this.mptcpActive) return undefined;
    return { mapping: this.mptcp!.mapWrite(seqDiff(this.sndEnd, this.ssnBase), piece, this) };
  }

  override write(data: Uint8Array): number {
    if (!this.multipathSend) return super.write(data);
    // The shared send buffer takes it; the scheduler hands it to subflows as they have room.
    const n = Math.min(this.sendBufferFree(), data.length);
    this.pendingTx.push(data.subarray(0, n));
    this.pushPending();
    return n;
  }

  /**
   * Linux's __mptcp_push_pending: bursts of up to 64 KiB to the subflow the scheduler picks among
   * those with send-buffer room, never past the peer's data-level window.
   */
  private pushPending(): void {
    const m = this.mptcp!;
    while (this.pendingTx.bytes > 0) {
      const wndEnd = m.wndEnd > m.sndUna ? m.wndEnd : add64(m.sndUna, this.sndWnd);
      const allowed = wndEnd > m.writeSeq ? Number(wndEnd - m.writeSeq) : 0;
      if (allowed <= 0) break;
      const sub = pickSendSubflow(this.subflowList().filter((c) => c.sendRoom > 0));
      if (!sub) break;
      const take = Math.min(this.pendingTx.bytes, SEND_BURST, allowed, sub.sendRoom);
      sub.queueData(this.pendingTx.take(take), take);
    }
    if (this.dataFinDeferred && this.pendingTx.bytes === 0) {
      this.dataFinDeferred = false;
      this.queueDataFinEverywhere();
    }
  }

  afterInput(): void {
    const socket = this.master ?? this;
    if (socket.multipathSend && socket.pendingTx.bytes > 0) socket.pushPending();
  }

  /** Room in this subflow's own send buffer (sk_stream_memory_free). */
  private get sendRoom(): number {
    return this.sendable ? this.settings.sndBuf - this.queuedBytes : 0;
  }

  override sendBufferFree(): number {
    if (this.multipathSend) {
      // Linux's MPTCP socket buffer is the sum of its subflows' (mptcp_propagate_sndbuf), shared.
      const total = this.subflowList().filter((c) => c.sendable).reduce((a, c) => a + c.settings.sndBuf, 0);
      return Math.max(0, total - this.mptcp!.txq.bytes - this.pendingTx.bytes);
    }
    return super.sendBufferFree();
  }

  /**
   * Bytes the data level already numbered (DSN `dsn`), queued here under new mappings: the share of
   * a subflow that died, or the MPTCP-level retransmission.
   */
  private queueMapped(dsn: bigint, data: Uint8Array, kind: 'reinject' | 'retrans'): void {
    let at = 0;
    while (at < data.length) {
      const take = Math.min(data.length - at, this.maxMapping());
      const piece = data.subarray(at, at + take);
      const mapping = this.mptcp!.mapAt(add64(dsn, at), seqDiff(this.sndEnd, this.ssnBase), piece);
      this.enqueue(piece, at + take === data.length, { mapping, reinject: kind });
      at += take;
    }
    this.output();
  }

  /**
   * This subflow is dying (RST, retries exhausted, REMOVE_ADDR, checksum failure) while data no
   * DATA_ACK covers is outstanding: as Linux's __mptcp_retransmit_pending_data (called by
   * mptcp_close_ssk for every subflow closed, whether or not it carried any of that data), the
   * whole data-level queue goes again through the scheduler, same DSNs under new mappings
   * (contiguous stretches as one), also what the surviving subflows already carry.
   */
  protected reinjectOwn(): void {
    const m = this.mptcp;
    if (!m || m.fallback || m.txq.size === 0) return;
    const others = this.subflowList().filter((c) => c !== this);
    for (const run of m.txq.runs()) {
      const sub = pickSendSubflow(others);
      if (!sub) return;
      for (const e of run.entries) e.owner = sub;
      sub.queueMapped(run.dsn, run.data, 'reinject');
    }
  }

  /** A join past its handshake still lives. */
  protected get hasLiveJoin(): boolean {
    return [...(this.mptcp?.joins ?? [])].some((j) => j.state !== 'CLOSED' && j.state !== 'SYN_SENT' && j.state !== 'SYN_RECV');
  }

  /**
   * The initial subflow died while joins live: it leaves the wire; the MPTCP socket stays. Its
   * close event reinjects, unless the wire copy's closeSubflow already did (one per close, as
   * mptcp_close_ssk's close_event_done).
   */
  protected detach(reinject = true): void {
    if (reinject) this.reinjectOwn();
    this.mptcp!.initialClosed = true;
    this.dataFinTimer?.cancel();
    this.dataFinTimer = undefined;
    this.leaveWire();
  }

  /**
   * REMOVE_ADDR of the initial subflow's address id 0 (either way) while a join lives: as 6.18's
   * __mptcp_close_ssk on msk->first, the subflow sends a pure ACK (stale TS val) and its FIN and
   * ends on the wire like any TCP connection, while the MPTCP socket it stood for goes on over
   * the joins. The wire side continues as a copy of this object (returned: the caller registers
   * it on the same four-tuple); this object detaches and its unacknowledged data goes on the joins.
   * Without a live join 6.18 closes it as well and the connection stays with no subflow (writes
   * are still taken); that case is not modelled: the subflow then stays.
   */
  closeInitialSubflow(): Subflow | undefined {
    if (this.join || this.detached || !this.mptcpActive || !this.hasLiveJoin || this.finQueued) return undefined;
    const wire = Object.assign(Object.create(Subflow.prototype) as Subflow, this);
    wire.ulp = wire;
    wire.master = this;
    // The timers stay this object's (detach cancels them); the socket-level ones never move.
    wire.rtxTimer = wire.delackTimer = wire.endTimer = wire.dataFinTimer = wire.probeTimer = wire.keepaliveTimer = wire.mptcpRtxTimer = undefined;
    // The receive queue is the socket's; out-of-order segments are the subflow's.
    wire.rcvQueue = [];
    wire.rcvQueued = 0;
    this.ooo = new Reassembly();
    // The socket's shutdown (a DATA_FIN) did not close this subflow: its FIN is still to come.
    wire.shutWr = false;
    wire.closeSubflow();
    this.detach(false);
    return wire;
  }

  /**
   * Closes a join subflow with a TCP FIN (REMOVE_ADDR either way; the connection lives on). 6.18
   * sends a pure ACK with the unrefreshed TS val first, then the FIN.
   */
  closeSubflow(): void {
    if (this.shutWr) return;
    this.removedByPm = true;
    this.sendAck([], true);
    this.shutWr = true;
    // What was queued here and not sent yet goes elsewhere, not before this FIN.
    this.dropUnsent();
    this.queueFin();
    // 6.18: the ACK and FIN first, then the subflow's data on the others (mptcp_close_ssk).
    this.reinjectOwn();
  }

  /**
   * Linux's MPTCP-level retransmission timer (mptcp_reset_rtx_timer), once a join existed: when no
   * DATA_ACK progress came for an RTO (at least 200 ms), the oldest unacknowledged data goes again
   * on a subflow whose own queue is empty (mptcp_subflow_get_retrans).
   */
  protected armMptcpRtx(): void {
    const m = this.mptcp;
    if (!m || m.fallback || !m.hadJoin || this.mptcpRtxTimer || m.txq.size === 0 || this.state === 'CLOSED') return;
    const live = this.subflowList().filter((c) => c.state !== 'CLOSED');
    const tout = Math.max(200 * MS, ...live.map((c) => c.rtoUs));
    this.mptcpRtxTimer = this.env.clock.schedule(this.now + tout, () => {
      this.mptcpRtxTimer = undefined;
      const head = m.txq.head();
      if (!head || this.state === 'CLOSED' || m.fallback) return;
      const sub = pickRetransSubflow(this.subflowList());
      if (sub) {
        const piece = head.data.subarray(0, Math.min(head.data.length, sub.maxMapping()));
        m.retransmitted = true;
        m.stats.retransmits++;
        m.stats.bytesRetrans += BigInt(piece.length);
        sub.queueMapped(head.dsn, piece, 'retrans');
      }
      this.armMptcpRtx();
    });
  }

  /** The DATA_ACK moved: the MPTCP-level timer starts over (stops when nothing is outstanding). */
  protected onDataAckProgress(): void {
    this.mptcpRtxTimer?.cancel();
    this.mptcpRtxTimer = undefined;
    this.armMptcpRtx();
  }

  override closing(): void {
    this.mptcpRtxTimer?.cancel();
    this.mptcpRtxTimer = undefined;
    super.closing();
  }

  // ---- the socket's end -----------------------------------------------------------------------

  shutdown(): boolean {
    if (!this.mptcpActive || !this.mptcp!.remote) return false;
    if (this.pendingTx.bytes > 0) this.dataFinDeferred = true;
    else this.queueDataFinEverywhere();
    return true;
  }

  private queueDataFinEverywhere(): void {
    this.mptcp!.queueDataFin();
    this.output();
    // Linux sends the DATA_FIN on every subflow.
    if (!this.join) for (const j of this.mptcp!.joins) j.output();
  }

  abortedByClose(): void {
    // MP_FASTCLOSE tears down every subflow of the connection.
    if (!this.mptcpActive || this.join) return;
    for (const j of [...this.mptcp!.joins]) {
      if (j.state !== 'SYN_RECV') j.sendReset(j.sndNxt, true, j.rstOptions(true));
      j.becomeClosed();
    }
  }

  retriesExhausted(): boolean {
    // A multipath connection loses only this subflow; its data goes on the others.
    if (this.mptcpActive && !this.join && this.hasLiveJoin) { this.detach(); return true; }
    if (this.mptcpActive && this.join) this.reinjectOwn();
    return false;
  }
}
