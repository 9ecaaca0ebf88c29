// Entry point for reading captures: tells pcap from pcapng and never throws. A capture is read as
// a stream of frames (`openCapture`, `openCaptureFile`), so a file of any size takes bounded
// memory; `readCapture` collects them for captures already in memory.

import { classicFrames, classicMagic } from './classic-reader.js';
import type { CaptureFormat, CaptureFrame, CaptureReadResult } from './frame.js';
import { isPcapng, pcapngFrames } from './pcapng-reader.js';
import { FileSource, memorySource, type ByteSource } from './source.js';

/**
 * A capture read front to back: iterate it once for its frames; after the iteration, `error` is
 * the sentence describing the damage that stopped it early (absent when the capture was whole).
 */
export class CaptureStream implements Iterable<CaptureFrame> {
  /** Undefined when the bytes are neither pcap nor pcapng (then `error` says so at once). */
  readonly format: CaptureFormat | undefined;
  error: string | undefined;
  private used = false;

  constructor(private readonly source: ByteSource) {
    const magic = source.read(0, 4);
    if (classicMagic(magic)) this.format = 'pcap';
    else if (isPcapng(magic)) this.format = 'pcapng';
    else this.error = magic.length === 0 ? 'not a pcap or pcapng capture (the file is empty)' : 'not a pcap or pcapng capture';
  }

  *[Symbol.iterator](): Iterator<CaptureFrame> {
    if (this.used) throw new Error('a capture stream is read once');
    this.used = true;
    if (this.format === undefined) return;
    const end: { error?: string } = {};
    try {
      yield* this.format === 'pcap' ? classicFrames(this.source, end) : pcapngFrames(this.source, end);
    } finally {
      this.error = end.error;
      this.source.close();
    }
  }
}

/** A capture held in memory, as a stream. */
export function openCapture(bytes: Uint8Array): CaptureStream {
  return new CaptureStream(memorySource(bytes));
}

/** A capture file, read through a bounded window. Throws the fs error when it cannot be opened or read. */
export function openCaptureFile(path: string): CaptureStream {
  const source = new FileSource(path);
  try {
    return new CaptureStream(source);
  } catch (err) {
    source.close();
    throw err;
  }
}

function collect(stream: CaptureStream): CaptureReadResult {
  const frames = [...stream];
  const result: CaptureReadResult = stream.format ? { format: stream.format, frames } : { frames };
  if (stream.error !== undefined) result.error = stream.error;
  return result;
}

/** Reads a whole classic pcap or pcapng capture held in memory. */
export function readCapture(bytes: Uint8Array): CaptureReadResult {
  return collect(openCapture(bytes));
}

/** Reads a capture file; a file that cannot be read gives an error sentence, not an exception. */
export function readCaptureFile(path: string): CaptureReadResult {
  try {
    return collect(openCaptureFile(path));
  } catch (err) {
    return { frames: [], error: `cannot read ${path}: ${describeFsError(err)}` };
  }
}

/** "no such file or directory" rather than Node's "ENOENT: no such file or directory, open 'x'". */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
