// The file side of the bundled stack, as much as TCP tests use: pipe() (an in-memory pipe with
// Linux's 64 KiB capacity) and open() of real files, read-only (sendfile's usual source, e.g.
// /dev/zero). splice() and sendfile() in socket-api.ts move bytes between these and sockets.
import { closeSync, openSync, readSync } from 'node:fs';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from './constants.js';

/** Linux's default pipe capacity: 16 pages. */
export const PIPE_CAPACITY = 65536;
export const O_ACCMODE = 3;
export const SPLICE_F_NONBLOCK = 2;

export class Pipe {
  private chunks: Uint8Array[] = [];
  queued = 0;
  readers = 1;
  writers = 1;

  get space(): number {
    return PIPE_CAPACITY - this.queued;
  }

  /** Appends what fits; returns the byte count taken. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.space);
    if (n > 0) { this.chunks.push(data.slice(0, n)); this.queued += n; }
    return n;
  }

  /** Up to `max` bytes from the front; `consume` false leaves them in the pipe. */
  read(max: number, consume = true): Uint8Array {
    const n = Math.min(max, this.queued);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      if (at >= n) break;
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
    }
    if (consume) this.consume(n);
    return out;
  }

  consume(n: number): void {
    this.queued -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.length <= n) { this.chunks.shift(); n -= c.length; } else { this.chunks[0] = c.subarray(n); n = 0; }
    }
  }
}

/** One end of a pipe, as a file descriptor sees it. */
export class PipeEnd {
  readonly kind = 'pipe' as const;
  constructor(readonly pipe: Pipe, readonly end: 'read' | 'write', public nonblock: boolean) {}

  close(): void {
    if (this.end === 'read') this.pipe.readers--;
    else this.pipe.writers--;
  }

  /** pipe_poll(): readable with data or without writers, writable with room, errors without readers. */
  readiness(): number {
    const p = this.pipe;
    if (this.end === 'read') return (p.queued > 0 ? POLLIN | POLLRDNORM : 0) | (p.writers === 0 ? POLLHUP : 0);
    return (p.space > 0 ? POLLOUT | POLLWRNORM : 0) | (p.readers === 0 ? POLLERR : 0);
  }
}

/** A real file opened read-only: reads go to the file itself (at its position, or at an offset). */
export class OpenFile {
  readonly kind = 'file' as const;
  position = 0;
  nonblock = false;
  constructor(private readonly fd: number) {}

  /** Up to `len` bytes at `offset` (default: the position, which then moves). */
  read(len: number, offset?: number): Uint8Array | string {
    const buf = new Uint8Array(Math.max(0, len));
    try {
      const n = readSync(this.fd, buf, 0, buf.length, offset ?? this.position);
      if (offset === undefined) this.position += n;
      return buf.subarray(0, n);
    } catch (e) {
      return errnoOf(e);
    }
  }

  close(): void {
    try { closeSync(this.fd); } catch { /* already gone: close() still succeeds for the script */ }
  }

  readiness(): number {
    return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM; // regular files are always ready
  }
}

/**
 * open(path, flags). Only read-only opens: the bundled stack never writes the host's files, so
 * write access is refused as on a read-only file system (EROFS).
 */
export function openFile(path: string, flags: number): OpenFile | string {
  if ((flags & O_ACCMODE) !== 0) return 'EROFS';
  try {
    return new OpenFile(openSync(path, 'r'));
  } catch (e) {
    return errnoOf(e);
  }
}

/** Node's error code is the errno name (ENOENT, EACCES, EISDIR, ...). */
function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : 'EIO';
}

/** The bytes of several buffers, in order (writev, sendmsg). */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
