// Seeded random choices of the engine (keys, nonces, ephemeral ports), on the project's one
// seeded generator, so a run with the same seed injects the same bytes.

import { Prng } from '../../stack/prng.js';

export class SeededRandom {
  private readonly prng: Prng;

  constructor(seed: number) {
    // A different stream from the bundled stack's with the same seed.
    this.prng = new Prng(seed ^ 0x5eed);
  }

  /** A 64-bit MPTCP key; never 0 (Linux never picks 0). */
  key(): bigint {
    let k = 0n;
    while (k === 0n) k = this.prng.next64();
    return k;
  }

  next32(): number {
    return this.prng.next32();
  }

  /** An ephemeral port in Linux's default range 32768..60999, not in `used`. */
  port(used: (port: number) => boolean): number {
    for (;;) {
      const p = this.prng.range(32768, 60999);
      if (!used(p)) return p;
    }
  }
}
