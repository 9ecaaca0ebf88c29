// The host: its addresses, the packets it has sent (with their virtual send times), and the
// routing of arriving segments to connections and listeners. Segments for nobody get the RST
// Linux sends (tcp_v4_send_reset).
import type { NetworkConfig, SentPacket } from '../targets/target.js';
import { decodeIp, encodeIp } from '../wire/codec.js';
import type { IpPacket, TcpOption, TcpSegment } from '../wire/packet.js';
import { TcpFlag } from '../wire/packet.js';
import { FastOpenCache, FastOpenKeys, readFastOpen, serverFastOpen, type ServerVerdict } from './fastopen.js';
import { validSynCapable } from './mptcp/capable.js';
import { MptcpConnection, type MptcpSettings } from './mptcp/connection.js';
import { ActiveMptcpBlackhole } from './mptcp/fallback.js';
import { generateKey } from './mptcp/keys.js';
import { PathManager } from './mptcp/path-manager.js';
import { Prng } from './prng.js';
import { Sysctls } from './sysctl.js';
import type { SocketSettings } from './tcp/connection.js';
import { Subflow as TcpConnection, type SubflowEnv as ConnEnv } from './mptcp/subflow-socket.js';
import { ipPacket, tupleKey, type FourTuple } from './tcp/endpoint.js';
import { seqAdd } from './tcp/seq.js';
import { VirtualClock } from './virtual-clock.js';
import { countSentOptions, Mib } from './mib.js';

export interface Listener {
  family: 4 | 6;
  address: string | undefined;
  port: number;
  backlog: number;
  mptcp: boolean;
  settings: SocketSettings;
  /** Established connections waiting for accept(). */
  queue: TcpConnection[];
  /** Handshakes in progress (request sockets and SYN-cookie children). */
  pending: Set<TcpConnection>;
  /** The part of `pending` answered with a SYN cookie: Linux keeps no state for them. */
  cookies: Set<TcpConnection>;
}

export const ANY4 = '0.0.0.0';
export const ANY6 = '::';

export class Host {
  readonly clock = new VirtualClock();
  readonly sysctls = new Sysctls();
  /** The namespace's MIB counters (mib.ts). */
  readonly mib = new Mib();
  readonly prng: Prng;
  mtu = 1500;
  readonly addresses = new Set<string>();
  readonly sent: SentPacket[] = [];
  /** Every packet sent, for traces and determinism checks. */
  readonly trace: SentPacket[] = [];
  readonly conns = new Map<string, TcpConnection>();
  readonly listeners: Listener[] = [];
  /** The connection the arriving segment is being handed to (a cookie child answers only then). */
  private inputTo: TcpConnection | undefined;
  /** The in-kernel path manager: endpoints, limits, announcements and join subflows. */
  readonly pm: PathManager;
  /** TCP Fast Open: the server's keys and the client's per-destination cookie cache. */
  readonly fastOpenKeys: FastOpenKeys;
  readonly fastOpenCache = new FastOpenCache();
  /** Active MPTCP blackhole detection: one state per network namespace, as Linux keeps it. */
  private readonly mpcBlackhole = new ActiveMptcpBlackhole();
  /** Called after every state change (packet in, timer, call): the socket layer re-checks blocked calls. */
  onChange: () => void = () => {};

  constructor(seed: number) {
    this.prng = new Prng(seed);
    this.pm = new PathManager(this);
    this.fastOpenKeys = new FastOpenKeys(this.sysctls, this.prng);
    this.clock.onAfterTimer = () => this.onChange();
  }

  configure(net: NetworkConfig): void {
    this.mtu = net.mtu;
    this.addresses.add(net.localIp);
  }

  /** Environment handed to every connection. */
  env(onEstablished: (c: TcpConnection) => void = () => {}): ConnEnv {
    return {
      clock: this.clock,
      sysctls: this.sysctls,
      prng: this.prng,
      mtu: this.mtu,
      send: (pkt) => this.emit(pkt),
      transmitted: (seg, state) => countSentOptions(this.mib, seg, state),
      closed: (c) => { if (this.conns.get(tupleKey(c.tuple)) === c) this.conns.delete(tupleKey(c.tuple)); },
      established: onEstablished,
    };
  }

  emit(pkt: IpPacket): void {
    const sp = { bytes: encodeIp(pkt), time: this.clock.now() };
    this.sent.push(sp);
    this.trace.push(sp);
  }

