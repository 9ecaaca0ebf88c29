// The parser's grammar analysis, done once when the CLI is bundled instead of at every start.
//
// Building a Chevrotain parser costs two things each process pays again: the "recording" of the
// grammar (every rule run once in a recording mode to build its GAST, the tree of productions) and
// the lookahead paths of each decision (which token sequences pick which alternative), computed
// from the GAST. Both depend only on grammar/parser.ts, so scripts/bundle.ts records them from the
// freshly compiled grammar, with every Chevrotain check on, and embeds the result in the bundle
// (grammar/checked.ts). The bundled parser then rebuilds its GAST from that data instead of
// recording it (replayGast) and makes its lookahead functions from the stored paths
// (grammar/stored-lookahead.ts). The unbundled modules and the tests record and analyse as
// Chevrotain does; test/grammar-analysis.test.ts checks both parsers build the same trees.

import {
  Alternation,
  Alternative,
  getLookaheadPaths,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Rule,
  Terminal,
  type IProduction,
  type TokenType,
} from 'chevrotain';

/** One GAST node as data: its class, its own fields, tokens by name, its children. */
export interface StoredProduction {
  type: ProductionType;
  fields: Record<string, string | number | boolean>;
  tokens?: Record<string, string>;
  definition?: StoredProduction[];
}

/** Per decision (`rule:Kind:occurrence`), per alternative, its paths of token names. */
export type StoredPaths = Record<string, string[][][]>;

export interface GrammarAnalysis {
  rules: StoredProduction[];
  paths: StoredPaths;
}

const CLASSES = {
  Rule,
  NonTerminal,
  Alternative,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Alternation,
  Terminal,
} as const;
type ProductionType = keyof typeof CLASSES;
/** A GAST node with children (all but Terminal; a NonTerminal's are its rule's). */
type Parent = IProduction & { definition: IProduction[] };

/** The kinds of decision Chevrotain gives a lookahead function, by GAST class. */
const DECISIONS: ReadonlyArray<[ProductionType, string]> = [
  ['Alternation', 'Alternation'],
  ['Option', 'Option'],
  ['Repetition', 'Repetition'],
  ['RepetitionMandatory', 'RepetitionMandatory'],
  ['RepetitionMandatoryWithSeparator', 'RepetitionMandatoryWithSeparator'],
  ['RepetitionWithSeparator', 'RepetitionWithSeparator'],
];

/** The key of one decision, as the lookahead strategy sees it (rule name, kind, occurrence). */
export function decisionKey(rule: string, kind: string, occurrence: number): string {
  return `${rule}:${kind}:${occurrence}`;
}

function typeOf(node: IProduction): ProductionType {
  for (const [name, cls] of Object.entries(CLASSES)) if (node.constructor === cls) return name as ProductionType;
  throw new Error(`grammar analysis: unknown GAST node ${node.constructor.name}`);
}

/** Fields that are structure (children, resolved references), not data of the node itself. */
const STRUCTURE = new Set(['_definition', 'definition', 'referencedRule']);

function store(node: IProduction): StoredProduction {
  const type = typeOf(node);
  const fields: Record<string, string | number | boolean> = {};
  const tokens: Record<string, string> = {};
  for (const [k, v] of Object.entries(node)) {
    if (STRUCTURE.has(k) || v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
    else if (v && typeof v === 'object' && 'tokenTypeIdx' in v) tokens[k] = (v as TokenType).name;
    else throw new Error(`grammar analysis: field ${k} of ${type} is not data`);
  }
  const out: StoredProduction = { type, fields };
  if (Object.keys(tokens).length > 0) out.tokens = tokens;
  // A NonTerminal's definition is its rule's (resolved by name): not stored twice.
  if (type !== 'Terminal' && type !== 'NonTerminal') out.definition = (node as Parent).definition.map(store);
  return out;
}

/** Every production of `rule` (not entering other rules), depth first. */
function productions(node: IProduction, out: IProduction[] = []): IProduction[] {
  if (node instanceof NonTerminal || node instanceof Terminal) return out;
  for (const child of (node as Parent).definition) {
    out.push(child);
    productions(child, out);
  }
  return out;
}

/** The analysis of a parser that recorded its grammar (Chevrotain's own GAST and paths). */
export function analyseGrammar(gast: Record<string, Rule>, maxLookahead: number): GrammarAnalysis {
  const rules = Object.values(gast);
  const paths: StoredPaths = {};
  for (const rule of rules) {
    for (const prod of productions(rule)) {
      const type = typeOf(prod);
      const kind = DECISIONS.find(([t]) => t === type)?.[1];
      if (kind === undefined) continue;
      const p = prod as IProduction & { idx: number; maxLookahead?: number };
      const found = getLookaheadPaths({ occurrence: p.idx, rule, prodType: kind as 'Alternation', maxLookahead: p.maxLookahead ?? maxLookahead });
      paths[decisionKey(rule.name, kind, p.idx)] = found.map((alt) => alt.map((path) => path.map((t) => t.name)));
    }
  }
  return { rules: rules.map(store), paths };
}

/** The GAST rules rebuilt from stored data, with their tokens from `tokensByName`. */
export function replayGast(stored: readonly StoredProduction[], tokensByName: ReadonlyMap<string, TokenType>): Map<string, Rule> {
  const build = (s: StoredProduction): IProduction => {
    const options: Record<string, unknown> = { ...s.fields };
    for (const [k, name] of Object.entries(s.tokens ?? {})) {
      const token = tokensByName.get(name);
      if (!token) throw new Error(`grammar analysis: token ${name} is not in the grammar`);
      options[k] = token;
    }
    // Made as the constructors would (they copy their options with lodash's assign/pickBy, a
    // third of this function's cost at start-up) from the stored fields, which include the defaults.
    const node = Object.create(CLASSES[s.type].prototype) as IProduction & { _definition?: IProduction[] };
    if (s.type !== 'Terminal') node._definition = s.definition?.map(build) ?? [];
    return Object.assign(node, options);
  };
  return new Map(stored.map((r) => [r.fields['name'] as string, build(r) as Rule]));
}
