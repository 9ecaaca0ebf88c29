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

  start(): void {
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
      if (left <= 0) return;
      if (left > SPIN_US) await new Promise((r) => setTimeout(r, (left - SPIN_US) / 1000));
      // setImmediate lets packet reads and worker replies run while spinning.
      else await new Promise((r) => setImmediate(r));
    }
  }
}
