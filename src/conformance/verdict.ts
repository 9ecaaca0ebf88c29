// A clause's verdict on one target, from the results of its scripts: conforms (every script
// passes), deviates (the rest pass and at least one fails as its expected-failure entry in
// test/conformance/xfail.txt says: the finding; such entries' reasons start with the clause id),
// known failure (a script fails as an entry of the corpus's test/scripts/xfail.txt says: the stack
// differs from Linux, not from the RFC), fails (a script fails with no entry: the index or the
// stack is wrong), not run (skipped, or could not run), untestable, or todo.

import type { Clause, ScriptRole } from './index-file.js';
import type { ScriptResult } from './run.js';

export type VerdictName = 'conforms' | 'deviates' | 'known failure' | 'fails' | 'not run' | 'untestable' | 'todo';

/** An expected-failure reason that makes a failure a deviation from the RFC: it names its clause. */
const DEVIATION_REASON = /^(?:8684|6824)-\S+:/;

/** Where a script failed and what the stack did there. */
export interface Evidence {
  script: string;
  /** `FILE:LINE` of the failing expectation, when the failure names one. */
  at?: string;
  /** The failure message (after `FILE:LINE:COL: `). */
  message: string;
  /** The packet the stack sent, or the call's actual result, when the report shows one. */
  observed?: string;
  /** The expected-failure entry's reason (deviations only). */
  reason?: string;
}

export interface Verdict {
  verdict: VerdictName;
  evidence: Evidence[];
  /** Scripts whose expected failure did not happen (XPASS): the deviation is gone there. */
  fixed: string[];
}

const LOCATION = /^(\S+?):(\d+)(?::\d+)?: (.*)$/s;

/** The failure of `r` as evidence: location, message and the observed packet or result. */
export function evidenceOf(r: ScriptResult): Evidence {
  const headline = (r.headline ?? r.reason ?? 'failed').split('\n')[0]!;
  const m = LOCATION.exec(headline);
  const observed = /^\s*actual:\s+(.*)$/m.exec(r.detail ?? '')?.[1]?.trim();
  return {
    script: r.file,
    ...(m ? { at: `${m[1]}:${m[2]}`, message: m[3]! } : { message: headline }),
    ...(observed ? { observed } : {}),
    ...(r.outcome === 'xfail' && r.reason ? { reason: r.reason } : {}),
  };
}

export function verdictOf(clause: Clause, results: ReadonlyMap<string, ScriptResult>): Verdict {
  const cov = clause.coverage;
  if (cov.kind === 'untestable') return { verdict: 'untestable', evidence: [], fixed: [] };
  if (cov.kind === 'todo') return { verdict: 'todo', evidence: [], fixed: [] };
  const runs = cov.scripts.map((s) => results.get(s) ?? { file: s, outcome: 'skip' as const, reason: 'not run' });
  const fixed = runs.filter((r) => r.outcome === 'xpass').map((r) => r.file);
  const failed = runs.filter((r) => r.outcome === 'fail');
  if (failed.length > 0) return { verdict: 'fails', evidence: failed.map(evidenceOf), fixed };
  const notRun = runs.filter((r) => r.outcome === 'skip' || r.outcome === 'error');
  if (notRun.length > 0) return { verdict: 'not run', evidence: notRun.map((r) => ({ script: r.file, message: r.reason ?? r.outcome })), fixed };
  const known = runs.filter((r) => r.outcome === 'xfail' && !DEVIATION_REASON.test(r.reason ?? ''));
  if (known.length > 0) return { verdict: 'known failure', evidence: known.map(evidenceOf), fixed };
  const xfails = runs.filter((r) => r.outcome === 'xfail');
  if (xfails.length > 0) return { verdict: 'deviates', evidence: xfails.map(evidenceOf), fixed };
  return { verdict: 'conforms', evidence: [], fixed };
}

/** The verdict of each role a clause's scripts are tagged with: its tagged scripts alone. */
export function roleVerdicts(clause: Clause, results: ReadonlyMap<string, ScriptResult>): Partial<Record<ScriptRole, VerdictName>> {
  const cov = clause.coverage;
  if (cov.kind !== 'scripts') return {};
  const out: Partial<Record<ScriptRole, VerdictName>> = {};
  for (const role of new Set(Object.values(cov.roles))) {
    const scripts = cov.scripts.filter((s) => cov.roles[s] === role);
    out[role] = verdictOf({ ...clause, coverage: { kind: 'scripts', scripts, roles: cov.roles } }, results).verdict;
  }
  return out;
}
