// Virtual time for the bundled stack: nothing reads a wall clock. Timers sit in a heap ordered by
// (time, insertion order); advancing the clock fires them one at a time, each at its own instant,
// so packets sent from a timer carry that timer's exact time.
import type { Clock, Usecs } from '../targets/target.js';

export interface Timer {
  readonly at: Usecs;
  cancel(): void;
}

interface Entry {
  at: Usecs;
  seq: number;
  fn: () => void;
  live: boolean;
}

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  private t: Usecs = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private generation = 0;
  /** Called after every fired timer (the stack re-checks blocked calls there). */
  onAfterTimer: () => void = () => {};

  now(): Usecs {
    return this.t;
  }

  start(): void {
    // Script time 0 is the stack's time 0: the stack is created with the script.
  }

  schedule(at: Usecs, fn: () => void): Timer {
    const e: Entry = { at: Math.max(at, this.t), seq: this.seq++, fn, live: true };
    this.push(e);
    return { at: e.at, cancel: () => { e.live = false; } };
  }

  /** Time of the next live timer, if any. */
  nextAt(): Usecs | undefined {
    this.dropDead();
    return this.heap[0]?.at;
  }

  /** Fires the earliest timer if it is due by `limit`; returns false when none is. */
  fireNext(limit: Usecs): boolean {
    this.dropDead();
    const e = this.heap[0];
    if (!e || e.at > limit) return false;
    this.pop();
    this.t = Math.max(this.t, e.at);
    e.live = false;
    e.fn();
    this.onAfterTimer();
    return true;
  }

  advanceTo(t: Usecs): void {
    while (this.fireNext(t)) { /* fire in order */ }
    if (t > this.t) this.t = t;
  }

  async sleepUntil(t: Usecs): Promise<void> {
    await this.advance(t);
  }

  /**
   * Advances to `t` one timer at a time, yielding a turn after each so that a call unblocked by
   * that timer settles (and is stamped) at the timer's time. A newer advance supersedes an older
   * one still running (the engine abandoned it in a race): the older one stops where it is.
   * `stopWhen` ends the advance early (e.g. once a packet is queued).
   */
  async advance(t: Usecs, stopWhen?: () => boolean): Promise<void> {
    const mine = ++this.generation;
    for (;;) {
      if (mine !== this.generation || stopWhen?.()) return;
      if (!this.fireNext(t)) break;
      await yieldTurn();
    }
    if (mine === this.generation && t > this.t) this.t = t;
    await yieldTurn();
  }

  private dropDead(): void {
    while (this.heap.length > 0 && !this.heap[0]!.live) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
