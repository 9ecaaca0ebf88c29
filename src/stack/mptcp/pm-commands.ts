// The `mptcp_pm` generic netlink commands on the bundled stack (docs/language.md §6.4), with the
// errno Linux 6.18 gives for each refusal, checked in the kernel's order: the in-kernel PM's
// endpoints and limits (net/mptcp/pm_kernel.c mptcp_pm_nl_add_addr_doit,
// mptcp_pm_nl_append_new_local_addr, mptcp_pm_nl_set_limits_doit, mptcp_pm_nl_set_flags) and the
// userspace PM's per-connection commands (net/mptcp/pm_userspace.c).
import { isIPv6 } from 'node:net';
import { PM_FLAGS, type PmAddress, type PmRequest, type PmResult } from '../../targets/pm.js';
import type { Subflow as TcpConnection } from './subflow-socket.js';
import { MAX_ENDPOINTS, MAX_LIMIT, type EndpointFlag } from './pm.js';
import type { PathManager } from './path-manager.js';

const OK: PmResult = { ret: 0 };
const fail = (errno: string): PmResult => ({ ret: -1, errno });
const EINVAL = fail('EINVAL');

function flagNames(flags: number): EndpointFlag[] {
  return (['signal', 'subflow', 'backup', 'fullmesh'] as const).filter((f) => (flags & PM_FLAGS[f]) !== 0);
}

/** One address a userspace PM gave a connection (msk->pm.userspace_pm_local_addr_list). */
interface LocalEntry {
  id: number;
  address: string;
  port: number | undefined;
}

export class PmCommands {
  /** Per connection (its initial subflow), the userspace PM's local addresses, and which it announced. */
  private readonly userspace = new Map<TcpConnection, { locals: LocalEntry[]; announced: Set<number> }>();

  constructor(private readonly pm: PathManager, private readonly addAddress: (address: string) => void) {}

  run(req: PmRequest, connOf: (fd: number) => TcpConnection | undefined): PmResult {
    switch (req.command) {
      case 'add_addr': return this.addAddr(req.local ?? {});
      case 'del_addr': return this.delAddr(req.local ?? {});
      case 'flush_addrs': this.pm.flushEndpoints(); return OK;
      case 'set_limits': return this.setLimits(req);
      case 'set_flags': return this.setFlags(req, connOf);
      default: return this.perConnection(req, connOf);
    }
  }

  // ---- in-kernel PM ---------------------------------------------------------------------------

  private addAddr(a: PmAddress): PmResult {
    const flags = a.flags ?? 0;
    if (a.address === undefined) return EINVAL;
    // address_use_port: a port only on a signal endpoint that is not also a subflow one.
    if (a.port && (flags & (PM_FLAGS.signal | PM_FLAGS.subflow)) !== PM_FLAGS.signal) return EINVAL;
    if ((flags & PM_FLAGS.signal) && (flags & PM_FLAGS.fullmesh)) return EINVAL;
    if (flags & PM_FLAGS.implicit) return EINVAL;
    if (this.pm.endpoints.length >= MAX_ENDPOINTS) return fail('ERANGE');
    const id = a.id || undefined;
    if (id !== undefined && this.pm.endpoints.some((e) => e.id === id)) return fail('EBUSY');
    const port = a.port || undefined;
    // Addresses differ by port only when either has one (mptcp_addresses_equal with use_port).
    if (this.pm.endpoints.some((e) => e.address === a.address && (e.port === port || (!e.port && !port)))) return fail('EEXIST');
    this.pm.add({ id, address: a.address, port, flags: flagNames(flags), dev: undefined });
    this.addAddress(a.address);
    this.pm.work();
    return OK;
  }

  private delAddr(a: PmAddress): PmResult {
    // mptcp_pm_nl_del_addr_doit: id 0 names the endpoint by its address.
    const byId = a.id !== undefined && a.id !== 0;
    const e = this.pm.endpoints.find((x) => (byId ? x.id === a.id : x.address === a.address));
    if (!e) return EINVAL;
    this.pm.removeEndpoint(e.id, undefined);
    return OK;
  }

  private setLimits(req: PmRequest): PmResult {
    if ((req.addAddrAccepted ?? 0) > MAX_LIMIT || (req.subflows ?? 0) > MAX_LIMIT) return EINVAL;
    if (req.addAddrAccepted !== undefined) this.pm.addAddrAccepted = req.addAddrAccepted;
    if (req.subflows !== undefined) this.pm.subflows = req.subflows;
    this.pm.work();
    return OK;
  }

  private setFlags(req: PmRequest, connOf: (fd: number) => TcpConnection | undefined): PmResult {
    if (req.token !== undefined || req.conn !== undefined) return this.perConnection(req, connOf);
    const a = req.local ?? {};
    const byId = a.id !== undefined && a.id !== 0;
    const e = this.pm.endpoints.find((x) => (byId ? x.id === a.id : x.address === a.address && x.port === (a.port || undefined)));
    if (!e) return EINVAL;
    const flags = a.flags ?? 0;
    // mptcp_pm_nl_set_flags: only backup and fullmesh change; fullmesh not on a signal endpoint.
    if ((flags & PM_FLAGS.fullmesh) && e.flags.includes('signal')) return EINVAL;
    e.flags = e.flags.filter((f) => f !== 'fullmesh');
    if (flags & PM_FLAGS.fullmesh) e.flags.push('fullmesh');
    this.pm.changeBackup(e.id, (flags & PM_FLAGS.backup) !== 0);
    return OK;
  }

  // ---- userspace PM -----------------------------------------------------------------------------

