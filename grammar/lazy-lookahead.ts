// Chevrotain's LL(k) lookahead, with each decision's function built the first time the parser
// reaches it instead of all of them in performSelfAnalysis(). Building them is the largest part
// of the parser's construction (~150 ms of CPU at every start, for ~600 decisions), and a script
// reaches only the decisions of the statements it uses: `check` of one script builds a few dozen.
// The functions built are Chevrotain's own (LLkLookaheadStrategy), from the same grammar
// recording, so the parser decides exactly as an eager one; the grammar validations are the
// strategy's too and run unchanged when they are not skipped (grammar/checked.ts).

import { LLkLookaheadStrategy, type ILookaheadStrategy, type ILookaheadValidationError, type IOrAlt, type Rule } from 'chevrotain';

type AlternationOptions = Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<ILookaheadStrategy['buildLookaheadForOptional']>[0];
type ValidateOptions = Parameters<ILookaheadStrategy['validate']>[0];
type AlternationLookahead = (orAlts?: IOrAlt<unknown>[]) => number | undefined;

export class LazyLookahead implements ILookaheadStrategy {
  private readonly eager: ILookaheadStrategy;

  constructor(maxLookahead: number) {
    this.eager = new LLkLookaheadStrategy({ maxLookahead });
  }

  validate(options: ValidateOptions): ILookaheadValidationError[] {
    return this.eager.validate(options);
  }

  initialize(options: { rules: Rule[] }): void {
    this.eager.initialize?.(options);
  }

  buildLookaheadForAlternation(options: AlternationOptions): AlternationLookahead {
    const eager = this.eager;
    let built: AlternationLookahead | undefined;
    // Chevrotain calls the function with the parser as `this` (it reads the parser's LA()).
    return function (this: unknown, orAlts) {
      built ??= eager.buildLookaheadForAlternation(options) as AlternationLookahead;
      return built.call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: OptionalOptions): () => boolean {
    const eager = this.eager;
    let built: (() => boolean) | undefined;
    return function (this: unknown) {
      built ??= eager.buildLookaheadForOptional(options);
      return built.call(this);
    };
  }
}
