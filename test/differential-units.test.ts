// The differential mode's normalizer, comparer, report and pair verdict on hand-made traces: two
// runs that differ only in what is random per run agree; a planted difference in one field is
// found at its event, named, and shown side by side.

import test from 'ava';
import type { TraceEntry } from '../src/engine/types.js';
import { encodeIp } from '../src/wire/codec.js';
import type { TcpOption } from '../src/wire/packet.js';
import { keyIdsn, keyToken } from '../src/wire/crypto.js';
import { normalizeTrace } from '../src/differential/normalize.js';
import { compareEvents, DEFAULT_IGNORED, ignoreSet, type CompareOptions } from '../src/differential/compare.js';
import { formatDisagreement } from '../src/differential/report.js';
import { judgePair, parseDiffTargets } from '../src/differential/run-pair.js';
import { decodeTrace, encodeTrace } from '../src/differential/trace-wire.js';
import { ignoredFields } from '../src/differential/flags.js';
import type { JobReport } from '../src/suite/types.js';
import { tcpPacket, TcpFlag } from './helpers/packets.js';

/** What differs between two runs of one script although the stacks behave the same. */
interface RunRandom {
  local: string;
  isn: number;
  /** The stack's MPTCP key. */
  key: bigint;
  tsBase: number;
  /** Live fd numbers (the kernel's are high, the bundled stack's small). */
  fd: number;
  /** Extra µs the stack takes to answer (real time vs virtual time). */
  lag: number;
}

const REMOTE = '192.0.2.1';
const SCRIPT_KEY = 0x1122334455667788n;

interface Plant {
  /** Window of the stack's data-ACK (line 16). */
  ackWindow?: number;
  /** Flags of the stack's SYN/ACK (line 12). */
  synAckFlags?: number;
  /** Relative DATA_ACK of line 16 (default 101). */
  dataAck?: bigint;
  /** errno of the read at line 17 (default none). */
  readErrno?: string;
  /** The stack's FIN at line 19 is missing. */
  noFin?: boolean;
  /** Where the accept (line 14) is recorded: before or after the SYN/ACK (a blocking call returns late). */
  acceptFirst?: boolean;
}

function bytes(options: TcpOption[], spec: Parameters<typeof tcpPacket>[0]): Uint8Array {
  return encodeIp(tcpPacket({ ...spec, options }));
}

