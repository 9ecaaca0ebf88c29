// Where a job runs. Kernel jobs run in long-lived kernel workers (kernel-worker.ts): processes
// under `unshare --net`, one per script running at once, that give each script a fresh namespace
// of its own (never shared, so parallel scripts cannot see each other's devices, addresses or
// sysctls) without a process start per script. MPTCPDRILL_KERNEL_WORKERS=0 runs each kernel job
// in a child process of its own instead, as before. Bundled-stack jobs run either in this process
// (no start-up cost; the stack is virtual-time and self-contained) or in plain child processes
// (real parallelism on several cores); see cli.ts for which is chosen.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KERNEL_NODE_FLAGS } from '../targets/kernel/node-flags.js';
import { parentDeathPrefix } from '../targets/process-groups.js';
import { KernelWorkerPool } from './kernel-workers.js';
import { decodeResult, encodeSpec } from './protocol.js';
import { runJob } from './run-one.js';
import type { JobReport, JobSpec } from './types.js';

export interface Execution {
  done: Promise<JobReport>;
  /** Ends the job early (SIGTERM, then SIGKILL after `graceMs`); no-op in-process. */
  stop(graceMs: number): void;
}

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
/** bin/mptcpdrill.js, which starts the child from the bundle while it is fresh (MPTCPDRILL_ENTRY=child). */
const LAUNCHER = fileURLToPath(new URL('../../../bin/mptcpdrill.js', import.meta.url));
const viaLauncher = CHILD_ENTRY.includes(`${sep}dist${sep}src${sep}`) && existsSync(LAUNCHER);

function errorReport(headline: string, detail: string | undefined, kind: 'crash' | 'timeout', wallMs: number): JobReport {
  return { status: 'error', wallMs, scriptEndUs: 0, warnings: [], failure: { kind, headline }, ...(detail ? { detail } : {}) };
}

export function runInProcess(spec: JobSpec): Execution {
  const done = runJob(spec).catch((err: unknown) => errorReport(`${spec.file}: internal error: ${err instanceof Error ? err.message : String(err)}`, undefined, 'crash', 0));
  return { done, stop: () => undefined };
}

export interface ChildOptions {
  /** Kill the child after this long (the suites' per-script limit). */
  timeoutMs: number;
  /** Extra environment for the child. */
  env?: NodeJS.ProcessEnv;
}

