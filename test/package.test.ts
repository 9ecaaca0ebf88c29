// The package as npm ships it: `npm pack` (of the tree `npm test` just built), installed from the
// tarball into an empty folder, and `npx mptcpdrill --version`, `check` and `run` from there. The
// tarball carries the compiled code and the bundle (dist/ is git-ignored, so without the `files`
// field it carried none), the shell stand-ins, and no sources or tests.

import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './helpers/paths.js';

const exec = promisify(execFile);

const PASSING = `// a script that passes on the bundled stack
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  try {
    const r = await exec(cmd, args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, MPTCPDRILL_BUNDLE: '', npm_config_update_notifier: 'false' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

test('npm pack ships what the CLI needs; installed from the tarball into an empty folder, --version, check and run work', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-package-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // --ignore-scripts: `npm test` has just built dist/ (prepare would build it again).
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repoRoot);
  t.is(pack.code, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path);
  for (const needed of ['bin/mptcpdrill.js', 'package.json', 'README.md', 'dist/src/cli/main.js', 'dist/src/suite/child.js', 'dist/bundle/main.cjs', 'dist/bundle/child.cjs', 'dist/bundle/manifest.json', 'dist/grammar/parser.js']) {
    t.true(files.includes(needed), `${needed} is in the package`);
  }
  for (const standIn of readdirSync(join(repoRoot, 'scripts', 'stack-bin'))) {
    t.true(files.includes(`scripts/stack-bin/${standIn}`), `the stand-in ${standIn} is in the package`);
  }
  t.deepEqual(files.filter((f) => /^(src|test|grammar)\/|\.ts$|\.map$|\.cache$|^dist\/test\//.test(f) && !f.endsWith('.d.ts')), [], 'no sources, tests, maps or code caches');

  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"name":"newcomer","version":"1.0.0","private":true}\n');
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info!.filename)], project);
  t.is(install.code, 0, install.stderr);

  const version = await run('npx', ['--no-install', 'mptcpdrill', '--version'], project);
  t.is(version.code, 0, version.stderr);
  t.regex(version.stdout, /^mptcpdrill \d+\.\d+\.\d+/);
  t.notRegex(version.stderr, /dist\/ is missing|not built/);

  writeFileSync(join(project, 'listen.pkt'), PASSING);
  writeFileSync(join(project, 'bad.pkt'), '0 socket(..., SOCK_STREEM, IPPROTO_TCP) = 3\n');
  const check = await run('npx', ['--no-install', 'mptcpdrill', 'check', 'listen.pkt'], project);
  t.is(check.code, 0, check.stdout + check.stderr);
  t.regex(check.stderr, /1 file, 0 errors/);
  const bad = await run('npx', ['--no-install', 'mptcpdrill', 'check', 'bad.pkt'], project);
  t.is(bad.code, 2);
  t.regex(bad.stdout, /bad\.pkt:1:15: error: unknown constant 'SOCK_STREEM'/);

  const passed = await run('npx', ['--no-install', 'mptcpdrill', 'run', 'listen.pkt'], project);
  t.is(passed.code, 0, passed.stdout + passed.stderr);
  t.regex(passed.stdout, /PASS listen\.pkt/);
  const suite = await run('npx', ['--no-install', 'mptcpdrill', 'run', '--format', 'tap', '.'], project);
  t.regex(suite.stdout, /ok \d+ - listen\.pkt/, 'a suite runs its children from the package too');

  // Installed files carry the time of their extraction, not the one the bundle's manifest kept:
  // inside node_modules the launcher trusts the bundle (whose first run writes its code cache).
  const bundleDir = join(project, 'node_modules', 'mptcpdrill', 'dist', 'bundle');
  t.true(readdirSync(bundleDir).some((f) => f.endsWith('.cache')), 'the bundle ran');
  t.true(existsSync(join(project, 'node_modules', 'mptcpdrill', 'scripts', 'stack-bin', 'ss')));
});
