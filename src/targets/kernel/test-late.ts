// A test hook: makes the kernel target's clock wake up late, so that a test can make the tester
// itself late, deterministically, on the real kernel (a loaded machine does it at random).
// MPTCPDRILL_TEST_TESTER_LATE=AT_US:LATE_US:TIMES: in each of the first TIMES runs of this
// process (a run starts when the clock starts), the first time the clock sleeps until a script
// time at or after AT_US it comes back LATE_US later, as a descheduled thread would. Counted by
// event, not by a time window: an event due at AT_US counted from the event before it is due a
// little after AT_US when that event was itself late (a loaded machine), and a window missed it.
// Never during the warm-up scripts (src/suite/kernel-worker-warmup.ts). Unset in normal use;
// `--retry-timing` is tested end to end with it (test/kernel-retry-timing.test.ts).

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

/** A run starts (the clock starts from 0): the stall may happen once more. */
export function testerLateRunStarted(): void {
  if (stall && !suspended) stall.armed = true;
}

/** How long the clock, just woken at script time `t`, should stay away (0 almost always). */
export function testerLateAt(t: number): number {
  if (!stall || stall.left === 0 || suspended || !stall.armed || t < stall.atUs) return 0;
  stall.armed = false;
  stall.left--;
  return stall.lateUs;
}
