// Worker thread entry: reads packets from the tun fd and posts each with the monotonic time it was
// read (process.hrtime.bigint() is the same CLOCK_MONOTONIC on every thread), so timestamps do not
// depend on how busy the main thread is. Stops when a byte arrives on the wake-up pipe or when the
// tun fd goes bad.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeStruct, encodeStruct, POLLFD_LAYOUT } from '../../sys/structs.js';
import { call } from './libc.js';

export interface TunReaderData { fd: number; wakeFd: number }
export type TunReaderMessage =
  | { kind: 'ready' }
  | { kind: 'packet'; bytes: Uint8Array; hrtime: bigint }
  | { kind: 'stopped'; errno?: number };

const POLLIN = 0x1;
const EINTR = 4;
const { fd, wakeFd } = workerData as TunReaderData;
const pfds = new Uint8Array(2 * POLLFD_LAYOUT.size);
encodeStruct(POLLFD_LAYOUT, { fd, events: POLLIN }, pfds, 0);
encodeStruct(POLLFD_LAYOUT, { fd: wakeFd, events: POLLIN }, pfds, POLLFD_LAYOUT.size);
const revents = (i: number): number => Number(decodeStruct(POLLFD_LAYOUT, pfds, i * POLLFD_LAYOUT.size).revents);
const buf = new Uint8Array(65536);

const post = (m: TunReaderMessage, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(m, transfer);

// Packets are stamped when read: the target waits for this before the script's time 0, so that
// no packet sits unread in the device while the thread is still starting.
post({ kind: 'ready' });
let failed: number | undefined;
for (;;) {
  const p = call('poll', pfds, 2, -1);
  if (p.ret < 0 && p.errno !== EINTR) { failed = p.errno; break; }
  if (p.ret <= 0) continue;
  if (revents(1) !== 0) break;
  if ((revents(0) & POLLIN) === 0) { failed = 9; break; }
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
