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
import { scalarSize, type StructLayout } from '../sys/struct-layout.js';

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

/**
 * Options read as an int (`[VALUE]`) whose length Linux also writes back as passed up to its own
 * size: sk_getsockopt (net/core/sock.c: len = min(len, lv)), do_tcp_getsockopt and
 * do_ipv6_getsockopt (min(len, sizeof(int))). Not SOL_IP: do_ip_getsockopt answers a short
 * length with one byte (len = 1). SO_TIMESTAMPING's value is a struct so_timestamping (8 bytes).
 */
const INT_LEVELS = new Set(['SOL_SOCKET', 'SOL_TCP', 'IPPROTO_TCP', 'SOL_IPV6', 'IPPROTO_IPV6']);
const INT_SIZE_EXCEPTIONS: Record<string, number | undefined> = {
  SO_TIMESTAMPING: 8,
  SO_TIMESTAMPING_OLD: 8,
  SO_TIMESTAMPING_NEW: 8,
  // Not ints, or not echoed (SO_COOKIE wants 8 bytes or EINVAL): never treated as echoed.
  SO_COOKIE: undefined,
  SO_LINGER: undefined,
  SO_PEERCRED: undefined,
};

/** The struct layouts whose compared fields tell how many bytes a getsockopt must return. */
const STRUCT_LAYOUTS: Record<string, StructLayout> = { TCP_INFO: TCP_INFO_LAYOUT, MPTCP_INFO: MPTCP_INFO_LAYOUT };

/** The largest value a getsockopt's optlen is echoed up to, for the option the call names. */
export function optlenLimit(a: SyscallAction): number | undefined {
  const [, level, name, value] = a.args;
  if (name?.kind !== 'symbol') return undefined;
  if (OPTLEN_LIMITS[name.name] !== undefined) return OPTLEN_LIMITS[name.name];
  const isInt = value?.kind === 'array' && value.items.length === 1 && ['int', 'symbol', 'or'].includes(value.items[0]!.kind);
  if (!isInt || level?.kind !== 'symbol' || !INT_LEVELS.has(level.name)) return undefined;
  return name.name in INT_SIZE_EXCEPTIONS ? INT_SIZE_EXCEPTIONS[name.name] : 4;
}

/** The value of an int option written `[VALUE]`, when it is a plain number or a constant. */
function intValue(e: Expr | undefined): bigint | undefined {
  const item = e?.kind === 'array' && e.items.length === 1 ? e.items[0] : undefined;
  if (item?.kind === 'int') return item.value;
  if (item?.kind === 'symbol' && item.value !== undefined) return item.value;
  return undefined;
}

/**
 * The bytes a getsockopt must return for what the script compares, when fewer than it passes:
 * the struct fields of TCP_INFO and MPTCP_INFO, or the significant bytes of an int value whose
 * length is echoed (optlenLimit: `[0x18]` passed 4 bytes compares the same at 3; at 0 it is cut).
 * One less than that is the mutant that cuts what is compared, where one less than the passed
 * length is equivalent; 0 when the value is 0 (no length cuts it).
 */
export function optlenNeeded(a: SyscallAction): number | undefined {
  const value = a.args[3];
  const int = optlenLimit(a) !== undefined && OPTLEN_LIMITS[(a.args[2] as { name?: string } | undefined)?.name ?? ''] === undefined ? intValue(value) : undefined;
  if (int !== undefined) return int < 0n ? undefined : Math.ceil(int.toString(16).replace(/^0$/, '').length / 2);
  return structNeeded(a);
}

/**
 * The bytes a getsockopt must return for the struct fields the script compares (TCP_INFO,
 * MPTCP_INFO), when fewer than it passes: one less than that is the mutant that cuts a compared
 * field, where one less than the passed length reads the same fields (equivalent).
 */
function structNeeded(a: SyscallAction): number | undefined {
  const [, , name, value] = a.args;
  const layout = name?.kind === 'symbol' ? STRUCT_LAYOUTS[name.name] : undefined;
  if (!layout || value?.kind !== 'struct') return undefined;
  let end = 0;
  for (const field of value.fields) {
    const placed = field.name === undefined ? undefined : layout.byName.get(field.name);
    if (!placed) return undefined;
    end = Math.max(end, placed.offset + scalarSize(placed.type));
  }
  return end > 0 ? end : undefined;
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
