import test from 'ava';
import { readFileSync } from 'node:fs';
import { checkRealCapture } from './helpers/real-capture-check.js';
import { realCapturePath } from './helpers/paths.js';

test('the committed capture of real Linux MPTCP traffic decodes and re-encodes exactly', (t) => {
  const summary = checkRealCapture(t, readFileSync(realCapturePath));
  t.true(summary.subtypes.has('mp_prio'), 'the script also marks a subflow backup');
});
