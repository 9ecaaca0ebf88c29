// `mptcpdrill mutate [--target T] [--format pretty|json] [-j N] FILE|DIR...`: mutation testing of
// a suite. Every script that passes on the target is run again once per single-field mutant of
// its expectations (src/mutate/); a mutant the script still passes with is a survivor: an
// expectation that tests nothing. Reports the kill rate per field kind, every survivor at
// file:line:col with `- original / + mutated`, and the fields not mutated per reason.

import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseCommandArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { splitOptionArgs } from '../../script/options.js';
import { applyFilter, discover } from '../../suite/discover.js';
import { scriptLines, summarize, summaryLines, type MutateSummary } from '../../mutate/report.js';
import { startMutate, type MutateConfig, type MutateTarget, type ScriptReport } from '../../mutate/run.js';

const DEFAULT_MAX_MUTANTS = 500;
const DEFAULT_TIMEOUT_S = 60;

const USAGE = `Usage: mptcpdrill mutate [options] FILE|DIR...

Mutation testing of scripts: each script that passes on the target is run again once per
single-field mutant of its expectations, and every mutant it still passes with is reported as a
survivor, at file:line:col with the original and the mutated line: an expectation that tests
nothing. Mutated: the header fields of outbound packets (seq, length, ack, win, urg, each flag
letter added or removed, IP tos/ttl/ecn), each TCP option field (mss, wscale, sack blocks, FO
cookie, TS val with --tcp_ts_tick_usecs), each written field of each MPTCP option, an option
dropped, added or swapped with the next; the MPTCP options of inbound packets (dropped or a
field changed: the stack's reaction must show); call results, errnos and the outputs the script
writes (getsockopt values and lengths, ioctl, poll revents, epoll events, recvmsg msg_flags).
Fields whose value cannot change the verdict (outbound TS val and ecr, a SYN/ACK's seq, the
seq of a SYN no SYN/ACK answers, '...', fields not written, ...) are not mutated; the report
counts them per reason.

Options:
  --target ts|kernel   the bundled stack (default; in-process, virtual time) or the live kernel
                       (each run a child process in a fresh network namespace; needs root)
  --format pretty|json pretty (default): per script, then kill rates per field kind; json: one
                       object (totals, kinds, survivors, skipped, scripts) for CI
  -j, --jobs N         runs at once (default: the number of CPUs)
  --max-mutants N      per script, kept evenly spread over it (default ${DEFAULT_MAX_MUTANTS})
  --timeout S          per run, in seconds (default ${DEFAULT_TIMEOUT_S}); a mutant that times out is killed
  --seed N             seed of every run (default 1: the same ports, keys and nonces each time)
  --outbound-only      do not mutate the MPTCP options of inbound packets
  --filter PATTERN     only paths containing PATTERN, or matching it when it is a glob
  -D NAME=VALUE, --NAME=VALUE   script options for every script

Exit status: 0 every mutant killed, 1 a mutant survived, 2 usage errors or a script that cannot
run as written, 4 nothing could run (no script passed as written, e.g. the kernel target without
root), 130 interrupted (Ctrl-C: the report covers what ran).

Example: mptcpdrill mutate test/scripts/tcp/handshake`;

export interface MutateIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Rewrites the one progress line (a terminal's stderr); '' clears it. Absent: no progress. */
  progress?: (text: string) => void;
}

const processIo = (): MutateIo => {
  let broken = false;
  process.stdout.on('error', () => { broken = true; });
  return {
    out: (text) => { if (!broken) process.stdout.write(text + '\n'); },
    err: (text) => process.stderr.write(text + '\n'),
    ...(process.stderr.isTTY ? { progress: (text: string) => process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns || 80) - 1)}`) } : {}),
  };
};

function whole(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${name} needs a whole number of at least ${min}, not '${value}'`);
  return n;
}

