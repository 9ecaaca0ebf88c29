// Parsing shell text with just-bash's parser (a maintained, typed bash parser in TypeScript; see
// the README's design notes for why it was chosen over mvdan-sh and sh-syntax). The module is
// loaded on first use, so runs without shell lines never pay for it.
import type { ScriptNode } from 'just-bash';

export type { ScriptNode } from 'just-bash';

type ParseFn = (input: string) => ScriptNode;
let parser: ParseFn | undefined;

/** Loads the parser; call (and await) once before parseShell. */
export async function loadShellParser(): Promise<void> {
  if (!parser) parser = (await import('just-bash')).parse;
}

/** Whether loadShellParser has completed. */
export function shellParserLoaded(): boolean {
  return parser !== undefined;
}

/** Parses by text: a suite runs the same setup script before every test. The ASTs are never changed. */
const cache = new Map<string, { ast: ScriptNode } | { error: string }>();
const CACHE_TEXT_LIMIT = 8 * 1024 * 1024;
let cachedText = 0;

/** The script's AST, or the parser's message (bash's wording: "syntax error near …"). */
export function parseShell(text: string): { ast: ScriptNode } | { error: string } {
  if (!parser) throw new Error('parseShell before loadShellParser');
  const hit = cache.get(text);
  if (hit) return hit;
  let result: { ast: ScriptNode } | { error: string };
  try {
    result = { ast: parser(text) };
  } catch (err) {
    result = { error: err instanceof Error ? err.message : String(err) };
  }
  if (cachedText + text.length > CACHE_TEXT_LIMIT) { cache.clear(); cachedText = 0; }
  cache.set(text, result);
  cachedText += text.length;
  return result;
}
