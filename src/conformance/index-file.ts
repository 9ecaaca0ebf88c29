// The RFC 8684 clause index (test/conformance/rfc8684.tsv) as data: one normative statement a
// line, with the scripts that test it or the reason it cannot be tested. Parsing never throws:
// every malformed line becomes one sentence in `errors`, so the CI guard and the command can both
// list all of them at once. The file's own header says what each column holds.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEYWORDS = ['MUST', 'MUST NOT', 'REQUIRED', 'SHOULD', 'SHOULD NOT', 'MAY'] as const;
export type Keyword = (typeof KEYWORDS)[number];

export const ROLES = ['sender', 'receiver', 'initiator', 'responder', 'both'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The part the stack under test plays in one script (`ROLE:path` in the tests column): its
 * connection's client or server (the MP_CAPABLE initiator or responder), or a join's initiator
 * or responder, or the sender or receiver of the option the clause is about.
 */
export const SCRIPT_ROLES = ['client', 'server', 'initiator', 'responder', 'sender', 'receiver'] as const;
export type ScriptRole = (typeof SCRIPT_ROLES)[number];

/** The role tags that show a stack playing a clause's role (an MP_CAPABLE initiator is a client). */
export const PLAYS: Record<Exclude<Role, 'both'>, readonly ScriptRole[]> = {
  initiator: ['initiator', 'client'],
  responder: ['responder', 'server'],
  sender: ['sender', 'client', 'server'],
  receiver: ['receiver', 'client', 'server'],
};
/** The two sides of a `both` clause: tested from both when one tag of a pair and the other are there. */
export const SIDES: ReadonlyArray<readonly [ScriptRole, ScriptRole]> = [['client', 'server'], ['initiator', 'responder'], ['sender', 'receiver']];

/** How a clause is covered: scripts, or a stated reason it is untestable, or work not done yet. */
export type Coverage =
  | { kind: 'scripts'; scripts: string[]; roles: Record<string, ScriptRole> }
  | { kind: 'untestable'; reason: string }
  | { kind: 'todo'; what: string };

export interface Clause {
  id: string;
  section: string;
  keyword: Keyword;
  role: Role;
  quote: string;
  coverage: Coverage;
  /** 1-based line in the index file, for messages. */
  line: number;
}

export interface ClauseIndex {
  clauses: Clause[];
  /** One sentence per problem: bad lines, duplicated ids, scripts that do not exist. */
  errors: string[];
}

export const INDEX_PATH = 'test/conformance/rfc8684.tsv';
const COLUMNS = ['id', 'section', 'keyword', 'role', 'quote', 'tests'];
// RFC 8684 clauses: 8684-SECTION-KN, SECTION being the RFC's. The MPTCP v0 differences (RFC 6824,
// which only the bundled stack's v0 mode speaks) are 6824-SECTION-KN in the section `v0`.
const ID = /^(8684|6824)-(\d+(?:\.\d+)*)-([msy])\d{2,}$/;
const KEYWORD_LETTER: Record<Keyword, string> = { MUST: 'm', 'MUST NOT': 'm', REQUIRED: 'm', SHOULD: 's', 'SHOULD NOT': 's', MAY: 'y' };

/** A script named in the index, as a path relative to the repository root. */
export function scriptPath(name: string): string {
  return name.startsWith('test/') ? name : `test/scripts/${name}`;
}

function parseCoverage(text: string): Coverage | string | undefined {
  const m = /^(untestable|todo):\s*(.*)$/.exec(text);
  if (m) return m[2] ? (m[1] === 'untestable' ? { kind: 'untestable', reason: m[2] } : { kind: 'todo', what: m[2] }) : undefined;
  const scripts: string[] = [];
  const roles: Record<string, ScriptRole> = {};
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const tag = /^([a-z]+):(.+)$/.exec(word);
    if (tag && !(SCRIPT_ROLES as readonly string[]).includes(tag[1]!)) return `role tag '${tag[1]}' of ${tag[2]} is none of ${SCRIPT_ROLES.join(', ')}`;
    const path = scriptPath(tag ? tag[2]! : word);
    if (scripts.includes(path)) return `${path} is listed twice`;
    scripts.push(path);
    if (tag) roles[path] = tag[1] as ScriptRole;
  }
  return scripts.length > 0 ? { kind: 'scripts', scripts, roles } : undefined;
}