/** A small MPTCP passive open, data in, ack out, FIN out: with this run's random values. */
function trace(r: RunRandom, plant: Plant = {}): TraceEntry[] {
  const stackIdsn = keyIdsn(r.key, 1);
  const scriptIdsn = keyIdsn(SCRIPT_KEY, 1);
  const inb = { src: REMOTE, dst: r.local, sport: 40001, dport: 8080 };
  const out = { src: r.local, dst: REMOTE, sport: 8080, dport: 40001 };
  const mpc = (keys: bigint[]): TcpOption => ({ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, ...(keys[0] !== undefined ? { senderKey: keys[0] } : {}), ...(keys[1] !== undefined ? { receiverKey: keys[1] } : {}) });
  const ts = (val: number, ecr: number): TcpOption => ({ kind: 'timestamp', val, ecr });
  const dss = (dack: bigint, dsn?: bigint, len = 0): TcpOption => ({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: dack, dataAck64: true, dsn64: true, ...(dsn !== undefined ? { dsn, ssn: 1, dll: len } : {}) });
  const entries: TraceEntry[] = [
    { kind: 'syscall', time: 0, endTime: 0, line: 8, call: 'socket(..., SOCK_STREAM, IPPROTO_MPTCP)', result: String(r.fd) },
    { kind: 'inbound', time: 0, line: 11, bytes: bytes([ts(100, 0), mpc([])], { ...inb, seq: 0, flags: TcpFlag.SYN, window: 65535 }), text: '' },
    { kind: 'outbound', time: r.lag, line: 12, bytes: bytes([ts(r.tsBase, 100), mpc([r.key])], { ...out, seq: r.isn, ack: 1, flags: plant.synAckFlags ?? (TcpFlag.SYN | TcpFlag.ACK), window: 65535 }), text: '', testTraffic: true },
    { kind: 'inbound', time: 10_000, line: 13, bytes: bytes([ts(101, r.tsBase), mpc([SCRIPT_KEY, r.key])], { ...inb, seq: 1, ack: r.isn + 1, window: 256 }), text: '' },
    // A blocking accept, issued at 0 and returning with the handshake's last ACK.
    { kind: 'syscall', time: 0, endTime: 10_000, line: 14, call: 'accept(3, ..., ...)', result: String(r.fd + 1) },
    { kind: 'inbound', time: 10_000, line: 15, bytes: bytes([ts(102, r.tsBase), dss(BigInt.asUintN(64, stackIdsn + 1n), BigInt.asUintN(64, scriptIdsn + 1n), 100)], { ...inb, seq: 1, ack: r.isn + 1, window: 256, payload: new Uint8Array(100) }), text: '' },
    { kind: 'outbound', time: 10_000 + r.lag, line: 16, bytes: bytes([ts(r.tsBase + 10, 102), dss(BigInt.asUintN(64, scriptIdsn + (plant.dataAck ?? 101n)))], { ...out, seq: r.isn + 1, ack: 101, window: plant.ackWindow ?? 1050 }), text: '', testTraffic: true },
    { kind: 'syscall', time: 10_000, endTime: 10_000, line: 17, call: 'read(4, ..., 100)', result: plant.readErrno ? `-1 ${plant.readErrno}` : '100' },
    // IPv6 router solicitations and the like are not the test's.
    { kind: 'outbound', time: 10_000, bytes: new Uint8Array([0x60, 0, 0, 0]), text: '', testTraffic: false },
    { kind: 'syscall', time: 20_000, endTime: 20_000, line: 18, call: 'close(4)', result: '0' },
  ];
  if (!plant.noFin) entries.push({ kind: 'outbound', time: 20_000 + r.lag, line: 19, bytes: bytes([ts(r.tsBase + 20, 102)], { ...out, seq: r.isn + 1, ack: 101, flags: TcpFlag.FIN | TcpFlag.ACK, window: 1050 }), text: '', testTraffic: true });
  if (plant.acceptFirst) {
    // Recorded before the SYN/ACK (as if it returned at once): the call stream's order is unchanged.
    const i = entries.findIndex((e) => e.kind === 'syscall' && e.line === 14);
    const [accept] = entries.splice(i, 1);
    entries.splice(2, 0, accept!);
  }
  return entries;
}

const KERNEL: RunRandom = { local: '192.168.7.9', isn: 0x9abcdef0, key: 0x0f0e0d0c0b0a0908n, tsBase: 3_000_000_000, fd: 33, lag: 300 };
const TS: RunRandom = { local: '192.168.200.3', isn: 12345, key: 0x7777666655554444n, tsBase: 42, fd: 3, lag: 0 };
const OPTS: CompareOptions = { ignore: ignoreSet([], []), toleranceUs: 4000 };

function compare(a: TraceEntry[], b: TraceEntry[], opts: CompareOptions = OPTS) {
  return compareEvents(normalizeTrace(a), normalizeTrace(b), opts);
}

test('two runs that differ only in per-run random values agree', (t) => {
  t.is(compare(trace(TS), trace(KERNEL)), undefined);
});

test('the normalized events show relative numbers and named keys, fds and addresses', (t) => {
  const events = normalizeTrace(trace(KERNEL));
  t.is(events.length, 10, 'the IPv6 noise is left out');
  const synAck = events[2]!;
  t.is(synAck.kind, 'outbound');
  t.is(synAck.line, 12);
  const field = (name: string) => synAck.fields.find((f) => f.name === name)?.value;
  t.is(field('seq'), '0');
  t.is(field('ack'), '1');
  t.is(field('tuple'), 'addr2:8080 > addr1:port1');
  t.is(field('mp-capable'), 'v1 flags 0x1 keys key1');
  t.regex(synAck.text, /^S\. 0:0\(0\) ack 1 win 65535 </);
  t.is(events[0]!.fields.find((f) => f.name === 'ret')?.value, 'fd1');
  t.is(events[4]!.fields.find((f) => f.name === 'ret')?.value, 'fd2');
  const dataAck = events[6]!.fields.find((f) => f.name === 'dss')?.value;
  t.is(dataAck, 'dack8 101 nocs', 'DATA_ACK relative to the script key\'s IDSN');
  t.is(events[2]!.delay, 300, 'the SYN/ACK came 300 µs after the SYN');
});

