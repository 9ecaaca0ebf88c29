// Worker thread entry: the kernel target's injection thread, one for the life of the process
// (injector.ts). It does nothing but wait for a packet, sleep until the packet's CLOCK_MONOTONIC
// deadline with clock_nanosleep(TIMER_ABSTIME) (timer slack 1 ns: no 50 µs rounding), and write
// it to the tun device; the time it wrote is stamped just before the write (the kernel processes
// the packet, and may answer it, inside that write). No event loop is involved: the thread
// blocks in Atomics.wait between packets, so a busy main thread never delays an injection.
//
// Shared layout (SLOT_*): state, fd, length, errno, result, then the deadline and the stamp as
// BigInt64 at byte 32 and 40, and the packet at byte DATA_AT. Only descriptors are used, so the
// thread may sit in any network namespace (netns.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { call, clockNs, CLOCK_MONOTONIC, PR_SET_TIMERSLACK, preloadLibc, TIMER_ABSTIME } from './libc.js';

export interface InjectorData { shared: SharedArrayBuffer }
export type InjectorMessage = { kind: 'ready' } | { kind: 'done' };

export const SLOT_STATE = 0;
export const SLOT_FD = 1;
export const SLOT_LEN = 2;
export const SLOT_ERRNO = 3;
export const SLOT_RET = 4;
/** BigInt64 indexes (bytes 32 and 40). */
export const SLOT_DEADLINE = 4;
export const SLOT_STAMP = 5;
export const DATA_AT = 64;
export const MAX_PACKET = 65536;
export const SHARED_SIZE = DATA_AT + MAX_PACKET;

export const STATE_IDLE = 0;
export const STATE_REQUEST = 1;
export const STATE_DONE = 2;
export const STATE_STOP = 3;

const EINTR = 4;

if (parentPort) main(workerData as InjectorData);

function main({ shared }: InjectorData): void {
  preloadLibc();
  call('prctl', PR_SET_TIMERSLACK, 1, 0, 0, 0);
  const i32 = new Int32Array(shared, 0, 8);
  const i64 = new BigInt64Array(shared, 0, 8);
  const data = new Uint8Array(shared, DATA_AT, MAX_PACKET);
  const packet = new Uint8Array(MAX_PACKET);
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
    const deadline = i64[SLOT_DEADLINE]!;
    packet.set(data.subarray(0, len));
    tsView.setBigInt64(0, deadline / 1_000_000_000n, true);
    tsView.setBigInt64(8, deadline % 1_000_000_000n, true);
    while (call('clock_nanosleep', CLOCK_MONOTONIC, TIMER_ABSTIME, ts, null).ret === EINTR) { /* signal: sleep on */ }
    const stamp = clockNs(CLOCK_MONOTONIC);
    const w = call('write', fd, packet, len);
    i64[SLOT_STAMP] = stamp;
    i32[SLOT_RET] = w.ret;
    i32[SLOT_ERRNO] = w.errno;
    Atomics.store(i32, SLOT_STATE, STATE_DONE);
    parentPort!.postMessage({ kind: 'done' } satisfies InjectorMessage);
  }
}
