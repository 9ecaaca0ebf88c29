// One TCP connection (and, through `mptcp`, the single subflow of an MPTCP connection): a state
// machine fed with parsed segments and the current virtual time, emitting parsed segments. Its
// visible behaviour follows Linux: option order, window scale, quick-ACK then delayed ACKs,
// RTO with backoff, SYN retransmission with linear timeouts, every FIN state, RST on close with
// unread data.
import type { IpPacket, TcpOption, TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { fastOpenOption, readFastOpen, synDataRoom, TFO_COOKIE_UNAVAILABLE, TFO_DATA_NOT_ACKED, TFO_SYN_RETRANSMITTED, type ActiveFastOpen, type FastOpenOption, type ServerVerdict } from '../fastopen.js';
import { add64, RESET_MIDDLEBOX, type MptcpConnection, type SubflowRxMap, type TxMapping } from '../mptcp/connection.js';
import { PendingTx } from '../mptcp/pending.js';
import { ChecksumHold } from '../mptcp/csum-hold.js';
import { pacingRate, pickRetransSubflow, pickSendSubflow, SEND_BURST } from '../mptcp/scheduler.js';
import { fourthAckVerdict, RESET_EUNSPEC, RESET_NO_RESOURCES, RESET_UNSPECIFIED, type JoinSubflow } from '../mptcp/join.js';
import type { Prng } from '../prng.js';
import type { Sysctls } from '../sysctl.js';
import type { Timer, VirtualClock } from '../virtual-clock.js';
import { ipPacket, type FourTuple } from './endpoint.js';
import { findTimestamp, mptcpOptions, optionBytes, readSynOptions, segmentOptions, synOptions } from './options.js';
import { Reassembly } from './reassembly.js';
import { INITIAL_RTO_US, MAX_RTO_US, RttEstimator } from './rtt.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { canReceive, canSend, type TcpState } from './state.js';
import { initialReceiveWindow, synWindowField, windowScale } from './window.js';

const MS = 1000;
const DELACK_US = 40 * MS;
const TIME_WAIT_US = 60_000 * MS;
const MAX_QUICKACKS = 16;
const DEFAULT_PEER_MSS = 536;
const INITIAL_CWND = 10;
/**
 * One MPTCP mapping covers one socket buffer: at most a GSO-sized skb, i.e. the whole segments
 * that fit 64 KiB less the TCP header room (6.18 maps 64080 = 45 x 1424 bytes at MSS 1460 with
 * timestamps and a DSS). The DLL field is 16 bits, so a mapping never reaches 65536.
 */
const GSO_ROOM = 65536 - 1 - 320;

export interface ConnEnv {
  clock: VirtualClock;
  sysctls: Sysctls;
  prng: Prng;
  mtu: number;
  send(pkt: IpPacket): void;
  /** The connection reached CLOSED and may be forgotten. */
  closed(conn: TcpConnection): void;
  /** A passive connection completed its handshake. */
  established(conn: TcpConnection): void;
  /** A join subflow's valid third ACK: may the connection take another subflow? */
  admitJoin?(conn: TcpConnection): boolean;
  /** Every segment this connection sends, with its state then (the upper layer's counters read the options). */
  transmitted?(seg: TcpSegment, state: TcpState): void;
}

interface SendChunk {
  seq: number;
  data: Uint8Array;
  /** PSH on the segment that ends this chunk (end of a write). */
  push: boolean;
  mapping: TxMapping | undefined;
  /** Bytes the data level already numbered, sent again here: after a subflow died, or by the MPTCP-level timer. */
  reinject?: 'reinject' | 'retrans';
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

export class TcpConnection {
  state: TcpState = 'CLOSED';
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  maxSndWnd = 0;
  irs = 0;
  rcvNxt = 0;
  private rcvWup = 0;
  private rcvRightEdge = 0;
  rcvWnd = 0;
  private rcvSsthresh = 0;
  sndWscale = 0;
  rcvWscale = 0;
  wscaleOk = false;
  tsOk = false;
  sackOk = false;
  private tsOffset = 0;
  private tsRecent = 0;
  peerMss = DEFAULT_PEER_MSS;
  advMss: number;
  rcvMss = DEFAULT_PEER_MSS;

  private chunks: SendChunk[] = [];
  /** Sequence number after the last byte written by the application. */
  sndEnd = 0;
  finQueued = false;
  finSent = false;
  private finSeq = 0;
  private sndSml = 0;

  private rcvQueue: Uint8Array[] = [];
  rcvQueued = 0;
  /** Peer's FIN (or DATA_FIN) consumed: reads return 0 once the queue is empty. */
  rcvEof = false;
  private pendingFinSeq: number | undefined;
  private ooo = new Reassembly();

  readonly rtt: RttEstimator;
  backoff = 0;
  retransmits = 0;
  totalRetrans = 0;
  cwnd = INITIAL_CWND;
  ssthresh = 0x7fffffff;
  private cwndCount = 0;
  private dupAcks = 0;
  private inflight: InFlight[] = [];
  private maxPacketsOut = 0;
  caState = 0;

  private rtxTimer: Timer | undefined;
  private delackTimer: Timer | undefined;
  private endTimer: Timer | undefined;
  private dataFinTimer: Timer | undefined;
  private dataFinBackoff = 0;
  private quick = 0;
  /** An ACK is due once this segment has been processed (unless data carries it). */
  private ackNow = false;
  private pingpong = false;
  private lastRcvTime = -1;
  private ato = 0;
  synRetrans = 0;
  /** Pending socket error (sk_err), reported once by the next call or SO_ERROR. */
  error: string | undefined;
  /** The connection ended by a reset or timeout (not a graceful close). */
  aborted = false;
  /** MPTCP: the only subflow was reset without MP_FASTCLOSE; the connection lives on, empty. */
  subflowLost = false;
  /**
   * MPTCP: this initial subflow died while joins live. It has left the wire; the object stays as
   * the MPTCP socket it stood for (receive queue, state, DATA_FIN bookkeeping).
   */
  detached = false;
  /** A join closed by REMOVE_ADDR (either way): 6.18 stops counting it in mptcpi_subflows at once. */
  removedByPm = false;
  /** The MPTCP-level retransmission timer (on the initial subflow, which stands for the socket). */
  private mptcpRtxTimer: Timer | undefined;
  /** Multipath: written bytes no subflow has taken yet (on the initial subflow, standing for the socket). */
  private readonly pendingTx = new PendingTx();
  /** shutdown/close came while bytes were pending: the DATA_FIN follows them. */
  private dataFinDeferred = false;
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
    readonly env: ConnEnv,
    readonly tuple: FourTuple,
    readonly settings: SocketSettings,
    public mptcp: MptcpConnection | undefined,
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
  private fastOpen: ActiveFastOpen | undefined;
  /** The first SYN asked for or carried a cookie (tp->syn_fastopen). */
  private synFastOpen = false;
  /** Bytes of data the first SYN carried. */
  synData = 0;
  /**
   * Start of the subflow sequence space MPTCP mappings count from: after the SYN's data, which
   * 6.18 keeps out of the data stream (the client's SYN data, mptcp_fastopen_subflow_synack_set_params).
   */
  private get ssnBase(): number {
    return seqAdd(this.iss, this.synData);
  }

  /** Bytes of data the peer's SYN carried (a passive Fast Open child): the same, received. */
  private synDataIn = 0;

  /** tcpi_options' SYN_DATA on a passive Fast Open child: its SYN carried data (tp->syn_data_acked). */
  get synDataAccepted(): boolean {
    return this.synDataIn > 0;
  }

  private get rxSsnBase(): number {
    return seqAdd(this.irs, this.synDataIn);
  }
  /** tcpi_fastopen_client_fail. */
  fastOpenClientFail = 0;
  /** connect() with TCP_FASTOPEN_CONNECT and a cookie: the SYN waits for the first write (DEFER_CONNECT). */
  deferred = false;
  /** A passive Fast Open child: acceptable, readable and writable before the third ACK. */
  passiveFastOpen = false;
  /** Fast Open option of the first SYN/ACK (a cookie the client asked for, or the right one). */
  private synAckFastOpen: FastOpenOption | undefined;

  /** MP_JOIN subflow: its handshake state; data it receives goes to `master`'s socket queue. */
  join: JoinSubflow | undefined;
  master: TcpConnection | undefined;

  private get now(): number {
    return this.env.clock.now();
  }

  private get mptcpActive(): boolean {
    return this.mptcp !== undefined && !this.mptcp.fallback;
  }

  private tsVal(stale = false): number {
    return (Math.floor((stale ? this.clockCache : this.now) / MS) + this.tsOffset) >>> 0;
  }

  /**
   * Linux's tcp_clock_cache: refreshed when a segment arrives or data goes out. An ACK sent from
   * the path manager's timer (ADD_ADDR retransmission) carries this stale TS val (seen on 6.18).
   */
  private clockCache = 0;

  /** The subflow's retransmission timeout (the path manager paces ADD_ADDR repeats by it). */
  get rtoUs(): number {
    return this.rtt.rtoUs;
  }

  /** Path MTU (lowered by ICMP "fragmentation needed"). */
  pmtu = 0;

  /** Largest payload per segment with no options at all. */
  private get mssNoOptions(): number {
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

  private localWscale(): number {
    const rmem = this.env.sysctls.ints('net.ipv4.tcp_rmem');
    return windowScale(rmem[2] ?? 0, this.env.sysctls.int('net.core.rmem_max'));
  }

  private setupReceiveWindow(mss: number): void {
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
      // A chunk without an MPTCP mapping: data in a SYN is outside the data sequence space.
      this.chunks.push({ seq: this.sndEnd, data: piece, push: true, mapping: undefined });
      this.sndEnd = seqAdd(this.sndEnd, piece.length);
      this.synData = piece.length;
    }
    this.sendSyn();
    return this.synData;
  }

  private sendSyn(): void {
    const mp = this.join ? [this.join.synOption()] : this.mptcp ? this.mptcp.synOptions(this.synRetrans) : [];
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
  private synTimeout(): number {
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

  private sendSynAck(): void {
    const mp = this.join ? [this.join.synAckOption()] : this.mptcp ? this.mptcp.synAckOptions() : [];
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
  private expandSendBuffer(): void {
    if (this.settings.sndBufLocked) return;
    const max = this.env.sysctls.ints('net.ipv4.tcp_wmem')[2] ?? 4194304;
    this.settings.sndBuf = Math.max(this.settings.sndBuf, Math.min(2 * INITIAL_CWND * 4096, max));
  }

  // ---- application side ----------------------------------------------------------------------

  /** The peer's MP_PRIO on this subflow: send here only when no other subflow is usable. */
  peerBackup = false;

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
  subflowList(): TcpConnection[] {
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

  /** Queues application data; returns the number of bytes taken (bounded by the send buffer). */
  write(data: Uint8Array): number {
    if (!this.multipathSend) return this.queueData(data, this.sendBufferFree());
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

  /** Room in this subflow's own send buffer (sk_stream_memory_free). */
  private get sendRoom(): number {
    return this.sendable ? this.settings.sndBuf - this.queuedBytes : 0;
  }

  private queueData(data: Uint8Array, room: number): number {
    const n = Math.min(room, data.length);
    let at = 0;
    while (at < n) {
      const take = Math.min(n - at, this.mptcpActive ? this.maxMapping() : n - at);
      const piece = data.slice(at, at + take);
      const mapping = this.mptcpActive ? this.mptcp!.mapWrite(seqDiff(this.sndEnd, this.ssnBase), piece, this) : undefined;
      this.chunks.push({ seq: this.sndEnd, data: piece, push: at + take === n, mapping });
      this.sndEnd = seqAdd(this.sndEnd, take);
      at += take;
    }
    if (n > 0) this.output();
    return n;
  }

  sendBufferFree(): number {
    if (this.multipathSend) {
      // Linux's MPTCP socket buffer is the sum of its subflows' (mptcp_propagate_sndbuf), shared.
      const total = this.subflowList().filter((c) => c.sendable).reduce((a, c) => a + c.settings.sndBuf, 0);
      return Math.max(0, total - this.mptcp!.txq.bytes - this.pendingTx.bytes);
    }
    return Math.max(0, this.settings.sndBuf - seqDiff(this.sndEnd, this.sndUna));
  }

  /**
   * Bytes the data level already numbered (DSN `dsn`), queued here under new mappings: the share of
   * a subflow that died, or the MPTCP-level retransmission.
   */
  queueMapped(dsn: bigint, data: Uint8Array, kind: 'reinject' | 'retrans'): void {
    let at = 0;
    while (at < data.length) {
      const take = Math.min(data.length - at, this.maxMapping());
      const piece = data.subarray(at, at + take);
      const mapping = this.mptcp!.mapAt(add64(dsn, at), seqDiff(this.sndEnd, this.ssnBase), piece);
      this.chunks.push({ seq: this.sndEnd, data: piece, push: at + take === data.length, mapping, reinject: kind });
      this.sndEnd = seqAdd(this.sndEnd, take);
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
  private reinjectOwn(): void {
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
  private get hasLiveJoin(): boolean {
    return [...(this.mptcp?.joins ?? [])].some((j) => j.state !== 'CLOSED' && j.state !== 'SYN_SENT' && j.state !== 'SYN_RECV');
  }

  /**
   * The initial subflow died while joins live: it leaves the wire; the MPTCP socket stays. Its
   * close event reinjects, unless the wire copy's closeSubflow already did (one per close, as
   * mptcp_close_ssk's close_event_done).
   */
  private detach(reinject = true): void {
    if (reinject) this.reinjectOwn();
    this.detached = true;
    this.mptcp!.initialClosed = true;
    for (const t of [this.rtxTimer, this.delackTimer, this.endTimer, this.dataFinTimer, this.probeTimer, this.keepaliveTimer]) t?.cancel();
    this.rtxTimer = this.delackTimer = this.endTimer = this.dataFinTimer = this.probeTimer = this.keepaliveTimer = undefined;
    this.inflight = [];
    this.chunks = [];
    this.env.closed(this);
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
  closeInitialSubflow(): TcpConnection | undefined {
    if (this.join || this.detached || !this.mptcpActive || !this.hasLiveJoin || this.finQueued) return undefined;
    const wire = Object.assign(Object.create(TcpConnection.prototype) as TcpConnection, this);
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
   * Linux's MPTCP-level retransmission timer (mptcp_reset_rtx_timer), once a join existed: when no
   * DATA_ACK progress came for an RTO (at least 200 ms), the oldest unacknowledged data goes again
   * on a subflow whose own queue is empty (mptcp_subflow_get_retrans).
   */
  private armMptcpRtx(): void {
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
  private onDataAckProgress(): void {
    this.mptcpRtxTimer?.cancel();
    this.mptcpRtxTimer = undefined;
    this.armMptcpRtx();
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
        // The window is the connection's: every subflow announces it (mptcp_cleanup_rbuf).
        for (const c of this.subflowList()) if (c.state !== 'CLOSED' && !c.detached) c.sendAck();
      }
    }
    return out;
  }

  /** shutdown(SHUT_WR) / close(): FIN after the queued data (for MPTCP, DATA_FIN first). */
  shutdownWrite(): void {
    if (this.shutWr) return;
    this.shutWr = true;
    if (this.state === 'SYN_SENT') { this.becomeClosed(); return; }
    if (this.mptcpActive && this.mptcp!.remote) {
      if (this.pendingTx.bytes > 0) this.dataFinDeferred = true;
      else this.queueDataFinEverywhere();
      return;
    }
    this.queueFin();
  }

  private queueDataFinEverywhere(): void {
    this.mptcp!.queueDataFin();
    this.output();
    // Linux sends the DATA_FIN on every subflow.
    if (!this.join) for (const j of this.mptcp!.joins) j.output();
  }

  private queueFin(): void {
    if (this.finQueued) return;
    if (this.detached) {
      // Both DATA_FINs are done and no subflow of ours remains here: the MPTCP socket closes.
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
      if (this.state !== 'SYN_RECV') this.sendReset(this.sndNxt, true, { fastclose: true, reason: 0 });
      this.becomeClosed();
      // MP_FASTCLOSE tears down every subflow of the connection.
      if (this.mptcpActive && !this.join) {
        for (const j of [...this.mptcp!.joins]) { if (j.state !== 'SYN_RECV') j.sendReset(j.sndNxt, true, { fastclose: true, reason: 0 }); j.becomeClosed(); }
      }
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

  private inputSynSent(seg: TcpSegment): void {
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
    if (this.join && !this.join.onSynAck(mptcpOptions(seg.options))) {
      // A SYN/ACK without MP_JOIN or with a wrong HMAC (§5.2): 6.18 (subflow_finish_connect)
      // completes the handshake, then resets the subflow from ESTABLISHED: RST+ACK with
      // timestamps and MP_TCPRST 1.
      const peer = readSynOptions(seg.options);
      this.irs = seg.seq;
      this.rcvNxt = seqAdd(seg.seq, 1);
      if (peer.ts) this.tsRecent = peer.ts.val; else this.tsOk = false;
      this.sendReset(this.sndNxt, true, { fastclose: false, reason: RESET_UNSPECIFIED });
      this.becomeClosed();
      return;
    }
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
    if (!this.join) this.mptcp?.onSynAck(mptcpOptions(seg.options));
    this.state = 'ESTABLISHED';
    this.expandSendBuffer();
    this.lastAckRecv = this.now;
    this.armKeepalive();
    if ((this.fastOpen || this.synData > 0) && this.fastOpenSynAck(seg, peer.mss ?? 0)) return;
    this.sendAck();
    if (this.join) this.armJoinAck();
    this.output();
  }

  /**
   * tcp_rcv_fastopen_synack: the destination's cache learns the cookie and MSS (or that a
   * request went unanswered: ask in the experimental form next time); SYN data the SYN/ACK did
   * not acknowledge is sent again at once, and that segment stands for the ACK (returns true).
   */
  private fastOpenSynAck(seg: TcpSegment, mss: number): boolean {
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

  /** The joiner repeats its third ACK (with MP_JOIN) until the fourth ACK: ~2 x SRTT, 1 s without a sample. */
  private armJoinAck(): void {
    const us = this.rtt.srttUs > 0 ? Math.max(2 * this.rtt.srttUs, 200 * MS) : INITIAL_RTO_US;
    this.delackTimer?.cancel();
    this.delackTimer = this.env.clock.schedule(this.now + us, () => {
      this.delackTimer = undefined;
      if (this.state !== 'ESTABLISHED' || !this.join || this.join.established) return;
      this.sendAck();
      this.armJoinAck();
    });
  }

  /** RST with MP_TCPRST in v1 (no timestamp), and the subflow is gone (a refused or failed join). */
  private resetSubflow(seq: number, reason: number): void {
    const options = this.mptcp?.resetOptions(reason) ?? [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason }];
    this.transmit({ flags: TcpFlag.RST, seq, ack: 0, window: 0, options, payload: new Uint8Array(0) });
    this.becomeClosed();
  }

  private inputSynRecv(seg: TcpSegment): void {
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
    if (this.join) {
      if (!this.join.thirdAckValid(mptcpOptions(seg.options))) { this.resetSubflow(seg.ack, RESET_UNSPECIFIED); return; }
      if (!(this.env.admitJoin?.(this) ?? false)) { this.resetSubflow(seg.ack, RESET_NO_RESOURCES); return; }
      this.join.established = true;
      this.join.conn.hadJoin = true;
    } else this.mptcp?.onThirdAck(mptcpOptions(seg.options), seg.payload.length);
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
    if (this.join) this.sendAck(); // the responder's fourth ACK, with a DATA_ACK (§5.2)
    // Whatever else the segment carries (data, FIN) is processed like any later segment.
    if (seg.payload.length > 0 || (f & TcpFlag.FIN)) this.inputSynchronized(seg, true);
  }

  /** Linux's tcp_sequence(): the segment overlaps [rcv_wup, rcv_nxt + window]. */
  private acceptable(seg: TcpSegment): boolean {
    const len = seg.payload.length + ((seg.flags & TcpFlag.FIN) ? 1 : 0);
    const end = seqAdd(seg.seq, len);
    return seqGe(end, this.rcvWup) && seqLe(seg.seq, seqAdd(this.rcvNxt, this.advertisedWindow()));
  }

  private inputSynchronized(seg: TcpSegment, ackDone = false): void {
    const f = seg.flags;
    const mopts = mptcpOptions(seg.options);
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
      this.mptcp?.countReceived(mopts); // tcp_reset hands an RST's options to MPTCP too
      if (this.mptcpActive && !this.mptcp!.isFastClose(mopts)) {
        // A subflow error reaches the MPTCP socket only after a fallback: the connection stays
        // up without its subflow (reads find no data and no error), over its joins if any; what
        // the subflow carried and no DATA_ACK covers goes on the others.
        if (!this.join && this.hasLiveJoin) { this.detach(); return; }
        this.reinjectOwn();
        this.subflowLost = true;
        this.becomeClosed();
        return;
      }
      this.onReset();
      return;
    }
    if (f & TcpFlag.SYN) { this.sendAck(); return; }
    if (!(f & TcpFlag.ACK)) return;
    const ts = findTimestamp(seg.options);
    if (ts && this.tsOk && seqLe(seg.seq, this.rcvNxt)) this.tsRecent = ts.val;
    if (!ackDone && !this.processAck(seg)) return;
    if (this.state === 'CLOSED') return;
    const inOrder = seg.seq === this.rcvNxt;
    // The joiner's fourth ACK (join.ts fourthAckVerdict); out-of-sequence segments wait for it.
    if (this.join && !this.join.established && seqDiff(seg.seq, this.rxSsnBase) === 1) {
      if (fourthAckVerdict(mopts) === 'reset') {
        this.sendReset(this.sndNxt, true, { fastclose: false, reason: RESET_EUNSPEC });
        this.becomeClosed();
        return;
      }
      this.join.established = true;
      this.mptcp!.hadJoin = true;
    }
    const prio = mopts.find((o) => o.subtype === 'mp_prio' && o.addressId === undefined);
    if (prio && prio.subtype === 'mp_prio') { this.peerBackup = prio.backup; if (this.join) this.join.peerBackup = prio.backup; }
    if (this.mptcp) {
      const una = this.mptcp.sndUna;
      const verdict = this.mptcp.onSegment(mopts, seg.payload, seqDiff(seg.seq, this.rxSsnBase), inOrder, this.join !== undefined, this.rxMap);
      if (this.mptcp.sndUna !== una) (this.master ?? this).onDataAckProgress();
      // msk->wnd_end: the DATA_ACK plus this subflow's send window, never moving back.
      const wndEnd = add64(this.mptcp.sndUna, this.sndWnd);
      if (wndEnd > this.mptcp.wndEnd) this.mptcp.wndEnd = wndEnd;
      const map = this.mptcp.lastMapping;
      if (map && !this.rxMappings.some((x) => x.ssn === map.ssn && x.dsn === map.dsn)) {
        this.rxMappings.push(map);
        if (this.rxMappings.length > 16) this.rxMappings.shift();
      }
      if (verdict === 'fastclose-on-ack') {
        this.sendReset(this.sndNxt, true, { fastclose: false, reason: 0 });
        this.error = 'ECONNRESET';
        this.aborted = true;
        this.becomeClosed();
        return;
      }
      if (verdict === 'mp-fail-reset') {
        // The bad bytes were taken at TCP level (the RST acks them); the subflow goes, the
        // connection lives on the others (6.18: MP_FAIL + MP_TCPRST 6 on the RST).
        // A segment running past its mapping reaches the socket whole first (measured on 6.18).
        if (inOrder && this.mptcp.resetDeliversSegment) this.deliver(seg.payload);
        else if (inOrder) this.rcvNxt = seqAdd(this.rcvNxt, seg.payload.length);
        this.sendReset(this.sndNxt, true, { fastclose: false, reason: RESET_MIDDLEBOX });
        if (!this.join && this.hasLiveJoin) { this.detach(); return; }
        if (this.join) this.mptcp.lingeringResets++;
        this.reinjectOwn();
        this.becomeClosed();
        return;
      }
    }
    if (this.mptcp?.hasPendingEcho) this.ackNow = true;
    this.processData(seg);
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
    // New data goes out first and carries the ACK (tcp_data_snd_check before tcp_ack_snd_check).
    this.output();
    const socket = this.master ?? this;
    if (socket.multipathSend && socket.pendingTx.bytes > 0) socket.pushPending();
    // When the DATA_FIN let the subflow close, the FIN carried its DATA_ACK and the MPTCP
    // socket's own ACK of it still follows (observed on 6.18).
    if ((this.ackNow || (dataFinConsumed && this.finSent)) && (this.state as TcpState) !== 'CLOSED') this.sendAck();
  }

  private onReset(): void {
    if (this.state === 'CLOSE_WAIT' || this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT1' || this.state === 'FIN_WAIT2') {
      this.error = this.state === 'CLOSE_WAIT' ? 'EPIPE' : 'ECONNRESET';
    }
    this.aborted = true;
    this.becomeClosed();
  }

  /** Returns false when the segment must be dropped (an ACK of data never sent). */
  private processAck(seg: TcpSegment): boolean {
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
  private ackedUpTo(ack: number): void {
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

  private growCwnd(acked: number, packetsOutBefore: number): void {
    // Only a window that limited the sender grows (tcp_is_cwnd_limited).
    const limited = this.cwnd < 2 * Math.max(this.maxPacketsOut, packetsOutBefore);
    this.maxPacketsOut = this.inflight.length;
    if (!limited) return;
    if (this.cwnd < this.ssthresh) { this.cwnd = Math.min(this.cwnd + acked, Math.max(this.ssthresh, this.cwnd)); return; }
    this.cwndCount += acked;
    if (this.cwndCount >= this.cwnd) { this.cwndCount -= this.cwnd; this.cwnd++; }
  }

  private onDupAck(): void {
    this.dupAcks++;
    if (this.dupAcks !== 3) return;
    // Fast retransmit: halve (cubic's beta is close enough for the visible sequence), resend the head.
    this.ssthresh = Math.max(Math.floor((this.inflight.length * 717) / 1024), 2);
    this.cwnd = this.ssthresh;
    this.caState = 3;
    const head = this.inflight[0];
    if (head) { head.lost = true; this.retransmitLost(1); }
  }

  private onFinAcked(): void {
    if (this.state === 'FIN_WAIT1') {
      this.state = 'FIN_WAIT2';
      if (this.orphaned) this.armEnd(this.env.sysctls.int('net.ipv4.tcp_fin_timeout') * 1_000_000);
    } else if (this.state === 'CLOSING') this.enterTimeWait();
    else if (this.state === 'LAST_ACK') this.becomeClosed();
  }

  private processData(seg: TcpSegment): void {
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
  private deliver(data: Uint8Array): void {
    if (this.ato === 0) {
      // First data: quick-ACK mode for up to 16 segments (tcp_incr_quickack).
      this.ato = DELACK_US;
      this.quick = Math.min(MAX_QUICKACKS, Math.max(2, Math.floor(this.rcvWnd / (2 * this.rcvMss))));
    }
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.bytesReceived += data.length;
    this.lastDataRecv = this.now;
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
    const socket = this.master ?? this;
    const m = this.mptcp;
    // The data level places bytes by DSN (the mapping that covers them), on one subflow as on
    // several: a mapping ahead of the DATA_ACK waits out of order (protocol.c
    // mptcp_data_queue_ofo), and the DATA_ACK does not move.
    if (m && !m.fallback) {
      const map = this.rxMappings.find((x) => rel >= x.ssn && rel < x.ssn + x.dll);
      if (map) {
        for (const piece of m.reorder(add64(map.dsn, rel - map.ssn), data)) socket.queueReceived(piece);
        return;
      }
    }
    socket.queueReceived(data);
  }

  /** Bytes of a mapping whose DSS checksum is not checked yet. */
  private readonly csumHold = new ChecksumHold();

  /** The mapping this subflow is receiving under (its own, whatever the other subflows receive). */
  private readonly rxMap: SubflowRxMap = {};
  /** Mappings received on this subflow (the latest few), to place its bytes in data order. */
  private rxMappings: Array<{ dsn: bigint; ssn: number; dll: number }> = [];

  /** In-order data-level bytes for the socket (from this subflow or a join subflow). */
  queueReceived(data: Uint8Array): void {
    if (!this.shutRd) { this.rcvQueue.push(data.slice()); this.rcvQueued += data.length; }
    this.mptcp?.onDelivered(data.length);
  }

  private receiveFin(): void {
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

  private scheduleAck(force: boolean): void {
    const quickMode = this.quick > 0 && !this.pingpong;
    const twoSegments = seqDiff(this.rcvNxt, this.rcvWup) > this.rcvMss;
    // ato is 0 until data arrived: the delayed-ACK timer then fires at the next jiffy (observed
    // on 6.18: a FIN on an idle connection is acked within ~2 ms).
    if (force || quickMode || twoSegments || this.ato === 0) { this.ackNow = true; return; }
    if (!this.delackTimer) this.delackTimer = this.env.clock.schedule(this.now + this.ato, () => this.onDelack());
  }

  private onDelack(): void {
    this.delackTimer = undefined;
    if (this.pingpong) this.pingpong = false; // Linux leaves pingpong mode when a delayed ACK fires
    if (this.state !== 'CLOSED') this.sendAck();
  }

  // ---- output -------------------------------------------------------------------------------

  /** Sends what the windows and Nagle allow; then FIN / DATA_FIN when due. */
  output(): void {
    if (this.detached) return;
    const fastOpenChild = this.passiveFastOpen && this.state === 'SYN_RECV';
    if (!canSend(this.state) && !fastOpenChild && this.state !== 'FIN_WAIT1' && this.state !== 'LAST_ACK' && this.state !== 'CLOSING') return;
    this.retransmitLost(Infinity);
    for (;;) {
      const dataEnd = this.finQueued ? this.finSeq : this.sndEnd;
      const avail = seqDiff(dataEnd, this.sndNxt);
      if (avail <= 0) break;
      if (this.inflight.length >= this.cwnd) break;
      const chunk = this.chunkAt(this.sndNxt);
      const mapping = this.mptcpActive ? chunk?.mapping : undefined;
      const mp = this.mptcpTx(mapping, 1, false, false);
      const mss = this.payloadRoom(mp);
      let len = Math.min(avail, mss);
      if (mapping && chunk) len = Math.min(len, seqDiff(seqAdd(chunk.seq, chunk.data.length), this.sndNxt));
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
    const m = this.mptcp;
    if (m && !m.fallback && m.dataFinDsn !== undefined && !m.dataFinAcked && !this.dataFinTimer && this.sndNxt === this.sndEnd && canSend(this.state) && (!this.join || this.join.established)) {
      this.sendDataFin();
    }
  }

  private sendDataFin(): void {
    // Sent by the MPTCP socket (tcp_send_ack on each subflow) without refreshing the subflow's
    // clock: 6.18 puts the TS val of the subflow's last event on it.
    this.transmitAck(this.mptcpTx(undefined, 0, false, true), 0, undefined, true);
    const rto = Math.min(MAX_RTO_US, this.rtt.rtoUs * 2 ** this.dataFinBackoff);
    this.dataFinTimer = this.env.clock.schedule(this.now + rto, () => {
      this.dataFinTimer = undefined;
      if (this.state === 'CLOSED' || this.mptcp!.dataFinAcked || this.mptcp!.fallback) return;
      this.dataFinBackoff++;
      this.sendDataFin();
    });
  }

  private chunkAt(seq: number): SendChunk | undefined {
    for (const c of this.chunks) if (seqLe(c.seq, seq) && seqLt(seq, seqAdd(c.seq, c.data.length))) return c;
    return undefined;
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

  private payloadRoom(mptcpOpts: TcpOption[]): number {
    const sack = this.sackOk && this.ooo.size > 0 ? 0 : 0;
    const opt = (this.tsOk ? 12 : 0) + optionBytes(mptcpOpts) + sack;
    return this.mssNoOptions - ((opt + 3) & ~3);
  }

  private bytesAt(seq: number, len: number): Uint8Array {
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

  private sendData(seq: number, len: number, fin: boolean, retrans: boolean): void {
    const chunk = len > 0 ? this.chunkAt(seq) : undefined;
    const mapping = this.mptcpActive ? chunk?.mapping : undefined;
    const payload = this.bytesAt(seq, len);
    const end = seqAdd(seq, len);
    const push = len > 0 && (fin || this.chunks.some((c) => c.push && seqAdd(c.seq, c.data.length) === end) || end === this.sndEnd);
    const mp = this.mptcpTx(mapping, len, fin, false, seq);
    let flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (push ? TcpFlag.PSH : 0);
    if (this.state === 'SYN_RECV' && !this.passiveFastOpen) flags = TcpFlag.ACK;
    this.transmitAck(mp, len, { seq, flags, payload });
    if (len > 0) {
      this.dataSegsOut++;
      this.lastDataSent = this.now;
      if (retrans) this.bytesRetrans += len; else this.bytesSent += len;
      // Reinjected bytes are not new data for MPTCP_INFO (6.18 counts the MPTCP-level ones itself).
      if (!chunk?.reinject) this.mptcp?.onDataSent(len, retrans);
      if (mapping && !retrans) (this.master ?? this).armMptcpRtx();
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

  /** A pure ACK (with the MPTCP DSS or MP_CAPABLE it needs). */
  sendAck(extra: TcpOption[] = [], staleTs = false): void {
    if (this.state === 'CLOSED' || this.state === 'SYN_SENT' || this.state === 'LISTEN') return;
    this.transmitAck([...this.mptcpTx(undefined, 0, false, false, this.sndNxt), ...extra], 0, undefined, staleTs);
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
    this.chunks = this.chunks.filter((c) => seqLt(c.seq, this.sndNxt));
    this.sndEnd = this.sndNxt;
    this.queueFin();
    // 6.18: the ACK and FIN first, then the subflow's data on the others (mptcp_close_ssk).
    this.reinjectOwn();
  }

  private transmitAck(mptcp: TcpOption[], len: number, data?: { seq: number; flags: number; payload: Uint8Array }, staleTs = false): void {
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

  private ackSent(): void {
    this.ackNow = false;
    this.delackTimer?.cancel();
    this.delackTimer = undefined;
    this.rcvWup = this.rcvNxt;
    if (this.quick > 0) this.quick--;
  }

  private transmit(s: { flags: number; seq: number; ack: number; window: number; options: TcpOption[]; payload: Uint8Array }): void {
    if (this.detached) return; // the initial subflow is gone from the wire
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
    // Once joins exist the window is the connection's (mptcp_select_window): the socket's buffer
    // less what waits in its receive queue and ahead of the data level's rcv_nxt.
    const socket = this.master ?? this;
    const shared = this.mptcpActive && this.mptcp!.hadJoin;
    const queued = (shared ? socket.rcvQueued + this.mptcp!.aheadBytes : this.rcvQueued) + this.csumHold.bytes;
    const free = Math.max(0, Math.floor(socket.settings.rcvBuf / 2) - queued - this.ooo.bytes());
    let wnd = Math.min(this.rcvSsthresh, free);
    const unit = 1 << this.rcvWscale;
    if (this.rcvWscale > 0) wnd = Math.ceil(wnd / unit) * unit;
    const keep = seqDiff(this.rcvRightEdge, this.rcvNxt);
    if (this.rcvRightEdge !== 0 && keep > wnd) wnd = keep;
    return Math.min(wnd, 65535 << this.rcvWscale);
  }

  private windowField(): number {
    const wnd = this.advertisedWindow();
    this.rcvRightEdge = seqAdd(this.rcvNxt, wnd);
    return Math.min(65535, wnd >> this.rcvWscale);
  }

  private trackInFlight(seq: number, len: number, syn: boolean, fin: boolean, retrans: boolean): void {
    const existing = this.inflight.find((e) => e.seq === seq && e.syn === syn);
    if (existing) { existing.sentAt = this.now; existing.retrans = retrans || existing.retrans; return; }
    this.inflight.push({ seq, len, syn, fin, sentAt: this.now, retrans, lost: false });
  }

  // ---- timers -------------------------------------------------------------------------------

  private armRtx(us: number): void {
    this.rtxTimer?.cancel();
    this.rtxTimer = this.env.clock.schedule(this.now + us, () => this.onRtx());
  }

  private onRtx(): void {
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
      this.sendReset(this.sndNxt, true, { fastclose: false, reason: undefined });
      // A multipath connection loses only this subflow; its data goes on the others.
      if (this.mptcpActive && !this.join && this.hasLiveJoin) { this.detach(); return; }
      if (this.mptcpActive && this.join) this.reinjectOwn();
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

  private retransmitHead(): void {
    if (this.state === 'SYN_RECV') this.sendSynAck();
  }

  /** Retransmits up to `max` segments marked lost, within the congestion window. */
  private retransmitLost(max: number): void {
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

  private inflightNotLost(): number {
    return this.inflight.filter((e) => !e.lost).length;
  }

  private probeTimer: Timer | undefined;
  private keepaliveTimer: Timer | undefined;
  private keepaliveProbes = 0;
  private lastHeard = 0;

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

  private onKeepalive(): void {
    this.keepaliveTimer = undefined;
    const k = this.settings.keepalive;
    if (!k.on || this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.inflight.length > 0 || this.notSentBytes > 0) { this.keepaliveTimer = this.env.clock.schedule(this.now + k.idle * 1_000_000, () => this.onKeepalive()); return; }
    if (this.keepaliveProbes === 0 && this.now - this.lastHeard < k.idle * 1_000_000) { this.armKeepalive(); return; }
    if (this.keepaliveProbes >= k.cnt) {
      this.sendReset(this.sndNxt, true, { fastclose: false, reason: undefined });
      this.error = 'ETIMEDOUT';
      this.aborted = true;
      this.becomeClosed();
      return;
    }
    const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
    this.transmit({ flags: TcpFlag.ACK, seq: seqAdd(this.sndUna, -1 >>> 0), ack: this.rcvNxt, window: this.windowField(), options: segmentOptions(ts, [], this.mptcpTx(undefined, 0, false, false)), payload: new Uint8Array(0) });
    this.keepaliveProbes++;
    this.armKeepalive();
  }

  /** Zero-window probe: an ACK with an old sequence number (tcp_xmit_probe_skb). */
  private armProbe(): void {
    if (this.probeTimer || this.inflight.length > 0) return;
    const wait = Math.min(MAX_RTO_US, this.rtt.rtoUs * 2 ** this.backoff);
    this.probeTimer = this.env.clock.schedule(this.now + wait, () => {
      this.probeTimer = undefined;
      if (this.state === 'CLOSED' || this.sndWnd > 0) return;
      this.backoff++;
      const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
      this.transmit({ flags: TcpFlag.ACK, seq: seqAdd(this.sndUna, -1 >>> 0), ack: this.rcvNxt, window: this.windowField(), options: segmentOptions(ts, [], this.mptcpTx(undefined, 0, false, false)), payload: new Uint8Array(0) });
      this.armProbe();
    });
  }

  private cancelProbeIfAny(): void {
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    this.backoff = 0;
  }

  private armEnd(us: number): void {
    this.endTimer?.cancel();
    this.endTimer = this.env.clock.schedule(this.now + us, () => { this.endTimer = undefined; this.becomeClosed(); });
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.rtxTimer?.cancel();
    this.armEnd(TIME_WAIT_US);
  }

  // ---- resets -------------------------------------------------------------------------------

  /** RST|ACK from this connection (close with unread data, SO_LINGER 0, timeouts). */
  sendReset(seq: number, withAck: boolean, mptcp: { fastclose: boolean; reason: number | undefined }): void {
    const mp = this.mptcp ? this.mptcp.txOptions({ payloadLen: 0, seqRel: 0, fin: false, dataFin: false, rst: mptcp.fastclose || mptcp.reason !== undefined ? mptcp : undefined }) : [];
    const ts = this.tsOk ? { val: this.tsVal(), ecr: this.tsRecent } : undefined;
    // tcp_send_active_reset goes through tcp_transmit_skb: an RST|ACK announces the current window.
    this.transmit({ flags: TcpFlag.RST | (withAck ? TcpFlag.ACK : 0), seq, ack: withAck ? this.rcvNxt : 0, window: withAck ? this.windowField() : 0, options: segmentOptions(ts, [], mp), payload: new Uint8Array(0) });
  }

  private sendBareReset(seq: number, _reason: number | undefined): void {
    this.transmit({ flags: TcpFlag.RST, seq, ack: 0, window: 0, options: [], payload: new Uint8Array(0) });
  }

  becomeClosed(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    for (const t of [this.rtxTimer, this.delackTimer, this.endTimer, this.dataFinTimer, this.probeTimer, this.keepaliveTimer, this.mptcpRtxTimer]) t?.cancel();
    this.rtxTimer = this.delackTimer = this.endTimer = this.dataFinTimer = this.probeTimer = this.mptcpRtxTimer = undefined;
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
