// The fixed surroundings every part of the packet engine reads: options, seeded randomness and
// the remembered state.

import type { PacketContext } from './types.js';
import type { World } from './state.js';
import type { SeededRandom } from './random.js';

export interface Env {
  ctx: PacketContext;
  rng: SeededRandom;
  world: World;
  /** IP family on the wire (ipv4-mapped-ipv6 runs IPv4 on the wire). */
  family: 4 | 6;
}

/** Wire form of an address option value: `::ffff:a.b.c.d` is IPv4 on the wire; a `/N` prefix is dropped. */
export function wireAddress(text: string): string {
  const bare = text.replace(/\/\d+$/, '');
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return m ? m[1]! : bare;
}
