// The long-lived Python worker that runs `%{ }%` blocks: one per process, fresh globals and
// environment per script, restarted when it dies or runs too long, never keeping Node alive and
// never outliving it.

import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBlocks, type RecordedBlock } from '../src/engine/python-blocks.js';
import { pythonWorkerPids } from '../src/engine/python-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-pyworker-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** This process's umask, in octal, as the worker inherits it. */
const umask = (): string => /^Umask:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!.replace(/^0+(?=.)/, '');

const block = (code: string, firstLine = 10, values: RecordedBlock['values'] = {}): RecordedBlock => ({ firstLine, code, values });
const run = (blocks: RecordedBlock[], opts: Parameters<typeof runBlocks>[3] = {}, cwd = dir) => runBlocks(blocks, 'python3', cwd, opts);

// The tests share this process's worker, so they run one after another.
test.serial('scripts share one worker, each with fresh globals, environment and folder', async (t) => {
  const other = join(dir, 'other');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(dir, 'helper_mod.py'), 'WHERE = "first"\n');
  writeFileSync(join(other, 'helper_mod.py'), 'WHERE = "second"\n');
  const first = await run([block([
    'import os, sys, helper_mod',
    'leaked = 1',
    'os.environ["LEAKED"] = "yes"',
    'sys.argv.append("x")',
    'import signal; signal.signal(signal.SIGUSR1, signal.SIG_IGN); os.umask(0o077)',
    'assert helper_mod.WHERE == "first"',
    'assert os.environ["FOO"] == "bar" and os.getcwd() == ' + JSON.stringify(dir),
  ].join('\n'), 10, { tcpi_state: 1 })], { env: { FOO: 'bar' } });
  t.deepEqual(first, { ok: true, output: '' });
  const pids = pythonWorkerPids();
  t.is(pids.length, 1);
  const second = await run([block([
    'import os, sys, helper_mod',
    'assert "leaked" not in globals()',
    'assert "LEAKED" not in os.environ and "FOO" not in os.environ',
    // As packetdrill's `python3` through a version manager's shim, which puts its folders first.
    'assert os.environ.get("PATH", "").endswith(' + JSON.stringify(process.env.PATH ?? '') + ')',
    'assert helper_mod.WHERE == "second", helper_mod.WHERE',
    'assert sys.argv == ["-c"], sys.argv',
    'import signal; assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL',
    `m = os.umask(0); os.umask(m); assert m == 0o${umask()}, oct(m)`,
    'assert tcpi_state == 7',
  ].join('\n'), 10, { tcpi_state: 7 })], {}, other);
  t.deepEqual(second, { ok: true, output: '' });
  t.deepEqual(pythonWorkerPids(), pids, 'the same process ran both');
  // Folders relative to this process's own, as a suite given relative paths has them.
  const rel = relative(process.cwd(), other);
  for (let i = 0; i < 2; i++) t.deepEqual(await run([block(`import os\nassert os.getcwd() == ${JSON.stringify(other)}`)], {}, rel), { ok: true, output: '' });
});

test.serial('errors keep their messages and script lines; prints never corrupt the protocol', async (t) => {
  const big = await run([
    block('print("x" * 200000)\nimport sys; sys.stderr.write("to stderr\\n")\nimport os; os.system("echo from a child")', 3),
    block('print("\\x00\\x00\\x00\\x10{\\"ok\\": true}")\nassert tcpi_state == 1, "state is %d" % tcpi_state', 8, { tcpi_state: 4 }),
  ]);
  t.like(big, { ok: false, kind: 'assert', line: 9, message: 'state is 4' });
  t.true(big.output.includes('x'.repeat(200000)));
  t.true(big.output.includes('to stderr\n'));
  t.true(big.output.includes('from a child\n'));
  t.true(big.output.includes('{"ok": true}'));
  t.false(big.output.includes('mptcpdrill-python-done'));

  t.like(await run([block('x = 1\nraise ValueError("no")', 5)]), { ok: false, kind: 'exception', line: 6, message: 'ValueError: no' });
  t.like(await run([block('print tcpi_state', 4)]), { ok: false, kind: 'syntax', line: 4 });
  t.like(await run([block('import sys\nsys.exit(2)', 4)]), { ok: false, kind: 'exception', line: 5, message: 'SystemExit: 2' });
  // A block that reads stdin finds it empty (never the protocol's stream).
  t.deepEqual(await run([block('import sys\nassert sys.stdin.read() == ""')]), { ok: true, output: '' });
});

