// The suite's long-lived kernel worker: one process per -j slot runs kernel script after kernel
// script, so a script no longer pays a Node start (src/suite/kernel-workers.ts starts them).
//
// It is started under `unshare --net` (a private, empty home namespace: nothing it does between
// scripts can touch the host's network) with the suite's privileges, and dies with the suite
// (PR_SET_PDEATHSIG, and EOF on its stdin). For each script its main thread enters a fresh
// anonymous namespace (enterFreshNetns: unshare(CLONE_NEWNET) on that thread only), runs the job,
// ends whatever the script started (shell commands, the Python worker, anything still in the
// namespace), and goes back home (leaveFreshNetns), so the namespace dies with its last
// descriptor. The threads the kernel target uses were started at home before the first script
// and only use descriptors (src/targets/kernel/threads.ts). After each script the worker checks
// that none of its threads and none of its descriptors still holds the script's namespace; if
// one does (a call stuck in the kernel, a leaked socket), it answers and exits, and the suite
// starts a fresh worker.
//
// A watchdog (`sh`, its own process group) is told the namespace of the running script; if the
// worker dies without cleaning up (SIGKILL, a crash), its stdin ends and it kills every process
// left in that namespace.
//
// Protocol: one JSON request per line on stdin ({id, spec}); per job, a line
// `@mptcpdrill-worker-end <id>` on stderr (what the job wrote to stderr comes before it), then
// `@mptcpdrill-worker-result <json>` on stdout ({id, report, retire?}).

import { closeSync, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { descendants } from './process-tree.js';
import type { JobReport, JobSpec } from './types.js';

export const WORKER_FLAG = '--kernel-worker';
export const WORKER_RESULT = '@mptcpdrill-worker-result ';
export const WORKER_END = '@mptcpdrill-worker-end ';

export interface WorkerRequest { id: number; spec: JobSpec }
export interface WorkerReply { id: number; report: JobReport; retire?: string }

/** How long the worker waits for the processes of a finished script to die. */
const SWEEP_MS = 2000;

function crash(message: string): JobReport {
  return { status: 'error', wallMs: 0, scriptEndUs: 0, warnings: [], failure: { kind: 'crash', headline: message } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function kernelWorkerMain(): Promise<void> {
  const netns = await import('../targets/kernel/netns.js');
  if (!netns.inPrivateNetns()) {
    process.stderr.write('mptcpdrill kernel worker: not in a private network namespace of its own; refusing to run.\n');
    process.exit(2);
  }
  netns.dieWithParent();
  const watchdog = netns.NetnsWatchdog.start();

  // Every thread this process will use starts here, at home: the libuv pool (its first request
  // starts all of its threads), and the kernel target's own.
  await stat('/');
  const { startKernelThreads, kernelThreadsHealthy } = await import('../targets/kernel/threads.js');
  await startKernelThreads();
  const { collectGarbage, warmUpKernelTarget } = await import('./kernel-worker-warmup.js');
  await warmUpKernelTarget();
  const { runJob } = await import('./run-one.js');
  await import('../targets/kernel/kernel-target.js');
  const { killDescendants } = await import('./process-tree.js');

  /** Kills what a script left: its processes (not the watchdog), then anything in its namespace. */
  const endScriptProcesses = async (ns: string | null): Promise<string | undefined> => {
    for (const pid of descendants(process.pid)) {
      if (pid === watchdog.pid) continue;
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (!ns) return undefined;
    const until = Date.now() + SWEEP_MS;
    for (;;) {
      const left = netns.processesInNetns(ns);
      if (left.length === 0) return undefined;
      if (Date.now() > until) return `processes ${left.join(', ')} are still in the script's namespace`;
      for (const pid of left) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await sleep(20);
    }
  };

  // Stopped by the suite (SIGTERM) or Ctrl-C: end the running script's processes, then leave.
  let current: string | null = null;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      killDescendants(process.pid);
      if (current) for (const pid of netns.processesInNetns(current)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      // Not process.exit(): it joins every thread, and a blocking call may hold one in the kernel.
      process.kill(process.pid, 'SIGKILL');
    });
  }

  const runOne = async (req: WorkerRequest): Promise<WorkerReply> => {
    collectGarbage();
    let fresh: string;
    try {
      fresh = netns.enterFreshNetns();
    } catch (err) {
      return { id: req.id, report: crash(`cannot make a network namespace: ${(err as Error).message}`), retire: 'no namespace' };
    }
    current = fresh;
    watchdog.watch(fresh);
    let report: JobReport;
    try {
      report = await runJob(req.spec);
    } catch (err) {
      report = crash(`internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
    const problems: string[] = [];
    // Held while the namespace is checked: a namespace's id is an inode number the kernel hands to
    // the next namespace made once the last reference goes, maybe another worker's script's.
    let hold: number | undefined;
    try { hold = openSync('/proc/thread-self/ns/net', 'r'); } catch { /* checked without it */ }
    try {
      netns.leaveFreshNetns();
    } catch (err) {
      // Still inside: this process must not run anything else.
      return { id: req.id, report, retire: (err as Error).message };
    }
    try {
      // Without the hold, only the script's own process tree is ended, and the worker retires.
      const stuck = await endScriptProcesses(hold === undefined ? null : fresh);
      if (stuck) problems.push(stuck);
      if (hold === undefined) problems.push('the script\'s namespace could not be held to be checked');
      else {
        const threads = netns.threadsInNetns(fresh);
        if (threads.length > 0) problems.push(`threads ${threads.join(', ')} are still in the script's namespace`);
        const fds = netns.descriptorsInNetns(fresh).filter((fd) => fd !== hold);
        if (fds.length > 0) problems.push(`descriptors ${fds.join(', ')} still hold the script's namespace`);
      }
    } finally {
      if (hold !== undefined) closeSync(hold);
      current = null;
      watchdog.watch(null);
    }
    if (!(await kernelThreadsHealthy())) problems.push('a kernel target thread stopped or is stuck');
    return { id: req.id, report, ...(problems.length > 0 ? { retire: problems.join('; ') } : {}) };
  };

  const lines = createInterface({ input: process.stdin });
  const queue: WorkerRequest[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      queue.push(JSON.parse(line) as WorkerRequest);
    } catch {
      return;
    }
    wake?.();
  });
  lines.on('close', () => { ended = true; wake?.(); });
  for (;;) {
    while (queue.length === 0 && !ended) await new Promise<void>((r) => { wake = r; });
    wake = null;
    const req = queue.shift();
    if (!req) break;
    const reply = await runOne(req);
    process.stderr.write(`\n${WORKER_END}${req.id}\n`);
    await new Promise<void>((r) => process.stdout.write(`${WORKER_RESULT}${JSON.stringify(reply)}\n`, () => r()));
    if (reply.retire) {
      if (process.env.MPTCPDRILL_DEBUG === '1') process.stderr.write(`mptcpdrill kernel worker ${process.pid} retires: ${reply.retire}\n`);
      // A thread may be stuck in the kernel, which process.exit() would wait for forever.
      process.kill(process.pid, 'SIGKILL');
    }
  }
  watchdog.end();
  process.exit(0);
}
