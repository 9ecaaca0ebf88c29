// A TCP connection that may be an MPTCP subflow (net/mptcp/subflow.c): the TCP state machine of
// tcp/connection.ts with the MPTCP layer plugged into its hooks (tcp/hooks.ts), as Linux's
// subflow context sits on a tcp_sock through its ULP. Without `mptcp` it is plain TCP and every
// hook gives TCP's default. The initial subflow stands for the MPTCP socket (its receive queue,
// state and DATA_FIN bookkeeping); a join delivers into its `master`'s queue. The socket-level
// sending (scheduler, reinjection, MPTCP-level retransmission) is in subflow-socket.ts.
import type { MptcpOption, TcpOption, TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import type { OutgoingSegment, SubflowHooks } from '../tcp/hooks.js';
import { INITIAL_RTO_US } from '../tcp/rtt.js';
import { readSynOptions } from '../tcp/options.js';
import { seqAdd, seqDiff } from '../tcp/seq.js';
import { canSend, type TcpState } from '../tcp/state.js';
import { MS, TcpConnection, type ConnEnv, type SocketSettings } from '../tcp/connection.js';
import type { FourTuple } from '../tcp/endpoint.js';
import type { Timer } from '../virtual-clock.js';
import { add64, RESET_MIDDLEBOX, type MptcpConnection, type SubflowRxMap, type TxMapping } from './connection.js';
import { ChecksumHold } from './csum-hold.js';
import { dataFinRetransmitDelay } from './data-fin-timer.js';
import { fourthAckVerdict, RESET_EUNSPEC, RESET_NO_RESOURCES, RESET_UNSPECIFIED, type JoinSubflow } from './join.js';

/** The MPTCP options among a segment's (what mptcp_incoming_options reads). */
const mptcpOptions = (opts: readonly TcpOption[]): MptcpOption[] => opts.filter((o): o is MptcpOption => o.kind === 'mptcp');

/** What a subflow's send queue knows of its bytes: the mapping they go under. */
export interface TxTag {
  mapping: TxMapping;
  /** Bytes the data level already numbered, sent again here: after a subflow died, or by the MPTCP-level timer. */
  reinject?: 'reinject' | 'retrans';
}

/** What 6.18 adds to 2 x SRTT before repeating a join's third ACK (measured; see armJoinAck). */
const JOIN_ACK_EXTRA_US = 8 * MS;

export abstract class SubflowBase extends TcpConnection<TxTag> implements SubflowHooks<TxTag> {
  /** MP_JOIN subflow: its handshake state; data it receives goes to `master`'s socket queue. */
  join: JoinSubflow | undefined;
  master: SubflowBase | undefined;
  /** The peer's MP_PRIO on this subflow: send here only when no other subflow is usable. */
  peerBackup = false;
  /** MP_PRIO options received on this subflow (each is a SUB_PRIORITY event: pm.c mptcp_pm_mp_prio_received). */
  prioReceived = 0;
  /** MPTCP: the only subflow was reset without MP_FASTCLOSE; the connection lives on, empty. */
  subflowLost = false;
  /** A join closed by REMOVE_ADDR (either way): 6.18 stops counting it in mptcpi_subflows at once. */
  removedByPm = false;
  protected dataFinTimer: Timer | undefined;
  /** Retransmissions of our DATA_FIN so far, and the interval they started from (data-fin-timer.ts). */
  private dataFinBackoff = 0;
  private dataFinFirstIvalUs = 0;
  /** Bytes of a mapping whose DSS checksum is not checked yet. */
  private readonly csumHold = new ChecksumHold();
  /** The mapping this subflow is receiving under (its own, whatever the other subflows receive). */
  private readonly rxMap: SubflowRxMap = {};
  /** Mappings received on this subflow (the latest few), to place its bytes in data order. */
  private rxMappings: Array<{ dsn: bigint; ssn: number; dll: number; dsn64: boolean }> = [];

  declare readonly env: ConnEnv<SubflowBase> & { admitJoin?(conn: SubflowBase): boolean };

  constructor(env: ConnEnv<SubflowBase>, tuple: FourTuple, settings: SocketSettings, public mptcp: MptcpConnection | undefined) {
    super(env, tuple, settings);
    this.ulp = this;
  }

  /**
   * MPTCP: this initial subflow died while joins live. It has left the wire; the object stays as
   * the MPTCP socket it stood for (receive queue, state, DATA_FIN bookkeeping).
   */
  get detached(): boolean {
    return this.offWire;
  }

  protected get mptcpActive(): boolean {
    return this.mptcp !== undefined && !this.mptcp.fallback;
  }

  /** The socket this subflow's data goes to: the initial subflow, standing for the MPTCP socket. */
  protected get socket(): SubflowBase {
    return this.master ?? this;
  }

  // ---- what the socket level provides (subflow-socket.ts)
  /** Every subflow of the connection, the initial one first. */
  abstract subflowList(): SubflowBase[];
  /** A join past its handshake still lives. */
  protected abstract get hasLiveJoin(): boolean;
  /** The initial subflow died while joins live: it leaves the wire; the MPTCP socket stays. */
  protected abstract detach(reinject?: boolean): void;
  /** This subflow is dying: the data-level queue goes again on the others. */
  protected abstract reinjectOwn(): void;
  /** The DATA_ACK moved: the MPTCP-level timer starts over. */
  protected abstract onDataAckProgress(): void;
  protected abstract armMptcpRtx(): void;

  // ---- options to write -----------------------------------------------------------------------

  synOptions(synRetrans: number): TcpOption[] {
    return this.join ? [this.join.synOption()] : this.mptcp ? this.mptcp.synOptions(synRetrans) : [];
  }

  synAckOptions(): TcpOption[] {
    return this.join ? [this.join.synAckOption()] : this.mptcp ? this.mptcp.synAckOptions() : [];
  }

  txOptions(seg: OutgoingSegment<TxTag>): TcpOption[] {
    return this.mptcpTx(seg.tag?.mapping, seg.payloadLen, seg.fin, false, seg.seq);
  }

  private mptcpTx(mapping: TxMapping | undefined, payloadLen: number, fin: boolean, dataFin: boolean, seq = this.sndNxt): TcpOption[] {
    if (!this.mptcp) return [];
    // A join the path manager closed is orphaned: once its FIN is acknowledged 6.18 turns it into
    // a time-wait mini socket (tcp_time_wait from FIN_WAIT2), whose ACKs carry no MPTCP option.
    // The initial subflow stays msk->first and keeps its DSS.
    if (this.join && this.removedByPm && (this.state === 'FIN_WAIT2' || this.state === 'TIME_WAIT')) return [];
    // The joiner's third ACK (MP_JOIN with its HMAC) until the fourth ACK arrives.
    if (this.join?.role === 'joiner' && !this.join.established && payloadLen === 0 && !fin && !dataFin) return [this.join.ackOption()];
    return this.mptcp.txOptions({ mapping, payloadLen, seqRel: seqDiff(seq, this.ssnBase), fin, dataFin, joined: this.join !== undefined });
  }

  rstOptions(abort: boolean): TcpOption[] {
    return this.mptcpRst(abort ? { fastclose: true, reason: 0 } : { fastclose: false, reason: undefined });
  }

  private mptcpRst(rst: { fastclose: boolean; reason: number | undefined }): TcpOption[] {
    return this.mptcp ? this.mptcp.txOptions({ payloadLen: 0, seqRel: 0, fin: false, dataFin: false, rst: rst.fastclose || rst.reason !== undefined ? rst : undefined }) : [];
  }

  /**
   * A listener stops (shutdown of its read side) with this connection established and not
   * accepted: as close() with SO_LINGER 0 (MP_FASTCLOSE), and then, while MPTCP, the subflow's
   * own reset without MPTCP options (6.18 protocol.c mptcp_check_listen_stop closes the msk, then
   * inet_csk_listen_stop's tcp_disconnect resets the subflow again; measured on the kernel).
   */
  forgetByListener(): void {
    const again = this.mptcpActive && this.state !== 'SYN_RECV' && this.state !== 'CLOSED';
    const seq = this.sndNxt;
    this.close(true);
    if (again) this.sendReset(seq, true, []);
  }

  /** RST|ACK with MPTCP's fast close or MP_TCPRST `reason`. */
  protected resetWith(rst: { fastclose: boolean; reason: number | undefined }): void {
    this.sendReset(this.sndNxt, true, this.mptcpRst(rst));
  }

  liveTag(tag: TxTag | undefined): TxTag | undefined {
    return this.mptcpActive ? tag : undefined;
  }

  dataSent(tag: TxTag | undefined, len: number, retrans: boolean): void {
    // Reinjected bytes are not new data for MPTCP_INFO (6.18 counts the MPTCP-level ones itself).
    if (!tag?.reinject) this.mptcp?.onDataSent(len, retrans);
    if (this.liveTag(tag) && !retrans) this.socket.armMptcpRtx();
  }

  afterOutput(): void {
    const m = this.mptcp;
    if (m && !m.fallback && m.dataFinDsn !== undefined && !m.dataFinAcked && !this.dataFinTimer && this.sndNxt === this.sndEnd && canSend(this.state) && (!this.join || this.join.established)) {
      this.sendDataFin();
    }
  }

  private sendDataFin(): void {
    // Sent by the MPTCP socket (tcp_send_ack on each subflow) without refreshing the subflow's
    // clock: 6.18 puts the TS val of the subflow's last event on it.
    this.transmitAck(this.mptcpTx(undefined, 0, false, true), 0, undefined, true);
    if (this.dataFinBackoff === 0) this.dataFinFirstIvalUs = this.mptcp!.rtxIvalUs;
    const delay = dataFinRetransmitDelay(this.dataFinFirstIvalUs, this.dataFinBackoff);
    this.dataFinTimer = this.env.clock.schedule(this.now + delay, () => {
      this.dataFinTimer = undefined;
      if (this.state === 'CLOSED' || this.mptcp!.dataFinAcked || this.mptcp!.fallback) return;
      this.dataFinBackoff++;
      this.sendDataFin();
    });
  }

  // ---- handshake ------------------------------------------------------------------------------

  synAckReceived(seg: TcpSegment): boolean {
    if (!this.join) {
      this.mptcp?.onSynAck(mptcpOptions(seg.options));
      return true;
    }
    if (this.join.onSynAck(mptcpOptions(seg.options))) return true;
    // A SYN/ACK without MP_JOIN or with a wrong HMAC (§5.2): 6.18 (subflow_finish_connect)
    // completes the handshake, then resets the subflow from ESTABLISHED: RST+ACK with
    // timestamps and MP_TCPRST 1.
    const peer = readSynOptions(seg.options);
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    if (peer.ts) this.tsRecent = peer.ts.val; else this.tsOk = false;
    this.resetWith({ fastclose: false, reason: RESET_UNSPECIFIED });
    this.becomeClosed();
    return false;
  }

  thirdAckReceived(seg: TcpSegment): boolean {
    if (!this.join) {
      this.mptcp?.onThirdAck(mptcpOptions(seg.options), seg.payload.length);
      return true;
    }
    if (!this.join.thirdAckValid(mptcpOptions(seg.options))) { this.resetSubflow(seg.ack, RESET_UNSPECIFIED); return false; }
    if (!(this.env.admitJoin?.(this) ?? false)) { this.resetSubflow(seg.ack, RESET_NO_RESOURCES); return false; }
    this.join.established = true;
    this.join.conn.hadJoin = true;
    return true;
  }

  /** RST with MP_TCPRST in v1 (no timestamp), and the subflow is gone (a refused or failed join). */
  private resetSubflow(seq: number, reason: number): void {
    const options = this.mptcp?.resetOptions(reason) ?? [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason }];
    this.transmit({ flags: TcpFlag.RST, seq, ack: 0, window: 0, options, payload: new Uint8Array(0) });
    this.becomeClosed();
  }

  established(active: boolean): void {
    if (!this.join) return;
    if (active) this.armJoinAck();
    else this.sendAck(); // the responder's fourth ACK, with a DATA_ACK (§5.2)
  }

  /**
   * The joiner repeats its third ACK (with MP_JOIN) until the fourth ACK, from the delayed-ACK
   * timer at twice the smoothed RTT, 1 s without a sample, never backing off (net/mptcp/protocol.c
   * schedule_3rdack_retransmission: srtt_us >> 2). Measured on 6.18 with RTTs of 10, 20 and 40 ms
   * (variants of conformance/3.2/client-third-ack-retransmit.pkt): 2 x RTT + 8 ms every time, the
   * 8 ms being two jiffies at HZ=250 that the source does not explain; no 200 ms floor.
   */
  private armJoinAck(): void {
    const us = this.rtt.srttUs > 0 ? 2 * this.rtt.srttUs + JOIN_ACK_EXTRA_US : INITIAL_RTO_US;
    this.armAckTimer(us, () => {
      if (this.state !== 'ESTABLISHED' || !this.join || this.join.established) return;
      this.sendAck();
      this.armJoinAck();
    });
  }

  // ---- input ----------------------------------------------------------------------------------

  resetReceived(seg: TcpSegment): boolean {
    const mopts = mptcpOptions(seg.options);
    this.mptcp?.countReceived(mopts); // tcp_reset hands an RST's options to MPTCP too
    if (!this.mptcpActive || this.mptcp!.isFastClose(mopts)) return false;
    // A subflow error reaches the MPTCP socket only after a fallback: the connection stays
    // up without its subflow (reads find no data and no error), over its joins if any; what
    // the subflow carried and no DATA_ACK covers goes on the others.
    if (!this.join && this.hasLiveJoin) { this.detach(); return true; }
    this.reinjectOwn();
    this.subflowLost = true;
    this.becomeClosed();
    return true;
  }

  incoming(seg: TcpSegment, inOrder: boolean): boolean {
    const mopts = mptcpOptions(seg.options);
    // The joiner's fourth ACK (join.ts fourthAckVerdict); out-of-sequence segments wait for it.
    if (this.join && !this.join.established && seqDiff(seg.seq, this.rxSsnBase) === 1) {
      if (fourthAckVerdict(mopts) === 'reset') {
        this.resetWith({ fastclose: false, reason: RESET_EUNSPEC });
        this.becomeClosed();
        return false;
      }
      this.join.established = true;
      this.mptcp!.hadJoin = true;
    }
    const prio = mopts.find((o) => o.subtype === 'mp_prio' && o.addressId === undefined);
    if (prio && prio.subtype === 'mp_prio') { this.peerBackup = prio.backup; this.prioReceived++; if (this.join) this.join.peerBackup = prio.backup; }
    if (this.mptcp) {
      const una = this.mptcp.sndUna;
      const verdict = this.mptcp.onSegment(mopts, seg.payload, seqDiff(seg.seq, this.rxSsnBase), inOrder, this.join !== undefined, this.rxMap);
      if (this.mptcp.sndUna !== una) this.socket.onDataAckProgress();
      // msk->wnd_end: the DATA_ACK plus this subflow's send window, never moving back.
      const wndEnd = add64(this.mptcp.sndUna, this.sndWnd);
      if (wndEnd > this.mptcp.wndEnd) this.mptcp.wndEnd = wndEnd;
      const map = this.mptcp.lastMapping;
      if (map && !this.rxMappings.some((x) => x.ssn === map.ssn && x.dsn === map.dsn)) {
        this.rxMappings.push(map);
        if (this.rxMappings.length > 16) this.rxMappings.shift();
      }
      if (verdict === 'fastclose-on-ack') {
        this.resetWith({ fastclose: false, reason: 0 });
        this.error = 'ECONNRESET';
        this.aborted = true;
        this.becomeClosed();
        return false;
      }
      if (verdict === 'mp-fail-reset') {
        // The bad bytes were taken at TCP level (the RST acks them); the subflow goes, the
        // connection lives on the others (6.18: MP_FAIL + MP_TCPRST 6 on the RST).
        // A segment running past its mapping reaches the socket whole first (measured on 6.18).
        if (inOrder && this.mptcp.resetDeliversSegment) this.deliver(seg.payload);
        else if (inOrder) this.rcvNxt = seqAdd(this.rcvNxt, seg.payload.length);
        this.resetWith({ fastclose: false, reason: RESET_MIDDLEBOX });
        if (!this.join && this.hasLiveJoin) { this.detach(); return false; }
        if (this.join) this.mptcp.lingeringResets++;
        this.reinjectOwn();
        this.becomeClosed();
        return false;
      }
    }
    if (this.mptcp?.hasPendingEcho) this.ackNow = true;
    return true;
  }

  afterData(seg: TcpSegment): boolean {
    let dataFinConsumed = false;
    if (this.mptcp?.dataFinReady && (this.state as TcpState) !== 'CLOSED') {
      dataFinConsumed = true;
      // The subflow acks the data first; the MPTCP socket then consumes the DATA_FIN and acks
      // it on an ACK of its own (mptcp_send_ack).
      if (seg.payload.length > 0 && this.ackNow) this.sendAck();
      this.mptcp.consumeDataFin();
      this.rcvEof = true;
      this.ackNow = true;
    }
    this.afterDataLevelChange();
    this.master?.afterDataLevelChange();
    return dataFinConsumed;
  }

  /** The data level (MPTCP) may have changed: DATA_FIN received or acknowledged. */
  afterDataLevelChange(): void {
    const m = this.mptcp;
    if (!m || m.fallback) return;
    if (m.peerDataFin) this.rcvEof = true;
    if (m.dataFinAcked) { this.dataFinTimer?.cancel(); this.dataFinTimer = undefined; }
    // Both DATA_FINs done, or the peer closed the subflow (TCP FIN) and our DATA_FIN was acked.
    const peerGone = m.peerDataFin || this.pendingFinSeq === undefined && this.rcvEof && this.state === 'CLOSE_WAIT';
    if (m.dataFinAcked && peerGone && !this.finQueued) this.queueFin();
    // The data level closes for every subflow: the join subflows follow the initial one.
    if (!this.join) for (const j of m.joins) j.afterDataLevelChange();
  }

  closing(): void {
    this.dataFinTimer?.cancel();
    this.dataFinTimer = undefined;
  }

  // ---- receiving ------------------------------------------------------------------------------

  receive(data: Uint8Array): void {
    const m = this.mptcp;
    const rel = seqDiff(this.rcvNxt, this.rxSsnBase) - data.length;
    // Checksums on: a mapping's bytes wait until all of it has arrived (csum-hold.ts).
    const held = m !== undefined && !m.fallback && m.checksum && this.csumHold.hold(this.rxMap.collecting, rel, data);
    // Held bytes go on once their mapping is whole, not when the next mapping's first byte comes:
    // a sender whose window the held bytes filled would send none (a deadlock with Linux, interop --checksum).
    if (held && !this.csumHold.complete) return;
    for (const h of this.csumHold.release()) this.toDataLevel(h.rel, h.data);
    if (!held) this.toDataLevel(rel, data);
  }

  /** In-order subflow bytes at `rel` (relative to the peer's ISN) for the MPTCP socket. */
  private toDataLevel(rel: number, data: Uint8Array): void {
    const socket = this.socket;
    const m = this.mptcp;
    // The data level places bytes by DSN (the mapping that covers them), on one subflow as on
    // several: a mapping ahead of the DATA_ACK waits out of order (protocol.c
    // mptcp_data_queue_ofo), and the DATA_ACK does not move.
    if (m && !m.fallback) {
      const map = this.rxMappings.find((x) => rel >= x.ssn && rel < x.ssn + x.dll);
      if (map) {
        m.use64bitAck = map.dsn64;
        for (const piece of m.reorder(add64(map.dsn, rel - map.ssn), data)) socket.queueReceived(piece);
        return;
      }
    }
    socket.queueReceived(data);
  }

  /** In-order data-level bytes for the socket (from this subflow or a join subflow). */
  override queueReceived(data: Uint8Array): void {
    super.queueReceived(data);
    this.mptcp?.onDelivered(data.length);
  }

  receiveSpace(): { rcvBuf: number; queued: number } {
    // Once joins exist the window is the connection's (mptcp_select_window): the socket's buffer
    // less what waits in its receive queue and ahead of the data level's rcv_nxt.
    const socket = this.socket;
    const shared = this.mptcpActive && this.mptcp!.hadJoin;
    const queued = (shared ? socket.rcvQueued + this.mptcp!.aheadBytes : this.rcvQueued) + this.csumHold.bytes;
    return { rcvBuf: socket.settings.rcvBuf, queued };
  }

  windowUpdate(): void {
    // The window is the connection's: every subflow announces it (mptcp_cleanup_rbuf).
    for (const c of this.subflowList()) if (c.state !== 'CLOSED' && !c.detached) c.sendAck();
  }

  // ---- sockets' hooks defined in subflow-socket.ts
  abstract writePiece(): number;
  abstract tagWrite(piece: Uint8Array): TxTag | undefined;
  abstract afterInput(): void;
  abstract retriesExhausted(): boolean;
  abstract shutdown(): boolean;
  abstract abortedByClose(): void;
}
