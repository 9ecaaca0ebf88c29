// The values getsockopt returns and setsockopt reads, with Linux's lengths: an int option copies
// min(len, 4) bytes (do_tcp_getsockopt, sk_getsockopt); setsockopt wants a whole int.
import type { SyscallResult } from '../targets/target.js';
import { decodeInt, encodeInt } from '../sys/structs.js';

export const fail = (errno: string): SyscallResult => ({ ret: -1, errno });
export const ok: SyscallResult = { ret: 0 };

/** The first `optlen` bytes of `value` (at most all of it). */
export function opt(value: Uint8Array, optlen: number): SyscallResult {
  const n = Math.max(0, Math.min(optlen, value.length));
  return { ret: 0, out: { kind: 'opt', value: value.slice(0, n), optlen: n } };
}

export const intOpt = (v: number, optlen: number): SyscallResult => (optlen < 0 ? fail('EINVAL') : opt(encodeInt(v), Math.min(optlen, 4)));

/** The int setsockopt was given, or undefined when fewer than 4 bytes came. */
export const intArg = (value: Uint8Array, optlen: number): number | undefined => (optlen < 4 || value.length < 4 ? undefined : decodeInt(value.subarray(0, 4)));
