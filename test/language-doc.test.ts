// docs/language.md, the language reference, documents everything the grammar accepts: every
// keyword, system call, option, struct field and symbolic constant (so adding one to the
// grammar without documenting it fails here), and cites no document outside the repository.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keywordTokens } from '../grammar/tokens.js';
import { SYSCALL_NAMES } from '../src/script/build-syscalls.js';
import { OPTION_SPECS } from '../src/script/options.js';
import { SYMBOL_TABLE } from '../src/sys/symbols-table.js';
import { fieldNames } from '../src/sys/struct-layout.js';
import { TCP_BBR_INFO_LAYOUT, TCP_DCTCP_INFO_LAYOUT, TCP_INFO_LAYOUT, TCPVEGAS_INFO_LAYOUT } from '../src/sys/tcp-info.js';
import { MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_DATA_LAYOUT } from '../src/sys/mptcp-structs.js';
import { repoRoot } from './helpers/paths.js';

const doc = readFileSync(join(repoRoot, 'docs', 'language.md'), 'utf8');
/** Every `code span` of the document. */
const spans = new Set([...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!));
/** Words inside code spans (`mpcapable v1 flags[flag_h] nokey` documents each word). */
const words = new Set([...spans].flatMap((s) => s.split(/[^A-Za-z0-9_]+/)).filter(Boolean));

function undocumented(names: Iterable<string>, seen: Set<string>): string[] {
  return [...new Set(names)].filter((n) => !seen.has(n)).sort();
}

test('every keyword of the grammar is documented', (t) => {
  t.deepEqual(undocumented(keywordTokens.keys(), words), []);
});

test('every system call is documented in Appendix B', (t) => {
  const appendix = doc.slice(doc.indexOf('## Appendix B'), doc.indexOf('## Appendix C'));
  const listed = new Set([...appendix.matchAll(/^\| `([a-z0-9_]+)`(?:, `([a-z0-9_]+)`)?/gm)].flatMap((m) => [m[1]!, m[2]].filter((x): x is string => !!x)));
  t.deepEqual(undocumented(SYSCALL_NAMES, listed), []);
  t.deepEqual([...listed].filter((n) => !SYSCALL_NAMES.includes(n)), [], 'and nothing else');
});

test('every option is documented with its OPT_ variable', (t) => {
  t.deepEqual(undocumented(OPTION_SPECS.map((o) => o.name), spans), []);
  t.deepEqual(undocumented(OPTION_SPECS.flatMap((o) => (o.env ? [o.env] : [])), spans), []);
});

test('every struct field (tcp_info, the MPTCP structs) is documented', (t) => {
  const layouts = [TCP_INFO_LAYOUT, TCP_BBR_INFO_LAYOUT, TCPVEGAS_INFO_LAYOUT, TCP_DCTCP_INFO_LAYOUT, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_DATA_LAYOUT, MPTCP_FULL_INFO_HEADER_LAYOUT];
  t.deepEqual(undocumented(layouts.flatMap(fieldNames), spans), []);
});

test('every symbolic constant is documented with its value', (t) => {
  const rows = new Map([...doc.matchAll(/^\| `([A-Za-z0-9_]+)` \| (-?\d+) \| \w+ \|$/gm)].map((m) => [m[1]!, m[2]!]));
  t.deepEqual(SYMBOL_TABLE.filter(([name, value]) => rows.get(name) !== String(value)).map(([name]) => name), []);
});

test('the reference cites RFCs, Linux sources and the project, nothing outside the repository', (t) => {
  t.notRegex(doc, /mptcp-wire|pkt-symbols|shared\/reference|\/work\//);
  for (const [, link] of doc.matchAll(/\]\(([^)#]+)\)/g)) {
    if (/^https?:/.test(link!)) continue;
    t.notThrows(() => readFileSync(join(repoRoot, 'docs', link!)), `link ${link} resolves`);
  }
});
