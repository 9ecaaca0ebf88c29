// Timing failures that the tester's own lateness may explain (issue 16 item 4): the runner notes
// how late it woke up or injected, a timing failure it explains says so in one line (and in the
// JSON and JUnit formats), and `--retry-timing N` runs such scripts again.
import test from 'ava';
import { formatFailure, testerLateLine } from '../src/report/failure-report.js';
import { resultObject } from '../src/report/formats/json.js';
import { junitDocument } from '../src/report/formats/junit.js';
import { withTimingRetries, type Execution } from '../src/suite/executor.js';
import type { JobReport, SuiteResult } from '../src/suite/types.js';
import { TcpFlag } from '../src/wire/packet.js';
import { tcpPacket } from './fakes/fake-packets.js';
import { pkt, runFake } from './fakes/run-helpers.js';
import { ScriptedTarget, type ScriptedTargetConfig } from './fakes/scripted-target.js';

const { SYN, ACK } = TcpFlag;
const LISTEN = ['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 bind(3, ..., ...) = 0', '+0 listen(3, 1) = 0'];
const synAckAfter = (delay: number): ScriptedTargetConfig => ({
  onInject: (b, now, t) => {
    if ((b[33]! & (SYN | ACK)) === SYN) t.send(now + delay, tcpPacket({ flags: SYN | ACK, seq: 0, ack: 1 }));
  },
});

/** A target whose clock wakes the runner `lateUs` late when it sleeps until script time `at`. */
function lateAt(at: number, lateUs: number, config: ScriptedTargetConfig = {}): ScriptedTarget {
  const target = new ScriptedTarget(config);
  const sleepUntil = target.clock.sleepUntil.bind(target.clock);
  target.clock.sleepUntil = async (t) => {
    await sleepUntil(t);
    if (t === at) target.clock.stall(lateUs);
  };
  return target;
}

test('an inbound packet the runner injected late: the failure says the tester was late, and by how much', async (t) => {
  const target = lateAt(10_000, 38_000, synAckAfter(100));
  const { result, loaded } = await runFake(pkt(...LISTEN, '+0.01 < S 0:0(0) win 1000', '+0 > S. 0:0(0) ack 1'), {}, { target });
  t.is(result.status, 'fail');
  t.is(result.failure?.kind, 'timing');
  t.is(result.failure?.message, 'timing error: expected inbound packet at 0.010000 sec but happened at 0.048000 sec; tolerance 0.004000 sec');
  t.is(result.failure?.testerLateUs, 38_000);
  const report = formatFailure(result, loaded.text, { color: false });
  t.regex(report, /^ {2}the tester was 38 ms late here: the machine is overloaded; --tolerance-scale or fewer -j$/m);
});

test('a system call the runner started late says so too; under a millisecond it never does', async (t) => {
  const late = await runFake(pkt('--tolerance_percent=0', ...LISTEN, '+0.1 close(3) = 0'), {}, { target: lateAt(100_000, 6_000) });
  t.regex(late.result.failure?.message ?? '', /^timing error: expected system call start at 0\.100000 sec/);
  t.is(late.result.failure?.testerLateUs, 6_000);
  t.is(testerLateLine(6_000), 'the tester was 6.0 ms late here: the machine is overloaded; --tolerance-scale or fewer -j');
  // 0.5 ms late with a 0.1 ms tolerance: a timing failure, but not one to blame the tester for.
  const small = await runFake(pkt('--tolerance_usecs=100', '--tolerance_percent=0', ...LISTEN, '+0.1 close(3) = 0'), {}, { target: lateAt(100_000, 500) });
  t.is(small.result.failure?.kind, 'timing');
  t.is(small.result.failure?.testerLateUs, undefined);
});

test('an event due while the one before still ran (a long shell command): a timing failure, not the tester\'s', async (t) => {
  let target: ScriptedTarget | undefined;
  target = new ScriptedTarget({ onShell: () => { target!.clock.stall(100_000); return { code: 0, stdout: '', stderr: '' }; } });
  const { result } = await runFake(pkt('0 `sleep 0.1`', '0.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'), {}, { target });
  t.regex(result.failure?.message ?? '', /^timing error: expected system call start at 0\.010000 sec but happened at 0\.100000 sec/);
  t.is(result.failure?.testerLateUs, undefined);
});

test('a late packet of the stack while the runner was on time: no word about the tester', async (t) => {
  const { result, loaded } = await runFake(pkt(...LISTEN, '+0 < S 0:0(0) win 1000', '+0 > S. 0:0(0) ack 1'), synAckAfter(50_000));
  t.is(result.failure?.kind, 'timing');
  t.is(result.failure?.testerLateUs, undefined);
  t.notRegex(formatFailure(result, loaded.text, { color: false }), /the tester was/);
});

