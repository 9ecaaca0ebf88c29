// The wire between the kernel and the bundled stack: a tun device whose far side is the stack.
// A reader thread (the kernel target's tun-reader-worker) hands over each packet the kernel
// sends; the packet is validated, written to the pcap, and fed to the stack's receive path.
// Everything the stack emits goes the other way. The stack's virtual clock follows real time: it
// is advanced to the wall clock before every packet and on a short interval, so its timers
// (retransmission, delayed ACK) fire when they would on a real host.
import { Worker } from 'node:worker_threads';
import { errnoName } from '../sys/symbols.js';
import type { Stack } from '../stack/socket-api.js';
import { call, O_CLOEXEC, openTun } from '../targets/kernel/libc.js';
import type { TunReaderData, TunReaderMessage } from '../targets/kernel/tun-reader-worker.js';
import type { PcapWriter } from '../pcap/writer.js';

/** How often the stack's clock is brought up to real time when no packet arrives. */
const TICK_MS = 1;
const READER_STOP_MS = 500;

export interface BridgeObserver {
  /** Every packet crossing the tun device, either way. */
  (bytes: Uint8Array, fromStack: boolean): void;
}

export class TunBridge {
  private tunFd = -1;
  private reader: Worker | null = null;
  private wake: number[] = [];
  private readerDone: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private readonly t0 = process.hrtime.bigint();
  private readonly epoch0 = Date.now() / 1000;
  error: string | null = null;
  packetsIn = 0;
  packetsOut = 0;
  /** When the first packet crossed (µs on the bridge's clock): the transfer's start. */
  firstPacketUs: number | undefined;

  constructor(
    private readonly stack: Stack,
    readonly device: string,
    private readonly observe: BridgeObserver,
    private readonly pcap: PcapWriter | undefined,
  ) {}

  /** Microseconds since the bridge was made: the stack's clock follows this. */
  nowUs(hr: bigint = process.hrtime.bigint()): number {
    return Number((hr - this.t0) / 1000n);
  }

  /** Creates the tun device (the caller configures it) and hooks the stack's output. */
  open(): void {
    const tun = openTun(this.device);
    if (tun.ret < 0) throw new Error(`Cannot create tun device ${this.device}: ${errnoName(tun.errno)}.`);
    this.tunFd = tun.ret;
    // Host.emit() only queues into host.sent; flush that queue to the tun right after the
    // current turn, so a burst of segments from one call goes out together without waiting a tick.
    const host = this.stack.host;
    const emit = host.emit.bind(host);
    host.emit = (pkt) => {
      emit(pkt);
      if (!this.flushQueued) { this.flushQueued = true; queueMicrotask(() => this.flush()); }
    };
  }

  /** Starts reading the tun and driving the clock. */
  async start(): Promise<void> {
    const fds = new Uint8Array(8);
    if (call('pipe2', fds, O_CLOEXEC).ret < 0) throw new Error('Cannot create the tun reader\'s wake-up pipe.');
    const view = new DataView(fds.buffer);
    this.wake = [view.getInt32(0, true), view.getInt32(4, true)];
    const data: TunReaderData = { fd: this.tunFd, wakeFd: this.wake[0]! };
    const reader = new Worker(new URL('../targets/kernel/tun-reader-worker.js', import.meta.url), { workerData: data });
    this.reader = reader;
    let markReady = (): void => {};
    const ready = new Promise<void>((r) => (markReady = r));
    this.readerDone = new Promise((resolve) => {
      reader.on('message', (m: TunReaderMessage) => {
        if (m.kind === 'ready') markReady();
        else if (m.kind === 'packet') this.fromKernel(m.bytes, m.hrtime);
        else if (m.errno !== undefined) this.error = `Reading the tun device failed: ${errnoName(m.errno)}.`;
      });
      reader.on('error', (e) => { this.error = `The tun reader failed: ${e.message}`; });
      reader.on('exit', () => { markReady(); resolve(); });
    });
    await ready;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    this.stack.clock.advanceTo(this.nowUs());
    this.stack.kick();
    this.flush();
  }

  private fromKernel(bytes: Uint8Array, hr: bigint): void {
    this.packetsIn++;
    const us = this.nowUs(hr);
    this.firstPacketUs ??= us;
    // Stamped when the stack takes it in (not when the reader thread read it), so that the
    // capture's times follow its order: both directions as the stack saw them.
    this.pcap?.append(bytes, this.epoch0 + this.nowUs() / 1e6);
    this.observe(bytes, false);
    this.stack.clock.advanceTo(Math.max(us, this.stack.clock.now()));
    this.stack.inject(bytes);
    this.flush();
  }

  /** Writes every packet the stack has queued to the tun. */
  flush(): void {
    this.flushQueued = false;
    const sent = this.stack.host.sent;
    while (sent.length > 0) {
      const p = sent.shift()!;
      // encodeIp's result is a view into a shared slab: copy before the slab is reused.
      const bytes = Uint8Array.from(p.bytes);
      this.packetsOut++;
      this.firstPacketUs ??= this.nowUs();
      this.pcap?.append(bytes, this.epoch0 + this.nowUs() / 1e6);
      this.observe(bytes, true);
      const r = call('write', this.tunFd, bytes, bytes.byteLength);
      if (r.ret < 0 && !this.error) this.error = `Writing to the tun device failed: ${errnoName(r.errno)}.`;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    if (this.wake.length) call('write', this.wake[1]!, new Uint8Array(1), 1);
    const stopped = await Promise.race([this.readerDone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), READER_STOP_MS))]);
    if (!stopped) await this.reader?.terminate();
    for (const fd of this.wake.splice(0)) call('close', fd);
    if (this.tunFd >= 0) call('close', this.tunFd);
    this.tunFd = -1;
  }
}
