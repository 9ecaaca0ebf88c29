// The in-kernel path manager at work (RFC 8684 §3.2, §3.4; Linux net/mptcp/subflow.c, net/mptcp/pm_kernel.c, net/mptcp/ctrl.c): it announces `signal`
// endpoints once a connection is fully established (one ADD_ADDR at a time, repeated until
// echoed: after the subflow RTO capped by add_addr_timeout, doubling, three times), opens join subflows from `subflow` endpoints and towards
// accepted peer announcements (within `ip mptcp limits`), answers MP_JOIN SYNs, and turns
// endpoint changes into MP_PRIO and REMOVE_ADDR. `work()` runs after every event.
import type { AddAddr, MpJoin, TcpOption, TcpSegment } from '../../wire/packet.js';
import type { Host, Listener } from '../host.js';
import { Subflow as TcpConnection } from './subflow-socket.js';
import type { FourTuple } from '../tcp/endpoint.js';
import { padded } from '../tcp/options.js';
import type { Timer } from '../virtual-clock.js';
import { JoinSubflow } from './join.js';
import { numberSubflow } from './subflow-info.js';
import { PathManagerConfig, type Endpoint } from './pm.js';
import type { PmEventLog } from './pm-events.js';

/** Linux repeats an unechoed ADD_ADDR up to this many times (pm.c, ADD_ADDR_RETRANS_MAX). */
const ADD_ADDR_RETRANS_MAX = 3;

interface Announce {
  id: number;
  address: string;
  port: number | undefined;
}

/** Per-connection path-manager state (the initial subflow stands for the connection). */
interface ConnPm {
  /** Endpoint ids already announced or used for a subflow on this connection. */
  considered: Set<number>;
  toAnnounce: Announce[];
  current: (Announce & { tries: number; timer: Timer | undefined }) | undefined;
  announced: Set<number>;
}

const isV6 = (a: string): boolean => a.includes(':');

/** States of a join we closed or that died: it left the connection's list (6.18 __mptcp_close_ssk: list_del). */
export const LEFT_STATES: ReadonlySet<string> = new Set(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'TIME_WAIT', 'LAST_ACK', 'CLOSED']);

export class PathManager extends PathManagerConfig {
  private readonly state = new Map<TcpConnection, ConnPm>();
  /** The events of `mptcp_pm_events`, while a script listens (pm-events.ts). */
  events: PmEventLog | undefined;

  constructor(private readonly host: Host) {
    super();
  }

  /**
   * Initial subflows of live MPTCP connections that completed the MP_CAPABLE exchange (one that
   * left the wire is found through its joins: it still stands for the connection).
   */
  private masters(): TcpConnection[] {
    const out = new Set<TcpConnection>();
    for (const c of this.host.conns.values()) {
      const m = c.master ?? c;
      if (m.mptcp && !m.join && !m.mptcp.fallback && m.mptcp.remote && (m === c || m.detached)) out.add(m);
    }
    return [...out];
  }

  /** Join subflows of `master`'s connection (not the wire side of a closing initial subflow). */
  private joinsOf(master: TcpConnection): TcpConnection[] {
    return [...this.host.conns.values()].filter((c) => c.master === master && c.join);
  }

  /**
   * The initial subflow leaves (REMOVE_ADDR of id 0, either way): it closes with a FIN while the
   * connection goes on over its joins; its wire side stays registered on its four-tuple.
   */
  private closeInitial(master: TcpConnection): void {
    const wire = master.closeInitialSubflow();
    if (wire) this.host.register(wire);
  }

  private stateOf(c: TcpConnection): ConnPm {
    let st = this.state.get(c);
    if (!st) { st = { considered: new Set(), toAnnounce: [], current: undefined, announced: new Set() }; this.state.set(c, st); }
    return st;
  }

  /** The address id of a local address on `master`'s connection: 0 for its initial address. */
  private localId(master: TcpConnection, address: string): { id: number; endpoint: Endpoint | undefined } {
    const endpoint = this.endpoints.find((e) => e.address === address);
    return { id: address === master.tuple.localIp || !endpoint ? 0 : endpoint.id, endpoint };
  }

