// pipe, open, read/write on pipes and files, splice and sendfile for the bundled stack, with
// Linux's errnos. Bytes to and from sockets go through the socket layer's own send and receive,
// so splice and sendfile block, wake and fail exactly as write and read do.
import type { SyscallRequest, SyscallResult } from '../targets/target.js';
import { MSG_DONTWAIT, O_NONBLOCK } from './constants.js';
import { concat, openFile, OpenFile, Pipe, PipeEnd, SPLICE_F_NONBLOCK } from './files.js';
import { Socket, type FileEntry } from './socket.js';

export type AnyFile = FileEntry | PipeEnd | OpenFile;
type Result = SyscallResult | Promise<SyscallResult>;

/** What the file calls need from the socket layer. */
export interface FileCallHost {
  file(fd: number): AnyFile | undefined;
  allocFd(f: AnyFile): number;
  block(check: () => SyscallResult | undefined): Result;
  send(s: Socket, data: Uint8Array, flags: number): Result;
  recv(s: Socket, len: number, flags: number): Result;
}

const fail = (errno: string): SyscallResult => ({ ret: -1, errno });
const ok = (ret = 0): SyscallResult => ({ ret });
const then = (r: Result, f: (x: SyscallResult) => Result): Result => (r instanceof Promise ? r.then(f) : f(r));
const dataOf = (x: SyscallResult): Uint8Array => (x.out?.kind === 'data' ? x.out.data : new Uint8Array(0));

export class FileCalls {
  constructor(private readonly host: FileCallHost) {}

  /** The call's result when it is a file call or names a pipe or file; undefined for the socket layer. */
  handle(req: SyscallRequest): Result | undefined {
    switch (req.name) {
      case 'pipe': return this.pipe(req.flags);
      case 'open': {
        const f = openFile(req.path, req.flags);
        return typeof f === 'string' ? fail(f) : ok(this.host.allocFd(f));
      }
      case 'sendfile': return this.sendfile(req.outFd, req.inFd, req.offset, req.count);
      case 'splice': return this.splice(req);
      case 'read': {
        const f = this.nonSocket(req.fd);
        return f && this.read(f, req.len);
      }
      case 'readv': {
        const f = this.nonSocket(req.fd);
        return f && this.read(f, req.iov.reduce((a, b) => a + b, 0));
      }
      case 'write': {
        const f = this.nonSocket(req.fd);
        return f && this.write(f, req.data);
      }
      case 'writev': {
        const f = this.nonSocket(req.fd);
        return f && this.write(f, concat(req.iov));
      }
      default: return undefined;
    }
  }

  private nonSocket(fd: number): PipeEnd | OpenFile | undefined {
    const f = this.host.file(fd);
    return f && (f.kind === 'pipe' || f.kind === 'file') ? f : undefined;
  }

  private pipe(flags: number): SyscallResult {
    const p = new Pipe();
    const nonblock = (flags & O_NONBLOCK) !== 0;
    const r = this.host.allocFd(new PipeEnd(p, 'read', nonblock));
    const w = this.host.allocFd(new PipeEnd(p, 'write', nonblock));
    return { ret: 0, out: { kind: 'fds', fds: [r, w] } };
  }

  private read(f: PipeEnd | OpenFile, len: number): Result {
    if (f.kind === 'file') {
      const d = f.read(len);
      return typeof d === 'string' ? fail(d) : { ret: d.length, out: { kind: 'data', data: d } };
    }
    if (f.end !== 'read') return fail('EBADF');
    return this.host.block(() => {
      if (len === 0) return ok(0);
      if (f.pipe.queued > 0) {
        const data = f.pipe.read(len);
        return { ret: data.length, out: { kind: 'data', data } };
      }
      if (f.pipe.writers === 0) return ok(0);
      return f.nonblock ? fail('EAGAIN') : undefined;
    });
  }

  /** Into a pipe: all of it (blocking) or what fits (non-blocking); EPIPE without readers. */
  private write(f: PipeEnd | OpenFile, data: Uint8Array, nonblock = false): Result {
    if (f.kind === 'file' || f.end !== 'write') return fail('EBADF'); // files are open read-only
    let written = 0;
    return this.host.block(() => {
      if (f.pipe.readers === 0) return written > 0 ? ok(written) : fail('EPIPE');
      written += f.pipe.write(data.subarray(written));
      if (written === data.length) return ok(written);
      if (f.nonblock || nonblock) return written > 0 ? ok(written) : fail('EAGAIN');
      return undefined;
    });
  }

