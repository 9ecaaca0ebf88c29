// The node types of just-bash's AST that its package index does not export, derived from those it does.
import type { CommandNode, PipelineNode, ScriptNode, SimpleCommandNode, StatementNode, WordNode } from 'just-bash';

export type { CommandNode, PipelineNode, ScriptNode, SimpleCommandNode, StatementNode, WordNode };
export type RedirectionNode = SimpleCommandNode['redirections'][number];
export type WordPart = WordNode['parts'][number];
export type FunctionDefNode = Extract<CommandNode, { type: 'FunctionDef' }>;
export type CompoundCommandNode = Exclude<CommandNode, SimpleCommandNode | FunctionDefNode>;
export type ParameterExpansionPart = Extract<WordPart, { type: 'ParameterExpansion' }>;
export type ArithExpr = Extract<WordPart, { type: 'ArithmeticExpansion' }>['expression']['expression'];
