// A pool of worker threads for syscalls that may block (see blocking-worker.ts). Each busy worker
// holds exactly one call; more concurrent blocking calls start more workers. A worker keeps the
// process alive only while someone waits for its call: idle workers, and a call given up at the
// end of a script (e.g. accept on a socket nobody connects to), never do; the target wakes such
// calls by shutting the socket down before closing it.
//
// The pool outlives a script: its first workers are started once per process (a thread start
// costs tens of milliseconds, more under load) and serve script after script. They only use the
// descriptors of the calls they get, so the namespace they were started in does not matter;
// workers started during a script (more blocking calls at once than warm workers) are ended by
// release() when the script ends.
import { settlesWithin } from './settles-within.js';
import { Worker } from 'node:worker_threads';
import type { SyscallRequest, SyscallResult } from '../target.js';
import { readFileSync } from 'node:fs';
import {
  PHASE_IN_CALL, STATE_ID, STATE_PHASE, STATE_SIZE, STATE_TID, WORKER_READY, type BlockingCall, type BlockingReply,
} from './blocking-worker.js';

const WORKER_URL = new URL('./blocking-worker.js', import.meta.url);

/** A call's result with the CLOCK_MONOTONIC ns it entered and left the kernel (on the worker). */
export interface TimedResult { res: SyscallResult; start: bigint; end: bigint }
/** How long release() waits for a call the target's shutdowns should have ended. */
const RELEASE_WAIT_MS = 300;

interface Slot {
  worker: Worker;
  /** What the worker is doing (blocking-worker.ts STATE_*). */
  state: Int32Array;
  /** Resolves when the worker has loaded its bindings (or died trying). */
  ready: Promise<void>;
  /** A call is running in the worker (also after its caller stopped waiting for it). */
  busyId?: number;
  /** Resolves when the running call returns or the worker dies. */
  idle?: Promise<void>;
  markIdle?: () => void;
  pending?: { id: number; resolve: (r: TimedResult) => void; reject: (e: Error) => void };
  dead?: boolean;
}

export class BlockingPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  /**
   * Starts `n` idle workers ahead of time and waits until they are ready: a worker takes tens of
   * milliseconds to start and bind libc, which must not delay a script's first blocking call.
   */
  async warm(n: number): Promise<void> {
    while (this.slots.length < n) this.spawn();
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /** Number of calls in progress. */
  get busy(): number {
    return this.slots.filter((s) => s.busyId !== undefined).length;
  }

  /** Workers alive. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * True when call `id` is asleep in the kernel (its thread is inside it and sleeping); false
   * when it has not started yet, has returned, or its thread is running or waiting to run (as on
   * a loaded machine): only then may the caller judge that it blocked.
   */
  blocked(id: number): boolean {
    const slot = this.slots.find((s) => s.busyId === id);
    if (!slot) return false;
    if (Atomics.load(slot.state, STATE_ID) !== id || Atomics.load(slot.state, STATE_PHASE) !== PHASE_IN_CALL) return false;
    const tid = Atomics.load(slot.state, STATE_TID);
    if (tid <= 0) return true;
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const st = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return st === 'S' || st === 'D';
    } catch {
      return true;
    }
  }

  /** The id the next run() gives its call. */
  get nextCallId(): number {
    return this.nextId;
  }

  run(req: SyscallRequest): Promise<TimedResult> {
    if (this.closed) return Promise.reject(new Error('blocking pool is closed'));
    const slot = this.slots.find((s) => s.busyId === undefined) ?? this.spawn();
    const id = this.nextId++;
    slot.busyId = id;
    slot.idle = new Promise<void>((resolve) => { slot.markIdle = resolve; });
    // A call someone waits for keeps the process alive (an idle or given-up worker does not).
    slot.worker.ref();
    return new Promise<TimedResult>((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      const msg: BlockingCall = { id, req };
      slot.worker.postMessage(msg);
    });
  }

  private spawn(): Slot {
    const state = new Int32Array(new SharedArrayBuffer(STATE_SIZE * 4));
    const worker = new Worker(WORKER_URL, { workerData: { state: state.buffer } });
    let markReady = (): void => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const slot: Slot = { worker, state, ready };
    worker.once('error', () => markReady());
    worker.on('message', (m: BlockingReply | typeof WORKER_READY) => {
      // Ref'd until it is ready (so that waiting for it keeps the process alive), then unref'd.
      if (m === WORKER_READY) { worker.unref(); return markReady(); }
      if (slot.busyId === m.id) {
        slot.busyId = undefined;
        slot.markIdle?.();
        worker.unref();
      }
      const p = slot.pending;
      if (!p || p.id !== m.id) return;
      slot.pending = undefined;
      p.resolve({ res: m.res, start: m.start, end: m.end });
    });
    const gone = (e?: Error): void => {
      slot.dead = true;
      slot.pending?.reject(e ?? new Error('the blocking-call thread stopped'));
      slot.pending = undefined;
      slot.busyId = undefined;
      slot.markIdle?.();
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    };
    worker.on('error', gone);
    worker.on('exit', () => gone());
    this.slots.push(slot);
    return slot;
  }

  /**
   * End of a script: calls still running are given up (their callers get an error) and, once
   * they return, which the target's shutdowns should make quick, their workers are kept; workers
   * beyond the first `keep` are ended. Resolves false when a call did not return in time (its
   * worker, stuck in the kernel, is terminated as far as possible): a process that wants no
   * trace of the script left should not run another one then.
   */
  async release(keep: number): Promise<boolean> {
    for (const s of this.slots) {
      s.pending?.reject(new Error('target closed while the call was blocked'));
      s.pending = undefined;
      s.worker.unref();
    }
    let clean = true;
    await Promise.all(this.slots.map(async (s) => {
      if (s.busyId === undefined) return;
      const returned = await settlesWithin(s.idle!, RELEASE_WAIT_MS);
      if (!returned) {
        clean = false;
        await this.end(s);
      }
    }));
    const extra = this.slots.filter((s) => !s.dead).slice(keep);
    await Promise.all(extra.map((s) => this.end(s)));
    return clean && this.slots.every((s) => s.busyId === undefined);
  }

  /**
   * Stops idle workers and rejects calls still in progress. A worker blocked inside a native
   * call cannot be interrupted; it ends when its call returns or when the process exits.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.release(0);
  }

  private async end(s: Slot): Promise<void> {
    const i = this.slots.indexOf(s);
    if (i >= 0) this.slots.splice(i, 1);
    s.dead = true;
    await Promise.race([s.worker.terminate(), new Promise((r) => setTimeout(r, 200).unref())]);
  }
}
