// The TCP header: bytes <-> TcpSegment. Lengths that lie are kept (dataOffsetOnWire) so that
// the encoder writes back exactly what was read.

import type { TcpOption, TcpSegment } from './packet.js';
import { EMPTY } from './bytes.js';
import { decodeTcpOptionsInto, tcpOptionsLength, writeTcpOption } from './tcp-options.js';

export const TCP_HEADER_MIN = 20;

/**
 * Decode the TCP segment in b[start, end). Returns undefined when not even the 20-byte fixed
 * header is there (the caller then keeps the bytes raw). Damage goes to `errors`.
 */
export function decodeTcp(b: Uint8Array, v: DataView, start: number, end: number, errors: string[]): TcpSegment | undefined {
  const len = end - start;
  if (len < TCP_HEADER_MIN) {
    errors.push(`truncated TCP header: ${len} of 20 bytes`);
    return undefined;
  }
  const b12 = b[start + 12]!;
  const doff = b12 >> 4;
  const seg: TcpSegment = {
    srcPort: v.getUint16(start),
    dstPort: v.getUint16(start + 2),
    seq: v.getUint32(start + 4),
    ack: v.getUint32(start + 8),
    flags: b[start + 13]! | ((b12 & 1) << 8),
    window: v.getUint16(start + 14),
    urgent: v.getUint16(start + 18),
    checksum: v.getUint16(start + 16),
    options: [],
    payload: EMPTY,
  };
  const reserved = (b12 >> 1) & 7;
  if (reserved !== 0) seg.reserved = reserved;
  let hdrEnd: number;
  if (doff < 5) {
    errors.push(`TCP data offset ${doff} is below 5 (a 20-byte header)`);
    seg.dataOffsetOnWire = doff;
    hdrEnd = start + TCP_HEADER_MIN;
  } else if (doff * 4 > len) {
    errors.push(`TCP data offset ${doff} (${doff * 4} bytes) is beyond the ${len}-byte segment`);
    seg.dataOffsetOnWire = doff;
    hdrEnd = end;
  } else {
    hdrEnd = start + doff * 4;
  }
  decodeTcpOptionsInto(b, v, start + TCP_HEADER_MIN, hdrEnd, seg.options);
  seg.payload = b.subarray(hdrEnd, end);
  return seg;
}

/**
 * Bytes of the TCP header the encoder will write: options padded with zeros to 4 bytes, except
 * when the data offset lied (dataOffsetOnWire), where the decoded option bytes are all there is.
 */
export function tcpHeaderLength(seg: TcpSegment): number {
  const opt = tcpOptionsLength(seg.options);
  return TCP_HEADER_MIN + (seg.dataOffsetOnWire !== undefined ? opt : (opt + 3) & ~3);
}

/** Write the header and payload at `p` (checksum field left as given, or 0 when undefined). */
export function writeTcp(b: Uint8Array, v: DataView, p: number, seg: TcpSegment, hdrLen: number): number {
  v.setUint16(p, seg.srcPort & 0xffff);
  v.setUint16(p + 2, seg.dstPort & 0xffff);
  v.setUint32(p + 4, seg.seq >>> 0);
  v.setUint32(p + 8, seg.ack >>> 0);
  const doff = seg.dataOffsetOnWire ?? hdrLen >> 2;
  b[p + 12] = ((doff & 15) << 4) | (((seg.reserved ?? 0) & 7) << 1) | ((seg.flags >> 8) & 1);
  b[p + 13] = seg.flags & 0xff;
  v.setUint16(p + 14, seg.window & 0xffff);
  v.setUint16(p + 16, (seg.checksum ?? 0) & 0xffff);
  v.setUint16(p + 18, seg.urgent & 0xffff);
  let q = p + TCP_HEADER_MIN;
  const opts: TcpOption[] = seg.options;
  for (let i = 0; i < opts.length; i++) q = writeTcpOption(b, v, q, opts[i]!);
  // Padding bytes (when hand-built options do not fill 4-byte words) stay zero = EOL.
  q = p + hdrLen;
  b.set(seg.payload, q);
  return q + seg.payload.length;
}
