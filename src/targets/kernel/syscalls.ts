// Performs one SyscallRequest synchronously on the calling thread: marshals the arguments into
// Linux x86-64 layouts (src/sys/structs.ts), calls libc, unmarshals the outputs. The kernel
// target runs it inline for calls that cannot block and inside a worker thread for calls that may.
import { errnoName } from '../../sys/symbols.js';
import {
  EPOLL_EVENT_LAYOUT, IOVEC_LAYOUT, LOFF_T_LAYOUT, MSGHDR_LAYOUT, POLLFD_LAYOUT,
  decodeInt, decodeSockAddr, decodeStruct, encodeInt, encodeSockAddr, encodeStruct,
} from '../../sys/structs.js';
import type { SockAddr, SyscallRequest, SyscallResult } from '../target.js';
import { call, NativeBuffer, type CallResult } from './libc.js';

const SOCKADDR_STORAGE = 128;
const EINVAL = 22;

function result(r: CallResult, out?: SyscallResult['out']): SyscallResult {
  if (r.ret < 0) return { ret: r.ret, errno: errnoName(r.errno) };
  return out === undefined ? { ret: r.ret } : { ret: r.ret, out };
}

const invalid = (): SyscallResult => ({ ret: -1, errno: errnoName(EINVAL) });

function addrBytes(addr: SockAddr | Uint8Array): Uint8Array | null {
  return addr instanceof Uint8Array ? addr : encodeSockAddr(addr);
}

/** A buffer of at least `len` bytes holding `init` (the kernel may read less or more than given). */
function sized(init: Uint8Array | undefined, len: number): Uint8Array {
  const b = new Uint8Array(Math.max(len, init?.byteLength ?? 0));
  if (init) b.set(init);
  return b;
}

/** iovec array in native memory; `free()` releases it and its buffers. */
class IovecArray {
  readonly bufs: NativeBuffer[];
  readonly array: NativeBuffer;

  constructor(parts: ReadonlyArray<Uint8Array | number>) {
    this.bufs = parts.map((p) => (typeof p === 'number' ? new NativeBuffer(p) : new NativeBuffer(p.byteLength, p)));
    this.array = new NativeBuffer(IOVEC_LAYOUT.size * parts.length);
    this.bufs.forEach((b, i) => encodeStruct(IOVEC_LAYOUT, { iov_base: b.addr, iov_len: b.bytes.byteLength }, this.array.bytes, i * IOVEC_LAYOUT.size));
  }

  /** The first `n` bytes scattered over the buffers, gathered. */
  gather(n: number): Uint8Array {
    const out = new Uint8Array(Math.max(n, 0));
    let at = 0;
    for (const b of this.bufs) {
      if (at >= n) break;
      const take = Math.min(b.bytes.byteLength, n - at);
      out.set(b.bytes.subarray(0, take), at);
      at += take;
    }
    return out;
  }

  free(): void {
    for (const b of this.bufs) b.free();
    this.array.free();
  }
}

function sendmsg(req: Extract<SyscallRequest, { name: 'sendmsg' }>): SyscallResult {
  const iov = new IovecArray(req.iov);
  const name = req.addr ? encodeSockAddr(req.addr) : null;
  if (req.addr && !name) { iov.free(); return invalid(); }
  const nameBuf = name ? new NativeBuffer(name.byteLength, name) : null;
  const ctl = req.control && req.control.byteLength > 0 ? new NativeBuffer(req.control.byteLength, req.control) : null;
  const hdr = encodeStruct(MSGHDR_LAYOUT, {
    msg_name: nameBuf?.addr ?? 0n, msg_namelen: name?.byteLength ?? 0,
    msg_iov: iov.array.addr, msg_iovlen: req.iov.length,
    msg_control: ctl?.addr ?? 0n, msg_controllen: ctl?.bytes.byteLength ?? 0,
  });
  try {
    return result(call('sendmsg', req.fd, hdr, req.flags));
  } finally {
    iov.free(); nameBuf?.free(); ctl?.free();
  }
}