  mptcpSettings(): MptcpSettings {
    return {
      checksumEnabled: this.sysctls.int('net.mptcp.checksum_enabled') > 0,
      allowJoinInitial: this.sysctls.int('net.mptcp.allow_join_initial_addr_port') > 0,
      synRetransBeforeFallback: this.sysctls.int('net.mptcp.syn_retrans_before_tcp_fallback'),
      version: this.v0Mode ? 0 : 1,
      activeDisabled: this.mpcBlackhole.shouldDisable(this.clock.now(), this.blackholeTimeout),
      // The sysctl is read when the blackhole is detected, as ctrl.c mptcp_active_disable does.
      onMpcBlackhole: () => this.mpcBlackhole.disable(this.clock.now(), this.blackholeTimeout),
      mib: this.mib,
      userspacePm: this.sysctls.int('net.mptcp.pm_type') === 1,
      userspaceDaemon: () => this.pm.events !== undefined,
    };
  }

  private get blackholeTimeout(): number {
    return this.sysctls.int('net.mptcp.blackhole_timeout');
  }

  /** `net.mptcp.mptcp_version=0`: the stack speaks RFC 6824 (README, "MPTCP v0"). */
  get v0Mode(): boolean {
    return this.sysctls.int('net.mptcp.mptcp_version') === 0;
  }

  newMptcp(role: 'client' | 'server'): MptcpConnection {
    return new MptcpConnection(role, generateKey(this.prng), this.mptcpSettings(), () => this.clock.now());
  }

  register(c: TcpConnection): void {
    this.conns.set(tupleKey(c.tuple), c);
  }

  portInUse(port: number): boolean {
    if (this.listeners.some((l) => l.port === port)) return true;
    for (const c of this.conns.values()) if (c.tuple.localPort === port) return true;
    return false;
  }

  ephemeralPort(): number {
    const [lo, hi] = this.sysctls.ints('net.ipv4.ip_local_port_range');
    for (let i = 0; i < 1000; i++) {
      const p = this.prng.range(lo ?? 32768, hi ?? 60999);
      if (!this.portInUse(p)) return p;
    }
    return lo ?? 32768;
  }

  /** The IP ECN field of the packet being processed (tcp/ecn.ts). */
  private rxIpEcn = 0;

  /** A packet arrives on the test interface. */
  input(bytes: Uint8Array): void {
    const pkt = decodeIp(bytes);
    this.rxIpEcn = (pkt.ip.version === 4 ? pkt.ip.tos : pkt.ip.trafficClass) & 3;
    const seg = pkt.tcp;
    if (pkt.other && !pkt.raw) { this.icmpInput(pkt.ip.version, pkt.other.protocol, pkt.other.bytes); this.onChange(); return; }
    if (!seg || pkt.raw) return;
    if (pkt.errors.some((e) => /checksum/i.test(e))) return; // the NIC/IP layer drops these
    const family = pkt.ip.version;
    const tuple: FourTuple = { family, localIp: pkt.ip.dst, localPort: seg.dstPort, remoteIp: pkt.ip.src, remotePort: seg.srcPort };
    // No socket here has TCP_MD5SIG keys: Linux drops every segment carrying the option.
    if (seg.options.some((o) => o.kind === 'md5')) return;
    const conn = this.conns.get(tupleKey(tuple));
    if (conn && this.acceptQueueOverflow(conn, tuple, seg)) { this.onChange(); return; }
    if (conn) { this.inputTo = conn; try { conn.input(seg, this.rxIpEcn); } finally { this.inputTo = undefined; } this.pm.work(); this.onChange(); return; }
    const l = this.findListener(tuple);
    if (l) { this.listenerInput(l, tuple, seg); this.onChange(); return; }
    if (this.endpointPortJoin(tuple, seg)) { this.onChange(); return; }
    this.resetFor(tuple, seg);
  }

  /**
   * ICMP "fragmentation needed" (v4 type 3 code 4) / "packet too big" (v6 type 2) quoting one of
   * our segments: that connection's path MTU drops (path MTU discovery).
   */
  private icmpInput(version: 4 | 6, protocol: number, b: Uint8Array): void {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let mtu: number;
    let inner: number;
    let tcpAt: number;
    if (version === 4 && protocol === 1 && b.length >= 8 + 20 + 4 && b[0] === 3 && b[1] === 4) {
      mtu = v.getUint16(6);
      inner = 8;
      tcpAt = inner + (b[inner]! & 15) * 4;
    } else if (version === 6 && protocol === 58 && b.length >= 8 + 40 + 4 && b[0] === 2) {
      mtu = v.getUint32(4);
      inner = 8;
      tcpAt = inner + 40;
    } else return;
    if (b.length < tcpAt + 4) return;
    const decoded = decodeIp(b.subarray(inner));
    const tuple: FourTuple = { family: version, localIp: decoded.ip.src, localPort: v.getUint16(tcpAt), remoteIp: decoded.ip.dst, remotePort: v.getUint16(tcpAt + 2) };
    this.conns.get(tupleKey(tuple))?.onPathMtu(mtu);
  }

