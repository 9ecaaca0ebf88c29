// conformance.md and docs/linux-deviations.md, rendered from the report object alone (no clock,
// no environment): the same JSON always gives the same Markdown, which is what lets the CI guard
// check committed files for staleness without a kernel.

import type { SuiteTarget } from '../suite/types.js';
import { SCRIPT_ROLES, type ScriptRole } from './index-file.js';
import type { ClauseReport, ConformanceReport, DeviationReport } from './report.js';
import type { Verdict, VerdictName } from './verdict.js';

const ORDER: VerdictName[] = ['conforms', 'deviates', 'known failure', 'fails', 'not run', 'todo', 'untestable'];
/** The verdicts counted per section (the others are the index's own columns). */
const COUNTED = ORDER.slice(0, 5);

/** A table cell: no pipes, no line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** A script as written in the index (relative to test/scripts/ when below it). */
function shortScript(path: string): string {
  return path.startsWith('test/scripts/') ? path.slice('test/scripts/'.length) : path;
}

function verdictCell(v: Verdict | undefined): string {
  if (!v) return '';
  if (v.verdict === 'conforms' || v.verdict === 'untestable' || v.verdict === 'todo') return v.fixed.length > 0 ? `${v.verdict} (xpass: ${v.fixed.map(shortScript).join(', ')})` : v.verdict;
  const where = v.evidence.map((e) => e.at ?? shortScript(e.script)).join(', ');
  return `**${v.verdict}** (${where})`;
}

function coverageCell(c: ClauseReport): string {
  if (c.untestable !== undefined) return `untestable: ${c.untestable}`;
  if (c.todo !== undefined) return `todo: ${c.todo}`;
  return c.scripts.map((s) => `${c.roles[s] ? `${c.roles[s]}:` : ''}\`${shortScript(s)}\``).join(' ');
}

/** The clause's verdict on a target, then each tagged role's own (`client: conforms`). */
function targetCell(c: ClauseReport, t: SuiteTarget): string {
  const roles = Object.entries(c.roleVerdicts[t] ?? {});
  const main = verdictCell(c.verdicts[t]);
  return roles.length > 0 ? `${main}; ${roles.map(([r, v]) => `${r}: ${v}`).join(', ')}` : main;
}

/** Per role the stack plays: clauses with a script tagged so, and how many conform or deviate per target. */
function rolesTable(report: ConformanceReport): string[] {
  const t = report.targets;
  const lines = [`| stack plays | clauses | ${t.map((x) => `${x}: conforms / deviates / other`).join(' | ')} |`, `|---|---:|${t.map(() => '---|').join('')}`];
  for (const role of SCRIPT_ROLES) {
    const own = report.clauses.filter((c) => Object.values(c.roles).includes(role));
    if (own.length === 0) continue;
    const counts = (x: SuiteTarget): string => {
      const v = own.map((c) => c.roleVerdicts[x]?.[role as ScriptRole]);
      const conf = v.filter((n) => n === 'conforms').length;
      const dev = v.filter((n) => n === 'deviates').length;
      return `${conf} / ${dev} / ${v.length - conf - dev}`;
    };
    lines.push(`| ${role} | ${own.length} | ${t.map(counts).join(' | ')} |`);
  }
  return lines;
}

/** The `both` clauses, with the sides their scripts test. */
function bothTable(report: ConformanceReport): string[] {
  const both = report.clauses.filter((c) => c.bothSides !== undefined);
  const lines = [
    `${both.filter((c) => c.bothSides).length} of ${both.length} clauses that bind both sides are tested from both; the others from one side only.`,
    '',
    '| id | sides tested | both |',
    '|---|---|---|',
  ];
  for (const c of both) lines.push(`| ${c.id} | ${[...new Set(Object.values(c.roles))].join(', ') || '(no role tags)'} | ${c.bothSides ? 'yes' : '**no**'} |`);
  return lines;
}

function totalsTable(report: ConformanceReport): string[] {
  const t = report.targets;
  const lines = [
    `| § | clauses | testable | untestable | todo | scripts | both sides | ${t.map((x) => `${x}: ${COUNTED.join(' / ')}`).join(' | ')} |`,
    `|---|---:|---:|---:|---:|---:|---:|${t.map(() => '---|').join('')}`,
  ];
  const counts = (v: Partial<Record<VerdictName, number>> | undefined): string => COUNTED.map((n) => String(v?.[n] ?? 0)).join(' / ');
  for (const s of report.sections) lines.push(`| ${s.section} | ${s.clauses} | ${s.testable} | ${s.untestable} | ${s.todo} | ${s.scripts} | ${s.bothSides} of ${s.bothClauses} | ${t.map((x) => counts(s.verdicts[x])).join(' | ')} |`);
  const sum = (k: 'clauses' | 'testable' | 'untestable' | 'todo' | 'bothSides' | 'bothClauses'): number => report.sections.reduce((n, s) => n + s[k], 0);
  const scripts = new Set(report.clauses.flatMap((c) => c.scripts)).size;
  const all = (x: SuiteTarget): string => COUNTED.map((n) => String(report.clauses.filter((c) => c.verdicts[x]?.verdict === n).length)).join(' / ');
  lines.push(`| **all** | ${sum('clauses')} | ${sum('testable')} | ${sum('untestable')} | ${sum('todo')} | ${scripts} | ${sum('bothSides')} of ${sum('bothClauses')} | ${t.map(all).join(' | ')} |`);
  return lines;
}

