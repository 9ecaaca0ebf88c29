// Entry point for reading captures: tells pcap from pcapng and never throws.

import { readFileSync } from 'node:fs';
import { classicMagic, readClassicPcap } from './classic-reader.js';
import type { CaptureReadResult } from './frame.js';
import { isPcapng, readPcapng } from './pcapng-reader.js';

/** Reads a whole classic pcap or pcapng capture held in memory. */
export function readCapture(bytes: Uint8Array): CaptureReadResult {
  if (classicMagic(bytes)) return readClassicPcap(bytes);
  if (isPcapng(bytes)) return readPcapng(bytes);
  if (bytes.length === 0) return { frames: [], error: 'not a pcap or pcapng capture (the file is empty)' };
  return { frames: [], error: 'not a pcap or pcapng capture' };
}

/** Reads a capture file; a file that cannot be read gives an error sentence, not an exception. */
export function readCaptureFile(path: string): CaptureReadResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    return { frames: [], error: `cannot read ${path}: ${describeFsError(err)}` };
  }
  return readCapture(bytes);
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
