// Hand-built packets for tests: an IpPacket with the fields a test cares about, the rest at
// their usual values (checksums and lengths left for encodeIp to compute).

import type { IpPacket, TcpOption } from '../../src/wire/packet.js';
import { TcpFlag } from '../../src/wire/packet.js';

export { TcpFlag };

export interface TcpPacketSpec {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
}

export function tcpPacket(spec: TcpPacketSpec = {}): IpPacket {
  const src = spec.src ?? '192.0.2.1';
  const dst = spec.dst ?? '192.0.2.2';
  const v6 = src.includes(':');
  const tcp = {
    srcPort: spec.sport ?? 40000,
    dstPort: spec.dport ?? 8080,
    seq: spec.seq ?? 1,
    ack: spec.ack ?? 0,
    flags: spec.flags ?? TcpFlag.ACK,
    window: spec.window ?? 502,
    urgent: 0,
    options: spec.options ?? [],
    payload: spec.payload ?? new Uint8Array(0),
  };
  const ip = v6
    ? { version: 6 as const, trafficClass: 0, flowLabel: 0, nextHeader: 6, hopLimit: 64, src, dst, extensions: new Uint8Array(0) }
    : { version: 4 as const, tos: 0, id: 0, fragment: 0x4000, ttl: 64, protocol: 6, src, dst, options: new Uint8Array(0) };
  return { ip, tcp, errors: [] };
}

/** A UDP datagram (not TCP: decode must skip it). */
export function udpPacket(): IpPacket {
  const udp = Uint8Array.from([0x13, 0x88, 0x13, 0x89, 0, 12, 0, 0, 1, 2, 3, 4]);
  return {
    ip: { version: 4, tos: 0, id: 0, fragment: 0, ttl: 64, protocol: 17, src: '192.0.2.1', dst: '192.0.2.2', options: new Uint8Array(0) },
    other: { protocol: 17, bytes: udp },
    errors: [],
  };
}
