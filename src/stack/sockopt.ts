// getsockopt / setsockopt with Linux's values, struct layouts (src/sys/structs.ts) and errnos.
import type { SyscallRequest, SyscallResult } from '../targets/target.js';
import { decodeInt, decodeStruct, encodeControl, encodeInt, encodeStruct, LINGER_LAYOUT, MPTCP_SUBFLOW_ADDRS_SIZE, TCP_INFO_LAYOUT, MPTCP_INFO_LAYOUT } from '../sys/structs.js';
import { errnoValue } from '../sys/symbols.js';
import * as K from './constants.js';
import type { Host } from './host.js';
import { getFastOpenOption, isFastOpenOption, setFastOpenOption } from './fastopen-sockopt.js';
import { encodeMptcpInfo, type PmLimits } from './mptcp/info.js';
import { getFullInfo, getSubflowData, subflowViews } from './mptcp/subflow-info.js';
import type { PathManagerConfig } from './mptcp/pm.js';
import type { Socket } from './socket.js';
import { encodeTcpInfo } from './tcp/info.js';

const TCP_CA_NAME_MAX = 16;
const TCP_INQ = 36;
const TCP_CM_INQ = TCP_INQ;

/** Sockets with TCP_INQ on: recvmsg adds a TCP_CM_INQ control message (see recvControl). */
const inqSockets = new WeakSet<Socket>();

/**
 * The control messages recvmsg returns on `s` after a read: with TCP_INQ, SOL_TCP/TCP_CM_INQ
 * and the bytes still queued (tcp_inq_hint / mptcp_inq_hint; measured on 6.18: a received FIN
 * or DATA_FIN adds one, so a reader knows to go on and read the EOF). None when there is no
 * room for one (MSG_CTRUNC is not modelled).
 */
export function recvControl(s: Socket, controlLen: number): { control?: Uint8Array; truncated: boolean } {
  if (!inqSockets.has(s) || !s.conn) return { truncated: false };
  const c = s.conn;
  // The peer's FIN / DATA_FIN counts as one more byte (rcv_nxt - copied_seq; ack_seq - map_seq).
  const queued = c.rcvQueued + (c.rcvEof ? 1 : 0);
  const inq = queued > 0 ? queued : c.shutRd || c.state === 'CLOSED' ? 1 : 0;
  const msg = encodeControl([{ level: K.SOL_TCP, type: TCP_CM_INQ, data: encodeInt(inq) }]);
  // Linux's put_cmsg: a control buffer too small for the message gets none, and MSG_CTRUNC.
  return msg.length <= controlLen ? { control: msg, truncated: false } : { truncated: true };
}
const fail = (errno: string): SyscallResult => ({ ret: -1, errno });

function opt(value: Uint8Array, optlen: number): SyscallResult {
  const n = Math.max(0, Math.min(optlen, value.length));
  return { ret: 0, out: { kind: 'opt', value: value.slice(0, n), optlen: n } };
}

const intOpt = (v: number, optlen: number): SyscallResult => (optlen < 0 ? fail('EINVAL') : opt(encodeInt(v), Math.min(optlen, 4)));

/** The getsockopt arguments: the value's bytes go in too (the SOL_MPTCP arrays read a header from them). */
export type GetsockoptArgs = Pick<Extract<SyscallRequest, { name: 'getsockopt' }>, 'level' | 'optname' | 'optlen' | 'value' | 'buffers'>;

