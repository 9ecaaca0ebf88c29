// Codec throughput: decode, encode and render packets/s over a large mixed set (every option
// form of the samples, IPv4 and IPv6, payloads 0..1400 bytes). Speed is reported, not asserted.

import { decodeIp, encodeIp } from '../../src/wire/codec.js';
import { renderPacket } from '../../src/wire/render.js';
import { SAMPLE_OPTION_SETS, samplePacket } from '../../src/wire/sample-packets.js';
import type { IpPacket } from '../../src/wire/packet.js';
import { TcpFlag } from '../../src/wire/packet.js';

const PACKETS = 200_000;
const PAYLOADS = [0, 0, 0, 1, 100, 1400];

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

export async function run(): Promise<Record<string, number | string>> {
  // Distinct byte buffers so that nothing is cached between iterations.
  const wire: Uint8Array[] = new Array<Uint8Array>(PACKETS);
  let bytes = 0;
  for (let i = 0; i < PACKETS; i++) {
    const set = SAMPLE_OPTION_SETS[i % SAMPLE_OPTION_SETS.length]!;
    const p = samplePacket(set.options, i % 3 === 0 ? 6 : 4, PAYLOADS[i % PAYLOADS.length]!, TcpFlag.ACK | (i % 5 === 0 ? TcpFlag.PSH : 0));
    p.tcp!.seq = (i * 1448) >>> 0;
    wire[i] = encodeIp(p);
    bytes += wire[i]!.length;
  }

  // Decoding is timed as a stream (nothing kept), the way a capture is read; encode and render
  // then work from a decoded copy made outside the timing.
  let sink = 0;
  let t0 = performance.now();
  for (let i = 0; i < PACKETS; i++) sink += decodeIp(wire[i]!).errors.length;
  const decodeMs = performance.now() - t0;
  const decoded: IpPacket[] = wire.map((b) => decodeIp(b));

  t0 = performance.now();
  for (let i = 0; i < PACKETS; i++) sink += encodeIp(decoded[i]!).length;
  const encodeMs = performance.now() - t0;

  t0 = performance.now();
  for (let i = 0; i < PACKETS; i++) sink += renderPacket(decoded[i]!).length;
  const renderMs = performance.now() - t0;

  return {
    packets: PACKETS,
    mean_packet_bytes: Math.round(bytes / PACKETS),
    decode_pps: perSecond(PACKETS, decodeMs),
    encode_pps: perSecond(PACKETS, encodeMs),
    render_pps: perSecond(PACKETS, renderMs),
    decode_mbit_s: Math.round(((bytes * 8) / 1e6 / decodeMs) * 1000),
    checksum_of_outputs: sink,
  };
}
