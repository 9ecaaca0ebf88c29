// Deterministic fuzzing of the codec: valid packets with every option form, mutated (bit flips,
// truncation, lying lengths, random option lists, random MPTCP options, trailers) and plain
// random bytes. Every input must decode without throwing, re-encode to the same bytes, and
// render and serialise to JSON without throwing.

import test from 'ava';
import { bytesEqual, decodeIp, encodeIp, tcpOptionsLength, toHex } from '../src/wire/codec.js';
import { renderPacket } from '../src/wire/render.js';
import type { RenderOptions } from '../src/wire/render.js';
import { packetToJson } from '../src/wire/json.js';
import { SAMPLE_OPTION_SETS, samplePacket } from '../src/wire/sample-packets.js';
import { TcpFlag } from '../src/wire/packet.js';
import type { TcpOption } from '../src/wire/packet.js';
import { mulberry32 } from './helpers/mulberry32.js';


const ITERATIONS = 100_000;

/** Rendering with every context option in use (relative numbers, names) must not throw either. */
const RELATIVE: RenderOptions = {
  tuple: { src: 'c1', dst: 's1' },
  isn: { sender: 0xfffffff0, receiver: 7 },
  idsn: { sender: (1n << 64n) - 5n, receiver: 3n },
  keyName: (k) => (k & 1n ? 'ck' : undefined),
  addressName: (a) => (a.length > 9 ? 'a1' : undefined),
};

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const { options } of SAMPLE_OPTION_SETS) {
    for (const v of [4, 6] as const) {
      for (const len of [0, 1, 100]) out.push(encodeIp(samplePacket(options, v, len, TcpFlag.ACK | TcpFlag.PSH)));
    }
  }
  // Option mixes: several forms packed into one header, up to 40 bytes.
  for (let i = 0; i + 1 < SAMPLE_OPTION_SETS.length; i++) {
    const mix = [...SAMPLE_OPTION_SETS[i]!.options, ...SAMPLE_OPTION_SETS[i + 1]!.options];
    const p = samplePacket(mix, i % 2 ? 6 : 4, i);
    out.push(encodeIp(p));
  }
  return out;
}

function mutate(rand: () => number, seed: Uint8Array): Uint8Array {
  const int = (n: number): number => Math.floor(rand() * n);
  const ipHdr = (b: Uint8Array): number => (b[0]! >> 4 === 6 ? 40 : (b[0]! & 15) * 4);
  let b: Uint8Array = seed.slice();
  const kind = int(9);
  switch (kind) {
    case 0: // bit flips
      for (let i = 1 + int(8); i > 0; i--) b[int(b.length)]! ^= 1 << int(8);
      break;
    case 1: // truncation
      b = b.subarray(0, int(b.length + 1));
      break;
    case 2: // lying IP length
      if (b[0]! >> 4 === 4) {
        b[2] = int(256);
        b[3] = int(256);
      } else {
        b[4] = int(256);
        b[5] = int(256);
      }
      break;
    case 3: {
      // lying data offset
      const t = ipHdr(b);
      if (t + 12 < b.length) b[t + 12] = (int(16) << 4) | (b[t + 12]! & 15);
      break;
    }
    case 4: {
      // random option bytes over the option space
      const t = ipHdr(b);
      const doff = t + 12 < b.length ? (b[t + 12]! >> 4) * 4 : 0;
      for (let i = t + 20; i < Math.min(b.length, t + doff); i++) b[i] = rand() < 0.3 ? int(40) : int(256);
      break;
    }
    case 5: {
      // a random MPTCP option at a random place in the option space
      const t = ipHdr(b);
      const doff = t + 12 < b.length ? (b[t + 12]! >> 4) * 4 : 0;
      const start = t + 20 + int(Math.max(1, doff - 20));
      if (start + 2 < b.length) {
        b[start] = 30;
        b[start + 1] = int(34);
        b[start + 2] = (int(16) << 4) | int(16);
      }
      break;
    }
    case 6: {
      // trailer
      const n = new Uint8Array(b.length + 1 + int(20));
      n.set(b);
      for (let i = b.length; i < n.length; i++) n[i] = rand() < 0.5 ? 0 : int(256);
      b = n;
      break;
    }
    case 7: {
      // random bytes, keeping the version nibble half of the time
      const n = new Uint8Array(int(120));
      for (let i = 0; i < n.length; i++) n[i] = int(256);
      if (n.length && rand() < 0.5) n[0] = (rand() < 0.5 ? 0x45 : 0x60) | (n[0]! & 0x0f);
      b = n;
      break;
    }
    default: // several mutations at once
      b = mutate(rand, mutate(rand, b));
  }
  return b;
}

test(`fuzz: ${ITERATIONS} mutated packets decode, round-trip, render and serialise`, (t) => {
  const rand = mulberry32(0x5eed);
  const pool = seeds();
  let failures = 0;
  let firstFailure = '';
  let withErrors = 0;
  let withMalformed = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = mutate(rand, pool[Math.floor(rand() * pool.length)]!);
    try {
      const d = decodeIp(input);
      if (d.errors.length) withErrors++;
      if (d.tcp?.options.some((o) => o.kind === 'malformed')) withMalformed++;
      const again = encodeIp(d);
      renderPacket(d);
      renderPacket(d, RELATIVE);
      JSON.stringify(packetToJson(d, i, i / 1000));
      if (!bytesEqual(again, input)) throw new Error(`re-encoded as ${toHex(again)}`);
    } catch (e) {
      failures++;
      if (!firstFailure) firstFailure = `${toHex(input)}: ${e instanceof Error ? e.stack : String(e)}`;
    }
  }
  t.is(failures, 0, firstFailure);
  // The mutations really produce damage of both kinds (else the fuzzer tests nothing).
  t.true(withErrors > ITERATIONS / 10);
  t.true(withMalformed > ITERATIONS / 100);
});

test('fuzz: random option lists built by hand survive encode/decode unchanged', (t) => {
  const rand = mulberry32(42);
  let checked = 0;
  for (let i = 0; i < 20_000; i++) {
    const options: TcpOption[] = [];
    for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
      options.push(...SAMPLE_OPTION_SETS[Math.floor(rand() * SAMPLE_OPTION_SETS.length)]!.options);
    }
    // Only lists a real header can carry: at most 40 bytes, whole words, EOL last.
    const len = tcpOptionsLength(options);
    const eolAt = options.findIndex((o) => o.kind === 'eol');
    if (len > 40 || len % 4 !== 0 || (eolAt >= 0 && eolAt !== options.length - 1)) continue;
    const p = samplePacket(options, rand() < 0.5 ? 4 : 6, Math.floor(rand() * 50));
    const bytes = encodeIp(p);
    const d = decodeIp(bytes);
    t.deepEqual(d.errors, []);
    t.deepEqual(d.tcp?.options, options);
    t.true(bytesEqual(encodeIp(d), bytes));
    checked++;
  }
  t.true(checked > 2000, `only ${checked} lists compared`);
});
