#!/usr/bin/env node
// Launcher: runs the compiled CLI in dist/, or says in one sentence how to build it.
// `npm run build` also bundles it into dist/bundle/main.cjs (scripts/bundle.ts): one file, compiled
// with V8's code cache, starts much faster than the ~850 modules of dist/src and its dependencies.
// The bundle runs only while it matches the compiled files it was made from (after a bare `tsc` it
// does not), else the modules; MPTCPDRILL_BUNDLE=0 forces the modules.
// With MPTCPDRILL_ENTRY=child it starts a suite child process instead (src/suite/child.ts, whose
// bundle is dist/bundle/child.cjs): the suite's executor starts its children through here. In a
// worker thread started with workerData { mptcpdrillEntry: 'thread' } it serves the suite's jobs
// from the CLI's bundle (src/suite/thread-pool.ts).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { isMainThread, workerData } from 'node:worker_threads';

const root = new URL('../', import.meta.url);
const thread = !isMainThread && workerData?.mptcpdrillEntry === 'thread';
const which = process.env.MPTCPDRILL_ENTRY === 'child' ? 'child' : 'main';
delete process.env.MPTCPDRILL_ENTRY;
const entry = new URL(which === 'child' ? 'dist/src/suite/child.js' : 'dist/src/cli/main.js', root);

// `mptcpdrill --version` alone is answered here, without loading any of the CLI (a third of the
// start-up): the same line src/cli/main.ts prints.
if (isMainThread && which === 'main' && process.argv.length === 3 && ['--version', '-V'].includes(process.argv[2])) {
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    if (pkg.name === 'mptcpdrill' && pkg.version) version = pkg.version;
  } catch {
    // as src/cli/version.ts: no readable package.json prints "unknown"
  }
  process.stdout.write(`mptcpdrill ${version}\n`);
  process.exit(0);
}
// `run --target kernel FILE` restarts itself, before loading the CLI, with the V8 flags of a
// process that runs kernel scripts (src/cli/kernel-relaunch.ts); it returns when it does not.
if (isMainThread && which === 'main' && process.argv[2] === 'run' && process.argv.some((a) => a.includes('kernel'))) {
  try {
    const { relaunchWithKernelNodeFlags } = await import(new URL('dist/src/cli/kernel-relaunch.js', root).href);
    await relaunchWithKernelNodeFlags(process.argv.slice(2));
  } catch {
    // not built: said below
  }
}
if (!existsSync(entry)) {
  process.stderr.write('mptcpdrill is not built (dist/ is missing): run npm install (which builds) first.\n');
  process.exit(2);
}

/**
 * Runs the bundle of `which` when dist/bundle/ is as fresh as the compiled files and resolves to
 * its exports, else undefined. The bundle loads its other parts (the shell parser, on the first
 * shell line) through the same code-cached loader: see loadPart.
 */
function loadBundle() {
  if (process.env.MPTCPDRILL_BUNDLE === '0') return undefined;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('dist/bundle/manifest.json', root), 'utf8'));
    if (!manifest.entries?.[which]) return undefined;
    // Installed from a tarball, every file has the mtime of its extraction, never the one the
    // manifest kept; and nothing rebuilds a package inside node_modules: trust its bundle there.
    const installed = fileURLToPath(root).split(/[\\/]/).includes('node_modules');
    if (!installed) for (const [file, mtime] of Object.entries(manifest.inputs)) {
      if (statSync(new URL(file, root)).mtimeMs !== mtime) return undefined;
    }
  } catch {
    return undefined;
  }
  const loaded = new Map();
  const loadPart = (part) => {
    if (!loaded.has(part)) loaded.set(part, runCached(manifest, part));
    return loaded.get(part);
  };
  // scripts/bundle.ts makes the bundle's import of a part call this (the part's module.exports).
  globalThis[Symbol.for('mptcpdrill.bundlePart')] = loadPart;
  return loadPart(which);
}

/**
 * Compiles and runs one file of the bundle with V8's code cache. The cache is written at exit
 * when missing or rejected (another Node), aside and renamed so parallel runs never read half a
 * cache; threads only read it (the CLI's own run writes it).
 */
function runCached(manifest, part) {
  const file = fileURLToPath(new URL(`dist/bundle/${manifest.entries[part]}`, root));
  // V8 rejects a cache made under other flags (a kernel run's, src/targets/kernel/node-flags.ts):
  // one cache per set of Node flags, or runs with and without them would overwrite each other's.
  const flags = process.execArgv.length === 0 ? '' : `.${flagsTag(process.execArgv)}`;
  const cacheFile = fileURLToPath(new URL(`dist/bundle/${part}.${manifest.id}${flags}.cache`, root));
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet: this run writes it
  }
  const source = readFileSync(file, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (!thread && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install has no cache: every start compiles the bundle
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** A short tag of the Node flags (FNV-1a of their text). */
function flagsTag(execArgv) {
  let h = 0x811c9dc5;
  for (const c of execArgv.join(' ')) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

let main;
let serveSuiteJobs;
try {
  let bundle;
  try {
    bundle = loadBundle();
  } catch (err) {
    if (process.env.MPTCPDRILL_DEBUG === '1') process.stderr.write(`bundle not used: ${err?.stack ?? err}\n`);
  }
  ({ main, serveSuiteJobs } = bundle ?? (await import(entry.href)));
} catch (err) {
  if (process.env.MPTCPDRILL_DEBUG === '1') process.stderr.write(`${err?.stack ?? err}\n`);
  process.stderr.write(`mptcpdrill could not load its compiled code (${err?.message ?? err}): run npm run build.\n`);
  process.exit(2);
}
// A suite child runs as it loads; a runner thread serves jobs; the CLI runs main.
if (thread) {
  await serveSuiteJobs();
} else if (which === 'main') {
  // A reader that left (`mptcpdrill run -v … | head -1`) is no error of the run: the rest of the
  // output is dropped and the run ends as it would, its clean-up included.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err?.code !== 'EPIPE' && err?.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    // main catches everything; this is only a last guard against a bug in main itself.
    if (process.env.MPTCPDRILL_DEBUG === '1') process.stderr.write(`${err?.stack ?? err}\n`);
    process.stderr.write(`mptcpdrill: internal error: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  }
}
