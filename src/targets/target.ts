// The one small interface between the engine and a stack under test. The engine never knows
// which stack it drives: the live Linux kernel (real time, tun device, real syscalls), the
// bundled TypeScript stack (virtual time), or a remote stack (pcap + raw sockets).
//
// Everything crosses this boundary in the stack's own terms: packets as raw IP bytes (the
// engine decodes and encodes them with src/wire), socket option values and structs as raw bytes
// in Linux x86-64 layout (src/sys/structs.ts), errno by name. So a new stack is one new file.

import type { PmEvent, PmRequest, PmResult } from './pm.js';

/** Script time in microseconds since the script's time 0. */
export type Usecs = number;

export type TargetName = 'kernel' | 'ts' | 'remote';

/** A clock the engine schedules on. Real for the kernel, virtual for the bundled stack. */
export interface Clock {
  readonly kind: 'real' | 'virtual';
  /** Microseconds since the script's time 0 (the moment `start()` was called). */
  now(): Usecs;
  /** Marks script time 0. */
  start(): void;
  /**
   * Waits until script time `t` (returns at once when already past). On a virtual clock this
   * advances time, firing the stack's timers on the way, so packets the stack sends meanwhile
   * are queued with their exact virtual send time.
   */
  sleepUntil(t: Usecs): Promise<void>;
}

export interface NetworkConfig {
  ipVersion: 'ipv4' | 'ipv4-mapped-ipv6' | 'ipv6';
  /** Address of the stack under test. */
  localIp: string;
  /** The script's (the peer's) address; `remotePrefix` is routed towards the test device. */
  remoteIp: string;
  remotePrefix: number;
  gatewayIp: string;
  /** IPv4 netmask of the local address, dotted ("255.255.0.0"). */
  netmaskIp: string;
  mtu: number;
  /** Test interface name the stack sees (exported as OPT_LOCAL_DEV). */
  device: string;
}

/** A packet the stack sent, as raw IP bytes, with the script time it left the stack. */
export interface SentPacket {
  bytes: Uint8Array;
  time: Usecs;
}

/** Socket addresses in syscalls. */
export interface SockAddr {
  family: 'inet' | 'inet6';
  address: string;
  port: number;
}

/**
 * One system call, already lowered by the engine from script expressions to concrete values.
 * File descriptors here are the target's own. Buffers that the script leaves as `...` arrive as
 * zero-filled bytes of the right length.
 */
export type SyscallRequest =
  | { name: 'socket'; domain: number; type: number; protocol: number }
  | { name: 'bind'; fd: number; addr: SockAddr | Uint8Array; addrLen: number }
  | { name: 'listen'; fd: number; backlog: number }
  | { name: 'accept' | 'accept4'; fd: number; flags: number; wantAddr: boolean }
  | { name: 'connect'; fd: number; addr: SockAddr | Uint8Array; addrLen: number }
  | { name: 'read' | 'recv' | 'recvfrom'; fd: number; len: number; flags: number }
  | { name: 'readv'; fd: number; iov: number[] }
  /** `nullData`: the script passed NULL as the buffer; `data` is LEN zeros, the call gets a NULL pointer. */
  | { name: 'write' | 'send'; fd: number; data: Uint8Array; flags: number; nullData?: boolean }
  /** `addr` as bytes: a sockaddr with only a family (`AF_UNSPEC` written in place of an address). */
  | { name: 'sendto'; fd: number; data: Uint8Array; flags: number; addr?: SockAddr | Uint8Array; nullData?: boolean }
  | { name: 'writev'; fd: number; iov: Uint8Array[] }
  | { name: 'sendmsg'; fd: number; iov: Uint8Array[]; flags: number; addr?: SockAddr; control?: Uint8Array }
  | { name: 'recvmsg'; fd: number; iov: number[]; flags: number; controlLen: number }
  | { name: 'close'; fd: number }
  | { name: 'shutdown'; fd: number; how: number }
  | { name: 'setsockopt'; fd: number; level: number; optname: number; value: Uint8Array; optlen: number }
  /**
   * `buffers`: user-space arrays the value points to (MPTCP_FULL_INFO): the target gives each a
   * zero-filled buffer of `size` bytes, stores its address as a u64 at offset `at` of the value,
   * and returns the buffers' contents in the output, in the same order.
   */
  | { name: 'getsockopt'; fd: number; level: number; optname: number; optlen: number; value?: Uint8Array; buffers?: PointedBuffer[] }
  | { name: 'fcntl'; fd: number; cmd: number; arg?: number }
  | { name: 'ioctl'; fd: number; request: number; arg?: Uint8Array }
  | { name: 'poll'; fds: Array<{ fd: number; events: number }>; timeoutMs: number }
  | { name: 'epoll_create' | 'epoll_create1'; size: number }
  | { name: 'epoll_ctl'; epfd: number; op: number; fd: number; events: number; data: bigint }
  | { name: 'epoll_wait'; epfd: number; maxEvents: number; timeoutMs: number }
  | { name: 'pipe'; flags: number }
  | { name: 'splice'; fdIn: number; offIn?: bigint; fdOut: number; offOut?: bigint; len: number; flags: number }
  | { name: 'sendfile'; outFd: number; inFd: number; offset?: bigint; count: number }
  | { name: 'open'; path: string; flags: number; mode: number };

/** A user-space buffer a getsockopt value points to: its size and where its pointer sits in the value. */
export interface PointedBuffer {
  at: number;
  size: number;
}

