// MPTCP crypto (RFC 8684 §3.1, §3.2, §3.3.1; Linux net/mptcp/crypto.c, net/mptcp/subflow.c): key hashes, HMACs and the DSS checksum.
// v1 (RFC 8684) uses SHA-256, v0 (RFC 6824) SHA-1. Everything is hashed big-endian.

import { createHash, createHmac } from 'node:crypto';
import { be32, be64 } from './bytes.js';
import { parseAddress } from './addr.js';
import { finishChecksum, sumWords } from './checksum.js';

export type MptcpVersion = 0 | 1;

function hashName(version: MptcpVersion): 'sha256' | 'sha1' {
  return version === 1 ? 'sha256' : 'sha1';
}

/** Digests already computed: a script names a handful of keys and asks for their token and IDSN at every packet. */
const digests = new Map<string, Buffer>();
const DIGESTS_KEPT = 4096;

function keyDigest(key: bigint, version: MptcpVersion): Buffer {
  const id = `${version}:${key}`;
  let d = digests.get(id);
  if (d === undefined) {
    if (digests.size >= DIGESTS_KEPT) digests.clear();
    d = createHash(hashName(version)).update(be64(key)).digest();
    digests.set(id, d);
  }
  return d;
}

/** Token: the most significant 32 bits of the key's hash. */
export function keyToken(key: bigint, version: MptcpVersion): number {
  return keyDigest(key, version).readUInt32BE(0);
}

/** IDSN: the least significant 64 bits of the key's hash. */
export function keyIdsn(key: bigint, version: MptcpVersion): bigint {
  const d = keyDigest(key, version);
  return d.readBigUInt64BE(d.length - 8);
}

function hmac(version: MptcpVersion, keyA: bigint, keyB: bigint, message: Uint8Array): Uint8Array {
  const key = Buffer.concat([be64(keyA), be64(keyB)]);
  return new Uint8Array(createHmac(hashName(version), key).update(message).digest());
}

/**
 * MP_JOIN HMAC of the sender: key = sender key ‖ receiver key, message = sender nonce ‖
 * receiver nonce. The full digest; the SYN/ACK carries the leftmost 8 bytes, the ACK 20.
 */
export function joinHmac(
  senderKey: bigint,
  receiverKey: bigint,
  senderNonce: number,
  receiverNonce: number,
  version: MptcpVersion,
): Uint8Array {
  const msg = new Uint8Array(8);
  msg.set(be32(senderNonce), 0);
  msg.set(be32(receiverNonce), 4);
  return hmac(version, senderKey, receiverKey, msg);
}

/**
 * ADD_ADDR (v1) truncated HMAC: the rightmost 8 bytes of HMAC-SHA256(sender key ‖ receiver
 * key, id ‖ address ‖ port (00 00 without a port)). Throws RangeError on a non-address.
 */
export function addAddrHmac(senderKey: bigint, receiverKey: bigint, addressId: number, address: string, port?: number): Uint8Array {
  const a = parseAddress(address);
  if (!a) throw new RangeError(`"${address}" is not an IP address`);
  const msg = new Uint8Array(1 + a.bytes.length + 2);
  msg[0] = addressId & 0xff;
  msg.set(a.bytes, 1);
  const p = port ?? 0;
  msg[msg.length - 2] = (p >> 8) & 0xff;
  msg[msg.length - 1] = p & 0xff;
  return hmac(1, senderKey, receiverKey, msg).slice(24, 32);
}

/**
 * DSS checksum over the 16-byte pseudo-header (64-bit DSN, SSN, DLL, zero) and the payload
 * covered by the mapping (§3). The TCP pseudo-header is not included.
 */
export function dssChecksum(dsn: bigint, ssn: number, dll: number, payload: Uint8Array): number {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, dsn));
  v.setUint32(8, ssn >>> 0);
  v.setUint16(12, dll & 0xffff);
  return finishChecksum(sumWords(h, 0, 16) + sumWords(payload, 0, payload.length));
}

const TWO_32 = 1n << 32n;
const TWO_31 = 1n << 31n;
const MASK_64 = (1n << 64n) - 1n;

/**
 * Expand a 32-bit DSN / DATA_ACK to 64 bits: the value with these low 32 bits closest to
 * `reference` (within ±2^31, mod 2^64), as Linux's __mptcp_expand_seq does.
 */
export function expandSeq32(low32: number, reference: bigint): bigint {
  const ref = reference & MASK_64;
  const low = BigInt(low32 >>> 0);
  let candidate = (ref & ~(TWO_32 - 1n)) | low;
  const diff = candidate - ref;
  // Both edges inclusive, like Linux's before()/after() on the signed 32-bit difference.
  if (diff >= TWO_31) candidate -= TWO_32;
  else if (diff <= -TWO_31) candidate += TWO_32;
  return candidate & MASK_64;
}
