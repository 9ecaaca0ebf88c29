// `mptcpdrill run --target ts,kernel FILE`: one script on both stacks, the pair judged and
// reported (src/differential/run-pair.ts). The kernel side runs in a child process in a fresh
// network namespace, so this process never needs one of its own.

import { randomInt } from 'node:crypto';
import { parseCommandArgs, requirePositionals } from '../cli/args.js';
import { UsageError } from '../cli/command.js';
import { formatDiagnostic } from '../script/diagnostics.js';
import { loadScript } from '../script/load.js';
import { splitOptionArgs } from '../script/options.js';
import { sec } from '../engine/timeline.js';
import { EXIT, numberFlag, RUN_FLAGS } from '../cli/commands/run.js';
import { decodeTrace } from './trace-wire.js';
import { DIFF_FLAGS, ignoredFields } from './flags.js';
import { normalizeTrace } from './normalize.js';
import { judgePair, parseDiffTargets, startPair } from './run-pair.js';

export interface DiffIo {
  out: (line: string) => void;
  err: (line: string) => void;
  color: boolean;
}

export async function runDifferentialFile(argv: string[], io: DiffIo): Promise<number> {
  const { options: cli, rest } = splitOptionArgs(argv);
  const { values, positionals } = parseCommandArgs(rest, {
    ...RUN_FLAGS,
    pcap: { type: 'string' },
    timeout: { type: 'string' },
    ...DIFF_FLAGS,
  });
  const [file] = requirePositionals(positionals, ['FILE']);
  const pair = parseDiffTargets(values.target ?? '');
  if (!pair) throw new UsageError(`--target must be ts, kernel, remote, or the pair ts,kernel (kernel,ts) for differential mode, not '${values.target}'`);
  const ignore = ignoredFields(values);
  const toleranceScale = numberFlag(values['tolerance-scale'], '--tolerance-scale', (n) => n > 0);
  const seed = numberFlag(values.seed, '--seed', (n) => Number.isInteger(n) && n >= 0) ?? randomInt(0, 2 ** 31);
  const graceMs = numberFlag(values['grace-ms'], '--grace-ms', (n) => n >= 0);
  const timeoutS = numberFlag(values.timeout, '--timeout', (n) => n > 0) ?? 180;

  // Loaded here for its text and tolerance; each side loads it again with its own target.
  const loaded = loadScript(file!, { target: pair[0], cli });
  if (!loaded.script || !loaded.options || loaded.diagnostics.some((d) => d.severity === 'error')) {
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d, loaded.text, { color: io.color }));
    return EXIT.error;
  }
  const reports = await startPair(
    { file: file!, target: pair[0], cli, seed, color: io.color, ...(toleranceScale !== undefined ? { toleranceScale } : {}), ...(graceMs !== undefined ? { graceMs } : {}), ...(values['strict-tail'] ? { strictTail: true } : {}), ...(values.pcap !== undefined ? { pcap: values.pcap } : {}) },
    pair,
    { timeoutMs: timeoutS * 1000 },
  ).done;
  if (loaded.options.verbose) {
    for (const [i, name] of pair.entries()) {
      io.out(`# ${file} on the ${name} target, seed ${seed}, normalized`);
      const trace = reports[i]!.trace;
      for (const e of trace ? normalizeTrace(decodeTrace(trace)) : []) {
        io.out(`${sec(e.time)} ${e.kind.padEnd(8)} ${e.text}${e.line ? `   (line ${e.line})` : ''}`);
      }
    }
  }
  const verdict = judgePair(file!, loaded.text, pair, reports, {
    ignore,
    toleranceUs: loaded.options.toleranceUsecs * (toleranceScale ?? 1),
    color: io.color,
  });
  const r = verdict.report;
  for (const w of r.warnings) io.err(`warning: ${w}`);
  const detail = io.color ? (r.detailColor ?? r.detail) : r.detail;
  if (detail) io.err(detail);
  const [a, b] = pair;
  switch (r.status) {
    case 'pass': io.out(`AGREE ${file} (${a} pass, ${b} pass)`); break;
    case 'fail': io.err(`${r.failure?.kind === 'disagreement' ? 'DISAGREE' : 'FAIL'} ${file} (seed ${seed})`); break;
    case 'error': io.err(`ERROR ${r.failure?.headline ?? file}`); break;
    case 'skip': io.err(`SKIP ${file}: ${(r.skipReasons ?? []).join('; ')}`); break;
  }
  return EXIT[r.status];
}
