// The suite runner on the live kernel (root, as in CI): scripts run in parallel, each in a network
// namespace of its own, in long-lived kernel workers (src/suite/kernel-worker.ts); a worker that
// dies is replaced, and Ctrl-C, SIGTERM or SIGKILL of the suite leave nothing behind.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
};

const netnsOf = (pid: number | string): string | null => {
  try { return readlinkSync(`/proc/${pid}/ns/net`); } catch { return null; }
};

/** Pids of the processes sitting in network namespace `ns` (their main thread). */
const processesIn = (ns: string): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d) && netnsOf(d) === ns).map(Number);

kernelTest('-j 1: one worker runs both scripts, each in a fresh namespace; the first one is gone while the second runs', async (t) => {
  // Each script records its shell's pid, its parent (the worker) and its namespace, then sleeps
  // so that the test can look at the namespace while the script runs.
  const dir = suite({});
  const body = (name: string): string =>
    `\`echo $$ $PPID $(readlink /proc/self/ns/net) > ${join(dir, name)}.tmp && mv ${join(dir, name)}.tmp ${join(dir, name)}.info && sleep 2\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n`;
  writeFileSync(join(dir, 'a.pkt'), body('a'));
  writeFileSync(join(dir, 'b.pkt'), body('b'));
  const child = spawn(process.execPath, [SUITE_BIN, '--target', 'kernel', '-j', '1', '--format', 'ktap', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const info = (name: string): { shell: number; worker: number; ns: string } | null => {
    try {
      const [shell, worker, ns] = readFileSync(join(dir, `${name}.info`), 'utf8').trim().split(' ');
      return { shell: Number(shell), worker: Number(worker), ns: ns! };
    } catch {
      return null;
    }
  };
  t.true(await waitFor(() => info('a') !== null, 60_000), `the first script did not run: ${out}`);
  const a = info('a')!;
  // Hold the first namespace (not its processes) to look into it after the script.
  const held = openSync(`/proc/${a.shell}/ns/net`, 'r');
  t.is(readlinkSync(`/proc/${process.pid}/fd/${held}`), a.ns);
  t.regex(spawnSync('nsenter', [`--net=/proc/${process.pid}/fd/${held}`, 'cat', '/proc/net/dev'], { encoding: 'utf8' }).stdout, /tun0:/, 'the first script has its tun device');
  t.true(await waitFor(() => info('b') !== null, 120_000), `the second script did not run: ${out}`);
  const b = info('b')!;
  t.is(b.worker, a.worker, 'the same worker process ran both scripts');
  t.not(b.ns, a.ns, 'the second script got a namespace of its own');
  const tasks = readdirSync(`/proc/${b.worker}/task`).map((tid) => netnsOf(`${b.worker}/task/${tid}`));
  t.false(tasks.includes(a.ns), 'no thread of the worker is left in the first namespace');
  t.true(tasks.includes(b.ns), 'the worker runs the second script inside its namespace');
  t.deepEqual(processesIn(a.ns), [], 'no process is left in the first namespace');
  const devs = spawnSync('nsenter', [`--net=/proc/${process.pid}/fd/${held}`, 'cat', '/proc/net/dev'], { encoding: 'utf8' }).stdout;
  t.notRegex(devs, /tun0:/, 'the first script\'s tun device is gone');
  closeSync(held);
  t.is(await exited, 0, out);
  t.regex(out, /^# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0$/m);
  rmSync(dir, { recursive: true });
});

kernelTest('a script that kills its worker is an error, the next script runs in a new worker, and what the first left is killed', async (t) => {
  const duration = `30.${process.pid % 1000}`;
  const dir = suite({
    'a-kills.pkt': `\`kill -9 $PPID; sleep ${duration}\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`,
    'b.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n',
  });
  const before = hostLinks();
  const r = spawnSync(process.execPath, [SUITE_BIN, '--target', 'kernel', '-j', '1', '--format', 'ktap', dir], { encoding: 'utf8' });
  const results = r.stdout.split('\n').filter((l) => /^(not )?ok \d/.test(l)).map((l) => l.replace(dir + '/', ''));
  t.is(results.length, 2, r.stdout + r.stderr);
  t.regex(results[0]!, /^not ok 1 a-kills\.pkt # error .*killed by SIGKILL/);
  t.is(results[1], 'ok 2 b.pkt');
  t.is(r.status, 2);
  // The worker's watchdog kills what was left in the dead worker's namespace.
  const sleeper = (): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readFileSync(`/proc/${d}/cmdline`, 'latin1') === `sleep\0${duration}\0`; } catch { return false; }
  }).map(Number);
  t.true(await waitFor(() => sleeper().length === 0, 5000), `the killed worker's shell command is still running: ${sleeper()}`);
  t.is(hostLinks(), before, 'no device appeared on the host');
  rmSync(dir, { recursive: true });
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  kernelTest(`${signal} to the suite: workers, shell commands and namespaces all gone`, async (t) => {
    const tag = `MPTCPDRILL_SUITE_TEST=${process.pid}-${signal}-${Date.now()}`;
    const duration = `60.${(process.pid + (signal === 'SIGKILL' ? 1 : 2)) % 1000}`;
    const sleeper = `\`echo $(readlink /proc/self/ns/net) >> NSFILE; sleep ${duration}\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`;
    const ours = (): Array<{ pid: number; comm: string }> => processesOf(tag, `sleep\0${duration}\0`);
    const dir = suite({});
    const nsFile = join(dir, 'ns');
    for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, `${n}.pkt`), sleeper.replace('NSFILE', nsFile));
    const before = hostLinks();
    const [key, value] = tag.split('=') as [string, string];
    const child = spawn(process.execPath, [SUITE_BIN, '--target', 'kernel', '-j', '2', '--format', 'ktap', dir], { env: { ...process.env, [key]: value }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    t.true(await waitFor(() => ours().filter((p) => p.comm === 'sleep').length === 2, 60_000), 'two scripts were running');
    const namespaces = readFileSync(nsFile, 'utf8').trim().split('\n');
    t.is(namespaces.length, 2);
    child.kill(signal);
    await exited;
    t.true(await waitFor(() => ours().length === 0, 5000), `left behind: ${JSON.stringify(ours())}`);
    for (const ns of namespaces) t.deepEqual(processesIn(ns), [], `no process left in ${ns}`);
    t.is(hostLinks(), before, 'no tun device left on the host');
    rmSync(dir, { recursive: true });
  });
}
