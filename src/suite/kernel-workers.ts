// The suite's side of the kernel workers (kernel-worker.ts): a pool of long-lived worker processes,
// one per script running at once, each taking script after script. A worker is started from the
// bundle under `unshare --net` the first time a job needs one; a worker that crashes, times out
// or asks to retire is replaced by a fresh one at the next job. Idle workers never keep the suite
// alive: their handles are unref'ed, and a worker ends when its stdin does (or when the suite
// dies: PR_SET_PDEATHSIG).

import type { ChildProcess } from 'node:child_process';
import { WORKER_END, WORKER_FLAG, WORKER_RESULT, type WorkerReply, type WorkerRequest } from './kernel-worker.js';
import type { JobReport, JobSpec } from './types.js';

export interface WorkerExecution {
  done: Promise<JobReport>;
  stop(graceMs: number): void;
}

export interface WorkerJobOptions {
  timeoutMs: number;
  /** How to start a worker process (argv for node, env): the executor's launcher. */
  launch(): { args: string[]; env: NodeJS.ProcessEnv };
}

type Settle = (r: { reply?: WorkerReply; exit?: { code: number | null; signal: NodeJS.Signals | null; error?: Error } }) => void;

class WorkerProcess {
  readonly proc: ChildProcess;
  dead = false;
  retiring = false;
  private out = '';
  private err = '';
  /** The running job: its id, what it printed, and how it ends. */
  private job: { id: number; stdout: string; stderr: string; reply?: WorkerReply; ended: boolean; settle: Settle } | null = null;

  constructor(proc: ChildProcess) {
    this.proc = proc;
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => this.onStdout(d));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => this.onStderr(d));
    proc.stdin?.on('error', () => undefined);
    proc.on('error', (error) => this.onExit(null, null, error));
    proc.on('close', (code, signal) => this.onExit(code, signal));
  }

  get busy(): boolean {
    return this.job !== null;
  }

  run(id: number, spec: JobSpec, settle: Settle): void {
    this.job = { id, stdout: '', stderr: '', ended: false, settle };
    this.ref(true);
    const req: WorkerRequest = { id, spec };
    this.proc.stdin?.write(`${JSON.stringify(req)}\n`);
  }

  /** The job's stdout and stderr so far (a crash's detail). */
  output(): { stdout: string; stderr: string } {
    return { stdout: this.job?.stdout ?? '', stderr: this.job?.stderr ?? '' };
  }

  kill(signal: NodeJS.Signals): void {
    if (this.dead) return;
    try { this.proc.kill(signal); } catch { /* gone */ }
  }

  /** An idle worker keeps nothing alive. */
  ref(on: boolean): void {
    const handles = [this.proc, this.proc.stdin, this.proc.stdout, this.proc.stderr] as Array<{ ref?: () => void; unref?: () => void } | null>;
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  private onStdout(d: string): void {
    this.out += d;
    let nl: number;
    while ((nl = this.out.indexOf('\n')) >= 0) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      if (line.startsWith(WORKER_RESULT)) {
        let reply: WorkerReply | undefined;
        try { reply = JSON.parse(line.slice(WORKER_RESULT.length)) as WorkerReply; } catch { /* torn line: the job ends as a crash */ }
        if (reply && this.job && reply.id === this.job.id) {
          this.job.reply = reply;
          this.maybeDone();
        }
      } else if (this.job) {
        this.job.stdout += `${line}\n`;
      }
    }
  }

  private onStderr(d: string): void {
    this.err += d;
    let nl: number;
    while ((nl = this.err.indexOf('\n')) >= 0) {
      const line = this.err.slice(0, nl);
      this.err = this.err.slice(nl + 1);
      if (this.job && line === `${WORKER_END}${this.job.id}`) {
        this.job.ended = true;
        this.maybeDone();
      } else if (this.job) {
        this.job.stderr += `${line}\n`;
      } else if (line.trim() !== '' && process.env.MPTCPDRILL_DEBUG === '1') {
        process.stderr.write(`kernel worker ${this.proc.pid}: ${line}\n`);
      }
    }
  }

  private maybeDone(): void {
    const job = this.job;
    if (!job?.reply || !job.ended) return;
    this.job = null;
    if (job.reply.retire) this.retiring = true;
    this.ref(false);
    job.settle({ reply: job.reply });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (this.dead) return;
    this.dead = true;
    const job = this.job;
    this.job = null;
    // A result line that came without its end marker (the worker died between the two) counts.
    if (job) job.settle(job.reply ? { reply: job.reply } : { exit: { code, signal, ...(error ? { error } : {}) } });
  }
}

