// Pieces of the script's text for traces and failures found by line number.

import type { SourceRange } from '../script/ast.js';

/** The text a node covers, on one line. */
export function sourceText(text: string, range: SourceRange): string {
  return text.slice(range.start.offset, range.end.offset).replace(/\s+/g, ' ').trim();
}

/** A range covering line `line` of `text` (1-based), from its first non-blank character. */
export function lineRange(text: string, line: number): SourceRange {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  const content = lines[line - 1] ?? '';
  const indent = content.length - content.trimStart().length;
  return {
    start: { line, column: indent + 1, offset: offset + indent },
    end: { line, column: content.length + 1, offset: offset + content.length },
  };
}
