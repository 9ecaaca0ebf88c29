// The corpus against the live kernel: every script listed in test/kernel-corpus.txt must pass
// on Linux, run through the suite runner in KTAP form as CI systems run it, and every mutated twin
// in test/twins/ (one expected field changed) must fail on the line and with the message its
// header names. Needs root (CI runs as root); without it every test fails loudly rather than
// skipping.
//
// The manifest runs once, in differential mode (`mptcpdrill run --target ts,kernel -j 2 --format
// ktap …`): each script on the kernel and on the bundled stack with the same seed, their traces
// compared (src/differential/). So one run checks both that the kernel passes and that the
// bundled stack agrees with it, and CI pays for the kernel corpus once (the bundled stack's runs
// are virtual-time, in the suite's own process, beside the kernel children). A script the bundled
// stack is known to fail (test/scripts/xfail.txt, target ts) only has to pass on the kernel.

import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findXfail, kernelVersion, loadXfail } from '../src/suite/xfail.js';
import { globMatches, globToRegExp } from '../src/suite/glob.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/mptcpdrill.js');
const MANIFEST = join(ROOT, 'test/kernel-corpus.txt');
const TWINS = join(ROOT, 'test/twins');
// Each run re-executes itself in its own namespace; two at a time keep a 2-core CI machine usable.
const PARALLEL = 2;
const RUN_TIMEOUT_MS = 120_000;
// A run that failed only on timing (a loaded machine woke the runner late) is run again, at the
// corpus's own tolerance; a script failing the same way every time still fails.
const ATTEMPTS = 3;
// Tests queue for the two slots; waiting is not a hang.
const WAIT_FOR_SLOT_MS = 60 * 60_000;
const TIMING_ONLY = /: (timing error: |runtime error in \w+ call: the call blocked, but the line expects it to return at once)/;
// The stacks disagree on timing alone (the kernel answered late on a loaded machine), or on a
// packet after the last line (a timer firing within the grace period or just after it).
const TIMING_DISAGREEMENT = / disagree: (the .+ differs in timing|.*after the last line.*)$/m;
// The kernel's verdict in a differential report (`verdicts: ts pass; kernel fail (…)`).
const KERNEL_VERDICT = /verdicts(?: differ)?: .*; kernel (pass|fail|error|skip)\b/;
const XFAIL = join(ROOT, 'test/scripts/xfail.txt');
const KNOWN_DISAGREEMENTS = join(ROOT, 'test/differential/known-disagreements.txt');
// `FILE:LINE: ts and kernel disagree: … differs in F1, F2` (both passed, fields differ).
const FIELD_DISAGREEMENT = / disagree: the .+ differs in ([\w#,\s-]+)$/m;

interface KnownDisagreement { glob: RegExp; fields: string[] }

/** Entries of test/differential/known-disagreements.txt: a path glob and the fields it may differ in. */
function readKnownDisagreements(text: string): KnownDisagreement[] {
  const known: KnownDisagreement[] = [];
  for (const line of text.split('\n')) {
    const [glob, fields] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (glob && fields) known.push({ glob: globToRegExp(glob), fields: fields.split(',') });
  }
  return known;
}

/** Fields `file` may disagree in, from every entry matching it (undefined: none). */
function allowedFields(file: string): string[] | undefined {
  const fields = knownDisagreements.filter((k) => globMatches(k.glob, file)).flatMap((k) => k.fields);
  return fields.length > 0 ? fields : undefined;
}

function timingOnly(output: string): boolean {
  return TIMING_ONLY.test(output) || TIMING_DISAGREEMENT.test(output);
}

interface CliRun { code: number | null; output: string }

/** Paths of the manifest, relative to the repository root; `#` starts a comment. */
function readManifest(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.length > 0);
}

interface TwinHeader { twinOf: string; line: number; message: string }

/** The `// twin-of:` and `// expect-fail: LINE: message` header of a twin. */
function readTwinHeader(text: string): TwinHeader | undefined {
  const of = /^\/\/ twin-of: (\S+)$/m.exec(text);
  const fail = /^\/\/ expect-fail: (\d+): (.+)$/m.exec(text);
  if (!of || !fail) return undefined;
  return { twinOf: of[1]!, line: Number(fail[1]), message: fail[2]!.trim() };
}

function listTwins(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return listTwins(p);
    return e.name.endsWith('.pkt') ? [p] : [];
  }).sort();
}

// A tiny pool: at most PARALLEL children at once across all tests of this file.
let running = 0;
const waiting: Array<() => void> = [];
async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function runOnce(t: ExecutionContext, file: string, target: string, extra: string[]): Promise<CliRun> {
  return withSlot(() => new Promise((resolve) => {
    // The test's own clock starts when its child does, not while it waits for a slot.
    t.timeout(RUN_TIMEOUT_MS + 30_000);
    const child = spawn(process.execPath, [BIN, 'run', '--target', target, ...extra, file], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  }));
}

/** Runs until `done` accepts the run or the failure is not a timing one; returns the last run. */
async function runKernel(t: ExecutionContext, file: string, done: (r: CliRun) => boolean, target = 'kernel', extra: string[] = []): Promise<CliRun> {
  if (process.getuid?.() !== 0) t.fail('the kernel corpus needs root (CI runs it as root)');
  let r: CliRun = { code: null, output: '' };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    t.timeout(WAIT_FOR_SLOT_MS);
    r = await runOnce(t, file, target, extra);
    if (done(r) || !timingOnly(r.output)) return r;
    t.log(`attempt ${attempt} failed on timing only: ${r.output.split('\n')[0]}`);
  }
  return r;
}

const manifest = readManifest(readFileSync(MANIFEST, 'utf8'));

