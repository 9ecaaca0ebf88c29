// Worker thread entry: the kernel target's packet capture, one thread for the life of the process
// (capture.ts). Between scripts it sleeps in poll() on its wake-up pipe; a script attaches its tun
// device and, when it has one, a packet socket bound to it (AF_PACKET, SOCK_DGRAM). Each packet
// the kernel sends is then taken from the packet socket with the time the kernel handed it to the
// device (SIOCGSTAMPNS: the tap's CLOCK_REALTIME stamp, turned into CLOCK_MONOTONIC), so a busy
// event loop, or this thread waking late, never moves a packet's time; the tun device's own
// queue is read and dropped. Without a packet socket the tun device is read and each packet
// stamped when read.
//
// Commands come through a shared Int32Array (CTL_*) and a byte on the wake-up pipe; each is
// acknowledged with {kind: 'ack', seq}, after which the thread no longer touches detached fds.
// The thread only uses descriptors it is given: it never makes a namespace-dependent call, so
// it may sit in any network namespace (netns.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { call, clockNs, clockOffset, CLOCK_MONOTONIC, preloadLibc, realtime } from './libc.js';

export interface CaptureData { wakeFd: number; ctl: SharedArrayBuffer }
export type CaptureMessage =
  | { kind: 'ready' }
  | { kind: 'ack'; seq: number }
  /** `mono`: CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock) when the kernel sent it. */
  | { kind: 'packet'; bytes: Uint8Array; mono: bigint; stamped: 'kernel' | 'read' }
  | { kind: 'error'; errno: number; what: string };

/** Slots of the shared control array. */
export const CTL_SEQ = 0;
export const CTL_CMD = 1;
export const CTL_TUN = 2;
export const CTL_PKT = 3;
export const CTL_IFINDEX = 4;
export const CTL_SIZE = 5;
export const CMD_ATTACH = 1;
export const CMD_DETACH = 2;
export const CMD_STOP = 3;

const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const EINTR = 4;
const EAGAIN = 11;
const MSG_DONTWAIT = 0x40;
const SIOCGSTAMPNS = 0x8907;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
/** poll() wakes at least this often, so that the thread can be ended (process exit joins it). */
const POLL_MS = 1000;
const PACKET_OUTGOING = 4;
/** struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8, halen u8, addr[8]. */
const SOCKADDR_LL_SIZE = 20;

