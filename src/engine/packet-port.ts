// What the runner needs from the packet half of the engine (src/engine/packets/): build the
// bytes of an inbound line, judge a live packet against an outbound line, and print both. The
// runner never looks inside packets itself, so tests can drive it with a stand-in.

import type { PacketAction, SourceRange } from '../script/ast.js';
import type { IpPacket } from '../wire/packet.js';
import type { Usecs } from '../targets/target.js';

export type BuildResult =
  | { ok: true; packet: IpPacket; bytes: Uint8Array }
  | { ok: false; message: string; range?: SourceRange };

/** One field that differs, as the packet engine names it (`tcp_ack_seq`, `mptcp dss dsn`...). */
export interface PacketMismatch {
  field: string;
  expected?: unknown;
  actual?: unknown;
  message?: string;
}

export interface MatchResult {
  /** `more`: the live segment is a correct first part of the line (TSO split); feed the next one. */
  status: 'match' | 'more' | 'mismatch';
  mismatches?: PacketMismatch[];
  /** For a mismatch: the sentence after `error handling packet: `. */
  message?: string;
}

export interface PacketPort {
  buildInbound(action: PacketAction, nowUs: Usecs): BuildResult;
  matchOutbound(action: PacketAction, live: IpPacket, nowUs: Usecs): MatchResult;
  /**
   * An address of the script's side named outside a packet line (a path-manager command's
   * `raddr=`): the stack's packets to it are the test's.
   */
  noteScriptAddress?(address: string): void;
  /** The stack's port of the newest subflow from `localAddress` to `remote` seen so far (`port=...`). */
  subflowLocalPort?(localAddress: string, remote: { address: string; port: number }): number | undefined;
  /** The token of key `name` the packets bound, hashed as `alg` (`token=sha256_32(NAME)`). */
  keyToken?(name: string, alg: 'sha1' | 'sha256'): number | undefined;
  /** True for packets of the test's connections (not e.g. IPv6 router solicitations). */
  isTestTraffic(live: IpPacket): boolean;
  renderExpected(action: PacketAction): string;
  renderActual(live: IpPacket): string;
  /** Keys, ISNs, tokens, current DSN/DACK: one line per fact. */
  describeState(): string[] | string;
  /** RSTs for every connection still open, injected at the end so nothing keeps retransmitting. */
  cleanupResets(): Array<Uint8Array | { bytes: Uint8Array }>;
}

export function stateLines(port: PacketPort): string[] {
  const s = port.describeState();
  return typeof s === 'string' ? s.split('\n').filter((l) => l.trim() !== '') : s;
}
