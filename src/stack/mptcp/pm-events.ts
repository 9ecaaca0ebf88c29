// The path manager's events on the bundled stack (docs/language.md §6.5), emitted where Linux 6.18
// calls mptcp_event() (net/mptcp/pm_netlink.c, pm.c, subflow.c), with the same attributes: found
// by looking at the host after each thing it does (the path manager's work), so each event carries
// the virtual time of the packet or call that caused it. Only while someone listens
// (`subscribe`): a listener also makes the userspace PM active (pm.c mptcp_userspace_pm_active).
import type { PmEvent } from '../../targets/pm.js';
import type { Host } from '../host.js';
import { LEFT_STATES, type PathManager } from './path-manager.js';

type Conn = Parameters<PathManager['connectionOf']>[0] & object;

const ERRNO: Readonly<Record<string, number>> = { ECONNRESET: 104, ETIMEDOUT: 110, ECONNREFUSED: 111, EPIPE: 32 };

export class PmEventLog {
  readonly queue: PmEvent[] = [];
  private readonly listeners = new Map<object, Record<string, number | string>>();
  private readonly conns = new Map<Conn, { established: boolean; closed: boolean }>();
  /** MP_PRIO options counted on each subflow at the last look (each new one is an event). */
  private readonly prio = new Map<Conn, number>();
  /** Join subflows seen established, with their connection, until SUB_CLOSED went out. */
  private readonly joins = new Map<Conn, Conn>();

  constructor(private readonly host: Host) {}

  push(type: string, attrs: Record<string, number | string>): void {
    this.queue.push({ type, attrs, time: this.host.clock.now() });
  }

  /** mptcp_event_addr_announced: a valid ADD_ADDR from the peer, on a userspace PM connection. */
  announced(c: Conn, id: number, address: string, port: number | undefined): void {
    this.push('announced', { token: c.mptcp!.local.token, rem_id: id, daddr: address, dport: port ?? c.tuple.remotePort });
  }

  /** mptcp_event_addr_removed: REMOVE_ADDR from the peer. */
  removed(c: Conn, id: number): void {
    this.push('removed', { token: c.mptcp!.local.token, rem_id: id });
  }

  /** Whatever changed since the last look: listeners, connections, join subflows. */
  scan(masters: readonly Conn[], joinsOf: (c: Conn) => Conn[]): void {
    for (const l of this.host.listeners) {
      if (!l.mptcp || this.listeners.has(l)) continue;
      const attrs = { family: l.family === 6 ? 10 : 2, sport: l.port, saddr: l.address ?? (l.family === 6 ? '::' : '0.0.0.0') };
      this.listeners.set(l, attrs);
      this.push('listener_created', attrs);
    }
    // protocol.c mptcp_check_listen_stop: the listener's close.
    for (const [l, attrs] of this.listeners) {
      if (this.host.listeners.includes(l as never)) continue;
      this.listeners.delete(l);
      this.push('listener_closed', attrs);
    }
    for (const c of masters) {
      const m = c.mptcp!;
      let st = this.conns.get(c);
      if (!st) {
        st = { established: false, closed: false };
        this.conns.set(c, st);
        this.push('created', this.connAttrs(c));
      }
      if (!st.established && m.fullyEstablished) {
        st.established = true;
        this.push('established', this.connAttrs(c));
      }
      for (const j of joinsOf(c)) {
        if (this.joins.has(j) || j.state !== 'ESTABLISHED') continue;
        this.joins.set(j, c);
        this.push('sub_established', this.joinAttrs(c, j));
      }
      // pm.c mptcp_pm_mp_prio_received: every MP_PRIO, also one repeating the current wish (6.18).
      for (const sub of [c, ...joinsOf(c)]) {
        const seen = this.prio.get(sub) ?? 0;
        this.prio.set(sub, sub.prioReceived);
        for (let i = seen; i < sub.prioReceived; i++) this.push('sub_priority', { ...this.joinAttrs(c, sub), backup: sub.peerBackup ? 1 : 0 });
      }
      // protocol.c __mptcp_close: the application closed the socket.
      if (!st.closed && c.orphaned) {
        st.closed = true;
        this.push('closed', { token: m.local.token });
      }
    }
    // A join that went (reset, closed) may have left the host's table already.
    for (const [j, c] of this.joins) {
      if (!LEFT_STATES.has(j.state)) continue;
      this.joins.delete(j);
      // sk_err: a join the peer reset keeps no socket error here (its RST went to MPTCP), but
      // Linux's subflow has ECONNRESET (tcp_reset) when mptcp_event_sub_closed reads it.
      const err = j.error ?? (j.subflowLost ? 'ECONNRESET' : undefined);
      const error = err !== undefined ? ERRNO[err] : undefined;
      this.push('sub_closed', { ...this.joinAttrs(c, j), ...(error !== undefined ? { error } : {}) });
    }
  }

  /** CREATED/ESTABLISHED's attributes (mptcp_event_created); server_side and its flag only on a server. */
  private connAttrs(c: Conn): Record<string, number | string> {
    const m = c.mptcp!;
    const server = m.role === 'server';
    return {
      token: m.local.token, ...(server ? { server_side: 1, flags: 2 } : {}), family: c.tuple.family === 6 ? 10 : 2,
      saddr: c.tuple.localIp, daddr: c.tuple.remoteIp, sport: c.tuple.localPort, dport: c.tuple.remotePort, loc_id: 0, rem_id: 0,
    };
  }

  /** SUB_ESTABLISHED's and SUB_CLOSED's attributes (mptcp_event_sub_*). */
  private joinAttrs(c: Conn, j: Conn): Record<string, number | string> {
    return {
      token: c.mptcp!.local.token, family: j.tuple.family === 6 ? 10 : 2, saddr: j.tuple.localIp, daddr: j.tuple.remoteIp,
      sport: j.tuple.localPort, dport: j.tuple.remotePort, loc_id: j.join?.addressId ?? 0, rem_id: j.join?.remoteAddressId ?? 0, backup: j.join?.backup ? 1 : 0,
    };
  }
}
