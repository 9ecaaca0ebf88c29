// Out-of-order receive queue: holds segments beyond rcv_nxt, hands back contiguous data once the
// hole fills, and describes its ranges as SACK blocks (most recently changed block first, as
// Linux orders them).
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq.js';

interface Piece {
  seq: number;
  data: Uint8Array;
}

export class Reassembly {
  private pieces: Piece[] = [];
  private lastTouched: number | undefined;

  get size(): number {
    return this.pieces.length;
  }

  bytes(): number {
    return this.pieces.reduce((n, p) => n + p.data.length, 0);
  }

  insert(seq: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.pieces.push({ seq, data });
    this.pieces.sort((a, b) => seqDiff(a.seq, b.seq));
    this.lastTouched = seq;
  }

  /** Removes and returns the data that now continues rcvNxt (possibly empty). */
  take(rcvNxt: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let next = rcvNxt;
    let progress = true;
    while (progress) {
      progress = false;
      for (let i = 0; i < this.pieces.length; i++) {
        const p = this.pieces[i]!;
        const end = seqAdd(p.seq, p.data.length);
        if (seqLe(end, next)) { this.pieces.splice(i, 1); i--; continue; }
        if (seqLe(p.seq, next)) {
          out.push(p.data.subarray(seqDiff(next, p.seq)));
          next = end;
          this.pieces.splice(i, 1);
          progress = true;
          break;
        }
      }
    }
    return out;
  }

  /** Merged [left, right) ranges, the block holding the latest segment first, at most `max`. */
  sackBlocks(max: number): Array<[number, number]> {
    const merged: Array<[number, number]> = [];
    for (const p of this.pieces) {
      const end = seqAdd(p.seq, p.data.length);
      const last = merged[merged.length - 1];
      if (last && seqLe(p.seq, last[1])) { if (seqGt(end, last[1])) last[1] = end; continue; }
      merged.push([p.seq, end]);
    }
    const t = this.lastTouched;
    if (t !== undefined) {
      const i = merged.findIndex(([l, r]) => seqLe(l, t) && seqLt(t, r));
      if (i > 0) merged.unshift(...merged.splice(i, 1));
    }
    return merged.slice(0, max);
  }
}
