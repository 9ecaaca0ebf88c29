// MP_CAPABLE acceptance rules of Linux 6.18's v1 parser (RFC 8684 §3.1, §3.7; Linux net/mptcp/subflow.c), and of the
// stack's v0 mode (RFC 6824, `net.mptcp.mptcp_version=0`): the same flag rules, a 12-byte SYN
// carrying the initiator's key, and no DLL forms after it.
import { mptcpOptionLength } from '../../wire/codec.js';
import type { MptcpVersion } from '../../wire/crypto.js';
import type { MpCapable, MptcpOption } from '../../wire/packet.js';

export const FLAG_A_CHECKSUM = 0x80;
export const FLAG_B = 0x40;
export const FLAG_C_NO_JOIN_INITIAL = 0x20;
export const FLAG_H_SHA256 = 0x01;

/**
 * The flags the stack puts in its own MP_CAPABLE: H, plus A and C from the sysctls. In v0, C..H
 * are the crypto-algorithm field (H = HMAC-SHA1), so C is never set there.
 */
export function localFlags(checksumEnabled: boolean, allowJoinInitial: boolean, version: MptcpVersion = 1): number {
  const c = version === 1 && !allowJoinInitial ? FLAG_C_NO_JOIN_INITIAL : 0;
  return FLAG_H_SHA256 | (checksumEnabled ? FLAG_A_CHECKSUM : 0) | c;
}

const flagsOk = (flags: number): boolean => (flags & 0x1f) === FLAG_H_SHA256 && (flags & FLAG_B) === 0;

/** Length of an MP_CAPABLE as the decoder saw it (fields present). */
export const capableLength = (o: MpCapable): number => mptcpOptionLength(o);

export function findCapable(opts: readonly MptcpOption[]): MpCapable | undefined {
  return opts.find((o): o is MpCapable => o.subtype === 'mp_capable');
}

/**
 * A SYN's MP_CAPABLE the stack accepts, good flags: v1 — length 4, version >= 1 (Linux); v0,
 * only when `acceptV0` (the v0 mode) — length 12 with the initiator's key, version 0. Linux 6.18
 * itself ignores the v0 form (plain TCP). An MP_JOIN alongside is ignored: measured on 6.18.44,
 * which answers the MP_CAPABLE (earlier 6.18 and 6.12 answered such a SYN as plain TCP).
 */
export function validSynCapable(opts: readonly MptcpOption[], acceptV0 = false): MpCapable | undefined {
  const c = findCapable(opts);
  if (!c || !flagsOk(c.flags)) return undefined;
  if (capableLength(c) === 4 && c.version >= 1) return c;
  return acceptV0 && c.version === 0 && capableLength(c) === 12 && c.senderKey !== undefined ? c : undefined;
}

/** MP_CAPABLE of the expected length for a non-SYN (SYN/ACK: 12; ACK: 20; v1 data: 22/24) and version. */
export function validCapable(opts: readonly MptcpOption[], lengths: readonly number[], version: MptcpVersion = 1): MpCapable | undefined {
  const c = findCapable(opts);
  if (!c) return undefined;
  return lengths.includes(capableLength(c)) && c.version === version && flagsOk(c.flags) ? c : undefined;
}
