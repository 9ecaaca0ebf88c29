// Reader for classic libpcap files: both byte orders, microsecond and nanosecond magics.

import type { CaptureFrame } from './frame.js';
import type { ByteSource } from './source.js';
import { extractIp } from './linktype.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** libpcap refuses records larger than this unless the snap length is larger still. */
const MAX_SANE_RECORD = 262144;

/** Which magic (and so which byte order and time unit) the 4 first bytes are, if any. */
export function classicMagic(bytes: Uint8Array): { littleEndian: boolean; nano: boolean } | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === PCAP_MAGIC_MICRO) return { littleEndian, nano: false };
    if (magic === PCAP_MAGIC_NANO) return { littleEndian, nano: true };
  }
  return undefined;
}

/** Largest record read whatever the header's snap length says (memory stays bounded). */
const MAX_RECORD = 64 << 20;

/** The frames of a classic pcap, read front to back; `end.error` says what stopped them early. */
export function* classicFrames(source: ByteSource, end: { error?: string }): Generator<CaptureFrame> {
  const head = source.read(0, GLOBAL_HEADER);
  const magic = classicMagic(head);
  if (!magic) {
    end.error = 'not a pcap or pcapng capture';
    return;
  }
  if (head.length < GLOBAL_HEADER) {
    end.error = `pcap file header is truncated (${head.length} of ${GLOBAL_HEADER} bytes)`;
    return;
  }
  const header = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = magic.littleEndian;
  const snaplen = header.getUint32(16, le);
  // The top bits of the link-type field carry FCS information (pcap-savefile(5)); the type is below.
  const linktype = header.getUint32(20, le) & 0x03ffffff;
  const perSecond = magic.nano ? 1e9 : 1e6;
  const maxRecord = Math.min(Math.max(snaplen, MAX_SANE_RECORD), MAX_RECORD);

  let offset = GLOBAL_HEADER;
  for (let index = 1; ; index++) {
    const record = source.read(offset, RECORD_HEADER);
    if (record.length === 0) return;
    if (record.length < RECORD_HEADER) {
      end.error = `record ${index} header is truncated (${record.length} of ${RECORD_HEADER} bytes)`;
      return;
    }
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const seconds = view.getUint32(0, le);
    const fraction = view.getUint32(4, le);
    const captured = view.getUint32(8, le);
    const original = view.getUint32(12, le);
    if (captured > maxRecord) {
      end.error = `record ${index} claims ${captured} captured bytes, more than any capture allows (snap length ${snaplen})`;
      return;
    }
    const start = offset + RECORD_HEADER;
    const data = source.read(start, captured);
    if (data.length < captured) {
      end.error = `record ${index} is truncated (${captured} bytes announced, ${data.length} left in the file)`;
      return;
    }
    yield { index, time: seconds + fraction / perSecond, linktype, originalLength: original, ...extractIp(linktype, data) };
    offset = start + captured;
  }
}
