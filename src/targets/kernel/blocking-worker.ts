// Worker thread entry: performs syscalls that may block, one at a time, so the main thread's
// event loop (packet injection, the tun reader, timers) keeps running meanwhile, and errno is
// read on the thread that made the call. Threads share the process's fds and network namespace.
import { parentPort } from 'node:worker_threads';
import type { SyscallRequest, SyscallResult } from '../target.js';
import { preloadLibc } from './libc.js';
import { performSyscall } from './syscalls.js';

export interface BlockingCall { id: number; req: SyscallRequest }
/** `start`/`end`: CLOCK_MONOTONIC ns around the call, taken on this thread. */
export interface BlockingReply { id: number; res: SyscallResult; start: bigint; end: bigint }
/** Sent once, when the worker has bound libc and can take calls without a start-up delay. */
export const WORKER_READY = 'ready';

preloadLibc();
parentPort?.postMessage(WORKER_READY);

parentPort?.on('message', (msg: BlockingCall) => {
  const start = process.hrtime.bigint();
  const res = performSyscall(msg.req);
  const reply: BlockingReply = { id: msg.id, res, start, end: process.hrtime.bigint() };
  parentPort?.postMessage(reply);
});
