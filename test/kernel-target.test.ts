// KernelTarget against the live kernel. Each scenario runs test/kernel-target-entry.ts in a fresh
// network namespace (reexecInFreshNetns) and reports what it saw as JSON. These tests need root;
// CI runs as root, so without it they fail (loudly) instead of skipping.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inPrivateNetns, NETNS_ENV, preflight, reexecInFreshNetns } from '../src/targets/kernel/netns.js';
import { KernelTarget } from '../src/targets/kernel/kernel-target.js';
import { KERNEL_NODE_FLAGS } from '../src/targets/kernel/node-flags.js';
import { TargetUnavailable } from '../src/targets/target.js';
import { waitFor } from './helpers/wait.js';

const ENTRY = fileURLToPath(new URL('./kernel-target-entry.js', import.meta.url));
const MODULE = fileURLToPath(new URL('../src/targets/kernel/netns.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/mptcpdrill.js', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obs = Record<string, any>;

function requireRoot(t: ExecutionContext): void {
  if (process.getuid?.() !== 0) t.fail('kernel target tests need root (CI runs them as root)');
}

function runScenario(name: string): Promise<Obs> {
  return new Promise((resolve, reject) => {
    const child = reexecInFreshNetns([ENTRY, name], process.env, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', () => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try { resolve(JSON.parse(line) as Obs); } catch { reject(new Error(`scenario ${name} printed no result: ${stdout}${stderr}`)); }
    });
  });
}

const hostState = () => ({
  links: execFileSync('ip', ['-o', 'link', 'show']).toString().split('\n').map((l) => l.replace(/^\d+: /, '').split(':')[0]).sort(),
  netns: execFileSync('ip', ['netns', 'list']).toString(),
  runNetns: (() => { try { return readdirSync('/run/netns').sort(); } catch { return []; } })(),
});

test.serial('passive MPTCP open: SYN/ACK with a key, blocking accept, TCP_INFO and MPTCP_INFO', async (t) => {
  requireRoot(t);
  const o = await runScenario('passive');
  t.is(o.error, undefined);
  t.deepEqual([o.reuse, o.bind, o.listen], [0, 0, 0]);
  t.like(o.synAck, { flags: 0x12, ack: 1001, src: '192.168.0.2', dst: '192.0.2.1', mpcVersion: 1, hasKey: true });
  t.true(o.acceptStillBlocked, 'accept returned before the third ACK');
  t.true(o.accept.ret >= 0);
  t.deepEqual(o.accept.addr, { family: 'inet', address: '192.0.2.1', port: 40000 });
  t.like(o.tcpInfo, { optlen: 280, tcpi_state: 1, tcpi_snd_wscale: 7, tcpi_snd_mss: 1448, tcpi_snd_cwnd: 10, tcpi_pmtu: 1500 });
  t.is(o.tcpInfo.tcpi_options & 0x7, 0x7, 'timestamps, SACK and window scaling negotiated');
  t.like(o.mptcpInfo, { optlen: 96, mptcpi_subflows: 0, mptcpi_subflows_total: 1, mptcpi_csum_enabled: 0 });
  t.is(o.mptcpInfo.mptcpi_flags & 2, 2, 'remote key received');
  t.not(o.mptcpInfo.mptcpi_token, 0);
  t.deepEqual(o.blockingRead, { ret: 100, sevens: true });
  t.deepEqual(o.nonblockingRead, { ret: -1, errno: 'EAGAIN' });
  t.deepEqual(o.poll, { ret: 1, revents: [4] });
  t.is(o.epollCtl, 0);
  t.deepEqual(o.epollWait, { ret: 1, events: [{ events: 4, data: '1122334455667788' }] });
  t.deepEqual(o.badClose, { ret: -1, errno: 'EBADF' });
  t.deepEqual(o.write, { ret: 10, payloadLen: 10, dss: true });
});

for (const v of ['4', '6'] as const) {
  test.serial(`active MPTCP open over IPv${v}: EINPROGRESS, SYN with MP_CAPABLE, blocking connect`, async (t) => {
    requireRoot(t);
    const o = await runScenario(`active${v}`);
    t.is(o.error, undefined);
    t.deepEqual(o.nonblockingConnect, { ret: -1, errno: 'EINPROGRESS' });
    t.like(o.syn, v === '4'
      ? { flags: 2, src: '192.168.0.2', dst: '192.0.2.1', mpc: { version: 1, hasKey: false } }
      : { flags: 2, src: 'fd3d:fa7b:d17d::', dst: '2001:db8::1', mpc: { version: 1, hasKey: false } });
    t.true(o.connectStillBlocked, 'connect returned before the SYN/ACK');
    t.is(o.blockingConnect.ret, 0);
    t.deepEqual(o.thirdAck, { flags: 0x10, receiverKey: '102030405060708' });
    t.is(o.linger, 0);
    t.true(o.finWhileClosing, 'the FIN was not read while close() lingered');
    t.is(o.lingerClose.ret, 0);
    t.true(o.lingerClose.lingeredUs >= 900_000, 'close() did not wait for the linger time');
  });
}

test.serial('shell warnings, timeouts, pipes, and close() releasing a blocked accept', async (t) => {
  requireRoot(t);
  const o = await runScenario('misc');
  t.is(o.error, undefined);
  t.is(o.cubic.warnings.length, 1);
  t.regex(o.cubic.warnings[0], /"cubic".*reno bbr/);
  t.is(o.cubicFromFile.code, 1);
  t.regex(o.cubicFromFile.warnings[0] ?? '', /asked for another default congestion control .*use "(bbr|reno)" instead/);
  t.deepEqual(o.reno, { code: 0, warnings: [] });
  t.regex(o.ipShow, /inet 192\.168\.0\.2\/16/);
  t.regex(o.ipShow, /192\.0\.2\.0\/24 via 192\.168\.0\.1 dev tun0/);
  t.regex(o.ipShow, /\n0\n\/tmp\n$/, 'blackhole_timeout 0, cwd honoured');
  t.is(o.timeout.code, 124);
  t.regex(o.timeout.stderr, /timed out/);
  t.deepEqual(o.pipe, { ret: 0, read: 3 });
  t.is(o.pendingAccept.settled, 'rejected');
  t.true(o.closeUs < 2_000_000);
  t.deepEqual(o.fdsAfterClose, ['EBADF', 'EBADF', 'EBADF']);
});

test.serial('two targets in a row, each in a namespace the main thread entered: the threads serve both, nothing holds the first afterwards', async (t) => {
  requireRoot(t);
  const o = await runScenario('consecutive');
  t.is(o.error, undefined);
  t.is(o.runs.length, 2);
  const [a, b] = o.runs;
  t.not(a.ns, b.ns, 'each target had a namespace of its own');
  for (const run of o.runs) {
    t.deepEqual(run.links, ['lo', 'tun0'], 'a fresh namespace: loopback and the test device only');
    t.is(run.workerThreadsInside, 1, 'only the main thread entered the namespace (the threads were started before)');
    t.is(run.synAck, 0x12, 'the SYN/ACK came back through the shared capture thread');
    t.true(run.accept, 'the blocking accept returned through the shared pool');
    t.true(run.back, 'the main thread went back to its own namespace');
    t.deepEqual([run.threadsLeft, run.descriptorsLeft, run.processesLeft], [[], [], []], 'nothing holds the namespace once the target is closed');
  }
});

test.serial('packets injected at a time go in at that time, and the kernel\'s answers are stamped by the kernel, after their cause', async (t) => {
  requireRoot(t);
  const o = await runScenario('timing');
  t.is(o.error, undefined);
  t.is(o.stamped, 'kernel', 'packets come from the packet socket with the kernel\'s stamps');
  t.is(o.rounds.length, 10);
  for (const r of o.rounds) {
    // Loose bounds (timing is measured by the benchmark, not asserted): never early, never absurd.
    t.true(r.late >= 0 && r.late < 100_000, `injected ${r.late} µs after its time`);
    t.true(r.gap > 0 && r.gap < 100_000, `SYN/ACK stamped ${r.gap} µs after its SYN`);
  }
});

test.serial('open() refuses to run in the host namespace and creates nothing there', async (t) => {
  requireRoot(t);
  const before = hostState();
  t.false(inPrivateNetns());
  const target = new KernelTarget();
  const err = await t.throwsAsync(target.open({
    ipVersion: 'ipv4', localIp: '192.168.0.2', remoteIp: '192.0.2.1', remotePrefix: 24, gatewayIp: '192.168.0.1',
    netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0',
  }));
  t.true(err instanceof TargetUnavailable);
  t.regex(err?.message ?? '', /own network namespace/);
  await target.close();
  t.deepEqual(hostState(), before);
});

test.serial('a forged namespace marker in the host namespace does not count as private', (t) => {
  requireRoot(t);
  // Only the pure check runs here: nothing in this test may configure the host namespace.
  const script = `import(${JSON.stringify(MODULE)}).then((m) => process.stdout.write(String(m.inPrivateNetns())))`;
  const hostNs = execFileSync('readlink', ['/proc/self/ns/net']).toString().trim();
  for (const marker of ['net:[1]', hostNs, '1']) {
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, [NETNS_ENV]: marker } }).toString();
    t.is(out, 'false', `marker ${marker}`);
  }
});

