// `mptcpdrill check`: exit status 0 with warnings only, 2 with any error; every diagnostic of
// every file printed (compiler style or JSON lines); the summary line on stderr.

import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckIo } from '../src/cli/commands/check.js';
import { UsageError } from '../src/cli/command.js';

const GOOD = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n';
const WARN = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) ack 5 <...>\n';
const BAD = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3) = 0\n0.5 close(3) = 0\n0.2 close(3) = 0\n';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-check-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CheckIo = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };
  const code = await runCheck(argv, io);
  return { code, out, err };
}

test('clean and warning-only files exit 0; directories are searched recursively for *.pkt', async (t) => {
  const dir = tree({ 'a.pkt': GOOD, 'sub/deeper/b.pkt': WARN, 'notes.txt': 'not a script' });
  try {
    const r = await run([dir]);
    t.is(r.code, 0);
    t.deepEqual(r.err, ['2 files, 0 errors, 1 warning']);
    t.is(r.out.length, 1);
    t.regex(r.out[0]!, /sub\/deeper\/b\.pkt:2:6: warning: 'ack 5' is written/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('any error exits 2 and every diagnostic of every file is printed, sorted', async (t) => {
  const dir = tree({ 'good.pkt': GOOD, 'bad.pkt': BAD });
  try {
    const r = await run([join(dir, 'good.pkt'), join(dir, 'bad.pkt')]);
    t.is(r.code, 2);
    t.deepEqual(r.err, ['2 files, 2 errors, 0 warnings']);
    const headers = r.out.map((block) => block.split('\n')[0]!.replace(dir, 'D'));
    t.deepEqual(headers, [
      'D/bad.pkt:2:4: error: listen takes 2 arguments, got 1',
      'D/bad.pkt:4:1: error: time goes backward in script from 500000 usec to 200000 usec',
    ]);
    t.is(r.out[0]!.split('\n')[2], '   ^~~~~~');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--json prints one object per diagnostic per line', async (t) => {
  const dir = tree({ 'bad.pkt': BAD });
  try {
    const r = await run(['--json', dir]);
    t.is(r.code, 2);
    const objects = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    t.deepEqual(objects.map((o) => [o['line'], o['column'], o['severity'], o['code']]), [
      [2, 4, 'error', 'syscall-arity'],
      [4, 1, 'error', 'time-backwards'],
    ]);
    t.true(objects.every((o) => typeof o['endColumn'] === 'number' && o['file'] === join(dir, 'bad.pkt')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file is one diagnostic, not a crash', async (t) => {
  const r = await run(['/nonexistent/x.pkt']);
  t.is(r.code, 2);
  t.deepEqual(r.out, ['/nonexistent/x.pkt:1:1: error: cannot read /nonexistent/x.pkt: no such file']);
  t.deepEqual(r.err, ['1 file, 1 error, 0 warnings']);
});

test('--target adds target checks; script options on the command line override the file', async (t) => {
  const dir = tree({ 'splice.pkt': `${GOOD}+0 splice(3, ..., 6, ..., 10, 0) = 10\n`, 'opt.pkt': `--ip_version=ipv5\n${GOOD}` });
  try {
    const plain = await run([join(dir, 'splice.pkt')]);
    t.deepEqual(plain.err, ['1 file, 0 errors, 0 warnings']);
    // The bundled stack performs splice (pipes are in-memory there); the remote target performs no
    // system calls at all, which is worth a warning.
    const ts = await run(['--target', 'ts', join(dir, 'splice.pkt')]);
    t.is(ts.code, 0);
    t.deepEqual(ts.err, ['1 file, 0 errors, 0 warnings']);
    const remote = await run(['--target', 'remote', join(dir, 'splice.pkt')]);
    t.is(remote.code, 0);
    t.deepEqual(remote.err, ['1 file, 0 errors, 1 warning']);
    t.regex(remote.out.join('\n'), /the remote target performs no system calls/);
    t.is((await run([join(dir, 'opt.pkt')])).code, 2);
    t.is((await run(['--ip_version=ipv6', join(dir, 'opt.pkt')])).code, 2, 'the bad line is still reported');
    const unknownFlag = await run(['--tolerance-usecs', 'x', join(dir, 'splice.pkt')]);
    t.is(unknownFlag.code, 2);
    t.is(unknownFlag.out[0], "<command line>:1:1: error: option --tolerance_usecs needs a non-negative integer (got 'x')");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors: no path, bad target', async (t) => {
  await t.throwsAsync(run([]), { instanceOf: UsageError, message: 'missing FILE or DIR' });
  await t.throwsAsync(run(['--target', 'moon', 'x.pkt']), { instanceOf: UsageError });
});
