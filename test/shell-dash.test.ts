// The in-process shell against the real one: every line of test/shell/lines.sh runs with dash
// (`/bin/sh -c`, what the kernel target runs) and in-process, in the same folder with the same
// helper scripts, and must give the same status, standard output and standard error, and leave
// the same files behind.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealHost } from '../src/shell/real-host.js';
import { runCommandLine } from '../src/shell/run.js';

const FIXTURES = fileURLToPath(new URL('../../test/shell/', import.meta.url));

/** The lines of lines.sh: blocks separated by blank lines (a block may span lines), `#` lines are comments. */
function lines(): string[] {
  return readFileSync(join(FIXTURES, 'lines.sh'), 'utf8').split(/\n\s*\n/).map((b) => b.split('\n').filter((l) => !l.startsWith('#')).join('\n')).filter((b) => b.trim() !== '');
}

/** Runs `f` in a fresh copy of the helper scripts (executable); returns its value and the files left. */
async function inFolder<T>(f: (dir: string) => Promise<T> | T): Promise<{ value: T; files: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'shell-'));
  try {
    cpSync(join(FIXTURES, 'files'), dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.endsWith('.sh')) chmodSync(join(dir, name), 0o755);
    const value = await f(dir);
    const files: Record<string, string> = {};
    for (const name of readdirSync(dir).sort()) if (statSync(join(dir, name)).isFile()) files[name] = readFileSync(join(dir, name), 'utf8');
    return { value, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', OPT_LOCAL_IP: '192.168.0.2', OPT_IP_VERSION: 'ipv4', HOME: '/root', EMPTY: '', SPACED: 'a  b\tc', GLOBBY: 'x*' };

for (const [i, line] of lines().entries()) {
  test(`line ${i + 1}: ${line.split('\n')[0]!.slice(0, 60)}`, async (t) => {
    const dash = await inFolder((dir) => {
      const r = spawnSync('/bin/sh', ['-c', line], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 10_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    });
    const host = new RealHost();
    const ours = await inFolder(async (dir) => {
      const r = await runCommandLine({ text: line, cwd: dir, env: ENV, pid: 4242, ppid: 4241 }, host);
      return 'unsupported' in r ? { unsupported: r.unsupported } : { status: r.status, stdout: r.stdout, stderr: r.stderr };
    });
    t.deepEqual(ours.value, dash.value, line);
    t.deepEqual(ours.files, dash.files, 'files left behind');
    // Only programs that are not shell scripts run as processes (sort, grep, sh -c …).
    const programs = (line.match(/\b(sort|head|grep|tr|sed|cut|ls|wc|sh -c|sh )/g) ?? []).length;
    t.true(host.processes <= programs, `${host.processes} processes started`);
  });
}
