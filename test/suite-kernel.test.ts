// The suite runner on the live kernel (root, as in CI): scripts run in parallel each in its own
// child process and network namespace, and Ctrl-C stops them leaving nothing behind.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preflight } from '../src/targets/kernel/netns.js';

const SUITE_BIN = fileURLToPath(new URL('../src/suite/bin.js', import.meta.url));
const missing = preflight();
const kernelTest = missing ? test.skip : test.serial;

function suite(scripts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'suite-kernel-'));
  for (const [name, text] of Object.entries(scripts)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * Live processes whose environment holds `tag` (the suite's children inherit it) or whose
 * command line is `cmdline` (the scripts' shell commands, which run with the script's own
 * environment).
 */
function processesOf(tag: string, cmdline: string): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const mine = readFileSync(`/proc/${pid}/environ`, 'latin1').includes(tag) || readFileSync(`/proc/${pid}/cmdline`, 'latin1') === cmdline;
      if (mine) out.push({ pid: Number(pid), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

const hostLinks = (): string => spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(':')[1]?.trim()).sort().join(' ');

kernelTest('-j 2: two scripts at once, each in a namespace of its own', async (t) => {
  // Both add the same address: in a shared namespace the second `ip addr add` fails (File exists).
  const body = (name: string): string =>
    `\`date +%s.%N > ${name}.start && ip addr add 198.51.100.7/32 dev lo && sleep 1.5 && date +%s.%N > ${name}.end\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n`;
  const dir = suite({});
  writeFileSync(join(dir, 'a.pkt'), body(join(dir, 'a')));
  writeFileSync(join(dir, 'b.pkt'), body(join(dir, 'b')));
  writeFileSync(join(dir, 'c-fails.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 5\n');
  const before = hostLinks();
  const r = spawnSync(process.execPath, [SUITE_BIN, '--target', 'kernel', '-j', '2', '--tolerance-scale', '50', '--format', 'ktap', dir], { encoding: 'utf8' });
  const results = r.stdout.split('\n').filter((l) => /^(not )?ok \d/.test(l));
  t.deepEqual(results.map((l) => l.replace(dir + '/', '')), ['ok 1 a.pkt', 'ok 2 b.pkt', 'not ok 3 c-fails.pkt'], r.stdout + r.stderr);
  t.regex(r.stdout, /^# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:0 error:0$/m);
  t.is(r.status, 1);
  const span = (n: string): [number, number] => [Number(readFileSync(join(dir, `${n}.start`), 'utf8')), Number(readFileSync(join(dir, `${n}.end`), 'utf8'))];
  const [a, b] = [span('a'), span('b')];
  t.true(a[0] < b[1] && b[0] < a[1], `the two scripts overlapped in time (a ${a}, b ${b})`);
  t.is(hostLinks(), before, 'no device appeared on the host');
  rmSync(dir, { recursive: true });
});

kernelTest('Ctrl-C: children stopped, summary printed, exit 130, nothing left behind', async (t) => {
  const tag = `MPTCPDRILL_SUITE_TEST=${process.pid}-${Date.now()}`;
  const duration = `60.${process.pid % 1000}`;
  const sleeper = `\`sleep ${duration}\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`;
  const ours = (): Array<{ pid: number; comm: string }> => processesOf(tag, `sleep\0${duration}\0`);
  const dir = suite({ 'a.pkt': sleeper, 'b.pkt': sleeper, 'c.pkt': sleeper });
  const before = hostLinks();
  const [key, value] = tag.split('=') as [string, string];
  const child = spawn(process.execPath, [SUITE_BIN, '--target', 'kernel', '-j', '2', '--format', 'ktap', dir], { env: { ...process.env, [key]: value }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // Wait until both scripts' shell commands are running inside their namespaces.
  const deadline = Date.now() + 60_000;
  while (ours().filter((p) => p.comm === 'sleep').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  t.is(ours().filter((p) => p.comm === 'sleep').length, 2, 'two scripts were running');
  child.kill('SIGINT');
  const code = await exited;
  t.is(code, 130);
  t.regex(out, /^Bail out! interrupted after 0 of 3 scripts$/m);
  t.regex(out, /^# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:0 error:0$/m);
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(ours(), [], 'no child, unshare or shell command left (their namespaces are gone with them)');
  t.is(hostLinks(), before, 'no tun device left on the host');
  rmSync(dir, { recursive: true });
});
