// Differential mode's cost: the kernel corpus (test/kernel-corpus.txt) run with -j 2 on the
// kernel alone and as --target ts,kernel (each script on both stacks, traces compared), in the
// suite runner as CI runs it; the ratio is what checking agreement adds to a kernel corpus run.
// Needs root (the kernel side); without it the kernel runs are skips and the figures say so.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runSuiteCommand } from '../../src/suite/cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const manifest = readFileSync(`${root}test/kernel-corpus.txt`, 'utf8')
  .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '')
  .map((l) => `${root}${l}`);

async function wall(target: string): Promise<{ ms: number; summary: string }> {
  let out = '';
  const began = performance.now();
  await runSuiteCommand(['--target', target, '-j', '2', '--format', 'json', ...manifest], { out: (s) => { out += s; }, err: () => undefined, tty: false, color: false });
  const ms = performance.now() - began;
  const last = JSON.parse(out.trim().split('\n').at(-1)!) as { totals: Record<string, number>; ran: number };
  const t = last.totals;
  return { ms, summary: `${last.ran} scripts: ${t['pass']} pass, ${t['fail']} fail, ${t['skip']} skip, ${t['error']} error` };
}

export async function run(): Promise<Record<string, number | string>> {
  const kernel = await wall('kernel');
  const both = await wall('ts,kernel');
  return {
    'kernel corpus, kernel -j2 (ms)': Math.round(kernel.ms),
    'kernel corpus, ts,kernel -j2 (ms)': Math.round(both.ms),
    'ts,kernel / kernel': both.ms / kernel.ms,
    'kernel outcome': kernel.summary,
    'ts,kernel outcome': both.summary,
  };
}
