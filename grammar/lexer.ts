// Lexing a .pkt text: Chevrotain's lexer, then the three passes the language needs after it —
// define substitution (§2: every word is looked up in the defines first), contextual keywords
// (plain words retyped to their keyword token), and the checks a lexer owes its users
// (unterminated strings/commands/comments, integers that do not fit in 64 bits).

import { Lexer, type IToken, type TokenType } from 'chevrotain';
import { Hex, Int, Word, keywordTokens, lexerTokens, unterminated } from './tokens.js';
import { grammarChecked } from './checked.js';

export const pktLexer = new Lexer(lexerTokens, { positionTracking: 'full', ensureOptimizations: true, skipValidations: grammarChecked });

export interface LexProblem {
  message: string;
  offset: number;
  line: number;
  column: number;
  length: number;
  code: string;
}

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  problems: LexProblem[];
}

const INT_MIN = -(2n ** 63n);
const UINT_MAX = 2n ** 64n - 1n;

function retype(token: IToken, type: TokenType): void {
  token.tokenType = type;
  token.tokenTypeIdx = type.tokenTypeIdx!;
}

/** Lexes the value of a define into the tokens that replace a word, placed where the word was. */
function defineTokens(value: string, at: IToken): IToken[] {
  const result = pktLexer.tokenize(value);
  return result.tokens.map((t) => ({
    ...t,
    startOffset: at.startOffset,
    endOffset: at.endOffset,
    startLine: at.startLine,
    endLine: at.endLine,
    startColumn: at.startColumn,
    endColumn: at.endColumn,
  }));
}

function problemAt(token: IToken, message: string, code: string): LexProblem {
  return {
    message,
    code,
    offset: token.startOffset,
    line: token.startLine ?? 1,
    column: token.startColumn ?? 1,
    length: token.image.length,
  };
}

/** Tokenizes `text`, applying `defines` (NAME → value text) to words. */
export function lexPkt(text: string, defines: ReadonlyMap<string, string> = new Map()): LexResult {
  const result = pktLexer.tokenize(text);
  const problems: LexProblem[] = result.errors.map((e) => ({
    message: `unexpected character '${text.substr(e.offset, 1)}'`,
    code: 'lex',
    offset: e.offset,
    line: e.line ?? 1,
    column: e.column ?? 1,
    length: e.length,
  }));
  const tokens: IToken[] = [];
  for (const token of result.tokens) {
    const bad = unterminated.get(token.tokenType);
    if (bad !== undefined) {
      problems.push(problemAt(token, bad, 'lex'));
      continue;
    }
    if (token.tokenType === Word && defines.has(token.image)) {
      tokens.push(...defineTokens(defines.get(token.image)!, token));
      continue;
    }
    tokens.push(token);
  }
  for (const token of tokens) {
    if (token.tokenType === Word) {
      const k = keywordTokens.get(token.image);
      if (k) retype(token, k);
    } else if (token.tokenType === Int || token.tokenType === Hex) {
      const v = BigInt(token.image);
      if (v < INT_MIN || v > UINT_MAX) problems.push(problemAt(token, `integer ${token.image} does not fit in 64 bits`, 'int-range'));
    }
  }
  const comments = (result.groups['comments'] ?? []) as IToken[];
  return { tokens, comments, problems };
}
