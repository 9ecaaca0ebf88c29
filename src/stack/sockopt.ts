// getsockopt / setsockopt with Linux's values, struct layouts (src/sys/structs.ts) and errnos: each
// level has its file (sockopt-socket.ts, sockopt-tcp.ts, sockopt-ip.ts); SOL_MPTCP is here.
import type { SyscallRequest, SyscallResult } from '../targets/target.js';
import { encodeControl, encodeInt, MPTCP_SUBFLOW_ADDRS_SIZE, TCP_INFO_LAYOUT, MPTCP_INFO_LAYOUT } from '../sys/structs.js';
import * as K from './constants.js';
import type { Host } from './host.js';
import { getFastOpenOption, isFastOpenOption, setFastOpenOption } from './fastopen-sockopt.js';
import { encodeMptcpInfo, type PmLimits } from './mptcp/info.js';
import { getFullInfo, getSubflowData, subflowViews } from './mptcp/subflow-info.js';
import type { PathManagerConfig } from './mptcp/pm.js';
import type { Socket } from './socket.js';
import { encodeTcpInfo } from './tcp/info.js';
import { getIpOption, IP_MTU_DISCOVER, IPV6_MTU_DISCOVER, setIpOption } from './sockopt-ip.js';
import { getSocketOption, setSocketOption } from './sockopt-socket.js';
import { getTcpOption, inqSockets, setTcpOption, TCP_INQ, TCP_USER_TIMEOUT } from './sockopt-tcp.js';
import { fail, opt } from './sockopt-value.js';

const TCP_CM_INQ = TCP_INQ;

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
/** The getsockopt arguments: the value's bytes go in too (the SOL_MPTCP arrays read a header from them). */
export type GetsockoptArgs = Pick<Extract<SyscallRequest, { name: 'getsockopt' }>, 'level' | 'optname' | 'optlen' | 'value' | 'buffers'>;

/**
 * Options an MPTCP socket refuses although a TCP socket takes them: 6.18's mptcp_setsockopt /
 * mptcp_getsockopt (net/mptcp/sockopt.c) do not pass them to the subflows (errnos measured).
 */
const MPTCP_REFUSED = new Map<string, { set: string; get: string }>([
  [`${K.SOL_TCP}:${TCP_USER_TIMEOUT}`, { set: 'ENOPROTOOPT', get: 'EOPNOTSUPP' }],
  [`${K.SOL_TCP}:${K.TCP_QUICKACK}`, { set: 'ENOPROTOOPT', get: 'EOPNOTSUPP' }],
  [`${K.SOL_IP}:${IP_MTU_DISCOVER}`, { set: 'EOPNOTSUPP', get: 'EOPNOTSUPP' }],
  [`${K.SOL_IPV6}:${IPV6_MTU_DISCOVER}`, { set: 'EOPNOTSUPP', get: 'EOPNOTSUPP' }],
]);

const mptcpRefusal = (s: Socket, level: number, name: number): { set: string; get: string } | undefined =>
  (s.mptcp ? MPTCP_REFUSED.get(`${level}:${name}`) : undefined);

export function getsockopt(host: Host, pm: PathManagerConfig, s: Socket, args: GetsockoptArgs): SyscallResult {
  const { level, optname: name, optlen, value } = args;
  if (optlen < 0) return fail('EINVAL');
  const c = s.conn;
  const refused = mptcpRefusal(s, level, name);
  if (refused) return fail(refused.get);
  if (level === K.SOL_SOCKET) return getSocketOption(s, name, optlen);
  if (level === K.SOL_TCP) return isFastOpenOption(name) ? getFastOpenOption(host, s, name, optlen) : getTcpOption(host, s, name, optlen);
  const ip = getIpOption(s, level, name, optlen);
  if (ip) return ip;
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
  const refused = mptcpRefusal(s, level, name);
  if (refused) return fail(refused.set);
  if (level === K.SOL_SOCKET) return setSocketOption(host, s, name, value, optlen);
  if (level === K.SOL_TCP) return isFastOpenOption(name) ? setFastOpenOption(host, s, name, value, optlen) : setTcpOption(host, s, name, value, optlen);
  const ip = setIpOption(s, level, name, value, optlen);
  if (ip) return ip;
  if (level === K.SOL_MPTCP) return fail(s.mptcp ? 'EOPNOTSUPP' : 'ENOPROTOOPT');
  return fail('ENOPROTOOPT');
}

