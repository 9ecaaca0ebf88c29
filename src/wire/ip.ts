// IPv4 / IPv6 packets: bytes <-> IpPacket. decodeIp never throws: whatever cannot be read is
// kept raw and described in `errors`, and encodeIp(decodeIp(b)) gives b back byte for byte.

import type { IpPacket, Ipv4Header, Ipv6Header, TcpSegment } from './packet.js';
import { allocBytes, EMPTY, viewOf } from './bytes.js';
import { formatAddress, parseAddressCached } from './addr.js';
import { ipv4HeaderChecksum, partialChecksum, transportChecksum } from './checksum.js';
import { decodeTcp, tcpHeaderLength, writeTcp } from './tcp.js';

export const IPPROTO_TCP = 6;
const IPV4_HEADER_MIN = 20;
const IPV6_HEADER = 40;

/** IPv6 extension headers walked over to find the transport (RFC 8200 §4, plus AH/mobility/HIP/shim6). */
const IPV6_EXTENSIONS = new Set([0, 43, 44, 51, 60, 135, 139, 140]);

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function emptyV4(): Ipv4Header {
  return { version: 4, tos: 0, id: 0, fragment: 0, ttl: 0, protocol: 0, src: '0.0.0.0', dst: '0.0.0.0', options: EMPTY };
}

function rawPacket(b: Uint8Array, ip: Ipv4Header | Ipv6Header, reason: string): IpPacket {
  return { ip, errors: [reason], raw: b };
}

function hasNonZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return true;
  return false;
}

/** Decide where the IP payload ends from the length field; records lies and trailers. */
function payloadEnd(pkt: IpPacket, b: Uint8Array, declaredEnd: number, headerEnd: number, what: string, declared: number): { end: number; lied: boolean } {
  const n = b.length;
  if (declaredEnd < headerEnd) {
    pkt.errors.push(`${what} ${declared} is shorter than the ${headerEnd}-byte header`);
    return { end: n, lied: true };
  }
  if (declaredEnd > n) {
    pkt.errors.push(`${what} ${declared} exceeds the packet: ${declaredEnd - n} bytes missing`);
    return { end: n, lied: true };
  }
  if (declaredEnd < n) {
    pkt.trailer = b.subarray(declaredEnd);
    if (hasNonZero(pkt.trailer)) pkt.errors.push(`${n - declaredEnd} non-zero bytes follow the end the ${what} gives`);
  }
  return { end: declaredEnd, lied: false };
}

function decodeTransport(
  pkt: IpPacket,
  b: Uint8Array,
  v: DataView,
  start: number,
  end: number,
  protocol: number,
  srcAt: number,
  dstAt: number,
  addrLen: number,
  verifyChecksum: boolean,
): void {
  if (protocol === IPPROTO_TCP) {
    const tcp = decodeTcp(b, v, start, end, pkt.errors);
    if (tcp) {
      pkt.tcp = tcp;
      if (verifyChecksum) {
        const want = transportChecksum(b, srcAt, b, dstAt, addrLen, IPPROTO_TCP, b, start, end, 16);
        // 0x0000 and 0xffff are the two one's-complement spellings of zero: both are valid.
        if (want !== tcp.checksum && !(want === 0 && tcp.checksum === 0xffff)) {
          const partial = partialChecksum(b, srcAt, b, dstAt, addrLen, IPPROTO_TCP, end - start) === tcp.checksum;
          pkt.errors.push(
            partial
              ? `TCP checksum ${hex4(tcp.checksum!)} is partial (pseudo-header only, left by checksum offload): expected ${hex4(want)}`
              : `TCP checksum ${hex4(tcp.checksum!)} is wrong: expected ${hex4(want)}`,
          );
        }
      }
      return;
    }
  }
  pkt.other = { protocol, bytes: b.subarray(start, end) };
}

