// The kernel target's clock: real monotonic time in µs since start(). sleepUntil() uses a timer
// for the bulk of the wait and spins (yielding to the event loop) for the last stretch, because
// timers alone wake up to a millisecond or more late.
import type { Clock, Usecs } from '../target.js';
import { testerLateAt, testerLateRunStarted } from './test-late.js';

/** Below this much remaining time, stop using timers and spin. */
const SPIN_US = 1500;

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  private t0 = process.hrtime.bigint();
  /** Sleeps waiting on a timer, ended by endSleeps(). */
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private ended = false;

  start(): void {
    this.ended = false;
    testerLateRunStarted();
    this.t0 = process.hrtime.bigint();
  }

  now(): Usecs {
    return Number(process.hrtime.bigint() - this.t0) / 1000;
  }

  /** Script time of a monotonic hrtime stamp (e.g. one taken by the tun reader thread). */
  fromHrtime(hr: bigint): Usecs {
    return Number(hr - this.t0) / 1000;
  }

  /** CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock) of script time `t`. */
  toHrtime(t: Usecs): bigint {
    return this.t0 + BigInt(Math.round(t * 1000));
  }

  async sleepUntil(t: Usecs): Promise<void> {
    const late = testerLateAt(t);
    if (late > 0) t += late;
    for (;;) {
      const left = t - this.now();
      if (left <= 0 || this.ended) return;
      if (left > SPIN_US) {
        await new Promise<void>((wake) => {
          const sleep = { timer: setTimeout(() => { this.sleeps.delete(sleep); wake(); }, (left - SPIN_US) / 1000), wake };
          this.sleeps.add(sleep);
        });
      }
      // setImmediate lets packet reads and worker replies run while spinning.
      else await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * The run is over (the target closes): sleeps still pending return now. Their callers lost a
   * race (a packet came first) and are gone, but their timers held the process open at exit for
   * as long as the longest (most of a second after a single `run --target kernel FILE`).
   */
  endSleeps(): void {
    this.ended = true;
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleeps.clear();
  }
}
