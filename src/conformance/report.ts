// The conformance report as data (what conformance.json holds): every clause with its verdict
// per target, the totals per section, and the deviations with their expected-failure entries.
// conformance.md and docs/linux-deviations.md are rendered from this object alone, so a committed
// JSON file is enough to check that the committed Markdown is not stale.

import type { SuiteTarget } from '../suite/types.js';
import type { XfailEntry } from '../suite/xfail.js';
import { findXfail } from '../suite/xfail.js';
import type { Clause, Keyword, Role, ScriptRole } from './index-file.js';
import { bothSidesTested, INDEX_PATH } from './index-file.js';
import type { ScriptResult } from './run.js';
import { roleVerdicts, verdictOf, type Verdict, type VerdictName } from './verdict.js';

export interface ClauseReport {
  id: string;
  section: string;
  keyword: Keyword;
  role: Role;
  quote: string;
  scripts: string[];
  /** The role the stack plays in each tagged script (`ROLE:path` in the index). */
  roles: Record<string, ScriptRole>;
  /** A `both` clause: whether its tags cover two opposite sides (client and server, ...). */
  bothSides?: boolean;
  untestable?: string;
  todo?: string;
  verdicts: Partial<Record<SuiteTarget, Verdict>>;
  /** Per target, the verdict of each tagged role's scripts alone. */
  roleVerdicts: Partial<Record<SuiteTarget, Partial<Record<ScriptRole, VerdictName>>>>;
}

export interface SectionTotals {
  section: string;
  clauses: number;
  testable: number;
  scripts: number;
  untestable: number;
  todo: number;
  /** `both` clauses with scripts, and how many of them are tested from both sides. */
  bothClauses: number;
  bothSides: number;
  /** Per target: how many clauses got each verdict. */
  verdicts: Partial<Record<SuiteTarget, Partial<Record<VerdictName, number>>>>;
}

/** A deviation on one target with the expected-failure entry that names it. */
export interface DeviationReport {
  clause: string;
  target: SuiteTarget;
  script: string;
  at?: string;
  observed?: string;
  message: string;
  /** The entry's kernel version range (`>=6.18,<6.19`), when it has one. */
  versions?: string;
  reason: string;
  /** `FILE:LINE` of the expected-failure entry. */
  entry?: string;
}

export interface ConformanceReport {
  rfc: 8684;
  index: string;
  targets: SuiteTarget[];
  /** The running kernel's release, when the kernel was a target. */
  kernel?: string;
  clauses: ClauseReport[];
  sections: SectionTotals[];
  deviations: DeviationReport[];
}

export interface ReportInput {
  clauses: readonly Clause[];
  results: ReadonlyMap<SuiteTarget, ReadonlyMap<string, ScriptResult>>;
  xfails: readonly XfailEntry[];
  kernelRelease?: string;
  kernelVersion: number[];
}

function rangeText(entry: XfailEntry): string | undefined {
  return entry.versions?.map((c) => `${c.op}${c.version.join('.')}`).join(',');
}

/** Sections in numeric order (3 < 3.1 < 3.3 < 3.3.1 < 3.10 < 5), then the named ones (v0). */
export function compareSections(a: string, b: string): number {
  const named = Number(!/^\d/.test(a)) - Number(!/^\d/.test(b));
  if (named !== 0 || !/^\d/.test(a)) return named || a.localeCompare(b);
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function sectionTotals(clauses: readonly ClauseReport[], targets: readonly SuiteTarget[]): SectionTotals[] {
  const sections = [...new Set(clauses.map((c) => c.section))].sort(compareSections);
  return sections.map((section) => {
    const own = clauses.filter((c) => c.section === section);
    const verdicts: SectionTotals['verdicts'] = {};
    for (const t of targets) {
      const counts: Partial<Record<VerdictName, number>> = {};
      for (const c of own) {
        const v = c.verdicts[t]?.verdict;
        if (v) counts[v] = (counts[v] ?? 0) + 1;
      }
      verdicts[t] = counts;
    }
    return {
      section,
      clauses: own.length,
      testable: own.filter((c) => c.untestable === undefined).length,
      scripts: new Set(own.flatMap((c) => c.scripts)).size,
      untestable: own.filter((c) => c.untestable !== undefined).length,
      todo: own.filter((c) => c.todo !== undefined).length,
      bothClauses: own.filter((c) => c.bothSides !== undefined).length,
      bothSides: own.filter((c) => c.bothSides === true).length,
      verdicts,
    };
  });
}

export function buildReport(input: ReportInput): ConformanceReport {
  const targets = [...input.results.keys()];
  const clauses: ClauseReport[] = input.clauses.map((c) => {
    const verdicts: ClauseReport['verdicts'] = {};
    const byRole: ClauseReport['roleVerdicts'] = {};
    for (const [t, results] of input.results) {
      verdicts[t] = verdictOf(c, results);
      byRole[t] = roleVerdicts(c, results);
    }
    const scripted = c.coverage.kind === 'scripts';
    return {
      id: c.id, section: c.section, keyword: c.keyword, role: c.role, quote: c.quote,
      scripts: c.coverage.kind === 'scripts' ? c.coverage.scripts : [],
      roles: c.coverage.kind === 'scripts' ? c.coverage.roles : {},
      ...(c.role === 'both' && scripted ? { bothSides: bothSidesTested(c) } : {}),
      roleVerdicts: byRole,
      ...(c.coverage.kind === 'untestable' ? { untestable: c.coverage.reason } : {}),
      ...(c.coverage.kind === 'todo' ? { todo: c.coverage.what } : {}),
      verdicts,
    };
  });
  const deviations: DeviationReport[] = [];
  for (const c of clauses) {
    for (const t of targets) {
      const v = c.verdicts[t];
      if (v?.verdict !== 'deviates') continue;
      for (const e of v.evidence) {
        const entry = findXfail(input.xfails, { file: e.script, target: t, kernel: input.kernelVersion });
        const versions = entry ? rangeText(entry) : undefined;
        deviations.push({
          clause: c.id, target: t, script: e.script, message: e.message, reason: e.reason ?? entry?.reason ?? '',
          ...(e.at ? { at: e.at } : {}), ...(e.observed ? { observed: e.observed } : {}),
          ...(versions ? { versions } : {}), ...(entry ? { entry: entry.source } : {}),
        });
      }
    }
  }
  return {
    rfc: 8684, index: INDEX_PATH, targets,
    ...(input.kernelRelease ? { kernel: input.kernelRelease } : {}),
    clauses, sections: sectionTotals(clauses, targets), deviations,
  };
}
