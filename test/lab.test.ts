// `mptcpdrill lab`: the remote target's lab as named namespaces. Up, scripts run against it with
// `run --target remote --lab`, down, and nothing left: no namespace, link, process or nftables
// table, the host's own links, addresses, routes and tables as they were. Also a half-built lab
// (an `up` killed at several moments, and one built by hand with a process inside) removed by
// `down`, usage errors (2) and missing privileges (4). Needs root (CI runs as root).
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { cliPath } from './helpers/paths.js';
import { hasStackTrace, lines, runCli } from './helpers/cli.js';
import { processesInNetns } from '../src/targets/kernel/netns.js';
import { nftPath } from '../src/targets/remote/rst-guard.js';
import { isSuiteInvocation } from '../src/cli/run-invocation.js';

const NAME = `t${process.pid}`;
const tester = (name: string): string => `mptcpdrill-${name}-tester`;
const stack = (name: string): string => `mptcpdrill-${name}-stack`;
const netnsId = (netns: string): string => `net:[${statSync(`/run/netns/${netns}`).ino}]`;

/**
 * The id of a lab namespace, kept open until the test ends: Linux gives a namespace's inode number
 * to the next one made once the last reference goes, and the tests running alongside make many,
 * so a process found "in" a noted id could be another test's without this.
 */
const heldNetns: number[] = [];
function noteNetns(netns: string): string {
  const id = netnsId(netns);
  heldNetns.push(openSync(`/run/netns/${netns}`, 'r'));
  return id;
}
test.afterEach.always(() => {
  for (const fd of heldNetns.splice(0)) closeSync(fd);
});

function requireRoot(t: ExecutionContext): boolean {
  if (process.getuid?.() === 0) return true;
  t.fail('the lab tests need root (CI runs them as root)');
  return false;
}

/** What of the host's own network a lab must not change. */
function hostNetwork(): string {
  const run = (cmd: string, args: string[]): string => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { return `(${(e as Error).message})`; } };
  // nftPath(): under npm, node_modules/.bin has an unrelated `nft` first on PATH.
  return [run('ip', ['-o', 'link']), run('ip', ['-o', 'addr']), run('ip', ['route']), run(nftPath() ?? 'nft', ['list', 'tables'])].join('\n---\n')
    // Counters and timers of the host's links move on their own.
    .replace(/valid_lft \S+ preferred_lft \S+/g, '');
}

function assertNothingLeft(t: ExecutionContext, name: string, ids: string[]): void {
  t.false(existsSync(`/run/netns/${tester(name)}`), 'tester namespace removed');
  t.false(existsSync(`/run/netns/${stack(name)}`), 'stack namespace removed');
  for (const id of ids) t.deepEqual(processesInNetns(id), [], `no process left in ${id}`);
}

test.after.always(() => {
  for (const name of [NAME, `${NAME}-k`, `${NAME}-h`, `${NAME}-n`]) {
    try { execFileSync(process.execPath, [cliPath, 'lab', 'down', '--name', name], { stdio: 'ignore' }); } catch { /* best effort */ }
  }
});

test('usage errors exit 2 with one sentence and the usage', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['lab'], /missing the action: up, down or status/],
    [['lab', 'frob'], /the action is up, down or status, not "frob"/],
    [['lab', 'up', 'extra'], /unexpected argument extra/],
    [['lab', 'up', '--name', 'Bad Name!'], /a lab name is 1 to 24 lowercase letters/],
    [['lab', 'up', '--name', 'x'.repeat(25)], /a lab name is 1 to 24/],
    [['lab', 'up', '--stack', 'ts'], /--stack is kernel .*not "ts"/],
    [['lab', 'down', '--stack', 'kernel'], /--stack is for lab up/],
    [['lab', 'down', '--json'], /--json is for lab up and lab status/],
    [['lab', 'up', '--frob'], /unknown option --frob/],
    [['run', '--target', 'ts', '--lab', 'x', 'test/remote-scripts/server-capable.pkt'], /--lab is for --target remote/],
    [['run', '--target', 'remote', '--lab', 'x', '--iface', 'vethA', 'test/remote-scripts/server-capable.pkt'], /--lab gives the interface and both addresses/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(lines(r.stderr)[0] ?? '', message, args.join(' '));
    t.false(hasStackTrace(r.stderr));
  }
});

