// `mptcpdrill run PATH...` for a whole suite: discovery, variants, sharding, the expected-failure
// list, parallel execution (kernel scripts each in a child process in a namespace of its own),
// output formats and the kselftest exit status. Entry: runSuiteCommand(argv).

import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../cli/args.js';
import { CliError, UsageError } from '../cli/command.js';
import { wantsColor } from '../script/diagnostics.js';
import { loadScript } from '../script/load.js';
import { splitOptionArgs, type CliOptions, type IpVersionOption } from '../script/options.js';
import { createFormatter, defaultFormat, FORMAT_NAMES, type FormatName, type SuiteFormatter } from '../report/formats/index.js';
import { junitDocument } from '../report/formats/junit.js';
import { scriptCount } from '../report/formats/common.js';
import { applyFilter, applyShard, discover, parseShard, type Shard } from './discover.js';
import { runInChild, runInProcess, withTimingRetries, type Execution } from './executor.js';
import { ThreadPool } from './thread-pool.js';
import { classify, countOutcomes, exitStatus, isFailure, representative } from './outcome.js';
import { killDescendants } from './process-tree.js';
import { schedule, type PlannedScript } from './scheduler.js';
import { suiteFamily, variantFlags, variantsFor, type IpChoice, type SuiteFamily } from './variants.js';
import { findXfail, kernelVersion, loadXfail, type XfailEntry } from './xfail.js';
import { SUITE_USAGE } from './usage.js';
import type { JobReport, JobSpec, SuiteResult, SuiteSummary, SuiteTarget, SuiteTargetLabel } from './types.js';
import { DIFF_FLAGS, ignoredFields } from '../differential/flags.js';
import { parseDiffTargets, type DiffPair } from '../differential/run-pair.js';
import { startDifferential } from '../differential/suite-job.js';



export interface SuiteIo {
  out(text: string): void;
  err(text: string): void;
  tty: boolean;
  color: boolean;
}

const processIo = (): SuiteIo => {
  // A reader that goes away (`| head`) ends the output quietly; the suite still runs to its status.
  let broken = false;
  process.stdout.on('error', () => { broken = true; });
  return {
    out: (text) => { if (!broken) process.stdout.write(text); },
    err: (text) => process.stderr.write(text),
    tty: process.stdout.isTTY === true,
    color: wantsColor(process.stdout),
  };
};

interface SuiteConfig {
  paths: string[];
  target: SuiteTarget;
  /** Differential mode (`--target ts,kernel`): both stacks, compared; `target` is the pair's first. */
  pair?: DiffPair;
  /** Differential mode: fields left out of the comparison. */
  diffIgnore: Set<string>;
  jobs: number;
  ip?: IpChoice;
  family?: SuiteFamily;
  filter?: string;
  shard?: Shard;
  repeat: number;
  bail: boolean;
  format: FormatName;
  junit?: string;
  xfail: string[];
  pcapDir?: string;
  toleranceScale?: number;
  seed?: number;
  graceMs?: number;
  strictTail: boolean;
  timeoutMs: number;
  tsProcesses: boolean;
  /** `--retry-timing N`: reruns of a script whose timing failure came with the tester late. */
  retryTiming: number;
  scriptOptions: CliOptions;
}

function positive(value: string | undefined, name: string, integer: boolean, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} needs ${integer ? 'a whole number' : 'a number'} of at least ${min}, not '${value}'`);
  }
  return n;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${name} must be ${allowed.join(', ')}; not '${value}'`);
  return value as T;
}

