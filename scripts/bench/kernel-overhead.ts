// Fixed cost per kernel script (issue 16 item 2): 20 one-line scripts run serially by
// `mptcpdrill run --target kernel -j 1`, as a user runs a suite: in the long-lived kernel
// workers (today's model) and with a process started per script (MPTCPDRILL_KERNEL_WORKERS=0,
// the earlier model); and a single `run --target kernel FILE`. A one-line script's own time is
// its 50 ms grace (the stack may settle after the last event) and about a millisecond of calls:
// "fixed cost" is everything else. Run as root.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRACE_MS, loadNote, percentile, round, runCli, runOnce, type CliRun, kernelMissing } from './kernel-shared.js';

const SCRIPTS = 20;
const SINGLE_RUNS = 5;
const ONE_LINE = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n';

/** 20 one-line scripts in a fresh folder (removed by the caller). */
export function oneLineSuite(n = SCRIPTS): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-fixed-'));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `s${String(i).padStart(2, '0')}.pkt`), ONE_LINE);
  return dir;
}

export interface FixedCost {
  /** Wall time of the whole command divided by the number of scripts, ms (worker start-up included). */
  perScriptMs: number;
  /** Median time between two consecutive results, ms: a script's cost once the worker runs. */
  steadyMs: number;
  /** steadyMs minus the scripts' own time (grace and timeline): the fixed cost proper, ms. */
  fixedMs: number;
  passed: number;
}

export function fixedCost(run: CliRun): FixedCost {
  const n = run.results.length;
  const gaps = run.results.slice(1).map((r, i) => r.at - run.results[i]!.at);
  const steadyMs = percentile(gaps, 50);
  const ownMs = percentile(run.results.map((r) => r.scriptEndUs / 1000), 50) + GRACE_MS;
  return { perScriptMs: run.wallMs / Math.max(1, n), steadyMs, fixedMs: steadyMs - ownMs, passed: run.results.filter((r) => r.outcome === 'pass').length };
}

/** The fixed cost per script of the kernel workers now (used by kernel-corpus too). */
export async function measureFixedCost(n = SCRIPTS): Promise<FixedCost> {
  const dir = oneLineSuite(n);
  try {
    return fixedCost(await runCli(['run', '--target', 'kernel', '-j', '1', dir]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const missing = await kernelMissing();
  if (missing) return { skipped: missing };
  const load = loadNote();
  const dir = oneLineSuite();
  try {
    const workers = fixedCost(await runCli(['run', '--target', 'kernel', '-j', '1', dir]));
    const perProcess = fixedCost(await runCli(['run', '--target', 'kernel', '-j', '1', dir], { ...process.env, MPTCPDRILL_KERNEL_WORKERS: '0' }));
    const single: number[] = [];
    for (let i = 0; i < SINGLE_RUNS; i++) single.push((await runOnce(['run', '--target', 'kernel', join(dir, 's00.pkt')])).wallMs);
    return {
      'load average (1 5 15 min) at start': load,
      scripts: SCRIPTS,
      'workers: passed': `${workers.passed}/${SCRIPTS}`,
      'workers: wall / scripts ms (worker start included)': round(workers.perScriptMs, 1),
      'workers: per script, steady p50 ms': round(workers.steadyMs, 1),
      'workers: fixed cost per script ms (without the 50 ms grace)': round(workers.fixedMs, 1),
      'process per script: wall / scripts ms': round(perProcess.perScriptMs, 1),
      'process per script: per script, steady p50 ms': round(perProcess.steadyMs, 1),
      'process per script / workers (steady)': round(perProcess.steadyMs / workers.steadyMs, 1),
      'single run --target kernel FILE, wall p50 ms': round(percentile(single, 50), 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
