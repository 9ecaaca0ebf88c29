// Whether Chevrotain's grammar checks (ambiguous alternatives, left recursion, lexer patterns) may
// be skipped when building the parser and the lexer: they are ~40% of that cost at every start.
// True only in the bundled CLI: scripts/bundle.ts defines MPTCPDRILL_GRAMMAR_CHECKED after building
// this very grammar with every check on, so a grammar that fails them never gets bundled. The
// tests and the unbundled modules always run them.

declare const MPTCPDRILL_GRAMMAR_CHECKED: boolean | undefined;

export const grammarChecked: boolean = typeof MPTCPDRILL_GRAMMAR_CHECKED === 'boolean' && MPTCPDRILL_GRAMMAR_CHECKED;

// The grammar's recording and lookahead paths (grammar/analysis.ts), JSON, made by the same
// bundling from the same checked grammar; undefined outside the bundle, where the parser records
// and analyses as Chevrotain does.
declare const MPTCPDRILL_GRAMMAR_ANALYSIS: string | undefined;

export const storedAnalysisJson: string | undefined = typeof MPTCPDRILL_GRAMMAR_ANALYSIS === 'string' ? MPTCPDRILL_GRAMMAR_ANALYSIS : undefined;
