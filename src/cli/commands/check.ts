// `mptcpdrill check FILE|DIR...`: parse and check scripts without running them. Prints every
// diagnostic (compiler style, or one JSON object per line with --json) and a summary line on
// stderr; exits 0 when no file has an error (warnings allowed), 2 otherwise.

import { parseCommandArgs } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';
import type { TargetName } from '../../targets/target.js';
import { diagnosticToJson, formatDiagnostic, wantsColor } from '../../script/diagnostics.js';
import { checkPaths, type LoadedScript } from '../../script/load.js';
import { splitOptionArgs } from '../../script/options.js';

const USAGE = `Usage: mptcpdrill check [--json] [--target kernel|ts|remote] [script options] FILE|DIR...

Parses and checks .pkt scripts (directories: every *.pkt below them) without running them.

Options:
  --json              one JSON object per diagnostic per line (file, line, column, endLine,
                      endColumn, severity, code, message)
  --target NAME       also check what the target kernel, ts or remote cannot honour (ts: runs
                      the shell lines in a dry run, without starting programs or writing
                      files, and warns about each that would make the run a skip)
  --NAME=VALUE        any script option (e.g. --ip_version=ipv6, -D NAME=VALUE); overrides the
                      script's own line

Exit status: 0 no errors (warnings allowed), 2 at least one error.`;

export interface CheckIo {
  out: (line: string) => void;
  err: (line: string) => void;
  color: boolean;
}

const processIo = (): CheckIo => ({
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  color: wantsColor(process.stdout),
});

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `N files, E errors, W warnings` over all results. */
export function summaryLine(results: readonly LoadedScript[]): string {
  let errors = 0;
  let warnings = 0;
  for (const r of results) {
    for (const d of r.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
    }
  }
  return `${plural(results.length, 'file')}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

export async function runCheck(argv: string[], io: CheckIo = processIo()): Promise<number> {
  const { options: scriptOptions, rest } = splitOptionArgs(argv);
  const { values, positionals } = parseCommandArgs(rest, {
    json: { type: 'boolean' },
    target: { type: 'string' },
  });
  const target = values.target;
  if (target !== undefined && target !== 'kernel' && target !== 'ts' && target !== 'remote') {
    throw new UsageError(`--target must be kernel, ts or remote, not '${target}'`);
  }
  if (positionals.length === 0) throw new UsageError('missing FILE or DIR');
  const results = checkPaths(positionals, { target: target as TargetName | undefined, cli: scriptOptions });
  // A folder with no script checks nothing: saying "0 errors" would let a wrong path pass CI.
  if (results.length === 0) throw new CliError(`no .pkt script in ${positionals.join(', ')}.`);
  if (target === 'ts') {
    const { previewTsSkips } = await import('../ts-preview.js');
    for (const result of results) result.diagnostics.push(...(await previewTsSkips(result)));
  }
  let failed = false;
  for (const result of results) {
    for (const d of result.diagnostics) {
      if (d.severity === 'error') failed = true;
      io.out(values.json ? JSON.stringify(diagnosticToJson(d)) : formatDiagnostic(d, d.file === result.file ? result.text : '', { color: io.color }));
    }
  }
  io.err(summaryLine(results));
  return failed ? 2 : 0;
}

export const command: Command = {
  name: 'check',
  summary: 'parse and check .pkt scripts without running them',
  usage: USAGE,
  run: (argv) => runCheck(argv),
};
