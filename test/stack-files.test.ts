// Pipes and read-only files in the bundled stack: pipe, open, read/write on them, splice and
// sendfile between them and a connected socket, with Linux's errnos.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyscallResult } from '../src/targets/target.js';
import { acceptPlain, call, F, mustNext, newStack, next, peerPacket, ts, tsOf } from './stack-harness.js';

const O_NONBLOCK = 0o4000;
const O_WRONLY = 1;
const SPLICE_F_NONBLOCK = 2;
const POLLIN = 1;
const POLLOUT = 4;
const POLLHUP = 0x10;

/** A file holding `text`, removed when the test ends. */
function tempFile(t: ExecutionContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'f');
  writeFileSync(path, text);
  return path;
}

const fds = (r: SyscallResult): number[] => (r.out?.kind === 'fds' ? r.out.fds : []);
const data = (r: SyscallResult): Uint8Array => (r.out?.kind === 'data' ? r.out.data : new Uint8Array(0));

test('pipe: bytes in order, EAGAIN when empty and non-blocking, EOF without writers, EPIPE without readers', async (t) => {
  const s = newStack();
  const [r, w] = fds(await call(s, { name: 'pipe', flags: O_NONBLOCK }));
  t.truthy(r && w);
  t.is((await call(s, { name: 'read', fd: r!, len: 10, flags: 0 })).errno, 'EAGAIN');
  t.is((await call(s, { name: 'write', fd: w!, data: Uint8Array.of(1, 2, 3), flags: 0 })).ret, 3);
  t.is((await call(s, { name: 'writev', fd: w!, iov: [Uint8Array.of(4), Uint8Array.of(5, 6)] })).ret, 3);
  t.deepEqual(data(await call(s, { name: 'read', fd: r!, len: 4, flags: 0 })), Uint8Array.of(1, 2, 3, 4));
  t.is((await call(s, { name: 'read', fd: w!, len: 4, flags: 0 })).errno, 'EBADF', 'the write end is not readable');
  t.is((await call(s, { name: 'recv', fd: r!, len: 4, flags: 0 })).errno, 'ENOTSOCK');
  t.is((await call(s, { name: 'close', fd: w! })).ret, 0);
  t.deepEqual(data(await call(s, { name: 'read', fd: r!, len: 10, flags: 0 })), Uint8Array.of(5, 6));
  t.is((await call(s, { name: 'read', fd: r!, len: 10, flags: 0 })).ret, 0, 'EOF once the writer is gone');
  const [r2, w2] = fds(await call(s, { name: 'pipe', flags: 0 }));
  await call(s, { name: 'close', fd: r2! });
  t.is((await call(s, { name: 'write', fd: w2!, data: Uint8Array.of(1), flags: 0 })).errno, 'EPIPE');
});

test('pipe: a non-blocking writer fills 64 KiB then gets EAGAIN; a blocked reader wakes on data; poll sees it', async (t) => {
  const s = newStack();
  const [r, w] = fds(await call(s, { name: 'pipe', flags: 0 }));
  const pending = call(s, { name: 'read', fd: r!, len: 100, flags: 0 });
  t.is(s.blockedCalls, 1);
  const polled = await call(s, { name: 'poll', fds: [{ fd: r!, events: POLLIN }, { fd: w!, events: POLLOUT }], timeoutMs: 0 });
  t.deepEqual(polled.out?.kind === 'poll' ? polled.out.revents : [], [0, POLLOUT]);
  await call(s, { name: 'write', fd: w!, data: new Uint8Array(10), flags: 0 });
  t.is((await pending).ret, 10);
  await call(s, { name: 'fcntl', fd: w!, cmd: 4, arg: O_NONBLOCK });
  t.is((await call(s, { name: 'fcntl', fd: w!, cmd: 3 })).ret, O_WRONLY | O_NONBLOCK);
  t.is((await call(s, { name: 'write', fd: w!, data: new Uint8Array(70000), flags: 0 })).ret, 65536);
  t.is((await call(s, { name: 'write', fd: w!, data: new Uint8Array(1), flags: 0 })).errno, 'EAGAIN');
  await call(s, { name: 'close', fd: w! });
  const hup = await call(s, { name: 'poll', fds: [{ fd: r!, events: POLLIN }], timeoutMs: 0 });
  t.deepEqual(hup.out?.kind === 'poll' ? hup.out.revents : [], [POLLIN | POLLHUP]);
});

