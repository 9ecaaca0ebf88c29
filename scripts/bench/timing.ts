// Timing accuracy of the runner on the kernel target (issue 16 item 3), on the machine as it is
// and under the CPU hog (two busy loops): how late packets are injected against the
// script's times (injection: the time the kernel received the packet minus the time it was
// due), how long after its SYN a SYN/ACK is time-stamped (the kernel answers in tens of
// microseconds: anything beyond is stamping error), and how far outbound packets and calls land
// from their due times in a generated script with a few hundred events 1-10 ms apart.
//
// The kernel target needs a namespace: run() re-executes this file under `unshare --net`
// (`--child`), where, as a kernel worker does, the threads start once and each script runs in a
// fresh namespace the main thread enters and leaves; one JSON line comes back.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEntry } from '../../src/engine/types.js';
import { loadNote, percentile, withHog, kernelMissing } from './kernel-shared.js';

const CYCLES = 150;
const PAYLOAD = 100;
const SYN_RUNS = 30;

/** Deterministic 1..10 ms gaps (a small LCG: the same script every run). */
function gaps(n: number): number[] {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 1 + (x % 10);
  });
}

export function timingScript(cycles = CYCLES): string {
  const lines = [
    '--tolerance_usecs=4000',
    '0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
    '+0  bind(3, ..., ...) = 0',
    '+0  listen(3, 1) = 0',
    '+0  < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>',
    '+0  > S. 0:0(0) ack 1 <...>',
    '+.01 < . 1:1(0) ack 1 win 514',
    '+0  accept(3, ..., ...) = 4',
    '+0  setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0',
  ];
  const g = gaps(cycles * 2);
  let seq = 1;
  for (let i = 0; i < cycles; i++) {
    lines.push(`+0.${String(g[2 * i]).padStart(3, '0')} write(4, ..., ${PAYLOAD}) = ${PAYLOAD}`);
    lines.push(`+0  > P. ${seq}:${seq + PAYLOAD}(${PAYLOAD}) ack 1`);
    seq += PAYLOAD;
    lines.push(`+0.${String(g[2 * i + 1]).padStart(3, '0')} < . 1:1(0) ack ${seq} win 514`);
  }
  return lines.join('\n') + '\n';
}

/** A SYN injected 10 ms after listen(), and its SYN/ACK expected at once. */
const SYN_SCRIPT = `0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0.01 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <...>
+.01 < . 1:1(0) ack 1 win 514
+0  accept(3, ..., ...) = 4
`;

/** (actual − due) in µs of the trace entries of one kind. */
export function lateness(trace: readonly TraceEntry[], kind: 'inbound' | 'outbound' | 'syscall'): number[] {
  return trace.filter((e) => e.kind === kind && e.due !== undefined).map((e) => e.time - (e as { due: number }).due);
}

/** µs from each injected SYN to the first SYN/ACK after it. */
function synAckGaps(trace: readonly TraceEntry[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < trace.length; i++) {
    const e = trace[i]!;
    if (e.kind !== 'inbound' || !/ S /.test(e.text)) continue;
    const answer = trace.slice(i + 1).find((x) => x.kind === 'outbound' && / S\. /.test(x.text));
    if (answer) out.push(answer.time - e.time);
  }
  return out;
}

const stats = (xs: number[]): { p50: number; p99: number; max: number; n: number } =>
  ({ p50: Math.round(percentile(xs, 50)), p99: Math.round(percentile(xs, 99)), max: Math.round(Math.max(...xs)), n: xs.length });

