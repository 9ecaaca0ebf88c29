// The suite runner's pure parts: globs, filtering, sharding, variants, the expected-failure
// list, outcome classification and the exit status.
import test from 'ava';
import { applyFilter, applyShard, displayPath, parseShard } from '../src/suite/discover.js';
import { globMatches } from '../src/suite/glob.js';
import { classify, exitStatus, representative } from '../src/suite/outcome.js';
import type { JobReport, SuiteResult } from '../src/suite/types.js';
import { variantFlags, variantsFor } from '../src/suite/variants.js';
import { findXfail, parseXfail, versionInRange, parseVersion } from '../src/suite/xfail.js';
import { splitOptionArgs } from '../src/script/options.js';

const files = Array.from({ length: 23 }, (_, i) => `d${i % 3}/s${String(i).padStart(2, '0')}.pkt`).sort();

test('shards partition the sorted list exactly, sizes within one', (t) => {
  for (const n of [1, 2, 3, 5, 23, 30]) {
    const slices = Array.from({ length: n }, (_, i) => applyShard(files, parseShard(`${i + 1}/${n}`)!));
    const all = slices.flat();
    t.is(all.length, files.length, `N=${n}`);
    t.deepEqual([...all].sort(), files, `N=${n} covers every file once`);
    const sizes = slices.map((s) => s.length);
    t.true(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
  t.deepEqual(applyShard(files, parseShard('2/4')!), applyShard(files, parseShard('2/4')!), 'deterministic');
});

test('malformed shards are refused', (t) => {
  for (const bad of ['0/3', '4/3', '1/0', 'x', '1/', '1/2/3']) t.is(parseShard(bad), null, bad);
  t.deepEqual(parseShard(' 2/5 '), { index: 2, count: 5 });
});

test('--filter: substring, or glob when it has glob characters', (t) => {
  t.deepEqual(applyFilter(['a/join/x.pkt', 'a/dss/y.pkt'], 'join'), ['a/join/x.pkt']);
  t.deepEqual(applyFilter(['a/join/x.pkt', 'a/dss/y.pkt', 'b/x-v6.pkt'], '*v6.pkt'), ['b/x-v6.pkt']);
  t.deepEqual(applyFilter(['t/s/mptcp/join/a.pkt', 't/s/tcp/join/a.pkt'], 'mptcp/**/a.pkt'), ['t/s/mptcp/join/a.pkt']);
  t.false(globMatches('join/*.pkt', 'x/join/sub/a.pkt'), '* stays within a segment');
  t.true(globMatches('**/a.pkt', 'x/join/sub/a.pkt'));
  t.false(globMatches('oin/*.pkt', 'x/join/a.pkt'), 'a tail starts at a segment boundary');
  t.true(globMatches('s[0-9].pkt', 'd/s7.pkt'));
});

test('variants: v4/v6 file names restrict them, both/all expand', (t) => {
  t.deepEqual(variantsFor('a.pkt', 'all'), ['ipv4', 'ipv4-mapped-ipv6', 'ipv6']);
  t.deepEqual(variantsFor('a-v4.pkt', 'all'), ['ipv4', 'ipv4-mapped-ipv6']);
  t.deepEqual(variantsFor('a-v6.pkt', 'all'), ['ipv6']);
  t.deepEqual(variantsFor('a-v6.pkt', '4'), []);
  t.deepEqual(variantsFor('a.pkt', 'both'), ['ipv4', 'ipv6']);
});

test('variant flags are the upstream suites\' and parse as script options', (t) => {
  const mptcp6 = splitOptionArgs(variantFlags('mptcp', 'ipv6'));
  t.deepEqual(mptcp6.rest, []);
  t.is(mptcp6.options['ip_version'], 'ipv6');
  t.is(mptcp6.options['remote_ip'], '2001:DB8::1/32');
  t.is(mptcp6.options['mtu'], '1520');
  t.true(mptcp6.options['send_omit_free'] !== undefined);
  t.deepEqual(mptcp6.options['define'], ['TFO_COOKIE=6aa6ae70c288023b', 'CMSG_LEVEL_IP=SOL_IPV6', 'CMSG_TYPE_RECVERR=IPV6_RECVERR']);
  const tcp4 = splitOptionArgs(variantFlags('tcp', 'ipv4')).options;
  t.is(tcp4['local_ip'], '192.168.0.1');
  t.true((tcp4['define'] as string[]).includes('CODE=host_unreachable'));
  t.is(splitOptionArgs(variantFlags('mptcp', 'ipv4-mapped-ipv6')).options['local_ip'], '192.168.0.2');
});

test('kernel version ranges', (t) => {
  t.deepEqual(parseVersion('6.18.44-cloud-amd64'), [6, 18, 44]);
  const { entries } = parseXfail('a.pkt kernel >=6.12,<6.19 fixed later\n', 'x');
  const range = entries[0]!.versions!;
  t.true(versionInRange([6, 12], range));
  t.true(versionInRange([6, 18, 44], range));
  t.false(versionInRange([6, 19], range));
  t.false(versionInRange([6, 11, 9], range));
});

test('xfail lines: qualifiers in any order, then the reason; bad ranges are reported', (t) => {
  const { entries, errors } = parseXfail([
    '# comment', '',
    'tcp/*.pkt   ts  ipv6   bundled stack lacks it  # trailing comment',
    'mptcp/join/bad-hmac.pkt strict kernel =6.18 HMAC',
    'x.pkt',
    'y.pkt kernel >>6 oops',
  ].join('\n'), 'list.txt');
  t.is(entries.length, 3);
  t.like(entries[0], { pattern: 'tcp/*.pkt', target: 'ts', variant: 'ipv6', strict: false, reason: 'bundled stack lacks it', source: 'list.txt:3' });
  t.like(entries[1], { target: 'kernel', strict: true, reason: 'HMAC' });
  t.is(entries[2]!.reason, 'expected failure');
  t.is(errors.length, 1);
  t.regex(errors[0]!, /list\.txt:6: '>>6' is not a kernel version range/);
});

test('xfail matching honours target, variant, kernel range and folder scope', (t) => {
  const { entries } = parseXfail('join/*.pkt kernel <6.19 old kernels\ntcp/a.pkt ipv6 v6 only\n', 'l', 'suite');
  const ctx = { target: 'kernel' as const, kernel: [6, 18] };
  t.truthy(findXfail(entries, { ...ctx, file: 'suite/mptcp/join/x.pkt' }));
  t.falsy(findXfail(entries, { ...ctx, file: 'suite/mptcp/join/x.pkt', kernel: [6, 19] }));
  t.falsy(findXfail(entries, { ...ctx, file: 'suite/mptcp/join/x.pkt', target: 'ts' }), 'a range only applies on the kernel');
  t.falsy(findXfail(entries, { ...ctx, file: 'other/mptcp/join/x.pkt' }), 'outside the folder of its list');
  t.truthy(findXfail(entries, { ...ctx, file: 'suite/tcp/a.pkt', mode: 'ipv6' }));
  t.falsy(findXfail(entries, { ...ctx, file: 'suite/tcp/a.pkt', mode: 'ipv4' }));
});

const report = (status: JobReport['status']): JobReport => ({ status, wallMs: 1, scriptEndUs: 0, warnings: [], ...(status === 'fail' ? { failure: { kind: 'packet', headline: 'x.pkt:3: boom' } } : {}) });
const result = (outcome: SuiteResult['outcome'], strict?: boolean): SuiteResult =>
  ({ index: 1, name: 'n', file: 'f', target: 'ts', outcome, runs: 1, passes: 0, seeds: [1], wallMs: 1, report: report('pass'), ...(strict !== undefined ? { strict } : {}) });

test('classification with and without an expected-failure entry', (t) => {
  const [entry] = parseXfail('x.pkt strict known bug', 'l').entries;
  t.deepEqual(classify(report('fail'), entry), { outcome: 'xfail', reason: 'known bug' });
  t.deepEqual(classify(report('pass'), entry), { outcome: 'xpass', reason: 'known bug', strict: true });
  t.deepEqual(classify(report('fail'), undefined), { outcome: 'fail', reason: 'x.pkt:3: boom' });
  t.is(classify(report('error'), entry).outcome, 'error', 'an error is never an expected failure');
  t.is(representative([report('pass'), report('fail'), report('pass')]).status, 'fail');
});

test('exit status as kselftest', (t) => {
  t.is(exitStatus([result('pass'), result('xfail'), result('skip')], false), 0);
  t.is(exitStatus([result('pass'), result('xpass', false)], false), 0, 'non-strict xpass does not fail');
  t.is(exitStatus([result('pass'), result('xpass', true)], false), 1);
  t.is(exitStatus([result('error'), result('fail')], false), 1);
  t.is(exitStatus([result('error'), result('pass')], false), 2);
  t.is(exitStatus([result('skip'), result('skip')], false), 4);
  t.is(exitStatus([], false), 4, 'nothing to run is all skipped');
  t.is(exitStatus([result('pass')], true), 130);
});

test('paths are shown relative to the working directory when below it', (t) => {
  t.is(displayPath('/w/suite/a.pkt', '/w'), 'suite/a.pkt');
  t.is(displayPath('/w', '/w'), '.', 'the folder itself (an xfail.txt next to the scripts)');
  t.is(displayPath('/elsewhere/a.pkt', '/w'), '/elsewhere/a.pkt');
  const { entries } = parseXfail('a.pkt reason\n', 'l', '.');
  t.truthy(findXfail(entries, { file: 'deep/a.pkt', target: 'ts', kernel: [] }));
});