  private findListener(t: FourTuple): Listener | undefined {
    return this.listeners.find((l) => l.port === t.localPort && (l.address === undefined || l.address === t.localIp) && (l.family === t.family || l.family === 6));
  }

  private listenerInput(l: Listener, tuple: FourTuple, seg: TcpSegment): void {
    const f = seg.flags;
    if (f & TcpFlag.RST) return;
    if (f & TcpFlag.ACK) { this.resetFor(tuple, seg); return; }
    if (!(f & TcpFlag.SYN)) return;
    const admission = synAdmission(l, this.sysctls.int('net.ipv4.tcp_syncookies'));
    if (admission === 'drop') return;
    let mptcp: MptcpConnection | undefined;
    const join = l.mptcp ? seg.options.find((o) => o.kind === 'mptcp' && o.subtype === 'mp_join') : undefined;
    const capable = seg.options.some((o) => o.kind === 'mptcp' && o.subtype === 'mp_capable');
    if (join && join.kind === 'mptcp' && join.subtype === 'mp_join' && !capable) {
      if (!this.pm.acceptJoin(l, tuple, seg, join)) {
        // No connection has this token: RST+ACK with MP_TCPRST reason 1, no SYN/ACK (§5.2); a v0
        // stack has no MP_TCPRST.
        this.resetFor(tuple, seg, this.v0Mode ? [] : [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason: 1 }]);
      }
      return;
    }
    if (l.mptcp) {
      mptcp = this.newMptcp('server');
      const opts = seg.options.filter((o) => o.kind === 'mptcp');
      const syn = validSynCapable(opts as never, this.v0Mode);
      // subflow.c subflow_check_req: every well-formed MP_CAPABLE SYN an MPTCP listener gets.
      if (syn) this.mib.inc('MPTcpExtMPCapableSYNRX');
      const cap = this.sysctls.int('net.mptcp.enabled') > 0 ? syn : undefined;
      if (cap) mptcp.acceptSyn(cap);
      else mptcp.fallBack();
    }
    // A SYN answered with a cookie gets no Fast Open (tcp_conn_request: !want_cookie).
    const fastOpen = admission === 'cookie' ? undefined : this.serverFastOpen(l, tuple, seg);
    // The child is a clone of the listener, with an accept queue of its own (TCP_FASTOPEN reads 0).
    const settings = { ...l.settings, keepalive: { ...l.settings.keepalive }, ...(l.settings.fastOpen ? { fastOpen: { ...l.settings.fastOpen, qlen: 0 } } : {}) };
    const child = new TcpConnection(this.env((c) => this.onChildEstablished(l, c)), tuple, settings, mptcp);
    l.pending.add(child);
    const env = child.env;
    const closed = env.closed;
    env.closed = (c) => { closed(c); l.pending.delete(c); l.cookies.delete(c); };
    if (admission === 'cookie') {
      l.cookies.add(child);
      // A cookie SYN/ACK is stateless: Linux never retransmits it, it only answers a SYN again.
      // The child stands in for the cookie, so its own timer-driven SYN/ACKs stay unsent.
      const send = env.send;
      env.send = (pkt) => { if (child.state !== 'SYN_RECV' || this.inputTo === child) send(pkt); };
    }
    this.register(child);
    this.inputTo = child;
    try { child.acceptSyn(seg, fastOpen, this.rxIpEcn); } finally { this.inputTo = undefined; }
    // A Fast Open child is in the accept queue from its SYN on.
    if (fastOpen?.child) this.onChildEstablished(l, child);
  }

  /** tcp_try_fastopen for a SYN to a TCP listener. */
  private serverFastOpen(l: Listener, tuple: FourTuple, seg: TcpSegment): ServerVerdict {
    let qlen = 0;
    for (const c of this.conns.values()) if (c.passiveFastOpen && c.state === 'SYN_RECV' && c.tuple.localPort === l.port) qlen++;
    return serverFastOpen({
      sysctl: this.sysctls.int('net.ipv4.tcp_fastopen'),
      maxQlen: l.settings.fastOpen?.qlen ?? 0,
      qlen,
      noCookie: l.settings.fastOpen?.noCookie ?? false,
      keys: () => this.fastOpenKeys.keys(l.settings.fastOpen?.keys),
      src: tuple.remoteIp,
      dst: tuple.localIp,
      synData: seg.payload.length > 0,
      option: readFastOpen(seg.options),
    });
  }

  /** A join SYN to a `signal` endpoint's own port (no socket listens there). */
  private endpointPortJoin(tuple: FourTuple, seg: TcpSegment): boolean {
    if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) return false;
    const join = seg.options.find((o) => o.kind === 'mptcp' && o.subtype === 'mp_join');
    return join !== undefined && join.kind === 'mptcp' && join.subtype === 'mp_join' && this.pm.acceptJoin(undefined, tuple, seg, join);
  }

  /** Into the accept queue once (a Fast Open child went there at its SYN). */
  private onChildEstablished(l: Listener, c: TcpConnection): void {
    l.cookies.delete(c);
    if (l.pending.delete(c)) l.queue.push(c);
  }

  /**
   * The third ACK of a handshake while the listener's accept queue is full (tcp_check_req's
   * listen_overflow): dropped, the request kept (its SYN/ACK timer runs on, a later ACK may
   * still get in); with net.ipv4.tcp_abort_on_overflow=1 a request socket's ACK is answered with
   * a RST and the request forgotten.
   */
  private acceptQueueOverflow(c: TcpConnection, tuple: FourTuple, seg: TcpSegment): boolean {
    if (c.state !== 'SYN_RECV' || c.passiveFastOpen) return false;
    if ((seg.flags & (TcpFlag.SYN | TcpFlag.RST | TcpFlag.ACK)) !== TcpFlag.ACK || seg.ack !== seqAdd(c.iss, 1)) return false;
    const l = this.listeners.find((x) => x.pending.has(c));
    if (!l || !acceptQueueFull(l)) return false;
    // A cookie's ACK is dropped either way: cookie_v4_check has no overflow reset (6.18).
    if (this.sysctls.int('net.ipv4.tcp_abort_on_overflow') > 0 && !l.cookies.has(c)) {
      this.resetFor(tuple, seg);
      c.becomeClosed();
    }
    return true;
  }

  /** RST for a segment that matches no socket (RFC 793 / tcp_v4_send_reset). */
  resetFor(t: FourTuple, seg: TcpSegment, options: TcpOption[] = []): void {
    if (seg.flags & TcpFlag.RST) return;
    const len = seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0);
    const rst: TcpSegment = (seg.flags & TcpFlag.ACK)
      ? { srcPort: t.localPort, dstPort: t.remotePort, seq: seg.ack, ack: 0, flags: TcpFlag.RST, window: 0, urgent: 0, options, payload: new Uint8Array(0) }
      : { srcPort: t.localPort, dstPort: t.remotePort, seq: 0, ack: seqAdd(seg.seq, len), flags: TcpFlag.RST | TcpFlag.ACK, window: 0, urgent: 0, options, payload: new Uint8Array(0) };
    this.emit(ipPacket(t, rst));
  }
}

/** sk_acceptq_is_full: more established connections than the backlog (backlog + 1 fit). */
export function acceptQueueFull(l: Listener): boolean {
  return l.queue.length > l.backlog;
}

/**
 * tcp_conn_request's verdict on a SYN to listener `l`: a request socket ('answer'), a SYN cookie
 * when the request queue is full or net.ipv4.tcp_syncookies=2 ('cookie'; with tcp_syncookies=0 a
 * full request queue drops), and a drop whenever the accept queue is full. The request queue is
 * full past `backlog` requests (inet_csk_reqsk_queue_is_full: qlen > backlog; on 6.18 listen(fd, 1)
 * answers two SYNs with retransmitted SYN/ACKs and the third with a cookie, seen on the wire).
 */
export function synAdmission(l: Listener, syncookies: number): 'answer' | 'cookie' | 'drop' {
  const requests = l.pending.size - l.cookies.size;
  let verdict: 'answer' | 'cookie' | 'drop' = 'answer';
  if (syncookies === 2 || requests > l.backlog) verdict = syncookies > 0 ? 'cookie' : 'drop';
  return acceptQueueFull(l) ? 'drop' : verdict;
}
