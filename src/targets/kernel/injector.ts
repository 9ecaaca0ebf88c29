// The kernel target's injection thread (injector-worker.ts), started once per process: a packet
// handed over ahead of its time is written to the tun device at that time to within the
// kernel's timer precision, whatever the JS event loop is doing meanwhile.
import { settlesWithin } from './settles-within.js';
import { Worker } from 'node:worker_threads';
import {
  DATA_AT, MAX_PACKET, SHARED_SIZE, SLOT_DEADLINE, SLOT_ERRNO, SLOT_FD, SLOT_LEN, SLOT_RECEIVED, SLOT_RET, SLOT_STAMP, SLOT_STAMPFD, SLOT_STATE,
  STATE_DONE, STATE_IDLE, STATE_REQUEST, STATE_STOP, type InjectorData, type InjectorMessage,
} from './injector-worker.js';

export interface Injected {
  /** CLOCK_MONOTONIC ns just before the write. */
  mono: bigint;
  /** CLOCK_MONOTONIC ns the kernel received the packet (read back from the stamp socket), if known. */
  received?: bigint;
  ret: number;
  errno: number;
}

const STOP_MS = 500;

export class Injector {
  private readonly shared = new SharedArrayBuffer(SHARED_SIZE);
  private readonly i32 = new Int32Array(this.shared, 0, 8);
  private readonly i64 = new BigInt64Array(this.shared, 0, 8);
  private readonly data = new Uint8Array(this.shared, DATA_AT, MAX_PACKET);
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private waiting: ((r: Injected | Error) => void) | null = null;
  private alive = true;
  private failure: string | undefined;
  /** Serialises requests (one packet at a time in the shared slot). */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(ready: () => void) {
    const data: InjectorData = { shared: this.shared };
    this.worker = new Worker(new URL('./injector-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (m: InjectorMessage) => {
      // Ref'd until it is ready (so that waiting for it keeps the process alive), then unref'd.
      if (m.kind === 'ready') { this.worker.unref(); return ready(); }
      if (Atomics.load(this.i32, SLOT_STATE) !== STATE_DONE) return;
      const received = this.i64[SLOT_RECEIVED]!;
      const r: Injected = { mono: this.i64[SLOT_STAMP]!, ret: this.i32[SLOT_RET]!, errno: this.i32[SLOT_ERRNO]!, ...(received > 0n ? { received } : {}) };
      Atomics.store(this.i32, SLOT_STATE, STATE_IDLE);
      Atomics.notify(this.i32, SLOT_STATE);
      const w = this.waiting;
      this.waiting = null;
      w?.(r);
    });
    this.worker.on('error', (e) => { this.failure ??= e.message; });
    this.exited = new Promise((resolve) => this.worker.on('exit', () => {
      this.alive = false;
      ready();
      this.waiting?.(new Error(`the injection thread stopped${this.failure ? `: ${this.failure}` : ''}`));
      this.waiting = null;
      resolve();
    }));
  }

  static async start(): Promise<Injector> {
    let ready!: () => void;
    const started = new Promise<void>((r) => { ready = r; });
    const inj = new Injector(() => ready());
    await started;
    if (!inj.alive) throw new Error('the injection thread did not start');
    return inj;
  }

  get running(): boolean {
    return this.alive;
  }

  /**
   * Writes `bytes` to `fd` at CLOCK_MONOTONIC time `deadline` ns (at once when it has passed);
   * resolves with the time of the write, the time the kernel received it (read from `stampFd`, a
   * packet socket of the device's incoming packets, when not -1) and the write's result.
   */
  injectAt(fd: number, bytes: Uint8Array, deadline: bigint, stampFd = -1): Promise<Injected> {
    const run = this.tail.then(() => this.request(fd, bytes, deadline, stampFd));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private request(fd: number, bytes: Uint8Array, deadline: bigint, stampFd: number): Promise<Injected> {
    if (!this.alive) return Promise.reject(new Error('the injection thread is not running'));
    if (bytes.byteLength > MAX_PACKET) return Promise.reject(new Error(`a ${bytes.byteLength}-byte packet is too big to inject`));
    return new Promise<Injected>((resolve, reject) => {
      this.waiting = (r) => (r instanceof Error ? reject(r) : resolve(r));
      this.data.set(bytes);
      this.i32[SLOT_FD] = fd;
      this.i32[SLOT_LEN] = bytes.byteLength;
      this.i32[SLOT_STAMPFD] = stampFd;
      this.i64[SLOT_DEADLINE] = deadline;
      // Until the packet is written the thread keeps the process alive.
      this.worker.ref();
      Atomics.store(this.i32, SLOT_STATE, STATE_REQUEST);
      Atomics.notify(this.i32, SLOT_STATE);
    }).finally(() => this.worker.unref());
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    Atomics.store(this.i32, SLOT_STATE, STATE_STOP);
    Atomics.notify(this.i32, SLOT_STATE);
    const stopped = await settlesWithin(this.exited, STOP_MS);
    if (!stopped) await this.worker.terminate();
  }
}