test('an MP_JOIN token is named by the key it belongs to', (t) => {
  const key = 0x0123456789abcdefn;
  const trace: TraceEntry[] = [
    { kind: 'inbound', time: 0, line: 5, bytes: bytes([{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, senderKey: key }], { flags: TcpFlag.SYN }), text: '' },
    { kind: 'outbound', time: 0, line: 6, bytes: bytes([{ kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 2, token: keyToken(key, 1), nonce: 99 }], { src: '192.0.2.2', dst: '192.0.2.1', sport: 8080, dport: 40000, flags: TcpFlag.SYN }), text: '', testTraffic: true },
  ];
  const join = normalizeTrace(trace)[1]!.fields.find((f) => f.name === 'mp-join');
  t.is(join?.value, 'syn backup 0 id 2 token(key1) nonce');
});

test('a different window is left out by default and found with --diff-check win', (t) => {
  t.true(DEFAULT_IGNORED.includes('win'));
  t.is(compare(trace(TS), trace(KERNEL, { ackWindow: 1046 })), undefined);
  const d = compare(trace(TS), trace(KERNEL, { ackWindow: 1046 }), { ...OPTS, ignore: ignoreSet([], ['win']) });
  t.truthy(d);
  t.is(d!.a?.line, 16);
  t.deepEqual(d!.diffs, [{ name: 'win', a: '1050', b: '1046' }]);
});

test('a closed window where the other stack advertises one is found by default', (t) => {
  const d = compare(trace(TS, { ackWindow: 0 }), trace(KERNEL));
  t.is(d?.a?.line, 16);
  t.deepEqual(d?.diffs, [{ name: 'win-zero', a: 'closed (0)', b: 'open' }]);
});

test('different flags are found at their line, named, with both values', (t) => {
  const d = compare(trace(TS), trace(KERNEL, { synAckFlags: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE }));
  t.truthy(d);
  t.is(d!.a?.line, 12);
  t.deepEqual(d!.diffs, [{ name: 'flags', a: 'S.', b: 'S.E' }]);
  t.regex(d!.summary, /packet sent by the stack at line 12 differs in flags/);
});

test('an MPTCP value that differs after normalization is found', (t) => {
  const d = compare(trace(TS), trace(KERNEL, { dataAck: 51n }));
  t.deepEqual(d?.diffs, [{ name: 'dss', a: 'dack8 101 nocs', b: 'dack8 51 nocs' }]);
});

test('a call result that differs names ret and errno; --diff-ignore leaves them out', (t) => {
  const d = compare(trace(TS), trace(KERNEL, { readErrno: 'EAGAIN' }));
  t.is(d?.a?.line, 17);
  t.deepEqual(d?.diffs.map((f) => f.name), ['ret', 'errno']);
  t.is(compare(trace(TS), trace(KERNEL, { readErrno: 'EAGAIN' }), { ...OPTS, ignore: ignoreSet(['ret', 'errno'], []) }), undefined);
});

test('a packet one side never sent is reported as missing on that side', (t) => {
  const d = compare(trace(TS, { noFin: true }), trace(KERNEL));
  t.truthy(d);
  t.is(d!.a, undefined);
  t.is(d!.b?.line, 19);
  t.regex(d!.summary, /^B has a packet sent by the stack at line 19 that A does not have$/);
});

test('a reaction delay beyond the tolerance is a timing disagreement', (t) => {
  const slow = { ...KERNEL, lag: 9000 };
  const d = compare(trace(TS), trace(slow));
  t.is(d?.diffs[0]?.name, 'timing');
  t.is(compare(trace(TS), trace(slow), { ...OPTS, toleranceUs: 10_000 }), undefined);
  t.is(compare(trace(TS), trace(slow), { ...OPTS, ignore: ignoreSet(['timing'], []) }), undefined);
});

test('a blocking call recorded at another place among the packets still agrees', (t) => {
  t.is(compare(trace(TS), trace(KERNEL, { acceptFirst: true })), undefined);
});

test('the trace survives the trip through JSON', (t) => {
  const original = trace(KERNEL);
  const back = decodeTrace(JSON.parse(JSON.stringify(encodeTrace(original))) as ReturnType<typeof encodeTrace>);
  t.deepEqual(back, original);
});

