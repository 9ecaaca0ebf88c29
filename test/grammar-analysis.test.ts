// The bundle's parser skips Chevrotain's grammar recording and lookahead analysis, using the data
// scripts/bundle.ts stores (grammar/analysis.ts, grammar/stored-lookahead.ts). Here a parser built
// from that data must be the recorded one: the same GAST, every decision from stored paths, and
// the same trees and errors on every corpus script and every invalid snippet.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeGrammar, type CstElement, type CstNode, type IToken } from 'chevrotain';
import { analyseGrammar } from '../grammar/analysis.js';
import { lexPkt } from '../grammar/lexer.js';
import { MAX_LOOKAHEAD, PktParser, pktParser } from '../grammar/parser.js';
import { StoredLookahead } from '../grammar/stored-lookahead.js';
import { corpus } from './grammar-helpers.js';

const analysis = analyseGrammar(pktParser.getGAstProductions(), MAX_LOOKAHEAD);
// Through JSON, as the bundle carries it.
const replayed = new PktParser(JSON.parse(JSON.stringify(analysis)) as typeof analysis);

function shape(node: CstElement | undefined): unknown {
  if (node === undefined) return null;
  if (!('children' in node)) return `${(node as IToken).tokenType.name}@${(node as IToken).startOffset}`;
  const n = node as CstNode;
  return { [n.name]: Object.fromEntries(Object.entries(n.children).map(([k, v]) => [k, v.map(shape)])) };
}

function parseWith(parser: PktParser, text: string): { tree: unknown; errors: string[] } {
  parser.input = lexPkt(text).tokens;
  const cst = parser.script();
  return { tree: shape(cst), errors: parser.errors.map((e) => `${e.token.startOffset}: ${e.message}`) };
}

test('the replayed grammar is the recorded one', (t) => {
  t.deepEqual(serializeGrammar(Object.values(replayed.getGAstProductions())), serializeGrammar(Object.values(pktParser.getGAstProductions())));
  t.true(Object.keys(analysis.paths).length > 100);
});

test('every decision of the replayed parser comes from stored paths', (t) => {
  const strategy = (replayed as unknown as { lookaheadStrategy: StoredLookahead }).lookaheadStrategy;
  t.true(strategy instanceof StoredLookahead);
  t.deepEqual(strategy.missing, []);
  // A decision missing from the data falls back to Chevrotain's own, and says so.
  const partial = new PktParser({ ...analysis, paths: Object.fromEntries(Object.entries(analysis.paths).slice(1)) });
  t.is((partial as unknown as { lookaheadStrategy: StoredLookahead }).lookaheadStrategy.missing.length, 1);
});

test('the replayed parser builds the same trees and errors on the corpus and the invalid snippets', (t) => {
  const invalidDir = 'test/invalid';
  const scripts = corpus().map((c) => c.text);
  const texts = [
    ...scripts,
    ...readdirSync(invalidDir).map((f) => readFileSync(join(invalidDir, f), 'utf8')),
    // Cut short in the middle of a line: the error paths (no viable alternative, early exit).
    ...scripts.flatMap((text) => [1, 2].map((third) => text.slice(0, Math.floor((text.length * third) / 3)))),
  ];
  let withErrors = 0;
  for (const text of texts) {
    const recorded = parseWith(pktParser, text);
    const stored = parseWith(replayed, text);
    t.deepEqual(stored, recorded);
    if (recorded.errors.length > 0) withErrors++;
  }
  t.true(texts.length > 200);
  t.true(withErrors > 10, `only ${withErrors} texts exercised the error paths`);
});
