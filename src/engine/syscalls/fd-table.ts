// Script file descriptors (the `3` in `socket(...) = 3`) versus the target's own: the script's
// numbers are stable across targets, the target's are whatever its process hands out.

import { CallError } from './expr.js';
import type { SourceRange } from '../../script/ast.js';

export interface FdInfo {
  target: number;
  kind: 'socket' | 'epoll' | 'pipe' | 'file';
  /** An MPTCP socket (IPPROTO_MPTCP, or accepted from one): Python blocks also get mptcpi_*. */
  mptcp: boolean;
}

/** Target fd passed for a script fd the script never opened, when the script expects an error. */
export const INVALID_TARGET_FD = 0x3fffffff;

export class FdTable {
  private readonly byScript = new Map<number, FdInfo>();

  /** Target fd for `scriptFd`; with `lenient`, an unknown one maps to an fd that is surely invalid. */
  toTarget(scriptFd: number, range: SourceRange | undefined, lenient: boolean): number {
    const info = this.byScript.get(scriptFd);
    if (info) return info.target;
    if (lenient) return INVALID_TARGET_FD;
    throw new CallError(`unable to find socket with script fd ${scriptFd}`, range);
  }

  info(scriptFd: number): FdInfo | undefined {
    return this.byScript.get(scriptFd);
  }

  add(scriptFd: number, info: FdInfo, range: SourceRange | undefined): void {
    if (this.byScript.has(scriptFd)) throw new CallError(`script fd ${scriptFd} is already open`, range);
    this.byScript.set(scriptFd, info);
  }

  remove(scriptFd: number): void {
    this.byScript.delete(scriptFd);
  }

  /** Script fd that maps to `target`, if any (for reports and epoll data). */
  scriptFor(target: number): number | undefined {
    for (const [s, i] of this.byScript) if (i.target === target) return s;
    return undefined;
  }
}
