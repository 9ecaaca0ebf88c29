// Writer for classic pcap files with link type RAW (101) and microsecond stamps: what
// `--pcap` output and the test generators write. Usable incrementally (open, append, close).

import { closeSync, openSync, writeSync } from 'node:fs';
import { LinkType } from './linktype.js';
import { PCAP_MAGIC_MICRO } from './classic-reader.js';

const DEFAULT_SNAPLEN = 262144;
/** Appended records are buffered and written once this many bytes wait. */
const FLUSH_THRESHOLD = 1 << 16;

export function pcapGlobalHeader(snaplen = DEFAULT_SNAPLEN, linktype: number = LinkType.RAW): Uint8Array {
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  view.setUint32(0, PCAP_MAGIC_MICRO, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snaplen, true);
  view.setUint32(20, linktype, true);
  return header;
}

/** One record (16-byte header + data) for a packet captured at `time` seconds. */
export function pcapRecord(data: Uint8Array, time: number): Uint8Array {
  if (!(time >= 0)) time = 0;
  let seconds = Math.floor(time);
  let micros = Math.round((time - seconds) * 1e6);
  if (micros >= 1e6) {
    seconds += 1;
    micros -= 1e6;
  }
  const record = new Uint8Array(16 + data.length);
  const view = new DataView(record.buffer);
  view.setUint32(0, seconds >>> 0, true);
  view.setUint32(4, micros, true);
  view.setUint32(8, data.length, true);
  view.setUint32(12, data.length, true);
  record.set(data, 16);
  return record;
}

/** A whole RAW pcap file in memory. */
export function encodePcap(packets: Iterable<{ ip: Uint8Array; time: number }>): Uint8Array {
  const parts: Uint8Array[] = [pcapGlobalHeader()];
  for (const p of packets) parts.push(pcapRecord(p.ip, p.time));
  return Buffer.concat(parts);
}

export class PcapWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private fd: number | undefined;

  private constructor(fd: number, readonly path: string) {
    this.fd = fd;
  }

  /** Creates (or truncates) `path` and writes the file header. Throws the fs error if it cannot. */
  static open(path: string): PcapWriter {
    const writer = new PcapWriter(openSync(path, 'w'), path);
    writer.write(pcapGlobalHeader());
    return writer;
  }

  /** Appends one IP packet captured at `time` (seconds since the epoch, or since the run began). */
  append(ip: Uint8Array, time: number): void {
    this.write(pcapRecord(ip, time));
  }

  /** Writes out buffered records, so that a reader sees every packet appended so far. */
  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    writeSync(this.fd, Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`pcap writer for ${this.path} is already closed`);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= FLUSH_THRESHOLD) this.flush();
  }
}
