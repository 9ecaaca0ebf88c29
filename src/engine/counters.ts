// Counter assertions (docs/language.md §6.3). `mib(NAME) = N`: NAME grew by N since the script
// started (its value when the clock started, after the init command, is the baseline: on the
// kernel a fresh namespace starts every counter at 0, so this is also its value); `mib_delta(NAME)
// = N`: it grew by N since the previous assertion naming it (or the start). The kernel selftests
// check the same way, with nstat deltas around each step.

import type { Script, SyscallAction } from '../script/ast.js';
import { isCounterCall } from '../script/build-syscalls.js';
import type { CounterRead, Target } from '../targets/target.js';
import { ScriptSkip } from './outcome.js';

/** The counters a script asserts, in order of first use. */
export function countersIn(script: Script): string[] {
  const names = new Set<string>();
  for (const e of script.events) {
    const a = e.action;
    if (a.kind === 'syscall' && isCounterCall(a.name) && a.args[0]?.kind === 'symbol' && a.args[0].name !== '') names.add(a.args[0].name);
  }
  return [...names];
}

/** What one assertion read: the growth it compares, and since when, in words. */
export interface CounterReading {
  name: string;
  grew: bigint;
  since: string;
}

export class CounterBook {
  private readonly baseline = new Map<string, bigint>();
  /** Value and line at the last assertion of each counter. */
  private readonly last = new Map<string, { value: bigint; line: number }>();

  private constructor(private readonly target: Target) {}

  /**
   * Reads the baseline of `names` at the start. A target that cannot read counters, or does not
   * keep one of them, makes the script a skip that names them; `where` places the reason.
   */
  static start(target: Target, names: readonly string[], where: (name: string) => string): CounterBook {
    const book = new CounterBook(target);
    if (!target.readCounters) throw new ScriptSkip([`${where(names[0]!)}: the ${target.name} target cannot read MIB counters.`]);
    const read = target.readCounters(names);
    const reasons = names.filter((n) => read.unmodelled?.has(n)).map((n) => `${where(n)}: ${read.unmodelled!.get(n)!}`);
    if (reasons.length > 0) throw new ScriptSkip(reasons);
    for (const [n, v] of read.values) book.baseline.set(n, v);
    return book;
  }

  /**
   * Reads counter `name` for assertion `call` at script line `line`; undefined when the target
   * has no such counter.
   */
  read(call: SyscallAction, name: string, line: number): CounterReading | undefined {
    const read: CounterRead = this.target.readCounters!([name]);
    const now = read.values.get(name);
    if (now === undefined) return undefined;
    const prev = call.name === 'mib_delta' ? this.last.get(name) : undefined;
    const base = prev?.value ?? this.baseline.get(name) ?? 0n;
    this.last.set(name, { value: now, line });
    return { name, grew: now - base, since: prev ? `since line ${prev.line}` : 'since the script started' };
  }
}

/** The failure sentence of a counter that grew by another amount than the script expects. */
export function counterMismatch(r: CounterReading, expected: bigint): string {
  return `${r.name} grew by ${r.grew} ${r.since}, the script expects ${expected}`;
}