function evidenceLines(devs: readonly DeviationReport[]): string[] {
  return devs.flatMap((d) => [
    `- **${d.clause}** on ${d.target}: \`${d.at ?? shortScript(d.script)}\`: ${cell(d.message)}`,
    ...(d.observed ? [`  - observed: \`${d.observed}\``] : []),
    `  - expected failure${d.versions ? ` (kernel ${d.versions})` : ''}: ${d.reason}${d.entry ? ` (${d.entry})` : ''}`,
  ]);
}

export function conformanceMarkdown(report: ConformanceReport): string {
  const t = report.targets;
  const out = [
    '# RFC 8684 conformance',
    '',
    `Generated by \`mptcpdrill conformance --target ${t.join(',')}\` from \`${report.index}\`${report.kernel ? ` on Linux ${report.kernel}` : ''}; do not edit by hand.`,
    'Verdicts: *conforms* (every script of the clause passes), *deviates* (a script fails as its',
    'entry in `test/conformance/xfail.txt` says: a finding, listed below), *fails* (a script fails',
    'unexpectedly), *known failure* (a script fails as `test/scripts/xfail.txt` says: the stack',
    'differs from Linux there, not from the RFC), *not run*, *todo* (testable, no script yet),',
    '*untestable* (with the reason).',
    'How the index is kept: docs/conformance-guide.md.',
    '',
    '## Totals per section',
    '',
    ...totalsTable(report),
    '',
    '## Per role',
    '',
    'The role the stack under test plays in a script is its tag in the index (`client:path`); a',
    "clause's verdict per role is that of its scripts with that tag. Untagged scripts count only in",
    'the clause verdict.',
    '',
    ...rolesTable(report),
    '',
    '## Clauses that bind both sides',
    '',
    ...bothTable(report),
    '',
    '## Clauses',
    '',
    `| id | keyword | role | statement | tested by | ${t.join(' | ')} |`,
    `|---|---|---|---|---|${t.map(() => '---|').join('')}`,
    ...report.clauses.map((c) => `| ${c.id} | ${c.keyword} | ${c.role} | ${cell(c.quote)} | ${cell(coverageCell(c))} | ${t.map((x) => cell(targetCell(c, x))).join(' | ')} |`),
    '',
    '## Deviations',
    '',
    ...(report.deviations.length > 0 ? evidenceLines(report.deviations) : ['None.']),
    '',
  ];
  const failing = report.clauses.filter((c) => t.some((x) => c.verdicts[x]?.verdict === 'fails'));
  if (failing.length > 0) {
    out.push('## Unexpected failures', '');
    for (const c of failing) for (const x of t) for (const e of c.verdicts[x]?.verdict === 'fails' ? c.verdicts[x]!.evidence : []) out.push(`- **${c.id}** on ${x}: \`${e.at ?? shortScript(e.script)}\`: ${cell(e.message)}`);
    out.push('');
  }
  return out.join('\n');
}

export function linuxDeviationsMarkdown(report: ConformanceReport): string {
  const kernel = report.deviations.filter((d) => d.target === 'kernel');
  const byId = new Map(report.clauses.map((c) => [c.id, c]));
  const out = [
    '# Where Linux deviates from RFC 8684',
    '',
    `Generated by \`mptcpdrill conformance --target ${report.targets.join(',')} --write-docs\`${report.kernel ? ` on Linux ${report.kernel}` : ''}; do not edit by hand.`,
    'Each entry is a script that asserts what RFC 8684 asks and fails on the kernel as its',
    'expected-failure entry in `test/conformance/xfail.txt` says (kernel range and reason there).',
    'The full table is docs/conformance.md.',
    '',
  ];
  if (kernel.length === 0) out.push('No deviation was found on this run.', '');
  for (const d of kernel) {
    const c = byId.get(d.clause);
    out.push(`## ${d.clause} (§${c?.section ?? '?'}, ${c?.keyword ?? '?'}, ${c?.role ?? '?'})`, '');
    if (c) out.push(`> ${c.quote}`, '');
    out.push(`- script: \`${d.script}\`${d.at ? `, fails at \`${d.at}\`` : ''}: ${cell(d.message)}`);
    if (d.observed) out.push(`- observed: \`${d.observed}\``);
    out.push(`- kernel versions: ${d.versions ?? 'any'}${d.entry ? ` (${d.entry})` : ''}`, `- reason: ${d.reason}`, '');
  }
  return out.join('\n');
}
