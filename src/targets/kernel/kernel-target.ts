// The live Linux kernel as a Target: real sockets through libc, packets through a tun device,
// real time. Must run inside a private namespace of its own (netns.ts: a process re-executed by
// reexecInFreshNetns, or a thread that entered one with enterFreshNetns); open() refuses anywhere
// else so the host's network is never touched. Every namespace-dependent call (socket(), the tun
// device, /proc/sys, shell commands) is made on the calling thread; the process's threads
// (threads.ts) only use descriptors.
import {
  TargetUnavailable,
  type NetworkConfig, type SentPacket, type SyscallRequest, type SyscallResult, type Target, type TargetCapabilities, type Usecs,
  type ShellResult, type CounterRead,
} from '../target.js';
import { readKernelCounters } from './counters.js';
import { KernelPathManager, tokenOf } from './mptcp-pm.js';
import { KernelPmEvents } from './mptcp-pm-events.js';
import type { PmEvent, PmRequest, PmResult } from '../pm.js';
import { PacketQueue } from '../packet-queue.js';
import { call, F_GETFL, notRealtime, O_NONBLOCK, openTun, realtime } from './libc.js';
import { configureNetwork } from './net-setup.js';
import { dieWithParent, enteredNetns, inPrivateNetns, NETNS_ENV, netnsInterfaces, preflight } from './netns.js';
import { ignoreReason } from './packet-filter.js';
import { openPacketSocket } from './packet-socket.js';
import { RealClock } from './real-clock.js';
import { ShellRunner, type ShellOptions } from './shell.js';
import { createdFds, performSyscall } from './syscalls.js';
import { kernelThreads, WARM_WORKERS, type KernelThreads } from './threads.js';
import { errnoName } from '../../sys/symbols.js';
import { decodeStruct, encodeInt, LINGER_LAYOUT } from '../../sys/structs.js';

const MSG_DONTWAIT = 0x40;
const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SHUT_RDWR = 2;
/** Packets set aside by the filter that are kept for a verbose log. */
const MAX_IGNORED_KEPT = 1000;

export interface IgnoredPacket extends SentPacket { reason: string }

export interface KernelTargetOptions {
  /** Called for each packet read from the tun device that is not part of the test (verbose log). */
  onIgnored?: (p: IgnoredPacket) => void;
}

export class KernelTarget implements Target {
  readonly name = 'kernel' as const;
  readonly clock = new RealClock();
  readonly capabilities: TargetCapabilities = { syscalls: true, mptcp: true, unsupportedSyscalls: new Set() };
  /** Packets set aside by the filter (most recent MAX_IGNORED_KEPT), for a verbose log. */
  readonly ignored: IgnoredPacket[] = [];

  private tunFd = -1;
  private packetFd = -1;
  /** A packet socket of the device's incoming packets: the injection thread's receive stamps. */
  private stampFd = -1;
  private threads: KernelThreads | null = null;
  private realtime = false;
  private readonly packets = new PacketQueue(this.clock);
  private readonly fds = new Set<number>();
  private readonly shells = new ShellRunner();
  /** The namespace's `mptcp_pm` generic netlink socket, opened at the first PM command. */
  private readonly pm = new KernelPathManager();
  /** The `mptcp_pm_events` listener, for a script that expects events. */
  private events: KernelPmEvents | undefined;
  /** Calls sent to the blocking pool, with the pool's id of each. */
  private readonly poolCalls = new WeakMap<SyscallRequest, number>();

  constructor(private readonly opts: KernelTargetOptions = {}) {}

