// The suite runner end to end on the bundled stack (in-process, virtual time): every output
// format parsed back, xfail/xpass, filters, shards, repeats, IP variants and exit statuses.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runSuiteCommand } from '../src/suite/cli.js';

const SCRIPTS: Record<string, string> = {
  'pass.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n',
  'sub/fail.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 5\n',
  'sub/mptcp.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n+0 listen(3, 1) = 0\n',
  // A setting the bundled stack does not emulate: the run is a skip, with the reason.
  'skip.pkt': '0 `sysctl -q net.ipv4.udp_early_demux=0`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n',
};

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function suite(scripts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'suite-ts-'));
  made.push(dir);
  for (const [name, text] of Object.entries(scripts)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runSuiteCommand(['--target', 'ts', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; }, tty: false, color: false });
  return { code, out, err };
}

interface KtapLine { ok: boolean; n: number; name: string; directive?: string; reason?: string }

function parseKtap(text: string): { plan: number; results: KtapLine[]; totals: Record<string, number>; diagnostics: string[] } {
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] !== 'TAP version 13') throw new Error(`no KTAP header: ${lines[0]}`);
  const plan = Number(/^1\.\.(\d+)$/.exec(lines[1]!)![1]);
  const results: KtapLine[] = [];
  const diagnostics: string[] = [];
  let totals: Record<string, number> = {};
  for (const l of lines.slice(2)) {
    const m = /^(not ok|ok) (\d+) (.*?)(?: # (SKIP|XFAIL|XPASS|error) ?(.*))?$/.exec(l);
    if (m) results.push({ ok: m[1] === 'ok', n: Number(m[2]), name: m[3]!, ...(m[4] ? { directive: m[4], reason: m[5] } : {}) });
    else if (l.startsWith('# Totals: ')) totals = Object.fromEntries(l.slice(10).split(' ').map((kv) => { const [k, v] = kv.split(':'); return [k!, Number(v)]; }));
    else if (l.startsWith('#')) diagnostics.push(l);
    else if (!l.startsWith('Bail out!')) throw new Error(`not a KTAP line: ${l}`);
  }
  return { plan, results, totals, diagnostics };
}

test('KTAP: plan, numbered results in path order, SKIP, diagnostics before failures, totals', async (t) => {
  const dir = suite(SCRIPTS);
  const { code, out } = await run(['--format', 'ktap', '-j', '2', dir]);
  const k = parseKtap(out);
  t.is(k.plan, 4);
  t.deepEqual(k.results.map((r) => r.n), [1, 2, 3, 4]);
  t.deepEqual(k.results.map((r) => r.name.slice(dir.length + 1)), ['pass.pkt', 'skip.pkt', 'sub/fail.pkt', 'sub/mptcp.pkt']);
  t.deepEqual(k.results.map((r) => r.ok), [true, true, false, true]);
  t.is(k.results[1]!.directive, 'SKIP');
  t.regex(k.results[1]!.reason!, /net\.ipv4\.udp_early_demux=0: the TypeScript stack does not model/);
  t.true(k.diagnostics.some((d) => /fail\.pkt:2:\d+: runtime error in close call/.test(d)));
  t.deepEqual(k.totals, { pass: 2, fail: 1, xfail: 0, xpass: 0, skip: 1, error: 0 });
  t.is(code, 1);
  rmSync(dir, { recursive: true });
});

test('exit status: 0 all pass, 4 all skipped, 2 script error, 2 usage error', async (t) => {
  const dir = suite({ ...SCRIPTS, 'bad/broken.pkt': '0 socket(..., SOCK_STREAM = 3\n' });
  t.is((await run(['--format', 'ktap', join(dir, 'pass.pkt'), join(dir, 'sub/mptcp.pkt')])).code, 0);
  t.is((await run(['--format', 'ktap', join(dir, 'skip.pkt')])).code, 4);
  const bad = await run(['--format', 'ktap', join(dir, 'bad'), join(dir, 'pass.pkt')]);
  t.is(bad.code, 2);
  t.is(parseKtap(bad.out).results[0]!.directive, 'error');
  const usage = await run([join(dir, 'nope')]);
  t.is(usage.code, 2);
  t.regex(usage.err, /no such file or folder: .*nope/);
  t.is((await run(['--shard', '3/2', dir])).code, 2);
  t.is((await run(['--format', 'yaml', dir])).code, 2);
  rmSync(dir, { recursive: true });
});

