// Nothing left behind (issue 17): SIGINT, SIGTERM and SIGKILL sent to `mptcpdrill run` at
// several moments, for a file and a folder, on the bundled stack (in process and in child
// processes) and on the kernel, leave no process the script started, no network namespace it
// held, and no temporary file. The script's shell lines start children of their own (what a bare
// SIGKILL of the shell would leave running): a line the in-process shell cannot run (it goes to
// /bin/sh) and a program the in-process shell starts.

import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './helpers/paths.js';
import { waitFor } from './helpers/wait.js';

const isRoot = process.getuid?.() === 0;
const canKernel = isRoot && existsSync('/dev/net/tun');

type Signal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';
type Moment = 'starting' | 'in a shell line';

let marker = 0;

/** A script whose shell line leaves two children of its own running (`sleep` with a unique time). */
function script(dir: string, kind: 'sh' | 'program'): { text: string; pattern: RegExp } {
  const a = `7${String(++marker).padStart(2, '0')}.25`;
  const b = `7${String(++marker).padStart(2, '0')}.75`;
  const started = join(dir, 'started');
  // `&` is for /bin/sh; `sh -c '…'` is a program the in-process shell starts.
  const line = kind === 'sh'
    ? `touch ${started}; sleep ${a} & sleep ${b}; wait`
    : `sh -c 'touch ${started}; sleep ${a} & sleep ${b}; wait'`;
  return {
    text: `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 \`${line}\`\n+0 close(3) = 0\n`,
    // The sleeps themselves, not the shells whose command lines mention them.
    pattern: new RegExp(`^\\s*\\d+ sleep (${a.replace('.', '\\.')}|${b.replace('.', '\\.')})$`),
  };
}

function processesMatching(pattern: RegExp): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => pattern.test(l));
}

/** Named network namespaces (`ip netns`); the kernel target's own are anonymous, held by its processes. */
function netnsIds(): Set<string> {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return new Set(r.stdout.split('\n').map((l) => l.trim().split(' ')[0]!).filter(Boolean));
}

const until = (check: () => boolean, ms: number): Promise<boolean> => waitFor(check, ms, 50);

interface Case {
  target: 'ts' | 'kernel';
  how: 'file' | 'folder' | 'folder, child processes';
  kind: 'sh' | 'program';
  signal: Signal;
  moment: Moment;
  /** Sent to the whole process group (Ctrl-C in a terminal), not only to mptcpdrill. */
  group?: boolean;
}

async function interrupt(t: ExecutionContext, c: Case): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-interrupt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const scratch = join(dir, 'tmp');
  mkdirSync(scratch);
  const { text, pattern } = script(dir, c.kind);
  mkdirSync(join(dir, 'suite'));
  const file = join(dir, 'suite', 'leave.pkt');
  writeFileSync(file, text);
  // A file alone runs as a single script (no suite around it); a folder as a suite.
  const args = ['run', '--target', c.target, ...(c.how === 'file' ? [] : ['--format', 'tap'])];
  if (c.how === 'folder, child processes') args.push('--ts-processes');
  args.push(c.how === 'file' ? file : join(dir, 'suite'));
  const before = c.target === 'kernel' ? netnsIds() : new Set<string>();

  // In a process group of its own, so a signal can go to the whole group as a terminal's Ctrl-C does.
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  if (c.moment === 'in a shell line') {
    t.true(await until(() => existsSync(join(dir, 'started')) && processesMatching(pattern).length === 2, 60_000), `the shell line started: ${out}`);
  } else {
    await new Promise((r) => setTimeout(r, 150));
  }
  if (c.group) process.kill(-child.pid!, c.signal);
  else child.kill(c.signal);
  const code = await exited;
  // Once running, SIGINT and SIGTERM end the run as an interrupted one; while it starts, the
  // signal's default action may still end it first.
  // (Ctrl-C to the group also ends the program the shell line waits for, which may be reported as
  // that script's failure just before the interruption: 1.)
  // (A suite stopped while its in-process shell waits for a program ends by the signal itself.)
  const signalDeath = c.how === 'file' || c.moment === 'starting' || (c.how === 'folder' && c.kind === 'program');
  if (c.signal !== 'SIGKILL') t.true(code === 130 || (code === 1 && c.group === true) || (code === null && signalDeath), `exit ${code}: ${out}`);

  // Whatever the script started is gone within a second or two (a SIGKILLed run cannot clean up
  // itself: its watchdog and the parent-death signals do it).
  const clean = await until(() => processesMatching(pattern).length === 0 && readdirSync(scratch).length === 0, 5_000);
  t.true(clean, `left behind: ${processesMatching(pattern).join('; ')} ${readdirSync(scratch).join(' ')}`);
  if (c.target === 'kernel') {
    const leftover = await until(() => [...netnsIds()].every((ns) => before.has(ns)), 5_000);
    t.true(leftover, 'no network namespace left');
  }
}

