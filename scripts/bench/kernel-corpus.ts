// The project's kernel corpus (test/kernel-corpus.txt) through `mptcpdrill run --target kernel`,
// serially and with -j 2 (issue 16): wall time against what the scripts themselves take, the sum
// of their timelines (script time at the last event, plus the 50 ms grace) plus N times the fixed
// cost per script (measured here first, as kernel-overhead does). A tool whose only costs are the
// scripts' own time and a fixed cost per script scores 1 serially (packetdrill: 29.6 s = 20.5 s of
// timelines + 41 x 0.22 s on the issue's MPTCP suite) and about 0.5 with -j 2. Run as root.
import { measureFixedCost } from './kernel-overhead.js';
import { GRACE_MS, kernelCorpus, loadNote, round, runCli, type CliRun, kernelMissing } from './kernel-shared.js';

function summary(run: CliRun): { timelinesMs: number; pass: number; other: string[] } {
  return {
    timelinesMs: run.results.reduce((s, r) => s + r.scriptEndUs / 1000 + GRACE_MS, 0),
    pass: run.results.filter((r) => r.outcome === 'pass').length,
    other: run.results.filter((r) => r.outcome !== 'pass').map((r) => `${r.name} (${r.outcome})`),
  };
}

export async function run(): Promise<Record<string, number | string>> {
  const missing = await kernelMissing();
  if (missing) return { skipped: missing };
  const files = kernelCorpus();
  const load = loadNote();
  const fixed = await measureFixedCost(10);
  const serial = await runCli(['run', '--target', 'kernel', '-j', '1', ...files]);
  const parallel = await runCli(['run', '--target', 'kernel', '-j', '2', ...files]);
  const s1 = summary(serial);
  const s2 = summary(parallel);
  const ideal = (s: { timelinesMs: number }): number => s.timelinesMs + files.length * fixed.fixedMs;
  return {
    'load average (1 5 15 min) at start': load,
    scripts: files.length,
    'fixed cost per script ms (10 one-line scripts)': round(fixed.fixedMs, 1),
    '-j 1: wall s': round(serial.wallMs / 1000, 1),
    '-j 1: sum of timelines s': round(s1.timelinesMs / 1000, 1),
    '-j 1: wall / (timelines + N x fixed)': round(serial.wallMs / ideal(s1)),
    '-j 1: passed': `${s1.pass}/${files.length}${s1.other.length > 0 ? `; not: ${s1.other.slice(0, 5).join(', ')}` : ''}`,
    '-j 2: wall s': round(parallel.wallMs / 1000, 1),
    '-j 2: wall / (timelines + N x fixed)': round(parallel.wallMs / ideal(s2)),
    '-j 2: passed': `${s2.pass}/${files.length}${s2.other.length > 0 ? `; not: ${s2.other.slice(0, 5).join(', ')}` : ''}`,
  };
}
