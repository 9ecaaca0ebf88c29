// A process's first kernel script runs its engine code for the first time: V8 compiles the
// lowering of calls, the marshalling of syscalls, building, encoding, decoding and matching
// packets as they are first used, which puts milliseconds (tens on a loaded machine) into that
// script's timeline, enough to fail a 4 ms tolerance. So a process that is about to run kernel
// scripts (a suite's kernel worker, `run --target kernel FILE`) first runs these two short scripts,
// each in a namespace of its own that is gone afterwards; their verdicts are not used. Then, as
// before each script of a kernel worker, the young generation is collected (collectGarbage):
// a scavenge takes milliseconds, more on a loaded machine, and should not land in a timeline.

import { runInNewContext } from 'node:vm';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

// Options are kept to what every Linux answers the same way (no window scaling, whose factor
// follows the namespace's buffer sizes). Each ends with a run of exchanges, so that V8 has
// optimised the code of the common events before a real script needs it.

function exchanges(n: number, lines: (i: number) => string[]): string {
  return Array.from({ length: n }, (_, i) => lines(i).join('\n')).join('\n');
}
const TCP = `--tolerance_usecs=1000000
0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S  0:0(0) win 65535 <mss 1460>
+0    > S. 0:0(0) ack 1 <mss 1460>
+0    < .  1:1(0) ack 1 win 256
+0    accept(3, ..., ...) = 4
+0    getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=1}, [232]) = 0
+0    < P. 1:101(100) ack 1 win 256
+0    > .  1:1(0) ack 101
+0    read(4, ..., 100) = 100
+0    write(4, ..., 100) = 100
+0    > P. 1:101(100) ack 101
+0    < .  101:101(0) ack 101 win 256
${exchanges(40, (i) => [
    `+0    write(4, ..., 100) = 100`,
    `+0    > P. ${101 + 100 * i}:${201 + 100 * i}(100) ack 101`,
    `+0    < .  101:101(0) ack ${201 + 100 * i} win 256`,
  ])}
+0    close(4) = 0
+0    > F. 4101:4101(0) ack 101
`;

const MPTCP = `--tolerance_usecs=1000000
0     socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S  0:0(0) win 65535 <mss 1460, mpcapable v1 flags[flag_h] nokey>
+0    > S. 0:0(0) ack 1 <mss 1460, mpcapable v1 flags[flag_h] key[skey]>
+0    < .  1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ckey=2, skey]>
+0    accept(3, ..., ...) = 4
+0    < P. 1:101(100) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ckey, skey] mpcdatalen 100, nop, nop>
+0    > .  1:1(0) ack 101 <dss dack8=101 nocs>
+0    read(4, ..., 100) = 100
+0    write(4, ..., 100) = 100
+0    > P. 1:101(100) ack 101 <dss dack8=101 dsn8=1 ssn=1 dll=100 nocs, nop, nop>
+0    < .  101:101(0) ack 101 win 256 <dss dack8=101 nocs>
${exchanges(20, (i) => [
    `+0    write(4, ..., 100) = 100`,
    `+0    > P. ${101 + 100 * i}:${201 + 100 * i}(100) ack 101 <dss dack8=101 dsn8=${101 + 100 * i} ssn=${101 + 100 * i} dll=100 nocs, nop, nop>`,
    `+0    < .  101:101(0) ack ${201 + 100 * i} win 256 <dss dack8=${201 + 100 * i} nocs>`,
  ])}
`;

/** The warm-up scripts' texts (tests check that they pass on this kernel). */
export const WARM_UP_SCRIPTS: Readonly<Record<'tcp' | 'mptcp', string>> = { tcp: TCP, mptcp: MPTCP };

/**
 * Runs the warm-up scripts of `kinds` on the kernel target (a single run warms up what its
 * script uses), each in a fresh namespace entered and left by the calling (main) thread, which
 * must not be inside one already. Never throws.
 */
export async function warmUpKernelTarget(kinds: ReadonlyArray<'tcp' | 'mptcp'> = ['tcp', 'mptcp']): Promise<void> {
  const netns = await import('../targets/kernel/netns.js');
  const { checkText } = await import('../script/load.js');
  const { prepareRun } = await import('../engine/prepare.js');
  const { runScript } = await import('../engine/run.js');
  const { KernelTarget } = await import('../targets/kernel/kernel-target.js');
  const { suspendTesterLate } = await import('../targets/kernel/test-late.js');
  const scripts = { tcp: ['warm-up-tcp.pkt', TCP], mptcp: ['warm-up-mptcp.pkt', MPTCP] } as const;
  // The kernel clock's test hook (test-late.ts) is for the scripts that follow, not these.
  suspendTesterLate(true);
  try {
    for (const [name, text] of kinds.map((k) => scripts[k])) {
      try {
        netns.enterFreshNetns();
      } catch {
        return;
      }
      try {
        const loaded = checkText(name, text, { target: 'kernel' });
        if (loaded.script && loaded.options) {
          await runScript(loaded, new KernelTarget(), prepareRun(loaded.options, 'kernel', { seed: 1, graceUs: 0 }));
        }
      } catch {
        // A warm-up that fails has still compiled what it ran.
      } finally {
        netns.leaveFreshNetns();
      }
    }
  } finally {
    suspendTesterLate(false);
    collectGarbage();
  }
}

let gc: ((opts?: { type: 'minor' }) => void) | undefined;
/** Heap in use after the last full collection. */
let afterMajor = 0;
/** Old-generation growth past which collectGarbage() also runs a full collection. */
const MAJOR_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Collects garbage now, between scripts: the young generation always, the whole heap when it has
 * grown by MAJOR_EVERY_BYTES since the last time (a full collection in a timeline would pause it
 * tens of milliseconds). V8's gc() is exposed once when the process was not started with it.
 */
export function collectGarbage(): void {
  try {
    if (!gc) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as typeof gc;
    }
    const used = getHeapStatistics().used_heap_size;
    if (afterMajor === 0 || used - afterMajor > MAJOR_EVERY_BYTES) {
      // gc() without options: Node 20's V8 takes {type: 'major'} for a scavenge (measured with
      // --trace-gc), which left the incremental marking it starts to finish inside the next script.
      gc?.();
      afterMajor = getHeapStatistics().used_heap_size;
    } else {
      gc?.({ type: 'minor' });
    }
  } catch {
    // Not essential.
  }
}