test('expected failures: XFAIL passes the run, XPASS is reported, strict XPASS fails it', async (t) => {
  const dir = suite(SCRIPTS);
  writeFileSync(join(dir, 'xfail.txt'), 'sub/fail.pkt  ts  close returns 0\n');
  const r1 = await run(['--format', 'ktap', dir]);
  const k1 = parseKtap(r1.out);
  t.like(k1.results[2], { ok: true, directive: 'XFAIL', reason: 'close returns 0' });
  t.is(r1.code, 0, 'xfail counts as a pass (default xfail.txt of the folder)');

  const list = join(dir, 'more.txt');
  writeFileSync(list, 'pass.pkt * passes now\n');
  const r2 = await run(['--format', 'ktap', '--xfail', list, dir]);
  t.like(parseKtap(r2.out).results[0], { ok: true, directive: 'XPASS', reason: 'passes now' });
  t.is(r2.code, 0);
  writeFileSync(list, 'pass.pkt * strict passes now\n');
  const r3 = await run(['--format', 'ktap', '--xfail', list, dir]);
  t.like(parseKtap(r3.out).results[0], { ok: false, directive: 'XPASS' });
  t.is(r3.code, 1);
  writeFileSync(list, 'pass.pkt kernel passes now\n');
  t.is(parseKtap((await run(['--format', 'ktap', '--xfail', list, dir])).out).results[0]!.directive, undefined, 'kernel-only entry');
  rmSync(dir, { recursive: true });
});

test('--filter and --shard select by path; the shards of a suite together are the suite', async (t) => {
  const dir = suite(SCRIPTS);
  const names = async (args: string[]): Promise<string[]> => parseKtap((await run(['--format', 'ktap', ...args, dir])).out).results.map((r) => r.name.slice(dir.length + 1));
  t.deepEqual(await names(['--filter', 'sub/']), ['sub/fail.pkt', 'sub/mptcp.pkt']);
  t.deepEqual(await names(['--filter', '*s?ip.pkt']), ['skip.pkt']);
  const shards = [await names(['--shard', '1/3']), await names(['--shard', '2/3']), await names(['--shard', '3/3'])];
  t.deepEqual(shards.flat().sort(), await names([]));
  t.deepEqual(shards.map((s) => s.length), [2, 1, 1]);
  rmSync(dir, { recursive: true });
});

test('JSON lines: plan, a result per script with timing and failure detail, summary', async (t) => {
  const dir = suite(SCRIPTS);
  const { out, code } = await run(['--format', 'json', '--seed', '7', dir]);
  const objs = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(objs[0]!['type'], 'plan');
  t.is(objs.at(-1)!['type'], 'summary');
  const results = objs.filter((o) => o['type'] === 'result');
  t.is(results.length, 4);
  const fail = results.find((o) => (o['file'] as string).endsWith('fail.pkt'))!;
  t.is(fail['outcome'], 'fail');
  t.deepEqual(fail['seeds'], [7]);
  t.is(typeof fail['wallMs'], 'number');
  t.regex((fail['failure'] as { detail: string }).detail, /close\(3\) = 5/);
  t.is(results.find((o) => (o['file'] as string).endsWith('/pass.pkt'))!['mode'], 'ipv4', 'the mode the script ran in');
  t.like(objs.at(-1), { exitCode: code, ran: 4, planned: 4, totals: { pass: 2, fail: 1, xfail: 0, xpass: 0, skip: 1, error: 0 } });
  rmSync(dir, { recursive: true });
});

test('TAP 13 and JUnit (--junit alongside): directives, YAML blocks, element counts', async (t) => {
  const dir = suite(SCRIPTS);
  writeFileSync(join(dir, 'xfail.txt'), 'sub/fail.pkt known\n');
  const junit = join(dir, 'out.xml');
  const { out } = await run(['--format', 'tap', '--junit', junit, dir]);
  const lines = out.split('\n');
  t.is(lines[0], 'TAP version 13');
  t.is(lines[1], '1..4');
  t.true(lines.includes(`not ok 3 - ${dir}/sub/fail.pkt # TODO XFAIL known`));
  t.true(lines.some((l) => l.startsWith(`ok 2 - ${dir}/skip.pkt # SKIP`)));
  const xml = readFileSync(junit, 'utf8');
  t.true(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites'));
  // Well-formed enough for CI readers: every open tag closed, in order.
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-z-]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') t.is(stack.pop(), m[2]);
    else stack.push(m[2]!);
  }
  t.deepEqual(stack, []);
  t.is([...xml.matchAll(/<testcase /g)].length, 4);
  t.is([...xml.matchAll(/<skipped /g)].length, 1);
  t.is([...xml.matchAll(/<failure /g)].length, 0, 'an XFAIL is not a JUnit failure');
  t.regex(xml, /<testsuite name="mptcpdrill ts" tests="4" failures="0" errors="0" skipped="1" time="[\d.]+"/);
  t.regex(xml, /<system-out>XFAIL: known<\/system-out>/);
  rmSync(dir, { recursive: true });
});

