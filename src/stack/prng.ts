// Seeded pseudo-random numbers (splitmix64) for everything a real stack would randomise: ISNs,
// MPTCP keys and nonces, timestamp offsets, ephemeral ports. Same seed, same trace.

const MASK64 = (1n << 64n) - 1n;

export class Prng {
  private state: bigint;

  constructor(seed: number) {
    this.state = BigInt.asUintN(64, BigInt(Math.trunc(seed)) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn);
  }

  next64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  next32(): number {
    return Number(this.next64() >> 32n) >>> 0;
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + (this.next32() % (hi - lo + 1));
  }
}