  // ---- the worker ---------------------------------------------------------------------------

  work(): void {
    // What the input changed comes first (a connection fully established by the packet that also
    // carried an ADD_ADDR: ESTABLISHED before ANNOUNCED, as 6.18 sends them).
    this.scanEvents();
    for (const [c, st] of this.state) if (c.state === 'CLOSED') { st.current?.timer?.cancel(); this.state.delete(c); }
    for (const c of this.masters()) {
      const m = c.mptcp!;
      if (!m.fullyEstablished || c.state !== 'ESTABLISHED') continue;
      // The in-kernel PM's work below is a userspace daemon's under pm_type=1 (none runs here);
      // what the peer removes still closes its subflows.
      if (m.userspacePm) {
        for (const a of m.peerAnnounced.splice(0)) this.events?.announced(c, a.addressId, a.address, a.port);
        this.applyPeerRemovals(c);
        continue;
      }
      const st = this.stateOf(c);
      // The PM worker handles a received ADD_ADDR before the established event (6.18 order:
      // with a fullmesh endpoint the join to the announced address goes out first).
      for (const a of m.peerAnnounced.splice(0)) this.onPeerAnnounce(c, a);
      for (const e of this.endpoints) {
        if (st.considered.has(e.id) || isV6(e.address) !== isV6(c.tuple.localIp)) continue;
        if (e.flags.includes('signal')) {
          st.considered.add(e.id);
          st.toAnnounce.push({ id: e.address === c.tuple.localIp ? 0 : e.id, address: e.address, port: e.port });
        } else if (e.flags.includes('subflow') && m.role === 'client' && e.address !== c.tuple.localIp && m.joins.size < this.subflows) {
          st.considered.add(e.id);
          // 6.18 counts the endpoint once taken, whether or not a join results
          // (mptcp_pm_create_subflow_or_signal_addr: local_addr_used++ before fill_remote_addresses_vec).
          m.localAddrUsed++;
          // A peer that set C takes no join to its initial address (pm_kernel.c fill_remote_addresses_vec).
          const initial = m.peerDeniesJoinToInitial ? [] : [{ ip: c.tuple.remoteIp, port: c.tuple.remotePort, id: 0 }];
          const remotes = e.flags.includes('fullmesh') ? this.fullmeshRemotes(c, e.id) : initial;
          for (const r of remotes) {
            if (m.joins.size >= this.subflows) break;
            this.openJoin(c, e.address, e.id, e.flags.includes('backup'), r.ip, r.port, r.id);
          }
        }
      }
      this.announceNext(c, st);
      this.applyPeerRemovals(c);
      for (const p of m.peerPrio.splice(0)) this.onPeerPrio(c, p.addressId, p.backup);
    }
    this.scanEvents();
  }

  /** Events of what changed since the last look, while a script listens (pm-events.ts). */
  scanEvents(): void {
    this.events?.scan(this.masters(), (c) => this.joinsOf(c));
  }

  /** REMOVE_ADDR from the peer: the subflows to those addresses close (id 0: the initial one). */
  private applyPeerRemovals(c: TcpConnection): void {
    const m = c.mptcp!;
    const removed = m.peerRemoved.splice(0);
    for (const id of removed) this.events?.removed(c, id);
    for (const id of removed) {
      const closing = this.joinsOf(c).filter((j) => j.join!.remoteAddressId === id && !j.shutWr);
      for (const j of closing) j.closeSubflow();
      // 6.18 mptcp_pm_nl_rm_addr_or_subflow (pm_kernel.c): closing a join this side opened to a
      // removed address (never id 0) gives its accepted announcement back, in-kernel PM only.
      if (id !== 0 && !m.userspacePm && m.addAddrAccepted > 0 && closing.some((j) => j.join!.role === 'joiner')) m.addAddrAccepted--;
    }
    if (removed.includes(0)) this.closeInitial(c);
  }

