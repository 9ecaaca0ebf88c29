// koffi bindings to the libc calls the kernel target makes, loaded lazily, once per thread (the
// main thread and each blocking-call worker load their own). Every call returns {ret, errno},
// errno read right after the call on the same thread.
//
// Why no koffi `.async`: koffi runs an async call on a libuv pool thread and does not carry that
// thread's errno back — `koffi.errno()` in the callback reads the main thread's (measured: close(9999)
// via .async reported 25 instead of EBADF). A call that may block therefore runs synchronously
// inside a worker thread (blocking-pool.ts), which reads its own errno. So UV_THREADPOOL_SIZE does
// not matter to this target; nothing here uses the libuv pool for blocking socket calls.
import { readFileSync } from 'node:fs';
import koffi from 'koffi';

export interface CallResult {
  ret: number;
  /** errno right after the call (meaningful when ret is -1). */
  errno: number;
}

/** Pointer arguments: a byte buffer the kernel reads or fills, or NULL. */
export type Ptr = Uint8Array | null;

type Native = (...args: unknown[]) => number | bigint;

const SIGNATURES = {
  socket: 'int socket(int, int, int)',
  bind: 'int bind(int, void *, uint32_t)',
  listen: 'int listen(int, int)',
  accept4: 'int accept4(int, void *, void *, int)',
  connect: 'int connect(int, void *, uint32_t)',
  read: 'long read(int, void *, unsigned long)',
  write: 'long write(int, void *, unsigned long)',
  readv: 'long readv(int, void *, int)',
  writev: 'long writev(int, void *, int)',
  send: 'long send(int, void *, unsigned long, int)',
  recv: 'long recv(int, void *, unsigned long, int)',
  sendto: 'long sendto(int, void *, unsigned long, int, void *, uint32_t)',
  recvfrom: 'long recvfrom(int, void *, unsigned long, int, void *, void *)',
  sendmsg: 'long sendmsg(int, void *, int)',
  recvmsg: 'long recvmsg(int, void *, int)',
  close: 'int close(int)',
  shutdown: 'int shutdown(int, int)',
  setsockopt: 'int setsockopt(int, int, int, void *, uint32_t)',
  getsockopt: 'int getsockopt(int, int, int, void *, void *)',
  // fcntl and ioctl are variadic in C; on x86-64 a fixed third argument is passed identically.
  fcntl: 'int fcntl(int, int, long)',
  ioctl: 'int ioctl(int, unsigned long, void *)',
  poll: 'int poll(void *, unsigned long, int)',
  epoll_create: 'int epoll_create(int)',
  epoll_create1: 'int epoll_create1(int)',
  epoll_ctl: 'int epoll_ctl(int, int, int, void *)',
  epoll_wait: 'int epoll_wait(int, void *, int, int)',
  pipe2: 'int pipe2(void *, int)',
  splice: 'long splice(int, void *, int, void *, unsigned long, unsigned int)',
  sendfile: 'long sendfile(int, int, void *, unsigned long)',
  open: 'int open(const char *, int, unsigned int)',
  prctl: 'int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)',
  // unshare(2), setns(2): namespaces of the calling thread.
  unshare: 'int unshare(int)',
  if_nametoindex: 'unsigned int if_nametoindex(const char *)',
  setns: 'int setns(int, int)',
  // clock_nanosleep(2) with TIMER_ABSTIME on CLOCK_MONOTONIC: the injection thread's precise sleep.
  clock_nanosleep: 'int clock_nanosleep(int, int, void *, void *)',
  clock_gettime: 'int clock_gettime(int, void *)',
  // sched_setscheduler(2) with pid 0: the calling thread's policy (the injection thread's).
  sched_setscheduler: 'int sched_setscheduler(int, int, void *)',
} as const;

export type LibcName = keyof typeof SIGNATURES;

let bound: Record<LibcName, Native> | null = null;

function bindings(): Record<LibcName, Native> {
  if (bound) return bound;
  const lib = koffi.load('libc.so.6');
  const out = {} as Record<LibcName, Native>;
  for (const [name, sig] of Object.entries(SIGNATURES) as Array<[LibcName, string]>) {
    out[name] = lib.func(sig) as Native;
  }
  bound = out;
  return out;
}

/**
 * Loads libc and binds every function now: the first binding costs tens of milliseconds (more
 * under load), which must not land inside a script's timeline.
 */
export function preloadLibc(): void {
  bindings();
}

/** Calls a libc function by name and captures errno on this thread. */
export function call(name: LibcName, ...args: Array<number | bigint | string | Ptr>): CallResult {
  const fn = bindings()[name];
  koffi.errno(0);
  const ret = Number(fn(...args));
  return { ret, errno: ret < 0 ? koffi.errno() : 0 };
}

/**
 * Native memory for structs that hold pointers (msghdr's iovecs and control, iovec arrays):
 * `addr` goes into the parent struct, `bytes` is a live view to fill or read back.
 */