function decodeV4(b: Uint8Array, v: DataView): IpPacket {
  const n = b.length;
  if (n < IPV4_HEADER_MIN) return rawPacket(b, emptyV4(), `truncated IPv4 header: ${n} of 20 bytes`);
  const ihl = (b[0]! & 15) * 4;
  const ip: Ipv4Header = {
    version: 4,
    tos: b[1]!,
    id: v.getUint16(4),
    fragment: v.getUint16(6),
    ttl: b[8]!,
    protocol: b[9]!,
    checksum: v.getUint16(10),
    src: formatAddress(b, 12, 4),
    dst: formatAddress(b, 16, 4),
    options: EMPTY,
  };
  if (ihl < IPV4_HEADER_MIN) return rawPacket(b, ip, `IPv4 header length ${ihl} is below 20 bytes`);
  if (ihl > n) return rawPacket(b, ip, `IPv4 header length ${ihl} is beyond the ${n}-byte packet`);
  ip.options = b.subarray(IPV4_HEADER_MIN, ihl);
  const pkt: IpPacket = { ip, errors: [] };
  const want = ipv4HeaderChecksum(b, 0, ihl);
  if (want !== ip.checksum) pkt.errors.push(`IPv4 header checksum ${hex4(ip.checksum!)} is wrong: expected ${hex4(want)}`);
  const total = v.getUint16(2);
  const { end, lied } = payloadEnd(pkt, b, total, ihl, 'IPv4 total length', total);
  if (lied) ip.totalLengthOnWire = total;
  const fragOffset = ip.fragment & 0x1fff;
  const moreFragments = (ip.fragment & 0x2000) !== 0;
  if (fragOffset !== 0) {
    pkt.other = { protocol: ip.protocol, bytes: b.subarray(ihl, end) };
    return pkt;
  }
  decodeTransport(pkt, b, v, ihl, end, ip.protocol, 12, 16, 4, !lied && !moreFragments);
  return pkt;
}

function decodeV6(b: Uint8Array, v: DataView): IpPacket {
  const n = b.length;
  const word0 = n >= 4 ? v.getUint32(0) : 0;
  const ip: Ipv6Header = {
    version: 6,
    trafficClass: (word0 >>> 20) & 0xff,
    flowLabel: word0 & 0xfffff,
    nextHeader: n > 6 ? b[6]! : 0,
    hopLimit: n > 7 ? b[7]! : 0,
    src: '::',
    dst: '::',
    extensions: EMPTY,
  };
  if (n < IPV6_HEADER) return rawPacket(b, ip, `truncated IPv6 header: ${n} of 40 bytes`);
  ip.src = formatAddress(b, 8, 16);
  ip.dst = formatAddress(b, 24, 16);
  const pkt: IpPacket = { ip, errors: [] };
  const plen = v.getUint16(4);
  const { end, lied } = payloadEnd(pkt, b, IPV6_HEADER + plen, IPV6_HEADER, 'IPv6 payload length', plen);
  if (lied) ip.payloadLengthOnWire = plen;
  let p = IPV6_HEADER;
  let nh = ip.nextHeader;
  let fragmented = false;
  let broken = false;
  while (IPV6_EXTENSIONS.has(nh)) {
    if (p + 8 > end) {
      pkt.errors.push(`truncated IPv6 extension header ${nh} at byte ${p}`);
      broken = true;
      break;
    }
    let hl: number;
    if (nh === 44) {
      hl = 8;
      const fo = v.getUint16(p + 2);
      if ((fo & 0xfff8) !== 0) broken = true; // not the first fragment: no transport header here
      if ((fo & 1) !== 0) fragmented = true;
    } else if (nh === 51) hl = (b[p + 1]! + 2) * 4;
    else hl = (b[p + 1]! + 1) * 8;
    if (p + hl > end) {
      pkt.errors.push(`IPv6 extension header ${nh} at byte ${p} (${hl} bytes) overruns the packet`);
      broken = true;
      break;
    }
    const next = b[p]!;
    p += hl;
    nh = next;
    if (broken) break;
  }
  ip.extensions = b.subarray(IPV6_HEADER, p);
  if (broken) {
    pkt.other = { protocol: nh, bytes: b.subarray(p, end) };
    return pkt;
  }
  decodeTransport(pkt, b, v, p, end, nh, 8, 24, 16, !lied && !fragmented);
  return pkt;
}

