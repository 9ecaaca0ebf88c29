// TCP Fast Open in the bundled stack: the cookie function against the upstream suites' own
// cookies, the option rules, the server's verdicts, the client's cache, and keys on a stack.
import test from 'ava';
import { FastOpenCache, fastOpenCookie, fastOpenOption, parseFastOpenKeys, readFastOpen, serverFastOpen, siphash24, synDataRoom, type ServerQuery } from '../src/stack/fastopen.js';
import { call, F, listen, mustNext, newStack, peerPacket, SYN_OPTS } from './stack-harness.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const UPSTREAM_KEY = 'a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4';
const key = (): Uint8Array => parseFastOpenKeys(UPSTREAM_KEY)![0]!;

test('siphash24 matches the reference vectors (key 00..0f)', (t) => {
  const k = Uint8Array.from({ length: 16 }, (_, i) => i);
  t.is(siphash24(k, new Uint8Array(0)), 0x726fdb47dd0e0e31n);
  t.is(siphash24(k, Uint8Array.from({ length: 15 }, (_, i) => i)), 0xa129ca6149be45e5n);
  t.is(siphash24(k, Uint8Array.from({ length: 8 }, (_, i) => i)), 0x93f5f5799a932462n);
});

test('the cookie of each upstream IP variant is that suite\'s TFO_COOKIE (client address first)', (t) => {
  // gtests/net TCP suite and MPTCP suite, ipv4 and ipv6 (docs/language.md §11).
  t.is(hex(fastOpenCookie(key(), '192.0.2.1', '192.168.0.1')), '3021b9d889017eeb');
  t.is(hex(fastOpenCookie(key(), '192.0.2.1', '192.168.0.2')), 'de4f234f0f433a55');
  t.is(hex(fastOpenCookie(key(), 'fd3d:fa7b:d17d::1', 'fd3d:0a0b:17d6::1')), 'c1d1e9742a47a9bc');
  t.is(hex(fastOpenCookie(key(), '2001:DB8::1', 'fd3d:fa7b:d17d::0')), '6aa6ae70c288023b');
  t.not(hex(fastOpenCookie(key(), '192.168.0.1', '192.0.2.1')), '3021b9d889017eeb');
});

test('tcp_fastopen_key text: four hex words, an optional backup key, nothing else', (t) => {
  t.is(parseFastOpenKeys(`${UPSTREAM_KEY},00000001-00000002-00000003-00000004`)?.length, 2);
  t.is(hex(parseFastOpenKeys('00000001-00000000-00000000-00000000')![0]!), '01' + '00'.repeat(15)); // each word little-endian
  t.is(parseFastOpenKeys('a1a1a1a1-b2b2b2b2-c3c3c3c3'), undefined);
  t.is(parseFastOpenKeys('zzzzzzzz-b2b2b2b2-c3c3c3c3-d4d4d4d4'), undefined);
  t.is(parseFastOpenKeys(`${UPSTREAM_KEY},${UPSTREAM_KEY},${UPSTREAM_KEY}`), undefined);
});

test('the FO option as received: odd lengths ignored, 4..16 bytes a cookie, 0 a request', (t) => {
  const fo = (n: number, experimental = false) => [{ kind: 'fastopen' as const, experimental, cookie: new Uint8Array(n).fill(7) }];
  t.deepEqual(readFastOpen(fo(0)), { cookie: new Uint8Array(0), experimental: false });
  t.is(readFastOpen(fo(8, true))?.cookie.length, 8);
  t.true(readFastOpen(fo(8, true))?.experimental);
  t.is(readFastOpen(fo(3)), undefined);
  t.is(readFastOpen(fo(2)), undefined);
  t.is(readFastOpen(fo(18)), undefined);
  t.is(readFastOpen([{ kind: 'nop' }]), undefined);
});

