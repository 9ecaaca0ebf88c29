// Path-manager commands as the engine hands them to a target (docs/language.md §6.4): the
// generic netlink family "mptcp_pm" of Linux 6.18 (include/uapi/linux/mptcp_pm.h), one request
// per command, already lowered from the script (a connection named by its socket is a target fd).

/** The commands, by the language's names; the kernel's MPTCP_PM_CMD_* in comments. */
export type PmCommandName =
  | 'add_addr' // MPTCP_PM_CMD_ADD_ADDR: an in-kernel PM endpoint
  | 'del_addr' // MPTCP_PM_CMD_DEL_ADDR
  | 'flush_addrs' // MPTCP_PM_CMD_FLUSH_ADDRS
  | 'set_limits' // MPTCP_PM_CMD_SET_LIMITS
  | 'set_flags' // MPTCP_PM_CMD_SET_FLAGS (endpoint, or a connection's subflow with a token)
  | 'announce' // MPTCP_PM_CMD_ANNOUNCE: userspace PM, per connection
  | 'remove' // MPTCP_PM_CMD_REMOVE
  | 'subflow_create' // MPTCP_PM_CMD_SUBFLOW_CREATE
  | 'subflow_destroy'; // MPTCP_PM_CMD_SUBFLOW_DESTROY

/** MPTCP_PM_ADDR_FLAG_* (include/uapi/linux/mptcp_pm.h). */
export const PM_FLAGS = { signal: 1, subflow: 2, backup: 4, fullmesh: 8, implicit: 16 } as const;
export type PmFlagName = keyof typeof PM_FLAGS;

/** A nested MPTCP_PM_ATTR_ADDR / ADDR_REMOTE: each field present only when the script wrote it. */
export interface PmAddress {
  /** IPv4 or IPv6 text; the family follows from it. */
  address?: string;
  id?: number;
  port?: number;
  flags?: number;
  ifindex?: number;
}

export interface PmRequest {
  command: PmCommandName;
  /** MPTCP_PM_ATTR_ADDR (MPTCP_PM_ENDPOINT_ADDR for the endpoint commands). */
  local?: PmAddress;
  /** MPTCP_PM_ATTR_ADDR_REMOTE. */
  remote?: PmAddress;
  /** MPTCP_PM_ATTR_TOKEN written as a number. */
  token?: number;
  /** The connection whose token goes in MPTCP_PM_ATTR_TOKEN: a target fd (`conn=FD`). */
  conn?: number;
  /** MPTCP_PM_ATTR_LOC_ID (pm_remove). */
  locId?: number;
  /** MPTCP_PM_ATTR_SUBFLOWS and MPTCP_PM_ATTR_RCV_ADD_ADDRS (pm_set_limits). */
  subflows?: number;
  addAddrAccepted?: number;
}

/** 0, or -1 with the errno's name, as a system call returns. */
export interface PmResult {
  ret: 0 | -1;
  errno?: string;
}

/** One `mptcp_pm_events` notification as a target saw it (docs/language.md §6.5). */
export interface PmEvent {
  /** The event's name as the language writes it (`created`, `sub_closed`, ...; `event_N` for one the language lacks). */
  type: string;
  /** MPTCP_ATTR_* decoded, by the language's names: numbers, `saddr`/`daddr` as address text. */
  attrs: Record<string, number | string>;
  /** Script time the target saw it. */
  time: number;
}

/** An event as one line of text (`created token=1234 saddr=192.0.2.1 ...`), for traces and reports. */
export function pmEventText(e: Pick<PmEvent, 'type' | 'attrs'>): string {
  return [e.type, ...Object.entries(e.attrs).map(([k, v]) => `${k}=${v}`)].join(' ');
}
