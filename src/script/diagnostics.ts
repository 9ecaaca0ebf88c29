// Diagnostics printed the way a C compiler prints them, so editors and people read them at once:
//
//   file.pkt:12:6: error: message
//   +0 > S. 0:0(0) <mss 1460>
//        ^~
//
// Tabs are expanded (to 8-column stops) and unprintable characters escaped in both the source
// and the caret line, so the caret stays under the culprit; a very wide line is cut to a window
// around it.

import { Chalk, type ChalkInstance } from 'chalk';
import type { Diagnostic, Severity } from './ast.js';

const TAB = 8;
/** Widest source excerpt printed; longer lines show a window around the culprit. */
const MAX_WIDTH = 120;

export interface FormatOptions {
  color: boolean;
}

/** True when colour is wanted on `stream`: a TTY and NO_COLOR unset (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '') && env['TERM'] !== 'dumb';
}

/** The 1-based `line` of `text` without its line ending, or undefined past the end. */
export function sourceLine(text: string, line: number): string | undefined {
  let start = 0;
  for (let n = 1; n < line; n++) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) return undefined;
    start = nl + 1;
  }
  if (start > text.length) return undefined;
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '');
}

/**
 * How a character is shown in an excerpt: a tab as spaces (to the next stop), control characters,
 * U+FFFD (what undecodable bytes became) and invisible format characters escaped, so a binary
 * file never writes raw bytes to the terminal and the caret stays under the culprit. A
 * byte-order mark opening the line is not shown (editors hide it; the parser skips it).
 */
function shown(ch: string, col: number): string {
  if (ch === '\t') return ' '.repeat(TAB - (col % TAB));
  const code = ch.codePointAt(0)!;
  if (code === 0xfeff && col === 0) return '';
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `\\x${code.toString(16).padStart(2, '0')}`;
  const loneSurrogate = ch.length === 1 && code >= 0xd800 && code < 0xe000;
  if (loneSurrogate || code === 0xfffd || code === 0xfeff || (code >= 0x200b && code <= 0x200f) || code === 0x2028 || code === 0x2029) {
    return `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return ch;
}

/** `text` with every character in its shown form (messages quote script characters too). */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) out += shown(ch, out.length);
  return out;
}

/** Display column (0-based) of each character index of `line`, as `shown` prints it. */
function displayColumns(line: string): number[] {
  const cols: number[] = [];
  let col = 0;
  for (const ch of line) {
    cols.push(col);
    if (ch.length === 2) cols.push(col); // second half of a surrogate pair
    col += shown(ch, col).length;
  }
  cols.push(col);
  return cols;
}

/** Source excerpt and caret line for a range starting on `lineText` (plain text, no colour). */
export function caretLines(lineText: string, startColumn: number, endColumn: number | undefined): { source: string; caret: string } {
  const cols = displayColumns(lineText);
  const startIndex = Math.min(Math.max(startColumn - 1, 0), lineText.length);
  const endIndex = endColumn === undefined ? lineText.length : Math.min(Math.max(endColumn - 1, startIndex + 1), lineText.length);
  const from = cols[startIndex]!;
  const to = Math.max(cols[Math.max(endIndex, startIndex)]!, from + 1);
  let source = printable(lineText);
  let caret = ' '.repeat(from) + '^' + '~'.repeat(Math.max(to - from - 1, 0));
  if (source.length > MAX_WIDTH) {
    // Window around the caret: keep a third of the width before it, mark cut ends with '...'.
    const left = Math.max(0, Math.min(from - Math.floor(MAX_WIDTH / 3), source.length - MAX_WIDTH));
    const right = left + MAX_WIDTH;
    const head = left > 0 ? '...' : '';
    const tail = right < source.length ? '...' : '';
    source = head + source.slice(left, right) + tail;
    caret = ' '.repeat(head.length) + caret.slice(left, right);
  }
  return { source, caret: caret.replace(/\s+$/, '') };
}

function severityStyle(c: ChalkInstance, severity: Severity): ChalkInstance {
  return severity === 'error' ? c.bold.red : severity === 'warning' ? c.bold.magenta : c.bold.cyan;
}

/**
 * `file:line:col: severity: message`, the source line and a caret line (`^` under the start,
 * `~` under the rest of the culprit on that line). `sourceText` is the whole file (may be '').
 */
export function formatDiagnostic(d: Diagnostic, sourceText: string, options: FormatOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const { line, column } = d.range.start;
  const header = `${c.bold(`${d.file}:${line}:${column}:`)} ${severityStyle(c, d.severity)(`${d.severity}:`)} ${c.bold(printable(d.message))}`;
  const text = sourceLine(sourceText, line);
  if (text === undefined || sourceText === '') return header;
  const endColumn = d.range.end.line === line ? d.range.end.column : undefined;
  const { source, caret } = caretLines(text, column, endColumn);
  return [header, source, c.green(caret)].join('\n');
}

export interface DiagnosticJson {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
}

/** The object `check --json` prints, one per line. */
export function diagnosticToJson(d: Diagnostic): DiagnosticJson {
  return {
    file: d.file,
    line: d.range.start.line,
    column: d.range.start.column,
    endLine: d.range.end.line,
    endColumn: d.range.end.column,
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
}

/** Orders diagnostics by file, then position, errors before warnings at the same place. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const rank = (s: Severity): number => (s === 'error' ? 0 : s === 'warning' ? 1 : 2);
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.column - b.range.start.column ||
    rank(a.severity) - rank(b.severity)
  );
}
