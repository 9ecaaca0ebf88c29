// Which words of two `.pkt` lines differ: a longest-common-subsequence over tokens, so that
// `ack 101` vs `ack 1` highlights only the numbers, and an extra option highlights only itself.

/** Tokens of a packet line: words, numbers and single punctuation, with the spaces kept. */
export function tokenize(line: string): string[] {
  return line.match(/\s+|[A-Za-z0-9_#.]+|[^\sA-Za-z0-9_#.]/g) ?? [];
}

/** Marks, for each token of `a` and of `b`, whether it is outside their common subsequence. */
export function diffTokens(a: string[], b: string[]): { aChanged: boolean[]; bChanged: boolean[] } {
  const n = a.length;
  const m = b.length;
  const len: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i]![j] = a[i] === b[j] ? len[i + 1]![j + 1]! + 1 : Math.max(len[i + 1]![j]!, len[i]![j + 1]!);
    }
  }
  const aChanged = new Array<boolean>(n).fill(true);
  const bChanged = new Array<boolean>(m).fill(true);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      aChanged[i++] = false;
      bChanged[j++] = false;
    } else if (len[i + 1]![j]! >= len[i]![j + 1]!) i++;
    else j++;
  }
  // Whitespace is never "changed": highlighting spaces only adds noise.
  a.forEach((t, k) => { if (/^\s+$/.test(t)) aChanged[k] = false; });
  b.forEach((t, k) => { if (/^\s+$/.test(t)) bChanged[k] = false; });
  return { aChanged, bChanged };
}

/** Both lines with the differing tokens passed through `mark`. */
export function highlightDifferences(expected: string, actual: string, mark: (s: string) => string): { expected: string; actual: string } {
  // The direction marker and the tuple may differ only by the arrow's side; compare bodies.
  const a = tokenize(expected);
  const b = tokenize(actual);
  const { aChanged, bChanged } = diffTokens(a, b);
  const join = (toks: string[], changed: boolean[]): string => toks.map((t, k) => (changed[k] ? mark(t) : t)).join('');
  return { expected: join(a, aChanged), actual: join(b, bChanged) };
}
