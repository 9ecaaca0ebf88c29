// SOL_TCP options (do_tcp_setsockopt / do_tcp_getsockopt in net/ipv4/tcp.c), with Linux's
// values and errnos; the Fast Open ones are in fastopen-sockopt.ts.
import type { SyscallResult } from '../targets/target.js';
import * as K from './constants.js';
import type { Host } from './host.js';
import type { Socket } from './socket.js';
import { fail, intArg, intOpt, ok, opt } from './sockopt-value.js';
import { encodeTcpInfo } from './tcp/info.js';

export const TCP_USER_TIMEOUT = 18;
export const TCP_INQ = 36;
const TCP_CA_NAME_MAX = 16;

/** Sockets with TCP_INQ on: recvmsg adds a TCP_CM_INQ control message (sockopt.ts recvControl). */
export const inqSockets = new WeakSet<Socket>();

/**
 * TCP_QUICKACK 0 on a socket with no connection yet: pingpong mode, read back as 0
 * (inet_csk_enter_pingpong_mode; the connection made later does not start in it here).
 */
const pingpongSockets = new WeakSet<Socket>();

export function getTcpOption(host: Host, s: Socket, name: number, optlen: number): SyscallResult {
  const c = s.conn;
  const st = s.settings;
  switch (name) {
    case K.TCP_NODELAY: return intOpt(st.nodelay ? 1 : 0, optlen);
    case K.TCP_CORK: return intOpt(st.cork ? 1 : 0, optlen);
    case K.TCP_MAXSEG: return intOpt(c && c.state !== 'LISTEN' && c.state !== 'CLOSED' ? c.sndMss : st.userMss || 536, optlen);
    case K.TCP_KEEPIDLE: return intOpt(st.keepalive.idle, optlen);
    case K.TCP_KEEPINTVL: return intOpt(st.keepalive.intvl, optlen);
    case K.TCP_KEEPCNT: return intOpt(st.keepalive.cnt, optlen);
    case K.TCP_DEFER_ACCEPT: return intOpt(s.deferAccept, optlen);
    // !inet_csk_in_pingpong_mode(sk)
    case K.TCP_QUICKACK: return intOpt((c ? c.inPingpong : pingpongSockets.has(s)) ? 0 : 1, optlen);
    case K.TCP_NOTSENT_LOWAT: return intOpt(s.notsentLowat, optlen);
    case TCP_USER_TIMEOUT: return intOpt(st.userTimeoutMs ?? 0, optlen);
    case TCP_INQ: return intOpt(inqSockets.has(s) ? 1 : 0, optlen);
    case K.TCP_IS_MPTCP: return intOpt(s.mptcp && !(c?.mptcp?.fallback ?? false) ? 1 : 0, optlen);
    case K.TCP_INFO: return opt(encodeTcpInfo(c, host.clock.now(), host.mtu), optlen);
    case K.TCP_CONGESTION: {
      const b = new Uint8Array(TCP_CA_NAME_MAX);
      b.set(new TextEncoder().encode(s.congestion).subarray(0, TCP_CA_NAME_MAX));
      return opt(b, optlen);
    }
    default: return fail('ENOPROTOOPT');
  }
}

export function setTcpOption(host: Host, s: Socket, name: number, value: Uint8Array, optlen: number): SyscallResult {
  const st = s.settings;
  if (name === K.TCP_CONGESTION) {
    // The name up to its NUL, at most TCP_CA_NAME_MAX - 1 bytes; none at all is EINVAL.
    if (optlen < 1) return fail('EINVAL');
    const text = new TextDecoder().decode(value.subarray(0, Math.min(optlen, value.length, TCP_CA_NAME_MAX - 1))).replace(/\0.*$/s, '');
    const allowed = (host.sysctls.get('net.ipv4.tcp_available_congestion_control') ?? '').split(/\s+/);
    if (!allowed.includes(text)) return fail('ENOENT');
    s.congestion = text;
    return ok;
  }
  const v = intArg(value, optlen);
  if (v === undefined) return fail('EINVAL');
  switch (name) {
    case K.TCP_NODELAY: st.nodelay = v !== 0; if (v) s.conn?.output(); return ok;
    case K.TCP_CORK: st.cork = v !== 0; if (!v) s.conn?.output(); return ok;
    case K.TCP_MAXSEG:
      if (v !== 0 && (v < 88 || v > 32767)) return fail('EINVAL');
      st.userMss = v;
      return ok;
    case K.TCP_KEEPIDLE: if (v < 1) return fail('EINVAL'); st.keepalive.idle = v; s.conn?.armKeepalive(); return ok;
    case K.TCP_KEEPINTVL: if (v < 1) return fail('EINVAL'); st.keepalive.intvl = v; return ok;
    case K.TCP_KEEPCNT: if (v < 1) return fail('EINVAL'); st.keepalive.cnt = v; return ok;
    case K.TCP_DEFER_ACCEPT: s.deferAccept = v; return ok;
    case K.TCP_QUICKACK:
      if (s.conn) s.conn.setQuickAck(v);
      else if (v === 0) pingpongSockets.add(s);
      else pingpongSockets.delete(s);
      return ok;
    case K.TCP_NOTSENT_LOWAT: s.notsentLowat = v; return ok;
    case TCP_USER_TIMEOUT:
      // tcp_sock_set_user_timeout: milliseconds; the timers read it (tcp/timers.ts).
      if (v < 0) return fail('EINVAL');
      st.userTimeoutMs = v;
      return ok;
    case TCP_INQ:
      if (v < 0 || v > 1) return fail('EINVAL');
      if (v) inqSockets.add(s); else inqSockets.delete(s);
      return ok;
    default: return fail('ENOPROTOOPT');
  }
}
