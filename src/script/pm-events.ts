// The path-manager events of the language (docs/language.md §6.5): Linux 6.18's `mptcp_pm_events`
// notifications (include/uapi/linux/mptcp_pm.h enum mptcp_event_type) and the attributes a line
// may check (enum mptcp_event_attr; addresses and ports in the script's terms).
import type { PmArgKind } from './pm-commands.js';

/** Event names, with MPTCP_EVENT_*'s number. */
export const PM_EVENT_TYPES = {
  created: 1, established: 2, closed: 3, announced: 6, removed: 7,
  sub_established: 10, sub_closed: 11, sub_priority: 13, listener_created: 15, listener_closed: 16,
} as const;
export type PmEventName = keyof typeof PM_EVENT_TYPES;

export function isPmEventName(name: string): name is PmEventName {
  return Object.hasOwn(PM_EVENT_TYPES, name);
}

/** MPTCP_ATTR_* by the language's name: `saddr`/`daddr` stand for the 4 and 6 forms. */
export const PM_EVENT_ATTRS: Readonly<Record<string, PmArgKind>> = {
  token: 'token', conn: 'fd', family: 'int', loc_id: 'int', rem_id: 'int', saddr: 'addr', daddr: 'addr',
  sport: 'int', dport: 'int', backup: 'int', error: 'int', flags: 'int', timeout: 'int', if_idx: 'int',
  reset_reason: 'int', reset_flags: 'int', server_side: 'int',
};
