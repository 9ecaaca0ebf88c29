// MPTCP values both directions need: DSN / DATA_ACK values from the script's relative and
// absolute forms, MP_JOIN HMACs from the script's forms, and keys from key references.

import type { HmacSpec, KeyRef, SeqValue, SourceRange } from '../../script/ast.js';
import { joinHmac, keyIdsn, type MptcpVersion } from '../../wire/crypto.js';
import { toHex } from '../../wire/bytes.js';
import type { Line } from './line.js';
import { PacketLineError } from './types.js';

export type Side = 'script' | 'stack';

export function otherSide(side: Side): Side {
  return side === 'script' ? 'stack' : 'script';
}

/**
 * The absolute 64-bit value of a DSN / DATA_ACK the script wrote: relative values count from
 * the IDSN of `owner` (the sender for a DSN, the receiver for a DATA_ACK).
 */
export function absoluteSeq(line: Line, value: SeqValue, owner: Side, range: SourceRange): bigint {
  switch (value.kind) {
    case 'relative':
      return BigInt.asUintN(64, line.tx.idsn(line.conn, owner, range) + value.value);
    case 'idsn_of_name':
      return BigInt.asUintN(64, keyIdsn(line.tx.requireKey(value.name, range), line.conn.version) + value.plus);
    case 'idsn_of_key':
      return keyIdsn(value.key, value.alg === 'sha1' ? 0 : 1);
  }
}

/** How an HMAC was computed, for a message that says which keys and nonces were used. */
export interface HmacRecipe {
  bytes: Uint8Array;
  explain: string;
}

function hashName(v: MptcpVersion): string {
  return v === 1 ? 'HMAC-SHA256' : 'HMAC-SHA1';
}

export function keyText(name: string | undefined, key: bigint): string {
  return `${name ?? 'key'} = ${key} (0x${key.toString(16).padStart(16, '0')})`;
}

/**
 * The MP_JOIN HMAC a line asks for, `length` bytes (8 in the SYN-ACK, 20 in the ACK): `auto`
 * uses the sender's key and nonce first; the two-name forms use the named keys; a literal is
 * taken as is. Undefined for a literal (nothing to explain).
 */
export function joinHmacFor(line: Line, spec: HmacSpec, sender: Side, senderNonce: number, receiverNonce: number, length: number, range: SourceRange): HmacRecipe {
  if (spec.kind === 'literal') {
    const bytes = new Uint8Array(length);
    let v = BigInt.asUintN(length * 8, spec.value);
    for (let i = length - 1; i >= 0; i--) {
      bytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return { bytes, explain: 'the literal written in the script' };
  }
  const { tx, conn } = line;
  let senderName: string | undefined;
  let receiverName: string | undefined;
  if (spec.kind === 'keys') {
    senderName = spec.first;
    receiverName = spec.second;
  } else {
    // `auto`, and trunc_l64_hmac(INT), which upstream parses but never applies.
    senderName = tx.sideKeyNameNow(conn, sender);
    receiverName = tx.sideKeyNameNow(conn, otherSide(sender));
  }
  const senderKey = senderName !== undefined ? tx.requireKey(senderName, range) : tx.sideKey(conn, sender, range);
  const receiverKey = receiverName !== undefined ? tx.requireKey(receiverName, range) : tx.sideKey(conn, otherSide(sender), range);
  const bytes = joinHmac(senderKey, receiverKey, senderNonce, receiverNonce, conn.version).slice(0, length);
  const explain =
    `${hashName(conn.version)} with key = ${sender} key ${keyText(senderName, senderKey)} ‖ ${otherSide(sender)} key ${keyText(receiverName, receiverKey)}, ` +
    `message = ${sender} nonce 0x${senderNonce.toString(16).padStart(8, '0')} ‖ ${otherSide(sender)} nonce 0x${receiverNonce.toString(16).padStart(8, '0')}`;
  return { bytes, explain };
}

export function hmacHex(bytes: Uint8Array | undefined): string {
  return bytes ? toHex(bytes) : '(none)';
}

/** A subflow nonce the HMAC needs, or a clear error when no MP_JOIN carried it. */
export function requireNonce(nonce: number | undefined, side: Side, range: SourceRange): number {
  if (nonce === undefined) throw new PacketLineError(`the ${side}'s MP_JOIN nonce on this subflow is not known (no MP_JOIN SYN / SYN-ACK from it was seen)`, range);
  return nonce;
}

/**
 * The value of a key reference on a line the script sends: NAME=VALUE puts VALUE (binding NAME
 * only if unbound); a bound NAME its value; an unbound NAME a fresh random key, bound.
 */
export function inboundKey(line: Line, ref: KeyRef): bigint {
  if (ref.value !== undefined) {
    line.tx.bindKey(ref.name, BigInt.asUintN(64, ref.value));
    return BigInt.asUintN(64, ref.value);
  }
  const bound = line.tx.key(ref.name);
  if (bound !== undefined) return bound;
  return line.tx.bindKey(ref.name, line.env.rng.key());
}
