// Worker threads for bundled-stack jobs: in-process runs use one core, a suite of ts scripts is
// pure CPU (virtual time), so with -j N on a machine with several cores the jobs go to up to N
// runners: this thread and N - 1 worker threads, each a full runner (thread-worker.ts) that loads
// the code once and runs script after script. A thread that dies (a crash in the stack, out of memory) fails the jobs it held as
// errors and is replaced at the next job; the suite goes on.
//
// Threads start through bin/mptcpdrill.js, so they load the same code-cached bundle as the CLI
// (tens of milliseconds instead of hundreds for the modules); without the launcher (an unusual
// layout) they import the compiled modules.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Execution } from './executor.js';
import type { ThreadReply, ThreadRequest } from './thread-worker.js';
import type { JobReport, JobSpec } from './types.js';

const LAUNCHER = fileURLToPath(new URL('../../../bin/mptcpdrill.js', import.meta.url));
const WORKER_MODULE = new URL('./thread-worker.js', import.meta.url).href;

/** What the launcher reads in a worker thread to serve jobs rather than run the CLI. */
export const THREAD_ENTRY = { mptcpdrillEntry: 'thread' } as const;

/**
 * V8's young generation of a thread: the stack allocates many short-lived objects per packet,
 * and a larger nursery makes fewer scavenges (the default is sized for a browser tab).
 */
const YOUNG_GENERATION_MB = 32;

interface PoolThread {
  worker: Worker;
  pending: Map<number, (report: JobReport) => void>;
}

function crashReport(message: string): JobReport {
  return { status: 'error', wallMs: 0, scriptEndUs: 0, warnings: [], failure: { kind: 'crash', headline: message } };
}

function startWorker(): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB };
  if (existsSync(LAUNCHER)) return new Worker(LAUNCHER, { workerData: THREAD_ENTRY, resourceLimits });
  const source = `import(${JSON.stringify(WORKER_MODULE)}).then((m) => m.serveSuiteJobs());`;
  return new Worker(source, { eval: true, resourceLimits });
}

export class ThreadPool {
  private readonly threads: PoolThread[] = [];
  private nextId = 1;
  /** Jobs running on this thread. */
  private here = 0;

  /**
   * `size` runners in all: this thread (`runHere`) and size - 1 worker threads. This thread takes
   * its share because its code is loaded and warm already; every worker warms its own JIT.
   */
  constructor(private readonly size: number, private readonly runHere: (spec: JobSpec) => Execution) {}

  /** Runs `spec` on the least busy runner, starting a worker while the pool is not full. */
  run(spec: JobSpec): Execution {
    const thread = this.here === 0 ? undefined : this.pick();
    if (!thread) {
      this.here++;
      const execution = this.runHere(spec);
      void execution.done.finally(() => { this.here--; });
      return execution;
    }
    const id = this.nextId++;
    const done = new Promise<JobReport>((resolve) => thread.pending.set(id, resolve));
    thread.worker.postMessage({ id, spec } satisfies ThreadRequest);
    // A running script cannot be cut short (as in-process); Ctrl-C ends its shell commands.
    return { done, stop: () => undefined };
  }

  /** Ends every thread; call once no job is pending. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** The worker to take the next job, or undefined when this thread is the least busy runner. */
  private pick(): PoolThread | undefined {
    const idle = this.threads.find((t) => t.pending.size === 0);
    if (idle) return idle;
    if (this.threads.length + 1 < this.size) return this.spawn();
    const least = this.threads.reduce<PoolThread | undefined>((a, b) => (a === undefined || b.pending.size < a.pending.size ? b : a), undefined);
    return least && least.pending.size < this.here ? least : undefined;
  }

  private spawn(): PoolThread {
    const thread: PoolThread = { worker: startWorker(), pending: new Map() };
    const fail = (why: string): void => {
      const at = this.threads.indexOf(thread);
      if (at !== -1) this.threads.splice(at, 1);
      for (const resolve of thread.pending.values()) resolve(crashReport(`the runner thread ${why} without a result`));
      thread.pending.clear();
    };
    thread.worker.on('message', (reply: ThreadReply) => {
      const resolve = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      resolve?.(reply.report);
    });
    thread.worker.on('error', (err) => fail(`failed (${err.message})`));
    thread.worker.on('exit', (code) => fail(`exited with status ${code}`));
    this.threads.push(thread);
    return thread;
  }
}