function recvmsg(req: Extract<SyscallRequest, { name: 'recvmsg' }>): SyscallResult {
  const iov = new IovecArray(req.iov);
  const nameBuf = new NativeBuffer(SOCKADDR_STORAGE);
  const ctl = req.controlLen > 0 ? new NativeBuffer(req.controlLen) : null;
  const hdr = encodeStruct(MSGHDR_LAYOUT, {
    msg_name: nameBuf.addr, msg_namelen: SOCKADDR_STORAGE,
    msg_iov: iov.array.addr, msg_iovlen: req.iov.length,
    msg_control: ctl?.addr ?? 0n, msg_controllen: req.controlLen,
  });
  try {
    const r = call('recvmsg', req.fd, hdr, req.flags);
    if (r.ret < 0) return result(r);
    const h = decodeStruct(MSGHDR_LAYOUT, hdr);
    const addr = decodeSockAddr(nameBuf.bytes, Number(h.msg_namelen));
    const control = ctl ? ctl.bytes.slice(0, Number(h.msg_controllen)) : undefined;
    return result(r, {
      kind: 'data', data: iov.gather(r.ret), flags: Number(h.msg_flags),
      ...(addr ? { addr } : {}), ...(control ? { control } : {}),
    });
  } finally {
    iov.free(); nameBuf.free(); ctl?.free();
  }
}

function vectored(name: 'readv' | 'writev', fd: number, parts: ReadonlyArray<Uint8Array | number>): SyscallResult {
  const iov = new IovecArray(parts);
  try {
    const r = call(name, fd, iov.array.bytes, parts.length);
    return name === 'readv' && r.ret >= 0 ? result(r, { kind: 'data', data: iov.gather(r.ret) }) : result(r);
  } finally {
    iov.free();
  }
}

function receiveInto(req: Extract<SyscallRequest, { name: 'read' | 'recv' | 'recvfrom' }>): SyscallResult {
  const buf = new Uint8Array(Math.max(req.len, 0));
  if (req.name === 'read') {
    const r = call('read', req.fd, buf, req.len);
    return result(r, { kind: 'data', data: buf.slice(0, Math.max(r.ret, 0)) });
  }
  if (req.name === 'recv') {
    const r = call('recv', req.fd, buf, req.len, req.flags);
    return result(r, { kind: 'data', data: buf.slice(0, Math.max(r.ret, 0)) });
  }
  const name = new Uint8Array(SOCKADDR_STORAGE);
  const nameLen = encodeInt(SOCKADDR_STORAGE);
  const r = call('recvfrom', req.fd, buf, req.len, req.flags, name, nameLen);
  const addr = decodeSockAddr(name, decodeInt(nameLen));
  return result(r, { kind: 'data', data: buf.slice(0, Math.max(r.ret, 0)), ...(addr ? { addr } : {}) });
}

function poll(req: Extract<SyscallRequest, { name: 'poll' }>): SyscallResult {
  const fds = new Uint8Array(POLLFD_LAYOUT.size * req.fds.length);
  req.fds.forEach((p, i) => encodeStruct(POLLFD_LAYOUT, { fd: p.fd, events: p.events }, fds, i * POLLFD_LAYOUT.size));
  const r = call('poll', fds, req.fds.length, req.timeoutMs);
  const revents = req.fds.map((_, i) => Number(decodeStruct(POLLFD_LAYOUT, fds, i * POLLFD_LAYOUT.size).revents) & 0xffff);
  return result(r, { kind: 'poll', revents });
}

function epollWait(req: Extract<SyscallRequest, { name: 'epoll_wait' }>): SyscallResult {
  const size = EPOLL_EVENT_LAYOUT.size;
  const buf = new Uint8Array(size * Math.max(req.maxEvents, 1));
  const r = call('epoll_wait', req.epfd, buf, req.maxEvents, req.timeoutMs);
  const events = Array.from({ length: Math.max(r.ret, 0) }, (_, i) => {
    const e = decodeStruct(EPOLL_EVENT_LAYOUT, buf, i * size);
    return { events: Number(e.events), data: BigInt(e.data) };
  });
  return result(r, { kind: 'epoll', events });
}

function getsockopt(req: Extract<SyscallRequest, { name: 'getsockopt' }>): SyscallResult {
  // The value is passed in too: MPTCP_TCPINFO / MPTCP_FULL_INFO read a header from it, and
  // MPTCP_FULL_INFO's header points to arrays the kernel fills (native buffers here).
  const value = sized(req.value, req.optlen);
  const sent = value.slice();
  const pointed = (req.buffers ?? []).map((b) => {
    const buf = new NativeBuffer(b.size);
    if (b.at + 8 <= value.byteLength) new DataView(value.buffer, value.byteOffset).setBigUint64(b.at, buf.addr, true);
    return buf;
  });
  try {
    const len = encodeInt(req.optlen);
    const r = call('getsockopt', req.fd, req.level, req.optname, value, len);
    const optlen = decodeInt(len);
    // The addresses are this process's business: the caller gets back the pointer fields it sent.
    for (const b of req.buffers ?? []) if (b.at + 8 <= value.byteLength) value.set(sent.subarray(b.at, b.at + 8), b.at);
    const buffers = pointed.length > 0 ? { buffers: pointed.map((b) => b.bytes.slice()) } : {};
    return result(r, { kind: 'opt', value: value.slice(0, Math.max(0, Math.min(optlen, value.byteLength))), optlen, ...buffers });
  } finally {
    for (const b of pointed) b.free();
  }
}

