// Timing accuracy of the runner on the kernel target: a generated script with a few hundred
// events 1–10 ms apart (the stack writes, the script expects the segment and ACKs it); reports how
// late injected packets, observed packets and calls were against the script's own times.
//
// The kernel target needs its own network namespace, so run() re-executes this file there
// (`--child SCRIPT`) and reads one JSON line back.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEntry } from '../../src/engine/types.js';

const CYCLES = 150;
const PAYLOAD = 100;

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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** p50/p99/max of (actual − due) in µs for the trace entries of one kind. */
export function lateness(trace: readonly TraceEntry[], kind: 'inbound' | 'outbound' | 'syscall'): Record<string, number> {
  const late = trace
    .filter((e) => e.kind === kind && e.due !== undefined)
    .map((e) => Math.round(e.time - (e as { due: number }).due))
    .sort((a, b) => a - b);
  return { count: late.length, p50: percentile(late, 50), p99: percentile(late, 99), max: late.at(-1) ?? NaN };
}

/** In the namespace: run the script on the kernel and print the numbers as one JSON line. */
async function child(file: string): Promise<void> {
  const { loadScript } = await import('../../src/script/load.js');
  const { prepareRun } = await import('../../src/engine/prepare.js');
  const { runScript } = await import('../../src/engine/run.js');
  const { KernelTarget } = await import('../../src/targets/kernel/kernel-target.js');
  const loaded = loadScript(file, { target: 'kernel' });
  if (!loaded.options) throw new Error('the generated script does not check');
  // Tolerances are scaled out of the way: the benchmark measures lateness, it does not judge it.
  const opts = prepareRun(loaded.options, 'kernel', { seed: 1, toleranceScale: 1000 });
  const result = await runScript(loaded, new KernelTarget(), opts);
  const out: Record<string, number | string> = { status: result.status, events: loaded.script?.events.length ?? 0 };
  if (result.failure) out['failure'] = result.failure.message;
  for (const kind of ['inbound', 'outbound', 'syscall'] as const) {
    const l = lateness(result.trace, kind);
    out[`${kind}_count`] = l['count']!;
    for (const k of ['p50', 'p99', 'max']) out[`${kind}_late_${k}_us`] = l[k]!;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

export async function run(): Promise<Record<string, number | string>> {
  const { preflight, reexecInFreshNetns } = await import('../../src/targets/kernel/netns.js');
  const missing = preflight();
  if (missing) return { skipped: missing };
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-timing-'));
  try {
    const file = join(dir, 'timing.pkt');
    writeFileSync(file, timingScript());
    const proc = reexecInFreshNetns([fileURLToPath(import.meta.url), '--child', file], process.env, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    await new Promise<void>((resolve) => proc.on('close', () => resolve()));
    const line = stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as Record<string, number | string>;
    } catch {
      return { error: `the timing run printed no result: ${(stderr || stdout).trim().slice(0, 500)}` };
    }
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
