// The system-call surface of the bundled stack, with Linux's return values and errno names.
// Calls that would block return a promise that settles when the condition holds; every event
// (packet in, timer fired, another call) re-checks the blocked calls.
import type { SockAddr, SyscallRequest, SyscallResult } from '../targets/target.js';
import { decodeSockAddr } from '../sys/structs.js';
import * as K from './constants.js';
import { ANY4, ANY6, Host } from './host.js';
import { clientFastOpen, TFO_CLIENT_ENABLE, TFO_SERVER_ENABLE, TFO_SERVER_WO_SOCKOPT1, type ActiveFastOpen } from './fastopen.js';
import { FileCalls, type AnyFile } from './file-calls.js';
import { concat } from './files.js';
import { Epoll, Socket } from './socket.js';
import { getsockopt, recvControl, setsockopt } from './sockopt.js';
import { Subflow as TcpConnection } from './mptcp/subflow-socket.js';

type Check = () => SyscallResult | undefined;

interface Waiter {
  check: Check;
  resolve: (r: SyscallResult) => void;
}

const AF_UNSPEC = 0;
const MSG_CTRUNC = 8;
const fail = (errno: string): SyscallResult => ({ ret: -1, errno });

/**
 * recvmsg: the control messages `control` gives once the read is done, added to its data, and
 * msg_flags (0, or MSG_CTRUNC when the control buffer was too small, as Linux's put_cmsg sets it).
 */
function withControl(r: SyscallResult | Promise<SyscallResult>, control: () => { control?: Uint8Array; truncated: boolean }): SyscallResult | Promise<SyscallResult> {
  const add = (x: SyscallResult): SyscallResult => {
    if (x.ret < 0) return x;
    const ctl = control(); // an EOF read (0) carries them too
    const out = x.out?.kind === 'data' ? x.out : { kind: 'data' as const, data: new Uint8Array(0) };
    return { ...x, out: { ...out, flags: ctl.truncated ? MSG_CTRUNC : 0, ...(ctl.control ? { control: ctl.control } : {}) } };
  };
  return r instanceof Promise ? r.then(add) : add(r);
}
const ok = (ret = 0): SyscallResult => ({ ret });

export class Stack {
  readonly host: Host;
  private files = new Map<number, AnyFile>();
  private waiters: Waiter[] = [];
  /** pipe, open, splice, sendfile, and read/write on pipes and files. */
  private readonly fileCalls = new FileCalls({
    file: (fd) => this.files.get(fd),
    allocFd: (f) => this.allocFd(f),
    block: (check) => this.block(check),
    send: (s, data, flags) => this.send(s, data, flags),
    recv: (s, len, flags) => this.recv(s, len, flags),
  });

  constructor(seed = 1) {
    this.host = new Host(seed);
    this.host.onChange = () => this.kick();
  }

  /** The path manager (`ip mptcp endpoint|limits`). */
  get pm() {
    return this.host.pm;
  }

  get clock() {
    return this.host.clock;
  }

