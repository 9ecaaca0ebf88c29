// The report a kernel developer can act on: upstream's failure line (FILE:LINE:COL: ...), the
// source line with a caret, expected and actual packets with the differing words highlighted,
// the connection state the packet engine captured, and the last packets exchanged.

import { Chalk, type ChalkInstance } from 'chalk';
import type { Failure, RunResult } from '../engine/types.js';
import { caretLines, sourceLine } from '../script/diagnostics.js';
import { highlightDifferences } from './diff.js';
import { formatTraceEntry, lastPackets } from './trace-format.js';

export interface ReportOptions {
  color: boolean;
  /** Packets of the trace shown at the end of a failure report. Default 8. */
  tracePackets?: number;
}

/** `file:line:col: message` — or the message alone when it already names its place (Python). */
export function failureHeadline(file: string, f: Failure): string {
  if (!f.range || f.kind === 'code' || /^\S+:\d+: /.test(f.message)) return f.range ? f.message : `${file}: ${f.message}`;
  return `${file}:${f.range.start.line}:${f.range.start.column}: ${f.message}`;
}

function packetLines(c: ChalkInstance, f: Failure): string[] {
  if (f.expected === undefined && f.actual === undefined) return [];
  const mark = (s: string): string => c.bold.red(s);
  let expected = f.expected;
  let actual = f.actual;
  if (expected !== undefined && actual !== undefined) ({ expected, actual } = highlightDifferences(expected, actual, mark));
  const out: string[] = [];
  if (expected !== undefined) out.push(`  expected: ${expected}`);
  if (actual !== undefined) out.push(`  actual:   ${actual}`);
  return out;
}

/** The line under a timing failure the tester's own lateness may explain. */
export function testerLateLine(us: number): string {
  const ms = us >= 10_000 ? String(Math.round(us / 1000)) : (us / 1000).toFixed(1);
  return `the tester was ${ms} ms late here: the machine is overloaded; --tolerance-scale or fewer -j`;
}

/** The whole failure report for a failed (or errored) run. */
export function formatFailure(result: RunResult, text: string, opts: ReportOptions): string {
  const f = result.failure;
  if (!f) return '';
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const lines: string[] = [c.bold(failureHeadline(result.file, f))];
  if (f.range) {
    const src = sourceLine(text, f.range.start.line);
    if (src !== undefined && text !== '') {
      const end = f.range.end.line === f.range.start.line ? f.range.end.column : undefined;
      const { source, caret } = caretLines(src, f.range.start.column, end);
      lines.push(source, c.green(caret));
    }
  }
  if (f.testerLateUs !== undefined) lines.push(`  ${c.yellow(testerLateLine(f.testerLateUs))}`);
  lines.push(...packetLines(c, f));
  if (f.output && f.output.trim() !== '') {
    lines.push('  output:');
    for (const l of f.output.trimEnd().split('\n')) lines.push(`    ${l}`);
  }
  if (f.state && f.state.length > 0) {
    lines.push('  state:');
    for (const s of f.state) lines.push(`    ${s}`);
  }
  const recent = lastPackets(result.trace, opts.tracePackets ?? 8);
  if (recent.length > 0) {
    lines.push('  last packets:');
    for (const e of recent) lines.push(`    ${formatTraceEntry(e)}`);
  }
  return lines.join('\n');
}

/** Warnings of a run, one per line; never silent. */
export function formatWarnings(result: RunResult, opts: ReportOptions): string[] {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  return result.warnings.map((w) => `${c.bold.magenta('warning:')} ${w}`);
}

/** One line saying how the run ended. */
export function formatOutcome(result: RunResult, opts: ReportOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  switch (result.status) {
    case 'pass': return `${c.green('PASS')} ${result.file}`;
    case 'fail': return `${c.red('FAIL')} ${result.file}`;
    case 'error': return `${c.red('ERROR')} ${result.file}`;
    case 'skip': return `${c.yellow('SKIP')} ${result.file}: ${(result.skipReasons ?? []).join(' ')}`;
  }
}

/** Everything to print after a run: warnings, the failure report, the outcome line. */
export function formatRunReport(result: RunResult, text: string, opts: ReportOptions): string {
  const parts = [...formatWarnings(result, opts)];
  if (result.failure) parts.push(formatFailure(result, text, opts));
  parts.push(formatOutcome(result, opts));
  return parts.join('\n');
}