  private announceNext(c: TcpConnection, st: ConnPm): void {
    const m = c.mptcp!;
    if (st.current && m.unechoed.has(st.current.id)) return;
    st.current?.timer?.cancel();
    const next = st.toAnnounce.shift();
    st.current = next && { ...next, tries: 0, timer: undefined };
    if (!next) return;
    st.announced.add(next.id);
    m.announce(next.id, next.address, next.port, false);
    c.sendAck();
    this.armAnnounce(c, st);
  }

  private armAnnounce(c: TcpConnection, st: ConnPm): void {
    const cur = st.current;
    if (cur) this.armRepeat(c, cur, () => st.current === cur, () => this.announceNext(c, st));
  }

  /** Repeats announcement `cur` until echoed or given up; `done` runs after the last try. */
  private armRepeat(c: TcpConnection, cur: Announce & { tries: number; timer: Timer | undefined }, current: () => boolean, done: () => void): void {
    // ID 0 is never retransmitted; nor is a v0 announcement (RFC 6824 has no echo to wait for).
    if (cur.id === 0 || c.mptcp!.version === 0) return;
    // Linux 6.18 (mptcp_adjust_add_addr_timeout): the largest subflow RTO when that is shorter
    // than add_addr_timeout, doubled for each repeat (observed: ~215, 430, 860 ms after a 10 ms RTT).
    const rto = Math.max(c.rtoUs, ...[...c.mptcp!.joins].map((j) => j.rtoUs));
    const timeoutUs = Math.min(this.host.sysctls.int('net.mptcp.add_addr_timeout') * 1_000_000, rto) * 2 ** cur.tries;
    cur.timer = this.host.clock.schedule(this.host.clock.now() + timeoutUs, () => {
      cur.timer = undefined;
      if (c.state === 'CLOSED' || !current()) return;
      if (c.mptcp!.unechoed.has(cur.id) && cur.tries < ADD_ADDR_RETRANS_MAX) {
        cur.tries++;
        c.mptcp!.announce(cur.id, cur.address, cur.port, true);
        c.sendAck([], true);
        this.armRepeat(c, cur, current, done);
        return;
      }
      c.mptcp!.unechoed.delete(cur.id);
      done();
    });
  }

  /**
   * v0 MP_PRIO with an address id (RFC 6824 §3.3.8): every subflow whose remote address has that
   * id takes the peer's backup wish, whichever subflow the option came on (id 0: the initial one).
   */
  private onPeerPrio(master: TcpConnection, addressId: number, backup: boolean): void {
    for (const s of [master, ...this.joinsOf(master)]) {
      if ((s.join?.remoteAddressId ?? 0) !== addressId) continue;
      s.peerBackup = backup;
      if (s.join) s.join.peerBackup = backup;
    }
  }

  /**
   * A valid announcement from the peer: joined when the limits allow (never ID 0, nor an address
   * a subflow already goes to), from every `fullmesh` endpoint, or else from the address routing
   * picks, the connection's own (ID 0) (fill_local_addresses_vec).
   */
  private onPeerAnnounce(c: TcpConnection, a: AddAddr): void {
    const m = c.mptcp!;
    if (a.addressId === 0 || m.addAddrAccepted >= this.addAddrAccepted || m.joins.size >= this.subflows) return;
    if (isV6(a.address) !== isV6(c.tuple.remoteIp)) return;
    if ([c, ...m.joins].some((s) => s.tuple.remoteIp === a.address && (a.port === undefined || s.tuple.remotePort === a.port))) return;
    const fullmesh = this.endpoints.filter((e) => e.flags.includes('fullmesh') && isV6(e.address) === isV6(a.address));
    const locals = fullmesh.length > 0
      ? fullmesh.map((e) => ({ ip: e.address, id: e.address === c.tuple.localIp ? 0 : e.id, backup: e.flags.includes('backup') }))
      : [{ ip: c.tuple.localIp, id: 0, backup: false }];
    let made = 0;
    for (const l of locals) {
      if (m.joins.size >= this.subflows) break;
      this.openJoin(c, l.ip, l.id, l.backup, a.address, a.port ?? c.tuple.remotePort, a.addressId);
      made++;
    }
    if (made > 0) m.addAddrAccepted++;
  }

