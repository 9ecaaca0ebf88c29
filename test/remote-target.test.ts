// The remote target end to end: this machine's kernel in namespace B plays the remote stack,
// reached over a veth pair from namespace A where the harness (scripts/remote/harness.ts)
// injects with raw sockets and captures with libpcap. Needs root (CI runs as root); without it
// these tests fail loudly rather than skip.

import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HarnessLine } from '../scripts/remote/harness.js';
import { nftPath } from '../src/targets/remote/rst-guard.js';
import { processesInNetns } from '../scripts/remote/veth-lab.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HARNESS = join(ROOT, 'dist', 'scripts', 'remote', 'harness.js');
const SCRIPTS = join(ROOT, 'test', 'remote-scripts');
const corpus = (): string[] => readdirSync(SCRIPTS).filter((f) => f.endsWith('.pkt') && !f.startsWith('.')).sort().map((f) => join(SCRIPTS, f));

function requireRoot(t: ExecutionContext): void {
  if (process.getuid?.() !== 0) t.fail('remote target end-to-end tests need root (CI runs them as root)');
}

/**
 * The harness in a fresh namespace A and a fresh pid namespace: the harness is its init, so when
 * it dies (also by SIGKILL, which --kill-child passes on from the unshare process) the kernel
 * kills everything started inside, shell lines included, and both namespaces go away.
 */
function startHarness(args: string[]): ChildProcess {
  return spawn('unshare', ['--net', '--pid', '--kill-child', '--mount-proc', '--', process.execPath, HARNESS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function runHarness(args: string[]): Promise<{ lines: HarnessLine[]; stderr: string; code: number | null }> {
  const child = startHarness(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as HarnessLine);
  return { lines, stderr, code };
}

/** A copy of a corpus script next to the others (shell lines use paths relative to it). */
function variant(t: ExecutionContext, from: string, edit: (text: string) => string): string {
  const file = join(SCRIPTS, `.variant-${process.pid}-${Math.random().toString(36).slice(2)}.pkt`);
  const text = readFileSync(join(SCRIPTS, from), 'utf8');
  const edited = edit(text);
  t.not(edited, text, 'the edit changed the script');
  writeFileSync(file, edited);
  t.teardown(() => rmSync(file, { force: true }));
  return file;
}

test.serial('every remote corpus script passes against the kernel in another namespace', async (t) => {
  requireRoot(t);
  const files = corpus();
  t.true(files.length >= 10, `the corpus has ${files.length} scripts`);
  const { lines, stderr, code } = await runHarness(files);
  t.is(code, 0, stderr);
  t.is(lines.length, files.length, stderr);
  for (const l of lines) t.is(l.status, 'pass', `${l.file}: ${l.failure ?? l.skipReasons?.join(' ') ?? ''}`);
});

test.serial('a script expecting the wrong DATA_ACK fails at that line', async (t) => {
  requireRoot(t);
  const file = variant(t, 'server-capable.pkt', (s) => s.replace('ecr 102, dss dack8=101 nocs>', 'ecr 102, dss dack8=102 nocs>'));
  const { lines, stderr } = await runHarness([file]);
  t.is(lines.length, 1, stderr);
  t.is(lines[0]!.status, 'fail');
  t.regex(lines[0]!.failure ?? '', /:11: .*dack/);
});

test.serial('the RST guard removes its table on close and tables of dead processes on install', async (t) => {
  requireRoot(t);
  const child = startHarness(['--guard-selftest']);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((resolve) => child.on('close', resolve));
  const r = JSON.parse(out.trim()) as { stalePresent: boolean; afterInstall: string[]; afterRemove: string[] };
  t.true(r.stalePresent);
  t.is(r.afterInstall.length, 1, 'only our own table remains after install');
  t.deepEqual(r.afterRemove, []);
});

test.serial('a SIGKILLed tester leaves no namespace, nftables table or stack namespace behind', async (t) => {
  requireRoot(t);
  // The script idles in a shell line, so the kill lands while the target is open.
  const file = variant(t, 'server-capable.pkt', (s) => `${s}+0    \`sleep 20\`\n`);
  const child = startHarness(['--announce', file]);
  const ns = await new Promise<{ nsA: string; nsB: string }>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('"event":"lab"'));
      if (line) resolve(JSON.parse(line) as { nsA: string; nsB: string });
    });
    child.on('close', () => reject(new Error('the harness ended before opening its lab')));
  });
  t.is(readlinkSync(`/proc/${child.pid}/ns/net`), ns.nsA, 'the unshare process sits in namespace A');
  // Wait until the target's table exists in A (the target opens right after the lab).
  let tables = '';
  for (let i = 0; i < 100 && !tables.includes('mptcpdrill_remote_'); i++) {
    tables = execFileSync('nsenter', [`--net=/proc/${child.pid}/ns/net`, nftPath() ?? 'nft', 'list', 'tables'], { encoding: 'utf8' });
    await new Promise((r) => setTimeout(r, 50));
  }
  t.regex(tables, /mptcpdrill_remote_\d+/, 'the guard table is installed in namespace A');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  let left: number[] = [];
  for (let i = 0; i < 100; i++) {
    left = [...processesInNetns(ns.nsA), ...processesInNetns(ns.nsB)];
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.deepEqual(left, [], 'no process keeps namespace A (with the table) or B alive');
});