test.serial('open() refuses a namespace that already has other interfaces', async (t) => {
  requireRoot(t);
  const o = await runScenario('notfresh');
  t.regex(o.error ?? '', /TargetUnavailable: The test namespace is not fresh \(it has veth\d, veth\d\)/);
});

test('preflight passes as root and names the missing privilege otherwise', (t) => {
  requireRoot(t);
  t.is(preflight(), null);
  const script = `import(${JSON.stringify(MODULE)}).then((m) => process.stdout.write(String(m.preflight())))`;
  const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script]).toString();
  t.regex(out, /needs root.*run as root or with CAP_NET_ADMIN/);
});

test.serial('a SIGKILLed run leaves no namespace, tun device or process behind', async (t) => {
  requireRoot(t);
  const before = hostState();
  const child = reexecInFreshNetns([ENTRY, 'hang'], process.env, { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ pid: number } | null>((resolve) => {
    let s = '';
    child.stdout?.on('data', (d: Buffer) => {
      s += d.toString();
      if (s.includes('\n')) resolve(JSON.parse(s.split('\n')[0]!) as { pid: number });
    });
    child.on('close', () => resolve(null));
  });
  t.truthy(ready, 'the scenario did not get ready');
  const ns = execFileSync('readlink', [`/proc/${ready!.pid}/ns/net`]).toString().trim();
  // The namespace really had a tun device with the test address while it lived.
  const inside = execFileSync('nsenter', ['-t', String(ready!.pid), '-n', 'ip', '-o', 'addr', 'show', 'dev', 'tun0']).toString();
  t.regex(inside, /192\.168\.0\.2\/16/);
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
  t.deepEqual(hostState(), before);
  // The kernel frees a namespace asynchronously once its last task is reaped: allow it a moment.
  const nsId = ns.replace(/\D/g, '');
  const alive = (): boolean => execFileSync('lsns', ['-t', 'net', '-n', '-o', 'NS']).toString().split('\n').some((l) => l.trim() === nsId);
  for (let i = 0; i < 30 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(alive(), `namespace ${ns} still exists`);
});

test.serial('the namespaced run dies with the process that started it', async (t) => {
  requireRoot(t);
  // An intermediate node process starts the namespaced run and is then SIGKILLed itself.
  const launcher = `import(${JSON.stringify(MODULE)}).then((m) => { const c = m.reexecInFreshNetns([${JSON.stringify(ENTRY)}, 'hang'], process.env, { stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.pipe(process.stdout); })`;
  const parent = spawn(process.execPath, ['-e', launcher], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number | null>((resolve) => {
    let s = '';
    parent.stdout.on('data', (d: Buffer) => {
      s += d.toString();
      if (s.includes('\n')) resolve((JSON.parse(s.split('\n')[0]!) as { pid: number }).pid);
    });
    parent.on('close', () => resolve(null));
  });
  t.truthy(pid, 'the namespaced run did not start');
  parent.kill('SIGKILL');
  const gone = await waitFor(() => !existsSync(`/proc/${pid}`), 5000);
  t.true(gone, `process ${pid} outlived its parent`);
});


test.serial('run --target kernel FILE: the command itself (relaunched with the kernel V8 flags) enters a fresh namespace; SIGKILLed, it leaves no process, namespace or device', async (t) => {
  requireRoot(t);
  const before = hostState();
  const dir = mkdtempSync(join(tmpdir(), 'kernel-run-'));
  const duration = `40.${process.pid % 1000}`;
  writeFileSync(join(dir, 'a.pkt'), `\`tr '\\0' ' ' < /proc/$PPID/cmdline > ${dir}/cmdline; echo $PPID $(readlink /proc/self/ns/net) > ${dir}/info; sleep ${duration}\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`);
  const run = spawn(process.execPath, [BIN, 'run', '--target', 'kernel', join(dir, 'a.pkt')], { stdio: 'ignore' });
  const info = (): string[] | null => { try { return readFileSync(join(dir, 'info'), 'utf8').trim().split(' '); } catch { return null; } };
  t.true(await waitFor(() => info() !== null, 30_000), 'the script did not start');
  const [parent, ns] = info()!;
  t.is(Number(parent), run.pid ?? -1, 'the shell line is a child of the command itself: no second process');
  t.not(ns, readlinkSync('/proc/self/ns/net'), 'the script runs in another namespace');
  // The launcher re-executed itself (same pid) with the V8 flags of the suites' kernel workers.
  const cmdline = readFileSync(join(dir, 'cmdline'), 'utf8').split(' ');
  for (const flag of KERNEL_NODE_FLAGS) t.true(cmdline.includes(flag), `the run has ${flag}: ${cmdline.join(' ')}`);
  const sleepers = (): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readFileSync(`/proc/${d}/cmdline`, 'latin1') === `sleep\0${duration}\0`; } catch { return false; }
  }).map(Number);
  // The shell writes the info file before it starts sleep: wait for the exec.
  t.true(await waitFor(() => sleepers().length === 1, 10_000), 'the shell line started its sleep');
  // The watchdog holds the namespace open (its fd 3) while the script runs, so that its id cannot
  // go to a namespace another script makes after this one dies.
  const holders = (): string[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d) && d !== String(run.pid)).filter((d) => {
    try { return readlinkSync(`/proc/${d}/fd/3`) === ns; } catch { return false; }
  });
  t.true(await waitFor(() => holders().length === 1, 5000), 'the watchdog holds the namespace');
  const exited = new Promise((r) => run.on('exit', r));
  run.kill('SIGKILL');
  await exited;
  t.true(await waitFor(() => sleepers().length === 0, 5000), 'the watchdog ended the shell command');
  const inNs = (): number => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readlinkSync(`/proc/${d}/ns/net`) === ns; } catch { return false; }
  }).length;
  t.is(inNs(), 0, 'no process is left in the namespace');
  t.deepEqual(hostState(), before);
  rmSync(dir, { recursive: true });
});

