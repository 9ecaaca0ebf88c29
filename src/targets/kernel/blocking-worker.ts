// Worker thread entry: performs syscalls that may block, one at a time, so the main thread's
// event loop (packet injection, the tun reader, timers) keeps running meanwhile, and errno is
// read on the thread that made the call. Threads share the process's fds and network namespace.
//
// A shared Int32Array (workerData.state: STATE_*) says which call the thread is in and whether
// it has returned, and the thread's id: the target tells a call asleep in the kernel (blocked)
// from one that only waits for this thread to be scheduled (a loaded machine), as packetdrill
// does with its syscall thread.
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { SyscallRequest, SyscallResult } from '../target.js';
import { preloadLibc, realtime } from './libc.js';
import { performSyscall } from './syscalls.js';

/** Slots of the shared state: the call id, its phase (PHASE_*), the thread id. */
export const STATE_ID = 0;
export const STATE_PHASE = 1;
export const STATE_TID = 2;
export const STATE_SIZE = 3;
export const PHASE_IN_CALL = 1;
export const PHASE_RETURNED = 2;

export interface BlockingCall { id: number; req: SyscallRequest }
/** `start`/`end`: CLOCK_MONOTONIC ns around the call, taken on this thread. */
export interface BlockingReply { id: number; res: SyscallResult; start: bigint; end: bigint }
/** Sent once, when the worker has bound libc and can take calls without a start-up delay. */
export const WORKER_READY = 'ready';

const state = new Int32Array((workerData as { state?: SharedArrayBuffer } | undefined)?.state ?? new SharedArrayBuffer(STATE_SIZE * 4));
preloadLibc();
// Real-time (libc.ts realtime()): a call is made, and its result handed back, when they are due.
realtime(1);
try { Atomics.store(state, STATE_TID, Number(readlinkSync('/proc/thread-self').split('/').pop())); } catch { /* unknown: never judged blocked early */ }
parentPort?.postMessage(WORKER_READY);

parentPort?.on('message', (msg: BlockingCall) => {
  Atomics.store(state, STATE_ID, msg.id);
  Atomics.store(state, STATE_PHASE, PHASE_IN_CALL);
  const start = process.hrtime.bigint();
  const res = performSyscall(msg.req);
  const end = process.hrtime.bigint();
  Atomics.store(state, STATE_PHASE, PHASE_RETURNED);
  const reply: BlockingReply = { id: msg.id, res, start, end };
  parentPort?.postMessage(reply);
});
