// `--retry-timing N` end to end on the kernel (issue 16 item 4): a timing failure that the
// tester's own lateness explains is run again; a real one (the script expects the wrong time) is
// not. The tester is made late deterministically by the kernel clock's test hook
// (src/targets/kernel/test-late.ts: MPTCPDRILL_TEST_TESTER_LATE), not by loading the machine.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './helpers/paths.js';

/** A call due at 0.1 s: the hook below makes the tester start it 30 ms late. */
const LATE_CALL = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0.1 close(3) = 0\n';
const STALL = '100000:30000';
/** Expects the SYN/ACK 50 ms after the SYN: Linux answers at once, a real timing failure. */
const WRONG_TIME = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0.05 > S. 0:0(0) ack 1 <mss 1460>
`;

function folder(t: ExecutionContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-retry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function cli(args: string[], stall?: string): { status: number | null; out: string; stdout: string } {
  const env = { ...process.env };
  if (stall) env['MPTCPDRILL_TEST_TESTER_LATE'] = stall;
  else delete env['MPTCPDRILL_TEST_TESTER_LATE'];
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
}

/** Runs of a -v single run: each attempt prints its header. */
const attempts = (out: string): number => out.split('\n').filter((l) => /^# .* on the kernel target, seed \d+$/.test(l)).length;

const needsRoot = (t: ExecutionContext): boolean => {
  if (process.getuid?.() === 0) return true;
  t.fail('kernel tests need root (CI runs them as root)');
  return false;
};

test.serial('run --target kernel FILE --retry-timing: a failure the tester\'s lateness explains runs again (and passes); retries stop at N', (t) => {
  if (!needsRoot(t)) return;
  const dir = folder(t, { 'late.pkt': LATE_CALL });
  const file = join(dir, 'late.pkt');
  // Late on the first run only: the second passes.
  const once = cli(['run', '--target', 'kernel', '-v', '--retry-timing', '2', file], `${STALL}:1`);
  t.is(once.status, 0, once.out);
  t.is(attempts(once.out), 2, once.out);
  t.regex(once.out, /--retry-timing: run 1 time more after timing failure while the tester was 30 ms late; passed on run 2/);
  // Late every time: 1 + 2 runs, then the failure, with the tester's line.
  const always = cli(['run', '--target', 'kernel', '-v', '--retry-timing', '2', file], `${STALL}:9`);
  t.is(always.status, 1, always.out);
  t.is(attempts(always.out), 3, always.out);
  t.regex(always.out, /failed again on run 3/);
  t.regex(always.out, /the tester was 30 ms late here/);
  // Without --retry-timing, the same lateness fails the one run.
  const none = cli(['run', '--target', 'kernel', '-v', file], `${STALL}:1`);
  t.is(none.status, 1, none.out);
  t.is(attempts(none.out), 1, none.out);
});

test.serial('run --target kernel FILE --retry-timing: a real timing failure (the script is wrong) is not run again', (t) => {
  if (!needsRoot(t)) return;
  const dir = folder(t, { 'wrong.pkt': WRONG_TIME });
  const r = cli(['run', '--target', 'kernel', '-v', '--retry-timing', '3', join(dir, 'wrong.pkt')]);
  t.is(r.status, 1, r.out);
  t.regex(r.out, /timing error: expected outbound packet at 0\.05\d+ sec but happened at 0\.00\d+ sec/);
  t.is(attempts(r.out), 1, r.out);
  t.notRegex(r.out, /--retry-timing:|the tester was/);
});

test.serial('a kernel suite with --retry-timing: JSON counts the retries of the late script, none for the wrong one', (t) => {
  if (!needsRoot(t)) return;
  const dir = folder(t, { 'late.pkt': LATE_CALL, 'wrong.pkt': WRONG_TIME });
  const r = cli(['run', '--target', 'kernel', '-j', '1', '--retry-timing', '2', '--format', 'json', dir], `${STALL}:1`);
  t.is(r.status, 1, r.out);
  const results = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; name?: string; status?: string; timingRetries?: number; failure?: { testerLateMs: number | null } | null })
    .filter((o) => o.type === 'result');
  const late = results.find((o) => o.name?.endsWith('late.pkt'));
  const wrong = results.find((o) => o.name?.endsWith('wrong.pkt'));
  t.like(late, { status: 'pass', timingRetries: 1 });
  t.like(wrong, { status: 'fail', timingRetries: 0 });
  t.is(wrong?.failure?.testerLateMs, null);
});
