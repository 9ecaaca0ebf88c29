// Helpers of the kernel benchmarks (kernel-overhead, kernel-corpus, timing, kernel-stability):
// the CLI spawned as a user runs it, its JSON Lines read as they come, the project's kernel
// corpus, the CPU hog of issue 16 (two busy loops) and percentiles. No `run` export: not a
// benchmark of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin/mptcpdrill.js');

/** One `result` object of `--format json`, with the time (ms since the command started) it came. */
export interface TimedResult {
  at: number;
  name: string;
  outcome: string;
  status: string;
  wallMs: number;
  scriptEndUs: number;
  failure: { kind: string; headline: string; testerLateMs: number | null } | null;
  timingRetries: number;
}

export interface CliRun {
  wallMs: number;
  code: number | null;
  results: TimedResult[];
  stderr: string;
}

/** `node bin/mptcpdrill.js ARGS --format json`, its results timed as they arrive. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve) => {
    const began = performance.now();
    const child = spawn(process.execPath, [BIN, ...args, '--format', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    const results: TimedResult[] = [];
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const o = JSON.parse(line) as TimedResult & { type: string };
          if (o.type === 'result') results.push({ ...o, at: performance.now() - began });
        } catch { /* not JSON */ }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code) => resolve({ wallMs: performance.now() - began, code, results, stderr }));
  });
}

/** A single-file run's wall time (ms) and exit status. */
export function runOnce(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ wallMs: number; code: number | null }> {
  return new Promise((resolve) => {
    const began = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'ignore', cwd: ROOT });
    child.on('close', (code) => resolve({ wallMs: performance.now() - began, code }));
  });
}

/** The scripts of test/kernel-corpus.txt, relative to the repository root. */
export function kernelCorpus(): string[] {
  return readFileSync(join(ROOT, 'test/kernel-corpus.txt'), 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
}

/** The CPU hog of issue 16: `for i in 1 2; do (while :; do :; done) & done`. */
export class Hog {
  private readonly loops: ChildProcess[] = [];

  constructor(n = 2) {
    for (let i = 0; i < n; i++) this.loops.push(spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  }

  stop(): void {
    for (const l of this.loops) l.kill('SIGKILL');
  }
}

/** Runs `fn` with the hog on, stopping it whatever happens. */
export async function withHog<T>(fn: () => Promise<T>): Promise<T> {
  const hog = new Hog();
  try {
    return await fn();
  } finally {
    hog.stop();
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** The machine's load average now (the benchmarks are only comparable on a quiet machine). */
export function loadNote(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

/** Default grace after a script's last event (src/engine/runner.ts), part of each script's own time. */
export const GRACE_MS = 50;

/** Why the kernel target cannot run here (a module then reports itself skipped), or undefined. */
export async function kernelMissing(): Promise<string | undefined> {
  const { preflight } = await import('../../src/targets/kernel/netns.js');
  return preflight() ?? undefined;
}
