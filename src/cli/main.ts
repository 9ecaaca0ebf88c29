// mptcpdrill's command line: finds the subcommand, handles --help / --version, and turns every
// failure into one sentence on stderr (with the stack only when MPTCPDRILL_DEBUG=1).

import { CliError, EXIT_USAGE, UsageError, type Command } from './command.js';
import { commands } from './commands/index.js';
import { packageVersion } from './version.js';

const PROGRAM = 'mptcpdrill';

function globalUsage(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Commands:',
    ...lines,
    '',
    `Run '${PROGRAM} <command> --help' for the options of a command.`,
    `Global options: -h, --help (this text), --version (print the version).`,
  ].join('\n');
}

function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  return flags.includes('--help') || flags.includes('-h');
}

function debugging(): boolean {
  return process.env['MPTCPDRILL_DEBUG'] === '1';
}

function sentence(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export interface MainIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: MainIo = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

/** Runs the CLI with `argv` (without node and the script) and resolves to the exit status. */
export async function main(argv: string[], registry: readonly Command[] = commands, io: MainIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(globalUsage(registry));
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const target = first === 'help' ? registry.find((c) => c.name === rest[0]) : undefined;
    io.out(target ? target.usage : globalUsage(registry));
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.out(`${PROGRAM} ${packageVersion()}`);
    return 0;
  }
  const command = registry.find((c) => c.name === first);
  if (!command) {
    const what = first.startsWith('-') ? `unknown option ${first}` : `unknown command '${first}'`;
    io.err(`${PROGRAM}: ${what}.`);
    io.err(globalUsage(registry));
    return EXIT_USAGE;
  }
  if (wantsHelp(rest)) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (debugging() && err instanceof Error && err.stack) io.err(err.stack);
    if (err instanceof UsageError) {
      io.err(`${PROGRAM} ${command.name}: ${sentence(err)}.`.replace(/\.\.$/, '.'));
      io.err(command.usage);
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      io.err(`${PROGRAM} ${command.name}: ${sentence(err)}`);
      return err.exitCode;
    }
    io.err(`${PROGRAM} ${command.name}: internal error: ${sentence(err)}${debugging() ? '' : ' (set MPTCPDRILL_DEBUG=1 for details)'}`);
    return 1;
  }
}
