// The guard of the RFC 8684 conformance map (issue 20): the clause index is whole (every clause has
// scripts, an "untestable" reason or a counted todo; no duplicate id; every named script exists),
// every MPTCP corpus script is mapped, the conformance scripts are in the kernel manifest with a
// twin, every expected failure names its clause, and the committed docs/conformance.md,
// docs/conformance.json and docs/linux-deviations.md are not stale: the JSON matches the index,
// the Markdown is what the JSON renders to, and the bundled stack's verdicts, run in-process here,
// are the committed ones. Usage errors of the command are one sentence and exit 2.

import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bothSidesTested, indexScripts, loadIndex, parseIndex, scriptPath } from '../src/conformance/index-file.js';
import { conformanceMarkdown, linuxDeviationsMarkdown } from '../src/conformance/markdown.js';
import type { ConformanceReport } from '../src/conformance/report.js';
import { CONFORMANCE_XFAIL, runScripts, type ScriptResult } from '../src/conformance/run.js';
import { roleVerdicts, verdictOf } from '../src/conformance/verdict.js';
import { loadXfail } from '../src/suite/xfail.js';
import { globMatches, globToRegExp } from '../src/suite/glob.js';
import { hasStackTrace, runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/paths.js';

const index = loadIndex(repoRoot);
const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
// Testable clauses still without a script: may only go down (raise it only with a reason).
const TODO_CEILING = 0;
// Clauses binding both sides that are tested from one side only: may only go down.
const ONE_SIDED_CEILING = 1;

function listPkt(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listPkt(p) : e.name.endsWith('.pkt') ? [relative(repoRoot, p)] : [];
  }).sort();
}

const HEADER = 'id\tsection\tkeyword\trole\tquote\ttests';

test('the parser reports a clause without coverage, a duplicated id, a missing script and a bad id', (t) => {
  const text = [HEADER,
    '8684-3.1-m01\t3.1\tMUST\tboth\tq\tmptcp/capable/server-v1.pkt',
    '8684-3.1-m01\t3.1\tMUST\tboth\tq\tuntestable: why',
    '8684-3.1-m02\t3.1\tMUST\tboth\tq\t',
    '8684-3.1-m03\t3.1\tMUST\tboth\tq\tmptcp/nowhere.pkt',
    '8684-3.2-m04\t3.1\tMUST\tboth\tq\tuntestable: why',
    '8684-3.1-s05\t3.1\tMUST\tboth\tq\tuntestable: why',
    '8684-3.1-m06\t3.1\tMUST\tboth\tq\tuntestable:'].join('\n');
  const parsed = parseIndex(text, 'x.tsv', repoRoot);
  t.deepEqual(parsed.errors, [
    'x.tsv:3: id 8684-3.1-m01 is already used on line 2',
    'x.tsv:4: 8684-3.1-m02 has neither a script nor an "untestable: WHY" reason',
    'x.tsv:5: 8684-3.1-m03 names test/scripts/mptcp/nowhere.pkt, which does not exist',
    "x.tsv:6: id '8684-3.2-m04' does not name its section 3.1",
    "x.tsv:7: id '8684-3.1-s05' does not match keyword MUST (letter m)",
    'x.tsv:8: 8684-3.1-m06 has neither a script nor an "untestable: WHY" reason',
  ]);
  // The duplicate and the clause naming a missing script are still read (their errors are listed).
  t.is(parsed.clauses.length, 3);
});

test('role tags: ROLE:path, a known role, fitting the role the clause binds; a both clause is two-sided with two opposite tags', (t) => {
  const text = [HEADER,
    '8684-3.1-m01\t3.1\tMUST\tboth\tq\tserver:mptcp/capable/server-v1.pkt client:mptcp/capable/client-v1.pkt',
    '8684-3.1-m02\t3.1\tMUST\tboth\tq\tserver:mptcp/capable/server-v1.pkt mptcp/capable/client-v1.pkt',
    '8684-3.1-m03\t3.1\tMUST\tresponder\tq\tclient:mptcp/capable/client-v1.pkt',
    '8684-3.1-m04\t3.1\tMUST\tinitiator\tq\tpeer:mptcp/capable/client-v1.pkt',
    '8684-3.1-m05\t3.1\tMUST\tinitiator\tq\tclient:mptcp/capable/client-v1.pkt mptcp/capable/client-v1.pkt',
    '8684-3.1-m06\t3.1\tMUST\treceiver\tq\tserver:mptcp/capable/server-v1.pkt'].join('\n');
  const parsed = parseIndex(text, 'x.tsv', repoRoot);
  t.deepEqual(parsed.errors, [
    'x.tsv:4: 8684-3.1-m03: the clause binds the responder, but test/scripts/mptcp/capable/client-v1.pkt is tagged client',
    "x.tsv:5: 8684-3.1-m04: role tag 'peer' of mptcp/capable/client-v1.pkt is none of client, server, initiator, responder, sender, receiver",
    'x.tsv:6: 8684-3.1-m05: test/scripts/mptcp/capable/client-v1.pkt is listed twice',
  ]);
  const [two, one, recv] = parsed.clauses;
  t.true(bothSidesTested(two!));
  t.false(bothSidesTested(one!));
  t.deepEqual(recv!.coverage, { kind: 'scripts', scripts: ['test/scripts/mptcp/capable/server-v1.pkt'], roles: { 'test/scripts/mptcp/capable/server-v1.pkt': 'server' } });
  const [a, b] = ['test/scripts/mptcp/capable/server-v1.pkt', 'test/scripts/mptcp/capable/client-v1.pkt'];
  const results = new Map<string, ScriptResult>([[a, { file: a, outcome: 'pass' }], [b, { file: b, outcome: 'fail', headline: `${b}:3:1: x` }]]);
  t.deepEqual(roleVerdicts(two!, results), { server: 'conforms', client: 'fails' });
  t.deepEqual(roleVerdicts(one!, results), { server: 'conforms' }, 'an untagged script has no role verdict');
});

