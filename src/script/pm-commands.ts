// The path-manager commands of the language (docs/language.md §6.4): each one's arguments, which
// of them it needs, and the `mptcp_pm` command it becomes (include/uapi/linux/mptcp_pm.h). The
// checker, the formatter's users and the engine read this one table.
import type { PmCall } from './ast.js';
import type { PmCommandName } from '../targets/pm.js';

/**
 * What an argument's value is: an address string, a number, flag names, a script fd, or a token
 * (a number, or `sha256_32(NAME)` / `sha1_32(NAME)` of a key the packets named, as MP_JOIN's).
 */
export type PmArgKind = 'addr' | 'int' | 'flags' | 'fd' | 'token';

export interface PmCallSpec {
  command: PmCommandName;
  args: Readonly<Record<string, PmArgKind>>;
  /** Each inner list: one of these must be written. */
  required: readonly (readonly string[])[];
  /** Flags sent when the script writes none (an announcement is a signal address). */
  defaultFlags?: number;
}

const endpoint = { addr: 'addr', id: 'int', port: 'int', flags: 'flags', ifindex: 'int' } as const;
const connection = { conn: 'fd', token: 'token' } as const;
const subflow = { ...connection, addr: 'addr', id: 'int', port: 'int', flags: 'flags', ifindex: 'int', raddr: 'addr', rport: 'int' } as const;

export const PM_CALLS: Readonly<Record<PmCall, PmCallSpec>> = {
  pm_add_addr: { command: 'add_addr', args: endpoint, required: [['addr']] },
  pm_del_addr: { command: 'del_addr', args: { addr: 'addr', id: 'int', port: 'int' }, required: [['id', 'addr']] },
  pm_flush_addrs: { command: 'flush_addrs', args: {}, required: [] },
  pm_set_limits: { command: 'set_limits', args: { subflows: 'int', add_addr_accepted: 'int' }, required: [['subflows', 'add_addr_accepted']] },
  pm_set_flags: { command: 'set_flags', args: { ...endpoint, ...connection, raddr: 'addr', rport: 'int' }, required: [['flags']] },
  pm_announce: { command: 'announce', args: { ...connection, ...endpoint }, required: [['conn', 'token'], ['addr']], defaultFlags: 1 },
  pm_remove: { command: 'remove', args: { ...connection, id: 'int' }, required: [['conn', 'token'], ['id']] },
  pm_subflow_create: { command: 'subflow_create', args: subflow, required: [['conn', 'token'], ['addr'], ['raddr']] },
  pm_subflow_destroy: { command: 'subflow_destroy', args: subflow, required: [['conn', 'token'], ['addr'], ['raddr']] },
};

export function isPmCall(name: string): name is PmCall {
  return Object.hasOwn(PM_CALLS, name);
}

export const PM_CALL_NAMES = Object.keys(PM_CALLS) as PmCall[];
