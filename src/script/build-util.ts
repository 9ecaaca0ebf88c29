// Helpers shared by the CST visitor files: reading children of a CST context, source ranges,
// integer conversion with range checks, string escapes.

import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { SourcePos, SourceRange } from './ast.js';
import type { Reporter } from './checks/report.js';

export type Ctx = Record<string, CstElement[] | undefined>;

export function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

/** The `i`th token labelled `name`, if any. */
export function tok(ctx: Ctx, name: string, i = 0): IToken | undefined {
  const e = ctx[name]?.[i];
  return e !== undefined && isToken(e) ? e : undefined;
}

export function toks(ctx: Ctx, name: string): IToken[] {
  return (ctx[name] ?? []).filter(isToken);
}

/** The `i`th sub-node labelled `name`, if any. */
export function node(ctx: Ctx, name: string, i = 0): CstNode | undefined {
  const e = ctx[name]?.[i];
  return e !== undefined && !isToken(e) ? e : undefined;
}

export function nodes(ctx: Ctx, name: string): CstNode[] {
  return (ctx[name] ?? []).filter((e): e is CstNode => !isToken(e));
}

export function startOf(t: IToken): SourcePos {
  return { line: t.startLine ?? 1, column: t.startColumn ?? 1, offset: t.startOffset };
}

export function endOf(t: IToken): SourcePos {
  return { line: t.endLine ?? t.startLine ?? 1, column: (t.endColumn ?? t.startColumn ?? 0) + 1, offset: (t.endOffset ?? t.startOffset) + 1 };
}

export function tokenRange(t: IToken): SourceRange {
  return { start: startOf(t), end: endOf(t) };
}

const FILE_START: SourceRange = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

export function nodeRange(n: CstNode): SourceRange {
  const l = n.location!;
  // A node that holds no token at all (an empty file) has no location: the start of the file.
  if (Number.isNaN(l.startOffset) || l.startLine === undefined || Number.isNaN(l.startLine)) return FILE_START;
  return {
    start: { line: l.startLine ?? 1, column: l.startColumn ?? 1, offset: l.startOffset },
    end: { line: l.endLine ?? 1, column: (l.endColumn ?? 0) + 1, offset: (l.endOffset ?? l.startOffset) + 1 },
  };
}

function elementRange(e: CstElement): SourceRange {
  return isToken(e) ? tokenRange(e) : nodeRange(e);
}

/**
 * The nodes being visited, outermost first: a visit method only receives the children, and its
 * node (with the location) is one of these. A stack rather than a map of every node: a map's
 * inserts were a tenth of parsing.
 */
const visiting: CstNode[] = [];

export function enterNode(n: CstNode): void {
  visiting.push(n);
}

export function leaveNode(): void {
  visiting.pop();
}

function visitedNode(ctx: Ctx): CstNode | undefined {
  for (let i = visiting.length - 1; i >= 0; i--) if (visiting[i]!.children === ctx) return visiting[i];
  return undefined;
}

/** The source range of the node whose children are `ctx`. */
export function ctxRange(ctx: Ctx): SourceRange {
  const known = visitedNode(ctx);
  if (known?.location) return nodeRange(known);
  let best: SourceRange | undefined;
  for (const list of Object.values(ctx)) {
    for (const e of list ?? []) {
      const r = elementRange(e);
      if (Number.isNaN(r.start.offset)) continue;
      if (!best) best = { start: r.start, end: r.end };
      else {
        if (r.start.offset < best.start.offset) best.start = r.start;
        if (r.end.offset > best.end.offset) best.end = r.end;
      }
    }
  }
  return best ?? FILE_START;
}

export function spanRanges(a: SourceRange, b: SourceRange): SourceRange {
  return { start: a.start.offset <= b.start.offset ? a.start : b.start, end: a.end.offset >= b.end.offset ? a.end : b.end };
}

/**
 * A number field with a known range: `what` names it in the error. Out-of-range values give a
 * diagnostic and are clamped so the model stays well-typed.
 */
export function numOf(t: IToken, sink: Reporter, what: string, min: number, max: number): number {
  const v = BigInt(t.image);
  if (v < BigInt(min) || v > BigInt(max)) {
    sink.error('value-range', tokenRange(t), `${what} ${t.image} is out of range (${min}..${max})`);
    return v < BigInt(min) ? min : max;
  }
  return Number(v);
}

export const U8 = 0xff;
export const U16 = 0xffff;
export const U32 = 0xffffffff;

/** Decodes a string literal (quotes included): C escapes `\n \t \r \0 \\ \" \xHH` and octal. */
export function decodeString(image: string): string {
  const body = image.slice(1, -1);
  return body.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|[\s\S])/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      default: return e;
    }
  });
}
