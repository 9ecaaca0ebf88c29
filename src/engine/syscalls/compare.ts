// Judging a call's result against the line: return value, errno by name, then the outputs
// the script wrote. Sentences follow upstream's ("Expected result 0 but got -1 with errno 111
// (Connection refused)"), since CI logs are grepped for them.

import type { SyscallAction } from '../../script/ast.js';
import type { SyscallResult } from '../../targets/target.js';
import { errnoText, sameErrno } from './errno-text.js';
import { isEllipsis, tryInt } from './expr.js';
import type { FdTable } from './fd-table.js';
import type { LoweredCall } from './lower.js';

function gotText(r: SyscallResult): string {
  return r.ret === -1 && r.errno ? `-1 with errno ${errnoText(r.errno)}` : `${r.ret}`;
}

/** A sentence describing how the result differs from the line, or undefined when it matches. */
export function compareResult(action: SyscallAction, call: Pick<LoweredCall, 'creates' | 'checks'>, r: SyscallResult): string | undefined {
  const e = action.expectedReturn;
  if (!isEllipsis(e)) {
    const exp = tryInt(e);
    if (exp === undefined) return `cannot evaluate the expected result`;
    // A call that creates an fd is right when it succeeds where the script expects an fd: the
    // script's number is mapped to whatever the target returned.
    const fdOk = call.creates?.kind === 'ret' && exp >= 0n && r.ret >= 0;
    if (!fdOk && BigInt(r.ret) !== exp) return `Expected result ${exp} but got ${gotText(r)}`;
  }
  const want = action.expectedErrno;
  if (want && r.ret === -1) {
    if (!r.errno || !sameErrno(want.name, r.errno)) {
      return `Expected errno ${errnoText(want.name)} but got ${r.errno ? errnoText(r.errno) : 'none'}`;
    }
  }
  for (const check of call.checks) {
    const m = check(r);
    if (m) return m;
  }
  return undefined;
}

/** Records the fds a successful call created or closed. */
export function applyFdEffects(action: SyscallAction, call: LoweredCall, r: SyscallResult, fds: FdTable): void {
  if (r.ret < 0) return;
  if (call.creates?.kind === 'ret') {
    const scriptFd = tryInt(action.expectedReturn);
    if (scriptFd !== undefined && scriptFd >= 0n) fds.add(Number(scriptFd), { ...call.creates.info, target: r.ret }, action.expectedReturn.range);
  } else if (call.creates?.kind === 'out' && r.out?.kind === 'fds') {
    call.creates.scriptFds.forEach((s, i) => {
      const t = r.out?.kind === 'fds' ? r.out.fds[i] : undefined;
      if (t !== undefined) fds.add(s, { ...call.creates!.info, target: t }, action.range);
    });
  }
  if (call.closes !== undefined) fds.remove(call.closes);
}
