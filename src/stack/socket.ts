// A socket as the file-descriptor table sees it: family, protocol, flags and options, and what
// it has become (listener or connection). Readiness follows Linux's tcp_poll().
import type { Listener } from './host.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM } from './constants.js';
import type { SocketSettings } from './tcp/connection.js';
import type { Subflow as TcpConnection } from './mptcp/subflow-socket.js';

export class Socket {
  readonly kind = 'socket' as const;
  nonblock: boolean;
  bound: { address: string; port: number } | undefined;
  listener: Listener | undefined;
  conn: TcpConnection | undefined;
  /** connect() was called and not yet reported complete (sock->state SS_CONNECTING). */
  connecting = false;
  /** Error of a connection attempt that ended before it was reported. */
  error: string | undefined;
  reuseAddr = false;
  reusePort = false;
  linger: { onoff: number; linger: number } = { onoff: 0, linger: 0 };
  deferAccept = 0;
  notsentLowat = 0;
  settings: SocketSettings;
  /** TCP_CONGESTION: kept in the settings its connections read (tcp/congestion.ts). */
  get congestion(): string {
    return this.settings.congestion ?? 'cubic';
  }

  set congestion(name: string) {
    this.settings.congestion = name;
  }

  constructor(
    readonly family: 4 | 6,
    readonly mptcp: boolean,
    nonblock: boolean,
    defaults: { rcvBuf: number; sndBuf: number; congestion: string; keepalive: { idle: number; intvl: number; cnt: number } },
  ) {
    this.nonblock = nonblock;
    this.settings = { nodelay: false, cork: false, userMss: 0, rcvBuf: defaults.rcvBuf, sndBuf: defaults.sndBuf, keepalive: { on: false, ...defaults.keepalive }, congestion: defaults.congestion };
  }

  /** The peer's connection is gone or refused: sk_err pending on the socket or its connection. */
  pendingError(): string | undefined {
    return this.error ?? this.conn?.error;
  }

  takeError(): string | undefined {
    if (this.error) { const e = this.error; this.error = undefined; return e; }
    return this.conn?.takeError();
  }

  readiness(): number {
    if (this.listener) return this.listener.queue.length > 0 ? POLLIN | POLLRDNORM : 0;
    const c = this.conn;
    let mask = 0;
    const state = c?.state === 'TIME_WAIT' ? 'CLOSED' : c?.state ?? 'CLOSED';
    const rcvShut = c ? c.rcvEof || c.shutRd || state === 'CLOSED' : false;
    const sndShut = c ? c.shutWr || state === 'CLOSED' : false;
    if ((rcvShut && sndShut) || state === 'CLOSED') mask |= POLLHUP;
    if (rcvShut) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    // tcp_poll: a passive Fast Open child counts as connected; a deferred Fast Open connect is
    // writable so that the application's write sends the SYN with data.
    const fastOpenChild = c?.passiveFastOpen === true && state === 'SYN_RECV';
    if ((state !== 'SYN_SENT' && state !== 'SYN_RECV') || fastOpenChild) {
      // tcp_epollin_ready: SO_RCVLOWAT bytes, or fewer once the window left is no more than an MSS.
      if (c && c.rcvQueued > 0 && (c.rcvQueued >= (this.settings.rcvLowat ?? 1) || c.advertisedWindow() <= c.rcvMss)) mask |= POLLIN | POLLRDNORM;
      if (!sndShut) {
        const free = c ? c.sendBufferFree() : this.settings.sndBuf;
        const queued = c ? this.settings.sndBuf - free : 0;
        if (free >= queued / 2 && free > 0) mask |= POLLOUT | POLLWRNORM;
      } else mask |= POLLOUT | POLLWRNORM;
    } else if (state === 'SYN_SENT' && c?.deferred) mask |= POLLOUT | POLLWRNORM;
    if (this.pendingError()) mask |= POLLERR;
    return mask;
  }
}

export class Epoll {
  readonly kind = 'epoll' as const;
  readonly interest = new Map<number, { events: number; data: bigint; lastMask: number; disabled: boolean }>();
}

export type FileEntry = Socket | Epoll;
