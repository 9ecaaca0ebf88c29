// Pieces several formats share: the totals in kselftest's words, one-line reasons, and the
// lines that explain a result that did not pass.

import { OUTCOMES, type SuiteResult, type SuiteSummary, type Totals } from '../../suite/types.js';
import type { FormatIo, SuiteFormatter, SuitePlan } from './types.js';

/** `pass:3 fail:1 xfail:0 xpass:0 skip:2 error:0`, kselftest's order and spelling. */
export function totalsText(t: Totals): string {
  return OUTCOMES.map((o) => `${o}:${t[o]}`).join(' ');
}

/** Text safe on one TAP line: no newlines, no `#` (which would start a directive). */
export function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s*\n\s*/g, ' ').replace(/#/g, '').trim();
}

/** `1 script`, `2 scripts`. */
export function scriptCount(n: number): string {
  return `${n} script${n === 1 ? '' : 's'}`;
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
}

/** Everything worth showing under a result that did not pass, without colours, one entry a line. */
export function explanation(r: SuiteResult, color = false): string[] {
  const lines: string[] = [];
  if (r.runs > 1) lines.push(`passed ${r.passes}/${r.runs} runs (seeds ${r.seeds.join(', ')})`);
  else lines.push(`seed ${r.seeds[0]}`);
  if (r.outcome === 'skip') return lines;
  const detail = color ? r.report.detailColor ?? r.report.detail : r.report.detail;
  if (detail) lines.push(...detail.split('\n'));
  else if (r.report.failure) lines.push(r.report.failure.headline);
  for (const w of r.report.warnings) lines.push(`warning: ${w}`);
  return lines;
}

/** True for results whose explanation is printed (not the passing ones). */
export function needsExplanation(r: SuiteResult): boolean {
  return r.outcome === 'fail' || r.outcome === 'error' || (r.outcome === 'xpass' && r.strict === true);
}

/**
 * The frame KTAP and TAP share: version line, plan, notes as `#` lines, the lines of each
 * result, and at the end `Bail out!` when interrupted, the totals and the wall time.
 */
export function tapStream(io: FormatIo, resultLines: (r: SuiteResult, n: number) => string[], totalsLabel: string): SuiteFormatter {
  let n = 0;
  const say = (line: string): void => io.write(line + '\n');
  return {
    begin(plan: SuitePlan) {
      say('TAP version 13');
      say(`1..${plan.total}`);
      for (const note of plan.notes) say(`# ${note}`);
    },
    result(r) {
      for (const l of resultLines(r, ++n)) say(l);
    },
    end(summary: SuiteSummary) {
      if (summary.interrupted) say(`Bail out! interrupted after ${summary.ran} of ${scriptCount(summary.planned)}`);
      say(`# ${totalsLabel}: ${totalsText(summary.totals)}`);
      say(`# ${scriptCount(summary.ran)} in ${seconds(summary.wallMs)} s, exit status ${summary.exitCode}`);
    },
  };
}
