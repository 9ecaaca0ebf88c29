// The wire codec's public face: import from here. The pieces live in small files by layer.

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
