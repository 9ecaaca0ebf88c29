#!/usr/bin/env node
// Launcher: runs the compiled CLI in dist/, or says in one sentence how to build it.
// `npm run build` also bundles it into dist/bundle/ (scripts/bundle.ts): a few files load much
// faster than the ~850 modules of dist/src and its dependencies. The bundle runs only while it
// matches the compiled files it was made from (after a bare `tsc` it does not), else the modules.
import { existsSync, readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const entry = new URL('dist/src/cli/main.js', root);
if (!existsSync(entry)) {
  process.stderr.write('mptcpdrill is not built (dist/ is missing): run npm install (which builds) first.\n');
  process.exit(2);
}

/** The bundle's entry when dist/bundle/ is as fresh as the compiled files, else undefined. */
function freshBundle() {
  if (process.env.MPTCPDRILL_BUNDLE === '0') return undefined;
  try {
    const dir = new URL('dist/bundle/', root);
    const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
    for (const [file, mtime] of Object.entries(manifest.inputs)) {
      if (statSync(new URL(file, root)).mtimeMs !== mtime) return undefined;
    }
    return new URL(manifest.entry, dir);
  } catch {
    return undefined;
  }
}

let main;
try {
  const bundle = freshBundle();
  try {
    ({ main } = await import((bundle ?? entry).href));
  } catch (err) {
    if (!bundle) throw err;
    ({ main } = await import(entry.href));
  }
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
