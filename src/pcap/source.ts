// Where capture readers take their bytes from: memory, or a file read forward through a window,
// so a capture of any size is decoded in bounded memory (a 935 MB capture once took 1 GiB).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  /**
   * Bytes [offset, offset + length), fewer when the input ends first. The bytes returned stay
   * valid (the caller may keep them). Offsets only go forward: a call never asks for bytes before
   * the previous call's offset (files and pipes are read once, front to back).
   */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** A capture already in memory: views, no copies. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    read: (offset, length) => bytes.subarray(Math.min(offset, bytes.length), Math.min(bytes.length, offset + length)),
    close: () => undefined,
  };
}

/** Bytes read from the file at a time, at least. */
const CHUNK = 1 << 20;

/**
 * A file (or pipe) read front to back. The window holds the bytes from the last offset asked for
 * on; what lies before it is dropped. A read the window cannot serve reads on into a new buffer
 * (the old one is never written again, so views handed out before stay valid), grown with the
 * data that really arrives: a record that claims 4 GB in a short file allocates no more than the
 * file holds.
 */
export class FileSource implements ByteSource {
  private readonly fd: number;
  /** The window: file bytes from `start` on. */
  private window = new Uint8Array(0);
  private start = 0;
  private eof = false;

  /** Throws the fs error when the file cannot be opened (EISDIR for a folder). */
  constructor(path: string) {
    this.fd = openSync(path, 'r');
    try {
      if (fstatSync(this.fd).isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  read(offset: number, length: number): Uint8Array {
    if (offset < this.start) throw new RangeError(`capture read backwards (offset ${offset} before ${this.start})`);
    // Drop what lies before `offset`; skip (read and forget) what lies between the window and it.
    const drop = Math.min(offset - this.start, this.window.length);
    this.window = this.window.subarray(drop);
    this.start += drop;
    if (this.start < offset) this.skip(offset - this.start);
    if (this.window.length < length) this.fill(length);
    return this.window.subarray(0, Math.min(length, this.window.length));
  }

  close(): void {
    closeSync(this.fd);
  }

  private skip(count: number): void {
    const scratch = new Uint8Array(Math.min(count, CHUNK));
    while (count > 0 && !this.eof) {
      const n = readSync(this.fd, scratch, 0, Math.min(count, scratch.length), null);
      if (n === 0) this.eof = true;
      count -= n;
      this.start += n;
    }
  }

  /** Reads on until the window holds `length` bytes or the input ends. */
  private fill(length: number): void {
    while (this.window.length < length && !this.eof) {
      // At least a chunk; past that, double, but never beyond what was asked for.
      const grow = Math.max(CHUNK, Math.min(length - this.window.length, this.window.length));
      const next = new Uint8Array(this.window.length + grow);
      next.set(this.window);
      let filled = this.window.length;
      while (filled < next.length) {
        const n = readSync(this.fd, next, filled, next.length - filled, null);
        if (n === 0) {
          this.eof = true;
          break;
        }
        filled += n;
      }
      this.window = next.subarray(0, filled);
    }
  }
}