test('verdicts: conforms, deviates with script:line and the observed packet, known failure, fails, not run', (t) => {
  const clause = parseIndex([HEADER, '8684-3.1-m01\t3.1\tMUST\tboth\tq\tmptcp/capable/server-v1.pkt mptcp/capable/client-v1.pkt'].join('\n'), 'x.tsv', repoRoot).clauses[0]!;
  const [a, b] = ['test/scripts/mptcp/capable/server-v1.pkt', 'test/scripts/mptcp/capable/client-v1.pkt'];
  const detail = 'x\n  expected: > 1.2.3.4:80 > 5.6.7.8:9 S. 0:0(0)\n  actual:   1.2.3.4:80 > 5.6.7.8:9 S. 7:7(0) ack 1 <mss 1460>\n';
  const failed = { outcome: 'xfail' as const, reason: '8684-3.1-m01: why', headline: `${b}:11:7: error handling packet: field`, detail };
  const run = (ra: object, rb: object): ReturnType<typeof verdictOf> => verdictOf(clause, new Map([[a, { file: a, ...ra }], [b, { file: b, ...rb }]] as Array<[string, ScriptResult]>));
  t.is(run({ outcome: 'pass' }, { outcome: 'pass' }).verdict, 'conforms');
  const dev = run({ outcome: 'pass' }, failed);
  t.is(dev.verdict, 'deviates');
  t.deepEqual(dev.evidence, [{ script: b, at: `${b}:11`, message: 'error handling packet: field', observed: '1.2.3.4:80 > 5.6.7.8:9 S. 7:7(0) ack 1 <mss 1460>', reason: '8684-3.1-m01: why' }]);
  t.is(run({ outcome: 'pass' }, { ...failed, reason: 'the bundled stack differs' }).verdict, 'known failure');
  t.is(run({ outcome: 'fail', headline: `${a}:3:1: timing error` }, failed).verdict, 'fails');
  t.is(run({ outcome: 'skip', reason: 'needs root' }, { outcome: 'pass' }).verdict, 'not run');
  t.deepEqual(run({ outcome: 'xpass', reason: '8684-3.1-m01: gone' }, { outcome: 'pass' }), { verdict: 'conforms', evidence: [], fixed: [a] });
  t.is(verdictOf(clause, new Map()).verdict, 'not run');
});

test('the clause index parses clean: no duplicate id, every clause covered, every script present', (t) => {
  t.deepEqual(index.errors, []);
  t.true(index.clauses.length >= 140, `${index.clauses.length} clauses`);
  const todo = index.clauses.filter((c) => c.coverage.kind === 'todo');
  t.true(todo.length <= TODO_CEILING, `todo clauses: ${todo.map((c) => c.id).join(', ')}`);
});

test('every script of the index has a role tag (the parser checks it fits the clause); one-sided both clauses are capped', (t) => {
  for (const c of index.clauses) {
    if (c.coverage.kind !== 'scripts') continue;
    const cov = c.coverage;
    t.deepEqual(cov.scripts.filter((s) => cov.roles[s] === undefined), [], `${c.id}: untagged scripts`);
  }
  const both = index.clauses.filter((c) => c.role === 'both' && c.coverage.kind === 'scripts');
  const oneSided = both.filter((c) => !bothSidesTested(c)).map((c) => c.id);
  t.true(oneSided.length <= ONE_SIDED_CEILING, `tested from one side only: ${oneSided.join(', ')}`);
});

