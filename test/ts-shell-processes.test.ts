// What the programs of a ts shell line see and report (issue 17): bash started from a line reads
// no startup file (~/.bashrc, $BASH_ENV), whether the in-process shell starts it or /bin/sh does;
// a shell killed by a signal has the status sh gives it (128 + the signal's number, as dash).

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './helpers/paths.js';

function runTs(script: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-ts-proc-'));
  try {
    writeFileSync(join(dir, 'a.pkt'), script);
    const r = spawnSync(process.execPath, [cliPath, 'run', '--target', 'ts', join(dir, 'a.pkt')], { encoding: 'utf8', env, timeout: 60_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('bash from a ts shell line reads neither ~/.bashrc nor $BASH_ENV (in-process shell and /bin/sh)', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'mptcpdrill-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  writeFileSync(join(home, '.bashrc'), `touch ${home}/read-bashrc\n`);
  writeFileSync(join(home, 'env.sh'), `touch ${home}/read-bash-env\n`);
  // What makes `bash -c` read ~/.bashrc: a top-level shell (no SHLVL), run by sshd or rshd as it
  // believes (SSH_CLIENT set, or a socket on its standard input).
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, BASH_ENV: join(home, 'env.sh'), SSH_CLIENT: '192.0.2.9 50000 22' };
  delete env['SHLVL'];
  // The first line is the in-process shell's (bash is a program it starts); `kill` sends the
  // second to /bin/sh.
  const r = runTs("0 `bash -c 'echo in-process'`\n+0 `kill -0 $$; bash -c 'echo sh'`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", env);
  t.is(r.status, 0, r.out);
  t.false(existsSync(join(home, 'read-bashrc')), '~/.bashrc was read');
  t.false(existsSync(join(home, 'read-bash-env')), '$BASH_ENV was read');
  // The checks can fail: the same bash, started with that environment, reads ~/.bashrc (and
  // nothing else: bash's shell.c returns after it), and $BASH_ENV once it is not run by sshd.
  spawnSync('bash', ['-c', 'true'], { env, stdio: 'ignore' });
  t.true(existsSync(join(home, 'read-bashrc')), 'bash here reads ~/.bashrc as described');
  const notSsh = { ...env };
  delete notSsh['SSH_CLIENT'];
  spawnSync('bash', ['-c', 'true'], { env: notSsh, stdio: 'ignore' });
  t.true(existsSync(join(home, 'read-bash-env')), 'bash here reads $BASH_ENV as described');
});

test('a shell line killed by a signal has the status dash gives it (128 + the signal number)', (t) => {
  // What dash reports for a shell that kills itself, and for a program that does.
  const dash = (line: string): number => Number(spawnSync('dash', ['-c', `${line}; echo $?`], { encoding: 'utf8' }).stdout.trim());
  const bySh = dash(`sh -c 'kill -9 $$'`);
  const byProgram = dash(`sh -c 'kill -TERM $$'`);
  t.is(bySh, 137);
  // `kill` is not the in-process shell's: the line runs in /bin/sh, which kills itself.
  t.regex(runTs('0 `kill -9 $$`\n').out, new RegExp(`non-zero status ${bySh}\\b`));
  // `sh -c` is a program the in-process shell starts (and waits for).
  t.regex(runTs("0 `sh -c 'kill -TERM $$'`\n").out, new RegExp(`non-zero status ${byProgram}\\b`));
});