const cases: Case[] = [];
for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
  cases.push({ target: 'ts', how: 'file', kind: 'sh', signal, moment: 'in a shell line' });
  cases.push({ target: 'ts', how: 'file', kind: 'program', signal, moment: 'in a shell line' });
  cases.push({ target: 'ts', how: 'folder', kind: 'sh', signal, moment: 'in a shell line' });
  // A SIGKILLed suite's --ts-processes children die with it (their parent-death signal).
  cases.push({ target: 'ts', how: 'folder, child processes', kind: 'program', signal, moment: 'in a shell line' });
  // While the in-process shell waits for a program, no handler can run: the signal's default
  // action ends the suite at once (src/targets/process-groups.ts withDefaultStopSignals), sent to
  // the suite alone or, as Ctrl-C, to its whole process group.
  cases.push({ target: 'ts', how: 'folder', kind: 'program', signal, moment: 'in a shell line' });
  if (signal !== 'SIGKILL') cases.push({ target: 'ts', how: 'folder', kind: 'program', signal, moment: 'in a shell line', group: true });
  cases.push({ target: 'ts', how: 'folder', kind: 'sh', signal, moment: 'starting' });
  cases.push({ target: 'kernel', how: 'file', kind: 'sh', signal, moment: 'in a shell line' });
  cases.push({ target: 'kernel', how: 'folder', kind: 'sh', signal, moment: 'in a shell line' });
  cases.push({ target: 'kernel', how: 'file', kind: 'sh', signal, moment: 'starting' });
}

for (const c of cases) {
  test.serial(`${c.signal} to ${c.group ? 'the process group of ' : ''}a ${c.target} ${c.how} run ${c.moment} (${c.kind === 'sh' ? '/bin/sh line' : 'program'}) leaves nothing behind`, async (t) => {
    if (c.target === 'kernel' && !canKernel) return t.pass('the kernel target needs root and /dev/net/tun');
    await interrupt(t, c);
    return undefined;
  });
}

test.serial('the shell time limit kills the whole process group: --timeout 2 ends a line whose children would run 80 s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-interrupt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const kind of ['sh', 'program'] as const) {
    const { text, pattern } = script(dir, kind);
    mkdirSync(join(dir, kind));
    writeFileSync(join(dir, kind, 'slow.pkt'), text.replace(/sleep 7\d\d\.\d\d/g, (m) => m.replace('sleep 7', 'sleep 8')));
    const slow = new RegExp(pattern.source.replace(/sleep \(7/, 'sleep (8').replace(/\|7/, '|8'));
    const began = Date.now();
    const r = spawnSync(process.execPath, [cliPath, 'run', '--timeout', '2', '--format', 'tap', join(dir, kind)], { encoding: 'utf8', timeout: 60_000 });
    const took = Date.now() - began;
    t.is(r.status, 1, r.stdout + r.stderr);
    t.regex(r.stdout, /not ok 1/);
    t.true(took < 30_000, `${kind}: took ${took} ms`);
    t.true(await until(() => processesMatching(slow).length === 0, 3_000), `${kind}: ${processesMatching(slow).join('; ')}`);
  }
  t.false(readFileSync('/proc/self/status', 'utf8') === '');
});
