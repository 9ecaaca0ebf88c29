// Lookahead functions made from stored paths (grammar/analysis.ts) instead of from the grammar's
// analysis at every start. The functions decide as Chevrotain's LL(k) ones do
// (chevrotain/lib/src/parse/grammar/lookahead.js: buildAlternativesLookAheadFunc and
// buildSingleAlternativeLookaheadFunction, which the package does not export): an alternative is
// taken when one of its paths matches the next tokens, first alternative first, its gate (a
// predicate) consulted before its paths; a decision whose paths are all one token long is a table
// lookup. A decision missing from the stored paths falls back to Chevrotain's own (LazyLookahead).

import { tokenMatcher, type ILookaheadStrategy, type ILookaheadValidationError, type IOrAlt, type IToken, type TokenType } from 'chevrotain';
import { decisionKey, type StoredPaths } from './analysis.js';
import { LazyLookahead } from './lazy-lookahead.js';

type AlternationOptions = Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<ILookaheadStrategy['buildLookaheadForOptional']>[0];
type ValidateOptions = Parameters<ILookaheadStrategy['validate']>[0];
type AlternationLookahead = (orAlts?: IOrAlt<unknown>[]) => number | undefined;
/** The parser as a lookahead function sees it (`this`). */
interface Lookahead { LA(i: number): IToken }
type Paths = TokenType[][];

export class StoredLookahead implements ILookaheadStrategy {
  private readonly fallback: LazyLookahead;
  /** Decisions that had no stored paths (made by Chevrotain instead): none for a current analysis. */
  readonly missing: string[] = [];

  constructor(
    private readonly stored: StoredPaths,
    private readonly tokensByName: ReadonlyMap<string, TokenType>,
    maxLookahead: number,
  ) {
    this.fallback = new LazyLookahead(maxLookahead);
  }

  validate(options: ValidateOptions): ILookaheadValidationError[] {
    return this.fallback.validate(options);
  }

  initialize(options: Parameters<NonNullable<ILookaheadStrategy['initialize']>>[0]): void {
    this.fallback.initialize(options);
  }

  /**
   * The stored paths of a decision as token types, or undefined (recorded in `missing`). Only the
   * key is looked up here: Chevrotain asks for every decision when the parser is built, and a
   * script reaches a few dozen, so the paths are converted when the decision is first taken.
   */
  private paths(rule: string, kind: string, occurrence: number): (() => Paths[]) | undefined {
    const key = decisionKey(rule, kind, occurrence);
    const names = this.stored[key];
    if (!names) {
      this.missing.push(key);
      return undefined;
    }
    return () => names.map((alt) => alt.map((path) => path.map((n) => {
      const t = this.tokensByName.get(n);
      if (!t) throw new Error(`stored lookahead: token ${n} is not in the grammar`);
      return t;
    })));
  }

  buildLookaheadForAlternation(options: AlternationOptions): AlternationLookahead {
    const alts = this.paths(options.rule.name, 'Alternation', options.prodOccurrence);
    if (!alts) return this.fallback.buildLookaheadForAlternation(options);
    let built: AlternationLookahead | undefined;
    return function (this: Lookahead, orAlts) {
      built ??= alternativesLookahead(alts(), options.hasPredicates, options.dynamicTokensEnabled);
      return built.call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: OptionalOptions): () => boolean {
    const alts = this.paths(options.rule.name, String(options.prodType), options.prodOccurrence);
    if (!alts) return this.fallback.buildLookaheadForOptional(options);
    let built: (() => boolean) | undefined;
    return function (this: Lookahead) {
      built ??= singleAlternativeLookahead(alts()[0] ?? [], options.dynamicTokensEnabled);
      return built.call(this);
    };
  }
}

function matches(parser: Lookahead, path: readonly TokenType[]): boolean {
  for (let i = 0; i < path.length; i++) if (!tokenMatcher(parser.LA(i + 1), path[i]!)) return false;
  return true;
}

/** Token type index → the first alternative one-token paths give it (categories included). */
function oneTokenTable(alts: readonly Paths[]): Map<number, number> {
  const table = new Map<number, number>();
  alts.forEach((alt, idx) => {
    for (const path of alt) {
      const t = path[0]!;
      for (const i of [t.tokenTypeIdx!, ...((t as { categoryMatches?: number[] }).categoryMatches ?? [])]) if (!table.has(i)) table.set(i, idx);
    }
  });
  return table;
}

function alternativesLookahead(alts: readonly Paths[], hasPredicates: boolean, dynamicTokens: boolean): AlternationLookahead {
  if (hasPredicates) {
    return function (this: Lookahead, orAlts) {
      for (let t = 0; t < alts.length; t++) {
        const gate = orAlts?.[t]?.GATE;
        if (gate !== undefined && gate.call(this) === false) continue;
        if (alts[t]!.some((path) => matches(this, path))) return t;
      }
      return undefined;
    };
  }
  if (!dynamicTokens && alts.every((alt) => alt.every((path) => path.length === 1))) {
    const table = oneTokenTable(alts);
    return function (this: Lookahead) {
      return table.get(this.LA(1).tokenTypeIdx);
    };
  }
  return function (this: Lookahead) {
    for (let t = 0; t < alts.length; t++) if (alts[t]!.some((path) => matches(this, path))) return t;
    return undefined;
  };
}

function singleAlternativeLookahead(alt: Paths, dynamicTokens: boolean): () => boolean {
  if (!dynamicTokens && alt.every((path) => path.length === 1)) {
    const table = oneTokenTable([alt]);
    return function (this: Lookahead) {
      return table.has(this.LA(1).tokenTypeIdx);
    };
  }
  return function (this: Lookahead) {
    return alt.some((path) => matches(this, path));
  };
}
