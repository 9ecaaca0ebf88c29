// Shared types of the packet half of the engine: the context it runs in, the verdicts it gives
// and the error it raises internally while building or checking one script line.

import type { SourceRange } from '../../script/ast.js';
import type { PacketMismatch } from '../packet-port.js';

export type { BuildResult, MatchResult } from '../packet-port.js';

export interface PacketContext {
  ipVersion: 'ipv4' | 'ipv4-mapped-ipv6' | 'ipv6';
  /** The stack under test. */
  localIp: string;
  /** The script (the peer). */
  remoteIp: string;
  bindPort: number;
  connectPort: number;
  /** tcp_ts_ecr_scaled: interpolate inbound TS ecr values that name no recorded TS val. */
  tsEcrScaled: boolean;
  /** tcp_ts_tick_usecs: 0 = outbound TS val not checked. */
  tsTickUsecs: number;
  /** Slack for the TS val check, in µs (tolerance_usecs). Default 4000. */
  toleranceUsecs?: number;
  strictSegments: boolean;
  /** Seed of every random choice (ports, keys, nonces): the same seed gives the same bytes. */
  seed: number;
}

/** One field that differs, with upstream's field name (tcp_ack_seq, mptcp_dss_dack...). */
export interface FieldMismatch extends PacketMismatch {
  field: string;
  expected: string;
  actual: string;
  /** The whole sentence: `live packet field F: expected: E vs actual: A` (plus a note). */
  message: string;
}

/** A line that cannot be built or checked at all (unbound name, missing key, ...). */
export class PacketLineError extends Error {
  constructor(
    message: string,
    readonly range?: SourceRange,
  ) {
    super(message);
    this.name = 'PacketLineError';
  }
}

/**
 * The note on a mismatch of a field mptcpdrill compares and packetdrill does not (a deliberate
 * difference, listed in docs/language-differences.md): the script may pass on packetdrill.
 */
export const PACKETDRILL_UNCHECKED = 'packetdrill does not check this field';

/** `101 (0x65)`: how upstream prints a number in a mismatch. */
export function numberText(n: number | bigint): string {
  return `${n} (0x${n.toString(16)})`;
}

export function fieldMismatch(field: string, expected: string, actual: string, note?: string): FieldMismatch {
  const message = `live packet field ${field}: expected: ${expected} vs actual: ${actual}${note ? ` (${note})` : ''}`;
  return { field, expected, actual, message };
}

export function numberMismatch(field: string, expected: number | bigint, actual: number | bigint, note?: string): FieldMismatch {
  return fieldMismatch(field, numberText(expected), numberText(actual), note);
}
