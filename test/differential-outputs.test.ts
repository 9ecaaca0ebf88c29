// Differential runs compare what calls give back, not only their return value: the trace keeps
// each call's output (compact, JSON-safe), the normalizer names its addresses, ports and fds like
// the packets', and the comparer finds a planted difference in each kind of output while two runs
// that differ only in per-run values (addresses, ports, rtt and counters in tcp_info) agree.

import test from 'ava';
import type { TraceCallOutput, TraceEntry } from '../src/engine/types.js';
import { traceOutput } from '../src/engine/trace-output.js';
import { normalizeTrace } from '../src/differential/normalize.js';
import { compareEvents, DEFAULT_IGNORED, ignoreSet, STRUCT_STABLE, type CompareOptions } from '../src/differential/compare.js';
import { STRUCT_FIELDS } from '../src/differential/call-fields.js';
import { ignoredFields } from '../src/differential/flags.js';
import { decodeTrace, encodeTrace } from '../src/differential/trace-wire.js';
import { encodeStruct, type StructLayout, type StructValues } from '../src/sys/struct-layout.js';
import { MPTCP_SUBFLOW_DATA_LAYOUT } from '../src/sys/mptcp-structs.js';
import { TCP_INFO_LAYOUT } from '../src/sys/tcp-info.js';
import { toHex } from '../src/wire/bytes.js';
import { encodeIp } from '../src/wire/codec.js';
import { tcpPacket, TcpFlag } from './helpers/packets.js';

const OPTS: CompareOptions = { ignore: ignoreSet([], []), toleranceUs: 4000 };

function call(line: number, text: string, result: string, out?: TraceCallOutput): TraceEntry {
  return { kind: 'syscall', time: 0, endTime: 0, line, call: text, result, ...(out ? { out } : {}) };
}

function diff(a: TraceEntry[], b: TraceEntry[], opts: CompareOptions = OPTS) {
  return compareEvents(normalizeTrace(a), normalizeTrace(b), opts);
}

const hex = (layout: StructLayout, v: StructValues): string => toHex(encodeStruct(layout, v));

function opt(optname: number, level: number, value: string, optlen: number): TraceCallOutput {
  return { kind: 'opt', level, optname, optlen, value };
}

/** An inbound SYN from `peer`, then accept() and getpeername() returning that peer. */
function peerRun(local: string, peerPort: number, gotPort = peerPort): TraceEntry[] {
  const addr = { family: 'inet' as const, address: '192.0.2.1', port: gotPort };
  return [
    { kind: 'inbound', time: 0, line: 3, bytes: encodeIp(tcpPacket({ src: '192.0.2.1', dst: local, sport: peerPort, dport: 8080, flags: TcpFlag.SYN })), text: '' },
    call(4, 'accept(3, ..., ...)', '4', { kind: 'addr', addr }),
    call(5, 'getsockname(4, ..., ...)', '0', { kind: 'addr', addr: { family: 'inet', address: local, port: 8080 } }),
  ];
}

test('the trace keeps a read as its length and hash, an option with what it answers, epoll data as text', (t) => {
  const read = traceOutput({ name: 'recvmsg', fd: 3, iov: [10], flags: 0, controlLen: 0 }, { ret: 3, out: { kind: 'data', data: new Uint8Array(3), flags: 0x20 } });
  t.like(read, { kind: 'data', len: 3, flags: 0x20 });
  t.regex((read as { sha: string }).sha, /^[0-9a-f]{12}$/);
  const other = traceOutput({ name: 'read', fd: 3, len: 10, flags: 0 }, { ret: 3, out: { kind: 'data', data: new Uint8Array([1, 2, 3]) } });
  t.not((other as { sha: string }).sha, (read as { sha: string }).sha, 'different contents, different hash');
  const got = traceOutput({ name: 'getsockopt', fd: 3, level: 6, optname: 1, optlen: 4 }, { ret: 0, out: { kind: 'opt', value: new Uint8Array([1, 0, 0, 0]), optlen: 4 } });
  t.deepEqual(got, { kind: 'opt', level: 6, optname: 1, optlen: 4, value: '01000000' });
  const ep = traceOutput({ name: 'epoll_wait', epfd: 5, maxEvents: 1, timeoutMs: 0 }, { ret: 1, out: { kind: 'epoll', events: [{ events: 1, data: 2n ** 63n }] } });
  t.deepEqual(ep, { kind: 'epoll', events: [{ events: 1, data: '9223372036854775808' }] });
  t.is(traceOutput({ name: 'read', fd: 3, len: 10, flags: 0 }, { ret: -1, errno: 'EAGAIN', out: { kind: 'data', data: new Uint8Array(0) } }), undefined);
});