test('open: real files read-only (position moves), write access refused, errors by name', async (t) => {
  const path = tempFile(t, 'hello world');
  const s = newStack();
  const fd = (await call(s, { name: 'open', path, flags: 0, mode: 0 })).ret;
  t.true(fd >= 3);
  t.is(new TextDecoder().decode(data(await call(s, { name: 'read', fd, len: 5, flags: 0 }))), 'hello');
  t.is(new TextDecoder().decode(data(await call(s, { name: 'read', fd, len: 50, flags: 0 }))), ' world');
  t.is((await call(s, { name: 'read', fd, len: 5, flags: 0 })).ret, 0);
  t.is((await call(s, { name: 'write', fd, data: Uint8Array.of(1), flags: 0 })).errno, 'EBADF');
  t.is((await call(s, { name: 'open', path, flags: O_WRONLY, mode: 0 })).errno, 'EROFS');
  t.is((await call(s, { name: 'open', path: `${path}.missing`, flags: 0, mode: 0 })).errno, 'ENOENT');
  t.is((await call(s, { name: 'close', fd })).ret, 0);
  t.is((await call(s, { name: 'read', fd, len: 5, flags: 0 })).errno, 'EBADF');
});

test('sendfile: file bytes go out on the socket; with an offset the file position stays', async (t) => {
  const path = tempFile(t, 'abcdefghij');
  const s = newStack();
  const { fd: sock, synAck } = await acceptPlain(s);
  const file = (await call(s, { name: 'open', path, flags: 0, mode: 0 })).ret;
  t.is((await call(s, { name: 'sendfile', outFd: sock, inFd: file, offset: 6n, count: 100 })).ret, 4);
  const seg = mustNext(s);
  t.is(new TextDecoder().decode(seg.tcp.payload), 'ghij');
  t.is(seg.tcp.flags, F.ACK | F.PSH);
  t.is(new TextDecoder().decode(data(await call(s, { name: 'read', fd: file, len: 3, flags: 0 }))), 'abc', 'the offset form leaves the position');
  t.is((await call(s, { name: 'sendfile', outFd: sock, inFd: sock, count: 1 })).errno, 'EINVAL', 'a socket is no source');
  t.is((await call(s, { name: 'sendfile', outFd: sock, inFd: 99, count: 1 })).errno, 'EBADF');
  void synAck;
});

test('splice: received bytes move from the socket into a pipe, and from a pipe out on the socket', async (t) => {
  const s = newStack();
  const { fd: sock, synAck, snd } = await acceptPlain(s);
  const [r, w] = fds(await call(s, { name: 'pipe', flags: 0 }));
  const spliceIn = { name: 'splice' as const, fdIn: sock, fdOut: w!, len: 1000, flags: SPLICE_F_NONBLOCK };
  t.is((await call(s, spliceIn)).errno, 'EAGAIN', 'nothing received yet');
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, window: 1000, options: ts(102, tsOf(synAck).val), payload: 300 }));
  t.is(mustNext(s).tcp.ack, 301);
  t.is((await call(s, spliceIn)).ret, 300);
  t.is((await call(s, { name: 'ioctl', fd: sock, request: 0x541b })).out?.kind, 'opt');
  t.is((await call(s, { name: 'splice', fdIn: r!, fdOut: sock, len: 120, flags: 0 })).ret, 120);
  t.is(mustNext(s).tcp.payload.length, 120);
  t.is((await call(s, { name: 'read', fd: r!, len: 1000, flags: 0 })).ret, 180, 'the rest stayed in the pipe');
  t.is((await call(s, { name: 'splice', fdIn: sock, fdOut: sock, len: 1, flags: 0 })).errno, 'EINVAL', 'no pipe on either side');
  t.is((await call(s, { name: 'splice', fdIn: sock, offIn: 0n, fdOut: w!, len: 1, flags: 0 })).errno, 'ESPIPE');
  t.is((await call(s, { name: 'splice', fdIn: w!, fdOut: sock, len: 1, flags: 0 })).errno, 'EBADF', 'the write end is no source');
  t.is(next(s), undefined);
});