/** Parse one IP packet (starting at the IP header). Never throws. */
export function decodeIp(bytes: Uint8Array): IpPacket {
  const v = viewOf(bytes);
  if (bytes.length === 0) return rawPacket(bytes, emptyV4(), 'empty packet');
  const version = bytes[0]! >> 4;
  if (version === 4) return decodeV4(bytes, v);
  if (version === 6) return decodeV6(bytes, v);
  return rawPacket(bytes, emptyV4(), `IP version ${version} is neither 4 nor 6`);
}

function addressBytes(text: string, family: 4 | 6): Uint8Array {
  const a = parseAddressCached(text);
  if (!a || a.bytes.length !== (family === 4 ? 4 : 16)) throw new RangeError(`"${text}" is not an IPv${family} address`);
  return a.bytes;
}

function transportLength(pkt: IpPacket, tcpHdr: number): number {
  if (pkt.tcp) return tcpHdr + pkt.tcp.payload.length;
  return pkt.other ? pkt.other.bytes.length : 0;
}

function writeTransport(pkt: IpPacket, b: Uint8Array, v: DataView, p: number, tcpHdr: number, addrAt: number, addrLen: number): number {
  const tcp: TcpSegment | undefined = pkt.tcp;
  if (tcp) {
    const end = writeTcp(b, v, p, tcp, tcpHdr);
    if (tcp.checksum === undefined) {
      v.setUint16(p + 16, transportChecksum(b, addrAt, b, addrAt + addrLen, addrLen, IPPROTO_TCP, b, p, end, 16));
    }
    return end;
  }
  if (pkt.other) {
    b.set(pkt.other.bytes, p);
    return p + pkt.other.bytes.length;
  }
  return p;
}

/**
 * Bytes of a packet. Exact inverse of decodeIp; for a packet built by hand, checksums left
 * undefined and lengths not given are computed. Throws RangeError only for an address string
 * that is not an address of the header's family (a programming error, never decoder output).
 */
export function encodeIp(pkt: IpPacket): Uint8Array {
  if (pkt.raw) return pkt.raw.slice();
  const ip = pkt.ip;
  const tcpHdr = pkt.tcp ? tcpHeaderLength(pkt.tcp) : 0;
  const tlen = transportLength(pkt, tcpHdr);
  const trailer = pkt.trailer ?? EMPTY;
  if (ip.version === 4) {
    const ihl = IPV4_HEADER_MIN + ((ip.options.length + 3) & ~3);
    const out = allocBytes(ihl + tlen + trailer.length);
    const v = viewOf(out);
    out[0] = 0x40 | ((ihl >> 2) & 15);
    out[1] = ip.tos & 0xff;
    v.setUint16(2, (ip.totalLengthOnWire ?? ihl + tlen) & 0xffff);
    v.setUint16(4, ip.id & 0xffff);
    v.setUint16(6, ip.fragment & 0xffff);
    out[8] = ip.ttl & 0xff;
    out[9] = ip.protocol & 0xff;
    out.set(addressBytes(ip.src, 4), 12);
    out.set(addressBytes(ip.dst, 4), 16);
    out.set(ip.options, IPV4_HEADER_MIN);
    v.setUint16(10, ip.checksum ?? ipv4HeaderChecksum(out, 0, ihl));
    const end = writeTransport(pkt, out, v, ihl, tcpHdr, 12, 4);
    out.set(trailer, end);
    return out;
  }
  const ext = ip.extensions;
  const out = allocBytes(IPV6_HEADER + ext.length + tlen + trailer.length);
  const v = viewOf(out);
  v.setUint32(0, ((6 << 28) | ((ip.trafficClass & 0xff) << 20) | (ip.flowLabel & 0xfffff)) >>> 0);
  v.setUint16(4, (ip.payloadLengthOnWire ?? ext.length + tlen) & 0xffff);
  out[6] = ip.nextHeader & 0xff;
  out[7] = ip.hopLimit & 0xff;
  out.set(addressBytes(ip.src, 6), 8);
  out.set(addressBytes(ip.dst, 6), 24);
  out.set(ext, IPV6_HEADER);
  const end = writeTransport(pkt, out, v, IPV6_HEADER + ext.length, tcpHdr, 8, 16);
  out.set(trailer, end);
  return out;
}
