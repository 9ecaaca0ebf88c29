// The system call names the language knows (docs/language.md §6.2). The list is checked against
// the target interface's SyscallName type so the two cannot drift apart.

import type { LanguageOnlyCall, SyscallAction } from './ast.js';
import type { SyscallName } from '../targets/target.js';
import { PM_CALL_NAMES } from './pm-commands.js';

const targetCalls = {
  socket: true, bind: true, listen: true, accept: true, accept4: true, connect: true, read: true,
  recv: true, recvfrom: true, readv: true, write: true, send: true, sendto: true, writev: true,
  sendmsg: true, recvmsg: true, close: true, shutdown: true, setsockopt: true, getsockopt: true,
  fcntl: true, ioctl: true, poll: true, epoll_create: true, epoll_create1: true, epoll_ctl: true,
  epoll_wait: true, pipe: true, splice: true, sendfile: true, open: true,
} satisfies Record<SyscallName, true>;

const languageOnly: readonly LanguageOnlyCall[] = ['cap_set', 'psp_rx_assoc', 'psp_tx_assoc', 'mib', 'mib_delta', ...PM_CALL_NAMES];

/** The counter assertions: `mib(NAME) = N` since the script started, `mib_delta(NAME) = N` since the last assertion of NAME. */
export type CounterCall = 'mib' | 'mib_delta';

export function isCounterCall(name: string): name is CounterCall {
  return name === 'mib' || name === 'mib_delta';
}

/** A call the target performs (not one the engine answers itself). */
export function isTargetCall(name: string): name is SyscallName {
  return Object.hasOwn(targetCalls, name);
}

const known = new Set<string>([...Object.keys(targetCalls), ...languageOnly]);

export function isSyscallName(name: string): name is SyscallAction['name'] {
  return known.has(name);
}

/** Every system call name the language knows (docs/language.md, Appendix B). */
export const SYSCALL_NAMES: readonly string[] = [...known];
