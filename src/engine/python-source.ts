// The Python source of a `%{ ... }%` block as it stands in the file, with the script line its
// first code line is on, so that Python's line numbers map back to the script.

import type { CodeAction } from '../script/ast.js';

export interface BlockSource {
  /** Script line of the first line of `code`. */
  firstLine: number;
  code: string;
}

const indentOf = (l: string): number => l.length - l.trimStart().length;

/** Removes the indentation the lines share, keeping relative indentation. */
function dedent(lines: string[]): string[] {
  const widths = lines.filter((l) => l.trim() !== '').map(indentOf);
  const common = widths.length ? Math.min(...widths) : 0;
  return lines.map((l) => l.slice(Math.min(common, indentOf(l))));
}

/**
 * Reads the block from the file text (the model's `code` is trimmed, which loses line
 * positions). Text on the same line as `%{` starts the block; later lines are dedented together.
 */
export function blockSource(text: string, action: CodeAction): BlockSource {
  const open = text.indexOf('%{', action.range.start.offset);
  const close = text.lastIndexOf('}%', action.range.end.offset);
  if (open < 0 || close < open) return { firstLine: action.range.start.line, code: action.code };
  const openLine = text.slice(0, open).split('\n').length;
  const lines = text.slice(open + 2, close).split('\n');
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  const body = lines.slice(first);
  while (body.length && body[body.length - 1]!.trim() === '') body.pop();
  if (body.length === 0) return { firstLine: openLine, code: '' };
  const code = first === 0 ? [body[0]!.trimStart(), ...dedent(body.slice(1))] : dedent(body);
  return { firstLine: openLine + first, code: code.join('\n') };
}

/**
 * The source Python compiles for a block, as packetdrill writes it into its file: the block's
 * text followed by a newline, then the blank line that separates blocks there. So a last line
 * ending in a backslash continuation (`assert a;\` before `}%`) is valid, as upstream.
 */
export function runnableSource(code: string): string {
  return `${code}\n\n`;
}
