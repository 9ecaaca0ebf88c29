// Worker thread entry: the kernel target's injection thread, one for the life of the process
// (injector.ts). It does nothing but wait for a packet, sleep until shortly before the packet's
// CLOCK_MONOTONIC deadline with clock_nanosleep(TIMER_ABSTIME) (timer slack 1 ns: no 50 µs
// rounding), spin on the clock for the last SPIN_NS (a timer wakes a thread 50-200 µs late on a
// busy machine; the spin costs that much CPU per packet), and write it to the tun device; the
// time it wrote is stamped just before the write (the kernel processes the packet, and may answer
// it, inside that write). No event loop is involved: the thread blocks in Atomics.wait between
// packets, so a busy main thread never delays an injection. It runs under SCHED_FIFO (when root;
// libc.ts realtime()), above the kernel target's other threads: woken, it runs before any normal
// thread, the CPU hogs of a loaded machine included; it only ever sleeps, spins a few hundred
// microseconds and writes one packet, so it takes little from them.
//
// With a packet socket of the device's incoming packets (`stampFd`), it then reads back the
// time the kernel received the packet (SIOCGSTAMPNS, CLOCK_REALTIME turned into CLOCK_MONOTONIC):
// the time the packet counts as injected, on the same clock as the packets the kernel sends
// (capture-worker.ts), so that a SYN/ACK is seen the few tens of microseconds after its SYN that
// the kernel took.
//
// Shared layout (SLOT_*): state, fd, length, errno, result, then the deadline and the stamp as
// BigInt64 at byte 32 and 40, and the packet at byte DATA_AT. Only descriptors are used, so the
// thread may sit in any network namespace (netns.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { call, clockNs, clockOffset, CLOCK_MONOTONIC, PR_SET_TIMERSLACK, preloadLibc, realtime, TIMER_ABSTIME } from './libc.js';

export interface InjectorData { shared: SharedArrayBuffer }
export type InjectorMessage = { kind: 'ready' } | { kind: 'done' };

export const SLOT_STATE = 0;
export const SLOT_FD = 1;
export const SLOT_LEN = 2;
export const SLOT_ERRNO = 3;
export const SLOT_RET = 4;
export const SLOT_STAMPFD = 5;
/** BigInt64 indexes (bytes 32, 40, 48). */
export const SLOT_DEADLINE = 4;
export const SLOT_STAMP = 5;
/** The kernel's receive stamp, 0 when none was read. */
export const SLOT_RECEIVED = 6;
export const DATA_AT = 64;
export const MAX_PACKET = 65536;
export const SHARED_SIZE = DATA_AT + MAX_PACKET;

export const STATE_IDLE = 0;
export const STATE_REQUEST = 1;
export const STATE_DONE = 2;
export const STATE_STOP = 3;

const EINTR = 4;
const EAGAIN = 11;
/** Above the other real-time threads of the kernel target (libc.ts realtime()). */
const RT_PRIORITY = 3;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const SIOCGSTAMPNS = 0x8907;
const PACKET_OUTGOING = 4;
/** How long the thread waits for the packet it wrote to come by on the stamp socket. */
const RECEIVE_WAIT_MS = 20;
/** The last stretch before a deadline, spent spinning on the clock rather than in a timer. */
const SPIN_NS = 300_000n;

