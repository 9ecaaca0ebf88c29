// node:util parseArgs, with its errors turned into short UsageError sentences.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

function optionName(message: string): string {
  return /'(-[^', ]+)/.exec(message)?.[1] ?? 'an option';
}

/** A negative number (`-1`, `-3.5`, `-.5`): a value, never an option. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/;

/**
 * parseArgs refuses `-j -1` as an "ambiguous" value (it starts with a dash); a negative number
 * after an option that takes a value is that option's value, joined as `--name=-1` so the
 * command's own check refuses it with a sentence about the number.
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const long = arg.startsWith('--') ? arg.slice(2) : Object.entries(options).find(([, o]) => arg === `-${o.short}`)?.[0];
    const next = argv[i + 1];
    if (long !== undefined && !arg.includes('=') && options[long]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${long}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Parses `argv` against `options` (positionals allowed); bad flags become UsageError. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${optionName(message)}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = optionName(message);
      // "argument missing" (last word) and "ambiguous" (followed by another option) both mean the
      // value is missing; "does not take an argument" is a boolean flag given a value.
      throw new UsageError(/does not take an argument/.test(message) ? `option ${name} takes no value` : `option ${name} needs a value`);
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