export function parseSuiteArgs(argv: string[], tty: boolean): SuiteConfig {
  const { options: scriptOptions, rest } = splitOptionArgs(argv);
  const { values, positionals } = parseCommandArgs(rest, {
    target: { type: 'string' },
    jobs: { type: 'string', short: 'j' },
    ip: { type: 'string' },
    suite: { type: 'string' },
    filter: { type: 'string' },
    shard: { type: 'string' },
    repeat: { type: 'string' },
    bail: { type: 'boolean' },
    'keep-going': { type: 'boolean' },
    format: { type: 'string' },
    junit: { type: 'string' },
    xfail: { type: 'string', multiple: true },
    'pcap-dir': { type: 'string' },
    'tolerance-scale': { type: 'string' },
    seed: { type: 'string' },
    'grace-ms': { type: 'string' },
    'strict-tail': { type: 'boolean' },
    timeout: { type: 'string' },
    'ts-processes': { type: 'boolean' },
    'retry-timing': { type: 'string' },
    ...DIFF_FLAGS,
  });
  if (positionals.length === 0) throw new UsageError('missing PATH (a .pkt file or a folder of them)');
  if (values.bail && values['keep-going']) throw new UsageError('--bail and --keep-going contradict each other');
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    shard = parseShard(values.shard) ?? undefined;
    if (!shard) throw new UsageError(`--shard needs I/N with 1 <= I <= N, not '${values.shard}'`);
  }
  const toleranceScale = values['tolerance-scale'] === undefined ? undefined : Number(values['tolerance-scale']);
  if (toleranceScale !== undefined && !(toleranceScale > 0)) throw new UsageError(`--tolerance-scale needs a positive number, not '${values['tolerance-scale']}'`);
  let pair: DiffPair | undefined;
  if (values.target?.includes(',')) {
    pair = parseDiffTargets(values.target);
    if (!pair) throw new UsageError(`--target takes ts, kernel, or the pair ts,kernel (kernel,ts) for differential mode; not '${values.target}'`);
  }
  return {
    paths: positionals,
    target: pair ? pair[0] : (oneOf(values.target, '--target', ['kernel', 'ts'] as const) ?? 'ts'),
    ...(pair ? { pair } : {}),
    diffIgnore: ignoredFields(values),
    jobs: positive(values.jobs, '-j', true) ?? Math.max(1, availableParallelism()),
    ip: oneOf(values.ip, '--ip', ['4', '6', 'both', 'all'] as const),
    family: oneOf(values.suite, '--suite', ['tcp', 'mptcp'] as const),
    filter: values.filter,
    shard,
    repeat: positive(values.repeat, '--repeat', true) ?? 1,
    bail: values.bail ?? false,
    format: oneOf(values.format, '--format', FORMAT_NAMES) ?? defaultFormat(tty),
    junit: values.junit,
    xfail: values.xfail ?? [],
    pcapDir: values['pcap-dir'],
    toleranceScale,
    seed: positive(values.seed, '--seed', true, 0),
    graceMs: positive(values['grace-ms'], '--grace-ms', false, 0),
    strictTail: values['strict-tail'] ?? false,
    timeoutMs: (positive(values.timeout, '--timeout', false) ?? 180) * 1000,
    tsProcesses: values['ts-processes'] ?? false,
    retryTiming: positive(values['retry-timing'], '--retry-timing', true, 0) ?? 0,
    scriptOptions,
  };
}

/** User flags win over the variant's, except that defines add up. */
function mergeOptions(variant: CliOptions, user: CliOptions): CliOptions {
  const merged: CliOptions = { ...variant, ...user };
  const defines = [variant['define'], user['define']].flatMap((d) => (d === undefined ? [] : Array.isArray(d) ? d : [d]));
  if (defines.length > 0) merged['define'] = defines;
  return merged;
}

function pcapPath(dir: string, file: string, mode: string | undefined, rep: number, repeat: number): string {
  const base = file.replace(/^\/+/, '').replace(/\.pkt$/, '').replace(/[/\\]/g, '__');
  return join(dir, `${base}${mode ? `.${mode}` : ''}${repeat > 1 ? `.run${rep + 1}` : ''}.pcap`);
}

interface Entry {
  file: string;
  mode?: IpVersionOption;
  cli: CliOptions;
}

/** Every (script, variant) of the run, in plan order. */
function planEntries(files: readonly string[], cfg: SuiteConfig): Entry[] {
  if (!cfg.ip) return files.map((file) => ({ file, cli: cfg.scriptOptions }));
  return files.flatMap((file) => {
    const variants = variantsFor(file, cfg.ip!);
    if (variants.length === 0) return [];
    let family = cfg.family;
    if (!family) {
      const parsed = loadScript(file);
      family = parsed.script ? suiteFamily(parsed.script) : 'tcp';
    }
    return variants.map((mode) => ({ file, mode, cli: mergeOptions(splitOptionArgs(variantFlags(family!, mode)).options, cfg.scriptOptions) }));
  });
}

async function kernelUnavailable(): Promise<string | null> {
  const { preflight } = await import('../targets/kernel/netns.js');
  return preflight();
}

function skipReport(reason: string): JobReport {
  return { status: 'skip', wallMs: 0, scriptEndUs: 0, warnings: [], skipReasons: [reason] };
}

