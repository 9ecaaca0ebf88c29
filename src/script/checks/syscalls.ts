// System-call lines: the number of arguments each call takes, arguments whose shape cannot be
// right (a struct where a file descriptor goes), and field names of the structs the language
// knows (docs/language.md §6.1–6.2).

import type { Expr, StructExpr, SyscallAction } from '../ast.js';
import { fieldNames } from '../../sys/struct-layout.js';
import { TCP_INFO_LAYOUT } from '../../sys/tcp-info.js';
import { MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_DATA_LAYOUT } from '../../sys/mptcp-structs.js';
import type { Reporter } from './report.js';
import { isCounterCall } from '../build-syscalls.js';
import { checkPmCall } from './pm.js';

/** [minimum, maximum] argument count; `cap_set` and the PSP calls take anything. */
const ARITY: Readonly<Record<string, readonly [number, number]>> = {
  socket: [3, 3],
  bind: [3, 3],
  listen: [2, 2],
  accept: [3, 3],
  accept4: [4, 4],
  connect: [3, 3],
  read: [3, 3],
  readv: [3, 3],
  recv: [4, 4],
  recvfrom: [6, 6],
  recvmsg: [3, 3],
  write: [3, 3],
  writev: [3, 3],
  send: [4, 4],
  sendto: [6, 6],
  sendmsg: [3, 3],
  fcntl: [2, 3],
  ioctl: [2, 3],
  close: [1, 1],
  shutdown: [2, 2],
  getsockopt: [5, 5],
  setsockopt: [5, 5],
  poll: [3, 3],
  epoll_create: [1, 1],
  epoll_create1: [1, 1],
  epoll_ctl: [4, 4],
  epoll_wait: [4, 4],
  pipe: [1, 1],
  splice: [6, 6],
  sendfile: [4, 4],
  open: [2, 3],
  mib: [1, 1],
  mib_delta: [1, 1],
};

/** Argument positions that hold a file descriptor, per call. */
const FD_ARGS: Readonly<Record<string, readonly number[]>> = {
  bind: [0], listen: [0], accept: [0], accept4: [0], connect: [0], read: [0], readv: [0], recv: [0],
  recvfrom: [0], recvmsg: [0], write: [0], writev: [0], send: [0], sendto: [0], sendmsg: [0],
  fcntl: [0], ioctl: [0], close: [0], shutdown: [0], getsockopt: [0], setsockopt: [0],
  epoll_ctl: [0, 2], epoll_wait: [0], splice: [0, 2], sendfile: [0, 1],
};

type StructKind = 'sockaddr' | 'linger' | 'pollfd' | 'epoll_event' | 'msghdr' | 'iovec' | 'cmsg' | 'sock_extended_err' | 'scm_timestamping' | 'tcp_info' | 'mptcp_info'
  | 'mptcp_subflow_data' | 'mptcp_subflow_addrs' | 'mptcp_full_info' | 'mptcp_subflow_info';

/** Structs only the context announces (their field names overlap others'), never a field name alone. */
const CONTEXT_ONLY: ReadonlySet<StructKind> = new Set(['tcp_info', 'mptcp_info', 'mptcp_subflow_data', 'mptcp_subflow_addrs', 'mptcp_full_info', 'mptcp_subflow_info']);

const SUBFLOW_ADDRS_SIDES = ['sa_local', 'sin_local', 'sin6_local', 'ss_local', 'sa_remote', 'sin_remote', 'sin6_remote', 'ss_remote'];