test('the report shows the line with a caret, both sides, the field and the verdicts', (t) => {
  const a = normalizeTrace(trace(TS));
  const b = normalizeTrace(trace(KERNEL, { synAckFlags: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE }));
  const d = compareEvents(a, b, OPTS)!;
  const script = Array.from({ length: 20 }, (_, i) => (i + 1 === 12 ? '+0    > S. 0:0(0) ack 1 <...>' : `// line ${i + 1}`)).join('\n');
  const text = formatDisagreement('x.pkt', script, d, [{ name: 'ts', verdict: 'pass', events: a }, { name: 'kernel', verdict: 'pass', events: b }], { color: false });
  const lines = text.split('\n');
  t.is(lines[0], 'x.pkt:12: ts and kernel disagree: the packet sent by the stack at line 12 differs in flags');
  t.is(lines[1], '   12 | +0    > S. 0:0(0) ack 1 <...>');
  t.is(lines[2], '      | ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~');
  t.regex(lines[3]!, /^ {2}ts: {5}0\.000000 > S\. 0:0\(0\) ack 1 win 65535 </);
  t.regex(lines[4]!, /^ {2}kernel: 0\.000300 > S\.E 0:0\(0\) ack 1 win 65535 </);
  t.is(lines[5], '  flags: ts S. vs kernel S.E');
  t.is(lines[6], '  verdicts: ts pass; kernel pass');
});

function report(status: JobReport['status'], entries?: TraceEntry[], headline?: string): JobReport {
  return {
    status, wallMs: 1, scriptEndUs: 0, warnings: [],
    ...(entries ? { trace: encodeTrace(entries) } : {}),
    ...(headline ? { failure: { kind: 'packet', headline }, detail: headline } : {}),
    ...(status === 'skip' ? { skipReasons: ['no tun'] } : {}),
  };
}

test('the pair passes only when both pass and agree', (t) => {
  const judge = (a: JobReport, b: JobReport) => judgePair('x.pkt', '', ['ts', 'kernel'], [a, b], { ...OPTS, color: false }).report;
  t.is(judge(report('pass', trace(TS)), report('pass', trace(KERNEL))).status, 'pass');
  const differ = judge(report('pass', trace(TS)), report('pass', trace(KERNEL, { synAckFlags: TcpFlag.SYN })));
  t.is(differ.status, 'fail');
  t.is(differ.failure?.kind, 'disagreement');
  t.regex(differ.failure!.headline, /^x\.pkt:12: ts and kernel disagree: /);
  const verdicts = judge(report('pass', trace(TS)), report('fail', trace(KERNEL), 'x.pkt:19:1: timing error'));
  t.is(verdicts.status, 'fail');
  t.is(verdicts.failure?.kind, 'disagreement');
  t.regex(verdicts.detail!, /verdicts differ: ts pass; kernel fail \(x\.pkt:19:1: timing error\)/);
  const bothFail = judge(report('fail', trace(TS), 'x.pkt:19:1: boom'), report('fail', trace(KERNEL), 'x.pkt:19:1: boom'));
  t.is(bothFail.status, 'fail');
  t.not(bothFail.failure?.kind, 'disagreement');
  t.is(judge(report('pass', trace(TS)), report('skip')).status, 'skip');
  t.is(judge(report('error', undefined, 'x.pkt: crash'), report('pass', trace(KERNEL))).status, 'error');
});

test('the target pair is ts and kernel in either order, nothing else', (t) => {
  t.deepEqual(parseDiffTargets('ts,kernel'), ['ts', 'kernel']);
  t.deepEqual(parseDiffTargets('kernel,ts'), ['kernel', 'ts']);
  for (const bad of ['ts,remote', 'ts,ts', 'ts,kernel,ts', 'ts', 'kernel,']) t.is(parseDiffTargets(bad), undefined, bad);
});

test('--diff-ignore and --diff-check take known field names only', (t) => {
  const set = ignoredFields({ 'diff-ignore': ['tos,ttl'], 'diff-check': ['ts-val'] });
  t.true(set.has('tos') && set.has('ttl') && set.has('win'));
  t.false(set.has('ts-val'));
  t.throws(() => ignoredFields({ 'diff-ignore': ['window'] }), { message: /--diff-ignore does not know the field 'window'/ });
});
