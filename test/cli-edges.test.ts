// The CLI's edges, as a new user meets them (issue 17): negative numbers given to options that
// take numbers get the option's own range error; an empty folder or a --filter that matches
// nothing is a usage error (2) with a sentence, never "all skipped"; "1 script"; a byte-order mark
// is blank; binary input is escaped under the caret; a byte count beyond 32 bits is a line error.

import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../src/cli/args.js';
import { isSuiteInvocation } from '../src/cli/commands/run.js';
import { UsageError } from '../src/cli/command.js';
import { caretLines, printable } from '../src/script/diagnostics.js';
import { hasStackTrace, lines, runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/paths.js';

const GOOD = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n';

function folder(t: { teardown(fn: () => void): void }, files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-edges-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('a negative number after an option that takes a value is its value; a flag given one still takes none', (t) => {
  const options = { jobs: { type: 'string', short: 'j' }, scale: { type: 'string' }, bail: { type: 'boolean' } } as const;
  t.deepEqual(parseCommandArgs(['-j', '-1', '--scale', '-3.5', 'x'], options).values, { jobs: '-1', scale: '-3.5' });
  t.deepEqual(parseCommandArgs(['--scale', '-.5'], options).values, { scale: '-.5' });
  t.deepEqual(parseCommandArgs(['--', '-j', '-1'], options).positionals, ['-j', '-1'], 'after -- everything is a positional');
  t.throws(() => parseCommandArgs(['-j', '--bail'], options), { instanceOf: UsageError, message: 'option -j needs a value' });
  t.throws(() => parseCommandArgs(['--bail=-1'], options), { instanceOf: UsageError, message: 'option --bail takes no value' });
  t.throws(() => parseCommandArgs(['-j'], options), { instanceOf: UsageError, message: 'option -j needs a value' });
});

test('-j -1, --tolerance-scale -3 and interop --bytes -5 say what range the option takes', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['run', '-j', '-1', 'test/scripts'], /^mptcpdrill run: -j needs a whole number of at least 1, not '-1'\.$/m],
    [['run', '--tolerance-scale', '-3', 'x.pkt'], /^mptcpdrill run: --tolerance-scale needs a positive number, not '-3'\.$/m],
    [['interop', '--bytes', '-5'], /^mptcpdrill interop: --bytes takes a whole number from 1 to \d+, not "-5"\.$/m],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.notRegex(r.stderr, /takes no value/);
  }
});

test('an empty folder, or a --filter that matches nothing, is a usage error with a sentence (run and check)', async (t) => {
  const dir = folder(t, { 'empty/notes.txt': 'no script here', 'some/a.pkt': GOOD });
  const empty = join(dir, 'empty');
  const run = await runCli(['run', empty]);
  t.is(run.status, 2);
  t.deepEqual(lines(run.stderr), [`mptcpdrill run: no .pkt script in ${empty}.`]);
  const check = await runCli(['check', empty]);
  t.is(check.status, 2);
  t.deepEqual(lines(check.stderr), [`mptcpdrill check: no .pkt script in ${empty}.`]);
  const filtered = await runCli(['run', '--filter', 'nothing-like-this', join(dir, 'some')]);
  t.is(filtered.status, 2);
  t.deepEqual(lines(filtered.stderr), ["mptcpdrill run: --filter 'nothing-like-this' matches none of the 1 script found."]);
});

test('a suite of one says "1 script" in every format', async (t) => {
  const dir = folder(t, { 'a.pkt': GOOD });
  for (const format of ['pretty', 'tap', 'ktap']) {
    const r = await runCli(['run', '--format', format, dir]);
    t.is(r.status, 0, format);
    t.regex(r.stdout, /\b1 script\b/, format);
    t.notRegex(r.stdout, /\b1 scripts\b/, format);
  }
});

test('a UTF-8 byte-order mark opening a script is blank: it checks and runs', async (t) => {
  const dir = folder(t, { 'bom.pkt': `\ufeff${GOOD}`, 'bom-bad.pkt': `\ufeff0 socket(..., SOCK_STREEM, IPPROTO_TCP) = 3\n` });
  const check = await runCli(['check', join(dir, 'bom.pkt')]);
  t.is(check.status, 0, check.stdout + check.stderr);
  t.is((await runCli(['run', join(dir, 'bom.pkt')])).status, 0);
  const bad = await runCli(['check', join(dir, 'bom-bad.pkt')]);
  t.is(bad.status, 2);
  const [, source, caret] = bad.stdout.split('\n');
  t.is(source, '0 socket(..., SOCK_STREEM, IPPROTO_TCP) = 3', 'the mark is not echoed');
  t.is(caret, '              ^~~~~~~~~~~', 'and the caret stays under the culprit');
});

test('binary and control characters are escaped in the excerpt and the message, the caret under them', async (t) => {
  const bytes = Buffer.concat([Buffer.from('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 cl'), Buffer.from([0x01, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe]), Buffer.from('ose(3) = 0\n')]);
  const dir = folder(t, { 'bin.pkt': bytes });
  const r = await runCli(['check', join(dir, 'bin.pkt')]);
  t.is(r.status, 2);
  t.notRegex(r.stdout, /[\x00-\x08\x0b-\x1f\x7f\ufffd]/, 'no raw control byte nor replacement character reaches the terminal');
  const [header, source, caret] = r.stdout.split('\n');
  t.regex(header!, /bin\.pkt:2:6: error: unexpected character '\\x01'/);
  t.is(source, '+0 cl\\x01\\x1b[31m\\ufffd\\ufffdose(3) = 0');
  t.is(caret!.indexOf('^'), source!.indexOf('\\x01'));
  t.is(printable('a\tb\u0000c\u2028'), 'a       b\\x00c\\u2028');
  const { source: s, caret: c } = caretLines('x\u0007yz', 3, 4);
  t.is(s, 'x\\x07yz');
  t.is(c, '     ^', 'a column after an escape moves with it');
});

test('write(…, 1000000000000) is an error at its line, not an internal error', async (t) => {
  const dir = folder(t, { 'big.pkt': '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 write(3, ..., 1000000000000) = 0\n' });
  const r = await runCli(['run', join(dir, 'big.pkt')]);
  t.is(r.status, 1);
  t.regex(r.stdout + r.stderr, /big\.pkt:2:18: runtime error in write call: length 1000000000000 is out of range for a 32-bit integer/);
  t.notRegex(r.stdout + r.stderr, /internal error|Invalid typed array/);
  t.false(hasStackTrace(r.stdout + r.stderr));
});

test('--format json is JSON Lines, and the README documents every key of every object', async (t) => {
  const dir = folder(t, { 'a.pkt': GOOD });
  const r = await runCli(['run', '--format', 'json', dir]);
  t.is(r.status, 0);
  const objects = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(objects.map((o) => o['type']), ['plan', 'result', 'summary']);
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**`--format json`**'), readme.indexOf('`scripts/run-corpus.sh`'));
  const documented = new Set([...section.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]!));
  const keys = objects.flatMap((o) => Object.keys(o));
  t.deepEqual([...new Set(keys)].filter((k) => !documented.has(k)), []);
});

test('run --pcap FILE x.pkt is a single run even when FILE exists (an option value is no path)', (t) => {
  const dir = folder(t, { 'a.pkt': GOOD, 'out.pcap': 'x' });
  t.false(isSuiteInvocation(['--target', 'ts', '--pcap', join(dir, 'out.pcap'), join(dir, 'a.pkt')]));
  t.true(isSuiteInvocation([join(dir, 'out.pcap'), join(dir, 'a.pkt')]), 'two paths are a suite');
});