export type SyscallName = SyscallRequest['name'];

/** What a call returned. `errno` is the symbolic name (e.g. 'EAGAIN') when ret is -1. */
export interface SyscallResult {
  ret: number;
  errno?: string;
  /** Output data of calls that produce some. */
  out?: SyscallOutput;
  /**
   * Script times the call entered and left the kernel, when the target stamps them on the thread
   * that made it (the kernel target's blocking calls): the engine then judges those, not when it
   * heard of the result.
   */
  startedAt?: Usecs;
  endedAt?: Usecs;
}

export type SyscallOutput =
  | { kind: 'data'; data: Uint8Array; flags?: number; addr?: SockAddr; control?: Uint8Array }
  | { kind: 'addr'; addr: SockAddr }
  /** getsockopt/ioctl: value bytes as the kernel wrote them (Linux x86-64 layout) and optlen. */
  | { kind: 'opt'; value: Uint8Array; optlen: number; buffers?: Uint8Array[] }
  | { kind: 'poll'; revents: number[] }
  | { kind: 'epoll'; events: Array<{ events: number; data: bigint }> }
  | { kind: 'fds'; fds: number[] };

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
  /**
   * Lines the target could not honour (e.g. on the bundled stack `sysctl` of an unknown key, or
   * a command it does not emulate), each a sentence. The engine reports them; a script whose
   * command could not be honoured is a skip, never a silent pass.
   */
  unsupported?: string[];
  /** Settings that were accepted but cannot take effect as written (e.g. cubic in a netns). */
  warnings?: string[];
  /** What a reader of `-v` output should know: settings accepted without effect, how the command ran. */
  notes?: string[];
}

/** Counters as a target read them. */
export interface CounterRead {
  /** Each counter the target has, by name. A name asked for but absent here and below does not exist on it. */
  values: ReadonlyMap<string, bigint>;
  /** Counters that exist on Linux but the target does not keep, with the reason: a script asserting one is a skip. */
  unmodelled?: ReadonlyMap<string, string>;
}

export interface TargetCapabilities {
  /** Can run syscalls (remote targets drive packets only). */
  syscalls: boolean;
  mptcp: boolean;
  /** Syscall names this target cannot perform: a script using them is a skip with the reason. */
  unsupportedSyscalls: ReadonlySet<SyscallName>;
}

export interface Target {
  readonly name: TargetName;
  readonly clock: Clock;
  readonly capabilities: TargetCapabilities;

  /** Brings up the network the script sees. Throws TargetUnavailable when it cannot run at all. */
  open(net: NetworkConfig): Promise<void>;

  /**
   * Performs a system call. Calls that block resolve when they complete; the engine keeps
   * injecting and reading packets meanwhile. A virtual-time target resolves them from within
   * `clock.sleepUntil`.
   */
  syscall(req: SyscallRequest): Promise<SyscallResult>;

  /**
   * Real-time targets that run calls on other threads: whether call `req`, not returned yet, is
   * asleep in the kernel (blocked), as opposed to still waiting for its thread to run or for its
   * result to arrive (a loaded machine). The engine judges a call "blocked" only when so.
   */
  callBlocked?(req: SyscallRequest): boolean;

  /** Delivers a packet to the stack as if it arrived on the test interface. */
  inject(bytes: Uint8Array): Promise<void>;

  /**
   * Real-time targets that can: delivers the packet at script time `at` (at once when it has
   * passed) without depending on the caller's event loop (the kernel target's injection thread),
   * and resolves to the script time it really did. The engine hands the packet over as soon as it
   * is built, ahead of its time.
   */
  injectAt?(bytes: Uint8Array, at: Usecs): Promise<Usecs>;

  /**
   * Next packet the stack sent on the test interface, waiting until script time `deadline` at
   * most; null when none came by then.
   */
  receive(deadline: Usecs): Promise<SentPacket | null>;

  /**
   * The MIB counters `names` (nstat's names: MPTcpExtMPJoinSynRx, TcpExtTCPFastOpenActive) of the
   * test's network as they stand now (docs/language.md §6.3). A target without it cannot run a
   * script with counter assertions (a skip).
   */
  readCounters?(names: readonly string[]): CounterRead;

  /**
   * A path-manager command (docs/language.md §6.4) in the test's network, at once: 0, or -1 with
   * the errno Linux's `mptcp_pm` generic netlink family gives. A target without it cannot run a
   * script with PM commands (a skip).
   */
  pmCommand?(req: PmRequest): PmResult;

  /**
   * Starts listening to the path manager's events (`mptcp_pm_events`) of the test's network,
   * before the clock starts; only for a script that expects events (a listener makes Linux's
   * userspace PM active). A target without it cannot run such a script (a skip).
   */
  subscribePmEvents?(): void;

  /** The next path-manager event, waiting until script time `deadline` at most; null when none came. */
  nextPmEvent?(deadline: Usecs): Promise<PmEvent | null>;

  /** The token of the MPTCP connection of target fd `fd` (mptcpi_token), if it has one. */
  connectionToken?(fd: number): number | undefined;

  /** Runs a shell command inside the test's network (namespace or emulation). */
  shell(command: string, opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ShellResult>;

  /** Tears everything down; must leave nothing behind, also when called after a failure. */
  close(): Promise<void>;
}

/** The target cannot run here: missing privilege, device or kernel feature. Exit code 4 (skip). */
export class TargetUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUnavailable';
  }
}
