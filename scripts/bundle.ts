// `npm run build` (and `prepare`), after tsc: bundles the compiled CLI (dist/src/cli/main.js) and
// its dependencies (chevrotain and its ~640 lodash-es modules, chalk) into a few files in
// dist/bundle/, so that `mptcpdrill` starts by loading a handful of modules instead of ~850 (the
// ESM loader's per-module cost was most of the start-up). Lazily imported parts (each command, the
// kernel and remote targets, the differential runner) stay separate chunks, loaded on demand.
// Other packages (koffi, cap, raw-socket, ...) stay outside: see BUNDLED.
//
// bin/mptcpdrill.js runs the bundle only while dist/bundle/manifest.json matches the compiled
// files it was made from (their mtimes); after a bare `tsc` it falls back to dist/src/cli/main.js,
// so it never runs stale code. MPTCPDRILL_BUNDLE=0 forces the unbundled modules.
//
// Paths computed from import.meta.url (scripts/stack-bin, the suite child entry, worker files,
// package.json) must not move: each bundled module's `import.meta.url` is rewritten to the URL of
// its own file in dist/, so they resolve exactly as in the unbundled build.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildResult, Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'bundle');
const ENTRY = join(DIST, 'src', 'cli', 'main.js');

/**
 * Packages bundled with our code: chevrotain (with @chevrotain/* and lodash-es, ~700 modules) and
 * chalk. Any other package our code imports stays external (native ones like koffi, and those
 * that ship a bundle of their own), loaded by Node as before.
 */
const BUNDLED = new Set(['chevrotain', 'chalk']);

/** Makes every bare import from our compiled code external unless its package is in BUNDLED. */
const onlyListedPackages: Plugin = {
  name: 'only-listed-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!args.importer.startsWith(DIST + sep) || args.path.startsWith('node:')) return undefined;
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0]!;
      return BUNDLED.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

/** mtime of each compiled file, taken before it is read (so a file rewritten meanwhile reads as stale). */
const mtimes = new Map<string, number>();

/** Rewrites `import.meta.url` in dist/ modules to the URL of the module's own file. */
const keepModuleUrls: Plugin = {
  name: 'keep-module-urls',
  setup(build) {
    build.onLoad({ filter: new RegExp(`^${DIST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/.*\\.js$`) }, (args) => {
      mtimes.set(args.path, statSync(args.path).mtimeMs);
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(OUT, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

async function main(): Promise<number> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write('bundle: esbuild is not installed; mptcpdrill will run unbundled (slower start-up).\n');
    return 0;
  }
  if (!existsSync(ENTRY)) {
    process.stderr.write(`bundle: ${relative(ROOT, ENTRY)} is missing: run tsc first.\n`);
    return 1;
  }
  // The grammar with every Chevrotain check on (they throw on an ambiguous or broken grammar):
  // the bundle then skips them at each start (grammar/checked.ts).
  await import(pathToFileURL(join(DIST, 'grammar', 'parser.js')).href);
  await import(pathToFileURL(join(DIST, 'grammar', 'lexer.js')).href);
  // Built aside and swapped in, so a concurrent `mptcpdrill` never sees half a bundle.
  const tmp = join(DIST, `.bundle-${process.pid}`);
  const old = join(DIST, `.bundle-old-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  let result: BuildResult<{ metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: ENTRY },
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      plugins: [onlyListedPackages, keepModuleUrls],
      define: { MPTCPDRILL_GRAMMAR_CHECKED: 'true' },
      metafile: true,
      logLevel: 'warning',
      legalComments: 'none',
    });
  } catch (err) {
    // Not fatal: the CLI runs unbundled, only its start-up is slower. Said loudly, not hidden.
    rmSync(tmp, { recursive: true, force: true });
    rmSync(OUT, { recursive: true, force: true });
    process.stderr.write(`bundle: esbuild failed (${(err as Error).message.split('\n')[0]}); no bundle: mptcpdrill runs unbundled, with a slower start-up.\n`);
    return 0;
  }
  try {
    // The compiled files the bundle was made from, with their mtimes: the launcher's staleness test.
    const inputs: Record<string, number> = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      if (!input.startsWith('dist/')) continue;
      const mtime = mtimes.get(join(ROOT, input));
      if (mtime === undefined) throw new Error(`${input} was bundled without being seen`);
      inputs[input] = mtime;
    }
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify({ entry: 'main.js', inputs }));
    if (existsSync(OUT)) renameSync(OUT, old);
    renameSync(tmp, OUT);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const files = Object.keys(JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')).inputs as object).length;
  process.stdout.write(`bundle: ${relative(ROOT, OUT)}/ from ${files} compiled modules (${relative(ROOT, dirname(ENTRY))}/main.js and what it imports)\n`);
  return 0;
}

process.exitCode = await main();
