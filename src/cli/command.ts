// The contract every subcommand fulfils, and the errors a command may throw to have main
// print one clean sentence instead of a stack trace.

export interface Command {
  /** The word typed after `mptcpdrill`. */
  name: string;
  /** One line for the global help. */
  summary: string;
  /** Full usage text printed by `mptcpdrill <name> --help` and after a usage error. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit status. */
  run(argv: string[]): Promise<number>;
}

/** A module of src/cli/commands/: exports its command as `command`. */
export interface CommandModule {
  command: Command;
}

/** Command name → loader of its module (the key must equal the command's `name`). */
export type CommandRegistry = Readonly<Record<string, () => Promise<CommandModule>>>;

/** Exit status for bad usage and for input that cannot be processed (missing file, damaged capture). */
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: main prints the sentence, then the usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure worth one sentence on stderr and a given exit status, without the usage text. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
  }
}
