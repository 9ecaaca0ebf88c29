// A path-manager command line lowered to the target's request (docs/language.md §6.4): the named
// arguments into the `mptcp_pm` attributes, `conn=FD` into the target's fd of that socket.
import type { Expr, NamedArg, SyscallAction } from '../script/ast.js';
import { PM_CALLS, isPmCall } from '../script/pm-commands.js';
import type { PmAddress, PmRequest } from '../targets/pm.js';
import { CallError, tryInt } from './syscalls/expr.js';
import type { FdTable } from './syscalls/fd-table.js';
import { tokenValue, type EventContext } from './pm-events.js';

function num(e: Expr): number {
  const v = tryInt(e);
  if (v === undefined) throw new CallError('expected a number', e.range);
  return Number(v);
}

/** The stack's port of a subflow the script saw, for `port=...` (PacketPort.subflowLocalPort). */
export type SubflowPort = (localAddress: string, remote: { address: string; port: number }) => number | undefined;

/** The request of `action` (a PM command the checker accepted). */
export function lowerPm(action: SyscallAction, fds: FdTable, subflowPort?: SubflowPort, keyToken?: EventContext['keyToken']): PmRequest {
  if (!isPmCall(action.name)) throw new CallError(`${action.name} is not a path-manager command`, action.range);
  const spec = PM_CALLS[action.name];
  const by = new Map<string, NamedArg>((action.named ?? []).map((a) => [a.name, a]));
  const int = (name: string): number | undefined => { const a = by.get(name); return a && a.value.kind !== 'ellipsis' ? num(a.value) : undefined; };
  const str = (name: string): string | undefined => { const a = by.get(name); return a?.value.kind === 'string' ? a.value.value : undefined; };
  const req: PmRequest = { command: spec.command };
  const flags = int('flags') ?? spec.defaultFlags;
  const remote: PmAddress = { address: str('raddr'), port: int('rport') };
  const local: PmAddress = { address: str('addr'), id: int('id'), port: localPort(by.get('port'), str('addr'), remote, subflowPort), flags, ifindex: int('ifindex') };
  switch (spec.command) {
    case 'set_limits':
      req.subflows = int('subflows');
      req.addAddrAccepted = int('add_addr_accepted');
      break;
    case 'remove':
      req.locId = int('id');
      break;
    case 'flush_addrs':
      break;
    default:
      req.local = prune(local);
      if (remote.address !== undefined || remote.port !== undefined) req.remote = prune(remote);
  }
  const conn = by.get('conn');
  if (conn) req.conn = fds.toTarget(num(conn.value), conn.value.range, false);
  const token = by.get('token');
  if (token) req.token = tokenValue(token.value, { keyToken: keyToken ?? (() => undefined) });
  return req;
}

/**
 * `port=N`, or `port=...`: the stack's port of the subflow the script saw from `addr` to
 * `raddr:rport` (an ephemeral port the script cannot know when it writes the line).
 */
function localPort(arg: NamedArg | undefined, address: string | undefined, remote: PmAddress, subflowPort: SubflowPort | undefined): number | undefined {
  if (!arg) return undefined;
  if (arg.value.kind !== 'ellipsis') return num(arg.value);
  const port = address !== undefined && remote.address !== undefined && remote.port !== undefined ? subflowPort?.(address, { address: remote.address, port: remote.port }) : undefined;
  if (port === undefined) throw new CallError(`port=... names the port of a subflow from addr to raddr:rport, and no such subflow has been seen yet`, arg.value.range);
  return port;
}

/** The fields the script wrote. */
function prune(a: PmAddress): PmAddress {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as PmAddress;
}
