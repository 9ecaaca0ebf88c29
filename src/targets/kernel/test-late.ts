// A test hook: makes the kernel target's clock wake up late, so that a test can make the tester
// itself late, deterministically, on the real kernel (a loaded machine does it at random).
// MPTCPDRILL_TEST_TESTER_LATE=AT_US:LATE_US:TIMES: the first TIMES times this process's clock
// sleeps until a script time in [AT_US, AT_US + 1 ms) (an event due at AT_US, counted from the
// event before it), it comes back LATE_US later, as a descheduled thread would. Once per run:
// the clock must have slept until an earlier time since (a new run starts from 0). Never during
// the warm-up scripts (src/suite/kernel-worker-warmup.ts), whose events can fall in the window. Unset in normal use; `--retry-timing` is tested end to end with it
// (test/kernel-retry-timing.test.ts).

interface Stall { atUs: number; lateUs: number; left: number; armed: boolean }

function parse(value: string | undefined): Stall | undefined {
  const m = /^(\d+):(\d+):(\d+)$/.exec(value ?? '');
  return m ? { atUs: Number(m[1]), lateUs: Number(m[2]), left: Number(m[3]), armed: true } : undefined;
}

const stall = parse(process.env['MPTCPDRILL_TEST_TESTER_LATE']);
let suspended = false;

/** Turns the hook off (the warm-up) and on again. */
export function suspendTesterLate(on: boolean): void {
  suspended = on;
}

/** How long the clock, just woken at script time `t`, should stay away (0 almost always). */
export function testerLateAt(t: number): number {
  if (!stall || stall.left === 0 || suspended) return 0;
  // A new run's clock starts again from 0.
  if (t < stall.atUs) {
    stall.armed = true;
    return 0;
  }
  if (!stall.armed || t >= stall.atUs + 1000) return 0;
  stall.armed = false;
  stall.left--;
  return stall.lateUs;
}
