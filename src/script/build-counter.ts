// The argument of a counter assertion (`mib(MPTcpExtMPJoinSynRx) = 1`, docs/language.md §6.3): a
// MIB counter's name as nstat writes it, checked against the counters Linux 6.18 has, with the
// nearest name suggested for a typo.

import type { CstElement, CstNode, IToken } from 'chevrotain';
import { LINUX_COUNTERS } from '../sys/linux-counters.js';
import type { Expr } from './ast.js';
import type { Reporter } from './checks/report.js';
import { isToken, nodeRange, tokenRange } from './build-util.js';

/** Every token under `n`, in order. */
export function tokensOf(n: CstNode, out: IToken[] = []): IToken[] {
  for (const list of Object.values(n.children) as CstElement[][]) {
    for (const e of list) {
      if (isToken(e)) out.push(e);
      else tokensOf(e, out);
    }
  }
  return out;
}

/** Edit distance, for the suggestion (names are short; the table has ~400). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

export function nearestCounter(name: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  const lower = name.toLowerCase();
  for (const c of LINUX_COUNTERS) {
    const d = distance(lower, c.toLowerCase());
    if (!best || d < best.d) best = { name: c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.name : undefined;
}

export function counterArg(n: CstNode, sink: Reporter): Expr {
  const tokens = tokensOf(n);
  const range = tokens.length === 1 ? tokenRange(tokens[0]!) : nodeRange(n);
  const word = tokens.length === 1 && /^[A-Za-z][A-Za-z0-9_]*$/.test(tokens[0]!.image) ? tokens[0]!.image : undefined;
  if (word === undefined) {
    sink.error('counter-name', range, 'a counter assertion takes the name of a MIB counter, as nstat writes it (e.g. MPTcpExtMPJoinSynRx)');
    return { kind: 'symbol', name: '', value: 0n, range };
  }
  if (!LINUX_COUNTERS.has(word)) {
    const near = nearestCounter(word);
    sink.error('unknown-counter', range, `unknown MIB counter '${word}': Linux 6.18 has none by that name${near ? `; did you mean ${near}?` : ' (nstat names them as MPTcpExtMPJoinSynRx, TcpExtTCPFastOpenActive, TcpActiveOpens)'}`);
  }
  return { kind: 'symbol', name: word, value: 0n, range };
}