test('--repeat N reports each script\'s pass count; --bail stops after the first failure', async (t) => {
  const dir = suite(SCRIPTS);
  const { out } = await run(['--format', 'json', '--repeat', '3', dir]);
  const results = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o['type'] === 'result');
  t.true(results.every((r) => r['runs'] === 3));
  t.is(results.find((r) => (r['file'] as string).endsWith('/pass.pkt'))!['passes'], 3);
  t.is(results.find((r) => (r['file'] as string).endsWith('fail.pkt'))!['passes'], 0);
  const bail = parseKtap((await run(['--format', 'ktap', '-j', '1', '--bail', dir])).out);
  t.is(bail.results.length, 4, 'the plan stays whole');
  t.like(bail.results[3], { directive: 'SKIP' });
  t.regex(bail.results[3]!.reason!, /--bail/);
});

test('--ip all: variants per file name, suite flags by content, the mode in each name', async (t) => {
  const dir = suite({
    // Each passes only if it got its suite's addresses for the variant (OPT_LOCAL_IP from the flags).
    'tcp.pkt': '`case "$OPT_IP_VERSION:$OPT_LOCAL_IP" in ipv4*:192.168.0.1|ipv6:fd3d:a0b:17d6::1|ipv6:fd3d:0a0b:17d6::1) ;; *) echo "$OPT_IP_VERSION $OPT_LOCAL_IP"; exit 1;; esac`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n',
    'mp.pkt': '`case "$OPT_IP_VERSION:$OPT_LOCAL_IP" in ipv4*:192.168.0.2|ipv6:fd3d:fa7b:d17d::|ipv6:fd3d:fa7b:d17d::0) ;; *) echo "$OPT_IP_VERSION $OPT_LOCAL_IP"; exit 1;; esac`\n0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n',
    'only-v4.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n',
    'only-v6.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n',
  });
  const { out, code } = await run(['--format', 'ktap', '--ip', 'all', dir]);
  const k = parseKtap(out);
  t.deepEqual(k.results.map((r) => r.name.slice(dir.length + 1)), [
    'mp.pkt [ipv4]', 'mp.pkt [ipv4-mapped-ipv6]', 'mp.pkt [ipv6]',
    'only-v4.pkt [ipv4]', 'only-v4.pkt [ipv4-mapped-ipv6]',
    'only-v6.pkt [ipv6]',
    'tcp.pkt [ipv4]', 'tcp.pkt [ipv4-mapped-ipv6]', 'tcp.pkt [ipv6]',
  ]);
  t.deepEqual(k.results.filter((r) => !r.ok).map((r) => r.name), [], k.diagnostics.join('\n'));
  t.is(code, 0);
  const forced = parseKtap((await run(['--format', 'ktap', '--ip', '4', '--suite', 'tcp', join(dir, 'mp.pkt')])).out);
  t.false(forced.results[0]!.ok, '--suite tcp gives the MPTCP script the TCP suite addresses');
  rmSync(dir, { recursive: true });
});

test('--pcap-dir: one capture per script and mode', async (t) => {
  const dir = suite({ 'a.pkt': SCRIPTS['pass.pkt']! });
  const pcaps = join(dir, 'caps');
  await run(['--format', 'ktap', '--ip', 'both', '--pcap-dir', pcaps, dir]);
  const { readdirSync } = await import('node:fs');
  const made = readdirSync(pcaps).sort();
  t.is(made.length, 2);
  t.true(made[0]!.endsWith('a.ipv4.pcap'));
  t.true(made[1]!.endsWith('a.ipv6.pcap'));
  t.is(readFileSync(join(pcaps, made[0]!)).readUInt32LE(0), 0xa1b2c3d4, 'a pcap file header');
  rmSync(dir, { recursive: true });
});

test('pretty without a terminal: plain text, a line per script, failures in full, the summary line', async (t) => {
  const dir = suite(SCRIPTS);
  const { out } = await run(['--format', 'pretty', dir]);
  t.false(out.includes('\x1b'), 'no escape codes');
  t.regex(out, new RegExp(`^FAIL  ${dir}/sub/fail\\.pkt \\(\\d+ ms\\): .*close call`, 'm'));
  t.regex(out, /^1 not passed:$/m);
  t.regex(out, /^ {2}\+0 close\(3\) = 5$/m, 'the failing line in the full report');
  t.regex(out, /^4 scripts: 2 pass, 1 fail, 0 xfail, 0 xpass, 1 skip, 0 error in [\d.]+ s$/m);
  rmSync(dir, { recursive: true });
});
