// Socket options of the bundled stack where the corpus scripts cannot look: lengths of the
// struct so_timestamping and of IP options read with a short buffer, an MPTCP socket's
// refusals, and the write-timeout model (test/scripts/tcp/sockopt/ and tcp/timers/ hold the
// kernel-first scripts).
import test from 'ava';
import { call, newStack } from './stack-harness.js';
import { clampProbe0ToUserTimeout, clampRtoToUserTimeout, modelTimeoutMs, orphanRetries, probesTimedOut, retransmitsTimedOut } from '../src/stack/tcp/write-timeout.js';

const int = (v: number): Uint8Array => new Uint8Array(new Int32Array([v]).buffer);
const SOL_SOCKET = 1;
const SOL_IP = 0;
const SOL_TCP = 6;

async function socketFd(protocol = 6): Promise<{ s: ReturnType<typeof newStack>; fd: number }> {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol })).ret;
  return { s, fd };
}

test('SO_TIMESTAMPING reads back struct so_timestamping: 8 bytes, flags then bind_phc', async (t) => {
  const { s, fd } = await socketFd();
  t.is((await call(s, { name: 'setsockopt', fd, level: SOL_SOCKET, optname: 37, value: int(0x18), optlen: 4 })).ret, 0);
  const r = await call(s, { name: 'getsockopt', fd, level: SOL_SOCKET, optname: 37, optlen: 16 });
  t.deepEqual(r.out, { kind: 'opt', value: Uint8Array.of(0x18, 0, 0, 0, 0, 0, 0, 0), optlen: 8 });
});

test('an IP option read with a 2-byte buffer gives one byte (ip_getsockopt), a TCP option two', async (t) => {
  const { s, fd } = await socketFd();
  const ip = await call(s, { name: 'getsockopt', fd, level: SOL_IP, optname: 10, optlen: 2 });
  t.deepEqual(ip.out, { kind: 'opt', value: Uint8Array.of(1), optlen: 1 });
  const tcp = await call(s, { name: 'getsockopt', fd, level: SOL_TCP, optname: 12, optlen: 2 });
  t.deepEqual(tcp.out, { kind: 'opt', value: Uint8Array.of(1, 0), optlen: 2 });
});

test('an MPTCP socket refuses TCP_USER_TIMEOUT, TCP_QUICKACK, SO_ZEROCOPY and IP_MTU_DISCOVER as 6.18 does', async (t) => {
  const { s, fd } = await socketFd(262);
  const set = async (level: number, optname: number) => (await call(s, { name: 'setsockopt', fd, level, optname, value: int(1), optlen: 4 })).errno;
  const get = async (level: number, optname: number) => (await call(s, { name: 'getsockopt', fd, level, optname, optlen: 4 })).errno;
  t.is(await set(SOL_TCP, 18), 'ENOPROTOOPT');
  t.is(await get(SOL_TCP, 18), 'EOPNOTSUPP');
  t.is(await set(SOL_TCP, 12), 'ENOPROTOOPT');
  t.is(await set(SOL_SOCKET, 60), 'EOPNOTSUPP');
  t.is(await get(SOL_SOCKET, 60), undefined);
  t.is(await set(SOL_IP, 10), 'EOPNOTSUPP');
  t.is(await set(SOL_IP, 15), undefined); // IP_FREEBIND goes through
});

test('tcp_model_timeout: doubling from 200 ms, then 120 s steps past ilog2(600) = 9', (t) => {
  t.is(modelTimeoutMs(0), 200);
  t.is(modelTimeoutMs(3), 3000);
  t.is(modelTimeoutMs(9), 204_600);
  t.is(modelTimeoutMs(15), 204_600 + 6 * 120_000); // tcp_retries2's default: 924.6 s
  t.is(orphanRetries(0, true), 8);
  t.is(orphanRetries(0, false), 0);
  t.is(orphanRetries(3, true), 3);
});

test('the write timeout counts from the first retransmission and clamps the next timer to it', (t) => {
  t.false(retransmitsTimedOut(0, 0, 10_000_000, 15, 1000)); // nothing retransmitted yet
  t.false(retransmitsTimedOut(2, 1_000_000, 2_999_000, 15, 2000));
  t.true(retransmitsTimedOut(2, 1_000_000, 3_000_000, 15, 2000));
  t.true(retransmitsTimedOut(1, 0, 200_000, 0, 0)); // boundary 0: 200 ms
  t.is(clampRtoToUserTimeout(1_680_000, 210_000, 1_470_000, 2000), 740_000);
  t.is(clampRtoToUserTimeout(1_680_000, 210_000, 1_470_000, 0), 1_680_000);
  t.is(clampRtoToUserTimeout(400_000, 0, 5_000_000, 2000), 4000); // past its end: the next jiffy (HZ 250)
});

test('the zero-window probe timer: the user timeout counts from the first probe timer, at least 2 jiffies away', (t) => {
  t.is(clampProbe0ToUserTimeout(420_000, undefined, 210_000, 1000), 420_000); // before the first probe timer
  t.is(clampProbe0ToUserTimeout(840_000, 210_000, 630_000, 1000), 580_000);
  t.is(clampProbe0ToUserTimeout(840_000, 210_000, 1_209_000, 1000), 8000);
  t.is(clampProbe0ToUserTimeout(840_000, 210_000, 630_000, 0), 840_000);
  t.false(probesTimedOut(210_000, 1_209_999, 1000));
  t.true(probesTimedOut(210_000, 1_210_000, 1000));
  t.false(probesTimedOut(0, 1e12, 0));
});