  /** Re-checks blocked calls; settles those whose condition now holds. */
  kick(): void {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      const r = w.check();
      if (r) { this.waiters.splice(i, 1); i--; w.resolve(r); }
    }
  }

  /** Runs `check` now; if it has no answer yet, blocks until it has. */
  private block(check: Check): Promise<SyscallResult> {
    const r = check();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  get blockedCalls(): number {
    return this.waiters.length;
  }

  private allocFd(entry: AnyFile): number {
    let fd = 3;
    while (this.files.has(fd)) fd++;
    this.files.set(fd, entry);
    return fd;
  }

  /** The connection of socket `fd`, if it has one (a path-manager command names it so). */
  connectionOf(fd: number): Socket['conn'] {
    const e = this.files.get(fd);
    return e?.kind === 'socket' ? e.conn : undefined;
  }

  private sock(fd: number): Socket | SyscallResult {
    const e = this.files.get(fd);
    if (!e) return fail('EBADF');
    if (e.kind !== 'socket') return fail('ENOTSOCK');
    return e;
  }

  async syscall(req: SyscallRequest): Promise<SyscallResult> {
    const r = await this.dispatch(req);
    this.kick();
    return r;
  }

  private dispatch(req: SyscallRequest): SyscallResult | Promise<SyscallResult> {
    const fileCall = this.fileCalls.handle(req);
    if (fileCall) return fileCall;
    switch (req.name) {
      case 'socket': return this.socket(req.domain, req.type, req.protocol);
      case 'bind': return this.withSock(req.fd, (s) => this.bind(s, req.addr));
      case 'listen': return this.withSock(req.fd, (s) => this.listen(s, req.backlog));
      case 'accept':
      case 'accept4': return this.withSock(req.fd, (s) => this.accept(s, req.name === 'accept4' ? req.flags : 0, req.wantAddr));
      case 'connect': return this.withSock(req.fd, (s) => this.connect(s, req.addr));
      case 'read':
      case 'recv':
      case 'recvfrom': return this.withSock(req.fd, (s) => this.recv(s, req.len, req.name === 'read' ? 0 : req.flags));
      case 'readv': return this.withSock(req.fd, (s) => this.recv(s, req.iov.reduce((a, b) => a + b, 0), 0));
      case 'recvmsg': return this.withSock(req.fd, (s) => withControl(this.recv(s, req.iov.reduce((a, b) => a + b, 0), req.flags), () => recvControl(s, req.controlLen)));
      case 'write':
      case 'send': return this.withSock(req.fd, (s) => this.send(s, req.data, req.name === 'write' ? 0 : req.flags, undefined, req.nullData));
      case 'sendto': return this.withSock(req.fd, (s) => this.send(s, req.data, req.flags, req.addr, req.nullData));
      case 'writev': return this.withSock(req.fd, (s) => this.send(s, concat(req.iov), 0));
      case 'sendmsg': return this.withSock(req.fd, (s) => this.send(s, concat(req.iov), req.flags));
      case 'close': return this.close(req.fd);
      case 'shutdown': return this.withSock(req.fd, (s) => this.shutdown(s, req.how));
      case 'setsockopt': return this.withSock(req.fd, (s) => setsockopt(this.host, s, req.level, req.optname, req.value, req.optlen));
      case 'getsockopt': return this.withSock(req.fd, (s) => getsockopt(this.host, this.pm, s, req));
      case 'fcntl': return this.fcntl(req.fd, req.cmd, req.arg);
      case 'ioctl': return this.withSock(req.fd, (s) => this.ioctl(s, req.request));
      case 'poll': return this.poll(req.fds, req.timeoutMs);
      case 'epoll_create':
      case 'epoll_create1': return req.name === 'epoll_create' && req.size <= 0 ? fail('EINVAL') : ok(this.allocFd(new Epoll()));
      case 'epoll_ctl': return this.epollCtl(req.epfd, req.op, req.fd, req.events, req.data);
      case 'epoll_wait': return this.epollWait(req.epfd, req.maxEvents, req.timeoutMs);
      default: return fail('ENOSYS');
    }
  }

  private withSock(fd: number, f: (s: Socket) => SyscallResult | Promise<SyscallResult>): SyscallResult | Promise<SyscallResult> {
    const s = this.sock(fd);
    return s instanceof Socket ? f(s) : s;
  }

  // ---- creation, addresses ------------------------------------------------------------------

  private socket(domain: number, type: number, protocol: number): SyscallResult {
    if (domain !== K.AF_INET && domain !== K.AF_INET6) return fail('EAFNOSUPPORT');
    const base = type & ~(K.SOCK_NONBLOCK | K.SOCK_CLOEXEC);
    if (base !== K.SOCK_STREAM) return fail('EPROTONOSUPPORT');
    if (protocol !== 0 && protocol !== K.IPPROTO_TCP && protocol !== K.IPPROTO_MPTCP) return fail('EPROTONOSUPPORT');
    const mptcp = protocol === K.IPPROTO_MPTCP;
    if (mptcp && this.host.sysctls.int('net.mptcp.enabled') === 0) return fail('ENOPROTOOPT');
    const s = this.host.sysctls;
    const sock = new Socket(domain === K.AF_INET ? 4 : 6, mptcp, (type & K.SOCK_NONBLOCK) !== 0, {
      rcvBuf: s.ints('net.ipv4.tcp_rmem')[1] ?? 131072,
      sndBuf: s.ints('net.ipv4.tcp_wmem')[1] ?? 16384,
      congestion: s.get('net.ipv4.tcp_congestion_control') ?? 'cubic',
      keepalive: { idle: s.int('net.ipv4.tcp_keepalive_time'), intvl: s.int('net.ipv4.tcp_keepalive_intvl'), cnt: s.int('net.ipv4.tcp_keepalive_probes') },
    });
    return ok(this.allocFd(sock));
  }

  private sockAddr(s: Socket, a: SockAddr | Uint8Array): SockAddr | SyscallResult {
    const addr = a instanceof Uint8Array ? decodeSockAddr(a) : a;
    if (!addr) return fail('EINVAL');
    if (s.family === 4 && addr.family !== 'inet') return fail('EAFNOSUPPORT');
    if (s.family === 6 && addr.family === 'inet') return fail('EINVAL');
    return addr;
  }

  private isLocal(address: string): boolean {
    return address === ANY4 || address === ANY6 || this.host.addresses.has(address) || this.host.addresses.has(address.replace(/^::ffff:/, ''));
  }

  private bind(s: Socket, a: SockAddr | Uint8Array): SyscallResult {
    const addr = this.sockAddr(s, a);
    if (!('address' in addr)) return addr;
    if (s.bound) return fail('EINVAL');
    if (!this.isLocal(addr.address)) return fail('EADDRNOTAVAIL');
    let port = addr.port;
    if (port === 0) port = this.host.ephemeralPort();
    else if (this.portConflict(s, port)) return fail('EADDRINUSE');
    s.bound = { address: addr.address, port };
    return ok();
  }

  /** Linux: two sockets may share a port only with SO_REUSEADDR on both and neither listening. */
  private portConflict(s: Socket, port: number): boolean {
    for (const e of this.files.values()) {
      if (e === s || e.kind !== 'socket' || !e.bound || e.bound.port !== port) continue;
      if (!(s.reuseAddr && e.reuseAddr && !e.listener)) return true;
    }
    return false;
  }

  /** Source address for a connection of `family` (an IPv4-mapped peer on an AF_INET6 socket is IPv4). */
  private localAddress(s: Socket, family: 4 | 6): string {
    const b = s.bound?.address;
    if (b && b !== ANY4 && b !== ANY6) return b.replace(/^::ffff:/, '');
    for (const a of this.host.addresses) if (a.includes(':') === (family === 6)) return a;
    return [...this.host.addresses][0] ?? (family === 4 ? '127.0.0.1' : '::1');
  }

  // ---- passive open -------------------------------------------------------------------------

  private listen(s: Socket, backlog: number): SyscallResult {
    if (s.conn) return fail('EINVAL');
    if (s.listener) { s.listener.backlog = this.listenBacklog(backlog); return ok(); }
    if (!s.bound) s.bound = { address: s.family === 4 ? ANY4 : ANY6, port: this.host.ephemeralPort() };
    // net.ipv4.tcp_fastopen 0x400: every listener does Fast Open, its queue as long as the backlog.
    const tfo = this.host.sysctls.int('net.ipv4.tcp_fastopen');
    if ((tfo & TFO_SERVER_WO_SOCKOPT1) && (tfo & TFO_SERVER_ENABLE) && !s.mptcp && !s.settings.fastOpen?.qlen) {
      (s.settings.fastOpen ??= {}).qlen = this.listenBacklog(backlog);
    }
    const any = s.bound.address === ANY4 || s.bound.address === ANY6;
    s.listener = {
      family: s.family,
      address: any ? undefined : s.bound.address.replace(/^::ffff:/, ''),
      port: s.bound.port,
      backlog: this.listenBacklog(backlog),
      mptcp: s.mptcp,
      settings: s.settings,
      queue: [],
      pending: new Set(),
      cookies: new Set(),
    };
    this.host.listeners.push(s.listener);
    return ok();
  }

  /** __sys_listen: the backlog, taken as unsigned, is capped at net.core.somaxconn (so -1 gives somaxconn). */
  private listenBacklog(backlog: number): number {
    const max = this.host.sysctls.int('net.core.somaxconn');
    return backlog < 0 || backlog > max ? max : backlog;
  }

  private accept(s: Socket, flags: number, wantAddr: boolean): SyscallResult | Promise<SyscallResult> {
    const l = s.listener;
    if (!l) return fail('EINVAL');
    return this.block(() => {
      if (!this.files.has(this.fdOf(s))) return fail('EBADF');
      const c = l.queue.shift();
      if (!c) return s.nonblock ? fail('EAGAIN') : undefined;
      const child = new Socket(s.family, s.mptcp, (flags & K.SOCK_NONBLOCK) !== 0, { rcvBuf: c.settings.rcvBuf, sndBuf: c.settings.sndBuf, congestion: s.congestion, keepalive: c.settings.keepalive });
      child.settings = c.settings; // one object: options set on the accepted socket reach its connection
      // sk_clone copies sk_reuse: a listener bound again to the port with SO_REUSEADDR meets the children's bind.
      child.reuseAddr = s.reuseAddr;
      child.reusePort = s.reusePort;
      child.bound = { address: c.tuple.localIp, port: c.tuple.localPort };
      child.conn = c;
      // protocol.c mptcp_stream_accept counts a connection still MPTCP as accept() hands it over
      // (a Fast Open child, accepted at its SYN, too).
      if (c.mptcp && !c.mptcp.fallback) this.host.mib.inc('MPTcpExtMPCapableACKRX');
      const fd = this.allocFd(child);
      const family = c.tuple.family === 4 ? (s.family === 6 ? 'inet6' : 'inet') : 'inet6';
      const address = c.tuple.family === 4 && s.family === 6 ? `::ffff:${c.tuple.remoteIp}` : c.tuple.remoteIp;
      return wantAddr ? { ret: fd, out: { kind: 'addr', addr: { family, address, port: c.tuple.remotePort } } } : ok(fd);
    });
  }

  private fdOf(s: AnyFile): number {
    for (const [fd, e] of this.files) if (e === s) return fd;
    return -1;
  }

  // ---- active open --------------------------------------------------------------------------

  private connect(s: Socket, a: SockAddr | Uint8Array): SyscallResult | Promise<SyscallResult> {
    if (s.listener) return fail('EISCONN');
    const c0 = s.conn;
    if (c0) {
      if (c0.deferred) return fail('EISCONN'); // __inet_stream_connect: SS_CONNECTING with DEFER_CONNECT
      if (s.connecting) {
        if (c0.state === 'SYN_SENT' || c0.state === 'SYN_RECV') return s.nonblock ? fail('EALREADY') : this.waitConnected(s);
        s.connecting = false;
        const e = c0.takeError();
        return e ? fail(e) : ok();
      }
      return fail(c0.state === 'CLOSED' ? 'EISCONN' : 'EISCONN');
    }
    const c = this.newConnection(s, a);
    if (!(c instanceof TcpConnection)) return c;
    const fo = s.settings.fastOpen?.connect ? this.fastOpenPlan(s, c) : undefined;
    // TCP_FASTOPEN_CONNECT with a cookie: the SYN waits for the first write, connect() says 0.
    if (fo?.withData) { c.connect(fo, undefined, true); return ok(); }
    c.connect(fo);
    if (s.nonblock) return fail('EINPROGRESS');
    return this.waitConnected(s);
  }

  /** The connection an active open makes (registered, the socket connecting), or the error. */
  private newConnection(s: Socket, a: SockAddr | Uint8Array): TcpConnection | SyscallResult {
    const addr = this.sockAddr(s, a);
    if (!('address' in addr)) return addr;
    const remote = addr.address.replace(/^::ffff:/, '');
    const family: 4 | 6 = remote.includes(':') ? 6 : 4;
    if (!s.bound) s.bound = { address: s.family === 4 ? ANY4 : ANY6, port: this.host.ephemeralPort() };
    const tuple = { family, localIp: this.localAddress(s, family), localPort: s.bound.port, remoteIp: remote, remotePort: addr.port };
    const mptcp = s.mptcp ? this.host.newMptcp('client') : undefined;
    const c = new TcpConnection(this.host.env(), tuple, s.settings, mptcp);
    s.conn = c;
    s.connecting = true;
    this.host.register(c);
    return c;
  }

  private fastOpenPlan(s: Socket, c: TcpConnection): ActiveFastOpen {
    const sysctl = this.host.sysctls.int('net.ipv4.tcp_fastopen');
    return clientFastOpen(this.host.fastOpenCache, sysctl, s.settings.fastOpen?.noCookie ?? false, c.tuple.localIp, c.tuple.remoteIp);
  }

  /**
   * tcp_sendmsg_fastopen: sendto(MSG_FASTOPEN) on an unconnected socket, or the first write after
   * a deferred connect, sends the SYN (with what data it may carry). Returns the bytes the SYN took.
   */
  private fastOpenSend(s: Socket, data: Uint8Array, addr: SockAddr | Uint8Array | undefined): number | SyscallResult {
    if (!(this.host.sysctls.int('net.ipv4.tcp_fastopen') & TFO_CLIENT_ENABLE)) return fail('EOPNOTSUPP');
    // tcp_sendmsg_fastopen: an AF_UNSPEC address is refused before anything else.
    if (addr instanceof Uint8Array && addr.byteLength >= 2 && (addr[0]! | (addr[1]! << 8)) === AF_UNSPEC) return fail('EOPNOTSUPP');
    const deferred = s.conn?.deferred ? s.conn : undefined;
    if (deferred) return deferred.sendFirstSyn(data);
    if (!addr) return fail('EINVAL'); // tcp_v4_connect without an address
    const c = this.newConnection(s, addr);
    if (!(c instanceof TcpConnection)) return c;
    return c.connect(this.fastOpenPlan(s, c), data);
  }

  private waitConnected(s: Socket): Promise<SyscallResult> {
    return this.block(() => {
      const c = s.conn!;
      if (c.state === 'SYN_SENT' || c.state === 'SYN_RECV') return undefined;
      s.connecting = false;
      const e = c.takeError();
      return e ? fail(e) : ok();
    });
  }

  // ---- data ---------------------------------------------------------------------------------

  private recv(s: Socket, len: number, flags: number): SyscallResult | Promise<SyscallResult> {
    if (s.listener || !s.conn) return fail('ENOTCONN');
    const c = s.conn;
    const nonblock = s.nonblock || (flags & K.MSG_DONTWAIT) !== 0;
    const peek = (flags & K.MSG_PEEK) !== 0;
    const waitAll = (flags & K.MSG_WAITALL) !== 0 && !nonblock;
    return this.block(() => {
      if (len === 0) return ok(0);
      if (c.rcvQueued > 0 && (!waitAll || c.rcvQueued >= len || c.rcvEof || c.state === 'CLOSED')) {
        const data = c.read(len, peek);
        return { ret: data.length, out: { kind: 'data', data } };
      }
      const e = c.takeError();
      if (e) return fail(e === 'EPIPE' ? 'ECONNRESET' : e);
      if (c.subflowLost && !c.rcvEof) return nonblock ? fail('EAGAIN') : undefined;
      if (c.rcvEof || c.shutRd || (c.state === 'CLOSED' && !s.connecting)) return ok(0);
      if (c.state === 'SYN_SENT' || c.state === 'SYN_RECV') return nonblock ? fail('EAGAIN') : undefined;
      if (c.state === 'CLOSED') return fail('ENOTCONN');
      return nonblock ? fail('EAGAIN') : undefined;
    });
  }

  /**
   * `nullData`: the buffer is a NULL pointer. Linux finds out when it copies the first byte
   * (tcp_sendmsg_locked), after the socket's state was checked: EFAULT unless nothing is copied.
   */
  private send(s: Socket, data: Uint8Array, flags: number, addr?: SockAddr | Uint8Array, nullData = false): SyscallResult | Promise<SyscallResult> {
    if (s.listener) return fail('EPIPE');
    const nonblock = s.nonblock || (flags & K.MSG_DONTWAIT) !== 0;
    let written = 0;
    // MSG_FASTOPEN opens an unconnected socket (on a connected one it changes nothing, as 6.18).
    if (((flags & K.MSG_FASTOPEN) && !s.conn) || s.conn?.deferred) {
      const taken = this.fastOpenSend(s, data, addr);
      if (typeof taken !== 'number') return taken;
      // Non-blocking: what the SYN carried, or EINPROGRESS; blocking: the rest once connected.
      if (nonblock) return taken > 0 ? ok(taken) : fail('EINPROGRESS');
      written = taken;
    }
    const c = s.conn;
    if (!c) return fail('EPIPE');
    const fastOpenChild = c.passiveFastOpen && c.state === 'SYN_RECV';
    return this.block(() => {
      const e = c.takeError();
      if (e) return written > 0 ? ok(written) : fail(e === 'ECONNREFUSED' || e === 'ETIMEDOUT' ? e : e === 'EPIPE' ? 'EPIPE' : e);
      if ((c.state === 'SYN_SENT' || c.state === 'SYN_RECV') && !fastOpenChild) return nonblock ? fail('EAGAIN') : undefined;
      if (c.shutWr || (c.state !== 'ESTABLISHED' && c.state !== 'CLOSE_WAIT' && !fastOpenChild)) return written > 0 ? ok(written) : fail('EPIPE');
      if (nullData && data.length > written) return written > 0 ? ok(written) : fail('EFAULT');
      written += c.write(data.subarray(written));
      if (written === data.length) return ok(written);
      if (nonblock) return written > 0 ? ok(written) : fail('EAGAIN');
      return undefined;
    });
  }

  // ---- teardown -----------------------------------------------------------------------------

  private close(fd: number): SyscallResult {
    const e = this.files.get(fd);
    if (!e) return fail('EBADF');
    this.files.delete(fd);
    for (const x of this.files.values()) if (x.kind === 'epoll') x.interest.delete(fd);
    if (e.kind === 'epoll') return ok();
    if (e.kind === 'pipe' || e.kind === 'file') { e.close(); return ok(); }
    if (e.listener) {
      const l = e.listener;
      this.host.listeners.splice(this.host.listeners.indexOf(l), 1);
      for (const c of [...l.queue, ...l.pending]) c.close(true);
      l.queue.length = 0;
      return ok();
    }
    e.conn?.close(e.linger.onoff !== 0 && e.linger.linger === 0);
    return ok();
  }

  /** inet_shutdown(): ENOTCONN on a closed socket (also one whose connection is in TIME_WAIT). */
  private shutdown(s: Socket, how: number): SyscallResult {
    if (how < K.SHUT_RD || how > K.SHUT_RDWR) return fail('EINVAL');
    const l = s.listener;
    if (l) {
      if (how !== K.SHUT_WR) {
        // Shutting down the read side of a listener disconnects it: it stops listening.
        this.host.listeners.splice(this.host.listeners.indexOf(l), 1);
        for (const c of l.queue) c.forgetByListener();
        for (const c of l.pending) c.close(true);
        s.listener = undefined;
      }
      return ok();
    }
    const c = s.conn;
    if (!c || c.state === 'CLOSED' || c.state === 'TIME_WAIT') return fail('ENOTCONN');
    if (c.state === 'SYN_SENT') { c.becomeClosed(); s.connecting = false; return ok(); }
    if (how === K.SHUT_RD || how === K.SHUT_RDWR) c.shutRd = true;
    if (how === K.SHUT_WR || how === K.SHUT_RDWR) c.shutdownWrite();
    return ok();
  }

  // ---- control ------------------------------------------------------------------------------

  private fcntl(fd: number, cmd: number, arg: number | undefined): SyscallResult {
    const e = this.files.get(fd);
    if (!e) return fail('EBADF');
    if (e.kind === 'pipe' || e.kind === 'file') {
      const access = e.kind === 'pipe' && e.end === 'write' ? 1 : 0; // O_WRONLY / O_RDONLY
      if (cmd === K.F_GETFL) return ok(access | (e.nonblock ? K.O_NONBLOCK : 0));
      if (cmd === K.F_SETFL) { e.nonblock = ((arg ?? 0) & K.O_NONBLOCK) !== 0; return ok(); }
      return fail('EINVAL');
    }
    if (e.kind !== 'socket') return cmd === K.F_GETFL ? ok(K.O_RDWR) : cmd === K.F_SETFL ? ok() : fail('EINVAL');
    if (cmd === K.F_GETFL) return ok(K.O_RDWR | (e.nonblock ? K.O_NONBLOCK : 0));
    if (cmd === K.F_SETFL) { e.nonblock = ((arg ?? 0) & K.O_NONBLOCK) !== 0; return ok(); }
    return fail('EINVAL');
  }

  private ioctl(s: Socket, request: number): SyscallResult {
    const c = s.conn;
    const int = (v: number): SyscallResult => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      return { ret: 0, out: { kind: 'opt', value: b, optlen: 4 } };
    };
    if (request === K.FIONREAD) return s.listener ? fail('EINVAL') : int(c?.rcvQueued ?? 0);
    if (request === K.SIOCOUTQ) return s.listener ? fail('EINVAL') : int(c?.unackedBytes ?? 0);
    if (request === K.SIOCOUTQNSD) return s.listener ? fail('EINVAL') : int(c?.notSentBytes ?? 0);
    return fail('ENOTTY');
  }

  // ---- readiness ----------------------------------------------------------------------------

  private revents(fd: number, events: number): number {
    const e = this.files.get(fd);
    if (!e) return K.POLLNVAL;
    if (e.kind === 'pipe' || e.kind === 'file') return e.readiness() & (events | K.POLLERR | K.POLLHUP);
    if (e.kind !== 'socket') return 0;
    return e.readiness() & (events | K.POLLERR | K.POLLHUP);
  }

  private poll(fds: Array<{ fd: number; events: number }>, timeoutMs: number): SyscallResult | Promise<SyscallResult> {
    let timedOut = timeoutMs === 0;
    if (timeoutMs > 0) {
      const t = this.clock.schedule(this.clock.now() + timeoutMs * 1000, () => { timedOut = true; });
      void t;
    }
    return this.block(() => {
      const revents = fds.map((p) => (p.fd < 0 ? 0 : this.revents(p.fd, p.events)));
      const n = revents.filter((r) => r !== 0).length;
      if (n > 0 || timedOut) return { ret: n, out: { kind: 'poll', revents } };
      return undefined;
    });
  }

  private epollCtl(epfd: number, op: number, fd: number, events: number, data: bigint): SyscallResult {
    const ep = this.files.get(epfd);
    if (!ep || !this.files.has(fd)) return fail('EBADF');
    if (ep.kind !== 'epoll' || epfd === fd) return fail('EINVAL');
    const cur = ep.interest.get(fd);
    if (op === K.EPOLL_CTL_ADD) {
      if (cur) return fail('EEXIST');
      ep.interest.set(fd, { events, data, lastMask: 0, disabled: false });
      return ok();
    }
    if (op === K.EPOLL_CTL_MOD) {
      if (!cur) return fail('ENOENT');
      ep.interest.set(fd, { events, data, lastMask: 0, disabled: false });
      return ok();
    }
    if (op === K.EPOLL_CTL_DEL) {
      if (!cur) return fail('ENOENT');
      ep.interest.delete(fd);
      return ok();
    }
    return fail('EINVAL');
  }

  private epollWait(epfd: number, maxEvents: number, timeoutMs: number): SyscallResult | Promise<SyscallResult> {
    const ep = this.files.get(epfd);
    if (!ep) return fail('EBADF');
    if (ep.kind !== 'epoll' || maxEvents <= 0) return fail('EINVAL');
    let timedOut = timeoutMs === 0;
    if (timeoutMs > 0) this.clock.schedule(this.clock.now() + timeoutMs * 1000, () => { timedOut = true; });
    return this.block(() => {
      const events: Array<{ events: number; data: bigint }> = [];
      for (const [fd, it] of ep.interest) {
        if (events.length >= maxEvents || it.disabled) continue;
        const mask = this.revents(fd, it.events & 0xffff);
        const edge = (it.events & K.EPOLLET) !== 0;
        const report = edge ? mask & ~it.lastMask : mask;
        it.lastMask = mask;
        if (report === 0) continue;
        events.push({ events: edge ? mask : report, data: it.data });
        if (it.events & K.EPOLLONESHOT) it.disabled = true;
      }
      if (events.length > 0 || timedOut) return { ret: events.length, out: { kind: 'epoll', events } };
      return undefined;
    });
  }

  // ---- packets ------------------------------------------------------------------------------

  inject(bytes: Uint8Array): void {
    this.host.input(bytes);
    this.kick();
  }

  /** Next sent packet, advancing virtual time up to `deadline` while none is queued. */
  receive(deadline: number): { bytes: Uint8Array; time: number } | null {
    for (;;) {
      const p = this.host.sent.shift();
      if (p) return p;
      if (!this.clock.fireNext(deadline)) break;
    }
    this.clock.advanceTo(Math.max(deadline, this.clock.now()));
    return this.host.sent.shift() ?? null;
  }
}