test('the stack late by far more than the tester was: the tester is not blamed', async (t) => {
  // The runner was 2 ms late injecting the SYN; the SYN/ACK came 200 ms late: 2 ms explains nothing.
  const target = lateAt(10_000, 2_000, synAckAfter(200_000));
  const { result } = await runFake(pkt(...LISTEN, '+0.01 < S 0:0(0) win 1000', '+0 > S. 0:0(0) ack 1'), {}, { target });
  t.is(result.failure?.kind, 'timing');
  t.is(result.failure?.testerLateUs, undefined);
});

test('a target injecting on its own (injectAt): its lateness is the tester\'s', async (t) => {
  const target = new ScriptedTarget(synAckAfter(100));
  // Injected 20 ms after the time it was handed over for.
  (target as ScriptedTarget & { injectAt(b: Uint8Array, at: number): Promise<number> }).injectAt = async (bytes, at) => {
    await target.clock.sleepUntil(at + 20_000);
    await target.inject(bytes);
    return at + 20_000;
  };
  const { result } = await runFake(pkt(...LISTEN, '+0.01 < S 0:0(0) win 1000', '+0 > S. 0:0(0) ack 1'), {}, { target });
  t.is(result.failure?.message, 'timing error: expected inbound packet at 0.010000 sec but happened at 0.030000 sec; tolerance 0.004000 sec');
  t.is(result.failure?.testerLateUs, 20_000);
});

const report = (over: Partial<JobReport>): JobReport => ({ status: 'pass', wallMs: 1, scriptEndUs: 0, warnings: [], ...over });
const timingFail = (lateUs: number | undefined): JobReport => report({
  status: 'fail',
  failure: { kind: 'timing', headline: 'a.pkt:5:1: timing error: ...', ...(lateUs === undefined ? {} : { testerLateUs: lateUs }) },
});

function scripted(reports: JobReport[]): { start: () => Execution; started: () => number } {
  let n = 0;
  return {
    start: () => ({ done: Promise.resolve(structuredClone(reports[Math.min(n++, reports.length - 1)]!)), stop: () => undefined }),
    started: () => n,
  };
}

test('--retry-timing: a run failing on timing with the tester late is run again, and the report says so', async (t) => {
  const s = scripted([timingFail(38_000), report({ status: 'pass' })]);
  const r = await withTimingRetries(s.start, 2).done;
  t.is(s.started(), 2);
  t.is(r.status, 'pass');
  t.is(r.timingRetries, 1);
  t.deepEqual(r.warnings, ['--retry-timing: run 1 time more after timing failure while the tester was 38 ms late; passed on run 2']);
});

test('--retry-timing: at most N more runs; failures the tester does not explain are not retried', async (t) => {
  const always = scripted([timingFail(12_000)]);
  const r = await withTimingRetries(always.start, 2).done;
  t.is(always.started(), 3);
  t.is(r.status, 'fail');
  t.is(r.timingRetries, 2);
  t.regex(r.warnings[0]!, /run 2 times more after timing failures while the tester was 12 ms, 12 ms late; failed again on run 3$/);
  const genuine = scripted([timingFail(undefined)]);
  t.is((await withTimingRetries(genuine.start, 2).done).timingRetries, undefined);
  t.is(genuine.started(), 1);
  const packet = scripted([report({ status: 'fail', failure: { kind: 'packet', headline: 'x', testerLateUs: 5000 } })]);
  await withTimingRetries(packet.start, 2).done;
  t.is(packet.started(), 1, 'only timing failures are retried');
});

test('the JSON and JUnit formats carry the tester\'s lateness and the retries', (t) => {
  const r: SuiteResult = {
    index: 1, name: 'a.pkt', file: 'dir/a.pkt', target: 'kernel', outcome: 'fail', runs: 1, passes: 0, seeds: [1], wallMs: 5,
    report: { ...timingFail(38_000), timingRetries: 2, detail: 'a.pkt:5:1: timing error: ...\n  the tester was 38 ms late here: ...' },
  };
  const json = resultObject(r);
  t.like(json, { timingRetries: 2, failure: { kind: 'timing', testerLateMs: 38 } });
  const xml = junitDocument([r], { totals: { pass: 0, fail: 1, xfail: 0, xpass: 0, skip: 0, error: 0 }, ran: 1, planned: 1, wallMs: 5, interrupted: false, exitCode: 1 }, 'mptcpdrill kernel', new Date(0));
  t.regex(xml, /<property name="testerLateMs" value="38"\/>/);
  t.regex(xml, /<property name="timingRetries" value="2"\/>/);
  t.regex(xml, /the tester was 38 ms late here/);
  const passing = resultObject({ ...r, outcome: 'pass', report: report({ status: 'pass' }) });
  t.like(passing, { timingRetries: 0, failure: null });
});
