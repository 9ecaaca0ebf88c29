// The corpus on the bundled stack, through the suite runner as CI runs it: every script of
// test/scripts passes in KTAP form (test/scripts/xfail.txt names the known gaps, which report
// XFAIL; multipath and file-system scripts the stack cannot run report SKIP with their reason),
// and every mutated twin of a script that runs here fails on the line and with the message its
// header names — the same twins the kernel must fail (test/kernel-corpus.test.ts).

import test from 'ava';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/mptcpdrill.js');

interface CliRun { code: number | null; stdout: string; stderr: string }

function mptcpdrill(args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

interface KtapLine { ok: boolean; index: number; name: string; directive?: string }

function parseKtap(text: string): { plan: number; results: KtapLine[]; totals?: string } {
  const lines = text.split('\n');
  const plan = Number(/^1\.\.(\d+)$/m.exec(text)?.[1] ?? NaN);
  const results: KtapLine[] = [];
  for (const line of lines) {
    const m = /^(not ok|ok) (\d+) (\S+)(?: # (\w+).*)?$/.exec(line);
    if (m) results.push({ ok: m[1] === 'ok', index: Number(m[2]), name: m[3]!, ...(m[4] ? { directive: m[4] } : {}) });
  }
  return { plan, results, totals: lines.find((l) => /^# totals:/i.test(l)) };
}

test('the corpus passes on the bundled stack, in KTAP form', async (t) => {
  const r = await mptcpdrill(['run', '--target', 'ts', '--format', 'ktap', '--seed', '7', 'test/scripts']);
  const ktap = parseKtap(r.stdout);
  t.regex(r.stdout, /^TAP version 13$/m);
  t.is(ktap.results.length, ktap.plan, 'one result per planned script');
  t.true(ktap.plan >= 80, `the whole corpus ran (${ktap.plan} scripts)`);
  const failed = ktap.results.filter((l) => !l.ok).map((l) => l.name);
  t.deepEqual(failed, [], r.stdout.split('\n').filter((l) => l.startsWith('#')).join('\n'));
  t.is(r.code, 0, r.stderr);
  const passed = ktap.results.filter((l) => l.ok && !l.directive).length;
  const skipped = ktap.results.filter((l) => l.directive === 'SKIP').map((l) => l.name);
  t.log(`${passed} pass, ${skipped.length} skip, ${ktap.totals ?? ''}`);
  // Skips are only the constructs the bundled stack declares it cannot run, each with a reason.
  for (const l of r.stdout.split('\n').filter((x) => / # SKIP/.test(x))) t.regex(l, / # SKIP \S.*/);
});

interface TwinHeader { twinOf: string; line: number; message: string }

function readTwinHeader(text: string): TwinHeader | undefined {
  const of = /^\/\/ twin-of: (\S+)$/m.exec(text);
  const fail = /^\/\/ expect-fail: (\d+): (.+)$/m.exec(text);
  return of && fail ? { twinOf: of[1]!, line: Number(fail[1]), message: fail[2]!.trim() } : undefined;
}

function listPkt(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listPkt(join(dir, e.name)) : e.name.endsWith('.pkt') ? [join(dir, e.name)] : []))
    .sort();
}

interface JsonResult { type: string; file: string; status: string; outcome: string; reason?: string; failure?: { detail?: string } }

function jsonResults(stdout: string): Map<string, JsonResult> {
  const out = new Map<string, JsonResult>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line) as JsonResult;
    if (r.type === 'result') out.set(resolve(ROOT, r.file), r);
  }
  return out;
}

test('every mutated twin fails on the bundled stack where its script runs', async (t) => {
  const twins = listPkt(join(ROOT, 'test/twins'));
  t.true(twins.length >= 40, `${twins.length} twins`);
  const headers = new Map(twins.map((f) => [f, readTwinHeader(readFileSync(f, 'utf8'))]));
  const scripts = [...new Set([...headers].map(([f, h]) => resolve(dirname(f), h!.twinOf)))];
  // The originals first: a twin proves something only where its script passes here.
  const [original, mutated] = await Promise.all([
    mptcpdrill(['run', '--target', 'ts', '--format', 'json', '--seed', '7', ...scripts.map((s) => relative(ROOT, s))]),
    mptcpdrill(['run', '--target', 'ts', '--format', 'json', '--seed', '7', 'test/twins']),
  ]);
  const originals = jsonResults(original.stdout);
  const results = jsonResults(mutated.stdout);
  let checked = 0;
  for (const [file, header] of headers) {
    t.truthy(header, `${file} has a twin-of / expect-fail header`);
    const script = originals.get(resolve(dirname(file), header!.twinOf));
    const twin = results.get(file);
    t.truthy(script && twin, `${file} and its script both ran`);
    if (script!.outcome !== 'pass') {
      // Skipped or a known gap of the bundled stack: the twin must not pass either.
      t.not(twin!.outcome, 'pass', `${file} passes although its script does not (${script!.outcome})`);
      continue;
    }
    const where = `${relative(ROOT, file)}:${header!.line}:`;
    const text = `${twin!.reason ?? ''}\n${twin!.failure?.detail ?? ''}`;
    t.is(twin!.status, 'fail', `${where} ${text}`);
    t.true(text.includes(where) && text.includes(header!.message), `${where} expected "${header!.message}", got:\n${text}`);
    checked++;
  }
  t.log(`${checked} twins fail as their headers say; ${headers.size - checked} belong to scripts the bundled stack skips or lists as known failures`);
  t.true(checked >= 40);
});
