// Text helpers of the mutant generator: the script's tokens (lexed as written, defines not
// substituted, so a token's image is exactly the text a mutant replaces), positions, edits, and
// the one-step value changes every field mutation is made of.

import type { IToken } from 'chevrotain';
import { isIPv4, isIPv6 } from 'node:net';
import { lexPkt } from '../../grammar/lexer.js';
import type { SourceRange } from '../script/ast.js';
import type { Edit } from './types.js';

export interface Tok {
  image: string;
  /** Token type name (`Int`, `Hex`, `Word`, `Kw_ack`, `LBracket`, ...). */
  type: string;
  start: number;
  /** Offset just after the token. */
  end: number;
}

export class ScriptText {
  readonly tokens: Tok[];
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    this.tokens = lexPkt(text).tokens.map((t: IToken) => ({ image: t.image, type: t.tokenType.name, start: t.startOffset, end: t.startOffset + t.image.length }));
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** Tokens wholly inside [start, end). */
  tokensIn(start: number, end: number): Tok[] {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const out: Tok[] = [];
    for (let i = lo; i < this.tokens.length && this.tokens[i]!.end <= end; i++) out.push(this.tokens[i]!);
    return out;
  }

  tokensOf(range: SourceRange): Tok[] {
    return this.tokensIn(range.start.offset, range.end.offset);
  }

  slice(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /** The whole physical lines an edit touches, before and after it. */
  lines(edit: Edit): { original: string; mutated: string } {
    const from = this.text.lastIndexOf('\n', edit.start - 1) + 1;
    let to = this.text.indexOf('\n', edit.end);
    if (to < 0) to = this.text.length;
    const original = this.text.slice(from, to);
    const mutated = this.text.slice(from, edit.start) + edit.text + this.text.slice(edit.end, to);
    return { original, mutated };
  }
}

export function applyEdit(text: string, edit: Edit): string {
  return text.slice(0, edit.start) + edit.text + text.slice(edit.end);
}

export const isNumberTok = (t: Tok | undefined): t is Tok => t !== undefined && (t.type === 'Int' || t.type === 'Hex');

/** `image` (decimal or 0x hex) moved by `delta`, in the same base; undefined below 0 or above `max`. */
export function stepNumber(image: string, delta: bigint, max?: bigint): string | undefined {
  const value = BigInt(image) + delta;
  if (value < 0n || (max !== undefined && value > max)) return undefined;
  if (/^-?0[xX]/.test(image)) {
    const digits = value.toString(16);
    return `0x${/[A-F]/.test(image.slice(2)) ? digits.toUpperCase() : digits}`;
  }
  return value.toString();
}

/** A hex string (an FO cookie) with its last digit changed. */
export function stepHexText(text: string): string {
  const last = parseInt(text.slice(-1), 16);
  return text.slice(0, -1) + ((last ^ 1).toString(16));
}

/** An address with its last part moved by one (the last IPv4 octet, else the last IPv6 group). */
export function stepAddress(address: string): string | undefined {
  const v4 = /^(.*?)(\d{1,3})$/.exec(address);
  if (isIPv4(address) || (isIPv6(address) && /\d+\.\d+\.\d+\.\d+$/.test(address))) {
    const last = Number(v4![2]);
    return `${v4![1]}${last === 255 ? 254 : last + 1}`;
  }
  if (!isIPv6(address)) return undefined;
  const m = /^(.*:)([0-9A-Fa-f]{0,4})$/.exec(address);
  if (!m) return undefined;
  const group = m[2] === '' ? 0 : parseInt(m[2]!, 16);
  return `${m[1]}${(group === 0xffff ? group - 1 : group + 1).toString(16)}`;
}
