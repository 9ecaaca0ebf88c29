// `mptcpdrill fmt FILE... [--write] [--check]`: reprints scripts with aligned columns. Only
// whitespace changes; a file that does not parse is reported, never rewritten.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseCommandArgs } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';
import { describeFsError } from '../../pcap/index.js';
import { FormatError, formatScript } from '../../script/fmt.js';

const usage = `Usage: mptcpdrill fmt FILE... [--write | --check] [-D NAME=VALUE]...

Reprints each .pkt script with aligned columns (time; for packets the direction and
endpoints, flags, sequence range), comments kept. Only whitespace changes: the result
parses to the same script, which fmt verifies before printing anything.

Options:
  -w, --write     rewrite the files in place instead of printing them
  --check         print nothing; exit 1 when a file is not formatted
  -D, --define    NAME=VALUE define used while parsing (as for run)
  -h, --help      this text

Exit status: 0 done; 1 with --check when a file would change; 2 for bad usage, an
unreadable file, or a file with syntax errors.`;

function definesOf(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of list ?? []) {
    const eq = d.indexOf('=');
    if (eq <= 0) throw new UsageError(`-D ${d}: expected NAME=VALUE`);
    out[d.slice(0, eq)] = d.slice(eq + 1);
  }
  return out;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    write: { type: 'boolean', short: 'w' },
    check: { type: 'boolean' },
    define: { type: 'string', short: 'D', multiple: true },
  });
  if (positionals.length === 0) throw new UsageError('missing the FILE to format');
  if (values.write && values.check) throw new UsageError('--write and --check exclude each other');
  const defines = definesOf(values.define);
  let unformatted = 0;
  for (const file of positionals) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${describeFsError(err)}`);
    }
    let out: string;
    try {
      out = formatScript(text, file, { defines });
    } catch (err) {
      if (err instanceof FormatError) throw new CliError(err.message);
      throw err;
    }
    if (values.check) {
      if (out !== text) {
        unformatted++;
        process.stderr.write(`${file}: not formatted\n`);
      }
    } else if (values.write) {
      if (out !== text) writeFileSync(file, out);
    } else process.stdout.write(out);
  }
  return unformatted > 0 ? 1 : 0;
}

export const command: Command = {
  name: 'fmt',
  summary: 'reprint .pkt scripts with aligned columns',
  usage,
  run,
};
