// A pool of worker threads for syscalls that may block (see blocking-worker.ts). Each busy worker
// holds exactly one call; more concurrent blocking calls start more workers. Workers are unref'd,
// so a worker stuck in a call (e.g. accept on a socket nobody connects to) never keeps the
// process alive; the target wakes such calls by shutting the socket down before closing it.
import { Worker } from 'node:worker_threads';
import type { SyscallRequest, SyscallResult } from '../target.js';
import { WORKER_READY, type BlockingCall, type BlockingReply } from './blocking-worker.js';

const WORKER_URL = new URL('./blocking-worker.js', import.meta.url);

interface Slot {
  worker: Worker;
  /** Resolves when the worker has loaded its bindings (or died trying). */
  ready: Promise<void>;
  pending?: { id: number; resolve: (r: SyscallResult) => void; reject: (e: Error) => void };
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
    return this.slots.filter((s) => s.pending).length;
  }

  run(req: SyscallRequest): Promise<SyscallResult> {
    if (this.closed) return Promise.reject(new Error('blocking pool is closed'));
    const slot = this.slots.find((s) => !s.pending) ?? this.spawn();
    const id = this.nextId++;
    return new Promise<SyscallResult>((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      const msg: BlockingCall = { id, req };
      slot.worker.postMessage(msg);
    });
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    let markReady = (): void => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const slot: Slot = { worker, ready };
    worker.unref();
    worker.once('error', () => markReady());
    worker.on('message', (m: BlockingReply | typeof WORKER_READY) => {
      if (m === WORKER_READY) return markReady();
      const p = slot.pending;
      if (!p || p.id !== m.id) return;
      slot.pending = undefined;
      p.resolve(m.res);
    });
    slot.worker.on('error', (e: Error) => {
      slot.pending?.reject(e);
      slot.pending = undefined;
      this.slots.splice(this.slots.indexOf(slot), 1);
    });
    this.slots.push(slot);
    return slot;
  }

  /**
   * Stops idle workers and rejects calls still in progress. A worker blocked inside a native
   * call cannot be interrupted; it ends when its call returns or when the process exits.
   */
  async close(): Promise<void> {
    this.closed = true;
    const stops = this.slots.map(async (s) => {
      s.pending?.reject(new Error('target closed while the call was blocked'));
      s.pending = undefined;
      await Promise.race([s.worker.terminate(), new Promise((r) => setTimeout(r, 200).unref())]);
    });
    this.slots.length = 0;
    await Promise.all(stops);
  }
}