function errorReport(headline: string, detail: string | undefined, kind: 'crash' | 'timeout', wallMs: number): JobReport {
  return { status: 'error', wallMs, scriptEndUs: 0, warnings: [], failure: { kind, headline }, ...(detail ? { detail } : {}) };
}

export class KernelWorkerPool {
  private readonly workers: WorkerProcess[] = [];
  private nextId = 1;

  /** Started worker processes so far (tests, benchmarks). */
  started = 0;

  constructor(private readonly spawnWorker: (args: string[], env: NodeJS.ProcessEnv) => ChildProcess) {}

  /** Pids of the live workers (tests). */
  pids(): number[] {
    return this.workers.filter((w) => !w.dead).map((w) => w.proc.pid).filter((p): p is number => p !== undefined);
  }

  run(spec: JobSpec, opts: WorkerJobOptions): WorkerExecution {
    const began = performance.now();
    let worker: WorkerProcess | undefined;
    let stopRequested: number | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const stop = (graceMs: number): void => {
      stopRequested ??= graceMs;
      if (!worker || worker.dead) return;
      worker.retiring = true;
      worker.kill('SIGTERM');
      const w = worker;
      killTimer ??= setTimeout(() => w.kill('SIGKILL'), graceMs);
    };
    const done = (async (): Promise<JobReport> => {
      try {
        worker = this.take(opts);
      } catch (err) {
        return errorReport(`cannot start a kernel worker: ${(err as Error).message}`, undefined, 'crash', 0);
      }
      const w = worker;
      const id = this.nextId++;
      const ended = new Promise<Parameters<Settle>[0]>((resolve) => w.run(id, spec, resolve));
      if (stopRequested !== undefined) stop(stopRequested);
      const limit = setTimeout(() => { timedOut = true; stop(2000); }, opts.timeoutMs);
      const output = w.output.bind(w);
      const end = await ended;
      clearTimeout(limit);
      if (killTimer) clearTimeout(killTimer);
      const wallMs = performance.now() - began;
      if (end.reply) {
        const report = end.reply.report;
        const { stderr } = output();
        if (stderr.trim() !== '') report.warnings.push(...stderr.trim().split('\n').map((l) => `child stderr: ${l}`));
        return report;
      }
      const exit = end.exit!;
      const { stdout, stderr } = output();
      const text = [stdout, stderr].map((s) => s.trim()).filter((s) => s !== '').join('\n') || undefined;
      if (timedOut) return errorReport(`${spec.file}: timed out after ${Math.round(opts.timeoutMs / 1000)} s`, text, 'timeout', wallMs);
      if (exit.error) return errorReport(`${spec.file}: cannot start the test process: ${exit.error.message}`, text, 'crash', wallMs);
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
      return errorReport(`${spec.file}: the test process ${how} without a result`, text, 'crash', wallMs);
    })();
    return { done, stop };
  }

  /** Ends every worker (their namespaces go with them). */
  closeAll(): void {
    for (const w of this.workers) {
      w.proc.stdin?.end();
      w.ref(false);
    }
  }

  /** An idle live worker, or a new one. */
  private take(opts: WorkerJobOptions): WorkerProcess {
    for (let i = this.workers.length - 1; i >= 0; i--) {
      const w = this.workers[i]!;
      if (w.dead || w.retiring) {
        if (!w.busy) {
          this.workers.splice(i, 1);
          if (!w.dead) w.proc.stdin?.end();
        }
        continue;
      }
      if (!w.busy) return w;
    }
    const { args, env } = opts.launch();
    const w = new WorkerProcess(this.spawnWorker([...args, WORKER_FLAG], env));
    this.started++;
    this.workers.push(w);
    return w;
  }
}
