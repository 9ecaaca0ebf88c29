// Writes grammar/diagrams.html, the railroad diagrams of the .pkt grammar. Run after changing
// grammar/parser.ts: `npx tsc -p tsconfig.json && node dist/scripts/gen-diagrams.js`
// (test/diagrams.test.ts fails while the committed page is stale).

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { syntaxDiagramsHtml } from '../grammar/diagrams.js';

/** Repository root, from dist/scripts/ or scripts/. */
export function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? join(here, '..', '..') : join(here, '..');
}

const out = join(repoRoot(), 'grammar', 'diagrams.html');
writeFileSync(out, syntaxDiagramsHtml());
process.stdout.write(`wrote ${out}\n`);