  private perConnection(req: PmRequest, connOf: (fd: number) => TcpConnection | undefined): PmResult {
    // mptcp_userspace_pm_set_flags reads the token first, the addresses after the checks below.
    const needed = req.command === 'remove' ? req.locId !== undefined : req.command === 'announce' ? req.local !== undefined : req.command === 'set_flags' || (req.local !== undefined && req.remote !== undefined);
    if (!needed || (req.token === undefined && req.conn === undefined)) return EINVAL;
    const c = req.conn !== undefined ? this.pm.connectionOf(connOf(req.conn)) : this.pm.connectionByToken(req.token!);
    if (!c) return EINVAL;
    if (!c.mptcp!.userspacePm) return EINVAL;
    let st = this.userspace.get(c);
    if (!st) { st = { locals: [], announced: new Set() }; this.userspace.set(c, st); }
    switch (req.command) {
      case 'announce': return this.announce(c, st, req.local!);
      case 'remove': return this.remove(c, st, req.locId!);
      case 'subflow_create': return this.subflowCreate(c, st, req.local!, req.remote!);
      case 'set_flags': return this.setPrio(c, req.local, req.remote);
      default: return this.subflowDestroy(c, st, req.local!, req.remote!);
    }
  }

  /**
   * mptcp_userspace_pm_append_new_local_addr without an id to find: the same entry, or a new one
   * (counted in mptcpi_local_addr_used); an address or id taken by another entry is refused.
   */
  private append(c: TcpConnection, st: { locals: LocalEntry[] }, a: PmAddress & { address: string }): boolean {
    const port = a.port || undefined;
    const id = a.id ?? 0;
    const same = st.locals.find((e) => e.address === a.address && e.port === port);
    const sameId = st.locals.find((e) => e.id === id);
    if (same || sameId) return same !== undefined && same === sameId;
    st.locals.push({ id, address: a.address, port });
    c.mptcp!.localAddrUsed++;
    return true;
  }

  /** mptcp_userspace_pm_delete_local_addr: the first entry with that address (ports aside) goes. */
  private forget(c: TcpConnection, st: { locals: LocalEntry[] }, address: string): void {
    const i = st.locals.findIndex((e) => e.address === address);
    if (i < 0) return;
    st.locals.splice(i, 1);
    c.mptcp!.localAddrUsed--;
  }

  private announce(c: TcpConnection, st: { locals: LocalEntry[]; announced: Set<number> }, a: PmAddress): PmResult {
    if (a.address === undefined || !a.id || !((a.flags ?? 0) & PM_FLAGS.signal)) return EINVAL;
    if (!this.append(c, st, { ...a, address: a.address })) return EINVAL;
    // mptcp_pm_alloc_anno_list: an address already announced is not announced again.
    if (st.announced.has(a.id)) return OK;
    st.announced.add(a.id);
    this.pm.announceNow(c, a.id, a.address, a.port || undefined);
    return OK;
  }

  private remove(c: TcpConnection, st: { locals: LocalEntry[]; announced: Set<number> }, id: number): PmResult {
    if (id === 0) return this.pm.removeInitialAddress(c) ? OK : EINVAL;
    const i = st.locals.findIndex((e) => e.id === id);
    if (i < 0) return EINVAL;
    const [e] = st.locals.splice(i, 1);
    this.pm.withdrawFrom(c, [{ id: e!.id, address: e!.address, port: e!.port, flags: [], dev: undefined }], st.announced, false, true);
    st.announced.delete(id);
    return OK;
  }

  /** mptcp_userspace_pm_set_flags: both addresses needed; MP_PRIO on the first active subflow between them. */
  private setPrio(c: TcpConnection, l: PmAddress | undefined, r: PmAddress | undefined): PmResult {
    if (l?.address === undefined || r?.address === undefined) return EINVAL;
    const backup = ((l.flags ?? 0) & PM_FLAGS.backup) !== 0;
    return this.pm.sendPrio(c, { address: l.address, port: l.port || undefined }, { address: r.address, port: r.port || undefined }, backup) ? OK : EINVAL;
  }

  private subflowCreate(c: TcpConnection, st: { locals: LocalEntry[] }, l: PmAddress, r: PmAddress): PmResult {
    if (l.address === undefined || r.address === undefined) return EINVAL;
    if ((l.flags ?? 0) & PM_FLAGS.signal) return EINVAL;
    if (isIPv6(l.address) !== isIPv6(c.tuple.localIp) || isIPv6(r.address) !== isIPv6(c.tuple.localIp)) return EINVAL;
    if (!this.append(c, st, { ...l, address: l.address })) return EINVAL;
    // __mptcp_subflow_connect: only on a connection that is fully established.
    if (!c.mptcp!.fullyEstablished) {
      this.forget(c, st, l.address);
      return fail('ENOTCONN');
    }
    this.pm.openJoin(c, l.address, l.id ?? 0, ((l.flags ?? 0) & PM_FLAGS.backup) !== 0, r.address, r.port ?? 0, r.id ?? 0, l.port || undefined);
    return OK;
  }

  private subflowDestroy(c: TcpConnection, st: { locals: LocalEntry[] }, l: PmAddress, r: PmAddress): PmResult {
    if (l.address === undefined || r.address === undefined) return EINVAL;
    if (isIPv6(l.address) !== isIPv6(r.address)) return EINVAL;
    if (!l.port || !r.port) return EINVAL;
    if (!this.pm.destroySubflow(c, l.address, l.port, r.address, r.port)) return fail('ESRCH');
    this.forget(c, st, l.address);
    return OK;
  }
}