  /** sendfile(out, in, offset, count): from a file into a socket (or pipe); the position moves by what was sent. */
  private sendfile(outFd: number, inFd: number, offset: bigint | undefined, count: number): Result {
    const src = this.host.file(inFd);
    const dst = this.host.file(outFd);
    if (!src || !dst) return fail('EBADF');
    if (src.kind !== 'file' || dst.kind === 'epoll' || dst.kind === 'file') return fail('EINVAL');
    if (dst.kind === 'pipe' && dst.end !== 'write') return fail('EBADF');
    const at = offset === undefined ? src.position : Number(offset);
    const data = src.read(count, at);
    if (typeof data === 'string') return fail(data);
    if (data.length === 0) return ok(0);
    const sent = dst.kind === 'socket' ? this.host.send(dst, data, 0) : this.write(dst, data);
    return then(sent, (r) => {
      if (r.ret > 0 && offset === undefined) src.position += r.ret;
      return r.ret >= 0 ? ok(r.ret) : r;
    });
  }

  /** splice(): one side a pipe; the other a pipe, a socket or (as the source) a file. */
  private splice(req: Extract<SyscallRequest, { name: 'splice' }>): Result {
    const src = this.host.file(req.fdIn);
    const dst = this.host.file(req.fdOut);
    if (!src || !dst) return fail('EBADF');
    if (src.kind !== 'pipe' && dst.kind !== 'pipe') return fail('EINVAL');
    if (src.kind === 'epoll' || dst.kind === 'epoll' || dst.kind === 'file') return fail('EINVAL');
    if ((src.kind === 'pipe' && src.end !== 'read') || (dst.kind === 'pipe' && dst.end !== 'write')) return fail('EBADF');
    // Offsets only for a file; pipes and sockets cannot seek.
    if ((req.offIn !== undefined && src.kind !== 'file') || req.offOut !== undefined) return fail('ESPIPE');
    const nonblock = (req.flags & SPLICE_F_NONBLOCK) !== 0;
    if (dst.kind === 'pipe') return this.spliceIntoPipe(src as Socket | OpenFile | PipeEnd, dst, req.len, req.offIn, nonblock);
    return this.spliceFromPipe(src as PipeEnd, dst, req.len, nonblock);
  }

  private spliceIntoPipe(src: Socket | OpenFile | PipeEnd, dst: PipeEnd, len: number, offIn: bigint | undefined, flagNonblock: boolean): Result {
    const p = dst.pipe;
    const nonblock = flagNonblock || dst.nonblock;
    const room = this.host.block(() => (p.readers === 0 ? fail('EPIPE') : p.space > 0 ? ok() : nonblock ? fail('EAGAIN') : undefined));
    return then(room, (r) => {
      if (r.ret < 0) return r;
      const n = Math.min(len, p.space);
      if (src.kind === 'file') {
        const d = src.read(n, offIn === undefined ? undefined : Number(offIn));
        return typeof d === 'string' ? fail(d) : ok(p.write(d));
      }
      if (src.kind === 'pipe') return then(this.read(src, n), (x) => (x.ret > 0 ? ok(p.write(dataOf(x))) : x));
      return then(this.host.recv(src, n, nonblock || src.nonblock ? MSG_DONTWAIT : 0), (x) => (x.ret > 0 ? ok(p.write(dataOf(x))) : { ...x, out: undefined }));
    });
  }

  private spliceFromPipe(src: PipeEnd, dst: Socket, len: number, flagNonblock: boolean): Result {
    const p = src.pipe;
    const nonblock = flagNonblock || src.nonblock;
    const ready = this.host.block(() => (p.queued > 0 ? ok(1) : p.writers === 0 ? ok(0) : nonblock ? fail('EAGAIN') : undefined));
    return then(ready, (r) => {
      if (r.ret <= 0) return r;
      return then(this.host.send(dst, p.read(len, false), nonblock ? MSG_DONTWAIT : 0), (x) => {
        if (x.ret > 0) p.consume(x.ret);
        return x;
      });
    });
  }
}
