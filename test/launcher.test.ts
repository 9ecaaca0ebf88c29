// bin/mptcpdrill.js and the bundle (scripts/bundle.ts): the launcher runs dist/bundle/main.cjs only
// while it matches the compiled files it was made from, and the compiled modules otherwise; it
// keeps a V8 code cache per bundle; the real bundle, when fresh, runs scripts as the modules do
// (paths from import.meta.url included).
import test from 'ava';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/paths.js';
import { lines, runCli, runNode } from './helpers/cli.js';
import { main } from '../src/cli/main.js';

/** A fake install: the launcher, compiled modules that say 'modules', a bundle that says 'bundle'. */
function fakeInstall(t: { teardown(fn: () => void): void }): { dir: string; bin: string; compiled: string; bundleDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(cliPath, join(dir, 'bin', 'mptcpdrill.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
  const compiled = join(dir, 'dist', 'src', 'cli', 'main.js');
  writeFileSync(compiled, "export async function main() { process.stdout.write('modules\\n'); return 0; }\n");
  const bundleDir = join(dir, 'dist', 'bundle');
  mkdirSync(bundleDir);
  writeFileSync(join(bundleDir, 'main.cjs'), "exports.main = async (argv) => { process.stdout.write(`bundle ${argv.join(' ')}\\n`); return 3; };\n");
  writeFileSync(join(bundleDir, 'manifest.json'), JSON.stringify({ entries: { main: 'main.cjs' }, id: 'b1', inputs: { 'dist/src/cli/main.js': statSync(compiled).mtimeMs } }));
  return { dir, bin: join(dir, 'bin', 'mptcpdrill.js'), compiled, bundleDir };
}

test('the launcher runs a fresh bundle, with the arguments and exit status of the command, and keeps its code cache', async (t) => {
  const f = fakeInstall(t);
  const cache = join(f.bundleDir, 'main.b1.cache');
  const r = await runNode(f.bin, ['run', 'x.pkt'], { MPTCPDRILL_BUNDLE: '' });
  t.deepEqual(lines(r.stdout), ['bundle run x.pkt']);
  t.is(r.status, 3);
  t.true(existsSync(cache), 'the first run writes the code cache');
  const written = statSync(cache).mtimeMs;
  const again = await runNode(f.bin, ['run'], { MPTCPDRILL_BUNDLE: '' });
  t.deepEqual(lines(again.stdout), ['bundle run']);
  t.is(statSync(cache).mtimeMs, written, 'a run that used the cache leaves it as it is');
  writeFileSync(cache, 'not a code cache');
  t.deepEqual(lines((await runNode(f.bin, ['x'], { MPTCPDRILL_BUNDLE: '' })).stdout), ['bundle x'], 'a rejected cache is only slower');
  t.not(readFileSync(cache, 'utf8'), 'not a code cache', 'and is written anew');
});

test('the launcher runs the compiled modules when a compiled file changed after bundling', async (t) => {
  const f = fakeInstall(t);
  const later = new Date(statSync(f.compiled).mtimeMs + 5000);
  utimesSync(f.compiled, later, later);
  const r = await runNode(f.bin, ['run'], { MPTCPDRILL_BUNDLE: '' });
  t.deepEqual(lines(r.stdout), ['modules']);
  t.is(r.status, 0);
});

test('installed under node_modules (files carry their extraction time), the launcher trusts the bundle', async (t) => {
  const f = fakeInstall(t);
  const later = new Date(statSync(f.compiled).mtimeMs + 5000);
  utimesSync(f.compiled, later, later);
  const installed = join(f.dir, 'node_modules', 'mptcpdrill');
  mkdirSync(join(f.dir, 'node_modules'));
  renameSync(join(f.dir, 'bin'), join(f.dir, 'bin.tmp'));
  mkdirSync(installed);
  for (const name of ['bin.tmp', 'dist', 'package.json']) renameSync(join(f.dir, name), join(installed, name === 'bin.tmp' ? 'bin' : name));
  const r = await runNode(join(installed, 'bin', 'mptcpdrill.js'), ['run'], { MPTCPDRILL_BUNDLE: '' });
  t.deepEqual(lines(r.stdout), ['bundle run']);
  t.deepEqual(lines((await runNode(join(installed, 'bin', 'mptcpdrill.js'), [], { MPTCPDRILL_BUNDLE: '0' })).stdout), ['modules'], 'MPTCPDRILL_BUNDLE=0 still forces the modules');
});

test('the launcher runs the compiled modules without a bundle, with MPTCPDRILL_BUNDLE=0, or when the bundle cannot load', async (t) => {
  const f = fakeInstall(t);
  t.deepEqual(lines((await runNode(f.bin, [], { MPTCPDRILL_BUNDLE: '0' })).stdout), ['modules']);
  writeFileSync(join(f.bundleDir, 'main.cjs'), "throw new Error('broken bundle');\n");
  t.deepEqual(lines((await runNode(f.bin, [], { MPTCPDRILL_BUNDLE: '' })).stdout), ['modules']);
  rmSync(f.bundleDir, { recursive: true });
  t.deepEqual(lines((await runNode(f.bin, [], { MPTCPDRILL_BUNDLE: '' })).stdout), ['modules']);
});

test('with MPTCPDRILL_ENTRY=child the launcher starts the suite child, from the bundle while it is fresh', async (t) => {
  const f = fakeInstall(t);
  const child = join(f.dir, 'dist', 'src', 'suite', 'child.js');
  mkdirSync(join(f.dir, 'dist', 'src', 'suite'));
  writeFileSync(child, "process.stdout.write(`modules child ${process.argv[2]} ${process.env.MPTCPDRILL_ENTRY ?? '-'}\\n`);\n");
  writeFileSync(join(f.bundleDir, 'child.cjs'), "process.stdout.write(`bundle child ${process.argv[2]} ${process.env.MPTCPDRILL_ENTRY ?? '-'}\\n`);\n");
  const manifest = JSON.parse(readFileSync(join(f.bundleDir, 'manifest.json'), 'utf8')) as { entries: Record<string, string>; inputs: Record<string, number> };
  manifest.entries['child'] = 'child.cjs';
  manifest.inputs['dist/src/suite/child.js'] = statSync(child).mtimeMs;
  writeFileSync(join(f.bundleDir, 'manifest.json'), JSON.stringify(manifest));
  const env = { MPTCPDRILL_BUNDLE: '', MPTCPDRILL_ENTRY: 'child' };
  t.deepEqual(lines((await runNode(f.bin, ['SPEC'], env)).stdout), ['bundle child SPEC -'], 'the child does not see MPTCPDRILL_ENTRY');
  t.true(existsSync(join(f.bundleDir, 'child.b1.cache')));
  t.deepEqual(lines((await runNode(f.bin, ['SPEC'], { ...env, MPTCPDRILL_BUNDLE: '0' })).stdout), ['modules child SPEC -']);
});

/** Whether the repository's own bundle is fresh (what the launcher checks). */
function realBundleFresh(): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'dist/bundle/manifest.json'), 'utf8')) as { inputs: Record<string, number> };
    return Object.entries(manifest.inputs).every(([file, mtime]) => statSync(join(repoRoot, file)).mtimeMs === mtime);
  } catch {
    return false;
  }
}