test.serial('a worker that dies is replaced at the next script', async (t) => {
  await run([block('pass')]);
  const before = pythonWorkerPids();
  const died = await run([block('print("bye", flush=True)\nimport os\nos._exit(3)')]);
  t.deepEqual(died, { ok: false, kind: 'interpreter', message: 'python3 exited with status 3', output: 'bye\n' });
  t.deepEqual(await run([block('assert 1')]), { ok: true, output: '' });
  const after = pythonWorkerPids();
  t.is(after.length, 1);
  t.notDeepEqual(after, before);

  // Killed from outside while idle, even just before a script's request: the request goes to a fresh one.
  process.kill(after[0]!, 'SIGKILL');
  t.deepEqual(await run([block('assert 1')]), { ok: true, output: '' });
  t.notDeepEqual(pythonWorkerPids(), after);

  // A block that leaves the worker unusable (its stdout closed) gets its answer; the next script a fresh worker.
  const broken = pythonWorkerPids();
  t.deepEqual(await run([block('import sys\nsys.stdout.close()')]), { ok: true, output: '' });
  t.deepEqual(await run([block('print("fine")')]), { ok: true, output: 'fine\n' });
  t.notDeepEqual(pythonWorkerPids(), broken);
});

test.serial('a block that never ends is killed at the limit, as the one-shot process was', async (t) => {
  const began = Date.now();
  const r = await run([block('print("looping", flush=True)\nwhile True:\n    pass')], { timeoutMs: 1000 });
  t.deepEqual(r, { ok: false, kind: 'interpreter', message: 'python3 exited with status killed', output: 'looping\n' });
  t.true(Date.now() - began < 10_000);
  t.deepEqual(await run([block('assert 2 > 1')]), { ok: true, output: '' });
});

test.serial('scripts running at the same time take turns', async (t) => {
  const results = await Promise.all([1, 2, 3].map((i) => run([block(`import time\ntime.sleep(0.05)\nassert ${i} == ${i}`)])));
  t.deepEqual(results, [1, 2, 3].map(() => ({ ok: true, output: '' })));
});

test.serial('an interpreter that cannot start is reported as before', async (t) => {
  const r = await runBlocks([block('pass')], 'python-none-such', dir);
  t.like(r, { ok: false, kind: 'interpreter' });
  t.regex(r.ok ? '' : r.message, /^cannot run python-none-such: .*ENOENT/);
});

const ENTRY = fileURLToPath(new URL('../src/engine/python-blocks.js', import.meta.url));
const WORKER = fileURLToPath(new URL('../src/engine/python-worker.js', import.meta.url));

/** Runs `body` in a fresh Node process with runBlocks and pythonWorkerPids in scope. */
function node(body: string): ReturnType<typeof spawn> {
  const code = `import { runBlocks } from ${JSON.stringify(ENTRY)}; import { pythonWorkerPids } from ${JSON.stringify(WORKER)};\n${body}`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

function lines(child: ReturnType<typeof spawn>): AsyncIterator<string> {
  let buf = '';
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) { queue.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
    wake?.();
  });
  child.on('close', () => { ended = true; wake?.(); });
  return {
    async next() {
      while (queue.length === 0 && !ended) await new Promise<void>((r) => { wake = r; });
      return queue.length ? { value: queue.shift()!, done: false } : { value: '', done: true };
    },
  };
}

/** Whether `pid` is gone (a zombie nobody reaps counts as gone). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (gone(pid)) return true;
  return gone(pid);
}

test.serial('the worker never keeps Node alive', async (t) => {
  const child = node(`const r = await runBlocks([{ firstLine: 1, code: 'assert 1', values: {} }], 'python3', process.cwd());
console.log(JSON.stringify(r)); console.log(pythonWorkerPids()[0]);`);
  const out = lines(child);
  t.is((await out.next()).value, '{"ok":true,"output":""}');
  const pid = Number((await out.next()).value);
  t.true(pid > 0);
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(-1); }, 10_000);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  t.is(code, 0, 'Node exited by itself');
  t.true(await waitGone(pid, 5000), 'and the worker went with it');
});

for (const busy of [false, true]) {
  test.serial(`SIGKILL of Node leaves no python3 behind (${busy ? 'while a block runs' : 'idle worker'})`, async (t) => {
    const child = node(busy
      ? `runBlocks([{ firstLine: 1, code: 'while True:\\n    pass', values: {} }], 'python3', process.cwd(), { timeoutMs: 600000 });
setTimeout(() => console.log(pythonWorkerPids()[0]), 500);`
      : `await runBlocks([{ firstLine: 1, code: 'assert 1', values: {} }], 'python3', process.cwd());
console.log(pythonWorkerPids()[0]); setInterval(() => {}, 1000);`);
    const out = lines(child);
    const pid = Number((await out.next()).value);
    t.true(pid > 0);
    t.false(gone(pid));
    child.kill('SIGKILL');
    t.true(await waitGone(pid, 5000), `python3 ${pid} is still running`);
  });
}