test.serial('the kernel workers\' warm-up scripts pass on this kernel (else they would warm up less than they should)', async (t) => {
  requireRoot(t);
  const { WARM_UP_SCRIPTS } = await import('../src/suite/kernel-worker-warmup.js');
  const dir = mkdtempSync(join(tmpdir(), 'kernel-warm-up-'));
  for (const [kind, text] of Object.entries(WARM_UP_SCRIPTS)) {
    writeFileSync(join(dir, `${kind}.pkt`), text);
    const out = execFileSync(process.execPath, [BIN, 'run', '--target', 'kernel', join(dir, `${kind}.pkt`)], { encoding: 'utf8' });
    t.regex(out, /^PASS /m, kind);
  }
  rmSync(dir, { recursive: true });
});

test.serial('collectGarbage() collects the whole heap the first time, then the young generation', async (t) => {
  const { collectGarbage } = await import('../src/suite/kernel-worker-warmup.js');
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) kinds.push((e as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ['gc'] });
  const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
  collectGarbage();
  await flush();
  t.true(kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR), `a full collection first (kinds ${kinds.join(', ')})`);
  kinds.length = 0;
  collectGarbage();
  await flush();
  observer.disconnect();
  t.deepEqual(kinds, [constants.NODE_PERFORMANCE_GC_MINOR], 'then only the young generation');
});
