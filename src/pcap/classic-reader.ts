// Reader for classic libpcap files: both byte orders, microsecond and nanosecond magics.

import type { CaptureFrame, CaptureReadResult } from './frame.js';
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

export function readClassicPcap(bytes: Uint8Array): CaptureReadResult {
  const frames: CaptureFrame[] = [];
  const magic = classicMagic(bytes);
  if (!magic) return { frames, error: 'not a pcap or pcapng capture' };
  const result: CaptureReadResult = { format: 'pcap', frames };
  if (bytes.length < GLOBAL_HEADER) {
    result.error = `pcap file header is truncated (${bytes.length} of ${GLOBAL_HEADER} bytes)`;
    return result;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = magic.littleEndian;
  const snaplen = view.getUint32(16, le);
  // The top bits of the link-type field carry FCS information (pcap-savefile(5)); the type is below.
  const linktype = view.getUint32(20, le) & 0x03ffffff;
  const perSecond = magic.nano ? 1e9 : 1e6;
  const maxRecord = Math.max(snaplen, MAX_SANE_RECORD);

  let offset = GLOBAL_HEADER;
  while (offset < bytes.length) {
    const index = frames.length + 1;
    if (bytes.length - offset < RECORD_HEADER) {
      result.error = `record ${index} header is truncated (${bytes.length - offset} of ${RECORD_HEADER} bytes)`;
      return result;
    }
    const seconds = view.getUint32(offset, le);
    const fraction = view.getUint32(offset + 4, le);
    const captured = view.getUint32(offset + 8, le);
    const original = view.getUint32(offset + 12, le);
    if (captured > maxRecord) {
      result.error = `record ${index} claims ${captured} captured bytes, more than any capture allows (snap length ${snaplen})`;
      return result;
    }
    const start = offset + RECORD_HEADER;
    if (start + captured > bytes.length) {
      result.error = `record ${index} is truncated (${captured} bytes announced, ${bytes.length - start} left in the file)`;
      return result;
    }
    const data = bytes.subarray(start, start + captured);
    frames.push({ index, time: seconds + fraction / perSecond, linktype, originalLength: original, ...extractIp(linktype, data) });
    offset = start + captured;
  }
  return result;
}