test('a call output survives the trip through JSON', (t) => {
  const original = [call(7, 'poll(...)', '1', { kind: 'poll', revents: [5] }), ...peerRun('192.168.0.1', 40000)];
  t.deepEqual(decodeTrace(JSON.parse(JSON.stringify(encodeTrace(original))) as ReturnType<typeof encodeTrace>), original);
});

test('returned addresses share the packets\' names: different per-run addresses and ephemeral ports agree', (t) => {
  const events = normalizeTrace(peerRun('192.168.0.1', 40000));
  t.is(events[1]!.fields.find((f) => f.name === 'out-addr')?.value, 'addr1:port1', 'the SYN\'s source, named when the SYN was seen');
  t.is(events[2]!.fields.find((f) => f.name === 'out-addr')?.value, 'addr2:8080');
  t.is(diff(peerRun('192.168.0.1', 40000), peerRun('10.9.9.9', 51234)), undefined);
  const d = diff(peerRun('192.168.0.1', 40000), peerRun('192.168.0.1', 40000, 40001));
  t.is(d?.a?.line, 4);
  t.deepEqual(d?.diffs, [{ name: 'out-addr', a: 'addr1:port1', b: 'addr1:port2' }]);
});

test('poll revents and epoll events are compared exactly', (t) => {
  const poll = (r: number) => [call(6, 'poll(...)', '1', { kind: 'poll', revents: [r] })];
  t.is(diff(poll(5), poll(5)), undefined);
  t.deepEqual(diff(poll(5), poll(1))?.diffs, [{ name: 'revents', a: '0x5', b: '0x1' }]);
  const ep = (e: number) => [call(6, 'epoll_wait(...)', '1', { kind: 'epoll', events: [{ events: e, data: '4' }] })];
  t.deepEqual(diff(ep(1), ep(0x2011))?.diffs.map((f) => f.name), ['epoll-events']);
});

test('reads: length, msg_flags and the hash are compared; an end of file or zero flags said two ways agree', (t) => {
  const read = (len: number, flags?: number, sha = 'aaaaaaaaaaaa') => [call(8, 'recvmsg(...)', String(len), { kind: 'data', len, sha, ...(flags !== undefined ? { flags } : {}) })];
  t.is(diff([call(8, 'recvmsg(...)', '0')], read(0, 0)), undefined, 'no output vs empty data with flags 0');
  t.is(diff(read(10), read(10, 0)), undefined);
  t.deepEqual(diff(read(10), read(10, 0x20))?.diffs, [{ name: 'msg-flags', a: 'absent', b: '0x20' }]);
  t.deepEqual(diff(read(10), read(10, undefined, 'bbbbbbbbbbbb'))?.diffs.map((f) => f.name), ['out-data']);
});

test('integer option values are compared exactly, with optlen', (t) => {
  const get = (v: string, len: number) => [call(9, 'getsockopt(3, SOL_TCP, TCP_MAXSEG, ...)', '0', opt(2, 6, v, len))];
  t.is(diff(get('b4050000', 4), get('b4050000', 4)), undefined);
  t.deepEqual(diff(get('b4050000', 4), get('a8050000', 4))?.diffs, [{ name: 'opt-value', a: '1460', b: '1448' }]);
  t.deepEqual(diff(get('b4050000', 4), get('b405', 2))?.diffs, [{ name: 'optlen', a: '4', b: '2' }, { name: 'opt-value', a: '1460', b: '1460' }].filter((f) => f.a !== f.b));
  const cong = (name: string) => [call(9, 'getsockopt(3, SOL_TCP, TCP_CONGESTION, ...)', '0', opt(13, 6, toHex(new Uint8Array([...Buffer.from(name), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 16))), 16))];
  t.deepEqual(diff(cong('cubic'), cong('reno'))?.diffs, [{ name: 'opt-value', a: '"cubic"', b: '"reno"' }]);
});

