// The suite runner's vocabulary: a job (one script, one IP variant, one repetition) as it crosses
// into a child process, the report a job sends back, and the outcome a whole script ends with once
// the expected-failure list has been applied.

import type { FailureKind, RunStatus } from '../engine/types.js';
import type { CliOptions, IpVersionOption } from '../script/options.js';
import type { WireTraceEntry } from '../differential/trace-wire.js';

export type SuiteTarget = 'kernel' | 'ts';

/** What a suite ran on: one target, or both in differential mode (`ts,kernel`, in the flag's order). */
export type SuiteTargetLabel = SuiteTarget | 'ts,kernel' | 'kernel,ts';

/** Everything a child needs to run one script; plain JSON (it travels on the command line). */
export interface JobSpec {
  file: string;
  /** The script's text when it is not the file's (`mutate`'s mutants): `file` still names it, and its folder is where relative paths resolve. */
  text?: string;
  target: SuiteTarget;
  /** Script option flags for this run (variant flags, then the user's), as `splitOptionArgs` gives them. */
  cli: CliOptions;
  seed: number;
  toleranceScale?: number;
  graceMs?: number;
  strictTail?: boolean;
  /** Capture file for this run (`--pcap-dir`). */
  pcap?: string;
  /** Also render the failure report with colours (pretty output on a TTY). */
  color: boolean;
  /** Send the run's trace back in the report (differential mode compares two of them). */
  trace?: boolean;
  /** `--timeout`: the limit of each shell command of the script (a child process is killed as a whole after it too). */
  shellTimeoutMs?: number;
}

/** What one run of one script gave; plain JSON (the child's one result line). */
export interface JobReport {
  status: RunStatus;
  /** The IP version the script ran with (its own line or the variant's flag). */
  ipVersion?: IpVersionOption;
  wallMs: number;
  scriptEndUs: number;
  warnings: string[];
  skipReasons?: string[];
  /** `testerLateUs`: a timing failure the tester's own lateness may explain (Failure.testerLateUs). */
  failure?: { kind: FailureKind | 'crash' | 'timeout' | 'disagreement'; headline: string; testerLateUs?: number };
  /** Runs before this one that failed on timing while the tester was late (`--retry-timing`). */
  timingRetries?: number;
  /** The full failure report (or the script's diagnostics), without colours. */
  detail?: string;
  /** The same with colours, when the spec asked for them. */
  detailColor?: string;
  /** The run's trace, when the spec asked for it (and the script got as far as running). */
  trace?: WireTraceEntry[];
}

/** What a script ends as in the summary, kselftest's six counters. */
export type Outcome = 'pass' | 'fail' | 'xfail' | 'xpass' | 'skip' | 'error';

export const OUTCOMES: readonly Outcome[] = ['pass', 'fail', 'xfail', 'xpass', 'skip', 'error'];

/** One line of the report: a script in one mode, all its repetitions folded together. */
export interface SuiteResult {
  /** 1-based position in the plan (sorted path, then variant order). */
  index: number;
  /** Path as shown (relative to the working directory when below it), plus ` [mode]` with --ip. */
  name: string;
  file: string;
  /** ipv4, ipv4-mapped-ipv6 or ipv6: the variant run, or the script's own ip_version. */
  mode?: string;
  target: SuiteTargetLabel;
  outcome: Outcome;
  /** Skip reason, expected-failure reason, or the failure headline. */
  reason?: string;
  /** With --xfail strict entries: an unexpected pass counts as a failure. */
  strict?: boolean;
  runs: number;
  passes: number;
  seeds: number[];
  wallMs: number;
  /** The last non-passing run's report (or the only run's). */
  report: JobReport;
}

export type Totals = Record<Outcome, number>;

export interface SuiteSummary {
  totals: Totals;
  /** Results printed; planned minus this were not run (interrupted). */
  ran: number;
  planned: number;
  wallMs: number;
  interrupted: boolean;
  exitCode: number;
}
