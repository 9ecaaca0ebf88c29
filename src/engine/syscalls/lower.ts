// Lowering one syscall line to a SyscallRequest for the target: script fds become target fds,
// `...` becomes what packetdrill fills in, buffers become bytes, and the outputs the script
// wrote become checks run on the result.

import type { Expr, StructExpr, SyscallAction } from '../../script/ast.js';
import type { SyscallRequest } from '../../targets/target.js';
import type { EngineSettings } from '../types.js';
import { CallError, field, int32le, intArg, intOr, lengthArg, isEllipsis, listItems, stringBytes, tryInt } from './expr.js';
import type { FdInfo, FdTable } from './fd-table.js';
import { epollCheck, epollData, msgFlagsCheck, optlenCheck, pollCheck, valueCheck, valueSize, type OutputCheck } from './outputs.js';
import { AF_INET, AF_INET6, apiFamily, lowerSockaddr, lowerSockaddrArg, sockaddrLength } from './sockaddr.js';
import { isMptcpArrayOption, mptcpArrayCall } from './mptcp-arrays.js';
import { controlCheck } from './expect-control.js';

const IPPROTO_MPTCP = 262;

export interface LoweredCall {
  request: SyscallRequest;
  /** The script fd the call works on (Python blocks read TCP_INFO of the last one). */
  scriptFd?: number;
  /** Registered when the call succeeds: the returned fd, or the pair `pipe` writes. */
  creates?: { kind: 'ret'; info: Omit<FdInfo, 'target'> } | { kind: 'out'; scriptFds: number[]; info: Omit<FdInfo, 'target'> };
  /** Script fd forgotten when the call succeeds. */
  closes?: number;
  checks: OutputCheck[];
}

export interface LowerContext {
  fds: FdTable;
  settings: EngineSettings;
}

/** Bytes for a buffer argument: a string's bytes, else zeros, `len` long. */
function buffer(e: Expr | undefined, len: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, len));
  if (e?.kind === 'string') out.set(stringBytes(e.value).subarray(0, out.length));
  return out;
}

function isNull(e: Expr | undefined): boolean {
  return (e?.kind === 'symbol' && e.name === 'NULL') || (e?.kind === 'int' && e.value === 0n);
}

/**
 * A NULL buffer (`write(4, NULL, 1000)`) is passed as a NULL pointer, as packetdrill does, so the
 * stack answers EFAULT; `data` still holds LEN zeros for the targets that only count bytes.
 */
function nullBuffer(e: Expr | undefined): { nullData?: true } {
  return isNull(e) ? { nullData: true } : {};
}

/** iovec list `[{..., 100}, {"ab", 2}]`: the lengths (second positional field, or iov_len). */
function iovecs(e: Expr | undefined): Array<{ base?: Expr; len: number }> {
  if (e === undefined || isEllipsis(e)) return [];
  return listItems(e).map((it) => {
    if (it.kind !== 'struct') throw new CallError('iovec must be written {..., LEN}', it.range);
    const named = field(it, 'iov_len');
    const lenExpr = named?.value ?? it.fields[1]?.value;
    const base = field(it, 'iov_base')?.value ?? it.fields[0]?.value;
    return { base, len: lengthArg(lenExpr, 'iov_len', it.range) };
  });
}

function msghdr(e: Expr | undefined): StructExpr {
  if (e?.kind !== 'struct') throw new CallError('message must be a {msg_name(...)=..., msg_iov(N)=[...], msg_flags=...} struct', e?.range);
  return e;
}

/** One control message `{cmsg_level=L, cmsg_type=T, cmsg_data=INT}` as a 64-bit cmsghdr + int. */
function encodeControl(e: Expr | undefined): Uint8Array | undefined {
  if (e === undefined || isEllipsis(e)) return undefined;
  const parts: Uint8Array[] = [];
  for (const c of listItems(e)) {
    if (c.kind !== 'struct') continue;
    const level = intArg(field(c, 'cmsg_level')?.value, 'cmsg_level', c.range);
    const type = intArg(field(c, 'cmsg_type')?.value, 'cmsg_type', c.range);
    const data = field(c, 'cmsg_data')?.value;
    const payload = data && tryInt(data) !== undefined ? int32le(tryInt(data)!) : new Uint8Array(0);
    const len = 16 + payload.length;
    const msg = new Uint8Array(Math.ceil(len / 8) * 8);
    const v = new DataView(msg.buffer);
    v.setBigUint64(0, BigInt(len), true);
    v.setInt32(8, level, true);
    v.setInt32(12, type, true);
    msg.set(payload, 16);
    parts.push(msg);
  }
  return parts.length ? Uint8Array.from(Buffer.concat(parts)) : undefined;
}

