// The live Linux kernel as a Target: real sockets through libc, packets through a tun device,
// real time. Must run inside the private namespace made by reexecInFreshNetns (netns.ts); open()
// refuses anywhere else so the host's network is never touched.
import {
  TargetUnavailable,
  type NetworkConfig, type SentPacket, type SyscallRequest, type SyscallResult, type Target, type TargetCapabilities, type Usecs,
  type ShellResult,
} from '../target.js';
import { PacketQueue } from '../packet-queue.js';
import { BlockingPool } from './blocking-pool.js';
import { call, F_GETFL, O_NONBLOCK, openTun } from './libc.js';
import { configureNetwork } from './net-setup.js';
import { dieWithParent, inPrivateNetns, NETNS_ENV, netnsInterfaces, preflight } from './netns.js';
import { ignoreReason } from './packet-filter.js';
import { RealClock } from './real-clock.js';
import { ShellRunner, type ShellOptions } from './shell.js';
import { createdFds, performSyscall } from './syscalls.js';
import { errnoName } from '../../sys/symbols.js';
import { decodeStruct, encodeInt, LINGER_LAYOUT } from '../../sys/structs.js';
import { TunReader } from './tun-reader.js';

const MSG_DONTWAIT = 0x40;
const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SHUT_RDWR = 2;
/** Workers started at open(), so the first blocking calls do not pay a thread start-up. */
const WARM_WORKERS = 2;
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
  private reader: TunReader | null = null;
  private readonly packets = new PacketQueue(this.clock);
  private readonly fds = new Set<number>();
  private readonly pool = new BlockingPool();
  private readonly shells = new ShellRunner();

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
    dieWithParent();
    const tun = openTun(net.device);
    if (tun.ret < 0) throw new TargetUnavailable(`Cannot create tun device ${net.device}: ${errnoName(tun.errno)}; load the tun driver (modprobe tun).`);
    this.tunFd = tun.ret;
    try {
      configureNetwork(net);
    } catch (e) {
      throw new Error(`Setting up ${net.device} in the test namespace failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
    }
    const [reader] = await Promise.all([
      TunReader.start(this.tunFd, (bytes, hrtime) => this.onPacket(bytes, this.clock.fromHrtime(hrtime))),
      this.pool.warm(WARM_WORKERS),
    ]);
    this.reader = reader;
  }

  async syscall(req: SyscallRequest): Promise<SyscallResult> {
    const res = this.mayBlock(req) ? await this.pool.run(req) : performSyscall(req);
    for (const fd of createdFds(req, res)) this.fds.add(fd);
    if (req.name === 'close' && res.ret === 0) this.fds.delete(req.fd);
    return res;
  }

  async inject(bytes: Uint8Array): Promise<void> {
    if (this.tunFd < 0) throw new Error('inject() before open(): no tun device');
    const r = call('write', this.tunFd, bytes, bytes.byteLength);
    if (r.ret < 0) throw new Error(`Writing the packet to the tun device failed: ${errnoName(r.errno)}.`);
  }

  receive(deadline: Usecs): Promise<SentPacket | null> {
    const readerError = this.reader?.error;
    if (this.packets.size === 0 && readerError) return Promise.reject(new Error(readerError));
    return this.packets.next(deadline);
  }

  shell(command: string, opts: ShellOptions): Promise<ShellResult> {
    return this.shells.run(command, opts);
  }

  async close(): Promise<void> {
    this.shells.killAll();
    // Calls blocked in a worker (accept, recv...) return once their socket is shut down.
    if (this.pool.busy > 0) for (const fd of this.fds) call('shutdown', fd, SHUT_RDWR);
    for (const fd of this.fds) {
      // A lingering close would stall this thread for the linger time; at teardown nobody waits for it.
      if (lingers(fd)) call('setsockopt', fd, SOL_SOCKET, SO_LINGER, new Uint8Array(LINGER_LAYOUT.size), LINGER_LAYOUT.size);
      call('close', fd);
    }
    this.fds.clear();
    await this.pool.close();
    await this.reader?.stop();
    this.reader = null;
    if (this.tunFd >= 0) call('close', this.tunFd);
    this.tunFd = -1;
    this.packets.release();
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
