// Runs the scripts of the clause index on one target through the suite runner itself
// (runSuiteCommand with --format json, its output read in memory): the same discovery, kernel
// namespaces, expected-failure list and timing retries as `mptcpdrill run`, no second runner.

import type { SuiteTarget } from '../suite/types.js';
import type { Outcome } from '../suite/types.js';
import { runSuiteCommand } from '../suite/cli.js';

export const CONFORMANCE_XFAIL = 'test/conformance/xfail.txt';
/** The corpus's own list: known failures of a stack that are not RFC deviations. */
export const CORPUS_XFAIL = 'test/scripts/xfail.txt';

/** One script's result on one target, as the verdicts need it. */
export interface ScriptResult {
  file: string;
  outcome: Outcome;
  /** The expected-failure reason, the skip reason, or the failure headline. */
  reason?: string;
  /** The failure's headline (`FILE:LINE:COL: message`) and its report, when it failed. */
  headline?: string;
  detail?: string;
}

export interface RunSettings {
  jobs: number;
  seed?: number;
  /** Where a run's own complaints go (usage errors of the suite, unreadable lists). */
  err: (text: string) => void;
}

interface JsonResultLine {
  type: string;
  file?: string;
  outcome?: Outcome;
  reason?: string | null;
  failure?: { headline?: string; detail?: string | null } | null;
}

function toResult(o: JsonResultLine): ScriptResult | undefined {
  if (o.type !== 'result' || o.file === undefined || o.outcome === undefined) return undefined;
  return {
    file: o.file,
    outcome: o.outcome,
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.failure?.headline ? { headline: o.failure.headline } : {}),
    ...(o.failure?.detail ? { detail: o.failure.detail } : {}),
  };
}

/** Runs `files` (paths relative to the working directory) on `target`; one result per file. */
export async function runScripts(files: readonly string[], target: SuiteTarget, settings: RunSettings): Promise<{ results: Map<string, ScriptResult>; exitCode: number }> {
  const results = new Map<string, ScriptResult>();
  if (files.length === 0) return { results, exitCode: 0 };
  let buffered = '';
  const take = (text: string): void => {
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const r = toResult(JSON.parse(line) as JsonResultLine);
      if (r) results.set(r.file, r);
    }
  };
  const argv = ['--target', target, '--format', 'json', '-j', String(settings.jobs), '--xfail', CONFORMANCE_XFAIL, '--xfail', CORPUS_XFAIL,
    // A loaded machine can wake the tester late on the kernel: rerun only those runs.
    ...(target === 'kernel' ? ['--retry-timing', '2'] : []),
    ...(settings.seed !== undefined ? ['--seed', String(settings.seed)] : []), ...files];
  const exitCode = await runSuiteCommand(argv, { out: take, err: settings.err, tty: false, color: false });
  take('\n');
  return { results, exitCode };
}
