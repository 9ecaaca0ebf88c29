// `mptcpdrill mutate`, end to end: kill counts on the bundled stack, a real survivor reported at
// file:line:col with its lines, the JSON shape, exit statuses, Ctrl-C, and (as root) the kernel
// target's mutants, which are never written to disk (not even when the run is killed).

import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMutateCommand } from '../src/cli/commands/mutate.js';
import { UsageError } from '../src/cli/command.js';
import type { MutateSummary } from '../src/mutate/report.js';
import { hasStackTrace, runCli } from './helpers/cli.js';
import { cliPath, repoRoot } from './helpers/paths.js';

const fixture = (name: string): string => `${repoRoot}test/mutate/${name}`;

async function mutate(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runMutateCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function json(argv: string[]): Promise<{ code: number; summary: MutateSummary }> {
  const r = await mutate(['--format', 'json', ...argv]);
  return { code: r.code, summary: JSON.parse(r.out) as MutateSummary };
}

test('every mutant of a passive open is killed on ts; counts per kind are exact; exit 0', async (t) => {
  const { code, summary } = await json(['-j', '2', fixture('passive-open.pkt')]);
  t.is(code, 0);
  t.like(summary.totals, { scripts: 1, mutated: 1, notMutated: 0, mutants: 33, killed: 33, survived: 0, errors: 0, timeouts: 0, notRun: 0, killRate: 1 });
  t.deepEqual(summary.kinds, {
    'call.ret': { mutants: 4, killed: 4, survived: 0, killRate: 1 },
    'opt.add': { mutants: 2, killed: 2, survived: 0, killRate: 1 },
    'opt.drop': { mutants: 2, killed: 2, survived: 0, killRate: 1 },
    'opt.mss': { mutants: 1, killed: 1, survived: 0, killRate: 1 },
    'opt.reorder': { mutants: 1, killed: 1, survived: 0, killRate: 1 },
    'opt.wscale': { mutants: 1, killed: 1, survived: 0, killRate: 1 },
    'tcp.ack': { mutants: 2, killed: 2, survived: 0, killRate: 1 },
    'tcp.flags': { mutants: 16, killed: 16, survived: 0, killRate: 1 },
    'tcp.length': { mutants: 2, killed: 2, survived: 0, killRate: 1 },
    'tcp.seq': { mutants: 1, killed: 1, survived: 0, killRate: 1 },
    'tcp.win': { mutants: 1, killed: 1, survived: 0, killRate: 1 },
  });
  t.deepEqual(Object.fromEntries(Object.entries(summary.skipped).map(([k, v]) => [k, v.count])), { 'returned-fd': 2, 'syn-ack-seq': 1, invalid: 1, 'win-unwritten': 1 });
  t.deepEqual(summary.survivors, []);
});

test('a real survivor: the script passes with its injected MP_PRIO dropped; exit 1', async (t) => {
  const r = await mutate(['-j', '2', fixture('survivor.pkt')]);
  t.is(r.code, 1);
  const at = r.out.indexOf("survivor.pkt:16:64: survived [in.mptcp.drop] drop option 'mp_prio backup=1' (3 nop in its place)");
  t.true(at >= 0, r.out);
  const next = r.out.slice(at).split('\n');
  t.is(next[1], '    - +0.01 < .  1:1(0) ack 1 win 256 <nop, nop, TS val 102 ecr 200, mp_prio backup=1, nop>');
  t.is(next[2], '    + +0.01 < .  1:1(0) ack 1 win 256 <nop, nop, TS val 102 ecr 200, nop, nop, nop, nop>');
  t.regex(r.out, /Kill rate by field kind:\n\s+kind\s+mutants\s+killed\s+survived\s+rate/);
  t.regex(r.out, /in\.mptcp\.drop\s+4\s+3\s+1\s+75\.0 %/);
  t.regex(r.out, /Fields not mutated:\n(?:.*\n)*\s+\d+\s+ts-ecr: outbound TS ecr: not compared/);
  t.regex(r.out, /1 of 1 script mutated on ts; \d+ mutants, \d+ killed, \d+ survived; kill rate \d+\.\d %; [\d.]+ s$/);
});

test('--format json: one object with totals, per-kind rates, survivors, skipped and scripts', async (t) => {
  const { code, summary } = await json(['--outbound-only', fixture('survivor.pkt'), fixture('passive-open.pkt')]);
  t.deepEqual(Object.keys(summary).sort(), ['exitCode', 'interrupted', 'kinds', 'scripts', 'skipped', 'survivors', 'target', 'totals', 'wallMs']);
  t.is(summary.target, 'ts');
  t.is(summary.exitCode, code);
  t.false(summary.interrupted);
  t.deepEqual(Object.keys(summary.totals).sort(), ['errors', 'killRate', 'killed', 'mutants', 'mutated', 'notMutated', 'notRun', 'scripts', 'skippedRuns', 'survived', 'timeouts']);
  t.is(summary.totals.scripts, 2);
  t.false(Object.keys(summary.kinds).some((k) => k.startsWith('in.')), '--outbound-only');
  for (const k of Object.values(summary.kinds)) t.is(k.killRate, k.killed / (k.killed + k.survived));
  for (const s of summary.survivors) t.deepEqual(Object.keys(s).sort(), ['column', 'file', 'kind', 'line', 'mutated', 'mutation', 'original']);
  for (const e of Object.values(summary.skipped)) t.true(e.count > 0 && e.reason.length > 10);
  t.deepEqual(summary.scripts.map((s) => [s.file.replace(/^.*test\/mutate\//, ''), s.status]), [['passive-open.pkt', 'mutated'], ['survivor.pkt', 'mutated']]);
});

test('exit statuses: 2 for a script error, 4 when no script passes as written, usage errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-mutate-'));
  try {
    writeFileSync(join(dir, 'broken.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3) = 0 0\n');
    writeFileSync(join(dir, 'fails.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 1\n');
    const broken = await json([join(dir, 'broken.pkt')]);
    t.is(broken.code, 2);
    t.is(broken.summary.scripts[0]!.status, 'error');
    t.regex(broken.summary.scripts[0]!.reason!, /broken\.pkt:2:/);
    const fails = await json([join(dir, 'fails.pkt')]);
    t.is(fails.code, 4);
    t.is(fails.summary.scripts[0]!.status, 'fail');
    t.regex(fails.summary.scripts[0]!.reason!, /Expected result 1 but got 0/);
    // A survivor wins over a script error; every mutant killed with a failing script beside it is 0.
    t.is((await json([join(dir, 'broken.pkt'), fixture('survivor.pkt')])).code, 1);
    t.is((await json([join(dir, 'fails.pkt'), fixture('passive-open.pkt')])).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await t.throwsAsync(mutate([]), { instanceOf: UsageError, message: 'missing FILE or DIR' });
  await t.throwsAsync(mutate(['/no/such/dir']), { instanceOf: UsageError, message: /no such file or folder/ });
  await t.throwsAsync(mutate(['--target', 'remote', 'x']), { instanceOf: UsageError, message: /--target must be ts or kernel/ });
  await t.throwsAsync(mutate(['--format', 'xml', 'x']), { instanceOf: UsageError });
  await t.throwsAsync(mutate(['--max-mutants', '0', 'x']), { instanceOf: UsageError, message: /--max-mutants needs a whole number of at least 1/ });
  await t.throwsAsync(mutate(['--timeout', 'soon', 'x']), { instanceOf: UsageError });
});

test('the real CLI: --help, usage errors exit 2 without a stack trace', async (t) => {
  const help = await runCli(['mutate', '--help']);
  t.is(help.status, 0);
  t.regex(help.stdout, /^Usage: mptcpdrill mutate \[options\] FILE\|DIR\.\.\./);
  const listed = await runCli(['--help']);
  t.regex(listed.stdout, /mutate\s+mutation testing/);
  for (const args of [['mutate'], ['mutate', '/no/such/file.pkt'], ['mutate', '-j', 'x', 'a.pkt'], ['mutate', '--bogus', 'a.pkt']]) {
    const r = await runCli(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, /^mptcpdrill mutate: /);
    t.false(hasStackTrace(r.stderr + r.stdout));
  }
});

test('Ctrl-C stops the run and prints what ran (exit 130)', async (t) => {
  const child = spawn(process.execPath, [cliPath, 'mutate', '-j', '1', fixture('passive-open.pkt'), fixture('survivor.pkt'), `${repoRoot}test/scripts/mptcp/capable`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (!sent && out.includes('passive-open.pkt: 33 mutants')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.true(sent);
  t.is(status, 130);
  t.regex(out, /Interrupted: \d+ of \d+ scripts mutated on ts; \d+ mutants/);
});

test('kernel target: mutants run in their own namespaces from memory, no file written (or exit 4 without root)', async (t) => {
  const { preflight } = await import('../src/targets/kernel/netns.js');
  const folder = `${repoRoot}test/scripts/tcp/handshake`;
  const before = readdirSync(folder).sort();
  const { code, summary } = await json(['--target', 'kernel', '--max-mutants', '3', '-j', '2', `${folder}/passive-open.pkt`]);
  t.deepEqual(readdirSync(folder).sort(), before, 'no mutant file left behind');
  if (preflight() !== null) {
    t.is(code, 4);
    t.is(summary.scripts[0]!.status, 'skip');
    return;
  }
  t.is(code, 0, JSON.stringify(summary.scripts));
  t.like(summary.totals, { mutated: 1, mutants: 3, killed: 3, survived: 0 });
});

// A mutate run used to write each kernel mutant next to its script (`.X.pkt.mutant-PID-*~`, so
// that `../common/*.sh` resolves) and a killed run left them there; the mutant's text now travels
// in the job (JobSpec.text) under the script's own path. The folder is watched for any file
// appearing while mutants run, and a run is killed in the middle of its mutants by each signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
  test.serial(`kernel target: ${signal} in the middle of the mutants leaves no file next to the scripts`, async (t) => {
    const { preflight } = await import('../src/targets/kernel/netns.js');
    if (preflight() !== null) { t.pass('not root: the kernel target cannot run'); return; }
    const folder = `${repoRoot}test/scripts/tcp/handshake`;
    const before = readdirSync(folder).sort();
    const appeared: string[] = [];
    const watcher = watch(folder, (_event, name) => { if (name !== null && !before.includes(name)) appeared.push(name); });
    // One run at a time, lowest script first (run.ts inSlot): when the first script's report is
    // out, all 9 runs of the second (its original and 8 mutants) are still to come. With two at a
    // time and 4 mutants, a fast machine had finished both before the signal came.
    const child = spawn(process.execPath, [cliPath, 'mutate', '--target', 'kernel', '-j', '1', '--max-mutants', '8', `${folder}/passive-open.pkt`, `${folder}/active-open.pkt`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      // The first script (active-open, paths are sorted) is reported once its mutants are done.
      if (!sent && /active-open\.pkt: \d+ mutants/.test(out)) {
        sent = true;
        child.kill(signal);
      }
    });
    // 'exit', not 'close': workers of a SIGKILLed run may hold its pipes a while.
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    watcher.close();
    // A SIGKILLed run cannot stop its workers: end whatever of its group is left.
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is gone */ }
    t.true(sent, out);
    if (signal !== 'SIGKILL') t.is(status, 130, out);
    t.deepEqual(appeared, [], 'no file appeared next to the scripts while mutants ran');
    t.deepEqual(readdirSync(folder).sort(), before);
    t.deepEqual(readdirSync(tmpdir()).filter((n) => n.includes('mutant')), [], 'nor in the temp folder');
  });
}

test('`// mutate-disable-next-line: REASON` skips the next line with the reason in the report; without a reason the script is an error (exit 2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-mutate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(fixture('survivor.pkt'), 'utf8');
  const prio = '+0.01 < .  1:1(0) ack 1 win 256 <nop, nop, TS val 102 ecr 200, mp_prio backup=1, nop>';
  t.true(text.includes(prio));
  writeFileSync(join(dir, 'survivor.pkt'), text.replace(prio, `// mutate-disable-next-line: the stack sends nothing that a backup flag would change\n${prio}`));
  const disabled = await json([join(dir, 'survivor.pkt')]);
  t.is(disabled.code, 0);
  t.is(disabled.summary.totals.survived, 0);
  t.is(disabled.summary.skipped['script-disabled']?.count, 2, JSON.stringify(disabled.summary.skipped));
  const pretty = await mutate([join(dir, 'survivor.pkt')]);
  t.regex(pretty.out, /2\s+script-disabled: the script disables the line/);
  // The same comment with no reason: not honoured, the script is an error that names the line.
  writeFileSync(join(dir, 'bare.pkt'), text.replace(prio, `// mutate-disable-next-line\n${prio}`));
  const bare = await json([join(dir, 'bare.pkt')]);
  t.is(bare.code, 2);
  t.regex(bare.summary.scripts[0]!.reason!, /bare\.pkt:16:1: mutate-disable-next-line needs a reason/);
});
