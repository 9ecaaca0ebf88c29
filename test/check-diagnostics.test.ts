// Compiler-style diagnostics: header, source line and caret line (tabs expanded so the caret
// stays under the culprit; wide lines cut to a window), colour only when asked, JSON lines.

import test from 'ava';
import type { Diagnostic } from '../src/script/ast.js';
import { caretLines, compareDiagnostics, diagnosticToJson, formatDiagnostic, sourceLine, wantsColor } from '../src/script/diagnostics.js';

function diag(line: number, column: number, endColumn: number, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  return {
    severity,
    code: 'x-code',
    file: 'a.pkt',
    message: 'something is wrong',
    range: { start: { line, column, offset: 0 }, end: { line, column: endColumn, offset: 0 } },
  };
}

test('header, source line and caret with tildes under the rest of the culprit', (t) => {
  const text = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3) = 0\n';
  t.is(
    formatDiagnostic(diag(2, 4, 10), text, { color: false }),
    'a.pkt:2:4: error: something is wrong\n+0 listen(3) = 0\n   ^~~~~~',
  );
});

test('a one-character range is a lone caret; warnings say warning', (t) => {
  t.is(formatDiagnostic(diag(1, 3, 4, 'warning'), 'abcdef', { color: false }), 'a.pkt:1:3: warning: something is wrong\nabcdef\n  ^');
});

test('tabs are expanded in both lines so the caret stays under the culprit', (t) => {
  const { source, caret } = caretLines('+0\tclose(3) = 0', 4, 9);
  t.is(source, '+0      close(3) = 0');
  t.is(caret, '        ^~~~~');
  t.is(source.indexOf('close'), caret.indexOf('^'));
});

test('a range running onto later lines underlines to the end of the first line', (t) => {
  const d = diag(1, 3, 2);
  d.range.end = { line: 2, column: 2, offset: 0 };
  t.is(formatDiagnostic(d, 'a b c d\nnext', { color: false }).split('\n')[2], '  ^~~~~');
});

test('wide lines are cut to a window around the culprit, caret still aligned', (t) => {
  const line = 'x'.repeat(300) + 'CULPRIT' + 'y'.repeat(300);
  const { source, caret } = caretLines(line, 301, 308);
  t.true(source.length < 130);
  t.true(source.startsWith('...') && source.endsWith('...'));
  t.is(source.indexOf('CULPRIT'), caret.indexOf('^'));
  t.is(caret.slice(caret.indexOf('^')), '^' + '~'.repeat('CULPRIT'.length - 1));
});

test('no source text: the header alone', (t) => {
  t.is(formatDiagnostic(diag(1, 1, 1), '', { color: false }), 'a.pkt:1:1: error: something is wrong');
  t.is(sourceLine('a\nb\r\nc', 2), 'b');
  t.is(sourceLine('a', 3), undefined);
});

test('colour: ANSI codes only when asked; NO_COLOR and non-TTYs turn it off', (t) => {
  const colored = formatDiagnostic(diag(1, 1, 3), 'abc', { color: true });
  t.true(colored.includes('\u001b[31m')); // red severity
  t.true(colored.includes('\u001b[32m')); // green caret
  t.false(formatDiagnostic(diag(1, 1, 3), 'abc', { color: false }).includes('\u001b['));
  t.true(wantsColor({ isTTY: true }, {}));
  t.false(wantsColor({ isTTY: true }, { NO_COLOR: '1' }));
  t.false(wantsColor({ isTTY: false }, {}));
});

test('JSON form and ordering', (t) => {
  t.deepEqual(diagnosticToJson(diag(3, 5, 9)), {
    file: 'a.pkt', line: 3, column: 5, endLine: 3, endColumn: 9, severity: 'error', code: 'x-code', message: 'something is wrong',
  });
  const sorted = [diag(2, 1, 2, 'warning'), diag(1, 5, 6), diag(2, 1, 2)].sort(compareDiagnostics);
  t.deepEqual(sorted.map((d) => `${d.range.start.line}:${d.range.start.column}:${d.severity}`), ['1:5:error', '2:1:error', '2:1:warning']);
});
