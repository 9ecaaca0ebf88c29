// One TCP connection: a state machine fed with parsed segments and the current virtual time,
// emitting parsed segments. Its visible behaviour follows Linux: option order, window scale,
// quick-ACK then delayed ACKs, RTO with backoff, SYN retransmission with linear timeouts, every
// FIN state, RST on close with unread data. An upper layer (MPTCP, src/stack/mptcp/subflow.ts)
// reaches it only through the hooks of hooks.ts, as Linux's ULP.
import type { IpPacket, TcpOption, TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { fastOpenOption, readFastOpen, synDataRoom, TFO_COOKIE_UNAVAILABLE, TFO_DATA_NOT_ACKED, TFO_SYN_RETRANSMITTED, type ActiveFastOpen, type FastOpenOption, type ServerVerdict } from '../fastopen.js';
import type { Prng } from '../prng.js';
import type { Sysctls } from '../sysctl.js';
import type { Timer, VirtualClock } from '../virtual-clock.js';
import { ipPacket, type FourTuple } from './endpoint.js';
import type { SubflowHooks } from './hooks.js';
import { findTimestamp, optionBytes, readSynOptions, segmentOptions, synOptions } from './options.js';
import { Reassembly } from './reassembly.js';
import { INITIAL_RTO_US, MAX_RTO_US, RttEstimator } from './rtt.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { canReceive, canSend, type TcpState } from './state.js';
import { initialReceiveWindow, synWindowField, windowScale } from './window.js';

export const MS = 1000;
export const DELACK_US = 40 * MS;
const TIME_WAIT_US = 60_000 * MS;
const MAX_QUICKACKS = 16;
const DEFAULT_PEER_MSS = 536;
const INITIAL_CWND = 10;

/** What a connection is given by its host; `C` is the connection type the callbacks receive. */
export interface ConnEnv<C = TcpConnection> {
  clock: VirtualClock;
  sysctls: Sysctls;
  prng: Prng;
  mtu: number;
  send(pkt: IpPacket): void;
  /** The connection reached CLOSED and may be forgotten. */
  closed(conn: C): void;
  /** A passive connection completed its handshake. */
  established(conn: C): void;
  /** Every segment this connection sends, with its state then (the upper layer's counters read the options). */
  transmitted?(seg: TcpSegment, state: TcpState): void;
}

interface SendChunk<Tag> {
  seq: number;
  data: Uint8Array;
  /** PSH on the segment that ends this chunk (end of a write). */
  push: boolean;
  /** The upper layer's tag of these bytes (hooks.ts). */
  tag: Tag | undefined;
}

interface InFlight {
  seq: number;
  len: number;
  syn: boolean;
  fin: boolean;
  sentAt: number;
  retrans: boolean;
  lost: boolean;
}

export interface SocketSettings {
  nodelay: boolean;
  cork: boolean;
  userMss: number;
  rcvBuf: number;
  sndBuf: number;
  /** SO_SNDBUF was set: no automatic growth. */
  sndBufLocked?: boolean;
  /** IP_TOS / IPV6_TCLASS of outgoing packets. */
  tos?: number;
  /** SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (seconds, count). */
  keepalive: { on: boolean; idle: number; intvl: number; cnt: number };
  /**
   * TCP Fast Open: TCP_FASTOPEN's queue length (a listener's max_qlen), TCP_FASTOPEN_CONNECT,
   * TCP_FASTOPEN_NO_COOKIE and the socket's own TCP_FASTOPEN_KEY keys.
   */
  fastOpen?: { qlen?: number; connect?: boolean; noCookie?: boolean; keys?: Uint8Array[] };
}

export class TcpConnection<Tag = unknown> {
  state: TcpState = 'CLOSED';
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  protected sndWl1 = 0;
  protected sndWl2 = 0;
  maxSndWnd = 0;
  irs = 0;
  rcvNxt = 0;
  protected rcvWup = 0;
  protected rcvRightEdge = 0;
  rcvWnd = 0;
  protected rcvSsthresh = 0;
  sndWscale = 0;
  rcvWscale = 0;
  wscaleOk = false;
  tsOk = false;
  sackOk = false;
  protected tsOffset = 0;
  protected tsRecent = 0;
  peerMss = DEFAULT_PEER_MSS;
  advMss: number;
  rcvMss = DEFAULT_PEER_MSS;

  protected chunks: Array<SendChunk<Tag>> = [];
  /** Sequence number after the last byte written by the application. */
  sndEnd = 0;
  finQueued = false;
  finSent = false;
  protected finSeq = 0;
  protected sndSml = 0;

  protected rcvQueue: Uint8Array[] = [];
  rcvQueued = 0;
  /** Peer's FIN (or DATA_FIN) consumed: reads return 0 once the queue is empty. */
  rcvEof = false;
  protected pendingFinSeq: number | undefined;
  protected ooo = new Reassembly();

  readonly rtt: RttEstimator;
  backoff = 0;
  retransmits = 0;
  totalRetrans = 0;
  cwnd = INITIAL_CWND;
  ssthresh = 0x7fffffff;
  protected cwndCount = 0;
  protected dupAcks = 0;
  protected inflight: InFlight[] = [];
  protected maxPacketsOut = 0;
  caState = 0;

  protected rtxTimer: Timer | undefined;
  protected delackTimer: Timer | undefined;
  protected endTimer: Timer | undefined;
  protected quick = 0;
  /** An ACK is due once this segment has been processed (unless data carries it). */
  protected ackNow = false;
  protected pingpong = false;
  protected lastRcvTime = -1;
  protected ato = 0;
  synRetrans = 0;
  /** Pending socket error (sk_err), reported once by the next call or SO_ERROR. */
  error: string | undefined;
  /** The connection ended by a reset or timeout (not a graceful close). */
  aborted = false;
  /**
   * The connection left the wire while the upper layer's socket it stands for lives on (an MPTCP
   * initial subflow that died while joins live): it sends nothing and a FIN closes it at once.
   */
  protected offWire = false;
  /** The upper layer (hooks.ts); undefined: plain TCP. */
  protected ulp: SubflowHooks<Tag> | undefined;
  /** close() was called: no file descriptor refers to it any more. */
  orphaned = false;
  shutRd = false;
  shutWr = false;

  // tcp_info counters
  segsOut = 0;
  segsIn = 0;
  dataSegsOut = 0;
  dataSegsIn = 0;
  bytesAcked = 0;
  bytesReceived = 0;
  bytesSent = 0;
  bytesRetrans = 0;
  lastDataSent = 0;
  lastDataRecv = 0;
  lastAckRecv = 0;

  constructor(
    readonly env: ConnEnv<TcpConnection<Tag>>,
    readonly tuple: FourTuple,
    readonly settings: SocketSettings,
  ) {
    this.advMss = env.mtu - (tuple.family === 4 ? 40 : 60);
    if (settings.userMss > 0) this.advMss = Math.min(this.advMss, settings.userMss);
    this.rtt = new RttEstimator(env.sysctls.int('net.ipv4.tcp_rto_min_us'));
    this.tsOffset = env.prng.next32();
    this.iss = env.prng.next32();
    // No small segment outstanding yet (Nagle's Minshall check): tcp_connect_init and
    // tcp_create_openreq_child start snd_sml at the ISN, never at 0 (half the ISNs are "after" 0).
    this.sndSml = this.iss;
  }

  /** Active Fast Open: what the first SYN carries and where the SYN/ACK's cookie goes (cleared by the SYN/ACK). */
  protected fastOpen: ActiveFastOpen | undefined;
  /** The first SYN asked for or carried a cookie (tp->syn_fastopen). */
  protected synFastOpen = false;
  /** Bytes of data the first SYN carried. */
  synData = 0;
  /**
   * Start of the subflow sequence space MPTCP mappings count from: after the SYN's data, which
   * 6.18 keeps out of the data stream (the client's SYN data, mptcp_fastopen_subflow_synack_set_params).
   */
  protected get ssnBase(): number {
    return seqAdd(this.iss, this.synData);
  }

  /** Bytes of data the peer's SYN carried (a passive Fast Open child): the same, received. */
  protected synDataIn = 0;

  /** tcpi_options' SYN_DATA on a passive Fast Open child: its SYN carried data (tp->syn_data_acked). */
  get synDataAccepted(): boolean {
    return this.synDataIn > 0;
  }

  protected get rxSsnBase(): number {
    return seqAdd(this.irs, this.synDataIn);
  }
  /** tcpi_fastopen_client_fail. */
  fastOpenClientFail = 0;
  /** connect() with TCP_FASTOPEN_CONNECT and a cookie: the SYN waits for the first write (DEFER_CONNECT). */
  deferred = false;
  /** A passive Fast Open child: acceptable, readable and writable before the third ACK. */
  passiveFastOpen = false;
  /** Fast Open option of the first SYN/ACK (a cookie the client asked for, or the right one). */
  protected synAckFastOpen: FastOpenOption | undefined;

  protected get now(): number {
    return this.env.clock.now();
  }

  protected tsVal(stale = false): number {
    return (Math.floor((stale ? this.clockCache : this.now) / MS) + this.tsOffset) >>> 0;
  }

  /**
   * Linux's tcp_clock_cache: refreshed when a segment arrives or data goes out. An ACK sent from
   * the path manager's timer (ADD_ADDR retransmission) carries this stale TS val (seen on 6.18).
   */
  protected clockCache = 0;

  /** The subflow's retransmission timeout (the path manager paces ADD_ADDR repeats by it). */
  get rtoUs(): number {
    return this.rtt.rtoUs;
  }

  /** Path MTU (lowered by ICMP "fragmentation needed"). */
  pmtu = 0;

  /** Largest payload per segment with no options at all. */
  protected get mssNoOptions(): number {
    const pathMss = (this.pmtu || this.env.mtu) - (this.tuple.family === 4 ? 40 : 60);
    let m = Math.min(this.peerMss, pathMss);
    if (this.settings.userMss > 0) m = Math.min(m, this.settings.userMss);
    return m;
  }

  /** snd_mss as tcp_info reports it: the MSS minus the timestamp option. */
  get sndMss(): number {
    return this.mssNoOptions - (this.tsOk ? 12 : 0);
  }

  // ---- opening ------------------------------------------------------------------------------

  protected localWscale(): number {
    const rmem = this.env.sysctls.ints('net.ipv4.tcp_rmem');
    return windowScale(rmem[2] ?? 0, this.env.sysctls.int('net.core.rmem_max'));
  }

  protected setupReceiveWindow(mss: number): void {
    this.rcvWnd = initialReceiveWindow(this.settings.rcvBuf, mss);
    this.rcvSsthresh = this.rcvWnd;
  }

  /**
   * Active open: sends the SYN. With Fast Open the SYN carries the FO option and, when a cookie
   * is known, as much of `data` as fits; `defer` (TCP_FASTOPEN_CONNECT with a cookie) holds the
   * SYN until the first write. Returns the bytes of `data` the SYN took.
   */
  connect(fastOpen?: ActiveFastOpen, data: Uint8Array = new Uint8Array(0), defer = false): number {
    const s = this.env.sysctls;
    this.tsOk = s.int('net.ipv4.tcp_timestamps') > 0;
    this.sackOk = s.int('net.ipv4.tcp_sack') > 0;
    this.wscaleOk = s.int('net.ipv4.tcp_window_scaling') > 0;
    this.rcvWscale = this.wscaleOk ? this.localWscale() : 0;
    this.setupReceiveWindow(this.advMss);
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndEnd = this.sndNxt;
    this.state = 'SYN_SENT';
    this.fastOpen = fastOpen;
    if (fastOpen && !fastOpen.withData) this.fastOpenClientFail = TFO_COOKIE_UNAVAILABLE;
    if (defer) { this.deferred = true; return 0; }
    return this.sendFirstSyn(data);
  }

  /** The first SYN (at connect, or at the first write of a deferred connect); returns the data bytes it took. */
  sendFirstSyn(data: Uint8Array): number {
    this.deferred = false;
    const fo = this.fastOpen;
    if (fo?.withData && data.length > 0) {
      const pathMss = (this.pmtu || this.env.mtu) - (this.tuple.family === 4 ? 40 : 60);
      const room = Math.min(synDataRoom(pathMss, fo.cachedMss, this.advMss, this.settings.userMss), this.settings.sndBuf);
      const piece = data.slice(0, room);
      // A chunk without a tag: data in a SYN is outside an upper layer's sequence space.
      this.chunks.push({ seq: this.sndEnd, data: piece, push: true, tag: undefined });
      this.sndEnd = seqAdd(this.sndEnd, piece.length);
      this.synData = piece.length;
    }
    this.sendSyn();
    return this.synData;
  }

  protected sendSyn(): void {
    const mp = this.ulp?.synOptions(this.synRetrans) ?? [];
    // Only the first SYN has Fast Open's option and data: retransmissions are plain SYNs.
    const first = this.synRetrans === 0;
    const choices = { mss: this.advMss, timestamps: this.tsOk, sack: this.sackOk, wscale: this.wscaleOk ? this.rcvWscale : undefined, tsVal: this.tsVal(), tsEcr: 0 };
    let opts = synOptions(choices, mp);
    const fo = first && this.fastOpen?.option ? synOptions(choices, [...fastOpenOption(this.fastOpen.option), ...mp]) : undefined;
    if (fo && optionBytes(fo) <= 40) { opts = fo; this.synFastOpen = true; }
    const payload = first && this.synData > 0 ? this.bytesAt(seqAdd(this.iss, 1), this.synData) : new Uint8Array(0);
    this.transmit({ flags: TcpFlag.SYN, seq: this.iss, ack: 0, window: synWindowField(this.rcvWnd), options: opts, payload });
    this.trackInFlight(this.iss, 0, true, false, this.synRetrans > 0);
    if (payload.length > 0) {
      this.trackInFlight(seqAdd(this.iss, 1), payload.length, false, false, false);
      this.sndNxt = seqAdd(this.iss, 1 + payload.length);
      this.dataSegsOut++;
      this.bytesSent += payload.length;
    }
    this.armRtx(this.synTimeout());
  }

  /** RTO of the SYN: linear for the first tcp_syn_linear_timeouts retries, then doubling. */
  protected synTimeout(): number {
    const linear = this.env.sysctls.int('net.ipv4.tcp_syn_linear_timeouts');
    if (this.synRetrans < linear) return INITIAL_RTO_US;
    return Math.min(MAX_RTO_US, INITIAL_RTO_US * 2 ** (this.synRetrans - linear + 1));
  }

  /**
   * Passive open: the listener accepted this SYN; answers with a SYN/ACK. A Fast Open child
   * (`fastOpen.child`) takes the SYN's data at once and the SYN/ACK acknowledges it.
   */
  acceptSyn(seg: TcpSegment, fastOpen?: ServerVerdict): void {
    const s = this.env.sysctls;
    const peer = readSynOptions(seg.options);
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvWup = this.rcvNxt;
    this.peerMss = peer.mss ?? DEFAULT_PEER_MSS;
    this.tsOk = peer.ts !== undefined && s.int('net.ipv4.tcp_timestamps') > 0;
    this.sackOk = peer.sackOk && s.int('net.ipv4.tcp_sack') > 0;
    this.wscaleOk = peer.wscale !== undefined && s.int('net.ipv4.tcp_window_scaling') > 0;
    this.sndWscale = this.wscaleOk ? peer.wscale! : 0;
    this.rcvWscale = this.wscaleOk ? this.localWscale() : 0;
    if (peer.ts) this.tsRecent = peer.ts.val;
    this.sndWnd = seg.window;
    this.maxSndWnd = this.sndWnd;
    this.setupReceiveWindow(this.advMss - (this.tsOk ? 12 : 0));
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndEnd = this.sndNxt;
    this.state = 'SYN_RECV';
    this.synAckFastOpen = fastOpen?.synAck;
    if (fastOpen?.child) {
      this.passiveFastOpen = true;
      this.sndSml = this.iss; // no small segment outstanding yet (Nagle), as tcp_create_openreq_child
      if (seg.payload.length > 0) {
        // tcp_fastopen_add_skb: the data goes straight to the receive queue; for MPTCP it is
        // read before the data stream and never data-acked (mptcp_fastopen_subflow_synack_set_params).
        this.rcvNxt = seqAdd(this.rcvNxt, seg.payload.length);
        this.rcvWup = this.rcvNxt;
        this.bytesReceived += seg.payload.length;
        this.dataSegsIn++;
        this.synDataIn = seg.payload.length;
        this.rcvQueue.push(seg.payload.slice());
        this.rcvQueued += seg.payload.length;
      }
    }
    this.sendSynAck();
  }

  protected sendSynAck(): void {
    const mp = this.ulp?.synAckOptions() ?? [];
    // A retransmitted SYN/ACK carries no cookie (tcp_rtx_synack passes none).
    const fo = this.synAckFastOpen && this.synRetrans === 0 ? fastOpenOption(this.synAckFastOpen) : [];
    const choices = { mss: this.advMss, timestamps: this.tsOk, sack: this.sackOk, wscale: this.wscaleOk ? this.rcvWscale : undefined, tsVal: this.tsVal(), tsEcr: this.tsRecent };
    let opts = synOptions(choices, [...fo, ...mp]);
    if (optionBytes(opts) > 40 && this.tsOk) {
      // A cookie and MP_CAPABLE with its key do not fit beside timestamps: 6.18 drops the
      // timestamps, for the whole connection (seen on the wire: nop nop sackOK instead).
      this.tsOk = false;
      opts = synOptions({ ...choices, timestamps: false }, [...fo, ...mp]);
    }
    this.transmit({ flags: TcpFlag.SYN | TcpFlag.ACK, seq: this.iss, ack: this.rcvNxt, window: synWindowField(this.rcvWnd), options: opts, payload: new Uint8Array(0) });
    this.trackInFlight(this.iss, 0, true, false, this.synRetrans > 0);
    this.armRtx(Math.min(MAX_RTO_US, INITIAL_RTO_US * 2 ** this.synRetrans));
  }

  /** tcp_sndbuf_expand(): room for two windows of the initial cwnd, each segment costing ~4 KB of memory. */
  protected expandSendBuffer(): void {
    if (this.settings.sndBufLocked) return;
    const max = this.env.sysctls.ints('net.ipv4.tcp_wmem')[2] ?? 4194304;
    this.settings.sndBuf = Math.max(this.settings.sndBuf, Math.min(2 * INITIAL_CWND * 4096, max));
  }

  // ---- application side ----------------------------------------------------------------------

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

  /**
   * The connection leaves the wire for good while the upper layer's socket it stands for lives on:
   * its timers stop, what it had in flight and queued is dropped, and the env forgets it.
   */
  protected leaveWire(): void {
    this.offWire = true;
    for (const t of [this.rtxTimer, this.delackTimer, this.endTimer, this.probeTimer, this.keepaliveTimer]) t?.cancel();
    this.rtxTimer = this.delackTimer = this.endTimer = this.probeTimer = this.keepaliveTimer = undefined;
    this.inflight = [];
    this.chunks = [];
    this.env.closed(this);
  }

  /** Bytes written but not yet acknowledged (SIOCOUTQ). */
  get unackedBytes(): number {
    return Math.max(0, seqDiff(this.sndEnd, this.sndUna) - (this.state === 'SYN_SENT' || this.state === 'SYN_RECV' ? 1 : 0));
  }

  get notSentBytes(): number {
    return Math.max(0, seqDiff(this.sndEnd, this.sndNxt));
  }

  read(max: number, peek = false): Uint8Array {
    const n = Math.min(max, this.rcvQueued);
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.rcvQueue[i]!;
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (peek) { i++; continue; }
      if (take === c.length) this.rcvQueue.shift();
      else this.rcvQueue[0] = c.subarray(take);
    }
    if (!peek && n > 0) {
      const before = this.advertisedWindow();
      this.rcvQueued -= n;
      // Linux sends a window update when reading opened the window a lot (tcp_cleanup_rbuf).
      if (this.state !== 'CLOSED' && before < this.rcvWnd / 2 && this.advertisedWindow() >= 2 * before + this.rcvMss) {
        if (this.ulp) this.ulp.windowUpdate();
        else this.sendAck();
      }
    }
    return out;
  }

  /** shutdown(SHUT_WR) / close(): FIN after the queued data (an upper layer may end its stream first). */
  shutdownWrite(): void {
    if (this.shutWr) return;
    this.shutWr = true;
    if (this.state === 'SYN_SENT') { this.becomeClosed(); return; }
    if (this.ulp?.shutdown()) return;
    this.queueFin();
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
   * close(): with unread data (or SO_LINGER 0) Linux resets (with MP_FASTCLOSE on MPTCP);
   * otherwise it closes gracefully and the connection lives on as an orphan.
   */
  close(abort: boolean): void {
    this.orphaned = true;
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.state === 'SYN_SENT') { this.becomeClosed(); return; }
    if (abort || this.rcvQueued > 0 || this.ooo.size > 0) {
      if (this.state !== 'SYN_RECV') this.sendReset(this.sndNxt, true, this.ulp?.rstOptions(true) ?? []);
      this.becomeClosed();
      this.ulp?.abortedByClose();
      return;
    }
    this.shutdownWrite();
  }

  // ---- input --------------------------------------------------------------------------------

  input(seg: TcpSegment): void {
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
    this.retransmitLost(Infinity);
    return true;
  }

  /** Runs `fire` after `us` on the delayed-ACK timer (an ACK sent meanwhile cancels it). */
  protected armAckTimer(us: number, fire: () => void): void {
    this.delackTimer?.cancel();
    this.delackTimer = this.env.clock.schedule(this.now + us, () => {
      this.delackTimer = undefined;
      fire();
    });
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

  /** Returns false when the segment must be dropped (an ACK of data never sent). */
  protected processAck(seg: TcpSegment): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndNxt)) { this.sendAck(); return false; }
    const window = seg.window << this.sndWscale;
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
      this.ackedUpTo(ack);
    } else if (ack === this.sndUna && seg.payload.length === 0 && this.inflight.length > 0 && window === this.sndWnd && !(seg.flags & TcpFlag.FIN)) {
      this.onDupAck();
    }
    return true;
  }

  /** New data acknowledged up to `ack`: RTT, congestion window, timers, FIN states. */
  protected ackedUpTo(ack: number): void {
    const wasOut = this.inflight.length;
    let ackedPkts = 0;
    let rttSample: number | undefined;
    while (this.inflight.length > 0) {
      const e = this.inflight[0]!;
      const end = seqAdd(e.seq, e.len + (e.syn ? 1 : 0) + (e.fin ? 1 : 0));
      if (seqGt(end, ack)) break;
      this.inflight.shift();
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
    this.backoff = 0;
    this.retransmits = 0;
    if (ackedPkts > 0 && this.state !== 'SYN_SENT' && this.state !== 'SYN_RECV') this.growCwnd(ackedPkts, wasOut);
    if (this.caState !== 0 && this.inflight.every((e) => !e.lost)) this.caState = 0;
    if (this.inflight.length === 0) { this.rtxTimer?.cancel(); this.rtxTimer = undefined; }
    else this.armRtx(this.rtt.rtoUs);
    if (this.finSent && seqGt(ack, this.finSeq)) this.onFinAcked();
  }

  protected growCwnd(acked: number, packetsOutBefore: number): void {
    // Only a window that limited the sender grows (tcp_is_cwnd_limited).
    const limited = this.cwnd < 2 * Math.max(this.maxPacketsOut, packetsOutBefore);
    this.maxPacketsOut = this.inflight.length;
    if (!limited) return;
    if (this.cwnd < this.ssthresh) { this.cwnd = Math.min(this.cwnd + acked, Math.max(this.ssthresh, this.cwnd)); return; }
    this.cwndCount += acked;
    if (this.cwndCount >= this.cwnd) { this.cwndCount -= this.cwnd; this.cwnd++; }
  }

  protected onDupAck(): void {
    this.dupAcks++;
    if (this.dupAcks !== 3) return;
    // Fast retransmit: halve (cubic's beta is close enough for the visible sequence), resend the head.
    this.ssthresh = Math.max(Math.floor((this.inflight.length * 717) / 1024), 2);
    this.cwnd = this.ssthresh;
    this.caState = 3;
    const head = this.inflight[0];
    if (head) { head.lost = true; this.retransmitLost(1); }
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
        this.ooo.insert(seq, payload.slice());
        if (fin) this.pendingFinSeq = seqAdd(seq, payload.length);
        this.quick = Math.max(this.quick, 1);
        this.ackNow = true;
        return;
      }
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

  /** In-order bytes for the application's receive queue. */
  queueReceived(data: Uint8Array): void {
    if (!this.shutRd) { this.rcvQueue.push(data.slice()); this.rcvQueued += data.length; }
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

  // ---- output -------------------------------------------------------------------------------

  /** Sends what the windows and Nagle allow; then the FIN (and the upper layer's signals) when due. */
  output(): void {
    if (this.offWire) return;
    const fastOpenChild = this.passiveFastOpen && this.state === 'SYN_RECV';
    if (!canSend(this.state) && !fastOpenChild && this.state !== 'FIN_WAIT1' && this.state !== 'LAST_ACK' && this.state !== 'CLOSING') return;
    this.retransmitLost(Infinity);
    for (;;) {
      const dataEnd = this.finQueued ? this.finSeq : this.sndEnd;
      const avail = seqDiff(dataEnd, this.sndNxt);
      if (avail <= 0) break;
      if (this.inflight.length >= this.cwnd) break;
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
      if (len < mss && len === avail) {
        // tcp_nagle_check with tcp_minshall_check: a small segment not yet acknowledged and sent.
        const nagle = !this.settings.nodelay && seqGt(this.sndSml, this.sndUna) && seqLe(this.sndSml, this.sndNxt) && this.inflight.length > 0;
        if (this.settings.cork || nagle) break;
      }
      const withFin = this.finQueued && seqAdd(this.sndNxt, len) === this.finSeq;
      this.sendData(this.sndNxt, len, withFin, false);
      this.sndNxt = seqAdd(this.sndNxt, len + (withFin ? 1 : 0));
      if (withFin) this.finSent = true;
      if (len < mss) this.sndSml = this.sndNxt;
    }
    if (this.finQueued && !this.finSent && this.sndNxt === this.finSeq) {
      this.sendData(this.sndNxt, 0, true, false);
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.finSent = true;
    }
    this.ulp?.afterOutput();
  }

  protected chunkAt(seq: number): SendChunk<Tag> | undefined {
    for (const c of this.chunks) if (seqLe(c.seq, seq) && seqLt(seq, seqAdd(c.seq, c.data.length))) return c;
    return undefined;
  }

  /** The upper layer's options for a segment after the handshake. */
  protected ulpOptions(tag: Tag | undefined, payloadLen: number, fin: boolean, seq = this.sndNxt): TcpOption[] {
    return this.ulp?.txOptions({ tag, payloadLen, fin, seq }) ?? [];
  }

  protected payloadRoom(mptcpOpts: TcpOption[]): number {
    const sack = this.sackOk && this.ooo.size > 0 ? 0 : 0;
    const opt = (this.tsOk ? 12 : 0) + optionBytes(mptcpOpts) + sack;
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
    const push = len > 0 && (fin || this.chunks.some((c) => c.push && seqAdd(c.seq, c.data.length) === end) || end === this.sndEnd);
    const mp = this.ulpOptions(tag, len, fin, seq);
    let flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (push ? TcpFlag.PSH : 0);
    if (this.state === 'SYN_RECV' && !this.passiveFastOpen) flags = TcpFlag.ACK;
    this.transmitAck(mp, len, { seq, flags, payload });
    if (len > 0) {
      this.dataSegsOut++;
      this.lastDataSent = this.now;
      if (retrans) this.bytesRetrans += len; else this.bytesSent += len;
      this.ulp?.dataSent(chunk?.tag, len, retrans);
      // Pingpong: data sent shortly after data arrived (tcp_event_data_sent).
      if (this.lastRcvTime >= 0 && this.now - this.lastRcvTime < Math.max(this.ato, DELACK_US)) this.pingpong = true;
    }
    if (!retrans) this.trackInFlight(seq, len, false, fin, false);
    this.maxPacketsOut = Math.max(this.maxPacketsOut, this.inflight.length);
    if (!this.rtxTimer) this.armRtx(this.rtt.rtoUs);
  }

  /** TCP_QUICKACK: send the ACK a delayed-ACK timer is holding. */
  sendAckIfPending(): void {
    if (this.delackTimer) this.sendAck();
  }

  /** A pure ACK (with the options the upper layer puts on it). */
  sendAck(extra: TcpOption[] = [], staleTs = false): void {
    if (this.state === 'CLOSED' || this.state === 'SYN_SENT' || this.state === 'LISTEN') return;
    this.transmitAck([...this.ulpOptions(undefined, 0, false, this.sndNxt), ...extra], 0, undefined, staleTs);
  }

  protected transmitAck(mptcp: TcpOption[], len: number, data?: { seq: number; flags: number; payload: Uint8Array }, staleTs = false): void {
    if (len > 0 || data) this.clockCache = this.now;
    const ts = this.tsOk ? { val: this.tsVal(staleTs), ecr: this.tsRecent } : undefined;
    const sack = this.sackOk ? this.ooo.sackBlocks(4) : [];
    const options = segmentOptions(ts, sack, mptcp);
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

  protected transmit(s: { flags: number; seq: number; ack: number; window: number; options: TcpOption[]; payload: Uint8Array }): void {
    if (this.offWire) return;
    const seg: TcpSegment = {
      srcPort: this.tuple.localPort,
      dstPort: this.tuple.remotePort,
      seq: s.seq >>> 0,
      ack: s.ack >>> 0,
      flags: s.flags,
      window: s.window,
      urgent: 0,
      options: s.options,
      payload: s.payload,
    };
    this.segsOut++;
    this.env.transmitted?.(seg, this.state);
    this.env.send(ipPacket(this.tuple, seg, this.settings.tos ?? 0));
  }

  /** Window field: the free receive space, scaled, never moving the right edge back. */
  advertisedWindow(): number {
    // The upper layer may share the window among connections (mptcp_select_window).
    const space = this.ulp?.receiveSpace() ?? { rcvBuf: this.settings.rcvBuf, queued: this.rcvQueued };
    const free = Math.max(0, Math.floor(space.rcvBuf / 2) - space.queued - this.ooo.bytes());
    let wnd = Math.min(this.rcvSsthresh, free);
    const unit = 1 << this.rcvWscale;
    if (this.rcvWscale > 0) wnd = Math.ceil(wnd / unit) * unit;
    const keep = seqDiff(this.rcvRightEdge, this.rcvNxt);
    if (this.rcvRightEdge !== 0 && keep > wnd) wnd = keep;
    return Math.min(wnd, 65535 << this.rcvWscale);
  }

  protected windowField(): number {
    const wnd = this.advertisedWindow();
    this.rcvRightEdge = seqAdd(this.rcvNxt, wnd);
    return Math.min(65535, wnd >> this.rcvWscale);
  }

  protected trackInFlight(seq: number, len: number, syn: boolean, fin: boolean, retrans: boolean): void {
    const existing = this.inflight.find((e) => e.seq === seq && e.syn === syn);
    if (existing) { existing.sentAt = this.now; existing.retrans = retrans || existing.retrans; return; }
    this.inflight.push({ seq, len, syn, fin, sentAt: this.now, retrans, lost: false });
  }

  // ---- timers -------------------------------------------------------------------------------

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
    const limit = this.orphaned && s.int('net.ipv4.tcp_orphan_retries') > 0 ? s.int('net.ipv4.tcp_orphan_retries') : s.int('net.ipv4.tcp_retries2');
    if (this.retransmits >= limit) {
      this.sendReset(this.sndNxt, true, this.ulp?.rstOptions(false) ?? []);
      if (this.ulp?.retriesExhausted()) return;
      this.error = 'ETIMEDOUT';
      this.aborted = true;
      this.becomeClosed();
      return;
    }
    // RTO: everything outstanding is lost; slow start from one segment.
    this.ssthresh = Math.max(Math.floor((this.cwnd * 717) / 1024), 2);
    this.cwnd = 1;
    this.cwndCount = 0;
    this.caState = 4;
    for (const e of this.inflight) e.lost = true;
    this.retransmits++;
    this.backoff++;
    this.retransmitLost(1);
    this.armRtx(Math.min(MAX_RTO_US, this.rtt.rtoUs * 2 ** this.backoff));
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

  protected probeTimer: Timer | undefined;
  protected keepaliveTimer: Timer | undefined;
  protected keepaliveProbes = 0;
  protected lastHeard = 0;

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

  /** Zero-window probe: an ACK with an old sequence number (tcp_xmit_probe_skb). */
  protected armProbe(): void {
    if (this.probeTimer || this.inflight.length > 0) return;
    const wait = Math.min(MAX_RTO_US, this.rtt.rtoUs * 2 ** this.backoff);
    this.probeTimer = this.env.clock.schedule(this.now + wait, () => {
      this.probeTimer = undefined;
      if (this.state === 'CLOSED' || this.sndWnd > 0) return;
      this.backoff++;
      const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
      this.transmit({ flags: TcpFlag.ACK, seq: seqAdd(this.sndUna, -1 >>> 0), ack: this.rcvNxt, window: this.windowField(), options: segmentOptions(ts, [], this.ulpOptions(undefined, 0, false)), payload: new Uint8Array(0) });
      this.armProbe();
    });
  }

  protected cancelProbeIfAny(): void {
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    this.backoff = 0;
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

  // ---- resets -------------------------------------------------------------------------------

  /** RST|ACK from this connection (close with unread data, SO_LINGER 0, timeouts), with the upper layer's options `mp`. */
  protected sendReset(seq: number, withAck: boolean, mp: TcpOption[]): void {
    const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
    // tcp_send_active_reset goes through tcp_transmit_skb: an RST|ACK announces the current window.
    this.transmit({ flags: TcpFlag.RST | (withAck ? TcpFlag.ACK : 0), seq, ack: withAck ? this.rcvNxt : 0, window: withAck ? this.windowField() : 0, options: segmentOptions(ts, [], mp), payload: new Uint8Array(0) });
  }

  protected sendBareReset(seq: number, _reason: number | undefined): void {
    this.transmit({ flags: TcpFlag.RST, seq, ack: 0, window: 0, options: [], payload: new Uint8Array(0) });
  }

  becomeClosed(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    for (const t of [this.rtxTimer, this.delackTimer, this.endTimer, this.probeTimer, this.keepaliveTimer]) t?.cancel();
    this.rtxTimer = this.delackTimer = this.endTimer = this.probeTimer = undefined;
    this.ulp?.closing();
    this.inflight = [];
    this.env.closed(this);
  }

  /** Takes the pending error (sock_error()). */
  takeError(): string | undefined {
    const e = this.error;
    this.error = undefined;
    return e;
  }

  get inflightCount(): number {
    return this.inflight.length;
  }

  get lostCount(): number {
    return this.inflight.filter((e) => e.lost).length;
  }

  get ackTimeoutUs(): number {
    return this.ato;
  }

  get isQuickAck(): boolean {
    return this.quick > 0 && !this.pingpong;
  }
}
