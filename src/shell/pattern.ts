// Shell patterns (case, ${x#pat}, pathname expansion) to regular expressions. A pattern is a list
// of pieces; quoted pieces match themselves, unquoted ones may hold *, ? and [...].

export interface PatternPiece {
  text: string;
  quoted: boolean;
}

const escapeRe = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** The regex source of a pattern (unanchored); `*` matches any run, greedy or not. */
export function patternSource(pieces: readonly PatternPiece[], lazy = false): string {
  let out = '';
  for (const p of pieces) {
    if (p.quoted) { out += escapeRe(p.text); continue; }
    const t = p.text;
    for (let i = 0; i < t.length; i++) {
      const c = t[i]!;
      if (c === '\\' && i + 1 < t.length) { out += escapeRe(t[++i]!); continue; }
      if (c === '*') { out += lazy ? '[\\s\\S]*?' : '[\\s\\S]*'; continue; }
      if (c === '?') { out += '[\\s\\S]'; continue; }
      if (c === '[') {
        const close = bracketEnd(t, i);
        if (close > 0) {
          let body = t.slice(i + 1, close);
          let negate = false;
          if (body.startsWith('!') || body.startsWith('^')) { negate = true; body = body.slice(1); }
          const cls = body.replace(/\[:(\w+):\]/g, (_m, n: string) => POSIX_CLASSES[n] ?? '').replace(/[\\\]^]/g, (m) => (m === '\\' ? '\\\\' : `\\${m}`));
          out += `[${negate ? '^' : ''}${cls}]`;
          i = close;
          continue;
        }
      }
      out += escapeRe(c);
    }
  }
  return out;
}

const POSIX_CLASSES: Record<string, string> = { alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v', xdigit: '0-9a-fA-F', punct: '!-\\/:-@\\[-`{-~' };

/** The index of the `]` closing the bracket expression at `open`, or -1. */
function bracketEnd(t: string, open: number): number {
  let i = open + 1;
  if (t[i] === '!' || t[i] === '^') i++;
  if (t[i] === ']') i++;
  for (; i < t.length; i++) {
    if (t[i] === '[' && t[i + 1] === ':') {
      const end = t.indexOf(':]', i + 2);
      if (end > 0) { i = end + 1; continue; }
    }
    if (t[i] === ']') return i;
  }
  return -1;
}

export function matchPattern(pieces: readonly PatternPiece[], text: string): boolean {
  return new RegExp(`^${patternSource(pieces)}$`).test(text);
}

/** Whether the pieces hold an unquoted pattern character (pathname expansion applies). */
export function hasGlob(pieces: readonly PatternPiece[]): boolean {
  return pieces.some((p) => !p.quoted && /[*?[]/.test(p.text));
}

/** ${v#p} ${v##p} ${v%p} ${v%%p}. */
export function removePattern(value: string, pieces: readonly PatternPiece[], side: 'prefix' | 'suffix', greedy: boolean): string {
  const src = patternSource(pieces);
  if (side === 'prefix') {
    // Shortest (or longest) prefix that matches.
    const lengths = [...Array(value.length + 1).keys()];
    if (greedy) lengths.reverse();
    const re = new RegExp(`^(?:${src})$`);
    for (const n of lengths) if (re.test(value.slice(0, n))) return value.slice(n);
    return value;
  }
  const starts = [...Array(value.length + 1).keys()];
  if (!greedy) starts.reverse();
  const re = new RegExp(`^(?:${src})$`);
  for (const s of starts) if (re.test(value.slice(s))) return value.slice(0, s);
  return value;
}
