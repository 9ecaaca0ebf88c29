import test from 'ava';
import type { SyscallRequest, SyscallResult } from '../src/targets/target.js';
import { encodeStruct } from '../src/sys/struct-layout.js';
import { TCP_INFO_LAYOUT } from '../src/sys/tcp-info.js';
import { MPTCP_INFO_LAYOUT } from '../src/sys/mptcp-structs.js';
import { INVALID_TARGET_FD } from '../src/engine/syscalls/fd-table.js';
import { pkt, runFake } from './fakes/run-helpers.js';
import type { ScriptedAnswer } from './fakes/scripted-target.js';

const SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3';

/** A stack answering `name` with `answer` and everything else with the fake's defaults. */
function answering(name: SyscallRequest['name'], answer: (req: SyscallRequest) => SyscallResult) {
  return {
    onSyscall: (req: SyscallRequest): ScriptedAnswer | undefined => (req.name === name ? answer(req) : undefined),
  };
}

const opt = (value: Uint8Array, optlen = value.length): SyscallResult => ({ ret: 0, out: { kind: 'opt', value, optlen } });
const int32 = (n: number): Uint8Array => new Uint8Array(new Int32Array([n]).buffer);

test('a wrong result fails in upstream words, with the errno number and text', async (t) => {
  const { result } = await runFake(pkt(SOCKET, '+0 connect(3, ..., ...) = 0'), answering('connect', () => ({ ret: -1, errno: 'ECONNREFUSED' })));
  t.is(result.status, 'fail');
  t.is(result.failure?.message, 'runtime error in connect call: Expected result 0 but got -1 with errno 111 (Connection refused)');
  t.is(result.failure?.range?.start.line, 2);
});

test('errno is compared by value, and a different one is named', async (t) => {
  const same = await runFake(pkt(SOCKET, '+0 read(3, ..., 10) = -1 EWOULDBLOCK (would block)'), answering('read', () => ({ ret: -1, errno: 'EAGAIN' })));
  t.is(same.result.status, 'pass', same.result.failure?.message);
  const other = await runFake(pkt(SOCKET, '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)'),
    answering('connect', () => ({ ret: -1, errno: 'ECONNREFUSED' })));
  t.is(other.result.failure?.message, 'runtime error in connect call: Expected errno 115 (Operation now in progress) but got 111 (Connection refused)');
});

test('script fds map to the target\'s, and unknown ones are named', async (t) => {
  const { result, target } = await runFake(pkt(SOCKET, '+0 bind(3, ..., ...) = 0', '+0 listen(3, 5) = 0', '+0 close(3) = 0'));
  t.is(result.status, 'pass', result.failure?.message);
  t.deepEqual(target.calls.slice(1).map((c) => ('fd' in c.req ? c.req.fd : undefined)), [10, 10, 10]);

  const unknown = await runFake(pkt(SOCKET, '+0 close(7) = 0'));
  t.is(unknown.result.failure?.message, 'runtime error in close call: unable to find socket with script fd 7');
  // When the script expects an error, the call is made, on an fd that cannot be valid.
  const ebadf = await runFake(pkt(SOCKET, '+0 close(7) = -1 EBADF (Bad file descriptor)'), answering('close', () => ({ ret: -1, errno: 'EBADF' })));
  t.is(ebadf.result.status, 'pass', ebadf.result.failure?.message);
  t.deepEqual(ebadf.target.calls[1]!.req, { name: 'close', fd: INVALID_TARGET_FD });

  const reused = await runFake(pkt(SOCKET, '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'));
  t.is(reused.result.failure?.message, 'runtime error in socket call: script fd 3 is already open');
});

