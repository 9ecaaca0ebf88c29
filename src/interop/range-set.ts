// A set of half-open bigint ranges [start, end), merged as they are added: which DSNs have been
// mapped, which stream bytes have crossed the wire. With several subflows, mappings and data may
// be seen out of DSN order; gaps are judged at the end, on the union.

export class RangeSet {
  private ranges: Array<[bigint, bigint]> = [];

  add(start: bigint, end: bigint): void {
    if (end <= start) return;
    const out: Array<[bigint, bigint]> = [];
    let s = start;
    let e = end;
    let placed = false;
    for (const [a, b] of this.ranges) {
      if (b < s) out.push([a, b]);
      else if (a > e) {
        if (!placed) { out.push([s, e]); placed = true; }
        out.push([a, b]);
      } else { s = a < s ? a : s; e = b > e ? b : e; }
    }
    if (!placed) out.push([s, e]);
    this.ranges = out;
  }

  /** End of the range that starts at or before `from` and covers it contiguously; `from` if none. */
  contiguousEnd(from: bigint): bigint {
    for (const [a, b] of this.ranges) if (a <= from && b >= from) return b;
    return from;
  }

  /** Highest end of any range (undefined when empty). */
  get max(): bigint | undefined {
    return this.ranges.length > 0 ? this.ranges[this.ranges.length - 1]![1] : undefined;
  }

  get count(): number {
    return this.ranges.length;
  }
}