  /**
   * Where a `subflow fullmesh` endpoint joins (fill_remote_addresses_vec): the remote address of
   * every subflow, in subflow order, one per remote id, skipping the ids this endpoint already
   * has a subflow to.
   */
  private fullmeshRemotes(c: TcpConnection, localId: number): Array<{ ip: string; port: number; id: number }> {
    const subflows = [c, ...c.mptcp!.joins];
    const remoteId = (s: TcpConnection): number => s.join?.remoteAddressId ?? 0;
    const taken = new Set(subflows.filter((s) => (s.join?.addressId ?? 0) === localId).map(remoteId));
    const out: Array<{ ip: string; port: number; id: number }> = [];
    for (const s of subflows) {
      if (taken.has(remoteId(s)) || (remoteId(s) === 0 && c.mptcp!.peerDeniesJoinToInitial)) continue;
      taken.add(remoteId(s));
      out.push({ ip: s.tuple.remoteIp, port: s.tuple.remotePort, id: remoteId(s) });
    }
    return out;
  }

  /** A join subflow from `localIp` (port `localPort`, else an ephemeral one) to the remote address. */
  openJoin(master: TcpConnection, localIp: string, localId: number, backup: boolean, remoteIp: string, remotePort: number, remoteId = 0, localPort?: number): void {
    const m = master.mptcp!;
    const tuple: FourTuple = { family: master.tuple.family, localIp, localPort: localPort ?? this.host.ephemeralPort(), remoteIp, remotePort };
    const env = this.host.env();
    const closed = env.closed;
    env.closed = (x) => { closed(x); m.joins.delete(x); };
    const sub = new TcpConnection(env, tuple, { ...master.settings, keepalive: { ...master.settings.keepalive } }, m);
    sub.join = new JoinSubflow(m, 'joiner', this.host.prng.next32(), localId, backup);
    // The announced id until the SYN/ACK says otherwise (subflow->remote_id).
    sub.join.remoteAddressId = remoteId;
    sub.master = master;
    m.joins.add(sub);
    numberSubflow(m, sub);
    this.host.register(sub);
    sub.connect();
  }

  /**
   * An MP_JOIN SYN reached a listener (`l`), or no listener: then it is taken only on the address
   * and port of a `signal` endpoint announced with a port (Linux listens there for joins). False
   * when nobody takes it (no connection has its token).
   */
  acceptJoin(l: Listener | undefined, tuple: FourTuple, syn: TcpSegment, join: MpJoin): boolean {
    // Linux still knows the token of a connection that fell back: the join gets its SYN/ACK and
    // is refused on the third ACK (admitJoin below, reason 3).
    if (!l && !this.endpoints.some((e) => e.port === tuple.localPort && e.address === tuple.localIp && e.flags.includes('signal'))) return false;
    // subflow.c subflow_check_req counts the join SYN before it looks the token up.
    this.host.mib.inc('MPTcpExtMPJoinSynRx');
    const owner = [...this.host.conns.values()].map((c) => c.master ?? c).find((c) => c.mptcp?.remote && !c.join && c.mptcp.local.token === join.token);
    if (!owner) return false;
    const settings = l?.settings ?? owner.settings;
    const m = owner.mptcp!;
    const { id, endpoint } = this.localId(owner, tuple.localIp);
    const env = this.host.env((x) => { m.joins.add(x); numberSubflow(m, x); });
    const closed = env.closed;
    env.closed = (x) => { closed(x); m.joins.delete(x); };
    // Linux refuses (reason 3) a join it has no room for, or on a connection not fully established.
    env.admitJoin = () => {
      // A userspace PM takes a join only while a daemon listens to its events, with no limit of its own.
      const room = m.userspacePm ? this.events !== undefined : m.joins.size < this.subflows;
      const admitted = m.fullyEstablished && !m.fallback && room;
      // subflow.c subflow_syn_recv_sock: counted once mptcp_finish_join took the subflow.
      if (admitted) this.host.mib.inc('MPTcpExtMPJoinAckRx');
      return admitted;
    };
    const sub = new TcpConnection(env, tuple, { ...settings, keepalive: { ...settings.keepalive } }, m);
    sub.join = new JoinSubflow(m, 'responder', this.host.prng.next32(), id, endpoint?.flags.includes('backup') ?? false);
    sub.join.onSyn(join);
    sub.master = owner;
    this.host.register(sub);
    sub.acceptSyn(syn);
    return true;
  }

