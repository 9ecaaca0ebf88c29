// KTAP as the kernel selftests print it (tools/testing/selftests/kselftest.h, ktap_helpers.sh):
//
//   TAP version 13
//   1..3
//   # <diagnostics of the failure>
//   not ok 1 tcp/x.pkt [ipv4]
//   ok 2 tcp/y.pkt [ipv4] # SKIP reason
//   ok 3 tcp/z.pkt [ipv4] # XFAIL reason
//   # Totals: pass:0 fail:1 xfail:1 xpass:0 skip:1 error:0
//
// Diagnostics come before the result line they explain, as kselftest prints them. An XPASS is
// `ok ... # XPASS reason` (`not ok` when the entry is strict); an error is `not ok ... # error`.
// The totals line is spelt `# Totals:` exactly as kselftest.h and ktap_helpers.sh print it.

import type { SuiteResult } from '../../suite/types.js';
import { explanation, needsExplanation, oneLine, tapStream } from './common.js';
import type { FormatIo, SuiteFormatter } from './types.js';

export function ktapLine(r: SuiteResult, n: number): string {
  const name = oneLine(r.name);
  const reason = oneLine(r.reason);
  switch (r.outcome) {
    case 'pass': return `ok ${n} ${name}`;
    case 'fail': return `not ok ${n} ${name}`;
    case 'skip': return `ok ${n} ${name} # SKIP ${reason}`;
    case 'xfail': return `ok ${n} ${name} # XFAIL ${reason}`;
    case 'xpass': return `${r.strict ? 'not ok' : 'ok'} ${n} ${name} # XPASS ${reason}`;
    case 'error': return `not ok ${n} ${name} # error ${reason}`;
  }
}

export function ktapFormatter(io: FormatIo): SuiteFormatter {
  const explain = (r: SuiteResult): string[] => (needsExplanation(r) || r.runs > 1 ? explanation(r).map((l) => `# ${l}`.trimEnd()) : []);
  return tapStream(io, (r, n) => [...explain(r), ktapLine(r, n)], 'Totals');
}
