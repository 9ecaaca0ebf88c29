// Worker thread entry: reads packets from the tun fd and posts each with the monotonic time it was
// read (process.hrtime.bigint() is the same CLOCK_MONOTONIC on every thread), so timestamps do not
// depend on how busy the main thread is. Stops when the shared flag is set (checked every poll
// timeout) or when the fd goes bad.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeStruct, encodeStruct, POLLFD_LAYOUT } from '../../sys/structs.js';
import { call } from './libc.js';

export interface TunReaderData { fd: number; stop: SharedArrayBuffer; pollMs: number }
export type TunReaderMessage =
  | { kind: 'packet'; bytes: Uint8Array; hrtime: bigint }
  | { kind: 'stopped'; errno?: number };

const POLLIN = 0x1;
const EINTR = 4;
const { fd, stop, pollMs } = workerData as TunReaderData;
const stopFlag = new Int32Array(stop);
const pfd = encodeStruct(POLLFD_LAYOUT, { fd, events: POLLIN });
const buf = new Uint8Array(65536);

const post = (m: TunReaderMessage, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(m, transfer);

let failed: number | undefined;
while (Atomics.load(stopFlag, 0) === 0) {
  const p = call('poll', pfd, 1, pollMs);
  if (p.ret < 0 && p.errno !== EINTR) { failed = p.errno; break; }
  if (p.ret <= 0 || (Number(decodeStruct(POLLFD_LAYOUT, pfd).revents) & POLLIN) === 0) continue;
  const r = call('read', fd, buf, buf.byteLength);
  const hrtime = process.hrtime.bigint();
  if (r.ret < 0) {
    if (r.errno === EINTR || r.errno === 11) continue;
    failed = r.errno;
    break;
  }
  const bytes = buf.slice(0, r.ret);
  post({ kind: 'packet', bytes, hrtime }, [bytes.buffer]);
}
post(failed === undefined ? { kind: 'stopped' } : { kind: 'stopped', errno: failed });
