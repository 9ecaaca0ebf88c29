// How a disagreement reads: upstream-style headline (FILE:LINE: ...), the script line with a
// caret, the two stacks' events side by side in `.pkt` form with the differing words
// highlighted, the differing fields one per line, both verdicts, and the events just before it
// on which the two runs still agreed.

import { Chalk } from 'chalk';
import { sec } from '../engine/timeline.js';
import { caretLines, sourceLine } from '../script/diagnostics.js';
import { highlightDifferences } from '../report/diff.js';
import type { Disagreement } from './compare.js';
import type { NormEvent } from './normalize.js';

export interface SideView {
  name: string;
  /** `pass`, `fail`... with the side's own failure headline when it did not pass. */
  verdict: string;
  events: readonly NormEvent[];
}

export interface DiffReportOptions {
  color: boolean;
  /** Agreed events shown before the disagreement. Default 4. */
  context?: number;
}

/** The script line the disagreement belongs to (0/undefined: none). */
export function disagreementLine(d: Disagreement): number | undefined {
  const line = d.a?.line ?? d.b?.line;
  return line === 0 ? undefined : line;
}

export function disagreementHeadline(file: string, d: Disagreement, a: string, b: string): string {
  const line = disagreementLine(d);
  const summary = d.summary.replace(/\bA\b/g, a).replace(/\bB\b/g, b);
  return `${file}:${line ?? 'end'}: ${a} and ${b} disagree: ${summary}`;
}

function sourceExcerpt(text: string, line: number): string[] {
  const src = sourceLine(text, line);
  if (src === undefined || src.trim() === '') return [];
  const start = src.search(/\S/) + 1;
  const { source, caret } = caretLines(src, start, undefined);
  const prefix = `${String(line).padStart(5)} | `;
  return [prefix + source, ' '.repeat(prefix.length - 2) + '| ' + caret];
}

function eventText(e: NormEvent | undefined): string {
  if (!e) return '(nothing: the run had ended)';
  const dir = e.kind === 'inbound' ? '< ' : e.kind === 'outbound' ? '> ' : '';
  return `${dir}${e.text}`;
}

export function formatDisagreement(file: string, text: string, d: Disagreement, sides: [SideView, SideView], opts: DiffReportOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const [a, b] = sides;
  const out: string[] = [c.bold(disagreementHeadline(file, d, a.name, b.name))];
  const line = disagreementLine(d);
  if (line !== undefined) out.push(...sourceExcerpt(text, line).map((l, i) => (i === 1 ? c.green(l) : l)));
  let ta = eventText(d.a);
  let tb = eventText(d.b);
  if (d.a && d.b) ({ expected: ta, actual: tb } = highlightDifferences(ta, tb, (s) => c.bold.red(s)));
  const width = Math.max(a.name.length, b.name.length) + 1;
  const time = (e: NormEvent | undefined): string => (e ? `${sec(e.time)} ` : '');
  out.push(`  ${`${a.name}:`.padEnd(width)} ${time(d.a)}${ta}`);
  out.push(`  ${`${b.name}:`.padEnd(width)} ${time(d.b)}${tb}`);
  for (const f of d.diffs) out.push(`  ${c.bold(f.name)}: ${a.name} ${f.a} vs ${b.name} ${f.b}`);
  out.push(`  verdicts: ${a.name} ${a.verdict}; ${b.name} ${b.verdict}`);
  const context = opts.context ?? 4;
  const before = a.events.slice(Math.max(0, d.index - context), d.index);
  if (before.length > 0) {
    out.push('  agreed before it:');
    for (const e of before) out.push(`    ${sec(e.time)} ${eventText(e)}${e.line ? `   (line ${e.line})` : ''}`);
  }
  return out.join('\n');
}
