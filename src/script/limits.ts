// Limits that keep parsing bounded in time and memory whatever the input. Chevrotain keeps every
// token with its position (hundreds of bytes each) and the parser builds a tree over them, so a
// 1 MB line of `nop` options once took seconds and hundreds of MB before any check saw it; these
// checks run first, on the raw text, with no allocation per token. No real script comes near
// them: the project's largest is 5 KB, its longest line 456 characters.

import type { Diagnostic, SourcePos } from './ast.js';

/** Largest script read, in bytes (a larger file is refused without being read). */
export const MAX_SCRIPT_BYTES = 1 << 20;
/** Longest line, in characters. */
export const MAX_LINE_CHARS = 16 * 1024;
/** Most tokens a script may lex to (estimated before lexing, counted after define expansion). */
export const MAX_TOKENS = 100_000;
/** Longest quotation of script text kept in a message. */
const MAX_QUOTE = 40;
/** Longest message. */
const MAX_MESSAGE = 400;

function positionAt(text: string, offset: number): SourcePos {
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: offset - lineStart + 1, offset };
}

function limitDiagnostic(file: string, text: string, offset: number, message: string): Diagnostic {
  const start = positionAt(text, offset);
  const end = { ...start, column: start.column + 1, offset: offset + 1 };
  return { severity: 'error', code: 'too-large', file, range: { start, end }, message };
}

const count = (n: number): string => n.toLocaleString('en-US');

/** A file too large to read, found from its size alone. */
export function fileTooLarge(file: string, bytes: number): Diagnostic | undefined {
  if (bytes <= MAX_SCRIPT_BYTES) return undefined;
  return limitDiagnostic(file, '', 0, `the script is ${count(bytes)} bytes long, more than the ${count(MAX_SCRIPT_BYTES)} a script may have`);
}

/**
 * Upper bound of the tokens in `text` from offset `from`: every run of word characters and every
 * other non-blank character counts one (the lexer makes at most that many). Returns the offset
 * at which the count passes `limit`, or -1.
 */
export function tokenOverflow(text: string, limit: number, from = 0): number {
  const re = /[A-Za-z0-9_]+|\S/g;
  re.lastIndex = from;
  let n = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) if (++n > limit) return m.index;
  return -1;
}

/** How many tokens `text` makes at most, counting no further than `limit + 1`. */
export function tokenEstimate(text: string, limit: number): number {
  const re = /[A-Za-z0-9_]+|\S/g;
  let n = 0;
  while (n <= limit && re.exec(text) !== null) n++;
  return n;
}

/** The first limit `text` breaks (size, line length, token count), as one diagnostic. */
export function textTooLarge(file: string, text: string): Diagnostic | undefined {
  if (text.length > MAX_SCRIPT_BYTES) return fileTooLarge(file, Buffer.byteLength(text));
  let lineStart = 0;
  let line = 1;
  while (lineStart <= text.length) {
    const nl = text.indexOf('\n', lineStart);
    const end = nl === -1 ? text.length : nl;
    if (end - lineStart > MAX_LINE_CHARS) {
      return limitDiagnostic(file, text, lineStart + MAX_LINE_CHARS, `line ${line} is ${count(end - lineStart)} characters long, more than the ${count(MAX_LINE_CHARS)} a line may have`);
    }
    if (nl === -1) break;
    lineStart = nl + 1;
    line++;
  }
  // Every token has a character of its own: a text no longer than the limit cannot pass it.
  const at = text.length > MAX_TOKENS ? tokenOverflow(text, MAX_TOKENS) : -1;
  if (at !== -1) return limitDiagnostic(file, text, at, `the script has more than ${count(MAX_TOKENS)} tokens, the most a script may have`);
  return undefined;
}

/** `message` with long quotations of script text cut to an excerpt, and the whole bounded. */
export function clipMessage(message: string): string {
  const long = new RegExp(`'([^']{${MAX_QUOTE + 1},})'`, 'g');
  const quoted = message.replace(long, (_, inner: string) => `'${inner.slice(0, MAX_QUOTE - 3)}...'`);
  return quoted.length > MAX_MESSAGE ? `${quoted.slice(0, MAX_MESSAGE - 3)}...` : quoted;
}
