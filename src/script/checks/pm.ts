// Path-manager command lines (docs/language.md §6.4): the arguments each needs, values of the
// right shape (an address string, a number, a script fd), and a result like a syscall's.
import { isIP } from 'node:net';
import type { Expr, NamedArg, PmEventAction, SyscallAction } from '../ast.js';
import { PM_EVENT_ATTRS } from '../pm-events.js';
import { isPmCall, PM_CALLS, type PmArgKind } from '../pm-commands.js';
import type { Reporter } from './report.js';

const isNumber = (e: Expr): boolean => e.kind === 'int' || e.kind === 'binary';

export function checkPmCall(call: SyscallAction, r: Reporter): void {
  if (!isPmCall(call.name)) return;
  const spec = PM_CALLS[call.name];
  const named = call.named ?? [];
  for (const need of spec.required) {
    if (!named.some((a) => need.includes(a.name))) {
      r.error('pm-missing-argument', call.nameRange, `${call.name} needs ${need.map((n) => `${n}=`).join(' or ')}`);
    }
  }
  if (named.some((a) => a.name === 'conn') && named.some((a) => a.name === 'token')) {
    r.error('pm-argument', call.nameRange, `${call.name}: write conn= (the connection's socket) or token=, not both`);
  }
  checkNamedValues(named, spec.args, r);
  const e = call.expectedReturn;
  if (!(e.kind === 'int' && (e.value === 0n || e.value === -1n)) && e.kind !== 'ellipsis') {
    r.error('pm-result', e.range, `${call.name} returns 0, or -1 with an errno (e.g. "= -1 EINVAL")`);
  }
}

/** An event line (§6.5): at most one way to name the connection, values of the right shape. */
export function checkPmEvent(ev: PmEventAction, r: Reporter): void {
  if (ev.named.some((a) => a.name === 'conn') && ev.named.some((a) => a.name === 'token')) {
    r.error('pm-argument', ev.typeRange, `event ${ev.type}: write conn= (the connection's socket) or token=, not both`);
  }
  // `name=...` on an event line checks nothing.
  checkNamedValues(ev.named.filter((a) => a.value.kind !== 'ellipsis'), PM_EVENT_ATTRS, r);
}

function checkNamedValues(named: readonly NamedArg[], args: Readonly<Record<string, PmArgKind>>, r: Reporter): void {
  for (const a of named) {
    const kind = args[a.name];
    if (kind === 'token' && a.value.kind === 'call') continue;
    if (kind === 'addr' && !(a.value.kind === 'string' && isIP(a.value.value) !== 0)) {
      r.error('pm-address', a.value.range, `${a.name}= takes an IPv4 or IPv6 address in quotes, e.g. ${a.name}="192.0.2.2"`);
    }
    // `port=...`: the port of the subflow the script saw (an ephemeral one).
    if (a.name === 'port' && a.value.kind === 'ellipsis') continue;
    if ((kind === 'int' || kind === 'fd' || kind === 'token') && !isNumber(a.value)) {
      r.error('pm-number', a.value.range, `${a.name}= takes a number${kind === 'fd' ? ' (the script fd of an MPTCP socket)' : kind === 'token' ? ', or sha256_32(KEY) / sha1_32(KEY) of a key the packets name' : ''}`);
    }
  }
}