/** An optional loff_t in/out argument. */
const offset = (v: bigint | undefined): Uint8Array | null => (v === undefined ? null : encodeStruct(LOFF_T_LAYOUT, { value: v }));

export function performSyscall(req: SyscallRequest): SyscallResult {
  switch (req.name) {
    case 'socket': return result(call('socket', req.domain, req.type, req.protocol));
    case 'bind':
    case 'connect': {
      const a = addrBytes(req.addr);
      return a ? result(call(req.name, req.fd, a, req.addrLen)) : invalid();
    }
    case 'listen': return result(call('listen', req.fd, req.backlog));
    case 'accept':
    case 'accept4': {
      const name = req.wantAddr ? new Uint8Array(SOCKADDR_STORAGE) : null;
      const len = req.wantAddr ? encodeInt(SOCKADDR_STORAGE) : null;
      const r = call('accept4', req.fd, name, len, req.name === 'accept' ? 0 : req.flags);
      const addr = name && len ? decodeSockAddr(name, decodeInt(len)) : null;
      return result(r, addr ? { kind: 'addr', addr } : undefined);
    }
    case 'read': case 'recv': case 'recvfrom': return receiveInto(req);
    case 'readv': return vectored('readv', req.fd, req.iov);
    case 'writev': return vectored('writev', req.fd, req.iov);
    // A NULL buffer is a NULL pointer of the written length: the kernel answers EFAULT.
    case 'write': return result(call('write', req.fd, req.nullData ? null : req.data, req.data.byteLength));
    case 'send': return result(call('send', req.fd, req.nullData ? null : req.data, req.data.byteLength, req.flags));
    case 'sendto': {
      const a = req.addr ? addrBytes(req.addr) : null;
      if (req.addr && !a) return invalid();
      return result(call('sendto', req.fd, req.nullData ? null : req.data, req.data.byteLength, req.flags, a, a?.byteLength ?? 0));
    }
    case 'sendmsg': return sendmsg(req);
    case 'recvmsg': return recvmsg(req);
    case 'close': return result(call('close', req.fd));
    case 'shutdown': return result(call('shutdown', req.fd, req.how));
    case 'setsockopt':
      return result(call('setsockopt', req.fd, req.level, req.optname, sized(req.value, req.optlen), req.optlen));
    case 'getsockopt': return getsockopt(req);
    case 'fcntl': return result(call('fcntl', req.fd, req.cmd, req.arg ?? 0));
    case 'ioctl': {
      const arg = req.arg ? Uint8Array.from(req.arg) : null;
      const r = call('ioctl', req.fd, req.request, arg);
      return result(r, arg ? { kind: 'opt', value: arg, optlen: arg.byteLength } : undefined);
    }
    case 'poll': return poll(req);
    case 'epoll_create': return result(call('epoll_create', req.size));
    case 'epoll_create1': return result(call('epoll_create1', req.size));
    case 'epoll_ctl': {
      const ev = encodeStruct(EPOLL_EVENT_LAYOUT, { events: req.events, data: req.data });
      return result(call('epoll_ctl', req.epfd, req.op, req.fd, ev));
    }
    case 'epoll_wait': return epollWait(req);
    case 'pipe': {
      const fds = new Uint8Array(8);
      const r = call('pipe2', fds, req.flags);
      return result(r, r.ret < 0 ? undefined : { kind: 'fds', fds: [decodeInt(fds.subarray(0, 4)), decodeInt(fds.subarray(4, 8))] });
    }
    case 'splice':
      return result(call('splice', req.fdIn, offset(req.offIn), req.fdOut, offset(req.offOut), req.len, req.flags));
    case 'sendfile': return result(call('sendfile', req.outFd, req.inFd, offset(req.offset), req.count));
    case 'open': return result(call('open', req.path, req.flags, req.mode));
  }
}

/** File descriptors a successful call created (so the target can close them at the end). */
export function createdFds(req: SyscallRequest, res: SyscallResult): number[] {
  if (res.ret < 0) return [];
  switch (req.name) {
    case 'socket': case 'accept': case 'accept4': case 'epoll_create': case 'epoll_create1': case 'open':
      return [res.ret];
    case 'pipe': return res.out?.kind === 'fds' ? res.out.fds : [];
    default: return [];
  }
}
