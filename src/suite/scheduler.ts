// Runs the planned jobs with at most `jobs` at a time and hands each script's folded result to
// `deliver` in plan order (a result that completes early waits for the ones before it, so
// output is the same whatever -j is). Stops scheduling on `bail` (after a failure, when asked)
// and on `interrupt()`, which also ends every running child (SIGTERM, SIGKILL after a grace).

import type { Execution } from './executor.js';
import type { JobReport, JobSpec } from './types.js';

export interface PlannedScript<T> {
  /** One spec per repetition. */
  specs: JobSpec[];
  /** Folds the repetitions' reports into the delivered result. */
  finish(reports: JobReport[]): T;
  /** Short name for the progress line. */
  label: string;
}

export interface SchedulerOptions<T> {
  jobs: number;
  start(spec: JobSpec): Execution;
  deliver(result: T): void;
  /** Called when a job starts or ends (progress line). */
  onProgress?(running: string[], done: number): void;
  /** True when this result should stop the run (--bail). */
  stopsRun?(result: T): boolean;
  /** Result for a script never started because the run stopped (--bail). */
  notRun?(script: PlannedScript<T>): T;
  /** Grace between SIGTERM and SIGKILL when interrupted. */
  killGraceMs: number;
}

export interface Scheduler {
  /** Resolves when every started job has ended and everything deliverable was delivered. */
  done: Promise<void>;
  interrupt(): void;
  readonly interrupted: boolean;
}

export function schedule<T>(scripts: readonly PlannedScript<T>[], opts: SchedulerOptions<T>): Scheduler {
  const reports: JobReport[][] = scripts.map(() => []);
  const results: Array<T | undefined> = scripts.map(() => undefined);
  const queue: Array<{ script: number; rep: number }> = scripts.flatMap((s, i) => s.specs.map((_, rep) => ({ script: i, rep })));
  const running = new Map<Execution, string>();
  let next = 0; // next queue position
  let delivered = 0; // scripts delivered so far, in order
  let done = 0;
  let stopped = false;
  let interrupted = false;
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => { finish = resolve; });

  const flush = (): void => {
    while (delivered < scripts.length && results[delivered] !== undefined) opts.deliver(results[delivered++]!);
  };
  const progress = (): void => opts.onProgress?.([...running.values()], done);

  const settle = (): void => {
    if (running.size > 0) return;
    if (stopped && !interrupted && opts.notRun) {
      // --bail: everything not started is reported as not run, so the plan stays whole.
      scripts.forEach((s, i) => {
        if (results[i] !== undefined) return;
        const some = reports[i]!.filter((r) => r !== undefined);
        results[i] = some.length > 0 ? s.finish(some) : opts.notRun!(s);
      });
    }
    if (!interrupted) flush();
    finish();
  };

  const launch = (): void => {
    while (!stopped && running.size < opts.jobs && next < queue.length) {
      const { script, rep } = queue[next++]!;
      const exec = opts.start(scripts[script]!.specs[rep]!);
      running.set(exec, scripts[script]!.label);
      progress();
      void exec.done.then((report) => {
        running.delete(exec);
        if (interrupted) return settle();
        done++;
        const list = reports[script]!;
        list[rep] = report;
        if (list.filter((r) => r !== undefined).length === scripts[script]!.specs.length) {
          const result = scripts[script]!.finish(list);
          results[script] = result;
          flush();
          if (opts.stopsRun?.(result)) stopped = true;
        }
        progress();
        if (!stopped) launch();
        if (running.size === 0 && (stopped || next >= queue.length)) settle();
      });
    }
    if (running.size === 0 && next >= queue.length) settle();
  };

  queueMicrotask(launch);
  return {
    done: allDone,
    interrupt() {
      if (interrupted) return;
      interrupted = true;
      stopped = true;
      // Whatever completed is delivered (in order, skipping the gaps of what was cut short).
      for (let i = delivered; i < scripts.length; i++) if (results[i] !== undefined) opts.deliver(results[i]!);
      delivered = scripts.length;
      for (const exec of running.keys()) exec.stop(opts.killGraceMs);
      if (running.size === 0) finish();
    },
    get interrupted() { return interrupted; },
  };
}