test('without root: one sentence, exit 4', async (t) => {
  if (!requireRoot(t)) return;
  const name = `${NAME}-n`;
  for (const action of ['up', 'down', 'status']) {
    const out = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, cliPath, 'lab', action, '--name', name], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('close', (code) => resolve({ code, err }));
    });
    t.is(out.code, 4, out.err);
    t.is(lines(out.err).length, 1, out.err);
    t.regex(out.err, /needs root/);
  }
  t.false(existsSync(`/run/netns/${tester(name)}`));
});

test.serial('up, scripts against the lab (each with a fresh stack namespace), down: nothing left', async (t) => {
  if (!requireRoot(t)) return;
  t.timeout(180_000);
  const before = hostNetwork();
  const up = await runCli(['lab', 'up', '--name', NAME, '--json']);
  t.is(up.status, 0, up.stderr);
  const status = JSON.parse(up.stdout) as { state: string; ours: string[]; stackAddresses: string[]; runCommand: string[] };
  t.is(status.state, 'up');
  t.deepEqual(status.ours, ['10.77.0.1', '10.77.0.2']);
  t.deepEqual(status.stackAddresses, ['10.77.0.10', '10.77.0.11']);
  t.deepEqual(status.runCommand, ['mptcpdrill', 'run', '--target', 'remote', '--lab', NAME, 'FILE.pkt']);
  t.is(hostNetwork(), before, 'the host network is as it was with the lab up');
  const ids = [noteNetns(tester(NAME))];

  const again = await runCli(['lab', 'up', '--name', NAME]);
  t.is(again.status, 2);
  t.regex(again.stderr, new RegExp(`lab ${NAME} is already up`));

  const text = await runCli(['lab', 'status', '--name', NAME]);
  t.is(text.status, 0);
  t.true(text.stdout.includes(`mptcpdrill run --target remote --lab ${NAME} FILE.pkt`), text.stdout);

  // server-announces adds an MPTCP endpoint and limits in the stack's namespace; server-capable
  // fails if they are still there (an unexpected ADD_ADDR), so the second run shows the renewal.
  for (const script of ['server-announces.pkt', 'server-capable.pkt', 'client-joins.pkt']) {
    const r = await runCli(['run', '--target', 'remote', '--lab', NAME, '--tolerance-scale', '3', `test/remote-scripts/${script}`]);
    t.is(r.status, 0, `${script}:\n${r.stdout}${r.stderr}`);
    ids.push(noteNetns(stack(NAME)));
    t.deepEqual(processesInNetns(netnsId(stack(NAME))), [], `${script}: its application was ended with the run`);
  }
  t.is(hostNetwork(), before, 'the host network is as it was after the runs');

  const down = await runCli(['lab', 'down', '--name', NAME]);
  t.is(down.status, 0, down.stderr);
  assertNothingLeft(t, NAME, ids);
  t.is(hostNetwork(), before, 'the host network is as it was');
  const gone = await runCli(['lab', 'status', '--name', NAME]);
  t.is(gone.status, 1);
  t.regex(gone.stdout, new RegExp(`lab ${NAME} is down`));
  const noLab = await runCli(['run', '--target', 'remote', '--lab', NAME, 'test/remote-scripts/server-capable.pkt']);
  t.is(noLab.status, 2);
  t.regex(noLab.stderr, new RegExp(`there is no lab ${NAME}: make it with mptcpdrill lab up --name ${NAME}`));
});

