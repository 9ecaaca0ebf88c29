// Packets a real-time target (kernel, remote) read from the wire, handed to receive() in order:
// a waiter resolves at the next packet or with null at its deadline on the target's clock.
import type { Clock, SentPacket, Usecs } from './target.js';

interface Waiter<T> { resolve: (p: T | null) => void; deadline: Usecs; timer?: NodeJS.Timeout }

/** Also the queue of a target's path-manager events (`T` = PmEvent). */
export class PacketQueue<T = SentPacket> {
  private readonly queue: T[] = [];
  private readonly waiters: Waiter<T>[] = [];

  constructor(private readonly clock: Clock) {}

  /** Packets read and not yet handed over. */
  get size(): number {
    return this.queue.length;
  }

  push(p: T): void {
    const w = this.waiters.shift();
    if (w) { clearTimeout(w.timer); w.resolve(p); } else this.queue.push(p);
  }

  next(deadline: Usecs): Promise<T | null> {
    const p = this.queue.shift();
    if (p) return Promise.resolve(p);
    if (deadline <= this.clock.now()) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter<T> = { resolve, deadline };
      this.waiters.push(w);
      this.arm(w);
    });
  }

  /** Resolves every waiter with null (at close). */
  release(): void {
    for (const w of this.waiters.splice(0)) { clearTimeout(w.timer); w.resolve(null); }
  }

  /** Resolves the waiter with null at its deadline (re-arming when the timer fires early). */
  private arm(w: Waiter<T>): void {
    const ms = Math.max(0, (w.deadline - this.clock.now()) / 1000);
    w.timer = setTimeout(() => {
      if (this.clock.now() < w.deadline) { this.arm(w); return; }
      // A packet sent before the deadline may be waiting in the event loop (a capture thread's
      // message): let it be delivered first (check phase, after poll) before answering "none".
      setImmediate(() => {
        const i = this.waiters.indexOf(w);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        w.resolve(null);
      });
    }, ms);
  }
}
