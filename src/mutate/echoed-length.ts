// In/out lengths that Linux writes back as the caller passed them while they are below what it
// has: getsockopt's optlen for the options whose length is min(passed, size) — TCP_CONGESTION
// (tcp.c do_tcp_getsockopt, TCP_CA_NAME_MAX), TCP_INFO, MPTCP_INFO and MPTCP_FULL_INFO
// (net/mptcp/sockopt.c) — and the user sizes of MPTCP_FULL_INFO (size_sfinfo_user and
// size_tcpinfo_user become min(user, kernel size); size_arrays_user is never written back and
// only limits how many subflows are filled). One more than the script wrote, while still within
// the size, is returned as passed and reads only bytes the script does not compare: that mutant is
// equivalent. One less is kept: it cuts what the script compares when the length is tight.
import type { Expr, StructExpr, SyscallAction } from '../script/ast.js';
import { MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_INFO_LAYOUT } from '../sys/mptcp-structs.js';
import { TCP_INFO_LAYOUT } from '../sys/tcp-info.js';

/** include/net/tcp.h TCP_CA_NAME_MAX: the longest congestion control name getsockopt copies. */
const TCP_CA_NAME_MAX = 16;

const OPTLEN_LIMITS: Record<string, number> = {
  TCP_CONGESTION: TCP_CA_NAME_MAX,
  TCP_INFO: TCP_INFO_LAYOUT.size,
  MPTCP_INFO: MPTCP_INFO_LAYOUT.size,
  MPTCP_FULL_INFO: MPTCP_FULL_INFO_HEADER_LAYOUT.size + MPTCP_INFO_LAYOUT.size,
};

const SIZE_LIMITS: Record<string, number> = {
  size_sfinfo_user: MPTCP_SUBFLOW_INFO_LAYOUT.size,
  size_tcpinfo_user: TCP_INFO_LAYOUT.size,
};

/** The largest value a getsockopt's optlen is echoed up to, for the option the call names. */
export function optlenLimit(a: SyscallAction): number | undefined {
  const name = a.args[2];
  return name?.kind === 'symbol' ? OPTLEN_LIMITS[name.name] : undefined;
}

/**
 * The largest value an MPTCP_FULL_INFO field of `struct` is echoed up to (size_arrays_user: any
 * value from the number of subflows the struct expects on).
 */
export function structFieldLimit(struct: StructExpr, field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  if (field === 'size_arrays_user') {
    const n = struct.fields.find((f) => f.name === 'num_subflows')?.value;
    const own = struct.fields.find((f) => f.name === field)?.value;
    return n?.kind === 'int' && own?.kind === 'int' && own.value >= n.value ? Number.MAX_SAFE_INTEGER : undefined;
  }
  return SIZE_LIMITS[field];
}

/** True when `e` is a written number whose value one up is still echoed under `limit`. */
export function echoedUp(e: Expr, limit: number | undefined): boolean {
  return limit !== undefined && e.kind === 'int' && e.value >= 0n && e.value + 1n <= BigInt(limit);
}
