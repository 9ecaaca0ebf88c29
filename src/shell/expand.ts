// Word expansion as POSIX sh does it: parameters, command substitution, arithmetic, then field
// splitting of what was unquoted, pathname expansion, quote removal.
import type { ParameterExpansionPart, ScriptNode, WordNode, WordPart } from './ast.js';
import { evalArithText, type ArithScope } from './arith.js';
import { ShellError, Unsupported } from './errors.js';
import { hasGlob, removePattern, type PatternPiece } from './pattern.js';

export interface ExpandScope extends ArithScope {
  /** $1…, $#, $@, $*, $?, $$, $!, $-, $0 and variables; undefined when unset. */
  param(name: string): string | undefined;
  positional(): string[];
  /** Runs the text's commands in a subshell and returns their standard output. */
  substitute(body: ScriptNode): string;
  /** The text inside $((…)) with its parameters and command substitutions expanded. */
  arithText(text: string): string;
  dialect: 'sh' | 'bash';
  nounset: boolean;
  /** IFS (default: space, tab, newline). */
  ifs(): string;
}

/** A field under construction: pieces remember whether they were quoted (for globbing). */
type Field = PatternPiece[];

/** An expansion result: text, and whether it came from a quoted context. */
interface Chunk {
  text: string;
  quoted: boolean;
  /** Unquoted expansion results are split on IFS; literal text is not. */
  split: boolean;
  /** "$@" with no parameters: no field at all, unless something else is in the word. */
  vanish?: boolean;
}

/** A field break forced by "$@". */
const BREAK: Chunk = { text: '', quoted: true, split: false };

