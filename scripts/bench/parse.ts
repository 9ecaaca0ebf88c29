// Benchmark of the .pkt parser: the corpus (test/scripts/**/*.pkt) parsed repeatedly until about
// 100,000 lines have gone through parseScript, reported as lines per second, plus the time per
// file (mean and slowest).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findScripts } from '../../src/script/load.js';

const TARGET_LINES = 100_000;
const repo = new URL('../../../', import.meta.url).pathname;

export async function run(): Promise<Record<string, number | string>> {
  const files = findScripts(join(repo, 'test/scripts')).map((f) => ({ f, text: readFileSync(f, 'utf8') }));
  if (files.length === 0) throw new Error('no corpus scripts found under test/scripts');

  const { parseScript } = await import('../../src/script/parse.js');

  const linesPerPass = files.reduce((n, { text }) => n + text.split('\n').length, 0);
  const passes = Math.max(1, Math.ceil(TARGET_LINES / linesPerPass));
  // One warm-up pass so the JIT has seen the code, as in a long `check` of a big suite.
  for (const { f, text } of files) parseScript(text, f);

  const perFile = new Map<string, number>();
  // CPU time as well as wall time: on a busy machine the wall clock mostly measures the others.
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let p = 0; p < passes; p++) {
    for (const { f, text } of files) {
      const t0 = performance.now();
      parseScript(text, f);
      perFile.set(f, (perFile.get(f) ?? 0) + performance.now() - t0);
    }
  }
  const totalMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const [slowFile, slowMs] = [...perFile].reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    'parse.files': files.length,
    'parse.lines': linesPerPass * passes,
    'parse.lines_per_sec': Math.round((linesPerPass * passes) / (totalMs / 1000)),
    'parse.lines_per_cpu_sec': Math.round((linesPerPass * passes) / (cpuMs / 1000)),
    'parse.ms_per_file_mean': Number((totalMs / (passes * files.length)).toFixed(3)),
    'parse.ms_per_file_slowest': Number((slowMs / passes).toFixed(3)),
    'parse.slowest_file': slowFile.slice(repo.length),
  };
}
