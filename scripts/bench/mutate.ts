// Corpus kill rate of `mptcpdrill mutate` (issue 15) per target and per field kind: on the
// bundled stack every mutant of test/scripts (-j 2); on the kernel the scripts of
// test/kernel-corpus.txt with a sample of mutants per script (--max-mutants, kept evenly spread
// over each script), since every kernel run pays for a process and a namespace (about 2 s a
// mutant here; the whole corpus would take hours). The output says which figures are sampled.
//
// Knobs (environment): MUTATE_TARGETS (default "ts,kernel"), MUTATE_KERNEL_MAX (mutants per
// script on the kernel, default 3; 0 = all), MUTATE_TS_MAX (default 0 = all), MUTATE_JOBS (2),
// MUTATE_JSON_DIR (also write each target's full report, survivors included, as TARGET.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runMutateCommand } from '../../src/cli/commands/mutate.js';
import type { MutateSummary } from '../../src/mutate/report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The family a field kind belongs to: `in.mptcp.dss.dsn` → `in.mptcp.dss`, `tcp.flags` → `tcp.flags`. */
export function kindFamily(kind: string): string {
  const parts = kind.split('.');
  const mptcp = parts.indexOf('mptcp');
  return mptcp >= 0 ? parts.slice(0, mptcp + 2).join('.') : parts.slice(0, 2).join('.');
}

const pct = (killed: number, ran: number): string => (ran === 0 ? '-' : `${((100 * killed) / ran).toFixed(2)} % (${killed}/${ran})`);

async function mutate(target: string, args: string[]): Promise<MutateSummary> {
  let out = '';
  await runMutateCommand(['--target', target, ...args, '--format', 'json'], { out: (s) => { out += s; }, err: () => undefined });
  const dir = process.env['MUTATE_JSON_DIR'];
  if (dir) writeFileSync(`${dir}/${target}.json`, out);
  return JSON.parse(out) as MutateSummary;
}

function kernelScripts(): string[] {
  return readFileSync(`${root}test/kernel-corpus.txt`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => `${root}${l}`);
}

function figuresOf(target: string, s: MutateSummary, sampled: string): Record<string, string | number> {
  const f: Record<string, string | number> = {};
  const t = s.totals;
  f[`${target} kill rate${sampled}`] = pct(t.killed, t.killed + t.survived);
  f[`${target} scripts mutated / not`] = `${t.mutated} / ${t.notMutated}`;
  f[`${target} survivors`] = t.survived;
  f[`${target} wall (s)`] = Math.round(s.wallMs / 1000);
  const families = new Map<string, { killed: number; ran: number }>();
  for (const [kind, k] of Object.entries(s.kinds)) {
    const fam = families.get(kindFamily(kind)) ?? { killed: 0, ran: 0 };
    fam.killed += k.killed;
    fam.ran += k.killed + k.survived;
    families.set(kindFamily(kind), fam);
  }
  for (const [fam, k] of [...families].sort(([a], [b]) => a.localeCompare(b))) f[`${target} ${fam}`] = pct(k.killed, k.ran);
  const skipped = Object.values(s.skipped).reduce((n, x) => n + x.count, 0);
  f[`${target} fields not mutated`] = skipped;
  return f;
}

export async function run(): Promise<Record<string, number | string>> {
  const targets = (process.env['MUTATE_TARGETS'] ?? 'ts,kernel').split(',');
  const jobs = process.env['MUTATE_JOBS'] ?? '2';
  const figures: Record<string, number | string> = { 'load average (1 min) at start': loadavg()[0]! };
  if (targets.includes('ts')) {
    const max = Number(process.env['MUTATE_TS_MAX'] ?? '0');
    const s = await mutate('ts', ['-j', jobs, '--max-mutants', String(max > 0 ? max : 100000), `${root}test/scripts`]);
    Object.assign(figures, figuresOf('ts', s, max > 0 ? ` (sampled: ${max} mutants a script)` : ''));
  }
  if (targets.includes('kernel')) {
    if (process.getuid?.() !== 0) {
      figures['kernel'] = 'not run: needs root';
    } else {
      const max = Number(process.env['MUTATE_KERNEL_MAX'] ?? '3');
      const s = await mutate('kernel', ['-j', jobs, '--max-mutants', String(max > 0 ? max : 100000), ...kernelScripts()]);
      Object.assign(figures, figuresOf('kernel', s, max > 0 ? ` (sampled: ${max} mutants a script of test/kernel-corpus.txt, evenly spread)` : ''));
    }
  }
  figures['load average (1 min) at end'] = loadavg()[0]!;
  return figures;
}
