// Suite output formats by name. The default is `pretty` on a terminal and `ktap` otherwise:
// output that is not a terminal is almost always a CI log or a file, where the kernel
// selftests' KTAP is what kernel CI (kselftest runners, KernelCI, LKFT) already parses.

import { jsonFormatter } from './json.js';
import { junitFormatter } from './junit.js';
import { ktapFormatter } from './ktap.js';
import { prettyFormatter } from './pretty.js';
import { tapFormatter } from './tap.js';
import type { FormatIo, FormatName, ProgressState, SuiteFormatter } from './types.js';

export type { FormatIo, FormatName, SuiteFormatter, SuitePlan, ProgressState } from './types.js';
export { FORMAT_NAMES } from './types.js';

export function createFormatter(name: FormatName, io: FormatIo): SuiteFormatter {
  switch (name) {
    case 'pretty': return prettyFormatter(io);
    case 'ktap': return ktapFormatter(io);
    case 'tap': return tapFormatter(io);
    case 'junit': return junitFormatter(io);
    case 'json': return jsonFormatter(io);
  }
}

export function defaultFormat(tty: boolean): FormatName {
  return tty ? 'pretty' : 'ktap';
}

/** Several formatters fed the same events (the main format plus --junit FILE). */
export function combine(formatters: SuiteFormatter[]): SuiteFormatter {
  return {
    begin: (plan) => { for (const f of formatters) f.begin(plan); },
    result: (r) => { for (const f of formatters) f.result(r); },
    progress: (s: ProgressState) => { for (const f of formatters) f.progress?.(s); },
    end: (summary, results) => { for (const f of formatters) f.end(summary, results); },
  };
}