const STRUCT_FIELDS: Readonly<Record<StructKind, ReadonlySet<string>>> = {
  sockaddr: new Set(['sa_family', 'sin_family', 'ss_family', 'sin_port', 'sin_addr', 'sin6_family', 'sin6_port', 'sin6_addr', 'sin6_flowinfo', 'sin6_scope_id']),
  linger: new Set(['onoff', 'linger', 'l_onoff', 'l_linger']),
  pollfd: new Set(['fd', 'events', 'revents']),
  epoll_event: new Set(['events', 'fd', 'ptr', 'u32', 'u64']),
  msghdr: new Set(['msg_name', 'msg_namelen', 'msg_iov', 'msg_iovlen', 'msg_control', 'msg_controllen', 'msg_flags']),
  iovec: new Set(['iov_base', 'iov_len']),
  cmsg: new Set(['cmsg_len', 'cmsg_level', 'cmsg_type', 'cmsg_data']),
  sock_extended_err: new Set(['ee_errno', 'ee_origin', 'ee_type', 'ee_code', 'ee_pad', 'ee_info', 'ee_data']),
  scm_timestamping: new Set(['scm_sec', 'scm_nsec']),
  tcp_info: new Set(fieldNames(TCP_INFO_LAYOUT)),
  mptcp_info: new Set(fieldNames(MPTCP_INFO_LAYOUT)),
  mptcp_subflow_data: new Set([...fieldNames(MPTCP_SUBFLOW_DATA_LAYOUT), 'tcp_info', 'addrs']),
  mptcp_subflow_addrs: new Set(SUBFLOW_ADDRS_SIDES),
  mptcp_full_info: new Set([...fieldNames(MPTCP_FULL_INFO_HEADER_LAYOUT), 'mptcp_info']),
  mptcp_subflow_info: new Set(['id', 'addrs']),
};

/** Fields whose value is itself a known struct (or a list of them), per enclosing struct. */
const INNER: Readonly<Partial<Record<StructKind, Readonly<Record<string, StructKind>>>>> = {
  msghdr: { msg_name: 'sockaddr', msg_iov: 'iovec', msg_control: 'cmsg' },
  mptcp_subflow_data: { tcp_info: 'tcp_info', addrs: 'mptcp_subflow_addrs' },
  mptcp_full_info: { tcp_info: 'tcp_info', subflow_info: 'mptcp_subflow_info', mptcp_info: 'mptcp_info' },
  mptcp_subflow_info: { addrs: 'mptcp_subflow_addrs' },
  mptcp_subflow_addrs: Object.fromEntries(SUBFLOW_ADDRS_SIDES.map((n) => [n, 'sockaddr'])),
};

const STRUCT_LABEL: Readonly<Record<StructKind, string>> = {
  sockaddr: 'struct sockaddr', linger: 'struct linger', pollfd: 'struct pollfd', epoll_event: 'struct epoll_event',
  msghdr: 'struct msghdr', iovec: 'struct iovec', cmsg: 'struct cmsghdr', sock_extended_err: 'struct sock_extended_err',
  scm_timestamping: 'struct scm_timestamping', tcp_info: 'struct tcp_info', mptcp_info: 'struct mptcp_info',
  mptcp_subflow_data: 'struct mptcp_subflow_data', mptcp_subflow_addrs: 'struct mptcp_subflow_addrs',
  mptcp_full_info: 'struct mptcp_full_info', mptcp_subflow_info: 'struct mptcp_subflow_info',
};

/** Which struct a field name announces when nothing else says (first named field decides). */
function structOfField(name: string): StructKind | undefined {
  if (name.startsWith('tcpi_')) return 'tcp_info';
  if (name.startsWith('mptcpi_')) return 'mptcp_info';
  for (const kind of Object.keys(STRUCT_FIELDS) as StructKind[]) {
    if (!CONTEXT_ONLY.has(kind) && STRUCT_FIELDS[kind].has(name)) return kind;
  }
  return undefined;
}

function checkStruct(s: StructExpr, kind: StructKind | undefined, r: Reporter): void {
  const known = kind ?? s.fields.map((f) => (f.name ? structOfField(f.name) : undefined)).find((k) => k !== undefined);
  for (const field of s.fields) {
    if (known && field.name !== undefined && !STRUCT_FIELDS[known].has(field.name)) {
      r.error('unknown-struct-field', field.range, `unknown field '${field.name}' in ${STRUCT_LABEL[known]}`);
    }
    const inner = known && field.name !== undefined ? INNER[known]?.[field.name] : undefined;
    walkExpr(field.value, inner, r);
  }
}

