// node:util parseArgs, with its errors turned into short UsageError sentences.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

function optionName(message: string): string {
  return /'(-[^' ]+)/.exec(message)?.[1] ?? 'an option';
}

/** Parses `argv` against `options` (positionals allowed); bad flags become UsageError. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${optionName(message)}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = optionName(message);
      throw new UsageError(message.includes('argument missing') ? `option ${name} needs a value` : `option ${name} takes no value`);
    }
    throw new UsageError(message.split('\n')[0]!);
  }
}

/** Exactly `count` positionals, named in `what` for the error sentence. */
export function requirePositionals(positionals: string[], what: string[]): string[] {
  if (positionals.length < what.length) throw new UsageError(`missing ${what[positionals.length]}`);
  if (positionals.length > what.length) throw new UsageError(`unexpected argument ${positionals[what.length]}`);
  return positionals;
}
