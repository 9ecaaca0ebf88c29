// The mutation report: totals, kill rate per field kind, every survivor at file:line:col with
// its `- original / + mutated` lines, and the fields not mutated counted per reason. Printed for
// people (pretty) or as one JSON object (CI); the exit status is decided here too.

import type { ScriptReport } from './run.js';
import { ScriptText } from './text.js';
import { SKIP_REASONS, type MutantOutcome, type SkipCode } from './types.js';

export interface KindFigures {
  mutants: number;
  killed: number;
  survived: number;
  /** killed / (killed + survived), null when none ran. */
  killRate: number | null;
}

export interface Survivor {
  file: string;
  line: number;
  column: number;
  kind: string;
  mutation: string;
  original: string;
  mutated: string;
}

export interface MutateSummary {
  target: string;
  totals: {
    scripts: number;
    /** Scripts that passed as written and were mutated. */
    mutated: number;
    /** Scripts not mutated: they failed, were skipped or could not be run as written. */
    notMutated: number;
    /** Mutants run (killed + survived, plus runs the target skipped). */
    mutants: number;
    /** Mutants the script failed on, including errors and timeouts. */
    killed: number;
    survived: number;
    /** Among the killed: runs that ended in an error, or timed out. */
    errors: number;
    timeouts: number;
    /** Runs the target skipped (not in the rate). */
    skippedRuns: number;
    /** Generated but not run (interrupted). */
    notRun: number;
    killRate: number | null;
  };
  kinds: Record<string, KindFigures>;
  survivors: Survivor[];
  /** Fields not mutated, per reason. */
  skipped: Record<string, { count: number; reason: string }>;
  scripts: Array<{ file: string; status: ScriptReport['status']; reason?: string; mutants: number; killed: number; survived: number }>;
  wallMs: number;
  interrupted: boolean;
  exitCode: number;
}

const KILLED: ReadonlySet<MutantOutcome> = new Set(['killed', 'error', 'timeout']);

const rate = (killed: number, survived: number): number | null => (killed + survived === 0 ? null : Math.round((killed / (killed + survived)) * 10000) / 10000);

export function survivorsOf(r: ScriptReport): Survivor[] {
  const survivors = r.results.filter((x) => x.outcome === 'survived');
  if (survivors.length === 0) return [];
  const src = new ScriptText(r.text);
  return survivors.map(({ mutant: m }) => ({ file: r.file, line: m.line, column: m.column, kind: m.kind, mutation: m.description, ...src.lines(m.edit) }));
}

/**
 * Exit status: 130 interrupted; 1 a mutant survived; 2 a script could not be run as written
 * (script error); 4 nothing could run (no script passed as written: e.g. the kernel target
 * without root); 0 every mutant killed.
 */
export function exitStatus(reports: readonly ScriptReport[], interrupted: boolean): number {
  if (interrupted) return 130;
  if (reports.some((r) => r.results.some((x) => x.outcome === 'survived'))) return 1;
  if (reports.some((r) => r.status === 'error')) return 2;
  if (!reports.some((r) => r.status === 'mutated')) return 4;
  return 0;
}

export function summarize(target: string, reports: readonly ScriptReport[], wallMs: number, interrupted: boolean): MutateSummary {
  const kinds: Record<string, KindFigures> = {};
  const skipped: MutateSummary['skipped'] = {};
  const totals: MutateSummary['totals'] = {
    scripts: reports.length, mutated: 0, notMutated: 0, mutants: 0, killed: 0, survived: 0, errors: 0, timeouts: 0, skippedRuns: 0, notRun: 0, killRate: null,
  };
  for (const r of reports) {
    if (r.status === 'mutated') totals.mutated++;
    else totals.notMutated++;
    totals.notRun += r.notRun;
    for (const x of r.results) {
      const k = (kinds[x.mutant.kind] ??= { mutants: 0, killed: 0, survived: 0, killRate: null });
      k.mutants++;
      totals.mutants++;
      if (KILLED.has(x.outcome)) {
        k.killed++;
        totals.killed++;
        if (x.outcome === 'error') totals.errors++;
        if (x.outcome === 'timeout') totals.timeouts++;
      } else if (x.outcome === 'survived') {
        k.survived++;
        totals.survived++;
      } else totals.skippedRuns++;
    }
    for (const s of r.skipped) {
      const e = (skipped[s.reason] ??= { count: 0, reason: SKIP_REASONS[s.reason as SkipCode] });
      e.count++;
    }
  }
  for (const k of Object.values(kinds)) k.killRate = rate(k.killed, k.survived);
  totals.killRate = rate(totals.killed, totals.survived);
  const sortedKinds = Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b)));
  const sortedSkips = Object.fromEntries(Object.entries(skipped).sort(([, a], [, b]) => b.count - a.count));
  return {
    target,
    totals,
    kinds: sortedKinds,
    survivors: reports.flatMap(survivorsOf),
    skipped: sortedSkips,
    scripts: reports.map((r) => ({
      file: r.file,
      status: r.status,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      mutants: r.results.length,
      killed: r.results.filter((x) => KILLED.has(x.outcome)).length,
      survived: r.results.filter((x) => x.outcome === 'survived').length,
    })),
    wallMs: Math.round(wallMs),
    interrupted,
    exitCode: exitStatus(reports, interrupted),
  };
}

