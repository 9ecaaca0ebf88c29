// The MPTCP v0 corpus (test/v0-scripts, RFC 6824) on the bundled stack in its v0 mode, through
// the suite runner as CI runs suites: every script passes, and every mutated twin in
// test/v0-twins fails on the line and with the message its header names. The scripts switch
// the mode with `sysctl -q net.mptcp.mptcp_version=0` (test/v0-scripts/common/defaults.sh), a key
// upstream Linux does not have, so they are for the ts target only.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/paths.js';

const SCRIPTS = join(repoRoot, 'test/v0-scripts');
const TWINS = join(repoRoot, 'test/v0-twins');

interface SuiteResult {
  file: string;
  outcome: string;
  reason: string | null;
}

/** The suite runner's JSON results, by absolute script path. */
async function runSuite(paths: string[]): Promise<{ results: Map<string, SuiteResult>; status: number | null; stderr: string }> {
  const r = await runCli(['run', '--target', 'ts', '--format', 'json', '--seed', '7', ...paths], { NO_COLOR: '1' });
  const results = new Map<string, SuiteResult>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{"type":"result"')) continue;
    const x = JSON.parse(line) as SuiteResult;
    results.set(resolve(x.file), x);
  }
  return { results, status: r.status, stderr: r.stderr };
}

const pktFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.pkt'))
    .map((f) => join(dir, f))
    .sort();

test('every v0 script passes on the bundled stack in its v0 mode', async (t) => {
  const scripts = pktFiles(SCRIPTS);
  t.true(scripts.length >= 10, `${scripts.length} scripts`);
  const { results, status, stderr } = await runSuite([SCRIPTS]);
  t.is(results.size, scripts.length, stderr);
  const notPassing = [...results.values()].filter((r) => r.outcome !== 'pass').map((r) => `${r.file}: ${r.outcome} ${r.reason ?? ''}`);
  t.deepEqual(notPassing, []);
  t.is(status, 0);
});

test('every v0 twin fails on its line with its message, and every script has a twin', async (t) => {
  const twins = pktFiles(TWINS);
  const expectations = twins.map((file) => {
    const text = readFileSync(file, 'utf8');
    const of = /^\/\/ twin-of: (\S+)$/m.exec(text)?.[1];
    const fail = /^\/\/ expect-fail: (\d+): (.+)$/m.exec(text);
    return { file, script: of && resolve(dirname(file), of), line: fail?.[1], message: fail?.[2]?.trim() };
  });
  const twinned = new Set(expectations.map((e) => e.script));
  t.deepEqual(pktFiles(SCRIPTS).filter((s) => !twinned.has(s)).map((s) => relative(repoRoot, s)), [], 'scripts without a twin');
  const { results } = await runSuite([TWINS]);
  for (const e of expectations) {
    const name = relative(repoRoot, e.file);
    t.truthy(e.script && e.line && e.message, `${name} has twin-of and expect-fail headers`);
    const r = results.get(e.file);
    const where = `${name}:${e.line}:`;
    t.is(r?.outcome, 'fail', `${name}: ${r?.reason ?? 'no result'}`);
    t.true((r?.reason ?? '').includes(where) && (r?.reason ?? '').includes(e.message ?? '?'), `${where} expected "${e.message}", got: ${r?.reason}`);
  }
  t.log(`${expectations.length} twins`);
});