export function getsockopt(host: Host, pm: PathManagerConfig, s: Socket, args: GetsockoptArgs): SyscallResult {
  const { level, optname: name, optlen, value } = args;
  if (optlen < 0) return fail('EINVAL');
  const c = s.conn;
  if (level === K.SOL_SOCKET) {
    switch (name) {
      case K.SO_ERROR: return intOpt(errnoNumber(s.takeError()), optlen);
      case K.SO_REUSEADDR: return intOpt(s.reuseAddr ? 1 : 0, optlen);
      case K.SO_REUSEPORT: return intOpt(s.reusePort ? 1 : 0, optlen);
      case K.SO_KEEPALIVE: return intOpt(s.settings.keepalive.on ? 1 : 0, optlen);
      case K.SO_SNDBUF: return intOpt(s.settings.sndBuf, optlen);
      case K.SO_RCVBUF: return intOpt(s.settings.rcvBuf, optlen);
      case K.SO_TYPE: return intOpt(K.SOCK_STREAM, optlen);
      case K.SO_ACCEPTCONN: return intOpt(s.listener ? 1 : 0, optlen);
      case K.SO_DOMAIN: return intOpt(s.family === 4 ? K.AF_INET : K.AF_INET6, optlen);
      case K.SO_PROTOCOL: return intOpt(s.mptcp ? K.IPPROTO_MPTCP : K.IPPROTO_TCP, optlen);
      case K.SO_LINGER: return opt(encodeStruct(LINGER_LAYOUT, { l_onoff: s.linger.onoff, l_linger: s.linger.linger }), optlen);
      default: return fail('ENOPROTOOPT');
    }
  }
  if (level === K.SOL_TCP) {
    if (isFastOpenOption(name)) return getFastOpenOption(host, s, name, optlen);
    switch (name) {
      case K.TCP_NODELAY: return intOpt(s.settings.nodelay ? 1 : 0, optlen);
      case K.TCP_CORK: return intOpt(s.settings.cork ? 1 : 0, optlen);
      case K.TCP_MAXSEG: return intOpt(c && c.state !== 'LISTEN' && c.state !== 'CLOSED' ? c.sndMss : s.settings.userMss || 536, optlen);
      case K.TCP_KEEPIDLE: return intOpt(s.settings.keepalive.idle, optlen);
      case K.TCP_KEEPINTVL: return intOpt(s.settings.keepalive.intvl, optlen);
      case K.TCP_KEEPCNT: return intOpt(s.settings.keepalive.cnt, optlen);
      case K.TCP_DEFER_ACCEPT: return intOpt(s.deferAccept, optlen);
      case K.TCP_QUICKACK: return intOpt(c?.isQuickAck ? 1 : 0, optlen);
      case K.TCP_NOTSENT_LOWAT: return intOpt(s.notsentLowat, optlen);
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
  if ((level === K.SOL_IP && name === K.IP_TOS) || (level === K.SOL_IPV6 && name === K.IPV6_TCLASS)) return intOpt(s.settings.tos ?? 0, optlen);
  if (level === K.SOL_MPTCP) {
    if (!s.mptcp) return fail('ENOPROTOOPT'); // tcp_getsockopt hands other levels to ip_getsockopt
    if (c?.mptcp?.fallback) return fail('EOPNOTSUPP');
    if (name === K.MPTCP_INFO) {
      // A listener reads all zeros on 6.18 (mptcp_diag_fill_info fills the limits only otherwise).
      if (s.listener) return opt(new Uint8Array(MPTCP_INFO_LAYOUT.size), optlen);
      return opt(encodeMptcpInfo(c?.mptcp, pmLimits(pm), host.clock.now()), optlen);
    }
    const subflows = subflowViews(c, s.family, (x) => encodeTcpInfo(x, host.clock.now(), host.mtu));
    if (name === K.MPTCP_TCPINFO) return getSubflowData(subflows.map((x) => x.tcpInfo), optlen, value, TCP_INFO_LAYOUT.size);
    if (name === K.MPTCP_SUBFLOW_ADDRS) return getSubflowData(subflows.map((x) => () => x.addrs), optlen, value, MPTCP_SUBFLOW_ADDRS_SIZE);
    if (name === K.MPTCP_FULL_INFO) return getFullInfo(subflows, () => encodeMptcpInfo(c?.mptcp, pmLimits(pm), host.clock.now()), optlen, value, args.buffers);
    return fail('ENOPROTOOPT');
  }
  return fail('ENOPROTOOPT');
}

// mptcpi_local_addr_max: 6.18 counts the `subflow` endpoints only (endp_subflow_max; a server's
// signal-only endpoints give 0, measured).
const pmLimits = (pm: PathManagerConfig): PmLimits => ({
  subflows: pm.subflows, addAddrAccepted: pm.addAddrAccepted, signalEndpoints: pm.signalCount, localAddrMax: pm.endpoints.filter((e) => e.flags.includes('subflow')).length,
});

export function setsockopt(host: Host, s: Socket, level: number, name: number, value: Uint8Array, optlen: number): SyscallResult {
  const needInt = (): number | undefined => (optlen < 4 || value.length < 4 ? undefined : decodeInt(value.subarray(0, 4)));
  if (level === K.SOL_SOCKET) {
    if (name === K.SO_LINGER) {
      if (optlen < 8) return fail('EINVAL');
      const l = decodeStruct(LINGER_LAYOUT, value);
      s.linger = { onoff: Number(l.l_onoff ?? 0), linger: Number(l.l_linger ?? 0) };
      return { ret: 0 };
    }
    const v = needInt();
    if (v === undefined) return fail('EINVAL');
    switch (name) {
      case K.SO_REUSEADDR: s.reuseAddr = v !== 0; return { ret: 0 };
      case K.SO_REUSEPORT: s.reusePort = v !== 0; return { ret: 0 };
      case K.SO_KEEPALIVE: s.settings.keepalive.on = v !== 0; s.conn?.armKeepalive(); return { ret: 0 };
      case K.SO_SNDBUF: s.settings.sndBuf = Math.max(4608, 2 * Math.min(v, host.sysctls.int('net.core.wmem_max'))); s.settings.sndBufLocked = true; return { ret: 0 };
      case K.SO_RCVBUF: s.settings.rcvBuf = Math.max(2304, 2 * Math.min(v, host.sysctls.int('net.core.rmem_max'))); return { ret: 0 };
      default: return fail('ENOPROTOOPT');
    }
  }
  if (level === K.SOL_TCP) {
    if (isFastOpenOption(name)) return setFastOpenOption(host, s, name, value, optlen);
    if (name === K.TCP_CONGESTION) {
      const text = new TextDecoder().decode(value.subarray(0, Math.min(optlen, value.length))).replace(/\0.*$/s, '');
      const allowed = (host.sysctls.get('net.ipv4.tcp_available_congestion_control') ?? '').split(/\s+/);
      if (!allowed.includes(text)) return fail('ENOENT');
      s.congestion = text;
      return { ret: 0 };
    }
    const v = needInt();
    if (v === undefined) return fail('EINVAL');
    switch (name) {
      case K.TCP_NODELAY: s.settings.nodelay = v !== 0; if (v) s.conn?.output(); return { ret: 0 };
      case K.TCP_CORK: s.settings.cork = v !== 0; if (!v) s.conn?.output(); return { ret: 0 };
      case K.TCP_MAXSEG:
        if (v !== 0 && (v < 88 || v > 32767)) return fail('EINVAL');
        s.settings.userMss = v;
        return { ret: 0 };
      case K.TCP_KEEPIDLE: if (v < 1) return fail('EINVAL'); s.settings.keepalive.idle = v; s.conn?.armKeepalive(); return { ret: 0 };
      case K.TCP_KEEPINTVL: if (v < 1) return fail('EINVAL'); s.settings.keepalive.intvl = v; return { ret: 0 };
      case K.TCP_KEEPCNT: if (v < 1) return fail('EINVAL'); s.settings.keepalive.cnt = v; return { ret: 0 };
      case K.TCP_DEFER_ACCEPT: s.deferAccept = v; return { ret: 0 };
      case K.TCP_QUICKACK: if (v && s.conn) s.conn.sendAckIfPending(); return { ret: 0 };
      case K.TCP_NOTSENT_LOWAT: s.notsentLowat = v; return { ret: 0 };
      case TCP_INQ:
        if (v < 0 || v > 1) return fail('EINVAL');
        if (v) inqSockets.add(s); else inqSockets.delete(s);
        return { ret: 0 };
      default: return fail('ENOPROTOOPT');
    }
  }
  if ((level === K.SOL_IP && name === K.IP_TOS) || (level === K.SOL_IPV6 && name === K.IPV6_TCLASS)) {
    const v = needInt();
    if (v === undefined) return fail('EINVAL');
    // Stream sockets keep the ECN bits to the stack (ip_setsockopt masks INET_ECN_MASK).
    s.settings.tos = (v & ~3 & 0xff) | ((s.settings.tos ?? 0) & 3);
    return { ret: 0 };
  }
  if (level === K.SOL_MPTCP) return fail(s.mptcp ? 'EOPNOTSUPP' : 'ENOPROTOOPT');
  return fail('ENOPROTOOPT');
}

const errnoNumber = (e: string | undefined): number => (e ? errnoValue(e) ?? 0 : 0);
