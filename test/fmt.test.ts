import test from 'ava';
import { FormatError, formatScript, withoutRanges } from '../src/script/fmt.js';
import { parseScript } from '../src/script/parse.js';
import { corpus } from './grammar-helpers.js';

const model = (text: string) => JSON.stringify(withoutRanges(parseScript(text, 'x.pkt').script));

test('fmt keeps the meaning of every corpus script and is idempotent', (t) => {
  const files = corpus();
  t.true(files.length > 0);
  for (const { file, text } of files) {
    const once = formatScript(text, file);
    t.is(model(once), model(text), file);
    t.is(formatScript(once, file), once, `${file} is not stable under fmt`);
    // Every comment survives, in order.
    const comments = (s: string) => parseScript(s, file).script!.comments.map((c) => c.text);
    t.deepEqual(comments(once), comments(text), file);
  }
});

test('fmt aligns time, direction/tuple, flags and sequence columns', (t) => {
  const text = [
    '// header',
    '--tolerance_usecs=1000',
    '',
    '',
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0.01   <   addr[c0] > addr[s0]  S 0:0(0)   win 100   <mss 1460>   // first',
    '+0 > S. 0:0(0) ack 1 <...>',
    '',
    '/* block */',
    '+0.2 close(3)   =   0   (done   now)',
    '',
  ].join('\n');
  const expected = [
    '// header',
    '--tolerance_usecs=1000',
    '',
    '0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0.01 < addr[c0] > addr[s0] S  0:0(0) win 100 <mss 1460> // first',
    '+0    >                     S. 0:0(0) ack 1 <...>',
    '',
    '/* block */',
    '+0.2  close(3) = 0 (done   now)',
    '',
  ].join('\n');
  t.is(formatScript(text, 'x.pkt'), expected);
});

test('fmt keeps multi-line events and tight operators', (t) => {
  const text = '0 recvmsg(4, {msg_name(...)=...,\n   msg_iov(1)=[{..., 1000+1}],\n   msg_flags=0}, 0) = 1001\n';
  const out = formatScript(text, 'x.pkt');
  t.is(out, text);
});

test('fmt refuses a file with syntax errors, naming the place', (t) => {
  const err = t.throws(() => formatScript('0 close(3 = 0\n', 'bad.pkt'), { instanceOf: FormatError });
  t.is(err?.message, "bad.pkt:1:11: unexpected '=', expected an argument, ',' or ')'");
});

test('the project corpus (test/scripts) is formatted: fmt --check passes on every script', async (t) => {
  const { findScripts } = await import('../src/script/load.js');
  const { repoRoot } = await import('./helpers/paths.js');
  const { runCli } = await import('./helpers/cli.js');
  const files = findScripts(`${repoRoot}test/scripts`);
  t.true(files.length > 100);
  const r = await runCli(['fmt', '--check', ...files]);
  t.is(r.status, 0, r.stdout + r.stderr);
});
