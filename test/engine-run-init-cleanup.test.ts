// --init_scripts and the cleanup command (issue 17): init scripts run, in order, before the
// script's init command and fail it when one fails; a failing cleanup command never leaves a
// PASS, on the fake target and on the real ones, single file and suite.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkt, runFake } from './fakes/run-helpers.js';
import { runCli } from './helpers/cli.js';

const CALLS = ['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 close(3) = 0'];
const OK = { code: 0, stdout: '', stderr: '' };
const isRoot = process.getuid?.() === 0;

test('--init_scripts: each comma-separated command runs, in order, before the init command', async (t) => {
  const { result, target } = await runFake(pkt('--init_scripts="echo a, ./b.sh  ,"', '`init`', ...CALLS, '`cleanup`'));
  t.is(result.status, 'pass');
  t.deepEqual(target.shells.map((s) => s.command), ['echo a', './b.sh', 'init', 'cleanup']);
  const cli = await runFake(pkt(...CALLS), {}, { cli: { init_scripts: 'x,y' } });
  t.deepEqual(cli.target.shells.map((s) => s.command), ['x', 'y'], 'from the command line too');
});

test('a failing init script fails the script at the option line; nothing after it runs', async (t) => {
  const { result, target } = await runFake(pkt('--init_scripts="true,exit 3,never"', '`init`', ...CALLS), {
    onShell: (command) => (command === 'exit 3' ? { code: 3, stdout: '', stderr: 'boom\n' } : OK),
  });
  t.is(result.status, 'fail');
  t.is(result.failure?.message, 'error executing `exit 3` init script: non-zero status 3');
  t.is(result.failure?.range?.start.line, 1);
  t.is(result.failure?.output, 'boom');
  t.deepEqual(target.shells.map((s) => s.command), ['true', 'exit 3']);
});

test('a failing cleanup command turns a pass into a failure (and is a warning after a failure)', async (t) => {
  const failing = { onShell: (command: string) => (command === 'cleanup' ? { code: 1, stdout: '', stderr: '' } : OK) };
  const { result } = await runFake(pkt(...CALLS, '`cleanup`'), failing);
  t.is(result.status, 'fail');
  t.is(result.failure?.message, 'error executing `cleanup` command: non-zero status 1');
  const after = await runFake(pkt(...CALLS, '+0 close(3) = 0', '`cleanup`'), failing);
  t.is(after.result.status, 'fail');
  t.regex(after.result.failure!.message, /close/);
  t.true(after.result.warnings.some((w) => /cleanup command: error executing `cleanup` command/.test(w)));
});

for (const target of ['ts', 'kernel'] as const) {
  test(`${target}: a failing cleanup command is FAIL for a file and in a suite; --init_scripts runs for real`, async (t) => {
    if (target === 'kernel' && !isRoot) return t.pass('the kernel target needs root');
    const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-cleanup-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'cleanup.pkt'), [...CALLS, '`echo left; exit 3`', ''].join('\n'));
    const file = await runCli(['run', '--target', target, '--tolerance-scale', '10', join(dir, 'cleanup.pkt')]);
    t.is(file.status, 1, file.stdout + file.stderr);
    t.regex(file.stdout + file.stderr, /cleanup\.pkt:3:1: error executing `echo left; exit 3` command: non-zero status 3/);
    t.regex(file.stdout + file.stderr, /FAIL .*cleanup\.pkt/);
    const suite = await runCli(['run', '--target', target, '--tolerance-scale', '10', '--format', 'tap', dir]);
    t.is(suite.status, 1);
    t.regex(suite.stdout, /^not ok 1 - cleanup\.pkt|^not ok 1 .*cleanup\.pkt/m);

    const out = join(dir, 'init.out');
    writeFileSync(join(dir, 'init.pkt'), [`--init_scripts="echo one > ${out}, echo two >> ${out}"`, ...CALLS, ''].join('\n'));
    const init = await runCli(['run', '--target', target, '--tolerance-scale', '10', join(dir, 'init.pkt')]);
    t.is(init.status, 0, init.stdout + init.stderr);
    t.is(readFileSync(out, 'utf8'), 'one\ntwo\n');
    return undefined;
  });
}
