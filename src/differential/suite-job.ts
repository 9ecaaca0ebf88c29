// One differential job for the suite runner: both runs of a script, folded into the one
// JobReport the suite's formats print (pass only when both pass and their traces agree).

import { loadScript } from '../script/load.js';
import type { Execution } from '../suite/executor.js';
import type { JobReport, JobSpec } from '../suite/types.js';
import { judgePair, startPair, type DiffPair } from './run-pair.js';

export interface DifferentialJobOptions {
  timeoutMs: number;
  ignore: ReadonlySet<string>;
  color: boolean;
}

export function startDifferential(spec: JobSpec, pair: DiffPair, opts: DifferentialJobOptions): Execution {
  const started = startPair(spec, pair, { timeoutMs: opts.timeoutMs });
  const done = started.done.then((reports): JobReport => {
    // Each side loaded the script itself; this load gives the text and the tolerance.
    const loaded = loadScript(spec.file, { target: pair[0], cli: spec.cli });
    const toleranceUs = (loaded.options?.toleranceUsecs ?? 4000) * (spec.toleranceScale ?? 1);
    return judgePair(spec.file, loaded.text, pair, reports, { ignore: opts.ignore, toleranceUs, color: opts.color }).report;
  });
  return { done, stop: started.stop };
}