/** The value of ${…} as one string (the "$@"-in-quotes case is handled by the caller). */
function expandParameter(part: ParameterExpansionPart, x: ExpandScope): string {
  const op = part.operation;
  const name = part.parameter;
  const value = x.param(name);
  const isSet = value !== undefined;
  if (!op) {
    if (!isSet && x.nounset && !['@', '*'].includes(name)) throw new ShellError(`${name}: parameter not set`, 2);
    return value ?? '';
  }
  const empty = (checkEmpty: boolean): boolean => !isSet || (checkEmpty && value === '');
  switch (op.type) {
    case 'DefaultValue': return empty(op.checkEmpty) ? expandToString(op.word, x) : value!;
    case 'AssignDefault': {
      if (!empty(op.checkEmpty)) return value!;
      const v = expandToString(op.word, x);
      if (/^\d+$|^[@*#?$!-]$/.test(name)) throw new ShellError(`${name}: bad variable name`, 2);
      x.set(name, v);
      return v;
    }
    case 'ErrorIfUnset': {
      if (!empty(op.checkEmpty)) return value!;
      const msg = op.word ? expandToString(op.word, x) : 'parameter not set';
      throw new ShellError(`${name}: ${msg}`, 2);
    }
    case 'UseAlternative': return empty(op.checkEmpty) ? '' : expandToString(op.word, x);
    case 'Length': {
      if (!isSet && x.nounset) throw new ShellError(`${name}: parameter not set`, 2);
      return String([...(name === '@' || name === '*' ? String(x.positional().length) : value ?? '')].length);
    }
    case 'PatternRemoval': {
      if (!isSet && x.nounset) throw new ShellError(`${name}: parameter not set`, 2);
      return removePattern(value ?? '', expandPattern(op.pattern, x), op.side, op.greedy);
    }
    default:
      throw new Unsupported(`\${…} with ${op.type}`);
  }
}

/** The chunks of one part. */
function partChunks(part: WordPart, x: ExpandScope, inQuotes: boolean): Chunk[] {
  switch (part.type) {
    case 'Literal': return [{ text: part.value, quoted: inQuotes, split: false }];
    case 'SingleQuoted': return [{ text: part.value, quoted: true, split: false }];
    case 'Escaped': return [{ text: part.value, quoted: true, split: false }];
    case 'Glob': return [{ text: part.pattern, quoted: inQuotes, split: false }];
    case 'TildeExpansion': {
      if (inQuotes) return [{ text: part.user === null ? '~' : `~${part.user}`, quoted: true, split: false }];
      if (part.user !== null) throw new Unsupported('~user');
      return [{ text: x.param('HOME') ?? '~', quoted: true, split: false }];
    }
    case 'DoubleQuoted': {
      const out: Chunk[] = [];
      for (const p of part.parts) {
        if (p.type === 'ParameterExpansion' && p.parameter === '@' && !p.operation) {
          // "$@": one field per positional parameter.
          x.positional().forEach((arg, i) => { if (i > 0) out.push(BREAK); out.push({ text: arg, quoted: true, split: false }); });
          if (x.positional().length === 0) out.push({ text: '', quoted: true, split: false, vanish: true });
          continue;
        }
        out.push(...partChunks(p, x, true));
      }
      if (out.length === 0) out.push({ text: '', quoted: true, split: false });
      return out;
    }
    case 'ParameterExpansion': {
      if (part.parameter === '*' || part.parameter === '@') {
        if (!part.operation) {
          const sep = inQuotes ? (x.ifs()[0] ?? '') : ' ';
          return [{ text: x.positional().join(sep), quoted: inQuotes, split: !inQuotes }];
        }
      }
      return [{ text: expandParameter(part, x), quoted: inQuotes, split: !inQuotes }];
    }
    case 'CommandSubstitution':
      return [{ text: x.substitute(part.body).replace(/\n+$/, ''), quoted: inQuotes, split: !inQuotes }];
    case 'ArithmeticExpansion': {
      const text = part.expression.originalText;
      if (text === undefined) throw new Unsupported('$((…)) without its text');
      return [{ text: String(evalArithText(x.arithText(text), x, x.dialect)), quoted: inQuotes, split: !inQuotes }];
    }
    default:
      throw new Unsupported(`${part.type} in a word`);
  }
}

/** Fields of a word after splitting (before pathname expansion). */
function splitFields(chunks: Chunk[], ifs: string): Field[] {
  const fields: Field[] = [];
  let current: Field | undefined;
  const white = [...ifs].filter((c) => c === ' ' || c === '\t' || c === '\n').join('');
  const add = (text: string, quoted: boolean): void => {
    current ??= [];
    if (text !== '' || quoted) current.push({ text, quoted });
  };
  const finish = (): void => {
    if (current) fields.push(current);
    current = undefined;
  };
  for (const c of chunks) {
    if (c === BREAK) { current ??= []; finish(); current = []; continue; }
    if (c.vanish) { if (!current || current.length === 0) current = undefined; continue; }
    if (!c.split || ifs === '') { add(c.text, c.quoted); continue; }
    let i = 0;
    const t = c.text;
    while (i < t.length) {
      const ch = t[i]!;
      if (ifs.includes(ch)) {
        // A run of IFS white space (with at most one other IFS character) is one delimiter.
        let j = i;
        let hard = false;
        while (j < t.length && ifs.includes(t[j]!)) {
          if (!white.includes(t[j]!)) { if (hard) break; hard = true; }
          j++;
        }
        if (current && current.length > 0) finish();
        else if (hard) { current = [{ text: '', quoted: true }]; finish(); }
        i = j;
        continue;
      }
      let j = i;
      while (j < t.length && !ifs.includes(t[j]!)) j++;
      add(t.slice(i, j), false);
      i = j;
    }
  }
  finish();
  return fields.filter((f) => f.length > 0);
}

const fieldText = (f: Field): string => f.map((p) => p.text).join('');

/** The fields a command word expands to (pathname expansion by `glob`). */
export function expandWordFields(word: WordNode, x: ExpandScope, glob: (pattern: Field) => string[] | undefined): string[] {
  const chunks = word.parts.flatMap((p) => partChunks(p, x, false));
  const out: string[] = [];
  for (const f of splitFields(chunks, x.ifs())) {
    const matches = hasGlob(f) ? glob(f) : undefined;
    if (matches && matches.length > 0) out.push(...matches);
    else out.push(fieldText(f));
  }
  return out;
}

/** A word expanded as one string, without field splitting or globbing (assignments, here-strings). */
export function expandToString(word: WordNode, x: ExpandScope): string {
  return word.parts.flatMap((p) => partChunks(p, x, false)).map((c) => c.text).join('');
}

/** A word expanded as a pattern (case items, ${x#…}): quoted parts match literally. */
export function expandPattern(word: WordNode, x: ExpandScope): PatternPiece[] {
  return word.parts.flatMap((p) => partChunks(p, x, false)).map((c) => ({ text: c.text, quoted: c.quoted }));
}

/** Here-document text: parameters, commands and arithmetic expanded, nothing split. */
export function expandHereDoc(word: WordNode, x: ExpandScope): string {
  return word.parts.flatMap((p) => partChunks(p, x, true)).map((c) => c.text).join('');
}
