// What every suite output format implements. The runner calls `begin` once, `result` once per
// planned script in plan order (results are delivered in order even when they complete out of
// order, so logs are stable under -j), `progress` whenever a job starts or ends, and `end` once.

import type { SuiteResult, SuiteSummary, Totals } from '../../suite/types.js';

export interface FormatIo {
  /** Writes text as is (the format adds its own newlines). */
  write(text: string): void;
  color: boolean;
  /** The output is a terminal (live progress line allowed). */
  tty: boolean;
}

export interface SuitePlan {
  total: number;
  target: string;
  /** Lines worth printing up front (`-j`, shard, xfail lists...). */
  notes: string[];
}

export interface ProgressState {
  done: number;
  total: number;
  running: string[];
  totals: Totals;
}

export interface SuiteFormatter {
  begin(plan: SuitePlan): void;
  result(r: SuiteResult): void;
  progress?(state: ProgressState): void;
  end(summary: SuiteSummary, results: readonly SuiteResult[]): void;
}

export type FormatName = 'pretty' | 'ktap' | 'tap' | 'junit' | 'json';
export const FORMAT_NAMES: readonly FormatName[] = ['pretty', 'ktap', 'tap', 'junit', 'json'];