test('the FO option as written: two NOPs when its length is 2 mod 4', (t) => {
  const kinds = (cookie: number, experimental: boolean) => fastOpenOption({ cookie: new Uint8Array(cookie), experimental }).map((o) => o.kind);
  t.deepEqual(kinds(0, false), ['fastopen', 'nop', 'nop']);
  t.deepEqual(kinds(8, false), ['fastopen', 'nop', 'nop']);
  t.deepEqual(kinds(0, true), ['fastopen']);
  t.deepEqual(kinds(8, true), ['fastopen']);
  t.deepEqual(kinds(4, true), ['fastopen']);
});

test('server verdicts: request, valid cookie, backup key, wrong cookie, no cookie needed, full queue', (t) => {
  const other = parseFastOpenKeys('01010101-02020202-03030303-04040404')![0]!;
  const q = (o: Partial<ServerQuery>): ServerQuery => ({ sysctl: 3, maxQlen: 5, qlen: 0, noCookie: false, keys: () => [key()], src: '192.0.2.1', dst: '192.168.0.1', synData: true, option: undefined, ...o });
  const right = fastOpenCookie(key(), '192.0.2.1', '192.168.0.1');
  const request = { cookie: new Uint8Array(0), experimental: true };
  t.deepEqual(serverFastOpen(q({ synData: false, option: request })), { child: false, synAck: { cookie: right, experimental: true } });
  t.deepEqual(serverFastOpen(q({ option: { cookie: right, experimental: false } })), { child: true, synAck: undefined });
  const wrong = serverFastOpen(q({ option: { cookie: new Uint8Array(8), experimental: false } }));
  t.false(wrong.child);
  t.is(hex(wrong.synAck!.cookie), hex(right));
  // A cookie of the backup key opens the connection and the primary cookie is handed out.
  const backup = serverFastOpen(q({ keys: () => [other, key()], option: { cookie: right, experimental: false } }));
  t.true(backup.child);
  t.is(hex(backup.synAck!.cookie), hex(fastOpenCookie(other, '192.0.2.1', '192.168.0.1')));
  t.deepEqual(serverFastOpen(q({ sysctl: 0x203 })), { child: true, synAck: undefined });
  t.deepEqual(serverFastOpen(q({ noCookie: true })), { child: true, synAck: undefined });
  t.false(serverFastOpen(q({ option: { cookie: right, experimental: false }, qlen: 5 })).child);
  t.false(serverFastOpen(q({ sysctl: 1, option: { cookie: right, experimental: false } })).child);
  t.deepEqual(serverFastOpen(q({ synData: false })), { child: false, synAck: undefined });
});

test('client cache: an unanswered request makes the next one experimental, then RFC 7413 again', (t) => {
  const c = new FastOpenCache();
  c.set('a', 'b', 1400, undefined, false, 1);
  t.is(c.get('a', 'b')?.tryExp, 1);
  t.is(c.get('a', 'b')?.mss, 1400);
  c.set('a', 'b', 0, undefined, false, 2);
  t.is(c.get('a', 'b')?.tryExp, 2);
  t.is(c.get('a', 'b')?.mss, 1400, 'an MSS of 0 leaves the cached one');
  c.set('a', 'b', 0, { cookie: Uint8Array.of(1, 2, 3, 4), experimental: true }, false, 0);
  t.deepEqual(c.get('a', 'b')?.cookie, Uint8Array.of(1, 2, 3, 4));
  t.is(c.get('a', 'c'), undefined, 'per destination');
});

test('data room of a SYN: the cached MSS (else ours), bounded by the user MSS and the path, less 40', (t) => {
  t.is(synDataRoom(1460, 1400, 1460, 0), 1360);
  t.is(synDataRoom(1460, 0, 1460, 0), 1420);
  t.is(synDataRoom(1460, 1400, 1460, 1000), 960);
  t.is(synDataRoom(1200, 1460, 1460, 0), 1160);
});

const ok = (r: { ret: number; errno?: string }): void => {
  if (r.ret !== 0) throw new Error(`call failed: ${r.errno}`);
};

