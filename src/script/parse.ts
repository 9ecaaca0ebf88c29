// parseScript: text → typed script model + positioned diagnostics; never throws.
//
// The happy path is one pure parse of the whole file. When it fails, the file is cut into events
// (a new event starts at a time, a `command` or a %{ block }% that begins a line outside
// brackets) and every piece is parsed on its own, so each broken event reports its own first
// error and a file with three broken lines reports three errors, without the cascades that
// token-level recovery produces on a language of one-line events.

import type { IRecognitionException, IToken } from 'chevrotain';
import type { Diagnostic, Script, SourceRange } from './ast.js';
import { lexPkt, type LexProblem } from '../../grammar/lexer.js';
import { pktParser, tokenIs } from '../../grammar/parser.js';
import * as T from '../../grammar/tokens.js';
import { tokenRange } from './build-util.js';
import { scriptBuilder } from './build.js';
import { Reporter } from './checks/report.js';
import { clipMessage, MAX_TOKENS, textTooLarge, tokenEstimate } from './limits.js';

export interface ParseOptions {
  /** `-D NAME=VALUE` from the command line; they override the script's own `--define` lines. */
  defines?: Record<string, string>;
}

export interface ParseResult {
  /** Present when the file is syntactically valid; run it only if `diagnostics` has no error. */
  script?: Script;
  diagnostics: Diagnostic[];
}

/** Deeper bracket nesting than any script needs; refused before parsing (recursion depth). */
export const MAX_NESTING = 64;

function lexDiagnostic(file: string, p: LexProblem): Diagnostic {
  const start = { line: p.line, column: p.column, offset: p.offset };
  const end = { line: p.line, column: p.column + Math.max(1, p.length), offset: p.offset + Math.max(1, p.length) };
  return { severity: 'error', code: p.code, file, range: { start, end }, message: p.message };
}

/** Defines written in the script (`--define=N=V`, `-D N=V`), then the caller's over them. */
function collectDefines(tokens: IToken[], callerDefines: Record<string, string> | undefined): Map<string, string> {
  const defines = new Map<string, string>();
  for (const t of tokens) {
    if (t.tokenType !== T.OptionLine) continue;
    const m = /^(?:--define=|-D[ \t]*)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(t.image);
    if (m) defines.set(m[1]!, m[2]!);
  }
  for (const [k, val] of Object.entries(callerDefines ?? {})) defines.set(k, val);
  return defines;
}

const OPENERS = [T.LParen, T.LBracket, T.LBrace];
const CLOSERS = [T.RParen, T.RBracket, T.RBrace];

/** The first token nested deeper than MAX_NESTING, if any. */
function tooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (OPENERS.some((o) => t.tokenType === o)) {
      if (++depth > MAX_NESTING) return t;
    } else if (CLOSERS.some((c) => t.tokenType === c)) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

function startsEvent(t: IToken): boolean {
  return [T.Int, T.Float, T.Plus, T.Star, T.Backquoted, T.CodeBlock, T.OptionLine].some((k) => tokenIs(t, k));
}

/** `[+]N [~|... [+]N] <action start>`: a line that begins an event even after a missing ')' or ']'. */
function looksLikeEvent(tokens: IToken[], i: number): boolean {
  let j = i;
  const is = (k: number, type: Parameters<typeof tokenIs>[1]) => tokens[k] !== undefined && tokenIs(tokens[k]!, type);
  const number = () => {
    if (is(j, T.Plus)) j++;
    if (!is(j, T.Int) && !is(j, T.Float)) return false;
    j++;
    return true;
  };
  if (is(j, T.Star)) j++;
  else {
    if (!number()) return false;
    if (is(j, T.Tilde) || is(j, T.Ellipsis)) {
      j++;
      if (!number()) return false;
    }
  }
  return is(j, T.LAngle) || is(j, T.RAngle) || is(j, T.Backquoted) || is(j, T.CodeBlock) || (is(j, T.Word) && is(j + 1, T.LParen));
}

/** Cuts the token stream where a new event (or option line / command) starts a line. */
function chunks(tokens: IToken[]): IToken[][] {
  const out: IToken[][] = [];
  let current: IToken[] = [];
  let depth = 0;
  let prevLine = 0;
  tokens.forEach((t, i) => {
    const line = t.startLine ?? 0;
    const lineStart = line > prevLine;
    if (current.length > 0 && lineStart && ((depth === 0 && startsEvent(t)) || looksLikeEvent(tokens, i))) {
      out.push(current);
      current = [];
      depth = 0;
    }
    current.push(t);
    if (OPENERS.some((o) => t.tokenType === o)) depth++;
    else if (CLOSERS.some((c) => t.tokenType === c)) depth = Math.max(0, depth - 1);
    prevLine = t.endLine ?? line;
  });
  if (current.length > 0) out.push(current);
  return out;
}

