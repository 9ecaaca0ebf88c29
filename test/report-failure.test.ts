import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpFlag } from '../src/wire/packet.js';
import { readCapture } from '../src/pcap/index.js';
import { diffTokens, highlightDifferences, tokenize } from '../src/report/diff.js';
import { failureHeadline, formatFailure, formatRunReport } from '../src/report/failure-report.js';
import { pcapSink, verboseSink, fanOut } from '../src/report/sinks.js';
import { tcpPacket } from './fakes/fake-packets.js';
import { pkt, runFake } from './fakes/run-helpers.js';
import type { ScriptedTarget } from './fakes/scripted-target.js';

const { SYN, ACK } = TcpFlag;
const SCRIPT = pkt(
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 1000',
  '+0 > S. 0:0(0) ack 1',
);
const wrongAck = {
  onInject: (b: Uint8Array, now: number, t: ScriptedTarget) => {
    if ((b[33]! & SYN) !== 0) t.send(now, tcpPacket({ flags: SYN | ACK, seq: 0, ack: 101 }));
  },
};

test('token diff marks only the words that differ', (t) => {
  const a = tokenize('> S. 0:0(0) ack 1 <mss 1460>');
  const b = tokenize('> S. 0:0(0) ack 101 <mss 1460, nop>');
  const { aChanged, bChanged } = diffTokens(a, b);
  t.deepEqual(a.filter((_, i) => aChanged[i]), ['1']);
  t.deepEqual(b.filter((_, i) => bChanged[i]), ['101', ',', 'nop']);
  const marked = highlightDifferences('ack 1', 'ack 101', (s) => `[${s}]`);
  t.deepEqual(marked, { expected: 'ack [1]', actual: 'ack [101]' });
});

test('a packet failure report has the upstream line, the caret, both packets, state and the last packets', async (t) => {
  const { result, loaded } = await runFake(SCRIPT, wrongAck);
  t.is(result.status, 'fail');
  const text = formatFailure(result, loaded.text, { color: false });
  const lines = text.split('\n');
  t.is(lines[0], `${loaded.file}:5:4: error handling packet: live packet field tcp_ack_seq: expected: 1 vs actual: 101`);
  t.is(lines[1], '+0 > S. 0:0(0) ack 1');
  t.regex(lines[2]!, /^ {3}\^~+$/);
  t.true(lines.includes('  expected: > S. 0:0(0) ack 1'));
  t.true(lines.includes('  actual:   > S. 0:0(0) ack 101'));
  t.true(lines.includes('  state:'));
  t.true(lines.includes('    stack ISN 0'));
  t.true(lines.includes('  last packets:'));
  t.true(lines.some((l) => /^ {4}0\.000000 inject {2}< S 0:0\(0\)\s+\(line 4\)$/.test(l)));
  t.true(lines.some((l) => /^ {4}0\.000000 sniff {3}> S\. 0:0\(0\) ack 101\s+\(line 5\)$/.test(l)));
  t.false(/\u001b\[/.test(text), 'plain text without colour');
});

test('with colour, only the differing words of the packets are highlighted', async (t) => {
  const { result, loaded } = await runFake(SCRIPT, wrongAck);
  const text = formatFailure(result, loaded.text, { color: true });
  const actual = text.split('\n').find((l) => l.startsWith('  actual:'))!;
  t.regex(actual, /ack \u001b\[1m\u001b\[31m101\u001b\[39m\u001b\[22m/);
  t.false(/\u001b\[[0-9;]*m> S\./.test(actual), 'the matching words stay plain');
});

test('the run report ends with the outcome and shows warnings', async (t) => {
  const { result, loaded } = await runFake(pkt('--non_fatal=syscall', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 connect(3, ..., ...) = 0'), {
    onSyscall: (req) => (req.name === 'connect' ? { ret: -1, errno: 'ECONNREFUSED' } : undefined),
  });
  const report = formatRunReport(result, loaded.text, { color: false }).split('\n');
  t.regex(report[0]!, /^warning: .*test\.pkt:3: runtime error in connect call/);
  t.is(report.at(-1), `PASS ${loaded.file}`);
});

test('headlines name the place once', (t) => {
  const range = { start: { line: 3, column: 1, offset: 0 }, end: { line: 3, column: 5, offset: 4 } };
  t.is(failureHeadline('a.pkt', { kind: 'syscall', range, message: 'runtime error in close call: x' }), 'a.pkt:3:1: runtime error in close call: x');
  t.is(failureHeadline('a.pkt', { kind: 'code', range, message: 'assertion failed at a.pkt:3: boom' }), 'assertion failed at a.pkt:3: boom');
  t.is(failureHeadline('a.pkt', { kind: 'target', message: 'cannot set up' }), 'a.pkt: cannot set up');
});

test('-v prints every event with its time; --pcap writes every packet injected and observed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const pcap = pcapSink(join(dir, 'run.pcap'));
  const { result } = await runFake(SCRIPT, wrongAck, { onTrace: fanOut([verboseSink((l) => lines.push(l)), pcap.sink]) });
  pcap.close();
  t.is(result.status, 'fail');
  t.true(lines.some((l) => l.startsWith('0.000000 syscall socket(..., SOCK_STREAM, IPPROTO_TCP) = 3   => returned 10')));
  t.true(lines.some((l) => l.startsWith('0.000000 inject  < S 0:0(0)')));
  t.true(lines.some((l) => l.startsWith('0.000000 sniff   > S. 0:0(0) ack 101')));
  const capture = readCapture(readFileSync(join(dir, 'run.pcap')));
  t.is(capture.frames.length, 2);
  t.is(capture.frames[1]!.ip![33], SYN | ACK);
});
