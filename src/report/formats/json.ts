// JSON lines: a `plan` object, one `result` object per script and mode (every field of the
// result: outcome, reason, mode, target, timing, seeds, repetitions, failure headline and full
// detail, warnings, skip reasons), and a final `summary` object. One object a line, in plan order.

import type { SuiteResult, SuiteSummary } from '../../suite/types.js';
import type { FormatIo, SuiteFormatter, SuitePlan } from './types.js';

export function resultObject(r: SuiteResult): Record<string, unknown> {
  const rep = r.report;
  return {
    type: 'result',
    index: r.index,
    name: r.name,
    file: r.file,
    mode: r.mode ?? null,
    target: r.target,
    outcome: r.outcome,
    status: rep.status,
    reason: r.reason ?? null,
    strict: r.strict ?? false,
    runs: r.runs,
    passes: r.passes,
    seeds: r.seeds,
    wallMs: Math.round(r.wallMs * 10) / 10,
    scriptEndUs: rep.scriptEndUs,
    failure: rep.failure ? {
      kind: rep.failure.kind, headline: rep.failure.headline, detail: rep.detail ?? null,
      testerLateMs: rep.failure.testerLateUs === undefined ? null : Math.round(rep.failure.testerLateUs / 100) / 10,
    } : null,
    timingRetries: rep.timingRetries ?? 0,
    skipReasons: rep.skipReasons ?? [],
    warnings: rep.warnings,
  };
}

export function jsonFormatter(io: FormatIo): SuiteFormatter {
  const say = (o: unknown): void => io.write(JSON.stringify(o) + '\n');
  return {
    begin(plan: SuitePlan) { say({ type: 'plan', total: plan.total, target: plan.target, notes: plan.notes }); },
    result(r) { say(resultObject(r)); },
    end(summary: SuiteSummary) { say({ type: 'summary', ...summary, wallMs: Math.round(summary.wallMs) }); },
  };
}
