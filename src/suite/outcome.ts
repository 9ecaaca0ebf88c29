// From job reports to the summary: folding repetitions, applying the expected-failure list,
// counting, and the exit status.
//
// Exit status, as kselftest: 0 when everything passed (an XFAIL counts as a pass, skips next to
// passes are fine); 1 when any script failed, or passed against a `strict` expected-failure entry
// (a non-strict XPASS is reported, never fatal, so lists are kept honest without breaking CI);
// 2 when none failed but a script could not be run (parse error, set-up error, crash, timeout)
// and for usage errors; 4 when every script was skipped (or nothing matched). An interrupted
// run (Ctrl-C, SIGTERM) exits 130 whatever ran, so CI never mistakes it for a verdict.

import { OUTCOMES, type JobReport, type Outcome, type SuiteResult, type Totals } from './types.js';
import type { XfailEntry } from './xfail.js';

export const EXIT_INTERRUPTED = 130;

/** Worst first: the status a script with several repetitions is reported with. */
const SEVERITY: Record<JobReport['status'], number> = { error: 3, fail: 2, skip: 1, pass: 0 };

/** The report that stands for all repetitions: the worst one (the last of equals). */
export function representative(reports: readonly JobReport[]): JobReport {
  return reports.reduce((worst, r) => (SEVERITY[r.status] >= SEVERITY[worst.status] ? r : worst));
}

export interface Classified {
  outcome: Outcome;
  reason?: string;
  strict?: boolean;
}

export function classify(report: JobReport, xfail: XfailEntry | undefined): Classified {
  switch (report.status) {
    case 'pass':
      return xfail ? { outcome: 'xpass', reason: xfail.reason, strict: xfail.strict } : { outcome: 'pass' };
    case 'fail':
      return xfail ? { outcome: 'xfail', reason: xfail.reason } : { outcome: 'fail', reason: report.failure?.headline };
    case 'skip':
      return { outcome: 'skip', reason: (report.skipReasons ?? []).join(' ') || 'skipped' };
    case 'error':
      return { outcome: 'error', reason: report.failure?.headline };
  }
}

export function emptyTotals(): Totals {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Totals;
}

export function countOutcomes(results: readonly SuiteResult[]): Totals {
  const totals = emptyTotals();
  for (const r of results) totals[r.outcome]++;
  return totals;
}

/** True for a result that makes the run fail (status 1) and stops it under --bail. */
export function isFailure(r: Pick<SuiteResult, 'outcome' | 'strict'>): boolean {
  return r.outcome === 'fail' || (r.outcome === 'xpass' && r.strict === true);
}

export function exitStatus(results: readonly SuiteResult[], interrupted: boolean): number {
  if (interrupted) return EXIT_INTERRUPTED;
  if (results.some(isFailure)) return 1;
  if (results.some((r) => r.outcome === 'error')) return 2;
  if (results.every((r) => r.outcome === 'skip')) return 4;
  return 0;
}
