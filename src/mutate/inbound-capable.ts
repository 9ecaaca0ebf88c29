// Whether Linux 6.18 takes an injected MP_CAPABLE at all, so that the mutant generator can tell
// a mutation of an option the stack ignores anyway (equivalent: dropping it, or breaking another
// of its fields, leaves it ignored) from one that changes what the stack does. The rules are
// those of net/mptcp/options.c mptcp_parse_option: a length per segment kind (SYN 4 bytes,
// SYN/ACK 12, ACK 20, ACK with data 22 or 24), version 1 (a SYN may ask for a higher one), flag H
// and no other crypto bit, B clear. An option that fails them is not parsed: a listener answers
// the SYN as TCP, a client falls back on the SYN/ACK, a server on the third ACK.
import type { TcpOptionSpec } from '../script/ast.js';

type CapableSpec = Extract<TcpOptionSpec, { kind: 'mp_capable' }>;

/** The segment an inbound MP_CAPABLE rides on (`ack-data`: an ACK with payload). */
export type CapableSegment = 'syn' | 'syn-ack' | 'ack' | 'ack-data';

const FLAG_A = 0x80;
const FLAG_B = 0x40;
const FLAG_H = 0x01;
/** Flags C..H of RFC 8684 §3.1 less C: the crypto algorithm bits; only H (HMAC-SHA256) is known. */
const CRYPTO_BITS = 0x1f;

/** The fields of an MP_CAPABLE that decide whether it is parsed. */
export interface CapableShape {
  version: 0 | 1 | 'default';
  flags: number;
  keys: number;
  dataLen: boolean;
}

export const shapeOf = (spec: CapableSpec): CapableShape => ({ version: spec.version, flags: spec.flags, keys: spec.keys.length, dataLen: spec.dataLen !== undefined });

/** True when Linux parses the option (v1 stack; the bundled stack's v0 mode is not covered). */
export function capableParsed(shape: CapableShape, on: CapableSegment): boolean {
  if ((shape.flags & CRYPTO_BITS) !== FLAG_H || (shape.flags & FLAG_B) !== 0) return false;
  // `default` (and the legacy spellings) is written as version 1 by the encoder.
  const version = shape.version === 'default' ? 1 : shape.version;
  const keys = on === 'syn' ? 0 : on === 'syn-ack' ? 1 : 2;
  if (shape.keys !== keys || shape.dataLen !== (on === 'ack-data')) return false;
  return on === 'syn' ? version >= 1 : version === 1;
}

/**
 * Flag A on a SYN a listener receives: Linux takes checksums from its own sysctl and from the
 * third ACK (subflow.c subflow_init_req, protocol.c mptcp_sk_clone_init), never from the SYN.
 */
export const isSynChecksumFlag = (flag: string, on: CapableSegment): boolean => on === 'syn' && flag === 'flag_a';

export const FLAG_BITS: Record<string, number> = { flag_a: FLAG_A, flag_b: FLAG_B, flag_c: 0x20, flag_h: FLAG_H };
