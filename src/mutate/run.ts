// Running mutants: each script once as written (only a script that passes is mutated), then each
// of its mutants, with at most `jobs` runs at a time. On the bundled stack a run is in this
// process; on the kernel each run is a child process in a fresh network namespace
// (src/suite/executor.ts). Either way a mutant is checked from memory: its text travels in the job
// (JobSpec.text) under the script's own path — scripts source `../common/*.sh` relative to their
// folder, and a shell line's working directory is the script's — so no mutant is ever written to
// disk and an interrupted or killed run (even by SIGKILL) leaves nothing behind.
//
// Mutants of earlier scripts run first, so reports come out in order while later scripts' own
// runs fill the free slots. Ctrl-C (interrupt()) starts nothing more, stops what runs and leaves
// the results so far.

import { performance } from 'node:perf_hooks';
import { prepareRun } from '../engine/prepare.js';
import { runScript } from '../engine/run.js';
import { failureHeadline } from '../report/failure-report.js';
import { checkText, loadScript, type LoadedScript } from '../script/load.js';
import type { CliOptions } from '../script/options.js';
import { runInChild, type Execution } from '../suite/executor.js';
import { killDescendants } from '../suite/process-tree.js';
import type { JobReport } from '../suite/types.js';
import { generateMutants, mutantText } from './generate.js';
import { disabledLines } from './disable-comments.js';
import type { Mutant, MutantOutcome, MutantResult, Skipped } from './types.js';

export type MutateTarget = 'ts' | 'kernel';

export interface MutateConfig {
  /** Scripts, in report order (display paths). */
  files: string[];
  target: MutateTarget;
  jobs: number;
  maxMutants: number;
  /** Per run (the original and each mutant). */
  timeoutMs: number;
  seed: number;
  inbound: boolean;
  scriptOptions: CliOptions;
}

/** What became of one script: mutated, or why not. */
export interface ScriptReport {
  file: string;
  /** `mutated` when the script passed as written; else what the unmutated script did. */
  status: 'mutated' | 'fail' | 'skip' | 'error';
  reason?: string;
  /** The script's text (for survivors' lines). */
  text: string;
  mutants: Mutant[];
  results: MutantResult[];
  skipped: Skipped[];
  /** Mutants not run because the run was interrupted. */
  notRun: number;
  wallMs: number;
}

interface RunVerdict {
  status: 'pass' | 'fail' | 'error' | 'skip' | 'timeout';
  detail?: string;
}

/** A counting semaphore that serves the lowest priority number first. */
class Slots {
  private free: number;
  private waiting: Array<{ priority: number; seq: number; go: (ok: boolean) => void }> = [];
  private seq = 0;
  closed = false;

  constructor(count: number) {
    this.free = count;
  }

  /** Resolves true when a slot is taken, false when the pool was closed meanwhile. */
  take(priority: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((go) => {
      this.waiting.push({ priority, seq: this.seq++, go });
    });
  }

  give(): void {
    if (this.waiting.length === 0 || this.closed) {
      this.free++;
      return;
    }
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      const b = this.waiting[best]!;
      if (w.priority < b.priority || (w.priority === b.priority && w.seq < b.seq)) best = i;
    }
    this.waiting.splice(best, 1)[0]!.go(true);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.go(false);
  }
}

export interface MutateHooks {
  /** Each script's report, in plan order. */
  onScript?(report: ScriptReport): void;
  /** After every finished run. */
  onProgress?(done: number, planned: number, current: string): void;
}

export interface MutateRun {
  done: Promise<ScriptReport[]>;
  interrupt(): void;
  readonly interrupted: boolean;
}

function verdictOf(report: JobReport): RunVerdict {
  if (report.failure?.kind === 'timeout') return { status: 'timeout', detail: report.failure.headline };
  const detail = report.status === 'skip' ? (report.skipReasons ?? []).join(' ') || 'skipped' : report.failure?.headline;
  return { status: report.status, ...(detail !== undefined ? { detail } : {}) };
}

