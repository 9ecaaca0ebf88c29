// A Target whose every answer is scripted by the test, on a virtual clock: the runner can be
// exercised deterministically (timing, blocking calls, unexpected packets) without a kernel.

import type {
  Clock, NetworkConfig, SentPacket, ShellResult, SyscallRequest, SyscallResult, Target, TargetCapabilities, TargetName, Usecs,
} from '../../src/targets/target.js';

/**
 * Virtual time with timers. After each timer it yields a macrotask turn, so promise callbacks
 * of calls the timer completed observe the exact time they completed at.
 */
export class FakeClock implements Clock {
  readonly kind = 'virtual' as const;
  private t: Usecs = 0;
  private timers: Array<{ at: Usecs; seq: number; fn: () => void }> = [];
  private seq = 0;
  started = false;

  now(): Usecs {
    return this.t;
  }

  start(): void {
    this.started = true;
  }

  at(time: Usecs, fn: () => void): void {
    this.timers.push({ at: time, seq: this.seq++, fn });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  async sleepUntil(t: Usecs): Promise<void> {
    while (this.timers.length > 0 && this.timers[0]!.at <= t) {
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.fn();
      await new Promise<void>((r) => setImmediate(r));
    }
    if (t > this.t) this.t = t;
  }

  /** Moves time forward by `us` without firing anything (simulates a slow runner). */
  stall(us: Usecs): void {
    this.t += us;
  }
}

/** An answer to a syscall: at once, or (blocking) at a later script time. */
export type ScriptedAnswer = SyscallResult | { at: Usecs; result: SyscallResult } | { never: true };

export interface ScriptedTargetConfig {
  name?: TargetName;
  capabilities?: Partial<TargetCapabilities>;
  /** Undefined falls back to the defaults (fresh fds, full reads and writes, 0). */
  onSyscall?: (req: SyscallRequest, now: Usecs, target: ScriptedTarget) => ScriptedAnswer | undefined;
  onInject?: (bytes: Uint8Array, now: Usecs, target: ScriptedTarget) => void;
  onShell?: (command: string, env: Record<string, string>) => ShellResult;
}

export class ScriptedTarget implements Target {
  readonly name: TargetName;
  readonly clock = new FakeClock();
  readonly capabilities: TargetCapabilities;
  readonly injected: Array<{ time: Usecs; bytes: Uint8Array }> = [];
  readonly calls: Array<{ time: Usecs; req: SyscallRequest }> = [];
  readonly shells: Array<{ command: string; cwd: string; env: Record<string, string> }> = [];
  opened?: NetworkConfig;
  closed = false;
  private outgoing: SentPacket[] = [];
  private nextFd = 10;

  constructor(private readonly config: ScriptedTargetConfig = {}) {
    this.name = config.name ?? 'ts';
    this.capabilities = { syscalls: true, mptcp: true, unsupportedSyscalls: new Set(), ...config.capabilities };
  }

  /** Target fds handed out by the default socket handler start here, unlike the script's. */
  allocFd(): number {
    return this.nextFd++;
  }

  /** Makes the stack "send" `bytes` at script time `time`. */
  send(time: Usecs, bytes: Uint8Array): void {
    this.outgoing.push({ time, bytes });
    this.outgoing.sort((a, b) => a.time - b.time);
  }

  async open(net: NetworkConfig): Promise<void> {
    this.opened = net;
  }

  syscall(req: SyscallRequest): Promise<SyscallResult> {
    this.calls.push({ time: this.clock.now(), req });
    const answer = this.config.onSyscall?.(req, this.clock.now(), this) ?? this.defaultAnswer(req);
    if ('never' in answer) return new Promise(() => undefined);
    if ('at' in answer) return new Promise((resolve) => this.clock.at(answer.at, () => resolve(answer.result)));
    return Promise.resolve(answer);
  }

  private defaultAnswer(req: SyscallRequest): SyscallResult {
    switch (req.name) {
      case 'socket':
      case 'accept':
      case 'accept4':
      case 'epoll_create':
      case 'epoll_create1':
      case 'open':
        return { ret: this.allocFd() };
      case 'read':
      case 'recv':
      case 'recvfrom':
        return { ret: req.len, out: { kind: 'data', data: new Uint8Array(req.len) } };
      case 'write':
      case 'send':
      case 'sendto':
        return { ret: req.data.length };
      default:
        return { ret: 0 };
    }
  }

  async inject(bytes: Uint8Array): Promise<void> {
    this.injected.push({ time: this.clock.now(), bytes });
    this.config.onInject?.(bytes, this.clock.now(), this);
  }

  async receive(deadline: Usecs): Promise<SentPacket | null> {
    const next = this.outgoing[0];
    if (next && next.time <= deadline) {
      await this.clock.sleepUntil(next.time);
      return this.outgoing.shift()!;
    }
    await this.clock.sleepUntil(deadline);
    return null;
  }

  async shell(command: string, opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ShellResult> {
    this.shells.push({ command, cwd: opts.cwd, env: opts.env });
    return this.config.onShell?.(command, opts.env) ?? { code: 0, stdout: '', stderr: '' };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
