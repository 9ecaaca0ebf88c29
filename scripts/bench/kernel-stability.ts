// Verdict stability on a loaded machine (issue 16): the project's kernel corpus 5 times with
// -j 2 under the CPU hog (two busy loops on the cores), counting the scripts whose
// verdict changes from run to run (target: 0), and how many of the failures said the tester was
// late. Long (minutes): it runs only when named, `npm run bench -- kernel-stability`
// (KERNEL_STABILITY_RUNS=N for another number of runs).
import { kernelCorpus, loadNote, round, runCli, withHog, type TimedResult, kernelMissing } from './kernel-shared.js';

/** Not part of a plain `npm run bench`: scripts/bench.ts runs it only when asked by name. */
export const optIn = true;

const RUNS = Number(process.env['KERNEL_STABILITY_RUNS'] ?? 5);

export async function run(): Promise<Record<string, number | string>> {
  const missing = await kernelMissing();
  if (missing) return { skipped: missing };
  const files = kernelCorpus();
  const byScript = new Map<string, TimedResult[]>();
  const walls: number[] = [];
  let load = '';
  await withHog(async () => {
    await new Promise((r) => setTimeout(r, 1000));
    load = loadNote();
    for (let i = 0; i < RUNS; i++) {
      const r = await runCli(['run', '--target', 'kernel', '-j', '2', ...files]);
      walls.push(r.wallMs);
      for (const res of r.results) byScript.set(res.name, [...(byScript.get(res.name) ?? []), res]);
    }
  });
  const changed = [...byScript].filter(([, rs]) => new Set(rs.map((r) => r.outcome)).size > 1);
  const failures = [...byScript.values()].flat().filter((r) => r.outcome !== 'pass');
  const testerLate = failures.filter((r) => r.failure?.testerLateMs !== null && r.failure?.testerLateMs !== undefined);
  const timing = failures.filter((r) => r.failure?.kind === 'timing');
  return {
    'hog (two busy loops): load average': load,
    scripts: files.length,
    runs: RUNS,
    'wall per run s': walls.map((w) => round(w / 1000, 1)).join(', '),
    'scripts whose verdict changed': changed.length,
    'scripts that ever failed': [...byScript].filter(([, rs]) => rs.some((r) => r.outcome !== 'pass')).length,
    'failed runs (of scripts x runs)': `${failures.length}/${files.length * RUNS}`,
    'of which timing failures': timing.length,
    'of which the tester said it was late': testerLate.length,
    'changed (first 8)': changed.slice(0, 8).map(([name, rs]) => `${name} ${rs.map((r) => r.outcome[0]).join('')}`).join('; ') || 'none',
  };
}
