// MP_CAPABLE acceptance rules of Linux 6.18's v1 parser (mptcp-wire.md §1.3, §5.3).
import { mptcpOptionLength } from '../../wire/codec.js';
import type { MpCapable, MptcpOption } from '../../wire/packet.js';

export const FLAG_A_CHECKSUM = 0x80;
export const FLAG_B = 0x40;
export const FLAG_C_NO_JOIN_INITIAL = 0x20;
export const FLAG_H_SHA256 = 0x01;

/** The flags Linux puts in its own MP_CAPABLE: H, plus A and C from the sysctls. */
export function localFlags(checksumEnabled: boolean, allowJoinInitial: boolean): number {
  return FLAG_H_SHA256 | (checksumEnabled ? FLAG_A_CHECKSUM : 0) | (allowJoinInitial ? 0 : FLAG_C_NO_JOIN_INITIAL);
}

const flagsOk = (flags: number): boolean => (flags & 0x1f) === FLAG_H_SHA256 && (flags & FLAG_B) === 0;

/** Length of an MP_CAPABLE as the decoder saw it (fields present). */
export const capableLength = (o: MpCapable): number => mptcpOptionLength(o);

export function findCapable(opts: readonly MptcpOption[]): MpCapable | undefined {
  return opts.find((o): o is MpCapable => o.subtype === 'mp_capable');
}

/** A SYN's MP_CAPABLE Linux accepts: length 4, version >= 1, good flags, no MP_JOIN alongside. */
export function validSynCapable(opts: readonly MptcpOption[]): MpCapable | undefined {
  const c = findCapable(opts);
  if (!c || opts.some((o) => o.subtype === 'mp_join')) return undefined;
  return capableLength(c) === 4 && c.version >= 1 && flagsOk(c.flags) ? c : undefined;
}

/** MP_CAPABLE of the expected length for a non-SYN (SYN/ACK: 12; ACK: 20; data: 22/24), version 1. */
export function validCapable(opts: readonly MptcpOption[], lengths: readonly number[]): MpCapable | undefined {
  const c = findCapable(opts);
  if (!c) return undefined;
  return lengths.includes(capableLength(c)) && c.version === 1 && flagsOk(c.flags) ? c : undefined;
}
