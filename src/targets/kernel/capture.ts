// The kernel target's capture thread (capture-worker.ts), started once per process and attached
// to one script's tun device (and packet socket) at a time: starting a thread that loads its
// modules costs a hundred milliseconds or more, which a suite no longer pays per script.
import { settlesWithin } from './settles-within.js';
import { Worker } from 'node:worker_threads';
import { errnoName } from '../../sys/symbols.js';
import { call, O_CLOEXEC } from './libc.js';
import {
  CMD_ATTACH, CMD_DETACH, CMD_STOP, CTL_CMD, CTL_IFINDEX, CTL_PKT, CTL_SEQ, CTL_SIZE, CTL_TUN,
  type CaptureData, type CaptureMessage,
} from './capture-worker.js';

/** A packet the kernel sent, with the CLOCK_MONOTONIC ns it left (or was read, without a packet socket). */
export type OnCapture = (bytes: Uint8Array, mono: bigint) => void;


/** How long stop() lets the thread finish before terminating it. */
const STOP_MS = 500;

export class PacketCapture {
  /** Set when reading failed while attached; cleared by the next attach. */
  error: string | null = null;
  /** How the packets of the current attachment were stamped, for the benchmark ('kernel' or 'read'). */
  stamped: 'kernel' | 'read' | undefined;

  private readonly worker: Worker;
  private readonly wake: [number, number];
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_SIZE * 4));
  private readonly acks = new Map<number, () => void>();
  private readonly exited: Promise<void>;
  private onPacket: OnCapture | null = null;

  private alive = true;

  private constructor(ready: () => void) {
    const fds = new Uint8Array(8);
    const p = call('pipe2', fds, O_CLOEXEC);
    if (p.ret < 0) throw new Error(`Cannot create the capture thread's wake-up pipe: ${errnoName(p.errno)}.`);
    const view = new DataView(fds.buffer);
    this.wake = [view.getInt32(0, true), view.getInt32(4, true)];
    const data: CaptureData = { wakeFd: this.wake[0], ctl: this.ctl.buffer as SharedArrayBuffer };
    this.worker = new Worker(new URL('./capture-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (m: CaptureMessage) => {
      // Ref'd until it is ready (so that waiting for it keeps the process alive), then unref'd.
      if (m.kind === 'ready') { this.worker.unref(); ready(); }
      else if (m.kind === 'ack') { this.acks.get(m.seq)?.(); this.acks.delete(m.seq); }
      else if (m.kind === 'packet') { this.stamped ??= m.stamped; this.onPacket?.(m.bytes, m.mono); }

      else this.error ??= `Reading ${m.what} failed: ${errnoName(m.errno)}.`;
    });
    this.worker.on('error', (e) => { this.error ??= `The capture thread failed: ${e.message}`; });
    // Exiting joins every thread: wake this one up so that it ends at once.
    const atExit = (): void => {
      if (!this.alive) return;
      Atomics.store(this.ctl, CTL_CMD, CMD_STOP);
      Atomics.add(this.ctl, CTL_SEQ, 1);
      call('write', this.wake[1], new Uint8Array(1), 1);
    };
    process.once('exit', atExit);
    this.exited = new Promise((resolve) => this.worker.on('exit', () => {
      process.off('exit', atExit);
      this.alive = false;
      ready();
      for (const done of this.acks.values()) done();
      this.acks.clear();
      resolve();
    }));
  }

  /** Starts the thread and resolves once it polls. */
  static async start(): Promise<PacketCapture> {
    let ready!: () => void;
    const started = new Promise<void>((r) => { ready = r; });
    const c = new PacketCapture(() => ready());
    await started;
    if (!c.alive) throw new Error(c.error ?? 'the capture thread did not start');
    return c;
  }

  get running(): boolean {
    return this.alive;
  }

  /**
   * Starts capturing: packets from `pktFd` (a packet socket bound to the tun device `ifindex`)
   * with the kernel's time stamps, the tun device's own copies dropped; or, with `pktFd` -1,
   * packets read from `tunFd`. Resolves once the thread polls them.
   */
  attach(tunFd: number, pktFd: number, ifindex: number, onPacket: OnCapture): Promise<void> {
    this.error = null;
    this.stamped = undefined;
    this.onPacket = onPacket;
    Atomics.store(this.ctl, CTL_TUN, tunFd);
    Atomics.store(this.ctl, CTL_PKT, pktFd);
    Atomics.store(this.ctl, CTL_IFINDEX, ifindex);
    return this.command(CMD_ATTACH);
  }

  /** Stops capturing; once resolved the thread no longer touches the fds it was given. */
  async detach(): Promise<void> {
    await this.command(CMD_DETACH);
    this.onPacket = null;
  }

  /** Ends the thread (terminated if it does not end by itself) and closes the pipe. */
  async stop(): Promise<void> {
    if (this.alive) {
      Atomics.store(this.ctl, CTL_CMD, CMD_STOP);
      Atomics.add(this.ctl, CTL_SEQ, 1);
      call('write', this.wake[1], new Uint8Array(1), 1);
      const stopped = await settlesWithin(this.exited, STOP_MS);
      if (!stopped) await this.worker.terminate();
    }
    for (const fd of this.wake) call('close', fd);
  }

  private command(cmd: number): Promise<void> {
    if (!this.alive) return Promise.resolve();
    Atomics.store(this.ctl, CTL_CMD, cmd);
    const seq = Atomics.add(this.ctl, CTL_SEQ, 1) + 1;
    // While an answer is awaited the thread keeps the process alive (it is unref'ed otherwise).
    this.worker.ref();
    const acked = new Promise<void>((resolve) => this.acks.set(seq, resolve)).finally(() => this.worker.unref());
    call('write', this.wake[1], new Uint8Array(1), 1);
    return acked;
  }
}