function main({ wakeFd, ctl: shared }: CaptureData): void {
  preloadLibc();
  // Real-time (libc.ts realtime()): a packet is handed to the main thread as soon as it comes.
  realtime(2);
  const ctl = new Int32Array(shared);
  const port = parentPort!;
  const buf = new Uint8Array(65536);
  const wakeBuf = new Uint8Array(64);
  const from = new Uint8Array(SOCKADDR_LL_SIZE);
  const fromLen = new Uint8Array(4);
  const fromView = new DataView(from.buffer);
  const ts = new Uint8Array(16);
  const tsView = new DataView(ts.buffer);
  const errBuf = new Uint8Array(4);
  const errLen = new Uint8Array([4, 0, 0, 0]);
  let tun = -1;
  let pkt = -1;
  let ifindex = 0;
  /** CLOCK_REALTIME − CLOCK_MONOTONIC in ns, measured at attach. */
  let realMinusMono = 0n;
  let pfds = pollSet([wakeFd]);
  let handled = 0;

  port.postMessage({ kind: 'ready' } satisfies CaptureMessage);
  for (;;) {
    const n = pfds.byteLength / POLLFD_SIZE;
    const p = call('poll', pfds, n, POLL_MS);
    if (p.ret < 0) {
      if (p.errno === EINTR) continue;
      port.postMessage({ kind: 'error', errno: p.errno, what: 'poll' } satisfies CaptureMessage);
      return;
    }
    if (revents(pfds, 0) !== 0) {
      call('read', wakeFd, wakeBuf, wakeBuf.byteLength);
      const seq = Atomics.load(ctl, CTL_SEQ);
      if (seq !== handled) {
        handled = seq;
        const cmd = Atomics.load(ctl, CTL_CMD);
        if (cmd === CMD_STOP) return;
        if (cmd === CMD_ATTACH) {
          tun = Atomics.load(ctl, CTL_TUN);
          pkt = Atomics.load(ctl, CTL_PKT);
          ifindex = Atomics.load(ctl, CTL_IFINDEX);
          realMinusMono = clockOffset();
        } else {
          tun = -1;
          pkt = -1;
        }
        pfds = pollSet([wakeFd, ...(tun >= 0 ? [tun] : []), ...(pkt >= 0 ? [pkt] : [])]);
        port.postMessage({ kind: 'ack', seq } satisfies CaptureMessage);
        continue;
      }
    }
    if (tun < 0) continue;
    const tunEvents = revents(pfds, 1);
    const pktEvents = pkt >= 0 ? revents(pfds, 2) : 0;
    if (pktEvents & POLLERR && !(pktEvents & POLLNVAL)) {
      // A pending socket error (ENETDOWN while the device was down): taking it clears it.
      call('getsockopt', pkt, SOL_SOCKET, SO_ERROR, errBuf, errLen);
      new DataView(errLen.buffer).setUint32(0, 4, true);
    }
    if (tunEvents & (POLLERR | POLLHUP | POLLNVAL) || pktEvents & (POLLHUP | POLLNVAL)) {
      port.postMessage({ kind: 'error', errno: 9, what: (tunEvents & (POLLERR | POLLHUP | POLLNVAL)) ? 'the tun device' : 'the packet socket' } satisfies CaptureMessage);
      tun = -1;
      pkt = -1;
      pfds = pollSet([wakeFd]);
      continue;
    }
    if (pkt >= 0 && pktEvents & POLLIN) {
      // Every packet queued on the socket, each with the time the tap saw it.
      for (;;) {
        new DataView(fromLen.buffer).setUint32(0, SOCKADDR_LL_SIZE, true);
        const r = call('recvfrom', pkt, buf, buf.byteLength, MSG_DONTWAIT, from, fromLen);
        if (r.ret < 0) {
          if (r.errno !== EAGAIN && r.errno !== EINTR) port.postMessage({ kind: 'error', errno: r.errno, what: 'the packet socket' } satisfies CaptureMessage);
          break;
        }
        // The packets the script injects come by too (PACKET_HOST): only what the kernel sent counts.
        if (from[10] !== PACKET_OUTGOING || fromView.getInt32(4, true) !== ifindex) continue;
        const g = call('ioctl', pkt, SIOCGSTAMPNS, ts);
        const mono = g.ret === 0 ? tsView.getBigInt64(0, true) * 1_000_000_000n + tsView.getBigInt64(8, true) - realMinusMono : clockNs(CLOCK_MONOTONIC);
        const bytes = buf.slice(0, r.ret);
        port.postMessage({ kind: 'packet', bytes, mono, stamped: g.ret === 0 ? 'kernel' : 'read' } satisfies CaptureMessage, [bytes.buffer]);
      }
    }
    if (tunEvents & POLLIN) {
      const r = call('read', tun, buf, buf.byteLength);
      const mono = clockNs(CLOCK_MONOTONIC);
      if (r.ret < 0) {
        if (r.errno !== EAGAIN && r.errno !== EINTR) port.postMessage({ kind: 'error', errno: r.errno, what: 'the tun device' } satisfies CaptureMessage);
        continue;
      }
      // With a packet socket, the tun device's copy is only drained.
      if (pkt >= 0) continue;
      const bytes = buf.slice(0, r.ret);
      port.postMessage({ kind: 'packet', bytes, mono, stamped: 'read' } satisfies CaptureMessage, [bytes.buffer]);
    }
  }
}

/** struct pollfd { int fd; short events; short revents; }, written here: this thread loads little. */
const POLLFD_SIZE = 8;

function pollSet(fds: number[]): Uint8Array {
  const out = new Uint8Array(fds.length * POLLFD_SIZE);
  const v = new DataView(out.buffer);
  fds.forEach((fd, i) => {
    v.setInt32(i * POLLFD_SIZE, fd, true);
    v.setInt16(i * POLLFD_SIZE + 4, POLLIN, true);
  });
  return out;
}

function revents(pfds: Uint8Array, i: number): number {
  return new DataView(pfds.buffer, pfds.byteOffset).getInt16(i * POLLFD_SIZE + 6, true);
}


// Last: main() uses the constants above.
if (parentPort) main(workerData as CaptureData);