// The close is awaited from the spawn on: an `up` that finishes before its kill time (0.3 s here
// at times) has closed before a listener added after the kill would be there, and that wait
// never ended (the test hung until its limit).
test.serial('down removes what a killed up left, at any moment', async (t) => {
  if (!requireRoot(t)) return;
  // Seven ups and downs: minutes on a loaded CI machine.
  t.timeout(420_000);
  const name = `${NAME}-k`;
  const before = hostNetwork();
  let caught = 0;
  for (const delayMs of [150, 250, 350, 450, 600, 800, 1000]) {
    const child = spawn(process.execPath, [cliPath, 'lab', 'up', '--name', name], { stdio: 'ignore' });
    const closed = new Promise((resolve) => child.once('close', resolve));
    const ids: string[] = [];
    await new Promise<void>((resolve) => {
      // Note the namespaces as they appear, to check afterwards that no process is in them.
      const poll = setInterval(() => {
        for (const ns of [tester(name), stack(name)]) { try { if (!ids.includes(netnsId(ns))) ids.push(noteNetns(ns)); } catch { /* not yet */ } }
      }, 5);
      setTimeout(() => { child.kill('SIGKILL'); clearInterval(poll); resolve(); }, delayMs);
    });
    await closed;
    if (ids.length > 0) caught++;
    const down = await runCli(['lab', 'down', '--name', name]);
    t.is(down.status, 0, down.stderr);
    assertNothingLeft(t, name, ids);
  }
  t.true(caught > 0, 'some kill came while the namespaces existed');
  t.is(hostNetwork(), before);
});

test.serial('a half-built lab: status says so, up refuses, down removes it and its processes', async (t) => {
  if (!requireRoot(t)) return;
  const name = `${NAME}-h`;
  execFileSync('ip', ['netns', 'add', stack(name)]);
  const id = netnsId(stack(name));
  const sleeper = spawn('ip', ['netns', 'exec', stack(name), 'sleep', '300'], { stdio: 'ignore' });
  const sleeperGone = new Promise((resolve) => sleeper.once('close', resolve));
  for (let i = 0; i < 200 && processesInNetns(id).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.true(processesInNetns(id).length > 0, 'a process runs in the stack namespace');

  const status = await runCli(['lab', 'status', '--name', name]);
  t.is(status.status, 1);
  t.regex(status.stdout, new RegExp(`lab ${name} is half built: namespace ${tester(name)} is missing`));
  const up = await runCli(['lab', 'up', '--name', name]);
  t.is(up.status, 2);
  t.regex(up.stderr, new RegExp(`lab ${name} is half built .*mptcpdrill lab down --name ${name}`));
  const down = await runCli(['lab', 'down', '--name', name]);
  t.is(down.status, 0, down.stderr);
  t.regex(down.stdout, /ended processes \d+/);
  await sleeperGone;
  assertNothingLeft(t, name, [id]);
  const again = await runCli(['lab', 'down', '--name', name]);
  t.is(again.status, 0);
  t.regex(again.stdout, /nothing to remove/);
});

test('the package ships the lab\'s helpers (the application and the offload switch)', async (t) => {
  const pack = await new Promise<string>((resolve) => {
    const child = spawn('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', () => resolve(out));
  });
  const [info] = JSON.parse(pack) as Array<{ files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path);
  for (const helper of ['scripts/remote/mptcp-app.py', 'scripts/remote/offload.py']) t.true(files.includes(helper), helper);
});

test('a lab named like a folder here is the value of --lab, not a path to run', (t) => {
  // `test` is a folder of the checkout (AVA runs from its root): as a path it would make a suite run.
  t.true(isSuiteInvocation(['--target', 'remote', 'test', 'test/remote-scripts/server-capable.pkt']));
  t.false(isSuiteInvocation(['--target', 'remote', '--lab', 'test', 'test/remote-scripts/server-capable.pkt']));
});