export function parseMutateArgs(argv: string[]): { cfg: Omit<MutateConfig, 'files'>; paths: string[]; format: 'pretty' | 'json'; filter?: string } {
  const { options: scriptOptions, rest } = splitOptionArgs(argv);
  const { values, positionals } = parseCommandArgs(rest, {
    target: { type: 'string' },
    format: { type: 'string' },
    jobs: { type: 'string', short: 'j' },
    'max-mutants': { type: 'string' },
    timeout: { type: 'string' },
    seed: { type: 'string' },
    'outbound-only': { type: 'boolean' },
    filter: { type: 'string' },
  });
  const target = values.target ?? 'ts';
  if (target !== 'ts' && target !== 'kernel') throw new UsageError(`--target must be ts or kernel, not '${target}'`);
  const format = values.format ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format must be pretty or json, not '${format}'`);
  if (positionals.length === 0) throw new UsageError('missing FILE or DIR');
  const timeoutS = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
  if (!(timeoutS > 0) || !Number.isFinite(timeoutS)) throw new UsageError(`--timeout needs a positive number of seconds, not '${values.timeout}'`);
  return {
    cfg: {
      target: target as MutateTarget,
      jobs: whole(values.jobs, '-j', 1) ?? Math.max(1, availableParallelism()),
      maxMutants: whole(values['max-mutants'], '--max-mutants', 1) ?? DEFAULT_MAX_MUTANTS,
      timeoutMs: timeoutS * 1000,
      seed: whole(values.seed, '--seed', 0) ?? 1,
      inbound: !(values['outbound-only'] ?? false),
      scriptOptions,
    },
    paths: positionals,
    format,
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
  };
}

async function kernelUnavailable(): Promise<string | null> {
  const { preflight } = await import('../../targets/kernel/netns.js');
  return preflight();
}

/** Runs the command; resolves to the exit status (usage errors are thrown as UsageError). */
export async function runMutateCommand(argv: string[], io: MutateIo = processIo()): Promise<number> {
  const began = performance.now();
  const { cfg, paths, format, filter } = parseMutateArgs(argv);
  const found = discover(paths);
  if (found.missing.length > 0) throw new UsageError(`no such file or folder: ${found.missing.join(', ')}`);
  const files = applyFilter(found.files, filter);
  const pretty = format === 'pretty';
  let progressShown = false;
  const clearProgress = (): void => {
    if (progressShown) io.progress?.('');
    progressShown = false;
  };
  if (pretty) io.out(`mptcpdrill mutate: ${files.length} script${files.length === 1 ? '' : 's'} on ${cfg.target}, -j ${cfg.jobs}, at most ${cfg.maxMutants} mutants per script`);

  let reports: ScriptReport[];
  let interrupted = false;
  const unavailable = cfg.target === 'kernel' && files.length > 0 ? await kernelUnavailable() : null;
  if (unavailable) {
    reports = files.map((file) => ({ file, status: 'skip', reason: unavailable, text: '', mutants: [], results: [], skipped: [], notRun: 0, wallMs: 0 }));
    if (pretty) for (const r of reports) io.out(scriptLines(r).join('\n'));
  } else {
    let lastProgress = 0;
    const run = startMutate({ ...cfg, files }, {
      onScript: (r) => {
        if (!pretty) return;
        clearProgress();
        io.out(scriptLines(r).join('\n'));
      },
      onProgress: (done, planned, current) => {
        if (!pretty || !io.progress) return;
        const now = performance.now();
        if (now - lastProgress < 200) return;
        lastProgress = now;
        io.progress(`[${done}/${planned}] ${current}`);
        progressShown = true;
      },
    });
    let signals = 0;
    const onSignal = (): void => {
      signals++;
      if (signals > 1) process.exit(130);
      run.interrupt();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      reports = await run.done;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    interrupted = run.interrupted;
    clearProgress();
  }
  const summary: MutateSummary = summarize(cfg.target, reports, performance.now() - began, interrupted);
  if (pretty) io.out(summaryLines(summary).join('\n'));
  else io.out(JSON.stringify(summary));
  return summary.exitCode;
}

export const command: Command = {
  name: 'mutate',
  summary: 'mutation testing: which expectations of passing scripts test nothing',
  usage: USAGE,
  run: (argv) => runMutateCommand(argv),
};
