// A stack mptcpdrill does not host, reached through an interface: packets only. The engine's
// packets are injected as raw IP (inject.ts) and what the stack at `remoteIp` sends is captured
// with libpcap (capture.ts). Roles are the reverse of the names: the stack under test is the
// *remote host*, so the engine gets local_ip = remoteIp (the stack) and remote_ip = our address
// (see cli-options.ts). The script's application side, if any, is started by its shell lines
// (ssh, `ip netns exec`, ...), run locally.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import {
  TargetUnavailable,
  type NetworkConfig, type SentPacket, type ShellResult, type SyscallName, type SyscallRequest, type SyscallResult, type Target, type TargetCapabilities, type Usecs,
} from '../target.js';
import { RealClock } from '../kernel/real-clock.js';
import { ShellRunner, type ShellOptions } from '../kernel/shell.js';
import { Capture, captureFilter } from './capture.js';
import { Injector } from './inject.js';
import { loadCap, loadRawSocket } from './native.js';
import { nftAvailable, RstGuard } from './rst-guard.js';
import { PacketQueue } from '../packet-queue.js';

export interface RemoteTargetOptions {
  /** Interface towards the stack under test. */
  iface: string;
  /** Address of the stack under test. */
  remoteIp: string;
  /** Our (the script side's) address; default: the interface's first address of that family. */
  localIp?: string;
  /** More addresses of the stack whose packets belong to the test (e.g. an announced one). */
  extraRemoteIps?: string[];
}

/** Every syscall: this target drives packets only. */
const ALL_SYSCALLS: readonly SyscallName[] = [
  'socket', 'bind', 'listen', 'accept', 'accept4', 'connect', 'read', 'recv', 'recvfrom', 'readv', 'write', 'send', 'sendto',
  'writev', 'sendmsg', 'recvmsg', 'close', 'shutdown', 'setsockopt', 'getsockopt', 'fcntl', 'ioctl', 'poll', 'epoll_create',
  'epoll_create1', 'epoll_ctl', 'epoll_wait', 'pipe', 'splice', 'sendfile', 'open',
];

export const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** True when this process has every capability `bits` names (effective set). */
export function hasCaps(...bits: number[]): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const caps = m ? BigInt(`0x${m[1]}`) : 0n;
  return bits.every((b) => ((caps >> BigInt(b)) & 1n) === 1n);
}

/** The interface's first address of the given family, if it has one. */
export function interfaceAddress(iface: string, family: 4 | 6): string | undefined {
  const list = networkInterfaces()[iface];
  return list?.find((a) => (family === 4 ? a.family === 'IPv4' : a.family === 'IPv6' && !a.address.startsWith('fe80')))?.address;
}

export class RemoteTarget implements Target {
  readonly name = 'remote' as const;
  readonly clock = new RealClock();
  readonly capabilities: TargetCapabilities = { syscalls: false, mptcp: true, unsupportedSyscalls: new Set(ALL_SYSCALLS) };
  /** Our address, known after open(). */
  localIp: string | undefined;

  private capture: Capture | null = null;
  private injector: Injector | null = null;
  private readonly guard = new RstGuard();
  private readonly packets = new PacketQueue(this.clock);
  private readonly shells = new ShellRunner();

  constructor(readonly opts: RemoteTargetOptions) {}

  async open(net: NetworkConfig): Promise<void> {
    const { iface, remoteIp } = this.opts;
    if (process.platform !== 'linux') throw new TargetUnavailable('The remote target needs Linux (raw sockets, libpcap and nftables).');
    if (!hasCaps(CAP_NET_ADMIN, CAP_NET_RAW)) throw new TargetUnavailable('The remote target needs root (CAP_NET_RAW to inject and capture, CAP_NET_ADMIN for its nftables rule).');
    if (!networkInterfaces()[iface] && !ifaceExists(iface)) throw new TargetUnavailable(`There is no interface ${iface} here.`);
    const family = remoteIp.includes(':') ? 6 : 4;
    this.localIp = this.opts.localIp ?? interfaceAddress(iface, family);
    if (!this.localIp) throw new TargetUnavailable(`Interface ${iface} has no IPv${family} address: give our address with --local-ip.`);
    // The engine's roles are reversed (cli-options.ts); a mismatch means run.ts did not map them.
    if (net.localIp !== remoteIp || net.remoteIp !== this.localIp) {
      throw new Error(`The script's addresses (local_ip ${net.localIp}, remote_ip ${net.remoteIp}) are not the remote target's (stack ${remoteIp}, us ${this.localIp}): pass remoteTargetOverrides() to the script options.`);
    }
    if (!nftAvailable()) throw new TargetUnavailable('The remote target needs nft (nftables) to keep this host\'s RSTs for the spoofed connections off the wire: install nftables.');
    const cap = loadCap();
    const raw = loadRawSocket();
    this.injector = new Injector(raw);
    try {
      this.injector.prepare(family);
    } catch (e) {
      throw new TargetUnavailable(`Cannot open a raw IP socket: ${(e as Error).message}.`);
    }
    try {
      this.guard.install(iface, remoteIp);
    } catch (e) {
      throw new TargetUnavailable(`Cannot install the nftables rule that drops this host's RSTs: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
    }
    try {
      this.capture = new Capture(cap, iface, captureFilter([remoteIp, ...(this.opts.extraRemoteIps ?? [])]), (ip) => this.onPacket(ip));
    } catch (e) {
      throw new TargetUnavailable(`Cannot capture on ${iface} with libpcap: ${(e as Error).message}.`);
    }
  }

  syscall(_req: SyscallRequest): Promise<SyscallResult> {
    // Never reached when the engine honours capabilities (a script with syscalls is a skip).
    return Promise.resolve({ ret: -1, errno: 'ENOSYS' });
  }

  inject(bytes: Uint8Array): Promise<void> {
    if (!this.injector) return Promise.reject(new Error('inject() before open()'));
    return this.injector.send(bytes);
  }

  receive(deadline: Usecs): Promise<SentPacket | null> {
    return this.packets.next(deadline);
  }

  shell(command: string, opts: ShellOptions): Promise<ShellResult> {
    return this.shells.run(command, opts);
  }

  async close(): Promise<void> {
    this.clock.endSleeps();
    this.shells.killAll();
    this.capture?.close();
    this.capture = null;
    this.injector?.close();
    this.injector = null;
    this.guard.remove();
    this.packets.release();
  }

  private onPacket(bytes: Uint8Array): void {
    this.packets.push({ bytes, time: this.clock.now() });
  }
}

function ifaceExists(iface: string): boolean {
  try { execFileSync('ip', ['link', 'show', 'dev', iface], { stdio: 'ignore' }); return true; } catch { return false; }
}

export function createRemoteTarget(opts: RemoteTargetOptions): Target {
  return new RemoteTarget(opts);
}
