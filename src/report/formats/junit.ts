// JUnit XML, the shape GitLab, Jenkins and GitHub test reporters read: one <testsuite> with a
// <testcase> per script and mode (classname = the script's folder, dots for slashes; time in
// seconds). fail and strict XPASS → <failure>, error → <error>, skip → <skipped>; XFAIL and a
// non-strict XPASS pass, with the reason in <system-out> (kselftest counts XFAIL as a pass). A
// timing failure while the tester itself was late, and reruns for it, are testcase properties
// (testerLateMs, timingRetries).
// Written whole at the end: the testsuite element carries the counts.

import type { SuiteResult, SuiteSummary } from '../../suite/types.js';
import { explanation } from './common.js';
import type { FormatIo, SuiteFormatter, SuitePlan } from './types.js';

export function xmlEscape(text: string): string {
  // Characters XML 1.0 forbids (control codes from a crashed child's output) are dropped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function attrs(pairs: Record<string, string | number>): string {
  return Object.entries(pairs).map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`).join('');
}

function testcase(r: SuiteResult): string[] {
  const slash = r.file.lastIndexOf('/');
  const classname = slash === -1 ? 'mptcpdrill' : r.file.slice(0, slash).replace(/^\/+/, '').replace(/\//g, '.');
  const name = r.name.slice(slash + 1);
  const open = `    <testcase${attrs({ classname, name, time: (r.wallMs / 1000).toFixed(3) })}`;
  const body = xmlEscape(explanation(r).join('\n'));
  const message = r.reason ?? r.outcome;
  // A timing failure while the tester itself was late, and reruns for it (--retry-timing).
  const late = r.report.failure?.testerLateUs;
  const props = [
    ...(late !== undefined ? [`        <property${attrs({ name: 'testerLateMs', value: Math.round(late / 100) / 10 })}/>`] : []),
    ...(r.report.timingRetries ? [`        <property${attrs({ name: 'timingRetries', value: r.report.timingRetries })}/>`] : []),
  ];
  const properties = props.length > 0 ? ['      <properties>', ...props, '      </properties>'] : [];
  switch (r.outcome) {
    case 'pass':
      return properties.length > 0 ? [`${open}>`, ...properties, '    </testcase>'] : [`${open}/>`];
    case 'fail':
      return [`${open}>`, ...properties, `      <failure${attrs({ message, type: r.report.failure?.kind ?? 'fail' })}>${body}</failure>`, '    </testcase>'];
    case 'error':
      return [`${open}>`, ...properties, `      <error${attrs({ message, type: r.report.failure?.kind ?? 'error' })}>${body}</error>`, '    </testcase>'];
    case 'skip':
      return [`${open}>`, `      <skipped${attrs({ message })}/>`, '    </testcase>'];
    case 'xfail':
    case 'xpass':
      if (r.outcome === 'xpass' && r.strict) return [`${open}>`, `      <failure${attrs({ message: `XPASS (strict): ${message}`, type: 'xpass' })}>${body}</failure>`, '    </testcase>'];
      return [`${open}>`, `      <system-out>${xmlEscape(`${r.outcome.toUpperCase()}: ${message}`)}</system-out>`, '    </testcase>'];
  }
}

export function junitDocument(results: readonly SuiteResult[], summary: SuiteSummary, suiteName: string, timestamp: Date): string {
  const t = summary.totals;
  const counts = {
    tests: results.length,
    failures: results.filter((r) => r.outcome === 'fail' || (r.outcome === 'xpass' && r.strict)).length,
    errors: t.error,
    skipped: t.skip,
    time: (summary.wallMs / 1000).toFixed(3),
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'mptcpdrill', ...counts })}>`,
    `  <testsuite${attrs({ name: suiteName, ...counts, timestamp: timestamp.toISOString().replace(/\.\d+Z$/, '') })}>`,
    ...results.flatMap(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function junitFormatter(io: FormatIo): SuiteFormatter {
  let target = '';
  const started = new Date();
  return {
    begin(plan: SuitePlan) { target = plan.target; },
    result() { /* written whole at the end */ },
    end(summary, results) { io.write(junitDocument(results, summary, `mptcpdrill ${target}`, started)); },
  };
}
