// mptcpdrill's command line: finds the subcommand, handles --help / --version, and turns every
// failure into one sentence on stderr (with the stack only when MPTCPDRILL_DEBUG=1).

import { CliError, EXIT_USAGE, UsageError, type Command, type CommandRegistry } from './command.js';
import { commands } from './commands/index.js';
import { packageVersion } from './version.js';

const PROGRAM = 'mptcpdrill';

/** Loads a command; a module that cannot load becomes one sentence, not a stack trace. */
async function load(registry: CommandRegistry, name: string, io: MainIo): Promise<Command | string> {
  const loader = registry[name];
  if (!loader) return `unknown command '${name}'`;
  try {
    return (await loader()).command;
  } catch (err) {
    if (debugging() && err instanceof Error && err.stack) io.err(err.stack);
    return `cannot load this command (${sentence(err)}); run npm run build`;
  }
}

async function globalUsage(registry: CommandRegistry, io: MainIo): Promise<string> {
  const names = Object.keys(registry);
  const loaded = await Promise.all(names.map((name) => load(registry, name, io)));
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((name, i) => {
    const c = loaded[i]!;
    return `  ${name.padEnd(width)}  ${typeof c === 'string' ? `(unavailable: ${c})` : c.summary}`;
  });
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

/** The first line of an error's message: one sentence, whatever was thrown. */
function sentence(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.split('\n')[0]!.trim();
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
export async function main(argv: string[], registry: CommandRegistry = commands, io: MainIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(await globalUsage(registry, io));
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const target = first === 'help' && rest[0] !== undefined && Object.hasOwn(registry, rest[0]) ? await load(registry, rest[0], io) : undefined;
    io.out(target === undefined ? await globalUsage(registry, io) : typeof target === 'string' ? target : target.usage);
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.out(`${PROGRAM} ${packageVersion()}`);
    return 0;
  }
  if (first.startsWith('-') || !Object.hasOwn(registry, first)) {
    const what = first.startsWith('-') ? `unknown option ${first}` : `unknown command '${first}'`;
    io.err(`${PROGRAM}: ${what}.`);
    io.err(await globalUsage(registry, io));
    return EXIT_USAGE;
  }
  const command = await load(registry, first, io);
  if (typeof command === 'string') {
    io.err(`${PROGRAM} ${first}: ${command}.`);
    return 1;
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

/**
 * Entry of a suite runner thread (src/suite/thread-pool.ts starts it through the launcher, which
 * loads this module's bundle): serves jobs until the pool ends the thread. Imported on call, so
 * the CLI's own start-up does not pay for it.
 */
export async function serveSuiteJobs(): Promise<void> {
  const { serveSuiteJobs: serve } = await import('../suite/thread-worker.js');
  serve();
}
