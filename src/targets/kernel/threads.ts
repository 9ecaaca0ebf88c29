// The kernel target's threads, started once per process and shared by the scripts it runs one
// after another: the blocking-call pool, the capture thread and the injection thread. A thread
// stays in the network namespace its creator was in when it started (netns.ts), so a process
// that runs each script in a namespace of its own (the suite's kernel worker) starts them before
// entering the first one, with startKernelThreads(); they only ever use descriptors they are
// given, which carry their own namespace.
import { BlockingPool } from './blocking-pool.js';
import { PacketCapture } from './capture.js';
import { Injector } from './injector.js';
import { preloadLibc } from './libc.js';

/** Blocking-call workers kept ready, so the first blocking calls do not pay a thread start. */
export const WARM_WORKERS = 2;

export interface KernelThreads {
  pool: BlockingPool;
  capture: PacketCapture;
  injector: Injector;
}

let threads: Promise<KernelThreads> | null = null;

async function start(): Promise<KernelThreads> {
  preloadLibc();
  const pool = new BlockingPool();
  const [capture, injector] = await Promise.all([PacketCapture.start(), Injector.start(), pool.warm(WARM_WORKERS)]);
  return { pool, capture, injector };
}

/** The process's threads, started on first use (again if one of them died). */
export async function kernelThreads(): Promise<KernelThreads> {
  if (threads) {
    const t = await threads.catch(() => null);
    if (t && t.capture.running && t.injector.running) return t;
    if (t) await stopAll(t);
    threads = null;
  }
  threads ??= start();
  return threads;
}

/** Starts the threads now (in the calling thread's namespace); see the top of this file. */
export async function startKernelThreads(): Promise<void> {
  await kernelThreads();
}

/** True when the threads are started and none has died. */
export async function kernelThreadsHealthy(): Promise<boolean> {
  const t = threads ? await threads.catch(() => null) : null;
  return t !== null && t.capture.running && t.injector.running;
}

/**
 * Ends the threads, each woken to leave at once. Without this a process that is done still waits
 * at exit for the capture thread's poll() to time out (up to a second: capture-worker.ts), which
 * was most of a single `run --target kernel FILE`'s wall time after its script.
 */
export async function stopKernelThreads(): Promise<void> {
  const t = threads ? await threads.catch(() => null) : null;
  threads = null;
  if (t) await stopAll(t);
}

function stopAll(t: KernelThreads): Promise<unknown> {
  return Promise.all([t.capture.stop(), t.injector.stop(), t.pool.close()]).catch(() => undefined);
}
