// test(1) / [ … ]: the unary file and string tests, binary string and integer comparisons,
// !, -a, -o and parentheses, parsed as POSIX's rules for the number of arguments say.
import { parseShellInt } from './arith.js';
import { ShellError } from './errors.js';
import type { Streams } from './io.js';
import type { Shell } from './interpreter.js';

const UNARY = new Set(['-e', '-f', '-d', '-r', '-w', '-x', '-s', '-n', '-z', '-L', '-h', '-b', '-c', '-p', '-S', '-t', '-g', '-u', '-k', '-O', '-G']);
const BINARY = new Set(['=', '!=', '==', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>']);

export function testCommand(sh: Shell, args: string[], io: Streams, name: string): number {
  try {
    const p = new TestParser(sh, args, name);
    if (args.length === 0) return 1;
    const v = p.or();
    if (p.pos < args.length) throw new ShellError(`${name}: ${args[p.pos]}: unexpected operator`, 2);
    return v ? 0 : 1;
  } catch (e) {
    if (e instanceof ShellError) { io.stderr.write(`${sh.state.argv0}: ${sh.line}: ${e.message}\n`); return 2; }
    throw e;
  }
}

class TestParser {
  pos = 0;
  constructor(private readonly sh: Shell, private readonly a: string[], private readonly name: string) {}

  or(): boolean {
    let v = this.and();
    while (this.a[this.pos] === '-o') { this.pos++; v = this.and() || v; }
    return v;
  }
  and(): boolean {
    let v = this.not();
    while (this.a[this.pos] === '-a') { this.pos++; v = this.not() && v; }
    return v;
  }
  not(): boolean {
    const rest = this.a.length - this.pos;
    if (this.a[this.pos] === '!' && !(rest === 3 && BINARY.has(this.a[this.pos + 1]!))) { this.pos++; return !this.not(); }
    return this.primary();
  }
  primary(): boolean {
    const a = this.a;
    const t = a[this.pos];
    if (t === undefined) throw new ShellError(`${this.name}: argument expected`, 2);
    if (t === '(' && a.length - this.pos > 2) {
      this.pos++;
      const v = this.or();
      if (a[this.pos] !== ')') throw new ShellError(`${this.name}: closing paren expected`, 2);
      this.pos++;
      return v;
    }
    if (BINARY.has(a[this.pos + 1] ?? '') && this.pos + 2 >= a.length) throw new ShellError(`${this.name}: ${a[this.pos + 1]}: argument expected`, 2);
    if (BINARY.has(a[this.pos + 1] ?? '') && this.pos + 2 < a.length) {
      const [l, op, r] = [t, a[this.pos + 1]!, a[this.pos + 2]!];
      this.pos += 3;
      return this.binary(l, op, r);
    }
    if (UNARY.has(t) && this.pos + 1 < a.length) {
      this.pos += 2;
      return this.unary(t, a[this.pos - 1]!);
    }
    this.pos++;
    return t !== '';
  }
  unary(op: string, x: string): boolean {
    if (op === '-n') return x !== '';
    if (op === '-z') return x === '';
    if (op === '-t') return false;
    const st = this.sh.session.host.stat(this.sh.resolve(x));
    switch (op) {
      case '-e': return st !== undefined;
      case '-f': return st?.file ?? false;
      case '-d': return st?.dir ?? false;
      case '-r': return st?.readable ?? false;
      case '-w': return st?.writable ?? false;
      case '-x': return st?.executable ?? false;
      case '-s': return (st?.size ?? 0) > 0;
      default: return false;
    }
  }
  binary(l: string, op: string, r: string): boolean {
    switch (op) {
      case '=':
      case '==': return l === r;
      case '!=': return l !== r;
      case '<': return l < r;
      case '>': return l > r;
      default: {
        const num = (s: string): bigint => {
          if (!/^\s*[+-]?\d+\s*$/.test(s)) throw new ShellError(`test: Illegal number: ${s}`, 2);
          return parseShellInt(s.trim().replace(/^(-?)0+(?=\d)/, '$1'), s);
        };
        const x = num(l);
        const y = num(r);
        return op === '-eq' ? x === y : op === '-ne' ? x !== y : op === '-lt' ? x < y : op === '-le' ? x <= y : op === '-gt' ? x > y : x >= y;
      }
    }
  }
}
