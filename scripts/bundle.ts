// `npm run build` (and `prepare`, `test`, `bench`), after tsc: bundles the compiled CLI
// (dist/src/cli/main.js) with chevrotain (its ~640 lodash-es modules included) and chalk into one
// CommonJS file, dist/bundle/main.cjs, so that `mptcpdrill` starts by compiling one file instead
// of resolving and linking ~850 ES modules (most of the start-up); the same for the suite's child
// process (dist/src/suite/child.js: dist/bundle/child.cjs), one per kernel script; just-bash (the
// shell parser) goes to shell-parser.cjs, loaded on the first shell line (BUNDLE_PARTS). Parts
// imported lazily (each command, the kernel and remote targets, the differential
// runner) stay lazy: esbuild runs a module's body on its first import(). Other packages (koffi,
// cap, raw-socket, ...) stay outside (see BUNDLED) and are require()d on first use.
//
// bin/mptcpdrill.js runs a bundle only while dist/bundle/manifest.json matches the compiled files
// it was made from (their mtimes); after a bare `tsc` it falls back to dist/src, so it never runs
// stale code. MPTCPDRILL_BUNDLE=0 forces the modules. It compiles a bundle with V8's code cache
// (dist/bundle/<main|child|shell-parser>.<id>.cache, written by the first run of a new bundle; this script
// makes those first runs), which skips most of the compiling at each start.
//
// Paths computed from import.meta.url (scripts/stack-bin, the suite child entry, worker files,
// package.json) must not move: each bundled module's `import.meta.url` becomes the URL of its own
// file in dist/, so they resolve exactly as in the unbundled build.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildResult, Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'bundle');
const ENTRY = join(DIST, 'src', 'cli', 'main.js');
/** The suite's child process (src/suite/child.ts), started through the launcher too. */
const CHILD = join(DIST, 'src', 'suite', 'child.js');
/** just-bash's CommonJS build: the shell parser, a part of its own (see BUNDLE_PARTS). */
const JUST_BASH = createRequire(import.meta.url).resolve('just-bash');

/**
 * Bundled packages written to a file of their own, loaded by the launcher (with its own code
 * cache) the first time the code imports them: just-bash is 1.8 MB, 40% of the CLI's bundle,
 * and only shell lines need it, so `check` and runs without shell lines never read or compile it.
 */
const BUNDLE_PARTS: Record<string, string> = { 'just-bash': 'shell-parser' };

/**
 * Packages bundled with our code: chevrotain (with @chevrotain/* and lodash-es, ~700 modules),
 * chalk and just-bash. Any other package our code imports stays external (native ones like koffi),
 * loaded by Node as before.
 */
const BUNDLED = new Set(['chevrotain', 'chalk', 'just-bash']);

/**
 * Bundled packages taken in their CommonJS build, their own imports left external: just-bash's is
 * one 1.8 MB file (its ES build, an index and chunks that esbuild cannot prune, bundles to 7 MB),
 * whose compiling cost ~0.2 s of CPU at each start outside the bundle's code cache.
 */
const AS_REQUIRED = new Set(['just-bash']);

/**
 * Imports of bundled packages replaced by a module that throws when loaded. just-bash starts
 * importing guarded-fetch (with undici: ~0.2 s of CPU) as it loads, for its network commands; we
 * use its parser only, and the import's failure is caught where it is made.
 */
const LEFT_OUT: Record<string, string> = { 'guarded-fetch': 'just-bash' };

/** Marks the resolutions the plugin asks esbuild for itself. */
const RESOLVING = Symbol('resolving');

/** The package a bare import names (`@scope/name` or `name`). */
function packageOf(path: string): string {
  return path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]!;
}

/**
 * Bare imports from our compiled code stay external unless their package is in BUNDLED; a package
 * in AS_REQUIRED is taken in its CommonJS build and keeps its own imports external.
 */