test('tcp_info: timing-dependent fields agree by default, stable ones do not, and --diff-check brings one back', (t) => {
  const info = (v: StructValues) => [call(10, 'getsockopt(4, SOL_TCP, TCP_INFO, ...)', '0', opt(11, 6, hex(TCP_INFO_LAYOUT, v), TCP_INFO_LAYOUT.size))];
  const base = { tcpi_state: 1, tcpi_options: 7, tcpi_snd_mss: 1448, tcpi_rtt: 10_000 };
  t.is(diff(info(base), info({ ...base, tcpi_rtt: 253 })), undefined, 'rtt left out by default');
  t.deepEqual(diff(info(base), info({ ...base, tcpi_rtt: 253 }), { ...OPTS, ignore: ignoreSet([], ['tcpi_rtt']) })?.diffs, [{ name: 'tcpi_rtt', a: '10000', b: '253' }]);
  t.deepEqual(diff(info(base), info({ ...base, tcpi_state: 7 }))?.diffs, [{ name: 'tcpi_state', a: '1', b: '7' }]);
  t.deepEqual(diff(info(base), info({ ...base, tcpi_options: 0x87 }))?.diffs, [{ name: 'tcpi_options', a: '7', b: '135' }]);
});

test('MPTCP_TCPINFO: the header and each element\'s stable fields, elements after the first as NAME#N', (t) => {
  const arr = (states: number[]) => {
    const head = encodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, { size_subflow_data: 16, num_subflows: states.length, size_kernel: TCP_INFO_LAYOUT.size, size_user: TCP_INFO_LAYOUT.size });
    const value = toHex(head) + states.map((s) => hex(TCP_INFO_LAYOUT, { tcpi_state: s, tcpi_rtt: s * 1000 })).join('');
    return [call(11, 'getsockopt(4, SOL_MPTCP, MPTCP_TCPINFO, ...)', '0', opt(2, 284, value, 16 + states.length * TCP_INFO_LAYOUT.size))];
  };
  const fields = normalizeTrace(arr([1, 1]))[0]!.fields.map((f) => f.name);
  t.true(fields.includes('num_subflows') && fields.includes('tcpi_state') && fields.includes('tcpi_state#2'));
  t.false(fields.some((f) => f.startsWith('subflow_info') || f === 'tcp_info'), 'no user pointers');
  t.deepEqual(diff(arr([1, 1]), arr([1, 7]))?.diffs, [{ name: 'tcpi_state#2', a: '1', b: '7' }]);
  const more = diff(arr([1]), arr([1, 1]))?.diffs ?? [];
  t.deepEqual(more.slice(0, 2).map((f) => f.name), ['optlen', 'num_subflows']);
  t.deepEqual(more.find((f) => f.name === 'tcpi_state#2'), { name: 'tcpi_state#2', a: 'absent', b: '1' });
  t.false(more.some((f) => f.name.startsWith('tcpi_rtt')), 'an extra element\'s rtt stays left out');
});

test('every struct field is a --diff-check name; only the stable list is compared by default', (t) => {
  for (const name of STRUCT_STABLE) {
    t.true(STRUCT_FIELDS.includes(name), `${name} is a struct field`);
    t.false(DEFAULT_IGNORED.includes(name));
  }
  t.true(DEFAULT_IGNORED.includes('tcpi_rtt') && DEFAULT_IGNORED.includes('mptcpi_token'));
  t.false(ignoredFields({ 'diff-check': ['tcpi_rtt'] }).has('tcpi_rtt'));
  t.true(ignoredFields({ 'diff-ignore': ['revents,opt-value'] }).has('revents'));
  t.throws(() => ignoredFields({ 'diff-check': ['tcpi_bogus'] }), { message: /does not know the field 'tcpi_bogus'/ });
});
