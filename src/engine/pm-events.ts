// An expected path-manager event (docs/language.md §6.5) judged against the one the target saw:
// the type, then each attribute the line writes (the others are not looked at). Addresses compare
// as addresses, a connection named by its socket (`conn=FD`) or a key (`token=sha256_32(skey)`)
// by its token.
import type { Expr, NamedArg, PmEventAction } from '../script/ast.js';
import { PM_EVENT_ATTRS } from '../script/pm-events.js';
import type { PmEvent } from '../targets/pm.js';
import { formatAddress, parseAddress } from '../wire/addr.js';
import { CallError, tryInt } from './syscalls/expr.js';

export interface EventContext {
  /** The token of the connection of script fd `fd`. */
  connToken(fd: number, range: NamedArg['range']): number | undefined;
  /** The token of key `name` the packets named, hashed as `alg` does (MP_JOIN's `token=sha256_32(NAME)`). */
  keyToken(name: string, alg: 'sha1' | 'sha256'): number | undefined;
}

/** The number a token argument stands for: as written, or the token of a named key. */
export function tokenValue(e: Expr, ctx: Pick<EventContext, 'keyToken'>): number {
  if (e.kind === 'call' && e.args[0]?.kind === 'symbol') {
    const name = e.args[0].name;
    const t = ctx.keyToken(name, e.fn === 'sha1_32' ? 'sha1' : 'sha256');
    if (t === undefined) throw new CallError(`key name ${name} is not bound yet (no earlier line gave it a value)`, e.args[0].range);
    return t;
  }
  const v = tryInt(e);
  if (v === undefined) throw new CallError('expected a number', e.range);
  return Number(v);
}

function expectedValue(a: NamedArg, ctx: EventContext): number | string {
  switch (PM_EVENT_ATTRS[a.name]) {
    case 'addr': {
      const text = a.value.kind === 'string' ? a.value.value : '';
      const p = parseAddress(text);
      return p ? formatAddress(p.bytes) : text;
    }
    case 'fd': {
      const t = ctx.connToken(Number(tryInt(a.value) ?? -1), a.range);
      if (t === undefined) throw new CallError(`script fd ${tryInt(a.value)} is not an MPTCP connection with a token`, a.value.range);
      return t;
    }
    case 'token': return tokenValue(a.value, ctx);
    default: return tokenValue(a.value, ctx);
  }
}

/** Why `live` is not the event `line` expects, or undefined when it is. */
export function eventMismatch(line: PmEventAction, live: PmEvent, ctx: EventContext): string | undefined {
  if (live.type !== line.type) return `expected event ${line.type} but got ${live.type}`;
  for (const a of line.named) {
    if (a.value.kind === 'ellipsis') continue;
    const want = expectedValue(a, ctx);
    const field = a.name === 'conn' ? 'token' : a.name;
    const got = live.attrs[field];
    if (got !== want) return `event ${line.type} field ${field}: expected: ${want} vs actual: ${got ?? '(absent)'}`;
  }
  return undefined;
}
