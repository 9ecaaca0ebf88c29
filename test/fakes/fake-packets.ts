// A deliberately small packet port for runner tests: TCP only, no remapping (both ISNs are 0,
// the fake stack writes script-relative numbers), checks flags, seq, length and ack. It lets the
// runner's tests judge timing and ordering without depending on the real packet engine.

import type { PacketAction, TcpBody } from '../../src/script/ast.js';
import type { BuildResult, MatchResult, PacketPort } from '../../src/engine/packet-port.js';
import { decodeIp, encodeIp } from '../../src/wire/codec.js';
import { TcpFlag, type IpPacket } from '../../src/wire/packet.js';
import { flagsToString as flagText } from '../../src/wire/render.js';

export const STACK_IP = '192.168.0.2';
export const PEER_IP = '192.0.2.1';

/** Bytes of an IPv4/TCP packet; `fromStack` picks the direction. */
export function tcpPacket(p: { flags: number; seq: number; ack?: number; len?: number; win?: number; fromStack?: boolean }): Uint8Array {
  const out = p.fromStack ?? true;
  const pkt: IpPacket = {
    ip: { version: 4, tos: 0, id: 0, fragment: 0, ttl: 64, protocol: 6, src: out ? STACK_IP : PEER_IP, dst: out ? PEER_IP : STACK_IP, options: new Uint8Array(0) },
    tcp: {
      srcPort: out ? 8080 : 40000, dstPort: out ? 40000 : 8080, seq: p.seq >>> 0, ack: (p.ack ?? 0) >>> 0, flags: p.flags,
      window: p.win ?? 1000, urgent: 0, options: [], payload: new Uint8Array(p.len ?? 0),
    },
    errors: [],
  };
  return encodeIp(pkt);
}

function render(flags: number, seq: number, len: number, ack: number | undefined): string {
  return `${flagText(flags)} ${seq}:${seq + len}(${len})${ack !== undefined ? ` ack ${ack}` : ''}`;
}

export class FakePackets implements PacketPort {
  resets: Uint8Array[] = [];
  /** Set to make isTestTraffic false for packets with this window (e.g. "router solicitations"). */
  noiseWindow = -1;

  buildInbound(action: PacketAction, _now: number): BuildResult {
    const b = action.body as TcpBody;
    if (b.kind !== 'tcp') return { ok: false, message: 'only TCP in the fake', range: action.range };
    const bytes = tcpPacket({ flags: b.flags, seq: b.seqStart, ack: b.ack, len: b.payloadLength, win: b.win, fromStack: false });
    return { ok: true, packet: decodeIp(bytes), bytes };
  }

  matchOutbound(action: PacketAction, live: IpPacket, _now: number): MatchResult {
    const b = action.body as TcpBody;
    const t = live.tcp!;
    const field = (name: string, exp: number | string, got: number | string): MatchResult => ({
      status: 'mismatch', mismatches: [{ field: name, expected: exp, actual: got }],
      message: `live packet field ${name}: expected: ${exp} vs actual: ${got}`,
    });
    if (t.flags !== b.flags) return field('tcp_flags', flagText(b.flags), flagText(t.flags));
    if (t.seq !== b.seqStart >>> 0) return field('tcp_seq', b.seqStart, t.seq);
    if (b.ack !== undefined && t.ack !== b.ack >>> 0) return field('tcp_ack_seq', b.ack, t.ack);
    if (t.payload.length < b.payloadLength) return { status: 'more' };
    if (t.payload.length !== b.payloadLength) return field('payload', b.payloadLength, t.payload.length);
    return { status: 'match' };
  }

  isTestTraffic(live: IpPacket): boolean {
    return live.tcp !== undefined && live.tcp.window !== this.noiseWindow;
  }

  renderExpected(action: PacketAction): string {
    const b = action.body as TcpBody;
    return `> ${render(b.flags, b.seqStart, b.payloadLength, b.ack)}`;
  }

  renderActual(live: IpPacket): string {
    const t = live.tcp;
    if (!t) return '(not tcp)';
    const dir = live.ip.src === STACK_IP ? '>' : '<';
    return `${dir} ${render(t.flags, t.seq, t.payload.length, t.flags & TcpFlag.ACK ? t.ack : undefined)}`;
  }

  describeState(): string[] {
    return ['stack ISN 0', 'script ISN 0'];
  }

  cleanupResets(): Uint8Array[] {
    return this.resets;
  }
}