test('... addresses follow packetdrill: remote:connect_port for connect, local:bind_port for bind', async (t) => {
  const v4 = await runFake(pkt('--connect_port=9000', '--bind_port=7000', SOCKET, '+0 bind(3, ..., ...) = 0', '+0 connect(3, ..., ...) = 0'));
  t.deepEqual(v4.target.calls[1]!.req, { name: 'bind', fd: 10, addr: { family: 'inet', address: '192.168.0.2', port: 7000 }, addrLen: 16 });
  t.deepEqual(v4.target.calls[2]!.req, { name: 'connect', fd: 10, addr: { family: 'inet', address: '192.0.2.1', port: 9000 }, addrLen: 16 });
  const mapped = await runFake(pkt('--ip_version=ipv4-mapped-ipv6', SOCKET, '+0 connect(3, ..., ...) = 0'));
  t.deepEqual(mapped.target.calls[0]!.req, { name: 'socket', domain: 10, type: 1, protocol: 6 });
  t.deepEqual(mapped.target.calls[1]!.req, { name: 'connect', fd: 10, addr: { family: 'inet6', address: '::ffff:192.0.2.1', port: 8080 }, addrLen: 28 });
  const anyip = await runFake(pkt('--is_anyip', SOCKET, '+0 bind(3, ..., ...) = 0'));
  t.like(anyip.target.calls[1]!.req, { addr: { address: '0.0.0.0' } });
  const written = await runFake(pkt(SOCKET, '+0 connect(3, {sa_family=AF_INET, sin_port=htons(5555), sin_addr=inet_addr("192.0.2.9")}, 16) = 0'));
  t.like(written.target.calls[1]!.req, { addr: { family: 'inet', address: '192.0.2.9', port: 5555 }, addrLen: 16 });
});

test('setsockopt values: [1] is an int, linger a struct, strings their bytes', async (t) => {
  const { target } = await runFake(pkt(SOCKET,
    '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
    '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0',
    '+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, "reno", 4) = 0'));
  const reqs = target.calls.slice(1).map((c) => c.req as Extract<SyscallRequest, { name: 'setsockopt' }>);
  t.deepEqual([...reqs[0]!.value], [1, 0, 0, 0]);
  t.like(reqs[0], { level: 1, optname: 2, optlen: 4 });
  t.deepEqual([...reqs[1]!.value], [1, 0, 0, 0, 0, 0, 0, 0]);
  t.deepEqual(Buffer.from(reqs[2]!.value).toString(), 'reno');
  t.is(reqs[2]!.optlen, 4);
});

test('getsockopt value and length are compared when written', async (t) => {
  const soError = (n: number) => answering('getsockopt', () => opt(int32(n)));
  const ok = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0'), soError(0));
  t.is(ok.result.status, 'pass', ok.result.failure?.message);
  t.like(ok.target.calls[1]!.req, { name: 'getsockopt', optlen: 4 });
  const bad = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0'), soError(111));
  t.is(bad.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval: expected: 0 vs actual: 111 (0x6f)');
  const len = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0'), answering('getsockopt', () => opt(new Uint8Array(8), 8)));
  t.is(len.result.failure?.message, 'runtime error in getsockopt call: getsockopt optlen: expected: 4 vs actual: 8');
  const cc = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_TCP, TCP_CONGESTION, "cubic", [16]) = 0'),
    answering('getsockopt', () => opt(Uint8Array.from(Buffer.from('reno\0\0\0\0\0\0\0\0\0\0\0\0')), 16)));
  t.is(cc.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval: expected: "cubic" vs actual: "reno"');
});

test('{tcpi_...} and {mptcpi_...} expectations compare only the fields written', async (t) => {
  const tcpInfo = encodeStruct(TCP_INFO_LAYOUT, { tcpi_state: 1, tcpi_snd_cwnd: 10, tcpi_rtt: 5000 });
  const tcp = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=1, tcpi_snd_cwnd=10}, ...) = 0'),
    answering('getsockopt', () => opt(tcpInfo)));
  t.is(tcp.result.status, 'pass', tcp.result.failure?.message);
  t.like(tcp.target.calls[1]!.req, { optlen: TCP_INFO_LAYOUT.size });
  const mpInfo = encodeStruct(MPTCP_INFO_LAYOUT, { mptcpi_subflows: 1, mptcpi_add_addr_signal: 1 });
  const mp = await runFake(pkt('0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3', '+0 getsockopt(3, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=2, mptcpi_add_addr_signal=1}, ...) = 0'),
    answering('getsockopt', () => opt(mpInfo)));
  t.is(mp.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval field mptcpi_subflows: expected: 2 vs actual: 1');
});

