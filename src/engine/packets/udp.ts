// Inbound `udp (LEN)` lines: a UDP datagram of LEN zero bytes from the script's address, to the
// written ports (default: from a seeded ephemeral port to bind_port).

import type { UdpBody } from '../../script/ast.js';
import type { IpPacket } from '../../wire/packet.js';
import { parseAddress } from '../../wire/addr.js';
import { transportChecksum } from '../../wire/checksum.js';
import type { Env } from './env.js';
import { buildIpHeader } from './header.js';

export function buildUdp(env: Env, body: UdpBody): IpPacket {
  const { ctx, rng, world } = env;
  const bytes = new Uint8Array(8 + body.payloadLength);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, body.srcPort ?? rng.port((p) => world.portInUse(p)));
  view.setUint16(2, body.dstPort ?? ctx.bindPort);
  view.setUint16(4, bytes.length & 0xffff);
  const src = parseAddress(ctx.remoteIp)!.bytes;
  const dst = parseAddress(ctx.localIp)!.bytes;
  const sum = transportChecksum(src, 0, dst, 0, src.length, 17, bytes, 0, bytes.length, 6);
  // UDP sends a computed 0 as 0xffff (0 means "no checksum").
  view.setUint16(6, sum === 0 ? 0xffff : sum);
  const ip = buildIpHeader(env.family, undefined, ctx.remoteIp, ctx.localIp);
  if (ip.version === 4) ip.protocol = 17;
  else ip.nextHeader = 17;
  return { ip, other: { protocol: 17, bytes }, errors: [] };
}