  async open(net: NetworkConfig): Promise<void> {
    const missing = preflight();
    if (missing) throw new TargetUnavailable(missing);
    if (!inPrivateNetns()) {
      throw new TargetUnavailable(
        `The kernel target only runs inside its own network namespace (re-executed with reexecInFreshNetns, marker ${NETNS_ENV}); refusing to configure the host's network.`);
    }
    const foreign = netnsInterfaces().filter((n) => n !== 'lo');
    if (foreign.length > 0) {
      throw new TargetUnavailable(`The test namespace is not fresh (it has ${foreign.join(', ')}); refusing to configure it.`);
    }
    // A process re-executed for the namespace dies with the one that started it (a process that
    // entered one in-process is that one: the user's command, or a kernel worker that saw to it).
    if (!enteredNetns()) dieWithParent();
    // Started once per process (the suite's kernel worker starts them before its first script).
    const threads = await kernelThreads();
    this.threads = threads;
    const tun = openTun(net.device);
    if (tun.ret < 0) throw new TargetUnavailable(`Cannot create tun device ${net.device}: ${errnoName(tun.errno)}; load the tun driver (modprobe tun).`);
    this.tunFd = tun.ret;
    try {
      configureNetwork(net);
    } catch (e) {
      throw new Error(`Setting up ${net.device} in the test namespace failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
    }
    // Bound once the device is up (bound to a device that is down, it would start with ENETDOWN);
    // the script has sent nothing yet, and the tun device's queue holds what came before.
    const ifindex = call('if_nametoindex', net.device).ret;
    this.packetFd = ifindex > 0 ? openPacketSocket(ifindex) : -1;
    this.stampFd = ifindex > 0 ? openPacketSocket(ifindex, true) : -1;
    await threads.capture.attach(this.tunFd, this.packetFd, ifindex, (bytes, mono) => this.onPacket(bytes, this.clock.fromHrtime(mono)));
    // While the script runs, this thread too is real-time (libc.ts realtime(): what it starts is not).
    this.realtime = realtime(1);
  }

  async syscall(req: SyscallRequest): Promise<SyscallResult> {
    let res: SyscallResult;
    if (this.mayBlock(req)) {
      // Stamped by the thread that made the call, not when this thread heard of it.
      const pool = this.pool();
      this.poolCalls.set(req, pool.nextCallId);
      const r = await pool.run(req);
      res = { ...r.res, startedAt: this.clock.fromHrtime(r.start), endedAt: this.clock.fromHrtime(r.end) };
    } else {
      res = performSyscall(req);
    }
    for (const fd of createdFds(req, res)) this.fds.add(fd);
    if (req.name === 'close' && res.ret === 0) this.fds.delete(req.fd);
    return res;
  }

  async inject(bytes: Uint8Array): Promise<void> {
    if (this.tunFd < 0) throw new Error('inject() before open(): no tun device');
    const r = call('write', this.tunFd, bytes, bytes.byteLength);
    if (r.ret < 0) throw new Error(`Writing the packet to the tun device failed: ${errnoName(r.errno)}.`);
  }

  /**
   * Writes the packet to the tun device at script time `at` from the injection thread, which
   * sleeps to that time on its own (at once when `at` has passed); resolves to the script time
   * of the write.
   */
  async injectAt(bytes: Uint8Array, at: Usecs): Promise<Usecs> {
    if (this.tunFd < 0 || !this.threads) throw new Error('inject() before open(): no tun device');
    const r = await this.threads.injector.injectAt(this.tunFd, bytes, this.clock.toHrtime(at), this.stampFd);
    if (r.ret < 0) throw new Error(`Writing the packet to the tun device failed: ${errnoName(r.errno)}.`);
    // The packet counts as injected when the kernel got it, on the same clock as the packets it
    // sends; the write's own time when that stamp is missing.
    return this.clock.fromHrtime(r.received ?? r.mono);
  }

  /**
   * Whether `req`, a call still running, is asleep in the kernel (blocked) rather than waiting for
   * its thread to be scheduled or for its result to be heard of; calls made inline never block.
   */
  callBlocked(req: SyscallRequest): boolean {
    const id = this.poolCalls.get(req);
    return id !== undefined && this.threads !== null && this.threads.pool.blocked(id);
  }

  receive(deadline: Usecs): Promise<SentPacket | null> {
    const readerError = this.threads?.capture.error;
    if (this.packets.size === 0 && readerError) return Promise.reject(new Error(readerError));
    return this.packets.next(deadline);
  }

  shell(command: string, opts: ShellOptions): Promise<ShellResult> {
    return this.shells.run(command, opts);
  }

  readCounters(names: readonly string[]): CounterRead {
    return readKernelCounters(names);
  }

  pmCommand(req: PmRequest): PmResult {
    return this.pm.run(req);
  }

  subscribePmEvents(): void {
    this.events ??= new KernelPmEvents(this.clock);
    this.events.subscribe();
  }

  nextPmEvent(deadline: Usecs): Promise<PmEvent | null> {
    if (!this.events) return Promise.resolve(null);
    this.events.drain();
    return this.events.queue.next(deadline);
  }

  connectionToken(fd: number): number | undefined {
    return tokenOf(fd) || undefined;
  }

  async close(): Promise<void> {
    this.clock.endSleeps();
    if (this.realtime) notRealtime();
    this.realtime = false;
    this.shells.killAll();
    this.pm.close();
    this.events?.close();
    this.events = undefined;
    // Calls blocked in a worker (accept, recv...) return once their socket is shut down.
    if ((this.threads?.pool.busy ?? 0) > 0) for (const fd of this.fds) call('shutdown', fd, SHUT_RDWR);
    for (const fd of this.fds) {
      // A lingering close would stall this thread for the linger time; at teardown nobody waits for it.
      if (lingers(fd)) call('setsockopt', fd, SOL_SOCKET, SO_LINGER, new Uint8Array(LINGER_LAYOUT.size), LINGER_LAYOUT.size);
      call('close', fd);
    }
    this.fds.clear();
    const threads = this.threads;
    this.threads = null;
    if (threads) {
      // The threads live on for the next script: the pool keeps its warm workers, the capture
      // thread lets go of this script's descriptors before they are closed.
      await threads.pool.release(WARM_WORKERS);
      await threads.capture.detach();
    }
    for (const fd of [this.packetFd, this.stampFd, this.tunFd]) if (fd >= 0) call('close', fd);
    this.packetFd = -1;
    this.stampFd = -1;
    this.tunFd = -1;
    this.packets.release();
  }

  private pool(): KernelThreads['pool'] {
    if (!this.threads) throw new Error('syscall() before open()');
    return this.threads.pool;
  }

  /** True when the call could wait in the kernel: it then runs in a worker thread. */
  private mayBlock(req: SyscallRequest): boolean {
    switch (req.name) {
      case 'accept': case 'accept4': case 'connect': case 'readv': case 'writev': case 'read': case 'write':
        return !isNonBlocking(req.fd);
      case 'recv': case 'recvfrom': case 'recvmsg': case 'send': case 'sendto': case 'sendmsg':
        return (req.flags & MSG_DONTWAIT) === 0 && !isNonBlocking(req.fd);
      case 'splice': return !isNonBlocking(req.fdIn) || !isNonBlocking(req.fdOut);
      case 'sendfile': return !isNonBlocking(req.outFd);
      case 'poll': case 'epoll_wait': return req.timeoutMs !== 0;
      // close() of a socket with SO_LINGER on waits up to the linger time (even when O_NONBLOCK).
      case 'close': return lingers(req.fd);
      default: return false;
    }
  }

  private onPacket(bytes: Uint8Array, time: Usecs): void {
    const reason = ignoreReason(bytes);
    if (reason) {
      const p: IgnoredPacket = { bytes, time, reason };
      this.ignored.push(p);
      if (this.ignored.length > MAX_IGNORED_KEPT) this.ignored.shift();
      this.opts.onIgnored?.(p);
      return;
    }
    this.packets.push({ bytes, time });
  }
}


/** SO_LINGER on with a non-zero time (false for non-sockets). */
function lingers(fd: number): boolean {
  const value = new Uint8Array(LINGER_LAYOUT.size);
  const len = encodeInt(LINGER_LAYOUT.size);
  if (call('getsockopt', fd, SOL_SOCKET, SO_LINGER, value, len).ret < 0) return false;
  const l = decodeStruct(LINGER_LAYOUT, value);
  return l.l_onoff !== 0 && l.l_linger !== 0;
}

/** O_NONBLOCK set on the fd; an invalid fd counts as non-blocking (the call fails at once). */
function isNonBlocking(fd: number): boolean {
  const r = call('fcntl', fd, F_GETFL, 0);
  return r.ret < 0 || (r.ret & O_NONBLOCK) !== 0;
}
