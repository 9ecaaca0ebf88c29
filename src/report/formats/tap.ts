// TAP version 13 (testanything.org): `ok N - name`, YAML diagnostics under failing tests, and
// TAP's own directives: a skip is `# SKIP`, an expected failure is a `not ok ... # TODO` (TAP's
// meaning of TODO: a known failure that does not fail the run), an unexpected pass of a
// non-strict entry is `ok ... # TODO` (harnesses flag it as "unexpectedly succeeded"), and a
// strict XPASS is a plain `not ok`.

import type { SuiteResult } from '../../suite/types.js';
import { explanation, needsExplanation, oneLine, tapStream } from './common.js';
import type { FormatIo, SuiteFormatter } from './types.js';

function tapLine(r: SuiteResult, n: number): string {
  const name = `${n} - ${oneLine(r.name)}`;
  const reason = oneLine(r.reason);
  switch (r.outcome) {
    case 'pass': return `ok ${name}`;
    case 'fail':
    case 'error': return `not ok ${name}`;
    case 'skip': return `ok ${name} # SKIP ${reason}`;
    case 'xfail': return `not ok ${name} # TODO XFAIL ${reason}`;
    case 'xpass': return r.strict ? `not ok ${name}` : `ok ${name} # TODO XPASS ${reason}`;
  }
}

function yamlBlock(r: SuiteResult): string[] {
  const out = ['  ---', `  outcome: ${r.outcome}`, `  mode: ${JSON.stringify(r.mode ?? '')}`, `  target: ${r.target}`, `  duration_ms: ${Math.round(r.wallMs)}`];
  if (r.reason) out.push(`  message: ${JSON.stringify(r.reason)}`);
  out.push('  detail: |');
  for (const l of explanation(r)) out.push(`    ${l}`.trimEnd());
  out.push('  ...');
  return out;
}

export function tapFormatter(io: FormatIo): SuiteFormatter {
  return tapStream(io, (r, n) => [tapLine(r, n), ...(needsExplanation(r) ? yamlBlock(r) : [])], 'totals');
}