function main({ shared }: InjectorData): void {
  preloadLibc();
  call('prctl', PR_SET_TIMERSLACK, 1, 0, 0, 0);
  realtime(RT_PRIORITY);
  const i32 = new Int32Array(shared, 0, 8);
  const i64 = new BigInt64Array(shared, 0, 8);
  const data = new Uint8Array(shared, DATA_AT, MAX_PACKET);
  const packet = new Uint8Array(MAX_PACKET);
  const scratch = new Uint8Array(MAX_PACKET);
  const ts = new Uint8Array(16);
  const tsView = new DataView(ts.buffer);
  parentPort!.postMessage({ kind: 'ready' } satisfies InjectorMessage);
  for (;;) {
    const state = Atomics.load(i32, SLOT_STATE);
    if (state === STATE_STOP) return;
    if (state !== STATE_REQUEST) {
      // Idle, or the last answer not taken yet: sleep until the state changes.
      Atomics.wait(i32, SLOT_STATE, state);
      continue;
    }
    const fd = i32[SLOT_FD]!;
    const len = i32[SLOT_LEN]!;
    const stampFd = i32[SLOT_STAMPFD]!;
    const deadline = i64[SLOT_DEADLINE]!;
    packet.set(data.subarray(0, len));
    const realMinusMono = stampFd >= 0 ? clockOffset() : 0n;
    // Packets that came by before this one (injected without this thread) are not its.
    if (stampFd >= 0) while (call('recvfrom', stampFd, scratch, scratch.byteLength, MSG_DONTWAIT, null, null).ret >= 0) { /* drop */ }
    const wake = deadline - SPIN_NS;
    tsView.setBigInt64(0, wake / 1_000_000_000n, true);
    tsView.setBigInt64(8, wake % 1_000_000_000n, true);
    if (clockNs(CLOCK_MONOTONIC) < wake) {
      while (call('clock_nanosleep', CLOCK_MONOTONIC, TIMER_ABSTIME, ts, null).ret === EINTR) { /* signal: sleep on */ }
    }
    let stamp = clockNs(CLOCK_MONOTONIC);
    while (stamp < deadline) stamp = clockNs(CLOCK_MONOTONIC);
    const w = call('write', fd, packet, len);
    i64[SLOT_STAMP] = stamp;
    i64[SLOT_RECEIVED] = w.ret >= 0 && stampFd >= 0 ? receivedAt(stampFd, packet.subarray(0, len), realMinusMono) : 0n;
    i32[SLOT_RET] = w.ret;
    i32[SLOT_ERRNO] = w.errno;
    Atomics.store(i32, SLOT_STATE, STATE_DONE);
    parentPort!.postMessage({ kind: 'done' } satisfies InjectorMessage);
  }
}

const from = new Uint8Array(20);
const fromLen = new Uint8Array(4);
const got = new Uint8Array(MAX_PACKET);
const stampBuf = new Uint8Array(16);
const pfd = new Uint8Array(8);

/** CLOCK_MONOTONIC ns at which the kernel received `packet`, read from `fd`; 0n when it does not come by. */
function receivedAt(fd: number, packet: Uint8Array, realMinusMono: bigint): bigint {
  const until = clockNs(CLOCK_MONOTONIC) + BigInt(RECEIVE_WAIT_MS) * 1_000_000n;
  const pv = new DataView(pfd.buffer);
  for (;;) {
    new DataView(fromLen.buffer).setUint32(0, from.byteLength, true);
    const r = call('recvfrom', fd, got, got.byteLength, MSG_DONTWAIT, from, fromLen);
    if (r.ret >= 0) {
      if (from[10] === PACKET_OUTGOING || r.ret !== packet.byteLength || !got.subarray(0, r.ret).every((b, i) => b === packet[i])) continue;
      if (call('ioctl', fd, SIOCGSTAMPNS, stampBuf).ret < 0) return 0n;
      const v = new DataView(stampBuf.buffer);
      return v.getBigInt64(0, true) * 1_000_000_000n + v.getBigInt64(8, true) - realMinusMono;
    }
    if (r.errno !== EAGAIN && r.errno !== EINTR) return 0n;
    // Not there yet (the kernel may take it up in its softirq thread): wait for it a little.
    const left = Number(until - clockNs(CLOCK_MONOTONIC)) / 1e6;
    if (left <= 0) return 0n;
    pv.setInt32(0, fd, true);
    pv.setInt16(4, POLLIN, true);
    pv.setInt16(6, 0, true);
    call('poll', pfd, 1, Math.ceil(left));
  }
}


if (parentPort) main(workerData as InjectorData);