  // ---- endpoint changes (ip mptcp endpoint …) -------------------------------------------------

  /** `endpoint del`: REMOVE_ADDR where it was announced; its subflows close with FIN. */
  removeEndpoint(id: number | undefined, address: string | undefined): string | undefined {
    const e = this.endpoints.find((x) => (id !== undefined ? x.id === id : x.address === address));
    const err = this.remove(id, address);
    if (err || !e) return err;
    this.withdraw([e], true);
    return undefined;
  }

  /** `endpoint flush`: one REMOVE_ADDR listing every withdrawn id (as 6.18 sends it). */
  flushEndpoints(): void {
    const all = [...this.endpoints];
    this.flush();
    this.withdraw(all);
  }

  /**
   * REMOVE_ADDR (after the DSS of a pure ACK, with the stale TS val of a path-manager ACK) on each
   * connection that announced or used these endpoints; their subflows close. `endpoint delete` of
   * the initial subflow's address names it by id 0 and closes that subflow too (6.18:
   * mptcp_endp_get_local_id); a flush does not touch it here (see `flushEndpoints`).
   */
  private withdraw(gone: Endpoint[], initialToo = false): void {
    for (const c of this.masters()) {
      const st = this.state.get(c);
      const ids = gone.map((e) => e.id);
      st?.toAnnounce.splice(0, st.toAnnounce.length, ...st.toAnnounce.filter((a) => !ids.includes(a.id)));
      this.withdrawFrom(c, gone, st?.announced ?? new Set(), initialToo);
    }
  }

