// The parsed form of a packet: what every part of mptcpdrill (decoder, engine, targets, stack,
// reports) agrees on. The byte view is src/wire/codec: decodeIp(bytes) gives this form and
// encodeIp(this form) gives the bytes back, exactly, for every form the decoder accepts.
//
// Conventions:
// - 32-bit fields are plain numbers (unsigned, 0..2^32-1); 64-bit MPTCP fields are bigint.
// - Addresses are strings in canonical text form ("192.0.2.1", "2001:db8::1").
// - Fields that exist only so that encode(decode(b)) === b (reserved bits, lengths that lie,
//   padding after EOL) are kept, with a name that says so, and default to the usual value when
//   a packet is built by hand.

/** TCP flag bits as they sit in byte 13 of the header (plus the AE bit of byte 12, as 0x100). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  AE: 0x100,
} as const;

export type IpVersion = 4 | 6;

export interface Ipv4Header {
  version: 4;
  /** Whole TOS byte (DSCP << 2 | ECN). */
  tos: number;
  id: number;
  /** The 3 flag bits and 13-bit fragment offset, as on the wire. */
  fragment: number;
  ttl: number;
  protocol: number;
  /** Header checksum as found on the wire (decoder) or to be computed when undefined (encoder). */
  checksum?: number;
  src: string;
  dst: string;
  /** IPv4 options, raw (usually empty). */
  options: Uint8Array;
  /** Total-length field as it was on the wire, when it disagreed with the real length. */
  totalLengthOnWire?: number;
}

export interface Ipv6Header {
  version: 6;
  /** Traffic class byte (DSCP << 2 | ECN). */
  trafficClass: number;
  flowLabel: number;
  /** Next-header of the fixed header (extension headers are kept raw in `extensions`). */
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** Extension headers, raw, in order, before the transport header (usually empty). */
  extensions: Uint8Array;
  /** Payload-length field as it was on the wire, when it disagreed with the real length. */
  payloadLengthOnWire?: number;
}

export type IpHeader = Ipv4Header | Ipv6Header;

// ---- TCP options -------------------------------------------------------------------------

export type TcpOption =
  | { kind: 'eol'; /** bytes after the EOL up to the end of the option space, kept raw */ padding?: Uint8Array }
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack_permitted' }
  /** SACK blocks as absolute [left, right) sequence numbers. */
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'timestamp'; val: number; ecr: number }
  /** TCP Fast Open: kind 34, or kind 254 with magic 0xF989 when `experimental`. Empty cookie = request. */
  | { kind: 'fastopen'; experimental: boolean; cookie: Uint8Array }
  | { kind: 'md5'; digest: Uint8Array }
  | MptcpOption
  /** Any other option kind, kept raw (data excludes kind and length bytes). */
  | { kind: 'unknown'; code: number; data: Uint8Array }
  /**
   * Damage found while decoding: the bytes from `offset` (relative to the start of the TCP
   * option space) to the end of the option space are kept raw; decoding of the packet goes on.
   */
  | { kind: 'malformed'; offset: number; reason: string; bytes: Uint8Array };

// ---- MPTCP options (TCP option kind 30) ----------------------------------------------------

export const MptcpSubtype = {
  mp_capable: 0,
  mp_join: 1,
  dss: 2,
  add_addr: 3,
  remove_addr: 4,
  mp_prio: 5,
  mp_fail: 6,
  mp_fastclose: 7,
  mp_tcprst: 8,
} as const;

/** MP_CAPABLE. Which fields exist follows from the length: 4 / 12 / 20 / 22 / 24 (v1), 12 / 20 (v0). */
export interface MpCapable {
  kind: 'mptcp';
  subtype: 'mp_capable';
  version: number;
  /** Flag byte A..H (A = 0x80 checksum required, B = 0x40, C = 0x20, H = 0x01). */
  flags: number;
  senderKey?: bigint;
  receiverKey?: bigint;
  /** Data-level length (v1 first data, length 22/24). */
  dataLen?: number;
  /** DSS checksum (length 24). */
  checksum?: number;
}

/** MP_JOIN: `form` follows from the length: 12 = syn, 16 = syn_ack, 24 = ack. */
export interface MpJoin {
  kind: 'mptcp';
  subtype: 'mp_join';
  form: 'syn' | 'syn_ack' | 'ack';
  backup: boolean;
  /** syn and syn_ack only. */
  addressId?: number;
  /** syn: the receiver's token. */
  token?: number;
  /** syn and syn_ack: the sender's random number. */
  nonce?: number;
  /** syn_ack: 8 bytes (truncated); ack: 20 bytes. */
  hmac?: Uint8Array;
  /** The 3 reserved bits of the nibble (syn/syn_ack) or the 12 bits after the subtype (ack). */
  reserved?: number;
}