export class NativeBuffer {
  private readonly ptr: unknown;
  readonly addr: bigint;
  readonly bytes: Uint8Array;

  constructor(size: number, init?: Uint8Array) {
    bindings();
    this.ptr = koffi.alloc('uint8_t', Math.max(size, 1));
    this.addr = koffi.address(this.ptr);
    this.bytes = new Uint8Array(koffi.view(this.ptr, Math.max(size, 1))).subarray(0, size);
    this.bytes.fill(0);
    if (init) this.bytes.set(init.subarray(0, size));
  }

  free(): void {
    koffi.free(this.ptr);
  }
}

export const TUNSETIFF = 0x400454ca;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
export const O_RDONLY = 0x0;
export const O_RDWR = 0x2;
export const O_NONBLOCK = 0x800;
export const O_CLOEXEC = 0x80000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const PR_SET_PDEATHSIG = 1;
/** clone(2) flag: a new network namespace (include/uapi/linux/sched.h). */
export const CLONE_NEWNET = 0x40000000;
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const TIMER_ABSTIME = 1;
export const SCHED_OTHER = 0;
export const SCHED_FIFO = 1;
/** OR'd into a policy: children (processes and threads) the thread creates start as SCHED_OTHER. */
export const SCHED_RESET_ON_FORK = 0x40000000;

/**
 * Puts the calling thread under SCHED_FIFO at `priority` (1 is the lowest real-time priority),
 * with SCHED_RESET_ON_FORK: what it starts (shell commands, Python) is not real-time. Needs root
 * (CAP_SYS_NICE) and the kernel's real-time throttling; MPTCPDRILL_RT=0 turns it off. Returns
 * whether the thread is real-time now.
 * The kernel target's threads wait for the kernel most of the time and then have microseconds of
 * work: real-time, they run the moment the kernel wakes them, ahead of whatever loads the machine
 * (a busy loop is only preempted at the end of its slice, milliseconds later).
 */
export function realtime(priority: number): boolean {
  if (!realtimeAllowed()) return false;
  const param = new Uint8Array(4); // struct sched_param { int sched_priority; }
  new DataView(param.buffer).setInt32(0, priority, true);
  return call('sched_setscheduler', 0, SCHED_FIFO | SCHED_RESET_ON_FORK, param).ret === 0;
}

let allowed: boolean | undefined;

/**
 * Not with MPTCPDRILL_RT=0, nor on a kernel that lets real-time threads take a whole CPU
 * (sched_rt_runtime_us -1: a runaway loop would then hang the machine rather than get 95% of a
 * CPU at most).
 */
function realtimeAllowed(): boolean {
  if (allowed === undefined) {
    let throttled = false;
    try { throttled = readFileSync('/proc/sys/kernel/sched_rt_runtime_us', 'utf8').trim() !== '-1'; } catch { /* unknown: no */ }
    allowed = process.env['MPTCPDRILL_RT'] !== '0' && throttled;
  }
  return allowed;
}

/** Back to SCHED_OTHER for the calling thread. */
export function notRealtime(): void {
  call('sched_setscheduler', 0, SCHED_OTHER, new Uint8Array(4));
}
/** prctl(2): this thread's timer slack in ns (default 50 µs, added to every sleep). */
export const PR_SET_TIMERSLACK = 29;
export const SIGKILL = 9;

/** A clock's time in ns, as clock_gettime(2) gives it. */
export function clockNs(clock: number): bigint {
  const ts = new Uint8Array(16);
  call('clock_gettime', clock, ts);
  const v = new DataView(ts.buffer);
  return v.getBigInt64(0, true) * 1_000_000_000n + v.getBigInt64(8, true);
}

/** CLOCK_REALTIME − CLOCK_MONOTONIC from the closest of a few bracketed readings. */
export function clockOffset(): bigint {
  let best: { gap: bigint; offset: bigint } | undefined;
  for (let i = 0; i < 7; i++) {
    const m1 = clockNs(CLOCK_MONOTONIC);
    const r = clockNs(CLOCK_REALTIME);
    const m2 = clockNs(CLOCK_MONOTONIC);
    const gap = m2 - m1;
    if (!best || gap < best.gap) best = { gap, offset: r - (m1 + m2) / 2n };
  }
  return best!.offset;
}

/** Opens /dev/net/tun and attaches it to a new tun device (IFF_TUN | IFF_NO_PI); returns the fd. */
export function openTun(name: string): CallResult {
  const fd = call('open', '/dev/net/tun', O_RDWR | O_CLOEXEC, 0);
  if (fd.ret < 0) return fd;
  const ifr = new Uint8Array(40); // struct ifreq: char ifr_name[16]; short ifr_flags; ...
  ifr.set(new TextEncoder().encode(name).subarray(0, 15));
  new DataView(ifr.buffer).setUint16(16, IFF_TUN | IFF_NO_PI, true);
  const r = call('ioctl', fd.ret, TUNSETIFF, ifr);
  if (r.ret < 0) {
    call('close', fd.ret);
    return r;
  }
  return fd;
}
