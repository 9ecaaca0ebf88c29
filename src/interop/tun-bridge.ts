// The wire between the kernel and the bundled stack: a tun device whose far side is the stack.
// A reader thread (the kernel target's tun-reader-worker) hands over each packet the kernel
// sends; the packet is validated, written to the pcap, and fed to the stack's receive path.
// Everything the stack emits goes the other way. The stack's virtual clock follows real time: it
// is advanced to the wall clock before every packet and on a short interval, so its timers
// (retransmission, delayed ACK) fire when they would on a real host.
import { errnoName } from '../sys/symbols.js';
import type { Stack } from '../stack/socket-api.js';
import { call, openTun } from '../targets/kernel/libc.js';
import { TunReader } from '../targets/kernel/tun-reader.js';
import type { PcapWriter } from '../pcap/writer.js';

/** How often the stack's clock is brought up to real time when no packet arrives. */
const TICK_MS = 1;

export interface BridgeObserver {
  /** Every packet crossing the tun device, either way. */
  (bytes: Uint8Array, fromStack: boolean): void;
}

export class TunBridge {
  private tunFd = -1;
  private reader: TunReader | null = null;
  private writeError: string | null = null;
  private ticker: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private readonly t0 = process.hrtime.bigint();
  private readonly epoch0 = Date.now() / 1000;
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

  /** What went wrong reading or writing the tun device, if anything. */
  get error(): string | null {
    return this.writeError ?? this.reader?.error ?? null;
  }

  /** Starts reading the tun and driving the clock. */
  async start(): Promise<void> {
    this.reader = await TunReader.start(this.tunFd, (bytes, hrtime) => this.fromKernel(bytes, hrtime));
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
      if (r.ret < 0) this.writeError ??= `Writing to the tun device failed: ${errnoName(r.errno)}.`;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.reader?.stop();
    this.reader = null;
    if (this.tunFd >= 0) call('close', this.tunFd);
    this.tunFd = -1;
  }
}