/** Checks every struct inside `e`; `kind` is what the context says the struct (or items) must be. */
function walkExpr(e: Expr, kind: StructKind | undefined, r: Reporter): void {
  switch (e.kind) {
    case 'struct':
      checkStruct(e, kind, r);
      break;
    case 'array':
      for (const item of e.items) walkExpr(item, kind, r);
      break;
    case 'or':
      for (const term of e.terms) walkExpr(term, undefined, r);
      break;
    case 'call':
      for (const arg of e.args) walkExpr(arg, undefined, r);
      break;
    case 'binary':
      walkExpr(e.left, undefined, r);
      walkExpr(e.right, undefined, r);
      break;
    default:
      break;
  }
}

/** What struct each argument position holds, per call, when the call says so. */
function argStruct(call: SyscallAction, index: number): StructKind | undefined {
  switch (call.name) {
    case 'bind':
    case 'connect':
      return index === 1 ? 'sockaddr' : undefined;
    case 'sendto':
    case 'recvfrom':
      return index === 4 ? 'sockaddr' : undefined;
    case 'poll':
      return index === 0 ? 'pollfd' : undefined;
    case 'epoll_ctl':
      return index === 3 ? 'epoll_event' : undefined;
    case 'epoll_wait':
      return index === 1 ? 'epoll_event' : undefined;
    case 'sendmsg':
    case 'recvmsg':
      return index === 1 ? 'msghdr' : undefined;
    case 'setsockopt':
    case 'getsockopt': {
      if (index !== 3) return undefined;
      const opt = call.args[2];
      if (opt?.kind !== 'symbol') return undefined;
      if (opt.name === 'SO_LINGER') return 'linger';
      if (opt.name === 'TCP_INFO') return 'tcp_info';
      if (opt.name === 'MPTCP_INFO') return 'mptcp_info';
      if (opt.name === 'MPTCP_TCPINFO' || opt.name === 'MPTCP_SUBFLOW_ADDRS') return 'mptcp_subflow_data';
      if (opt.name === 'MPTCP_FULL_INFO') return 'mptcp_full_info';
      return undefined;
    }
    default:
      return undefined;
  }
}

function isFdShaped(e: Expr): boolean {
  return e.kind === 'int' || e.kind === 'symbol' || e.kind === 'ellipsis' || e.kind === 'binary';
}

export function checkSyscall(call: SyscallAction, r: Reporter): void {
  const arity = ARITY[call.name];
  if (arity) {
    const [min, max] = arity;
    const n = call.args.length;
    if (n < min || n > max) {
      const want = min === max ? `${min}` : `${min} or ${max}`;
      r.error('syscall-arity', call.nameRange, `${call.name} takes ${want} argument${max === 1 ? '' : 's'}, got ${n}`);
    }
  }
  for (const index of FD_ARGS[call.name] ?? []) {
    const arg = call.args[index];
    if (arg && !isFdShaped(arg)) {
      r.error('bad-fd-argument', arg.range, `argument ${index + 1} of ${call.name} must be a file descriptor, not ${describe(arg)}`);
    }
  }
  call.args.forEach((arg, i) => walkExpr(arg, argStruct(call, i), r));
  if (isCounterCall(call.name)) {
    // A counter is a count: the expectation is a number (or `...`, which reads it and checks nothing).
    const e = call.expectedReturn;
    if (!(e.kind === 'int' || e.kind === 'ellipsis' || e.kind === 'binary') || call.expectedErrno) {
      r.error('counter-expectation', e.range, `${call.name} is compared with a number of events, e.g. "${call.name}(MPTcpExtMPJoinSynRx) = 1"`);
    }
  }
  checkPmCall(call, r);
  if (call.expectedErrno && !isMinusOne(call.expectedReturn)) {
    r.warn('errno-without-minus-one', call.expectedErrno.range, `errno ${call.expectedErrno.name} is only set when the call returns -1`);
  }
}

function isMinusOne(e: Expr): boolean {
  return e.kind === 'int' && e.value === -1n;
}

function describe(e: Expr): string {
  switch (e.kind) {
    case 'struct':
      return 'a struct';
    case 'array':
      return 'an array';
    case 'string':
      return 'a string';
    case 'or':
      return 'a flag list';
    case 'call':
      return `${e.fn}(...)`;
    default:
      return e.kind;
  }
}