/**
 * How many runners an in-process (ts) suite uses: MPTCPDRILL_THREADS=N asks for N (this thread
 * and N - 1 workers, at most one per job slot and script); without it, this thread only. Opt-in
 * because each worker warms its own JIT (a quarter more CPU in all) and, measured on this project's
 * shared machine (load 7-10 on 2 cores), two runners took longer than one; an idle machine has
 * not been measured yet (npm run bench -- cli-speed prints both). Verdicts do not depend on it
 * (virtual time).
 */
function runnerThreads(jobs: number, scripts: number): number {
  const asked = process.env['MPTCPDRILL_THREADS'];
  if (asked === undefined || !/^\d+$/.test(asked)) return 0;
  const n = Math.min(Number(asked), jobs, scripts);
  return n >= 2 ? n : 0;
}

async function runSuite(cfg: SuiteConfig, io: SuiteIo): Promise<number> {
  const began = performance.now();
  const found = discover(cfg.paths);
  if (found.missing.length > 0) throw new UsageError(`no such file or folder: ${found.missing.join(', ')}`);
  // Nothing to run is a mistake in the command line, not "all skipped" (exit 4), which CI reads
  // as a run that happened.
  if (found.files.length === 0) throw new CliError(`no .pkt script in ${cfg.paths.join(', ')}.`);
  const filtered = applyFilter(found.files, cfg.filter);
  if (filtered.length === 0) throw new CliError(`--filter '${cfg.filter}' matches none of the ${scriptCount(found.files.length)} found.`);
  const files = applyShard(filtered, cfg.shard);

  const xfails: XfailEntry[] = [];
  const listErrors: string[] = [];
  for (const f of cfg.xfail) {
    const parsed = loadXfail(f, false);
    xfails.push(...parsed.entries);
    listErrors.push(...parsed.errors);
  }
  for (const root of found.roots) {
    const f = join(root, 'xfail.txt');
    if (!existsSync(f)) continue;
    const parsed = loadXfail(f, true);
    xfails.push(...parsed.entries);
    listErrors.push(...parsed.errors);
  }
  if (listErrors.length > 0) throw new CliError(listErrors.join('; '));
  if (cfg.pcapDir !== undefined) {
    try {
      mkdirSync(cfg.pcapDir, { recursive: true });
    } catch (err) {
      throw new CliError(`cannot create ${cfg.pcapDir}: ${(err as Error).message}`);
    }
  }

  const entries = planEntries(files, cfg);
  // Differential mode checks the kernel per pair (a kernel side that cannot run is a skip).
  const unavailable = cfg.target === 'kernel' && !cfg.pair && entries.length > 0 ? await kernelUnavailable() : null;
  const inProcess = cfg.target === 'ts' && !cfg.pair && !cfg.tsProcesses;
  const targetLabel = cfg.pair ? (cfg.pair.join(',') as SuiteTargetLabel) : cfg.target;
  const kernel = kernelVersion();
  const color = cfg.format === 'pretty' && io.color;
  const baseSeed = cfg.seed;

  const planned: Array<PlannedScript<SuiteResult>> = entries.map((e, i) => {
    const specs: JobSpec[] = Array.from({ length: cfg.repeat }, (_, rep) => ({
      file: e.file,
      target: cfg.target,
      cli: e.cli,
      seed: baseSeed ?? randomInt(0, 2 ** 31),
      color,
      ...(cfg.toleranceScale !== undefined ? { toleranceScale: cfg.toleranceScale } : {}),
      ...(cfg.graceMs !== undefined ? { graceMs: cfg.graceMs } : {}),
      ...(cfg.strictTail ? { strictTail: true } : {}),
      shellTimeoutMs: cfg.timeoutMs,
      ...(cfg.pcapDir !== undefined ? { pcap: pcapPath(cfg.pcapDir, e.file, e.mode, rep, cfg.repeat) } : {}),
    }));
    const name = e.mode ? `${e.file} [${e.mode}]` : e.file;
    return {
      specs,
      label: name,
      finish: (reports: JobReport[]): SuiteResult => {
        const report = representative(reports);
        const mode = e.mode ?? report.ipVersion;
        // Differential mode: a script expected to fail on either stack is expected to disagree.
        const entry = (cfg.pair ?? [cfg.target]).map((target) => findXfail(xfails, { file: e.file, target, mode, kernel })).find((x) => x !== undefined);
        const c = classify(report, entry);
        return {
          index: i + 1, name, file: e.file, target: targetLabel, report,
          outcome: c.outcome,
          ...(mode ? { mode } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
          ...(c.strict !== undefined ? { strict: c.strict } : {}),
          runs: reports.length,
          passes: reports.filter((r) => r.status === 'pass').length,
          seeds: specs.slice(0, reports.length).map((s) => s.seed),
          wallMs: reports.reduce((sum, r) => sum + r.wallMs, 0),
        };
      },
    };
  });

  const totalJobs = planned.reduce((n, p) => n + p.specs.length, 0);
  const threads = inProcess ? runnerThreads(cfg.jobs, totalJobs) : 0;
  const pool = threads > 0 ? new ThreadPool(threads, runInProcess) : undefined;

  const formatter: SuiteFormatter = createFormatter(cfg.format, { write: io.out, color, tty: io.tty });
  const notes = [`target ${targetLabel}`, `-j ${cfg.jobs}`];
  if (pool) notes.push(`${threads} runner threads`);
  if (cfg.shard) notes.push(`shard ${cfg.shard.index}/${cfg.shard.count}`);
  if (cfg.ip) notes.push(`--ip ${cfg.ip}`);
  if (cfg.repeat > 1) notes.push(`--repeat ${cfg.repeat}`);
  if (xfails.length > 0) notes.push(`${xfails.length} expected-failure entries`);
  if (cfg.target === 'kernel' || cfg.pair) notes.push(`kernel ${kernel.join('.')}`);
  formatter.begin({ total: planned.length, target: targetLabel, notes });

  const results: SuiteResult[] = [];
  const startOnce = (spec: JobSpec): Execution => {
    if (unavailable) return { done: Promise.resolve(skipReport(unavailable)), stop: () => undefined };
    if (cfg.pair) return startDifferential(spec, cfg.pair, { timeoutMs: cfg.timeoutMs, ignore: cfg.diffIgnore, color });
    if (pool) return pool.run(spec);
    return inProcess ? runInProcess(spec) : runInChild(spec, { timeoutMs: cfg.timeoutMs });
  };
  const start = (spec: JobSpec): Execution => (cfg.retryTiming > 0 ? withTimingRetries(() => startOnce(spec), cfg.retryTiming) : startOnce(spec));
  const scheduler = schedule(planned, {
    jobs: cfg.jobs,
    start,
    killGraceMs: 2000,
    deliver: (r) => { results.push(r); formatter.result(r); },
    onProgress: (running, done) => formatter.progress?.({ done, total: totalJobs, running, totals: countOutcomes(results) }),
    stopsRun: (r) => cfg.bail && (isFailure(r) || r.outcome === 'error'),
    notRun: (p) => p.finish([skipReport('not run: --bail stopped the suite after a failure')]),
  });

  // Ctrl-C / SIGTERM: stop the children, print what ran. A second Ctrl-C leaves at once.
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) process.exit(130);
    scheduler.interrupt();
    // In-process scripts cannot be cut short, but their shell commands can: end them so the
    // scripts finish at once.
    if (inProcess) killDescendants(process.pid);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await scheduler.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool?.close();
  }

  const summary: SuiteSummary = {
    totals: countOutcomes(results),
    ran: results.length,
    planned: planned.length,
    wallMs: performance.now() - began,
    interrupted: scheduler.interrupted,
    exitCode: exitStatus(results, scheduler.interrupted),
  };
  formatter.end(summary, results);
  if (cfg.junit !== undefined) {
    try {
      writeFileSync(cfg.junit, junitDocument(results, summary, `mptcpdrill ${targetLabel}`, new Date(Date.now() - summary.wallMs)));
    } catch (err) {
      io.err(`mptcpdrill run: cannot write ${cfg.junit}: ${(err as Error).message}\n`);
      return summary.exitCode === 0 ? 2 : summary.exitCode;
    }
  }
  return summary.exitCode;
}

/** `mptcpdrill run` over several scripts; resolves to the exit status (never throws). */
export async function runSuiteCommand(argv: string[], io: SuiteIo = processIo()): Promise<number> {
  try {
    return await runSuite(parseSuiteArgs(argv, io.tty), io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`mptcpdrill run: ${err.message}.\n${SUITE_USAGE}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err(`mptcpdrill run: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`mptcpdrill run: internal error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    return 2;
  }
}
