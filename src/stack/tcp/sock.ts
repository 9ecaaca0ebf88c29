// The state of one TCP connection (Linux's struct tcp_sock) and what every part of it uses:
// the clock and timestamps, the MSS, putting a segment on the wire, the advertised window and
// the end of the connection. The behaviour is split by concern as Linux's tcp_output.c,
// tcp_input.c, tcp_timer.c and tcp_recovery.c: output.ts, connect.ts, recovery.ts, timers.ts,
// input.ts, and connection.ts (the socket calls). An upper layer (MPTCP) reaches the connection
// only through hooks.ts.
import { TcpFlag, type IpPacket, type TcpOption, type TcpSegment } from '../../wire/packet.js';
import type { ActiveFastOpen, FastOpenOption } from '../fastopen.js';
import type { Prng } from '../prng.js';
import type { Sysctls } from '../sysctl.js';
import type { Timer, VirtualClock } from '../virtual-clock.js';
import { ipPacket, type FourTuple } from './endpoint.js';
import { createCongestion, CwndUsage, type CongestionOps, type CongestionSock } from './congestion.js';
import type { SubflowHooks } from './hooks.js';
import { dontFragment, type SocketOptionSettings } from './socket-options.js';
import { TcpEcn } from './ecn.js';
import { Reassembly } from './reassembly.js';
import { RttEstimator } from './rtt.js';
import { seqAdd, seqDiff, seqLt } from './seq.js';
import type { TcpState } from './state.js';

export const MS = 1000;
export const DELACK_US = 40 * MS;
export const TIME_WAIT_US = 60_000 * MS;
export const MAX_QUICKACKS = 16;
export const DEFAULT_PEER_MSS = 536;
export const INITIAL_CWND = 10;

/** What a connection is given by its host; `C` is the connection type the callbacks receive. */
export interface ConnEnv<C = TcpSock> {
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

export interface SendChunk<Tag> {
  seq: number;
  data: Uint8Array;
  /** PSH on the segment that ends this chunk (end of a write). */
  push: boolean;
  /** The upper layer's tag of these bytes (hooks.ts). */
  tag: Tag | undefined;
}

export interface InFlight {
  seq: number;
  len: number;
  syn: boolean;
  fin: boolean;
  sentAt: number;
  retrans: boolean;
  lost: boolean;
  /** Sacked by the peer (TCPCB_SACKED_ACKED): never sent again (sack.ts). */
  sacked?: boolean;
  /** Resent and not yet (s)acked nor found lost again (TCPCB_SACKED_RETRANS); `lost` is cleared by the resend. */
  rtxOut?: boolean;
}

export interface SocketSettings extends SocketOptionSettings {
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
  /** TCP_CONGESTION, or net.ipv4.tcp_congestion_control when the socket was made. */
  congestion?: string;
}


export abstract class TcpSock<Tag = unknown> {
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
  cwndCount = 0;
  /** tp->prior_cwnd: the window when the current reduction began (undo restores from it). */
  priorCwnd = 0;
  protected dupAcks = 0;
  protected inflight: InFlight[] = [];
  /** tcp_cwnd_validate's record of the window sent (congestion.ts). */
  protected readonly cwndUsage = new CwndUsage();
  /** ECN (ecn.ts); `rxIpEcn`: the IP ECN field of the segment being processed. */
  readonly ecn = new TcpEcn();
  protected rxIpEcn = 0;
  caState = 0;

  protected rtxTimer: Timer | undefined;
  protected delackTimer: Timer | undefined;
  protected endTimer: Timer | undefined;
  protected probeTimer: Timer | undefined;
  protected keepaliveTimer: Timer | undefined;
  protected keepaliveProbes = 0;
  /** When the peer was last heard from (keepalive's idle time counts from it). */
  protected lastHeard = 0;
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
    readonly env: ConnEnv<TcpSock<Tag>>,
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

  private caOps: CongestionOps | undefined;
  /** The socket's congestion control (congestion.ts); a new TCP_CONGESTION name starts afresh (tcp_reinit_congestion_control). */
  protected get ca(): CongestionOps {
    const name = this.settings.congestion ?? this.env.sysctls.get('net.ipv4.tcp_congestion_control') ?? 'cubic';
    if (this.caOps?.name !== name) this.caOps = createCongestion(name, this.caSock());
    return this.caOps;
  }

  private caSock(): CongestionSock {
    const t = this;
    return {
      get cwnd() { return t.cwnd; },
      set cwnd(v: number) { t.cwnd = v; },
      get ssthresh() { return t.ssthresh; },
      set ssthresh(v: number) { t.ssthresh = v; },
      get cwndCount() { return t.cwndCount; },
      set cwndCount(v: number) { t.cwndCount = v; },
      get priorCwnd() { return t.priorCwnd; },
      get sndNxt() { return t.sndNxt; },
      get sndUna() { return t.sndUna; },
      get nowUs() { return t.now; },
      get lastSendUs() { return t.lastDataSent; },
      get mss() { return t.sndMss; },
      get srttUs() { return t.rtt.srttUs; },
    };
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

  protected transmit(s: { flags: number; seq: number; ack: number; window: number; options: TcpOption[]; payload: Uint8Array }): void {
    if (this.offWire) return;
    // tcp_ecn_send: ECT(0) on new data, ECE while echoing a CE mark (SYNs set their own flags).
    const ecn = s.flags & TcpFlag.SYN ? { flags: 0, ipEcn: 0 } : this.ecn.send(s.payload.length > 0 && !seqLt(s.seq, this.sndNxt));
    const seg: TcpSegment = {
      srcPort: this.tuple.localPort,
      dstPort: this.tuple.remotePort,
      seq: s.seq >>> 0,
      ack: s.ack >>> 0,
      flags: s.flags | ecn.flags,
      window: s.window,
      urgent: 0,
      options: s.options,
      payload: s.payload,
    };
    this.segsOut++;
    this.env.transmitted?.(seg, this.state);
    this.env.send(ipPacket(this.tuple, seg, ((this.settings.tos ?? 0) & ~3) | ecn.ipEcn, dontFragment(this.settings)));
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
