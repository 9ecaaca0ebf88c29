import test from 'ava';
import type { CodeAction, EventTime } from '../src/script/ast.js';
import { Timeline, sec, timingError } from '../src/engine/timeline.js';
import { blockSource, runnableSource } from '../src/engine/python-source.js';
import { errnoText, sameErrno } from '../src/engine/syscalls/errno-text.js';

const pt = (relative: boolean, usecs: number) => ({ relative, usecs });

test('blocking times count start and end from the same reference', (t) => {
  const tl = new Timeline({ toleranceUsecs: 4000, tolerancePercent: 0, scale: 1 });
  tl.complete(1_000_000, 1_002_000, false);
  const rel: EventTime = { kind: 'blocking', start: pt(true, 100_000), end: pt(false, 300_000) };
  t.deepEqual(tl.due(rel, false), { kind: 'blocking', start: 1_102_000, end: 1_302_000 });
  const abs: EventTime = { kind: 'blocking', start: pt(false, 1_000_000), end: pt(false, 1_400_000) };
  t.deepEqual(tl.due(abs, false), { kind: 'blocking', start: 1_000_000, end: 1_400_000 });
});

test('relative times follow script time between inbound packets, actual time otherwise', (t) => {
  const tl = new Timeline({ toleranceUsecs: 4000, tolerancePercent: 0, scale: 1 });
  tl.complete(10_000, 13_000, true);
  t.deepEqual(tl.due({ kind: 'point', ...pt(true, 10_000) }, true), { kind: 'point', at: 20_000 });
  t.deepEqual(tl.due({ kind: 'point', ...pt(true, 10_000) }, false), { kind: 'point', at: 23_000 });
});

test('tolerance: the larger of the absolute and the relative slack, scaled', (t) => {
  const tl = new Timeline({ toleranceUsecs: 4000, tolerancePercent: 12.5, scale: 2 });
  t.is(tl.tolerance(10_000), 8000);
  t.is(tl.tolerance(1_000_000), 250_000);
  t.is(sec(120_000), '0.120000');
  t.is(timingError('outbound packet', 120_000, 180_000, 4000),
    'timing error: expected outbound packet at 0.120000 sec but happened at 0.180000 sec; tolerance 0.004000 sec');
});

function codeAt(text: string): CodeAction {
  const offset = text.indexOf('%{');
  const end = text.indexOf('}%') + 2;
  const line = text.slice(0, offset).split('\n').length;
  const pos = (o: number, l: number) => ({ line: l, column: 1, offset: o });
  return { kind: 'code', code: '', range: { start: pos(offset, line), end: pos(end, line) } };
}

test('block source keeps line numbers and removes shared indentation', (t) => {
  const same = 'x\n+0 %{ a = 1\n      if a:\n          assert a }%\n';
  t.deepEqual(blockSource(same, codeAt(same)), { firstLine: 2, code: 'a = 1\nif a:\n    assert a ' });
  const below = 'x\n+0 %{\n\n   assert 1\n   assert 2\n}%\n';
  t.deepEqual(blockSource(below, codeAt(below)), { firstLine: 4, code: 'assert 1\nassert 2' });
});

test('a block runs as packetdrill writes it: its text, a newline and a blank line', (t) => {
  const text = 'x\n+0 %{\n  a = 1\n  assert a;\\\n}%\n';
  const src = blockSource(text, codeAt(text));
  t.deepEqual(src, { firstLine: 3, code: 'a = 1\nassert a;\\' });
  t.is(runnableSource(src.code), 'a = 1\nassert a;\\\n\n');
});

test('errno text is upstream\'s and EWOULDBLOCK is EAGAIN', (t) => {
  t.is(errnoText('ECONNREFUSED'), '111 (Connection refused)');
  t.is(errnoText('EWOULDBLOCK'), '11 (Resource temporarily unavailable)');
  t.true(sameErrno('EAGAIN', 'EWOULDBLOCK'));
  t.false(sameErrno('EAGAIN', 'EINTR'));
});
