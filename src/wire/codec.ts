// The wire codec's public face: import from here. The pieces live in small files by layer
// (ip.ts, tcp.ts, tcp-options.ts, mptcp-options.ts, checksum.ts, addr.ts, bytes.ts); crypto,
// rendering and JSON are in crypto.ts, render.ts and json.ts.
//
// Memory: byte fields of a decoded packet (payload, raw options, HMACs...) are views into the
// input array, not copies — do not reuse the input buffer while the packet is in use. The
// array encodeIp returns is a view into a shared 64 KiB slab (like Node's Buffer pool): use
// it as a Uint8Array (or Buffer.from(bytes)), never its `.buffer` on its own.

export { decodeIp, encodeIp, IPPROTO_TCP } from './ip.js';
export {
  decodeTcpOptions,
  encodeTcpOptions,
  tcpOptionLength,
  tcpOptionsLength,
  TcpOptionKind,
  FASTOPEN_MAGIC,
} from './tcp-options.js';
export { mptcpOptionLength, MPTCP_KIND, DssFlag } from './mptcp-options.js';
export { tcpChecksum, ipv4HeaderChecksum } from './checksum.js';
export { parseAddress, formatAddress } from './addr.js';
export type { AddressFamily, ParsedAddress } from './addr.js';
export { toHex, fromHex, bytesEqual } from './bytes.js';