export function startMutate(cfg: MutateConfig, hooks: MutateHooks = {}): MutateRun {
  const slots = new Slots(cfg.jobs);
  const running = new Set<Execution>();
  let interrupted = false;
  let done = 0;
  let planned = cfg.files.length;

  /** One run on the target: the text as `file`, from memory (`loaded`: the script as written). */
  const runOnce = async (file: string, text: string, loaded: LoadedScript | undefined): Promise<RunVerdict> => {
    if (cfg.target === 'ts') {
      const checked = loaded ?? checkText(file, text, { target: 'ts', cli: cfg.scriptOptions });
      const error = checked.diagnostics.find((d) => d.severity === 'error');
      if (!checked.script || !checked.options || error) {
        return { status: 'error', detail: error ? `${file}:${error.range.start.line}:${error.range.start.column}: ${error.message}` : `${file}: the script could not be parsed` };
      }
      const { createTsTarget } = await import('../targets/ts-target.js');
      const target = createTsTarget({ seed: cfg.seed });
      const run = runScript(checked, target, prepareRun(checked.options, 'ts', { seed: cfg.seed })).then((r): RunVerdict => {
        if (r.status === 'skip') return { status: 'skip', detail: (r.skipReasons ?? []).join(' ') || 'skipped' };
        return { status: r.status, ...(r.failure ? { detail: failureHeadline(file, r.failure) } : {}) };
      });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<RunVerdict>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'timeout', detail: `timed out after ${Math.round(cfg.timeoutMs / 1000)} s` }), cfg.timeoutMs);
      });
      try {
        return await Promise.race([run, late]);
      } catch (err) {
        return { status: 'error', detail: `internal error: ${err instanceof Error ? err.message : String(err)}` };
      } finally {
        clearTimeout(timer);
      }
    }
    const exec = runInChild({ file, ...(loaded ? {} : { text }), target: 'kernel', cli: cfg.scriptOptions, seed: cfg.seed, color: false }, { timeoutMs: cfg.timeoutMs });
    running.add(exec);
    try {
      return verdictOf(await exec.done);
    } finally {
      running.delete(exec);
    }
  };

  /** Takes a slot (lowest script first), runs, gives it back; null when interrupted before starting. */
  const inSlot = async <T>(priority: number, fn: () => Promise<T>): Promise<T | null> => {
    if (!(await slots.take(priority))) return null;
    try {
      if (interrupted) return null;
      return await fn();
    } finally {
      slots.give();
    }
  };

  const processScript = async (index: number, file: string): Promise<ScriptReport> => {
    const began = performance.now();
    const report = (status: ScriptReport['status'], extra: Partial<ScriptReport> = {}): ScriptReport => ({
      file, status, text: '', mutants: [], results: [], skipped: [], notRun: 0, wallMs: performance.now() - began, ...extra,
    });
    const loaded = loadScript(file, { target: cfg.target, cli: cfg.scriptOptions });
    const error = loaded.diagnostics.find((d) => d.severity === 'error');
    if (!loaded.script || !loaded.options || error) {
      const where = error ? `${error.file}:${error.range.start.line}:${error.range.start.column}: ` : `${file}: `;
      return report('error', { reason: where + (error?.message ?? 'the script could not be parsed'), text: loaded.text });
    }
    const unexplained = [...disabledLines(loaded.text).values()].find((d) => d.reason === '');
    if (unexplained) return report('error', { reason: `${file}:${unexplained.commentLine}:1: mutate-disable-next-line needs a reason after a colon (the report shows it)`, text: loaded.text });
    const original = await inSlot(index, () => runOnce(file, loaded.text, loaded));
    done++;
    hooks.onProgress?.(done, planned, file);
    if (original === null) return report('skip', { reason: 'interrupted', text: loaded.text });
    if (original.status !== 'pass') {
      const status = original.status === 'timeout' ? 'error' : original.status;
      return report(status, { reason: original.detail ?? status, text: loaded.text });
    }
    const generated = generateMutants(loaded, { inbound: cfg.inbound, maxMutants: cfg.maxMutants, load: { target: cfg.target, cli: cfg.scriptOptions } });
    planned += generated.mutants.length;
    const results = await Promise.all(
      generated.mutants.map(async (m): Promise<MutantResult | null> => {
        const t0 = performance.now();
        const v = await inSlot(index, () => runOnce(file, mutantText(loaded, m), undefined));
        if (v === null) return null;
        done++;
        hooks.onProgress?.(done, planned, file);
        const outcome: MutantOutcome = v.status === 'pass' ? 'survived' : v.status === 'fail' ? 'killed' : v.status === 'skip' ? 'skipped' : v.status;
        return { mutant: m, outcome, ...(v.detail !== undefined ? { detail: v.detail } : {}), wallMs: performance.now() - t0 };
      }),
    );
    const ran = results.filter((r): r is MutantResult => r !== null);
    return report('mutated', { text: loaded.text, mutants: generated.mutants, results: ran, skipped: generated.skipped, notRun: results.length - ran.length });
  };

  const reports: Array<ScriptReport | undefined> = cfg.files.map(() => undefined);
  let delivered = 0;
  const deliver = (): void => {
    while (delivered < reports.length && reports[delivered] !== undefined) hooks.onScript?.(reports[delivered++]!);
  };
  const all = Promise.all(
    cfg.files.map(async (file, i) => {
      let r: ScriptReport;
      try {
        r = await processScript(i, file);
      } catch (err) {
        r = { file, status: 'error', reason: `${file}: internal error: ${err instanceof Error ? err.message : String(err)}`, text: '', mutants: [], results: [], skipped: [], notRun: 0, wallMs: 0 };
      }
      reports[i] = r;
      deliver();
      return r;
    }),
  );
  return {
    done: all,
    interrupt() {
      if (interrupted) return;
      interrupted = true;
      slots.close();
      for (const exec of running) exec.stop(2000);
      // In-process runs cannot be cut short, but their shell commands can.
      if (cfg.target === 'ts') killDescendants(process.pid);
    },
    get interrupted() {
      return interrupted;
    },
  };
}