async function spawnChild(spec: JobSpec): Promise<ChildProcess> {
  const { args: entry, env } = launch();
  const args = [...entry, encodeSpec(spec)];
  if (spec.target === 'kernel') {
    const { reexecInFreshNetns } = await import('../targets/kernel/netns.js');
    return reexecInFreshNetns(args, env, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  // Killed with the suite, however the suite ends (a SIGKILL runs no handler): its own watchdog
  // (src/targets/process-groups.ts) then ends what its shell lines started.
  const [exe, ...pre] = [...parentDeathPrefix('KILL'), process.execPath];
  return spawn(exe!, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** How a child or a kernel worker is started: through the launcher (bundle) when there is one. */
function launch(): { args: string[]; env: NodeJS.ProcessEnv } {
  return viaLauncher
    ? { args: [LAUNCHER], env: { ...process.env, MPTCPDRILL_ENTRY: 'child' } }
    : { args: [CHILD_ENTRY], env: process.env };
}

let pool: Promise<KernelWorkerPool> | undefined;

/** The kernel workers of this process (started on demand). */
export function kernelWorkerPool(): Promise<KernelWorkerPool> {
  pool ??= import('../targets/kernel/netns.js').then(({ reexecInFreshNetns }) =>
    new KernelWorkerPool((args, env) => reexecInFreshNetns([...KERNEL_NODE_FLAGS, ...args], env, { stdio: ['pipe', 'pipe', 'pipe'] })));
  return pool;
}

/** A kernel job in one of the long-lived kernel workers. */
function runInKernelWorker(spec: JobSpec, opts: ChildOptions): Execution {
  let stopRequested: number | undefined;
  let stopWorker: ((graceMs: number) => void) | undefined;
  const done = kernelWorkerPool().then((p) => {
    const exec = p.run(spec, { timeoutMs: opts.timeoutMs, launch });
    stopWorker = exec.stop;
    if (stopRequested !== undefined) exec.stop(stopRequested);
    return exec.done;
  }, (err: unknown) => errorReport(`cannot start a kernel worker: ${(err as Error).message}`, undefined, 'crash', 0));
  return {
    done,
    stop: (graceMs) => {
      stopRequested ??= graceMs;
      stopWorker?.(graceMs);
    },
  };
}

export function runInChild(spec: JobSpec, opts: ChildOptions): Execution {
  if (spec.target === 'kernel' && process.env.MPTCPDRILL_KERNEL_WORKERS !== '0') return runInKernelWorker(spec, opts);
  let child: ChildProcess | undefined;
  let stopRequested: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (graceMs: number): void => {
    stopRequested ??= graceMs;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child?.kill('SIGKILL'), graceMs);
  };
  const began = performance.now();
  const done = (async (): Promise<JobReport> => {
    try {
      child = await spawnChild(spec);
    } catch (err) {
      return errorReport(`cannot start a child process: ${(err as Error).message}`, undefined, 'crash', 0);
    }
    if (stopRequested !== undefined) stop(stopRequested);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    let timedOut = false;
    const limit = setTimeout(() => { timedOut = true; stop(2000); }, opts.timeoutMs);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child!.on('error', (error) => resolve({ code: null, signal: null, error }));
      child!.on('close', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(limit);
    if (killTimer) clearTimeout(killTimer);
    const wallMs = performance.now() - began;
    const report = decodeResult(stdout);
    if (report) {
      if (stderr.trim() !== '') report.warnings.push(...stderr.trim().split('\n').map((l) => `child stderr: ${l}`));
      return report;
    }
    const output = [stdout, stderr].map((s) => s.trim()).filter((s) => s !== '').join('\n') || undefined;
    if (timedOut) return errorReport(`${spec.file}: timed out after ${Math.round(opts.timeoutMs / 1000)} s`, output, 'timeout', wallMs);
    if (exit.error) return errorReport(`${spec.file}: cannot start the test process: ${exit.error.message}`, output, 'crash', wallMs);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    return errorReport(`${spec.file}: the test process ${how} without a result`, output, 'crash', wallMs);
  })();
  return { done, stop };
}

/**
 * `--retry-timing N`: the job again, up to `retries` more times, while it fails on timing with
 * the tester itself late (failure.testerLateUs: a loaded machine, not the stack). The last run's
 * report is kept, with timingRetries and a warning saying what was retried and why.
 */
export function withTimingRetries(startOnce: () => Execution, retries: number): Execution {
  let current: Execution | undefined;
  let stopped: number | undefined;
  const done = (async (): Promise<JobReport> => {
    const lates: number[] = [];
    for (;;) {
      current = startOnce();
      if (stopped !== undefined) current.stop(stopped);
      const report = await current.done;
      const late = report.status === 'fail' && report.failure?.kind === 'timing' ? report.failure.testerLateUs : undefined;
      if (late === undefined || lates.length >= retries || stopped !== undefined) {
        if (lates.length > 0) {
          report.timingRetries = lates.length;
          report.warnings.push(timingRetryNote(lates, report.status === 'pass'));
        }
        return report;
      }
      lates.push(late);
    }
  })();
  return {
    done,
    stop: (graceMs) => {
      stopped ??= graceMs;
      current?.stop(graceMs);
    },
  };
}

/** `--retry-timing: run 2 times more after timing failures while the tester was 38 ms, 12 ms late; passed on run 3`. */
export function timingRetryNote(latesUs: readonly number[], passed: boolean): string {
  const ms = latesUs.map((us) => `${us >= 10_000 ? Math.round(us / 1000) : (us / 1000).toFixed(1)} ms`).join(', ');
  const n = latesUs.length;
  return `--retry-timing: run ${n} time${n === 1 ? '' : 's'} more after timing failure${n === 1 ? '' : 's'} while the tester was ${ms} late; ` +
    (passed ? `passed on run ${n + 1}` : `failed again on run ${n + 1}`);
}
