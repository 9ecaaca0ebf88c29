// The subcommand registry. Adding a command: create src/cli/commands/<name>.ts exporting a
// `Command` (see ../command.ts) as `command`, then add one line below.

import type { Command } from '../command.js';
import { command as check } from './check.js';
import { command as decode } from './decode.js';

export const commands: readonly Command[] = [
  check,
  decode,
];
