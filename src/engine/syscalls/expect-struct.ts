// Expectations a script writes as a struct of named integer fields (`{tcpi_state=1, ...}`),
// compared field by field against a decoded C struct. Shared by the flat getsockopt values
// (tcp_info, mptcp_info) and the elements of the SOL_MPTCP arrays; only fields written are checked.

import type { Expr, StructExpr } from '../../script/ast.js';
import type { StructLayout, StructValues } from '../../sys/struct-layout.js';
import { bigintArg, CallError, isEllipsis } from './expr.js';

export type WantedFields = ReadonlyArray<readonly [name: string, value: bigint]>;

export const showInt = (v: bigint): string => (v < 10n ? `${v}` : `${v} (0x${v.toString(16)})`);

/**
 * The integer fields `s` names (skipping `...` values and the names in `others`, which the
 * caller compares itself); a name the layout does not have is a script error.
 */
export function wantedFields(s: StructExpr, layout: StructLayout, others: ReadonlySet<string> = new Set()): WantedFields {
  const out: Array<[string, bigint]> = [];
  for (const f of s.fields) {
    if (f.name === undefined || others.has(f.name) || isEllipsis(f.value)) continue;
    if (!layout.byName.has(f.name)) throw new CallError(`struct ${layout.name} has no field ${f.name}`, f.range);
    out.push([f.name, bigintArg(f.value, f.name)]);
  }
  return out;
}

/** The first written field whose decoded value differs, as a sentence naming it; `missing` describes a field not returned. */
export function fieldMismatch(wanted: WantedFields, got: StructValues, what: string, missing: string): string | undefined {
  for (const [name, exp] of wanted) {
    const raw = got[name];
    if (raw === undefined) return `${what} field ${name}: expected: ${showInt(exp)} vs actual: (${missing})`;
    if (BigInt(raw) !== exp) return `${what} field ${name}: expected: ${showInt(exp)} vs actual: ${showInt(BigInt(raw))}`;
  }
  return undefined;
}

/** A named field's expression when it is written and not `...`. */
export function written(s: StructExpr, name: string): Expr | undefined {
  const f = s.fields.find((x) => x.name === name);
  return f && !isEllipsis(f.value) ? f.value : undefined;
}

/**
 * The items of a written array of per-element expectations. A trailing `...` item means "and
 * possibly more": without it the call must return exactly as many elements as written. Other
 * `...` items stand for one element that is not checked.
 */
export interface ElementList {
  items: Array<StructExpr | undefined>;
  open: boolean;
}

export function elementList(e: Expr | undefined, what: string): ElementList | undefined {
  if (e === undefined || isEllipsis(e)) return undefined;
  if (e.kind !== 'array') throw new CallError(`${what} must be written [{...}, ...]`, e.range);
  const open = e.items.length > 0 && isEllipsis(e.items[e.items.length - 1]);
  const items = (open ? e.items.slice(0, -1) : e.items).map((it) => {
    if (isEllipsis(it)) return undefined;
    if (it.kind !== 'struct') throw new CallError(`each element of ${what} must be a {...} struct or ...`, it.range);
    return it;
  });
  return { items, open };
}

/** The element count against the list's: exact, or at least as many when the list is open. */
export function countMismatch(list: ElementList, got: number, what: string): string | undefined {
  const n = list.items.length;
  if (list.open ? got >= n : got === n) return undefined;
  return `${what}: expected: ${list.open ? `at least ${n}` : n} element${n === 1 && !list.open ? '' : 's'} vs actual: ${got}`;
}