test('the manifest lists at least 40 corpus scripts, each of them existing', (t) => {
  t.true(manifest.length >= 40, `${manifest.length} scripts`);
  for (const file of manifest) t.notThrows(() => readFileSync(join(ROOT, file)), file);
});

interface KtapResult { ok: boolean; directive?: string; diagnostics: string[] }

/** `ok N name` / `not ok N name` lines of a KTAP report, each with the `#` lines before it. */
function parseKtap(text: string): { plan: number; results: Map<string, KtapResult> } {
  const results = new Map<string, KtapResult>();
  let diagnostics: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(not ok|ok) \d+ (\S+)(?: # (\w+))?/.exec(line);
    if (m) {
      results.set(m[2]!, { ok: m[1] === 'ok', ...(m[3] ? { directive: m[3] } : {}), diagnostics });
      diagnostics = [];
    } else if (line.startsWith('# ')) diagnostics.push(line.slice(2));
  }
  return { plan: Number(/^1\.\.(\d+)$/m.exec(text)?.[1] ?? NaN), results };
}

/** The whole manifest in one suite run, shared by the per-script tests below. */
let suiteRun: Promise<{ code: number | null; stdout: string }> | undefined;
function runManifestSuite(): Promise<{ code: number | null; stdout: string }> {
  suiteRun ??= new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', '--target', 'ts,kernel', '-j', String(PARALLEL), '--format', 'ktap', ...manifest], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout }));
  });
  return suiteRun;
}

test('the manifest runs through the suite runner in KTAP form, one result per script', async (t) => {
  if (process.getuid?.() !== 0) t.fail('the kernel corpus needs root (CI runs it as root)');
  t.timeout(WAIT_FOR_SLOT_MS);
  const { stdout } = await runManifestSuite();
  t.regex(stdout, /^TAP version 13$/m);
  const ktap = parseKtap(stdout);
  t.is(ktap.plan, manifest.length);
  t.is(ktap.results.size, manifest.length);
  t.regex(stdout, /^# Totals: pass:\d+ fail:\d+ xfail:\d+ xpass:\d+ skip:\d+ error:\d+$/m);
});

const tsXfails = loadXfail(XFAIL, true).entries;
const knownDisagreements = readKnownDisagreements(readFileSync(KNOWN_DISAGREEMENTS, 'utf8'));

test('every known disagreement matches a manifest script', (t) => {
  const stale = knownDisagreements.filter((k) => !manifest.some((file) => globMatches(k.glob, file)));
  t.deepEqual(stale.map((k) => String(k.glob)), [], 'entries matching no manifest script');
});

for (const file of manifest) {
  test(`passes on the kernel, and the bundled stack agrees: ${file}`, async (t) => {
    if (process.getuid?.() !== 0) t.fail('the kernel corpus needs root (CI runs it as root)');
    t.timeout(WAIT_FOR_SLOT_MS);
    const result = parseKtap((await runManifestSuite()).stdout).results.get(file);
    t.truthy(result, `${file} has no KTAP result`);
    const allowed = allowedFields(file);
    if (result!.ok && !result!.directive) return t.pass();
    let why = result!.diagnostics.join('\n');
    if (timingOnly(why)) {
      // Failed or disagreed only on timing in the busy suite run: run it again on its own.
      t.log(`suite run: timing only: ${why.split('\n').find((l) => timingOnly(l)) ?? ''}`);
      const r = await runKernel(t, file, (run) => run.code === 0, 'ts,kernel');
      if (r.code === 0) return t.pass();
      why = r.output;
    }
    const fields = FIELD_DISAGREEMENT.exec(why)?.[1]?.split(', ').map((f) => f.trim().replace(/#\d+$/, ''));
    if (allowed && fields && why.includes('verdicts: ts pass; kernel pass') && fields.every((f) => allowed.includes(f))) {
      // A known disagreement: the rest of the trace must still agree, so run it again without it.
      t.log(`known disagreement (${fields.join(', ')}): ${why.split('\n').find((l) => l.includes(' disagree: ')) ?? ''}`);
      const r = await runKernel(t, file, (run) => run.code === 0, 'ts,kernel', ['--diff-ignore', allowed.join(',')]);
      t.is(r.code, 0, r.output);
      return;
    }
    const known = findXfail(tsXfails, { file, target: 'ts', kernel: kernelVersion() });
    if (known) {
      // The bundled stack is known to fail this one: the kernel must still pass.
      t.is(KERNEL_VERDICT.exec(why)?.[1], 'pass', `${file}: ${why}`);
      t.log(`known bundled-stack failure (${known.reason}): ${why.split('\n')[0]}`);
      return;
    }
    t.fail(`${file}: ${why}\n(a disagreement to fix later goes in test/differential/known-disagreements.txt)`);
  });
}

for (const path of listTwins(TWINS)) {
  const file = relative(ROOT, path);
  const header = readTwinHeader(readFileSync(path, 'utf8'));
  test(`fails as its header says: ${file}`, async (t) => {
    if (!header) {
      t.fail('missing "// twin-of:" or "// expect-fail: LINE: message" header');
      return;
    }
    t.true(manifest.includes(relative(ROOT, join(path, '..', header.twinOf))), `${header.twinOf} is not in the manifest`);
    t.timeout(WAIT_FOR_SLOT_MS);
    await runManifestSuite(); // the suite run uses both slots; twins run after it
    const where = `${file}:${header.line}:`;
    const r = await runKernel(t, file, (run) => run.code === 1 && run.output.includes(where) && run.output.includes(header.message));
    t.is(r.code, 1, r.output);
    t.true(r.output.includes(where), `no failure at ${where}\n${r.output}`);
    t.true(r.output.includes(header.message), `no "${header.message}"\n${r.output}`);
  });
}
