// The tun device's reader thread (tun-reader-worker.ts), started and stopped in one place for
// every user of a tun device: the kernel target and `mptcpdrill interop`. Packets arrive with
// the monotonic time the thread read them; a wake-up pipe stops the thread's poll().
import { settlesWithin } from './settles-within.js';
import { Worker } from 'node:worker_threads';
import { errnoName } from '../../sys/symbols.js';
import { call, O_CLOEXEC } from './libc.js';
import type { TunReaderData, TunReaderMessage } from './tun-reader-worker.js';

/** How long stop() lets the thread finish before terminating it. */
const STOP_MS = 500;

export class TunReader {
  /** Set when reading failed; the thread has stopped then. */
  error: string | null = null;

  private readonly worker: Worker;
  private readonly wake: number[];
  private readonly done: Promise<void>;
  private readonly ready: Promise<void>;

  private constructor(tunFd: number, onPacket: (bytes: Uint8Array, hrtime: bigint) => void) {
    const fds = new Uint8Array(8);
    const p = call('pipe2', fds, O_CLOEXEC);
    if (p.ret < 0) throw new Error(`Cannot create the tun reader's wake-up pipe: ${errnoName(p.errno)}.`);
    const view = new DataView(fds.buffer);
    this.wake = [view.getInt32(0, true), view.getInt32(4, true)];
    const data: TunReaderData = { fd: tunFd, wakeFd: this.wake[0]! };
    const worker = new Worker(new URL('./tun-reader-worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    let markReady = (): void => {};
    this.ready = new Promise<void>((resolve) => (markReady = resolve));
    this.done = new Promise<void>((resolve) => {
      worker.on('message', (m: TunReaderMessage) => {
        if (m.kind === 'ready') markReady();
        else if (m.kind === 'packet') onPacket(m.bytes, m.hrtime);
        else if (m.errno !== undefined) this.error ??= `Reading the tun device failed: ${errnoName(m.errno)}.`;
      });
      worker.on('error', (e) => { this.error ??= `The tun reader failed: ${e.message}`; });
      worker.on('exit', () => { markReady(); resolve(); });
    });
  }

  /**
   * Starts the thread on `tunFd` and resolves once it is polling, so that no packet waits
   * unread (and unstamped) while the thread is still starting.
   */
  static async start(tunFd: number, onPacket: (bytes: Uint8Array, hrtime: bigint) => void): Promise<TunReader> {
    const reader = new TunReader(tunFd, onPacket);
    await reader.ready;
    return reader;
  }

  /** Wakes the thread up to stop, terminates it if it does not, and closes the pipe. */
  async stop(): Promise<void> {
    if (this.wake.length) call('write', this.wake[1]!, new Uint8Array(1), 1);
    const stopped = await settlesWithin(this.done, STOP_MS);
    if (!stopped) await this.worker.terminate();
    for (const fd of this.wake.splice(0)) call('close', fd);
  }
}