/** Why the role tags do not fit the clause's role, or undefined when they do. */
function roleProblem(role: Role, roles: Record<string, ScriptRole>): string | undefined {
  if (role === 'both') return undefined;
  const wrong = Object.entries(roles).filter(([, r]) => !PLAYS[role].includes(r));
  return wrong.length > 0 ? `the clause binds the ${role}, but ${wrong.map(([p, r]) => `${p} is tagged ${r}`).join(', ')}` : undefined;
}

/** The sides of a `both` clause its tagged scripts test, e.g. ['client', 'server']. */
export function sidesTested(c: Clause): ScriptRole[] {
  if (c.coverage.kind !== 'scripts') return [];
  const tags = new Set(Object.values(c.coverage.roles));
  return SCRIPT_ROLES.filter((r) => tags.has(r));
}

/** A `both` clause tested from both sides: both tags of one pair are present. */
export function bothSidesTested(c: Clause): boolean {
  const tags = sidesTested(c);
  return SIDES.some(([a, b]) => tags.includes(a) && tags.includes(b));
}

function parseLine(fields: string[], line: number, where: string): Clause | string {
  if (fields.length !== COLUMNS.length) return `${where}: ${fields.length} columns, not ${COLUMNS.length} (${COLUMNS.join(', ')})`;
  const [id, section, keyword, role, quote, tests] = fields as [string, string, string, string, string, string];
  const m = ID.exec(id);
  if (!m) return `${where}: id '${id}' is not 8684-SECTION-KN or 6824-SECTION-KN (K = m, s or y)`;
  if ((m[1] === '8684' ? m[2] : 'v0') !== section) return `${where}: id '${id}' does not name its section ${section}`;
  if (!(KEYWORDS as readonly string[]).includes(keyword)) return `${where}: keyword '${keyword}' is none of ${KEYWORDS.join(', ')}`;
  if (KEYWORD_LETTER[keyword as Keyword] !== m[3]) return `${where}: id '${id}' does not match keyword ${keyword} (letter ${KEYWORD_LETTER[keyword as Keyword]})`;
  if (!(ROLES as readonly string[]).includes(role)) return `${where}: role '${role}' is none of ${ROLES.join(', ')}`;
  if (quote.trim() === '') return `${where}: the quote is empty`;
  const coverage = parseCoverage(tests.trim());
  if (!coverage) return `${where}: ${id} has neither a script nor an "untestable: WHY" reason`;
  if (typeof coverage === 'string') return `${where}: ${id}: ${coverage}`;
  const misfit = coverage.kind === 'scripts' ? roleProblem(role as Role, coverage.roles) : undefined;
  if (misfit) return `${where}: ${id}: ${misfit}`;
  return { id, section, keyword: keyword as Keyword, role: role as Role, quote, coverage, line };
}

/** Parses the index text; `root` is where script paths are checked to exist. */
export function parseIndex(text: string, file: string, root: string): ClauseIndex {
  const clauses: Clause[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  let header = false;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const fields = raw.split('\t');
    if (!header) {
      header = true;
      if (fields.join(',') !== COLUMNS.join(',')) errors.push(`${file}:${line}: the header line must be ${COLUMNS.join(' TAB ')}`);
      return;
    }
    const parsed = parseLine(fields, line, `${file}:${line}`);
    if (typeof parsed === 'string') {
      errors.push(parsed);
      return;
    }
    const earlier = seen.get(parsed.id);
    if (earlier !== undefined) errors.push(`${file}:${line}: id ${parsed.id} is already used on line ${earlier}`);
    seen.set(parsed.id, line);
    if (parsed.coverage.kind === 'scripts') {
      for (const s of parsed.coverage.scripts) if (!existsSync(join(root, s))) errors.push(`${file}:${line}: ${parsed.id} names ${s}, which does not exist`);
    }
    clauses.push(parsed);
  });
  if (!header) errors.push(`${file}: no header line (${COLUMNS.join(' TAB ')})`);
  return { clauses, errors };
}

/** Reads the index of the checkout at `root`; a missing file is one error, not a throw. */
export function loadIndex(root: string, file = INDEX_PATH): ClauseIndex {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (err) {
    return { clauses: [], errors: [`cannot read ${file}: ${(err as Error).message}`] };
  }
  return parseIndex(text, file, root);
}

/** Every script the index names, once each, in index order. */
export function indexScripts(clauses: readonly Clause[]): string[] {
  return [...new Set(clauses.flatMap((c) => (c.coverage.kind === 'scripts' ? c.coverage.scripts : [])))];
}
