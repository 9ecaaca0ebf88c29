// The addresses of a connection and the IP header the stack puts on what it sends.
import type { IpPacket, TcpSegment } from '../../wire/packet.js';
import { IPPROTO_TCP } from '../../wire/codec.js';

export interface FourTuple {
  family: 4 | 6;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
}

export const tupleKey = (t: FourTuple): string => `${t.localIp}|${t.localPort}|${t.remoteIp}|${t.remotePort}`;

/** Wraps a segment in the IP header Linux would use (DF set unless `df` is false, TTL/hop limit 64, id 0). */
export function ipPacket(t: FourTuple, tcp: TcpSegment, tos = 0, df = true): IpPacket {
  if (t.family === 4) {
    return {
      ip: { version: 4, tos, id: 0, fragment: df ? 0x4000 : 0, ttl: 64, protocol: IPPROTO_TCP, src: t.localIp, dst: t.remoteIp, options: new Uint8Array(0) },
      tcp,
      errors: [],
    };
  }
  return {
    ip: { version: 6, trafficClass: tos, flowLabel: 0, nextHeader: IPPROTO_TCP, hopLimit: 64, src: t.localIp, dst: t.remoteIp, extensions: new Uint8Array(0) },
    tcp,
    errors: [],
  };
}