/** In the namespace: the scripts, as a kernel worker runs them; prints the figures as one JSON line. */
async function child(dir: string): Promise<void> {
  const { checkText } = await import('../../src/script/load.js');
  const { prepareRun } = await import('../../src/engine/prepare.js');
  const { runScript } = await import('../../src/engine/run.js');
  const { KernelTarget } = await import('../../src/targets/kernel/kernel-target.js');
  const netns = await import('../../src/targets/kernel/netns.js');
  const { startKernelThreads } = await import('../../src/targets/kernel/threads.js');
  const { warmUpKernelTarget, collectGarbage } = await import('../../src/suite/kernel-worker-warmup.js');
  await startKernelThreads();
  await warmUpKernelTarget();
  const runOne = async (name: string, text: string): Promise<{ status: string; trace: TraceEntry[] }> => {
    collectGarbage();
    netns.enterFreshNetns();
    try {
      const loaded = checkText(join(dir, name), text, { target: 'kernel' });
      if (!loaded.options) throw new Error(`${name} does not check`);
      // Tolerances out of the way: the benchmark measures lateness, it does not judge it.
      const result = await runScript(loaded, new KernelTarget(), prepareRun(loaded.options, 'kernel', { seed: 1, toleranceScale: 1000 }));
      return { status: result.status, trace: result.trace };
    } finally {
      netns.leaveFreshNetns();
    }
  };
  const injected: number[] = [];
  const synAck: number[] = [];
  let synPassed = 0;
  for (let i = 0; i < SYN_RUNS; i++) {
    const r = await runOne('syn.pkt', SYN_SCRIPT);
    if (r.status === 'pass') synPassed++;
    injected.push(...lateness(r.trace, 'inbound'));
    synAck.push(...synAckGaps(r.trace));
  }
  const cycles = await runOne('cycles.pkt', timingScript());
  injected.push(...lateness(cycles.trace, 'inbound'));
  const out = {
    synRuns: `${synPassed}/${SYN_RUNS} passed`,
    cyclesStatus: cycles.status,
    injection: stats(injected),
    synAck: stats(synAck),
    outbound: stats(lateness(cycles.trace, 'outbound')),
    syscall: stats(lateness(cycles.trace, 'syscall')),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

type ChildFigures = { synRuns: string; cyclesStatus: string } & Record<'injection' | 'synAck' | 'outbound' | 'syscall', { p50: number; p99: number; max: number; n: number }>;

async function measure(dir: string): Promise<ChildFigures | { error: string }> {
  const { reexecInFreshNetns } = await import('../../src/targets/kernel/netns.js');
  // With the V8 flags of a process that runs kernel scripts (src/targets/kernel/node-flags.ts).
  const { KERNEL_NODE_FLAGS } = await import('../../src/targets/kernel/node-flags.js');
  const proc = reexecInFreshNetns([...KERNEL_NODE_FLAGS, fileURLToPath(import.meta.url), '--child', dir], process.env, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  await new Promise<void>((resolve) => proc.on('close', () => resolve()));
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChildFigures;
  } catch {
    return { error: `the timing run printed no result: ${(stderr || stdout).trim().slice(0, 500)}` };
  }
}

function figures(label: string, f: ChildFigures | { error: string }): Record<string, number | string> {
  if ('error' in f) return { [`${label}: error`]: f.error };
  const line = (s: { p50: number; p99: number; max: number; n: number }): string => `p50 ${s.p50}  p99 ${s.p99}  max ${s.max}  (n ${s.n})`;
  return {
    [`${label}: injection late, us`]: line(f.injection),
    [`${label}: SYN/ACK after its SYN, us`]: line(f.synAck),
    [`${label}: outbound packet - due, us`]: line(f.outbound),
    [`${label}: system call start - due, us`]: line(f.syscall),
    [`${label}: runs`]: `${f.synRuns}; cycles ${f.cyclesStatus}`,
  };
}

export async function run(): Promise<Record<string, number | string>> {
  const missing = await kernelMissing();
  if (missing) return { skipped: missing };
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-timing-'));
  try {
    writeFileSync(join(dir, 'README'), 'scripts of the timing benchmark run from memory\n');
    const load = loadNote();
    const idle = await measure(dir);
    const hogLoad = { note: '' };
    const hog = await withHog(async () => {
      await new Promise((r) => setTimeout(r, 1000));
      hogLoad.note = loadNote();
      return measure(dir);
    });
    return {
      'load average (1 5 15 min) at start': load,
      ...figures('as is', idle),
      'hog (two busy loops): load average': hogLoad.note,
      ...figures('hog', hog),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  child(process.argv[3]!).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
