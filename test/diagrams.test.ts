import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntaxDiagramsHtml } from '../grammar/diagrams.js';

const committed = () => readFileSync(join(process.cwd(), 'grammar', 'diagrams.html'), 'utf8');

test('grammar/diagrams.html is up to date with the grammar', (t) => {
  // Regenerate with: npx tsc -p tsconfig.json && node dist/scripts/gen-diagrams.js
  t.true(syntaxDiagramsHtml() === committed(), 'grammar/diagrams.html is stale: run node dist/scripts/gen-diagrams.js');
});

test('the diagrams page needs no network', (t) => {
  const html = committed();
  t.false(/<script[^>]+src=/.test(html));
  t.false(/<link[^>]+href=/.test(html));
  t.true(html.includes('"name": "mpCapable"'));
});
