// `mptcpdrill run --target ts,kernel` for real: a planted disagreement (test/differential/
// planted-sack.pkt turns SACK off on the bundled stack only, on a line whose SYN/ACK does not pin
// its options) is caught at its line with both sides shown, in either target order and through
// the suite runner; leaving the differing field out makes the same script agree. The agreement of
// the whole corpus is test/kernel-corpus.test.ts's (it runs the manifest in this mode).
// Needs root for the kernel side (CI runs as root); without it the kernel tests fail loudly.

import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { hasStackTrace, runCli, type CliResult } from './helpers/cli.js';
import { repoRoot } from './helpers/paths.js';

const PLANTED = join(repoRoot, 'test/differential/planted-sack.pkt');
const AGREEING = join(repoRoot, 'test/scripts/tcp/handshake/passive-open.pkt');

function needsRoot(t: ExecutionContext): void {
  if (process.getuid?.() !== 0) t.fail('differential runs need root for the kernel side (CI runs as root)');
}

// The planted difference is in options, not timing: on a loaded machine the kernel may answer
// late, so timing is left out of these comparisons, tolerances are widened, and a run whose
// kernel side still failed on timing is run again (at most three times).
const CALM = ['--tolerance-scale', '4', '--diff-ignore', 'timing'];
const LATE = /timing error: /;

async function runDiff(t: ExecutionContext, args: string[]): Promise<CliResult> {
  let r = await runCli(args, { NO_COLOR: '1' });
  for (let attempt = 2; attempt <= 3 && LATE.test(r.stdout + r.stderr); attempt++) {
    t.log(`attempt ${attempt - 1} was late on the kernel; again`);
    r = await runCli(args, { NO_COLOR: '1' });
  }
  return r;
}

// Kernel runs are real time: one at a time across this file keeps them clear of each other.
test.serial('a planted disagreement is reported at its line, side by side, with both verdicts', async (t) => {
  needsRoot(t);
  const r = await runDiff(t, ['run', '--target', 'ts,kernel', ...CALM, PLANTED]);
  t.is(r.status, 1, r.stderr);
  const lines = r.stderr.split('\n');
  const head = lines.findIndex((l) => l.includes('disagree:'));
  t.true(head >= 0, r.stderr);
  t.regex(lines[head]!, /planted-sack\.pkt:17: ts and kernel disagree: the packet sent by the stack at line 17 differs in options$/);
  t.is(lines[head + 1], '   17 | +0    > S. 0:0(0) ack 1 <...>');
  t.is(lines[head + 2], '      | ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~');
  t.regex(lines[head + 3]!, /^ {2}ts: {5}\d+\.\d{6} > S\. 0:0\(0\) ack 1 win 65535 <mss 1460,nop,nop,TS val \d+ ecr 100,nop,wscale 8>$/);
  t.regex(lines[head + 4]!, /^ {2}kernel: \d+\.\d{6} > S\. 0:0\(0\) ack 1 win 65535 <mss 1460,sackOK,TS val \d+ ecr 100,nop,wscale 8>$/);
  t.is(lines[head + 5], '  options: ts mss,nop,nop,timestamp,nop,wscale vs kernel mss,sack_permitted,timestamp,nop,wscale');
  t.is(lines[head + 6], '  verdicts: ts pass; kernel pass');
  t.regex(r.stderr, /^DISAGREE .*planted-sack\.pkt \(seed \d+\)$/m);
  t.false(hasStackTrace(r.stderr + r.stdout));
});

test.serial('the target order is free and names the sides in that order', async (t) => {
  needsRoot(t);
  const r = await runDiff(t, ['run', '--target=kernel,ts', '--seed', '7', ...CALM, PLANTED]);
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, /:17: kernel and ts disagree: .* differs in options$/m);
  t.regex(r.stderr, /^ {2}options: kernel mss,sack_permitted,timestamp,nop,wscale vs ts mss,nop,nop,timestamp,nop,wscale$/m);
  t.regex(r.stderr, /^DISAGREE .* \(seed 7\)$/m);
});

test.serial('leaving the differing field out makes the pair agree (exit 0)', async (t) => {
  needsRoot(t);
  const r = await runDiff(t, ['run', '--target', 'ts,kernel', ...CALM, '--diff-ignore', 'options', PLANTED]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^AGREE .*planted-sack\.pkt \(ts pass, kernel pass\)$/m);
});

test.serial('the suite runner reports the planted script as not ok and an agreeing one as ok', async (t) => {
  needsRoot(t);
  const r = await runDiff(t, ['run', '--target', 'ts,kernel', '-j', '1', '--format', 'ktap', ...CALM, AGREEING, PLANTED]);
  t.is(r.status, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /^# target ts,kernel$/m);
  t.regex(r.stdout, /^ok \d+ .*passive-open\.pkt$/m);
  t.regex(r.stdout, /^# .*planted-sack\.pkt:17: ts and kernel disagree: .* differs in options$/m);
  t.regex(r.stdout, /^# {3}verdicts: ts pass; kernel pass$/m);
  t.regex(r.stdout, /^not ok \d+ .*planted-sack\.pkt$/m);
  t.regex(r.stdout, /^# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0$/m);
});

test('a target list other than ts and kernel is refused in one sentence', async (t) => {
  for (const target of ['ts,remote', 'ts,ts', 'kernel,ts,ts']) {
    const r = await runCli(['run', '--target', target, PLANTED]);
    t.is(r.status, 2, target);
    t.regex(r.stderr, /--target must be ts, kernel, remote, or the pair ts,kernel \(kernel,ts\) for differential mode, not '/, target);
    t.false(hasStackTrace(r.stderr), target);
  }
  const suite = await runCli(['run', '--target', 'kernel,remote', PLANTED, AGREEING]);
  t.is(suite.status, 2);
  t.regex(suite.stderr, /--target takes ts, kernel, or the pair ts,kernel \(kernel,ts\) for differential mode; not 'kernel,remote'/);
});

test('an unknown field name is refused in one sentence', async (t) => {
  const r = await runCli(['run', '--target', 'ts,kernel', '--diff-ignore', 'window', PLANTED]);
  t.is(r.status, 2);
  t.regex(r.stderr, /--diff-ignore does not know the field 'window'/);
  t.false(hasStackTrace(r.stderr));
});