test('every MPTCP corpus script is named by the index or listed as testing no RFC 8684 clause', (t) => {
  const named = new Set(indexScripts(index.clauses));
  const notRfc = read('test/conformance/not-rfc8684.tsv').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t'));
  // A path names one script, which must exist; a glob (a folder of scripts still growing, e.g.
  // the path-manager commands of issue 19) covers whatever it matches that the index does not name.
  for (const [path, reason] of notRfc) {
    t.truthy(reason, `${path}: no reason`);
    if (path!.includes('*')) continue;
    t.true(existsSync(join(repoRoot, scriptPath(path!))), `${path} does not exist`);
    t.false(named.has(scriptPath(path!)), `${path} is both in the index and in not-rfc8684.tsv`);
  }
  const listed = notRfc.map(([p]) => globToRegExp(scriptPath(p!)));
  const unmapped = listPkt(join(repoRoot, 'test/scripts/mptcp')).filter((f) => !named.has(f) && !listed.some((g) => globMatches(g, f)));
  t.deepEqual(unmapped, []);
});

test('each conformance script is in the kernel manifest and has a twin', (t) => {
  const manifest = new Set(read('test/kernel-corpus.txt').split('\n').map((l) => l.replace(/#.*/, '').trim()));
  const scripts = listPkt(join(repoRoot, 'test/scripts/mptcp/conformance'));
  t.true(scripts.length > 0);
  for (const s of scripts) {
    t.true(manifest.has(s), `${s} is not in test/kernel-corpus.txt`);
    t.true(existsSync(join(repoRoot, s.replace('test/scripts/', 'test/twins/'))), `${s} has no twin in test/twins/`);
  }
});

test('every expected failure names index scripts; a deviation starts with the id of a clause listing its one script', (t) => {
  const xfail = loadXfail(join(repoRoot, CONFORMANCE_XFAIL), false);
  t.deepEqual(xfail.errors, []);
  t.true(xfail.entries.length > 0);
  const scripts = indexScripts(index.clauses);
  for (const e of xfail.entries) {
    const matched = scripts.filter((s) => globMatches(e.glob, s));
    t.true(matched.length > 0, `${e.source}: ${e.pattern} matches no index script`);
    const id = /^((?:8684|6824)-\S+):/.exec(e.reason)?.[1];
    // Without a clause id the entry is a known failure of a target (e.g. v0 on Linux), no finding.
    if (id === undefined) continue;
    t.is(matched.length, 1, `${e.source}: a deviation entry matches ${matched.length} index scripts`);
    const clause = index.clauses.find((c) => c.id === id);
    t.truthy(clause, `${e.source}: ${id} is no clause of the index`);
    if (clause?.coverage.kind === 'scripts') t.true(clause.coverage.scripts.includes(matched[0]!), `${e.source}: ${id} does not list ${matched[0]}`);
  }
});

const committed = JSON.parse(read('docs/conformance.json')) as ConformanceReport;

test('the committed docs/conformance.json matches the clause index', (t) => {
  const fromIndex = index.clauses.map((c) => ({ id: c.id, section: c.section, keyword: c.keyword, role: c.role, quote: c.quote, coverage: c.coverage }));
  const fromJson = committed.clauses.map((c) => ({
    id: c.id, section: c.section, keyword: c.keyword, role: c.role, quote: c.quote,
    coverage: c.untestable !== undefined ? { kind: 'untestable', reason: c.untestable } : c.todo !== undefined ? { kind: 'todo', what: c.todo } : { kind: 'scripts', scripts: c.scripts, roles: c.roles },
  }));
  t.deepEqual(fromJson, fromIndex, 'run `mptcpdrill conformance --target ts,kernel --write-docs` as root');
  t.deepEqual(committed.targets, ['ts', 'kernel']);
});

test('the committed Markdown is what the committed JSON renders to', (t) => {
  t.is(read('docs/conformance.md'), conformanceMarkdown(committed));
  t.is(read('docs/linux-deviations.md'), linuxDeviationsMarkdown(committed));
});

test('the bundled stack gives the committed verdicts, run in-process now', async (t) => {
  t.timeout(10 * 60_000);
  const { results } = await runScripts(indexScripts(index.clauses), 'ts', { jobs: 2, seed: 1, err: (text) => t.log(text) });
  const now = index.clauses.map((c) => `${c.id} ${verdictOf(c, results).verdict} ${JSON.stringify(roleVerdicts(c, results))}`);
  const then = committed.clauses.map((c) => `${c.id} ${c.verdicts.ts?.verdict ?? 'missing'} ${JSON.stringify(c.roleVerdicts?.ts ?? {})}`);
  t.deepEqual(now, then);
});

test('usage errors are one sentence and exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['conformance', '--target', 'bsd'], /^mptcpdrill conformance: --target takes ts, kernel or ts,kernel; not 'bsd'\.$/m],
    [['conformance', '--frob'], /^mptcpdrill conformance: unknown option --frob\.$/m],
    [['conformance', '--write-docs'], /^mptcpdrill conformance: --write-docs needs --target ts,kernel/m],
    [['conformance', 'test/scripts'], /^mptcpdrill conformance: unexpected argument test\/scripts/m],
    [['conformance', '-j', '0'], /^mptcpdrill conformance: -j needs a whole number of at least 1, not '0'\.$/m],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.false(hasStackTrace(r.stderr));
  }
});
