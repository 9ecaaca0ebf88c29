// Shared by the engine-packets tests: parse .pkt text into packet lines, build live packets
// the way a stack would send them, and inject lines expecting success.

import type { ExecutionContext } from 'ava';
import type { PacketAction } from '../src/script/ast.js';
import { parseScript } from '../src/script/parse.js';
import type { PacketContext, PacketEngine } from '../src/engine/packets/index.js';
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import { TcpFlag, type IpPacket, type MptcpOption, type TcpOption } from '../src/wire/packet.js';

export const LOCAL = '192.168.0.2';
export const REMOTE = '192.0.2.1';

export const CTX: PacketContext = {
  ipVersion: 'ipv4',
  localIp: LOCAL,
  remoteIp: REMOTE,
  bindPort: 8080,
  connectPort: 8080,
  tsEcrScaled: false,
  tsTickUsecs: 0,
  strictSegments: false,
  seed: 1,
};

/** The packet lines of a script text, in order. */
export function acts(text: string): PacketAction[] {
  const r = parseScript(text, 'test.pkt');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !r.script) throw new Error(`script does not parse: ${errors.map((d) => `${d.range.start.line}: ${d.message}`).join('; ')}`);
  return r.script.events.map((e) => e.action).filter((a): a is PacketAction => a.kind === 'packet');
}

/** Builds an inbound line, failing the test when it cannot be built; the packet as injected. */
export function inject(t: ExecutionContext, pe: PacketEngine, action: PacketAction): IpPacket {
  const r = pe.buildInbound(action, 0);
  if (r.ok) return decodeIp(r.bytes);
  const why = `line ${action.range.start.line} could not be built: ${r.message}`;
  t.fail(why);
  throw new Error(why);
}

export interface Segment {
  src?: string;
  dst?: string;
  sport?: number;
  dport: number;
  seq: number;
  ack: number;
  flags?: number;
  win?: number;
  options?: TcpOption[];
  payload?: number | Uint8Array;
  corruptChecksum?: boolean;
}

/** A segment as the stack would send it (local → remote), through the codec like live bytes. */
export function stackSegment(s: Segment): IpPacket {
  const payload = typeof s.payload === 'number' ? new Uint8Array(s.payload) : (s.payload ?? new Uint8Array(0));
  const pkt: IpPacket = {
    ip: { version: 4, tos: 0, id: 1, fragment: 0x4000, ttl: 64, protocol: 6, src: s.src ?? LOCAL, dst: s.dst ?? REMOTE, options: new Uint8Array(0) },
    tcp: {
      srcPort: s.sport ?? 8080,
      dstPort: s.dport,
      seq: s.seq >>> 0,
      ack: s.ack >>> 0,
      flags: s.flags ?? TcpFlag.ACK,
      window: s.win ?? 502,
      urgent: 0,
      options: s.options ?? [],
      payload,
    },
    errors: [],
  };
  const bytes = encodeIp(pkt);
  if (s.corruptChecksum) bytes[20 + 17] = bytes[20 + 17]! ^ 0x55;
  return decodeIp(bytes);
}

type NoKind<T> = T extends unknown ? Omit<T, 'kind'> : never;

/** An MPTCP option for a live packet, without writing `kind: 'mptcp'`. */
export function mp(o: NoKind<MptcpOption>): TcpOption {
  return { kind: 'mptcp', ...o } as MptcpOption;
}

export function mptcpOf(p: { tcp?: { options: TcpOption[] } }): MptcpOption[] {
  return (p.tcp?.options ?? []).filter((o): o is MptcpOption => o.kind === 'mptcp');
}

/**
 * Runs the first three lines of a passive MPTCP open (script SYN, stack SYN-ACK carrying
 * `stackKey`, script third ACK); returns the script's port.
 */
export function passiveMptcpOpen(t: ExecutionContext, pe: PacketEngine, lines: PacketAction[], stackKey: bigint): number {
  const port = inject(t, pe, lines[0]!).tcp!.srcPort;
  const synAck = stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [mp({ subtype: 'mp_capable', version: 1, flags: 1, senderKey: stackKey })] });
  t.is(pe.matchOutbound(lines[1]!, synAck, 0).status, 'match');
  inject(t, pe, lines[2]!);
  return port;
}
