// Parser limits (src/script/limits.ts): whatever the input, `check` answers within bounded time
// and memory, with one diagnostic that quotes at most a short excerpt. Before these limits a 1 MB
// line of `nop` options took 5 s and 352 MB, and a 16 MB file 4.3 GB, before any message.

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipMessage, MAX_LINE_CHARS, MAX_SCRIPT_BYTES, MAX_TOKENS, textTooLarge } from '../src/script/limits.js';
import { parseScript } from '../src/script/parse.js';
import { runCliMeasured } from './helpers/rusage.js';

const HEAD = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n';
/** Peak memory allowed to a `check` of any input: Node alone takes ~80 MB. */
const MAX_RSS = 300 * 2 ** 20;
/** Wall time allowed (generous: ava runs other test files alongside). */
const MAX_MS = 20_000;

const cases: Array<{ name: string; text: () => string; message: RegExp }> = [
  { name: 'a 1 MB line of 200,000 nop options', text: () => `${HEAD}+0 > S 0:0(0) <${Array(200_000).fill('nop').join(',')}>\n`, message: /:2:16385: error: line 2 is 800,015 characters long, more than the 16,384 a line may have$/ },
  { name: 'a 16 MB file', text: () => '+0 close(3) = 0\n'.repeat(1_000_000), message: /:1:1: error: the script is 16,000,000 bytes long, more than the 1,048,576 a script may have$/ },
  { name: 'short lines past 100,000 tokens', text: () => HEAD + '+0 > . 1:1(0) ack 1 <nop,nop>\n'.repeat(10_000), message: /error: the script has more than 100,000 tokens, the most a script may have$/ },
  { name: 'a 15,000-character name', text: () => `${HEAD}+0 ${'x'.repeat(15_000)}(3) = 0\n`, message: /:2:4: error: unknown syscall 'x{37}\.\.\.'$/ },
];

for (const c of cases) {
  test(`check of ${c.name}: one short message, bounded time and memory`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-limits-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'huge.pkt');
    writeFileSync(file, c.text());
    const r = await runCliMeasured(['check', file]);
    t.is(r.status, 2, r.stderr);
    const header = r.stdout.split('\n')[0]!;
    t.regex(header, c.message);
    t.true(r.stdout.split('\n').every((l) => l.length <= 200), 'every printed line is short');
    t.true(r.maxRssBytes < MAX_RSS, `maxRSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MB`);
    t.true(r.wallMs < MAX_MS, `${r.wallMs.toFixed(0)} ms`);
  });
}

test('limits are checked on the raw text, before lexing', (t) => {
  t.is(textTooLarge('f', `${HEAD}+0 close(3) = 0\n`), undefined);
  t.is(textTooLarge('f', 'x'.repeat(MAX_LINE_CHARS)), undefined, 'a line of exactly the limit is fine');
  t.regex(textTooLarge('f', `a\n${'x'.repeat(MAX_LINE_CHARS + 1)}`)!.message, /^line 2 is 16,385 characters long/);
  t.deepEqual(textTooLarge('f', `a\n${'x'.repeat(MAX_LINE_CHARS + 1)}`)!.range.start, { line: 2, column: MAX_LINE_CHARS + 1, offset: 2 + MAX_LINE_CHARS });
  t.regex(textTooLarge('f', 'a b\n'.repeat(MAX_TOKENS / 2 + 1))!.message, /more than 100,000 tokens/);
  t.regex(textTooLarge('f', '\n'.repeat(MAX_SCRIPT_BYTES + 1))!.message, /bytes long/);
});

test('define substitution cannot multiply a script past the token limit', (t) => {
  const value = Array(1000).fill('nop').join(',');
  const r = parseScript(`${HEAD}${'+0 > . 1:1(0) ack 1 <X>\n'.repeat(200)}`, 'f', { defines: { X: value } });
  t.is(r.diagnostics.length, 1);
  t.regex(r.diagnostics[0]!.message, /more than 100,000 tokens once defines are substituted/);
});

test('messages quote at most a short excerpt and stay bounded', (t) => {
  t.is(clipMessage("unknown syscall 'short'"), "unknown syscall 'short'");
  t.is(clipMessage(`unknown syscall '${'y'.repeat(1000)}'`), `unknown syscall '${'y'.repeat(37)}...'`);
  t.true(clipMessage('z'.repeat(10_000)).length <= 400);
});
