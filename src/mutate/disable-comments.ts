// `// mutate-disable-next-line: REASON` in a script: the line after it is not mutated, and the
// report counts its fields under the reason the script gives. For expectations that cannot fail
// by design (a script showing that the stack ignores an option: dropping the option is the same
// test), as mutation tools let code say (Stryker's `// Stryker disable-next-line`). A comment to
// packetdrill, so the script stays upstream-compatible. The reason is required: a survivor must
// never disappear without a word in the report.

const DISABLE = /^\s*\/\/\s*mutate-disable-next-line\s*(?::\s*(.*?))?\s*$/;

export interface DisabledLine {
  /** The reason the script gives ('' when none: the comment then disables nothing). */
  reason: string;
  /** The comment's own line (1-based), for the error on a missing reason. */
  commentLine: number;
}

/** 1-based line numbers the script disables, with their reasons. */
export function disabledLines(text: string): Map<number, DisabledLine> {
  const out = new Map<number, DisabledLine>();
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const m = DISABLE.exec(line);
    if (m) out.set(i + 2, { reason: m[1] ?? '', commentLine: i + 1 });
  }
  return out;
}
