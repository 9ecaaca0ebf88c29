// The arguments of a path-manager command (`pm_add_addr(addr="10.0.0.2", id=2, flags=signal|backup)`,
// docs/language.md §6.4): all named; `flags=` takes the endpoint flag names of `ip mptcp endpoint`
// (include/uapi/linux/mptcp_pm.h MPTCP_PM_ADDR_FLAG_*) or a number.
import type { CstNode, IToken } from 'chevrotain';
import type { Expr, NamedArg, PmCall, SymbolExpr } from './ast.js';
import type { Reporter } from './checks/report.js';
import { node, nodeRange, tok, tokenRange, type Ctx } from './build-util.js';
import { tokensOf } from './build-counter.js';
import { PM_FLAGS, type PmFlagName } from '../targets/pm.js';
import { PM_CALLS, type PmArgKind } from './pm-commands.js';

/** `signal|subflow|backup`: each word a flag, or a number. */
function flagsArg(n: CstNode, sink: Reporter): Expr {
  const terms: Expr[] = [];
  for (const t of tokensOf(n)) {
    if (t.tokenType.name === 'Pipe') continue;
    terms.push(flagTerm(t, sink));
  }
  return terms.length === 1 ? terms[0]! : { kind: 'or', terms, range: nodeRange(n) };
}

function flagTerm(t: IToken, sink: Reporter): Expr {
  const range = tokenRange(t);
  if (/^(?:0[xX][0-9a-fA-F]+|\d+)$/.test(t.image)) return { kind: 'int', value: BigInt(t.image), hex: /^0[xX]/.test(t.image), range };
  if (Object.hasOwn(PM_FLAGS, t.image)) return { kind: 'symbol', name: t.image, value: BigInt(PM_FLAGS[t.image as PmFlagName]), range } satisfies SymbolExpr;
  sink.error('pm-flag', range, `unknown endpoint flag '${t.image}': the flags are ${Object.keys(PM_FLAGS).join(', ')} (joined with |) or a number`);
  return { kind: 'int', value: 0n, hex: false, range };
}

/** `token=sha256_32(skey)`: the token of a key the packets name (resolved when the line runs). */
function tokenArg(n: CstNode, visit: (n: CstNode) => Expr): Expr {
  const t = tokensOf(n);
  if (t.length === 4 && /^sha(?:256|1)_32$/.test(t[0]!.image) && t[1]!.tokenType.name === 'LParen' && t[3]!.tokenType.name === 'RParen') {
    return { kind: 'call', fn: t[0]!.image, args: [{ kind: 'symbol', name: t[2]!.image, value: 0n, range: tokenRange(t[2]!) }], range: nodeRange(n) };
  }
  return visit(n);
}

/** Each `name=value` of a PM command; a positional argument or an unknown name is an error. */
export function pmArgs(call: PmCall, args: CstNode[], visit: (n: CstNode) => Expr, sink: Reporter): NamedArg[] {
  return namedArgs(call, PM_CALLS[call].args, args, visit, sink);
}

/** `name=value` arguments of `what` (a PM command or event) whose names and kinds `spec` gives. */
export function namedArgs(what: string, specArgs: Readonly<Record<string, PmArgKind>>, args: CstNode[], visit: (n: CstNode) => Expr, sink: Reporter): NamedArg[] {
  const spec = { args: specArgs };
  const call = what;
  const out: NamedArg[] = [];
  for (const a of args) {
    const ctx = a.children as Ctx;
    const name = tok(ctx, 'name');
    const valueNode = node(ctx, 'value')!;
    if (!name) {
      sink.error('pm-positional', nodeRange(a), `${call} takes named arguments (${Object.keys(spec.args).map((k) => `${k}=`).join(', ') || 'none'})`);
      continue;
    }
    const kind = spec.args[name.image];
    if (kind === undefined) {
      sink.error('pm-argument', tokenRange(name), `${call} has no argument '${name.image}' (it takes ${Object.keys(spec.args).join(', ') || 'none'})`);
      continue;
    }
    if (out.some((x) => x.name === name.image)) sink.error('pm-argument', tokenRange(name), `${call}: '${name.image}' is written twice`);
    const value = kind === 'flags' ? flagsArg(valueNode, sink) : kind === 'token' ? tokenArg(valueNode, visit) : visit(valueNode);
    out.push({ name: name.image, nameRange: tokenRange(name), value, range: nodeRange(a) });
  }
  return out;
}