/** setsockopt value: `[1]` → int, `{onoff=1, linger=0}` → linger, strings as bytes, `...` → zeros. */
function sockoptValue(e: Expr | undefined, optlen: number | undefined): Uint8Array {
  if (e === undefined || isEllipsis(e)) return new Uint8Array(optlen ?? 4);
  if (e.kind === 'string') {
    const bytes = stringBytes(e.value);
    return optlen === undefined ? bytes : buffer(e, optlen);
  }
  if (e.kind === 'struct') {
    // Fields in order as 32-bit ints: linger {onoff, linger}, timeval-like pairs, etc.
    const ints = e.fields.map((f) => int32le(intArg(f.value, f.name ?? 'field')));
    return Uint8Array.from(Buffer.concat(ints));
  }
  if (e.kind === 'array' && e.items.length > 1) return Uint8Array.from(Buffer.concat(e.items.map((x) => int32le(intArg(x, 'value')))));
  return int32le(intArg(e, 'value'));
}

export function lowerCall(action: SyscallAction, ctx: LowerContext): LoweredCall {
  const a = action.args;
  const lenient = action.expectedErrno !== undefined;
  const fdAt = (i: number): number => ctx.fds.toTarget(intArg(a[i], 'fd', action.range), a[i]?.range, lenient);
  const scriptFdAt = (i: number): number => intArg(a[i], 'fd', action.range);
  const base = (request: SyscallRequest, scriptFd?: number): LoweredCall => ({ request, scriptFd, checks: [] });

  switch (action.name) {
    case 'socket': {
      const domain = intOr(a[0], apiFamily(ctx.settings) === 'inet' ? AF_INET : AF_INET6, 'domain');
      const protocol = intArg(a[2], 'protocol', action.range);
      return {
        request: { name: 'socket', domain, type: intArg(a[1], 'type', action.range), protocol },
        creates: { kind: 'ret', info: { kind: 'socket', mptcp: protocol === IPPROTO_MPTCP } },
        checks: [],
      };
    }
    case 'bind':
    case 'connect': {
      const addr = lowerSockaddrArg(a[1], ctx.settings, action.name === 'bind' ? 'bind' : 'connect');
      const addrLen = intOr(a[2], addr instanceof Uint8Array ? addr.byteLength : sockaddrLength(addr.family), 'address length');
      return base({ name: action.name, fd: fdAt(0), addr, addrLen }, scriptFdAt(0));
    }
    case 'listen':
      return base({ name: 'listen', fd: fdAt(0), backlog: intArg(a[1], 'backlog', action.range) }, scriptFdAt(0));
    case 'accept':
    case 'accept4': {
      const listener = ctx.fds.info(scriptFdAt(0));
      const wantAddr = !(a[1]?.kind === 'symbol' && a[1].name === 'NULL') && !(a[1]?.kind === 'int' && a[1].value === 0n);
      return {
        request: { name: action.name, fd: fdAt(0), flags: action.name === 'accept4' ? intOr(a[3], 0, 'flags') : 0, wantAddr },
        scriptFd: scriptFdAt(0),
        creates: { kind: 'ret', info: { kind: 'socket', mptcp: listener?.mptcp ?? false } },
        checks: [],
      };
    }
    case 'read':
    case 'recv':
    case 'recvfrom':
      return base({ name: action.name, fd: fdAt(0), len: lengthArg(a[2], 'length', action.range), flags: intOr(a[3], 0, 'flags') }, scriptFdAt(0));
    case 'readv':
      return base({ name: 'readv', fd: fdAt(0), iov: iovecs(a[1]).map((v) => v.len) }, scriptFdAt(0));
    case 'write':
    case 'send': {
      const len = lengthArg(a[2], 'length', action.range);
      return base({ name: action.name, fd: fdAt(0), data: buffer(a[1], len), flags: intOr(a[3], 0, 'flags'), ...nullBuffer(a[1]) }, scriptFdAt(0));
    }
    case 'sendto': {
      const len = lengthArg(a[2], 'length', action.range);
      const addr = a[4] === undefined || isNull(a[4]) ? undefined : lowerSockaddrArg(a[4], ctx.settings, 'connect');
      return base({ name: 'sendto', fd: fdAt(0), data: buffer(a[1], len), flags: intOr(a[3], 0, 'flags'), addr, ...nullBuffer(a[1]) }, scriptFdAt(0));
    }
    case 'writev':
      return base({ name: 'writev', fd: fdAt(0), iov: iovecs(a[1]).map((v) => buffer(v.base, v.len)) }, scriptFdAt(0));
    case 'sendmsg': {
      const m = msghdr(a[1]);
      const name = field(m, 'msg_name');
      const addr = name && !isEllipsis(name.value) ? lowerSockaddr(name.value, ctx.settings, 'connect') : undefined;
      const iov = iovecs(field(m, 'msg_iov')?.value).map((v) => buffer(v.base, v.len));
      return base({ name: 'sendmsg', fd: fdAt(0), iov, flags: intOr(a[2], 0, 'flags'), addr, control: encodeControl(field(m, 'msg_control')?.value) }, scriptFdAt(0));
    }
    case 'recvmsg': {
      const m = msghdr(a[1]);
      const control = field(m, 'msg_control');
      const call = base({
        name: 'recvmsg', fd: fdAt(0), iov: iovecs(field(m, 'msg_iov')?.value).map((v) => v.len), flags: intOr(a[2], 0, 'flags'),
        controlLen: control && !isEllipsis(control.value) ? 512 : 0,
      }, scriptFdAt(0));
      for (const check of [msgFlagsCheck(m), controlCheck(control?.value)]) if (check) call.checks.push(check);
      return call;
    }
    case 'close':
      return { ...base({ name: 'close', fd: fdAt(0) }, scriptFdAt(0)), closes: scriptFdAt(0) };
    case 'shutdown':
      return base({ name: 'shutdown', fd: fdAt(0), how: intArg(a[1], 'how', action.range) }, scriptFdAt(0));
    case 'setsockopt': {
      const optlen = isEllipsis(a[4]) ? undefined : intArg(a[4], 'optlen', action.range);
      const value = sockoptValue(a[3], optlen);
      return base({
        name: 'setsockopt', fd: fdAt(0), level: intArg(a[1], 'level', action.range), optname: intArg(a[2], 'optname', action.range),
        value, optlen: optlen ?? value.length,
      }, scriptFdAt(0));
    }
    case 'getsockopt': {
      const level = intArg(a[1], 'level', action.range);
      const optname = intArg(a[2], 'optname', action.range);
      const valueExpr = a[3];
      const lenExpr = a[4];
      const written = lenExpr && !isEllipsis(lenExpr) ? intArg(lenExpr, 'optlen') : undefined;
      const lc = optlenCheck(lenExpr, 'getsockopt optlen');
      if (isMptcpArrayOption(level, optname)) {
        // The value carries input (element sizes, array slots) and per-subflow expectations.
        const arr = mptcpArrayCall(optname, valueExpr, written, 'getsockopt optval', action.range);
        const call = base({ name: 'getsockopt', fd: fdAt(0), level, optname, optlen: arr.optlen, value: arr.value, ...(arr.buffers ? { buffers: arr.buffers } : {}) }, scriptFdAt(0));
        for (const c of [arr.check, lc]) if (c) call.checks.push(c);
        return call;
      }
      const optlen = written ?? (valueExpr ? valueSize(valueExpr) : 4);
      const call = base({ name: 'getsockopt', fd: fdAt(0), level, optname, optlen }, scriptFdAt(0));
      const vc = valueExpr ? valueCheck(valueExpr, 'getsockopt optval') : undefined;
      if (vc) call.checks.push(vc);
      if (lc) call.checks.push(lc);
      return call;
    }
    case 'fcntl':
      return base({ name: 'fcntl', fd: fdAt(0), cmd: intArg(a[1], 'cmd', action.range), arg: a[2] === undefined ? undefined : intOr(a[2], 0, 'arg') }, scriptFdAt(0));
    case 'ioctl': {
      const arg = a[2];
      const call = base({
        name: 'ioctl', fd: fdAt(0), request: intArg(a[1], 'request', action.range),
        arg: arg === undefined ? undefined : isEllipsis(arg) ? new Uint8Array(4) : int32le(tryInt(arg) ?? 0n),
      }, scriptFdAt(0));
      const vc = arg ? valueCheck(arg, 'ioctl output') : undefined;
      if (vc) call.checks.push(vc);
      return call;
    }
    case 'poll': {
      const items = a[0] && !isEllipsis(a[0]) ? listItems(a[0]) : [];
      const fds = items.map((it) => {
        if (it.kind !== 'struct') throw new CallError('pollfd must be written {fd=N, events=...}', it.range);
        const fd = intArg(field(it, 'fd')?.value, 'fd', it.range);
        return { fd: ctx.fds.toTarget(fd, it.range, lenient), events: intOr(field(it, 'events')?.value, 0, 'events') };
      });
      const call = base({ name: 'poll', fds, timeoutMs: intArg(a[2], 'timeout', action.range) });
      const check = pollCheck(items);
      if (check) call.checks.push(check);
      return call;
    }
    case 'epoll_create':
    case 'epoll_create1':
      return { request: { name: action.name, size: intOr(a[0], 0, 'size') }, creates: { kind: 'ret', info: { kind: 'epoll', mptcp: false } }, checks: [] };
    case 'epoll_ctl': {
      const ev = a[3];
      const s = ev?.kind === 'struct' ? ev : undefined;
      return base({
        name: 'epoll_ctl', epfd: fdAt(0), op: intArg(a[1], 'op', action.range), fd: fdAt(2),
        events: s ? intOr(field(s, 'events')?.value, 0, 'events') : 0, data: s ? epollData(s) ?? 0n : 0n,
      }, scriptFdAt(2));
    }
    case 'epoll_wait': {
      const call = base({ name: 'epoll_wait', epfd: fdAt(0), maxEvents: intArg(a[2], 'maxevents', action.range), timeoutMs: intArg(a[3], 'timeout', action.range) });
      const check = a[1] ? epollCheck(a[1]) : undefined;
      if (check) call.checks.push(check);
      return call;
    }
    case 'pipe': {
      const items = a[0] && a[0].kind === 'array' ? a[0].items : [];
      return { request: { name: 'pipe', flags: 0 }, creates: { kind: 'out', scriptFds: items.map((x) => intArg(x, 'fd')), info: { kind: 'pipe', mptcp: false } }, checks: [] };
    }
    case 'splice': {
      const off = (e: Expr | undefined): bigint | undefined => (e === undefined || isEllipsis(e) || (e.kind === 'symbol' && e.name === 'NULL') ? undefined : tryInt(e));
      return base({
        name: 'splice', fdIn: fdAt(0), offIn: off(a[1]), fdOut: fdAt(2), offOut: off(a[3]),
        len: lengthArg(a[4], 'length', action.range), flags: intOr(a[5], 0, 'flags'),
      }, scriptFdAt(0));
    }
    case 'sendfile': {
      const o = a[2];
      const offset = o === undefined || isEllipsis(o) || (o.kind === 'symbol' && o.name === 'NULL') ? undefined : tryInt(o);
      return base({ name: 'sendfile', outFd: fdAt(0), inFd: fdAt(1), offset, count: lengthArg(a[3], 'count', action.range) }, scriptFdAt(0));
    }
    case 'open': {
      if (a[0]?.kind !== 'string') throw new CallError('open needs a path string', a[0]?.range ?? action.range);
      return {
        request: { name: 'open', path: a[0].value, flags: intOr(a[1], 0, 'flags'), mode: intOr(a[2], 0, 'mode') },
        creates: { kind: 'ret', info: { kind: 'file', mptcp: false } },
        checks: [],
      };
    }
    default:
      throw new CallError(`${action.name} cannot be lowered to a target call`, action.nameRange);
  }
}
