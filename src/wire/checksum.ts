// Internet checksum (RFC 1071) pieces. Sums are kept as plain integers and folded at the end:
// a JS number holds the sum of far more 16-bit words than any packet has.

/** Sum of the big-endian 16-bit words of bytes[start, end) (odd tail padded with zero). */
export function sumWords(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  let i = start;
  // Eight bytes per round: the sum of four words, fewer loop tests (this is the hot loop).
  for (; i + 7 < end; i += 8) {
    s +=
      ((bytes[i]! + bytes[i + 2]! + bytes[i + 4]! + bytes[i + 6]!) << 8) +
      bytes[i + 1]! + bytes[i + 3]! + bytes[i + 5]! + bytes[i + 7]!;
  }
  for (; i + 1 < end; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) s += bytes[i]! << 8;
  return s;
}

/** Fold carries into 16 bits (no inversion). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Fold carries and invert: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** IPv4 header checksum of header bytes [start, end), the checksum field (start+10) counted as 0. */
export function ipv4HeaderChecksum(bytes: Uint8Array, start: number, end: number): number {
  const field = (bytes[start + 10]! << 8) | bytes[start + 11]!;
  return finishChecksum(sumWords(bytes, start, end) - field);
}

/**
 * TCP checksum of a segment (header + payload) over the pseudo-header of RFC 793 / RFC 8200;
 * the family follows from the address length (4 or 16 bytes). The segment's own checksum
 * field (bytes 16-17) is counted as zero, so this is the value the field should hold.
 */
export function tcpChecksum(src: Uint8Array, dst: Uint8Array, segment: Uint8Array): number {
  return transportChecksum(src, 0, dst, 0, src.length, 6, segment, 0, segment.length, 16);
}

/** Unfolded sum of the TCP/UDP pseudo-header (addresses, protocol, transport length). */
function pseudoHeaderSum(srcBuf: Uint8Array, srcAt: number, dstBuf: Uint8Array, dstAt: number, addrLen: number, protocol: number, length: number): number {
  const s = sumWords(srcBuf, srcAt, srcAt + addrLen) + sumWords(dstBuf, dstAt, dstAt + addrLen);
  return s + protocol + (length & 0xffff) + Math.floor(length / 0x10000);
}

/**
 * The folded, non-inverted pseudo-header sum: what a sender using checksum offload
 * (CHECKSUM_PARTIAL) leaves in the field; captures on lo/veth show it on outgoing packets.
 */
export function partialChecksum(srcBuf: Uint8Array, srcAt: number, dstBuf: Uint8Array, dstAt: number, addrLen: number, protocol: number, length: number): number {
  return foldSum(pseudoHeaderSum(srcBuf, srcAt, dstBuf, dstAt, addrLen, protocol, length));
}

/** The general form used by the codec: addresses and segment as ranges of larger buffers. */
export function transportChecksum(
  srcBuf: Uint8Array,
  srcAt: number,
  dstBuf: Uint8Array,
  dstAt: number,
  addrLen: number,
  protocol: number,
  seg: Uint8Array,
  segStart: number,
  segEnd: number,
  fieldOffset: number,
): number {
  let s = pseudoHeaderSum(srcBuf, srcAt, dstBuf, dstAt, addrLen, protocol, segEnd - segStart) + sumWords(seg, segStart, segEnd);
  const f = segStart + fieldOffset;
  if (f + 1 < segEnd) s -= (seg[f]! << 8) | seg[f + 1]!;
  return finishChecksum(s);
}
