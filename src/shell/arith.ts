// Shell arithmetic ($((…)), as POSIX sh evaluates it): the text is first expanded (parameters,
// command substitutions), then parsed and evaluated here as C expressions on 64-bit signed
// integers (BigInt, so 1<<40 and 15*1024*1024*1024 are exact). Variables are read as numbers.
import { parseCInteger } from '../sys/c-integer.js';
import { ShellError } from './errors.js';

export interface ArithScope {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

/** The integer a text means as sh reads numbers (decimal, 0x hex, 0 octal; empty: 0). */
export function parseShellInt(text: string, name: string): bigint {
  const t = text.trim();
  if (t === '') return 0n;
  const v = parseCInteger(t, '+-');
  if (v === undefined) throw new ShellError(`Illegal number: ${name}`, 2);
  return wrap(v);
}

const truth = (b: boolean): bigint => (b ? 1n : 0n);

function binary(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+': return wrap(a + b);
    case '-': return wrap(a - b);
    case '*': return wrap(a * b);
    case '/': if (b === 0n) throw new ShellError('division by zero', 2); return wrap(a / b);
    case '%': if (b === 0n) throw new ShellError('division by zero', 2); return wrap(a % b);
    case '**': if (b < 0n) throw new ShellError('exponent less than 0', 2); return wrap(a ** b);
    case '<<': return wrap(a << (b & 63n));
    case '>>': return wrap(a >> (b & 63n));
    case '<': return truth(a < b);
    case '<=': return truth(a <= b);
    case '>': return truth(a > b);
    case '>=': return truth(a >= b);
    case '==': return truth(a === b);
    case '!=': return truth(a !== b);
    case '&': return wrap(a & b);
    case '|': return wrap(a | b);
    case '^': return wrap(a ^ b);
    default: throw new ShellError(`unknown operator ${op}`, 2);
  }
}

/** Binary operators by precedence, loosest first (C's order; `**` binds tighter than `*`). */
const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'], ['**']];
const TOKEN = /\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*|\*\*=?|<<=|>>=|\+\+|--|&&|\|\||[<>=!]=|<<|>>|[-+*/%&|^]=|[-+*/%<>&|^!~?:=(),])/y;

/** Evaluates already-expanded arithmetic text; dash (`sh`) has no ++ and --. Errors as dash words them. */
export function evalArithText(text: string, scope: ArithScope, dialect: 'sh' | 'bash' = 'sh'): bigint {
  try {
    return evaluate(text, scope, dialect);
  } catch (e) {
    if (e instanceof ShellError && !e.message.startsWith('Illegal number')) throw new ShellError(`arithmetic expression: ${e.message}: "${text}"`, 2);
    throw e;
  }
}

function evaluate(text: string, scope: ArithScope, dialect: 'sh' | 'bash'): bigint {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new ShellError(`expecting primary`, 2);
    // dash reads ++ and -- as two signs, and has no **.
    if (dialect === 'sh' && (m[1] === '++' || m[1] === '--' || m[1] === '**')) tokens.push(m[1][0]!, m[1][0]!);
    else if (dialect === 'sh' && m[1] === '**=') tokens.push('*', '*=');
    else tokens.push(m[1]!);
    at = TOKEN.lastIndex;
  }
  if (tokens.length === 0) return 0n;
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const expect = (t: string): void => {
    if (tokens[i] !== t) throw new ShellError(`expecting "${t}"`, 2);
    i++;
  };
  // `skip` evaluates nothing (the untaken side of &&, ||, ?:) but still parses.
  const comma = (skip: boolean): bigint => {
    let v = assign(skip);
    while (peek() === ',') { i++; v = assign(skip); }
    return v;
  };
  const assign = (skip: boolean): bigint => {
    const name = tokens[i];
    const op = tokens[i + 1];
    if (name && /^[A-Za-z_]/.test(name) && op && /^(=|[-+*/%&|^]=|<<=|>>=|\*\*=)$/.test(op)) {
      i += 2;
      const right = assign(skip);
      if (skip) return 0n;
      const value = op === '=' ? right : binary(op.slice(0, -1), variable(name), right);
      scope.set(name, String(value));
      return value;
    }
    return ternary(skip);
  };
  const ternary = (skip: boolean): bigint => {
    const c = level(0, skip);
    if (peek() !== '?') return c;
    i++;
    const a = assign(skip || c === 0n);
    expect(':');
    const b = assign(skip || c !== 0n);
    return c !== 0n ? a : b;
  };
  const level = (n: number, skip: boolean): bigint => {
    if (n === LEVELS.length) return unary(skip);
    let v = level(n + 1, skip);
    for (;;) {
      const op = peek();
      if (op === undefined || !LEVELS[n]!.includes(op)) return v;
      i++;
      if (op === '&&') { const r = level(n + 1, skip || v === 0n); v = truth(v !== 0n && r !== 0n); continue; }
      if (op === '||') { const r = level(n + 1, skip || v !== 0n); v = truth(v !== 0n || r !== 0n); continue; }
      // ** is right-associative.
      const r = op === '**' ? level(n, skip) : level(n + 1, skip);
      v = skip ? 0n : binary(op, v, r);
    }
  };
  const variable = (name: string): bigint => {
    const value = scope.get(name) ?? '';
    return parseShellInt(value, value);
  };
  const unary = (skip: boolean): bigint => {
    const t = peek();
    if (t === '++' || t === '--') {
      i++;
      const name = tokens[i++];
      if (!name || !/^[A-Za-z_]/.test(name)) throw new ShellError(`${t} needs a variable`, 2);
      if (skip) return 0n;
      const v = wrap(variable(name) + (t === '++' ? 1n : -1n));
      scope.set(name, String(v));
      return v;
    }
    if (t === '-' || t === '+' || t === '!' || t === '~') {
      i++;
      const v = unary(skip);
      return t === '-' ? wrap(-v) : t === '+' ? v : t === '!' ? truth(v === 0n) : wrap(~v);
    }
    return postfix(skip);
  };
  const postfix = (skip: boolean): bigint => {
    const t = tokens[i++];
    if (t === undefined) throw new ShellError(`expecting primary`, 2);
    if (t === '(') { const v = comma(skip); expect(')'); return v; }
    if (/^\d/.test(t)) return parseShellInt(t, t);
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '++' || peek() === '--') {
        const op = tokens[i++]!;
        if (skip) return 0n;
        const old = variable(t);
        scope.set(t, String(wrap(old + (op === '++' ? 1n : -1n))));
        return old;
      }
      return skip ? 0n : variable(t);
    }
    throw new ShellError(`expecting primary`, 2);
  };
  const v = comma(false);
  if (i < tokens.length) throw new ShellError(`expecting EOF`, 2);
  return v;
}