/** The cookie a TCP_FASTOPEN listener on port 80 hands out for a request, after `setup`. */
async function cookieFor(seed: number, setup: (s: ReturnType<typeof newStack>, fd: number) => Promise<void> = async () => {}): Promise<string> {
  const s = newStack(seed);
  s.host.sysctls.set('net.ipv4.tcp_fastopen', '3');
  const fd = await listen(s, 80);
  ok(await call(s, { name: 'setsockopt', fd, level: 6, optname: 23, value: Uint8Array.of(5, 0, 0, 0), optlen: 4 }));
  await setup(s, fd);
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: 80, options: [...SYN_OPTS, { kind: 'fastopen', experimental: false, cookie: new Uint8Array(0) }, { kind: 'nop' }, { kind: 'nop' }] }));
  const fo = mustNext(s).tcp.options.find((o) => o.kind === 'fastopen');
  return fo && fo.kind === 'fastopen' ? hex(fo.cookie) : '';
}

test('keys on a stack: random but seeded when unset, then the sysctl, then the listener\'s TCP_FASTOPEN_KEY', async (t) => {
  const unset = await cookieFor(1);
  t.is(unset.length, 16);
  t.is(await cookieFor(1), unset, 'same seed, same random key');
  t.not(await cookieFor(2), unset);
  const viaSysctl = await cookieFor(1, async (s) => { s.host.sysctls.set('net.ipv4.tcp_fastopen_key', UPSTREAM_KEY); });
  t.is(viaSysctl, '3021b9d889017eeb');
  const own = Uint8Array.from({ length: 16 }, (_, i) => i);
  const viaOption = await cookieFor(1, async (s, fd) => {
    s.host.sysctls.set('net.ipv4.tcp_fastopen_key', UPSTREAM_KEY);
    t.is((await call(s, { name: 'setsockopt', fd, level: 6, optname: 33, value: own, optlen: 15 })).errno, 'EINVAL');
    ok(await call(s, { name: 'setsockopt', fd, level: 6, optname: 33, value: own, optlen: 16 }));
  });
  t.is(viaOption, hex(fastOpenCookie(own, '192.0.2.1', '192.168.0.1')));
});

test('Fast Open options: range and state checks, read back; MPTCP sockets take them too', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  const set = (optname: number, v = 1) => call(s, { name: 'setsockopt', fd, level: 6, optname, value: Uint8Array.of(v, 0, 0, 0), optlen: 4 });
  const get = async (optname: number) => {
    const r = await call(s, { name: 'getsockopt', fd, level: 6, optname, optlen: 4 });
    return r.out?.kind === 'opt' ? r.out.value[0] : -1;
  };
  t.is((await set(30)).ret, 0);
  t.is((await set(34)).ret, 0);
  t.is((await set(23, 7)).ret, 0);
  t.is(await get(23), 7);
  t.is(await get(30), 1);
  t.is((await set(30, 2)).errno, 'EINVAL', 'TCP_FASTOPEN_CONNECT is 0 or 1');
  await call(s, { name: 'listen', fd, backlog: 3 });
  t.is((await set(30)).errno, 'EINVAL', 'not on a listener');
  t.is((await set(23, 9)).ret, 0, 'TCP_FASTOPEN on a listener');
  s.host.sysctls.set('net.ipv4.tcp_fastopen', '0');
  const fd2 = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  t.is((await call(s, { name: 'setsockopt', fd: fd2, level: 6, optname: 30, value: Uint8Array.of(1, 0, 0, 0), optlen: 4 })).errno, 'EOPNOTSUPP');
});

test('net.ipv4.tcp_fastopen written in hex or octal reads as /proc/sys does (strtoul, base 0)', (t) => {
  const s = newStack();
  t.is(s.host.sysctls.set('net.ipv4.tcp_fastopen', '0x603'), undefined);
  t.is(s.host.sysctls.int('net.ipv4.tcp_fastopen'), 0x603);
  t.is(s.host.sysctls.set('net.ipv4.tcp_fastopen', '0207'), undefined);
  t.is(s.host.sysctls.int('net.ipv4.tcp_fastopen'), 0o207);
  t.regex(s.host.sysctls.set('net.ipv4.tcp_fastopen', '08') ?? '', /is not a number/);
  t.regex(s.host.sysctls.set('net.ipv4.tcp_fastopen', '0xg') ?? '', /is not a number/);
});
