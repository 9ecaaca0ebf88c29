// The subcommand registry. Adding a command: create src/cli/commands/<name>.ts exporting
// `export const command: Command = { name, summary, usage, run }` (see ../command.ts), then add
// one line below: `<name>: () => import('./<name>.js'),`.
//
// Commands are loaded on demand, so that running one loads only its own code (fast start-up),
// and a command whose code is broken or half-built cannot stop the others from working.

import type { CommandRegistry } from '../command.js';

export const commands: CommandRegistry = {
  check: () => import('./check.js'),
  conformance: () => import('./conformance.js'),
  decode: () => import('./decode.js'),
  fmt: () => import('./fmt.js'),
  interop: () => import('./interop.js'),
  lab: () => import('./lab.js'),
  mutate: () => import('./mutate.js'),
  run: () => import('./run.js'),
};