  /**
   * The withdrawal on one connection (6.18 mptcp_pm_remove_addrs): one REMOVE_ADDR of the ids
   * announced there or used by a subflow, and those subflows close.
   */
  withdrawFrom(c: TcpConnection, gone: Endpoint[], announced: ReadonlySet<number>, initialToo = false, liveOnly = false): void {
    // liveOnly (the userspace PM's REMOVE, pm_userspace.c): a join already closed left the
    // connection's list, so its address counts as unused (no REMOVE_ADDR for it).
    const live = (j: TcpConnection): boolean => !liveOnly || !LEFT_STATES.has(j.state);
    const subs = this.joinsOf(c).filter((j) => live(j) && gone.some((e) => e.address === j.tuple.localIp));
    const initial = initialToo && !c.detached && gone.some((e) => e.address === c.tuple.localIp) && c.mptcp!.joins.size > 0;
    const removed = gone.filter((e) => announced.has(e.id) || subs.some((j) => j.tuple.localIp === e.address) || initial && e.address === c.tuple.localIp).map((e) => (e.address === c.tuple.localIp ? 0 : e.id));
    for (const i of removed) c.mptcp!.unechoed.delete(i);
    if (removed.length > 0) this.sendRemoveAddr(c, removed);
    // pm_kernel.c mptcp_pm_nl_rm_addr_or_subflow counts each subflow it closes (not one already closing).
    const closing = ['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'CLOSED'];
    this.host.mib.inc('MPTcpExtRmSubflow', [...subs, ...(initial ? [c] : [])].filter((x) => !closing.includes(x.state)).length);
    for (const j of subs) j.closeSubflow();
    if (initial) this.closeInitial(c);
  }

  private sendRemoveAddr(c: TcpConnection, ids: number[]): void {
    this.removeAddrCarrier(c, ids)?.sendAck(padded({ kind: 'mptcp', subtype: 'remove_addr', addressIds: ids }), true);
  }

  // ---- userspace PM commands (pm-commands.ts) ---------------------------------------------------

  /** The connection a socket stands for (its initial subflow), when it is a live MPTCP one. */
  connectionOf(conn: TcpConnection | undefined): TcpConnection | undefined {
    const m = conn && (conn.master ?? conn);
    return m && this.masters().includes(m) ? m : undefined;
  }

  /** The connection whose local token is `token` (mptcp_token_get_sock). */
  connectionByToken(token: number): TcpConnection | undefined {
    return this.masters().find((c) => c.mptcp!.local.token === token >>> 0);
  }

  /** A userspace PM's announcement: at once, repeated until echoed like the in-kernel PM's. */
  announceNow(c: TcpConnection, id: number, address: string, port: number | undefined): void {
    const cur = { id, address, port, tries: 0, timer: undefined };
    c.mptcp!.announce(id, address, port, false);
    c.sendAck();
    this.armRepeat(c, cur, () => true, () => undefined);
  }

  /** REMOVE_ADDR of id 0 (mptcp_userspace_pm_remove_id_zero_address): false when no subflow uses it. */
  removeInitialAddress(c: TcpConnection): boolean {
    const uses = (!c.detached && c.state !== 'CLOSED') || this.joinsOf(c).some((j) => j.join!.addressId === 0);
    if (!uses) return false;
    this.sendRemoveAddr(c, [0]);
    return true;
  }

  /**
   * MP_PRIO from a userspace PM (pm_kernel.c mptcp_pm_nl_mp_prio_send_ack): on the first active
   * subflow from `local` to `remote` (ports compared when given), even when its flag is already
   * that; false when there is none.
   */
  sendPrio(c: TcpConnection, local: { address: string; port: number | undefined }, remote: { address: string; port: number | undefined }, backup: boolean): boolean {
    const matches = (s: TcpConnection): boolean => s.state === 'ESTABLISHED' && s.tuple.localIp === local.address && (local.port === undefined || s.tuple.localPort === local.port)
      && s.tuple.remoteIp === remote.address && (remote.port === undefined || s.tuple.remotePort === remote.port);
    const sub = [...(c.detached ? [] : [c]), ...this.joinsOf(c)].find(matches);
    if (!sub) return false;
    if (sub.join) sub.join.backup = backup;
    sub.sendAck(padded({ kind: 'mptcp', subtype: 'mp_prio', backup }), true);
    return true;
  }

  /** MPTCP_PM_CMD_SUBFLOW_DESTROY: the subflow on this four-tuple closes; false when none is. */
  destroySubflow(c: TcpConnection, localIp: string, localPort: number, remoteIp: string, remotePort: number): boolean {
    const on = (s: TcpConnection): boolean => !LEFT_STATES.has(s.state) && s.tuple.localIp === localIp && s.tuple.localPort === localPort && s.tuple.remoteIp === remoteIp && s.tuple.remotePort === remotePort;
    const sub = [...(c.detached ? [] : [c]), ...this.joinsOf(c)].find(on);
    if (!sub) return false;
    this.host.mib.inc('MPTcpExtRmSubflow');
    if (sub === c) this.closeInitial(c);
    else sub.closeSubflow();
    return true;
  }

  /**
   * The subflow a REMOVE_ADDR goes on: the first active one whose local id it does not name, else
   * the first active one (6.18 mptcp_pm_addr_send_ack, which avoids the subflow being removed).
   */
  private removeAddrCarrier(c: TcpConnection, removed: number[]): TcpConnection | undefined {
    const active = [...(c.detached ? [] : [c]), ...this.joinsOf(c)].filter((s) => s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT');
    return active.find((s) => !removed.includes(s.join?.addressId ?? 0)) ?? active[0];
  }

  /** `endpoint change id N backup|nobackup`: MP_PRIO on every subflow using that address. */
  changeBackup(id: number | undefined, backup: boolean): string | undefined {
    const e = this.endpoints.find((x) => x.id === id);
    if (!e) return 'Error: endpoint not found.';
    e.flags = e.flags.filter((f) => f !== 'backup');
    if (backup) e.flags.push('backup');
    const prio: TcpOption[] = padded({ kind: 'mptcp', subtype: 'mp_prio', backup });
    for (const c of this.masters()) {
      for (const j of this.joinsOf(c)) {
        if (j.tuple.localIp !== e.address || j.state !== 'ESTABLISHED' || j.join!.backup === backup) continue;
        j.join!.backup = backup;
        j.sendAck(prio, true);
      }
    }
    return undefined;
  }
}
