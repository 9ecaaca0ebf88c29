// SOL_SOCKET options (sk_setsockopt / sk_getsockopt in net/core/sock.c, tcp_set_rcvlowat in
// net/ipv4/tcp.c), with Linux's values and errnos.
import type { SyscallResult } from '../targets/target.js';
import { decodeStruct, encodeInt, encodeStruct, LINGER_LAYOUT } from '../sys/structs.js';
import { errnoValue } from '../sys/symbols.js';
import * as K from './constants.js';
import type { Host } from './host.js';
import type { Socket } from './socket.js';
import { fail, intArg, intOpt, ok, opt } from './sockopt-value.js';

export const SO_RCVLOWAT = 18;
export const SO_TIMESTAMPING_OLD = 37;
export const SO_ZEROCOPY = 60;
export const SO_TIMESTAMPING_NEW = 65;

// SOF_TIMESTAMPING_* (include/uapi/linux/net_tstamp.h): 6.18 takes bits 0 to 18 (measured).
const SOF_TIMESTAMPING_MASK = 0x7ffff;
const SOF_TIMESTAMPING_OPT_ID = 0x80;
const SOF_TIMESTAMPING_OPT_TSONLY = 0x800;
const SOF_TIMESTAMPING_OPT_STATS = 0x1000;
const SOF_TIMESTAMPING_BIND_PHC = 0x8000;
const SOF_TIMESTAMPING_OPT_ID_TCP = 0x10000;
const INT_MAX = 0x7fffffff;

export function getSocketOption(s: Socket, name: number, optlen: number): SyscallResult {
  const st = s.settings;
  switch (name) {
    case K.SO_ERROR: return intOpt(errnoNumber(s.takeError()), optlen);
    case K.SO_REUSEADDR: return intOpt(s.reuseAddr ? 1 : 0, optlen);
    case K.SO_REUSEPORT: return intOpt(s.reusePort ? 1 : 0, optlen);
    case K.SO_KEEPALIVE: return intOpt(st.keepalive.on ? 1 : 0, optlen);
    case K.SO_SNDBUF: return intOpt(st.sndBuf, optlen);
    case K.SO_RCVBUF: return intOpt(st.rcvBuf, optlen);
    case K.SO_TYPE: return intOpt(K.SOCK_STREAM, optlen);
    case K.SO_ACCEPTCONN: return intOpt(s.listener ? 1 : 0, optlen);
    case K.SO_DOMAIN: return intOpt(s.family === 4 ? K.AF_INET : K.AF_INET6, optlen);
    case K.SO_PROTOCOL: return intOpt(s.mptcp ? K.IPPROTO_MPTCP : K.IPPROTO_TCP, optlen);
    case K.SO_LINGER: return opt(encodeStruct(LINGER_LAYOUT, { l_onoff: s.linger.onoff, l_linger: s.linger.linger }), optlen);
    case SO_ZEROCOPY: return intOpt(st.zerocopy ? 1 : 0, optlen);
    case SO_RCVLOWAT: return intOpt(st.rcvLowat ?? 1, optlen);
    case SO_TIMESTAMPING_OLD:
    case SO_TIMESTAMPING_NEW: {
      // struct so_timestamping { int flags; int bind_phc; } (bind_phc is never set here).
      const b = new Uint8Array(8);
      b.set(encodeInt(st.tsFlags ?? 0));
      return opt(b, optlen);
    }
    default: return fail('ENOPROTOOPT');
  }
}

export function setSocketOption(host: Host, s: Socket, name: number, value: Uint8Array, optlen: number): SyscallResult {
  const st = s.settings;
  if (name === K.SO_LINGER) {
    if (optlen < 8) return fail('EINVAL');
    const l = decodeStruct(LINGER_LAYOUT, value);
    s.linger = { onoff: Number(l.l_onoff ?? 0), linger: Number(l.l_linger ?? 0) };
    return ok;
  }
  const v = intArg(value, optlen);
  if (v === undefined) return fail('EINVAL');
  switch (name) {
    case K.SO_REUSEADDR: s.reuseAddr = v !== 0; return ok;
    case K.SO_REUSEPORT: s.reusePort = v !== 0; return ok;
    case K.SO_KEEPALIVE: st.keepalive.on = v !== 0; s.conn?.armKeepalive(); return ok;
    case K.SO_SNDBUF: st.sndBuf = Math.max(4608, 2 * Math.min(v, host.sysctls.int('net.core.wmem_max'))); st.sndBufLocked = true; return ok;
    case K.SO_RCVBUF: st.rcvBuf = Math.max(2304, 2 * Math.min(v, host.sysctls.int('net.core.rmem_max'))); return ok;
    case SO_ZEROCOPY:
      // Stream sockets of TCP only: an MPTCP socket is not one (sk_is_tcp).
      if (s.mptcp) return fail('EOPNOTSUPP');
      if (v < 0 || v > 1) return fail('EINVAL');
      st.zerocopy = v === 1;
      return ok;
    case SO_RCVLOWAT: {
      // sk_setsockopt: negative is INT_MAX; tcp_set_rcvlowat caps it at half of tcp_rmem[2]
      // and stores 0 as 1 (the receive buffer growth it may also do is not modelled).
      const cap = (host.sysctls.ints('net.ipv4.tcp_rmem')[2] ?? 6291456) >> 1;
      st.rcvLowat = Math.min(v < 0 ? INT_MAX : v, cap) || 1;
      return ok;
    }
    case SO_TIMESTAMPING_OLD:
    case SO_TIMESTAMPING_NEW: return setTimestamping(s, v);
    default: return fail('ENOPROTOOPT');
  }
}

/** sock_set_timestamping: the flags' consistency, OPT_ID only on a connected TCP socket. */
function setTimestamping(s: Socket, flags: number): SyscallResult {
  if ((flags & ~SOF_TIMESTAMPING_MASK) !== 0) return fail('EINVAL');
  if (flags & SOF_TIMESTAMPING_OPT_ID_TCP && !(flags & SOF_TIMESTAMPING_OPT_ID)) return fail('EINVAL');
  const had = ((s.settings.tsFlags ?? 0) & SOF_TIMESTAMPING_OPT_ID) !== 0;
  const closedOrListening = !s.conn || s.conn.state === 'CLOSED' || s.conn.state === 'LISTEN';
  if (flags & SOF_TIMESTAMPING_OPT_ID && !had && closedOrListening) return fail('EINVAL');
  if (flags & SOF_TIMESTAMPING_OPT_STATS && !(flags & SOF_TIMESTAMPING_OPT_TSONLY)) return fail('EINVAL');
  // sock_timestamping_bind_phc: no socket here is bound to a device with a PHC.
  if (flags & SOF_TIMESTAMPING_BIND_PHC) return fail('EOPNOTSUPP');
  s.settings.tsFlags = flags;
  return ok;
}

const errnoNumber = (e: string | undefined): number => (e ? errnoValue(e) ?? 0 : 0);