test('poll revents, epoll events, ioctl output and recvmsg msg_flags are checked', async (t) => {
  const poll = await runFake(pkt(SOCKET, '+0 poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1'),
    answering('poll', () => ({ ret: 1, out: { kind: 'poll', revents: [4] } })));
  t.is(poll.result.failure?.message, 'runtime error in poll call: poll revents of entry 0: expected: 1 vs actual: 4');
  t.deepEqual(poll.target.calls[1]!.req, { name: 'poll', fds: [{ fd: 10, events: 1 }], timeoutMs: 0 });

  const epoll = await runFake(pkt(SOCKET, '+0 epoll_create(1) = 5', '+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0',
    '+0 epoll_wait(5, {events=EPOLLIN, fd=3}, 1, 0) = 1'),
  answering('epoll_wait', () => ({ ret: 1, out: { kind: 'epoll', events: [{ events: 4, data: 3n }] } })));
  t.is(epoll.result.failure?.message, 'runtime error in epoll_wait call: epoll_wait event 0 events: expected: 1 vs actual: 4');
  t.like(epoll.target.calls[2]!.req, { name: 'epoll_ctl', epfd: 11, fd: 10, events: 1, data: 3n });

  const ioctl = await runFake(pkt(SOCKET, '+0 ioctl(3, SIOCINQ, [1000]) = 0'), answering('ioctl', () => opt(int32(500), 4)));
  t.is(ioctl.result.failure?.message, 'runtime error in ioctl call: ioctl output: expected: 1000 (0x3e8) vs actual: 500 (0x1f4)');

  const recvmsg = await runFake(pkt(SOCKET, '+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=MSG_TRUNC}, 0) = 100'),
    answering('recvmsg', () => ({ ret: 100, out: { kind: 'data', data: new Uint8Array(100), flags: 0 } })));
  t.is(recvmsg.result.failure?.message, 'runtime error in recvmsg call: recvmsg msg_flags: expected: 32 (0x20) vs actual: 0');
  t.like(recvmsg.target.calls[1]!.req, { name: 'recvmsg', iov: [100], flags: 0 });
});

test('buffers have the size the line gives; iovecs their lengths', async (t) => {
  const { target, result } = await runFake(pkt(SOCKET, '+0 write(3, ..., 1000) = 1000', '+0 writev(3, [{..., 10}, {..., 20}], 2) = 30',
    '+0 read(3, ..., 500) = 500', '+0 sendto(3, ..., 500, MSG_FASTOPEN, ..., ...) = 500'), answering('writev', () => ({ ret: 30 })));
  t.is(result.status, 'pass', result.failure?.message);
  const [, write, writev, read, sendto] = target.calls.map((c) => c.req) as [SyscallRequest, { data: Uint8Array }, { iov: Uint8Array[] }, SyscallRequest, SyscallRequest];
  t.is(write.data.length, 1000);
  t.deepEqual(writev.iov.map((b) => b.length), [10, 20]);
  t.like(read, { name: 'read', len: 500 });
  t.like(sendto, { name: 'sendto', flags: 0x20000000, addr: { address: '192.0.2.1', port: 8080 } });
});

test('non_fatal=syscall turns a mismatch into a warning', async (t) => {
  const { result } = await runFake(pkt('--non_fatal=syscall', SOCKET, '+0 connect(3, ..., ...) = 0'),
    answering('connect', () => ({ ret: -1, errno: 'ECONNREFUSED' })));
  t.is(result.status, 'pass');
  t.is(result.warnings.length, 1);
  t.regex(result.warnings[0]!, /test\.pkt:3: runtime error in connect call: Expected result 0 but got -1 with errno 111 \(Connection refused\) \(non_fatal=syscall\)$/);
});

test('a call the target cannot make, or MPTCP on a target without it, is a skip with the reason', async (t) => {
  const splice = await runFake(pkt(SOCKET, '+0 splice(3, NULL, 4, NULL, 100, 0) = 100'), { capabilities: { unsupportedSyscalls: new Set(['splice'] as const) } });
  t.is(splice.result.status, 'skip');
  t.regex(splice.result.skipReasons?.[0] ?? '', /test\.pkt:2: the ts target cannot perform splice\./);
  t.false(splice.target.opened !== undefined, 'the target is not even opened');
  const mptcp = await runFake(pkt('0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3'), { capabilities: { mptcp: false } });
  t.is(mptcp.result.status, 'skip');
});