test('the real bundle runs scripts as the compiled modules do: shell lines (stack-bin), suite children, the version', async (t) => {
  if (!realBundleFresh()) {
    t.log('dist/bundle/ is absent or stale (a bare tsc since npm run build): nothing to compare');
    t.pass();
    return;
  }
  const script = join(repoRoot, 'test/scripts/tcp/sockopt/getsockopt.pkt');
  const suite = [join(repoRoot, 'test/scripts/language/time-forms.pkt'), script];
  for (const env of [{ MPTCPDRILL_BUNDLE: '' }, { MPTCPDRILL_BUNDLE: '0' }]) {
    const one = await runCli(['run', '--seed', '7', script], env);
    t.is(one.status, 0, `${JSON.stringify(env)}: ${one.stderr}`);
    t.regex(one.stdout, /^PASS /m);
    const children = await runCli(['run', '--ts-processes', '-j', '2', '--format', 'tap', ...suite], env);
    t.is(children.status, 0, `${JSON.stringify(env)}: ${children.stdout}${children.stderr}`);
    t.regex((await runCli(['--version'], env)).stdout, /^mptcpdrill \d+\.\d+\.\d+/);
  }
});

test('--version alone is answered by the launcher from package.json, without loading the CLI', async (t) => {
  const f = fakeInstall(t);
  writeFileSync(join(f.dir, 'package.json'), '{"name":"mptcpdrill","version":"9.8.7","type":"module"}');
  for (const flag of ['--version', '-V']) {
    const r = await runNode(f.bin, [flag], { MPTCPDRILL_BUNDLE: '' });
    // The fake CLI would print "bundle --version": the launcher answered before loading it.
    t.deepEqual(lines(r.stdout), ['mptcpdrill 9.8.7']);
    t.is(r.status, 0);
  }
  // With other arguments the CLI answers, as it does for `--version` in any position.
  t.deepEqual(lines((await runNode(f.bin, ['--version', 'x'], { MPTCPDRILL_BUNDLE: '' })).stdout), ['bundle --version x']);
  // The real launcher prints the line the CLI itself prints.
  let printed = '';
  await main(['--version'], undefined, { out: (text) => { printed += text; }, err: () => undefined });
  t.is((await runCli(['--version'])).stdout.trim(), printed);
});
