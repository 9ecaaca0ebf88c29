// `fmt`: reprints a script with aligned columns — time, then for packets the direction/tuple,
// flags and sequence range — keeping every token and comment as written. Only whitespace
// changes: runs of blanks between tokens become one space (none stays none, a line break stays
// a line break), so the lexer sees the same tokens and the script means the same thing. As a
// safety net the result is parsed again and must build the same model.

import type { IToken } from 'chevrotain';
import type { Event, Script } from './ast.js';
import { lexPkt } from '../../grammar/lexer.js';
import { tokenIs } from '../../grammar/parser.js';
import * as T from '../../grammar/tokens.js';
import { parseScript, type ParseOptions } from './parse.js';

export class FormatError extends Error {
  override name = 'FormatError';
}

/** The model without source positions: what two spellings of one script must share. */
export function withoutRanges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRanges);
  if (value instanceof Uint8Array) return Array.from(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'range' || k.endsWith('Range') || k === 'comments') continue;
      out[k] = withoutRanges(v);
    }
    return out;
  }
  return value;
}

interface Line {
  time: string;
  /** Packet columns (direction…tuple, flags, seq range, rest) or one column for other actions. */
  cols: string[];
}

/** Whitespace between two tokens of one event: one space, none, or kept when it holds a break or a comment. */
function gap(text: string): string {
  if (text === '') return '';
  if (/^[ \t]+$/.test(text)) return ' ';
  return text.replace(/[ \t]+\n/g, '\n');
}

class Printer {
  constructor(
    readonly text: string,
    readonly tokens: IToken[],
  ) {}

  /** Tokens starting in [from, to). */
  within(from: number, to: number): IToken[] {
    return this.tokens.filter((t) => t.startOffset >= from && t.startOffset < to);
  }

  /** The source of [from, to) with the whitespace between its tokens normalised. */
  join(from: number, to: number, keepFrom = to): string {
    const toks = this.within(from, to);
    if (toks.length === 0) return '';
    let out = '';
    let pos = toks[0]!.startOffset;
    for (const t of toks) {
      if (t.startOffset >= keepFrom) {
        out += (pos < keepFrom ? gap(this.text.slice(pos, t.startOffset)) : this.text.slice(pos, t.startOffset));
        out += this.text.slice(t.startOffset, to);
        return out;
      }
      out += gap(this.text.slice(pos, t.startOffset)) + t.image;
      pos = t.endOffset! + 1;
    }
    return out;
  }

  event(e: Event): Line {
    const time = this.within(e.timeRange.start.offset, e.timeRange.end.offset).map((t) => t.image).join('');
    const a = e.action;
    const end = e.range.end.offset;
    if (a.kind === 'packet' && a.body.kind === 'tcp') {
      const body = this.within(a.body.range.start.offset, end);
      // The sequence range starts at the first integer followed by ':' in the body.
      const seqIdx = body.findIndex((t, i) => (tokenIs(t, T.Int) || tokenIs(t, T.Hex)) && body[i + 1] !== undefined && tokenIs(body[i + 1]!, T.Colon));
      const seqEndIdx = body.findIndex((t, i) => i > seqIdx && tokenIs(t, T.RParen));
      if (seqIdx > 0 && seqEndIdx > seqIdx) {
        const flagsStart = a.body.range.start.offset;
        const seqStart = body[seqIdx]!.startOffset;
        const restStart = body[seqEndIdx]!.endOffset! + 1;
        return {
          time,
          cols: [
            this.join(a.range.start.offset, flagsStart),
            this.join(flagsStart, seqStart),
            this.join(seqStart, restStart),
            this.join(restStart, end),
          ],
        };
      }
    }
    if (a.kind === 'syscall' && a.note !== undefined) {
      const after = Math.max(a.expectedReturn.range.end.offset, a.expectedErrno?.range.end.offset ?? 0);
      const open = this.within(after, end).find((t) => tokenIs(t, T.LParen));
      return { time, cols: [this.join(a.range.start.offset, end, open?.startOffset ?? end)] };
    }
    return { time, cols: [this.join(a.range.start.offset, end)] };
  }
}

/** Trims line ends and shrinks every run of blank lines to one (none at the very start). */
function tidyLines(lines: string[], dropLeadingBlank: boolean): string[] {
  const kept: string[] = [];
  for (const raw of lines) {
    const l = raw.replace(/[ \t\r]+$/, '');
    if (l === '' && (kept.at(-1) === '' || (dropLeadingBlank && kept.length === 0))) continue;
    kept.push(l);
  }
  return kept;
}

/** Text between two events (or after the last): a trailing comment stays on its line. */
function between(text: string, atEnd: boolean): string {
  const lines = text.split('\n');
  const first = lines[0]!.trim();
  const out = (first ? ' ' + first : '') + '\n';
  // The last line is the indentation before the next event: events start at column 1.
  const rest = tidyLines(lines.slice(1, atEnd ? undefined : -1), false);
  if (atEnd) while (rest.at(-1) === '') rest.pop();
  return out + rest.map((l) => l + '\n').join('');
}

/** Option lines, init command and comments before the first event. */
function header(text: string): string {
  const lines = text.split('\n');
  return tidyLines(lines.slice(0, -1), true).map((l) => l + '\n').join('');
}

function render(lines: Line[]): string[] {
  const timeWidth = Math.max(0, ...lines.map((l) => l.time.length));
  const widths = [0, 1, 2].map((i) => Math.max(0, ...lines.filter((l) => l.cols.length === 4).map((l) => l.cols[i]!.length)));
  return lines.map((l) => {
    const cols = l.cols.length === 4 ? l.cols.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)) : l.cols;
    return (l.time.padEnd(timeWidth) + ' ' + cols.join(' ')).replace(/[ \t]+$/, '');
  });
}

function formatParsed(text: string, script: Script): string {
  const { tokens } = lexPkt(text);
  const printer = new Printer(text, tokens);
  const events = script.events;
  if (events.length === 0) return header(text + '\n');
  const lines = render(events.map((e) => printer.event(e)));
  let out = header(text.slice(0, events[0]!.range.start.offset));
  events.forEach((e, i) => {
    const next = events[i + 1];
    out += lines[i]!;
    out += between(text.slice(e.range.end.offset, next ? next.range.start.offset : text.length), next === undefined);
  });
  return out;
}

/** Formats `text`; throws FormatError when it does not parse or formatting would change it. */
export function formatScript(text: string, file: string, opts: ParseOptions = {}): string {
  const before = parseScript(text, file, opts);
  const syntax = before.diagnostics.find((d) => d.severity === 'error' && (d.code === 'syntax' || d.code === 'lex' || d.code === 'too-deep' || d.code === 'int-range'));
  if (!before.script || syntax) {
    const d = syntax ?? before.diagnostics[0];
    throw new FormatError(d ? `${file}:${d.range.start.line}:${d.range.start.column}: ${d.message}` : `${file}: cannot be parsed`);
  }
  const out = formatParsed(text, before.script);
  const after = parseScript(out, file, opts);
  if (!after.script || JSON.stringify(withoutRanges(after.script)) !== JSON.stringify(withoutRanges(before.script))) {
    throw new FormatError(`${file}: formatting would change the script's meaning; left as is`);
  }
  return out;
}