function parseTokens(tokens: IToken[]): { cst: ReturnType<typeof pktParser.script>; errors: IRecognitionException[] } {
  pktParser.input = tokens;
  const cst = pktParser.script();
  return { cst, errors: pktParser.errors };
}

function syntaxDiagnostic(file: string, e: IRecognitionException, lastToken: IToken | undefined): Diagnostic {
  // At end of input Chevrotain's token has no position: point just after the last real token.
  const t = e.token;
  let range: SourceRange;
  if (Number.isNaN(t.startOffset) || t.startLine === undefined || Number.isNaN(t.startLine)) {
    const r = lastToken ? tokenRange(lastToken) : { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
    range = { start: r.end, end: r.end };
  } else range = tokenRange(t);
  return { severity: 'error', code: 'syntax', file, range, message: e.message };
}

/** One error per broken event; a piece that only parses together with the next is merged. */
function collectSyntaxErrors(file: string, tokens: IToken[], lexOffsets: number[]): Diagnostic[] {
  const pieces = chunks(tokens);
  const out: Diagnostic[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    // A piece with a lexer error already has its diagnostic; the hole the bad token left
    // would only add a second, confusing one.
    const from = i === 0 ? 0 : piece[0]!.startOffset;
    const to = pieces[i + 1]?.[0]?.startOffset ?? Infinity;
    if (lexOffsets.some((o) => o >= from && o < to)) continue;
    const { errors } = parseTokens(piece);
    if (errors.length === 0) continue;
    const next = pieces[i + 1];
    if (next && parseTokens([...piece, ...next]).errors.length === 0) {
      i++;
      continue;
    }
    out.push(syntaxDiagnostic(file, errors[0]!, piece.at(-1)));
  }
  return out;
}

/** The first token at which define expansion would take the script past MAX_TOKENS. */
function expansionOverflow(tokens: IToken[], defines: Map<string, string>): IToken | undefined {
  const sizes = new Map([...defines].map(([name, value]) => [name, Math.max(1, tokenEstimate(value, MAX_TOKENS))]));
  let n = 0;
  for (const t of tokens) {
    n += sizes.get(t.image) ?? 1;
    if (n > MAX_TOKENS) return t;
  }
  return undefined;
}

function parseUnsafe(original: string, file: string, opts: ParseOptions): ParseResult {
  // A UTF-8 byte-order mark (editors on Windows write one) is blank: a space of the same
  // length keeps every offset and column the same as in the file.
  const text = original.charCodeAt(0) === 0xfeff ? ` ${original.slice(1)}` : original;
  const tooLarge = textTooLarge(file, text);
  if (tooLarge) return { diagnostics: [tooLarge] };
  const sink = new Reporter(file);
  let lexed = lexPkt(text);
  const defines = collectDefines(lexed.tokens, opts.defines);
  const overflow = defines.size > 0 ? expansionOverflow(lexed.tokens, defines) : undefined;
  if (overflow) {
    return { diagnostics: [{ severity: 'error', code: 'too-large', file, range: tokenRange(overflow), message: `the script has more than ${MAX_TOKENS.toLocaleString('en-US')} tokens once defines are substituted, the most a script may have` }] };
  }
  if (defines.size > 0) lexed = lexPkt(text, defines);
  const diagnostics = lexed.problems.map((p) => lexDiagnostic(file, p));
  const deep = tooDeep(lexed.tokens);
  if (deep) {
    diagnostics.push({ severity: 'error', code: 'too-deep', file, range: tokenRange(deep), message: `brackets nested deeper than ${MAX_NESTING} levels` });
    return { diagnostics };
  }
  const { cst, errors } = parseTokens(lexed.tokens);
  if (errors.length > 0) {
    diagnostics.push(...collectSyntaxErrors(file, lexed.tokens, lexed.problems.map((p) => p.offset)));
    if (diagnostics.length === 0) diagnostics.push(syntaxDiagnostic(file, errors[0]!, lexed.tokens.at(-1)));
    return { diagnostics };
  }
  const script = scriptBuilder.build(cst, { file, text, sink, comments: lexed.comments });
  diagnostics.push(...sink.diagnostics);
  diagnostics.sort((a, b) => a.range.start.offset - b.range.start.offset);
  return diagnostics.some((d) => d.code === 'lex' || d.code === 'int-range') ? { diagnostics } : { script, diagnostics };
}

/** Parses a .pkt text. Never throws: an internal failure becomes one diagnostic. */
export function parseScript(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  try {
    const result = parseUnsafe(text, file, opts);
    for (const d of result.diagnostics) d.message = clipMessage(d.message);
    return result;
  } catch (err) {
    const at = { line: 1, column: 1, offset: 0 };
    const message = `internal parser error: ${err instanceof Error ? err.message : String(err)}`;
    return { diagnostics: [{ severity: 'error', code: 'internal', file, range: { start: at, end: at }, message }] };
  }
}