export interface Dss {
  kind: 'mptcp';
  subtype: 'dss';
  dataFin: boolean;
  /** DATA_ACK, if the A flag is set. */
  dataAck?: bigint;
  /** true when the DATA_ACK field is 8 bytes (flag a). Kept even without A, for exactness. */
  dataAck64: boolean;
  /** Mapping, if the M flag is set. */
  dsn?: bigint;
  /** true when the DSN field is 8 bytes (flag m). */
  dsn64: boolean;
  ssn?: number;
  dll?: number;
  /** Present when the mapping carries a checksum (decided from the length). */
  checksum?: number;
  /** Reserved bits: low nibble of byte 2 (<<8) | top 3 bits of byte 3, usually 0. */
  reserved?: number;
}

export interface AddAddr {
  kind: 'mptcp';
  subtype: 'add_addr';
  /** 1: RFC 8684 form (E bit, HMAC); 0: RFC 6824 form (IPVer nibble, no HMAC). */
  version: 0 | 1;
  echo: boolean;
  addressId: number;
  address: string;
  port?: number;
  /** v1 announce only: the rightmost 64 bits of the HMAC, 8 bytes. */
  hmac?: Uint8Array;
  /** v0: the IPVer nibble as on the wire (4 or 6). v1: the 3 reserved bits of the nibble. */
  nibble?: number;
}

export interface RemoveAddr {
  kind: 'mptcp';
  subtype: 'remove_addr';
  addressIds: number[];
  /** low nibble of byte 2 */
  reserved?: number;
}

export interface MpPrio {
  kind: 'mptcp';
  subtype: 'mp_prio';
  backup: boolean;
  /** v0 4-byte form only. */
  addressId?: number;
  reserved?: number;
}

export interface MpFail {
  kind: 'mptcp';
  subtype: 'mp_fail';
  dsn: bigint;
  reserved?: number;
}

export interface MpFastclose {
  kind: 'mptcp';
  subtype: 'mp_fastclose';
  receiverKey: bigint;
  reserved?: number;
}

export interface MpTcpRst {
  kind: 'mptcp';
  subtype: 'mp_tcprst';
  /** U V W T nibble (T = 0x1 transient). */
  flags: number;
  reason: number;
}

/** Subtypes 0x9..0xf, or a known subtype whose length fits none of its forms. */
export interface MptcpUnknown {
  kind: 'mptcp';
  subtype: 'unknown';
  code: number;
  /** The option bytes after kind and length (byte 2 onwards). */
  data: Uint8Array;
  /** Why a known subtype was kept raw, e.g. "MP_CAPABLE length 13 fits no form". */
  reason?: string;
}

export type MptcpOption =
  | MpCapable
  | MpJoin
  | Dss
  | AddAddr
  | RemoveAddr
  | MpPrio
  | MpFail
  | MpFastclose
  | MpTcpRst
  | MptcpUnknown;

// ---- TCP segment and IP packet ---------------------------------------------------------------

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TcpFlag bits (AE as 0x100). */
  flags: number;
  window: number;
  urgent: number;
  /** Checksum as on the wire (decoder) or computed when undefined (encoder). */
  checksum?: number;
  /** Data offset field, when it disagreed with the encoded option length (decoder only). */
  dataOffsetOnWire?: number;
  /** The 3 reserved bits of byte 12 (usually 0). */
  reserved?: number;
  options: TcpOption[];
  payload: Uint8Array;
}

/** A non-TCP transport (UDP, ICMP, ...) kept raw. */
export interface RawTransport {
  protocol: number;
  bytes: Uint8Array;
}

export interface IpPacket {
  ip: IpHeader;
  /** Present when the transport is TCP and its header could be read. */
  tcp?: TcpSegment;
  /** Present for any other transport, or for a TCP header too damaged to parse. */
  other?: RawTransport;
  /** Damage at the IP or TCP header level (truncation, lengths that lie, bad checksum...). */
  errors: string[];
  /**
   * Bytes after the end the IP length field gives (link-layer padding, or garbage), kept so that
   * encode(decode(b)) === b. Absent when the packet ends where its length field says.
   */
  trailer?: Uint8Array;
  /**
   * The whole packet, raw, when not even the IP header could be read (truncated, unknown
   * version, header length out of range). `ip` then holds whatever could be read (zeros
   * otherwise) and the encoder writes these bytes back unchanged.
   */
  raw?: Uint8Array;
}