const onlyListedPackages: Plugin = {
  name: 'only-listed-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === RESOLVING || args.path.startsWith('node:')) return undefined;
      // A part's stand-in falls back to the package itself outside the launcher.
      if (args.namespace === 'bundle-part') return { path: args.path, external: true };
      if (args.importer.startsWith(DIST + sep) && BUNDLE_PARTS[args.path] !== undefined) return { path: args.path, namespace: 'bundle-part' };
      if (!args.importer.startsWith(DIST + sep)) {
        const within = (p: string): boolean => args.importer.includes(`${sep}node_modules${sep}${p}${sep}`);
        if (LEFT_OUT[args.path] !== undefined && within(LEFT_OUT[args.path]!)) return { path: args.path, namespace: 'left-out' };
        return [...AS_REQUIRED].some(within) ? { path: args.path, external: true } : undefined;
      }
      const name = packageOf(args.path);
      if (!BUNDLED.has(name)) return { path: args.path, external: true };
      if (!AS_REQUIRED.has(name)) return undefined;
      const found = await build.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
      return found.errors.length > 0 ? undefined : { path: found.path };
    });
    build.onLoad({ filter: /.*/, namespace: 'bundle-part' }, (args) => ({
      contents: `const load = globalThis[Symbol.for('mptcpdrill.bundlePart')];\nmodule.exports = load ? load(${JSON.stringify(BUNDLE_PARTS[args.path])}) : require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is left out of mptcpdrill's bundle (scripts/bundle.ts)`)});`,
      loader: 'js',
    }));
  },
};

/** mtime of each compiled file, taken before it is read (so a file rewritten meanwhile reads as stale). */
const mtimes = new Map<string, number>();

/** Defined by the banner: the file URL of a path relative to the bundle's folder. */
const URL_OF = '__mptcpdrillFileUrl';

/** Rewrites `import.meta.url` in dist/ modules to the URL of the module's own file. */
const keepModuleUrls: Plugin = {
  name: 'keep-module-urls',
  setup(build) {
    build.onLoad({ filter: new RegExp(`^${DIST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/.*\\.js$`) }, (args) => {
      mtimes.set(args.path, statSync(args.path).mtimeMs);
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const rel = relative(OUT, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `${URL_OF}(${JSON.stringify(rel)})`), loader: 'js' };
    });
  },
};

/** The first run, which writes the code cache: a shell line and a handshake. */
const PRIMER = `0     \`sysctl -q net.ipv4.tcp_timestamps=1\`
+0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S  0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>
+0    > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 200 ecr 100, nop, wscale 7>
+0.01 < .  1:1(0) ack 1 win 256 <nop, nop, TS val 101 ecr 200>
+0    accept(3, ..., ...) = 4
`;

async function main(): Promise<number> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write('bundle: esbuild is not installed; mptcpdrill will run unbundled (slower start-up).\n');
    return 0;
  }
  if (!existsSync(ENTRY) || !existsSync(CHILD)) {
    process.stderr.write(`bundle: ${relative(ROOT, existsSync(ENTRY) ? CHILD : ENTRY)} is missing: run tsc first.\n`);
    return 1;
  }
  // The grammar with every Chevrotain check on (they throw on an ambiguous or broken grammar):
  // the bundle then skips them at each start (grammar/checked.ts).
  const { pktParser, MAX_LOOKAHEAD } = (await import(pathToFileURL(join(DIST, 'grammar', 'parser.js')).href)) as typeof import('../grammar/parser.js');
  await import(pathToFileURL(join(DIST, 'grammar', 'lexer.js')).href);
  // Its recording and lookahead paths, embedded so the bundle's parser skips both (grammar/analysis.ts).
  const { analyseGrammar } = (await import(pathToFileURL(join(DIST, 'grammar', 'analysis.js')).href)) as typeof import('../grammar/analysis.js');
  const analysis = JSON.stringify(analyseGrammar(pktParser.getGAstProductions(), MAX_LOOKAHEAD));
  // Built aside and swapped in, so a concurrent `mptcpdrill` never sees half a bundle.
  const tmp = join(DIST, `.bundle-${process.pid}`);
  const old = join(DIST, `.bundle-old-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  let result: BuildResult<{ metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: ENTRY, child: CHILD, 'shell-parser': JUST_BASH },
      outdir: tmp,
      outExtension: { '.js': '.cjs' },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      // No import() left in the file: the launcher compiles it as a plain script.
      supported: { 'dynamic-import': false },
      plugins: [onlyListedPackages, keepModuleUrls],
      define: { MPTCPDRILL_GRAMMAR_CHECKED: 'true', MPTCPDRILL_GRAMMAR_ANALYSIS: JSON.stringify(analysis) },
      banner: { js: `"use strict";\nconst ${URL_OF} = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;` },
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
    // `id` names this bundle's code cache, so a cache never outlives the bundle it was made for.
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify({ entries: { main: 'main.cjs', child: 'child.cjs', 'shell-parser': 'shell-parser.cjs' }, id: randomBytes(6).toString('hex'), inputs }));
    if (existsSync(OUT)) renameSync(OUT, old);
    renameSync(tmp, OUT);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // The first runs write the code caches, with what a `run` compiles: the CLI's, then a suite
  // child's (the CLI's cache is there by then, so the second run leaves it as it is).
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bundle-'));
  try {
    writeFileSync(join(dir, 'primer.pkt'), PRIMER);
    for (const flags of [[], ['--ts-processes']]) {
      const args = [join(ROOT, 'bin', 'mptcpdrill.js'), 'run', '--target', 'ts', ...flags, join(dir, 'primer.pkt')];
      spawnSync(process.execPath, args, { stdio: 'ignore', timeout: 60_000, env: { ...process.env, MPTCPDRILL_BUNDLE: '' } });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { inputs } = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')) as { inputs: object };
  process.stdout.write(`bundle: ${relative(ROOT, OUT)}/main.cjs, child.cjs and shell-parser.cjs from ${Object.keys(inputs).length} compiled modules\n`);
  return 0;
}

process.exitCode = await main();