const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)} %`);

/** The lines printed for one script as soon as it is done (pretty format). */
export function scriptLines(r: ScriptReport): string[] {
  if (r.status !== 'mutated') {
    const what = r.status === 'fail' ? 'fails as written' : r.status === 'skip' ? 'skipped' : 'cannot run as written';
    return [`${r.file}: not mutated, ${what}: ${r.reason ?? ''}`.trimEnd()];
  }
  const killed = r.results.filter((x) => KILLED.has(x.outcome)).length;
  const survived = r.results.filter((x) => x.outcome === 'survived').length;
  const parts = [`${r.results.length} mutant${r.results.length === 1 ? '' : 's'}`, `${killed} killed`];
  if (survived > 0) parts.push(`${survived} survived`);
  if (r.notRun > 0) parts.push(`${r.notRun} not run`);
  const out = [`${r.file}: ${parts.join(', ')}`];
  for (const s of survivorsOf(r)) {
    out.push(`  ${s.file}:${s.line}:${s.column}: survived [${s.kind}] ${s.mutation}`);
    out.push(`    - ${s.original.trim()}`);
    out.push(`    + ${s.mutated.trim()}`);
  }
  return out;
}

/** The closing tables and totals (pretty format). */
export function summaryLines(s: MutateSummary): string[] {
  const out: string[] = [];
  const kinds = Object.entries(s.kinds);
  if (kinds.length > 0) {
    const w = Math.max(4, ...kinds.map(([k]) => k.length));
    out.push('', 'Kill rate by field kind:', `  ${'kind'.padEnd(w)}  mutants  killed  survived  rate`);
    for (const [k, f] of kinds) {
      out.push(`  ${k.padEnd(w)}  ${String(f.mutants).padStart(7)}  ${String(f.killed).padStart(6)}  ${String(f.survived).padStart(8)}  ${pct(f.killRate).padStart(7)}`);
    }
  }
  const skips = Object.entries(s.skipped);
  if (skips.length > 0) {
    out.push('', 'Fields not mutated:');
    for (const [code, e] of skips) out.push(`  ${String(e.count).padStart(6)}  ${code}: ${e.reason}`);
  }
  const t = s.totals;
  const notes: string[] = [];
  if (t.errors > 0) notes.push(`${t.errors} by an error`);
  if (t.timeouts > 0) notes.push(`${t.timeouts} by a timeout`);
  const extra = [
    t.notMutated > 0 ? `${t.notMutated} not mutated` : '',
    t.skippedRuns > 0 ? `${t.skippedRuns} mutant runs skipped by the target` : '',
    t.notRun > 0 ? `${t.notRun} mutants not run` : '',
  ].filter((x) => x !== '');
  out.push(
    '',
    `${s.interrupted ? 'Interrupted: ' : ''}${t.mutated} of ${t.scripts} script${t.scripts === 1 ? '' : 's'} mutated on ${s.target}; ` +
      `${t.mutants} mutants, ${t.killed} killed${notes.length ? ` (${notes.join(', ')})` : ''}, ${t.survived} survived; kill rate ${pct(t.killRate)}` +
      `${extra.length ? `; ${extra.join(', ')}` : ''}; ${(s.wallMs / 1000).toFixed(1)} s`,
  );
  return out;
}
