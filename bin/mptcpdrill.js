#!/usr/bin/env node
// Launcher: runs the compiled CLI in dist/, or says in one sentence how to build it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('mptcpdrill is not built (dist/ is missing): run npm install (which builds) first.\n');
  process.exit(2);
}
let main;
try {
  ({ main } = await import(entry.href));
} catch (err) {
  if (process.env.MPTCPDRILL_DEBUG === '1') process.stderr.write(`${err?.stack ?? err}\n`);
  process.stderr.write(`mptcpdrill could not load its compiled code (${err?.message ?? err}): run npm run build.\n`);
  process.exit(2);
}
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // main catches everything; this is only a last guard against a bug in main itself.
  if (process.env.MPTCPDRILL_DEBUG === '1') process.stderr.write(`${err?.stack ?? err}\n`);
  process.stderr.write(`mptcpdrill: internal error: ${err?.message ?? err}\n`);
  process.exitCode = 1;
}
