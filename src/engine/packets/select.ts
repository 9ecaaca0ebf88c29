// Which subflow a packet line belongs to (docs/language.md §8.2): the newest subflow unless the
// line names endpoints; a SYN creates a subflow (unless it is a retransmission of the newest
// one); an MP_JOIN SYN joins the connection its token names. Tuple names left unbound are bound
// after the line to the live endpoints of its subflow.

import type { Endpoint as TupleEndpoint, MpJoinSynSpec, PacketAction, TcpBody } from '../../script/ast.js';
import type { IpPacket } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { keyToken } from '../../wire/crypto.js';
import { nextScriptAddress } from './addresses.js';
import type { Env } from './env.js';
import { Connection, Subflow, endpointText, type Endpoint, type Txn } from './state.js';
import { fieldMismatch, numberMismatch, PacketLineError, type FieldMismatch } from './types.js';

export interface LineSubflow {
  subflow: Subflow;
  /** Created by this line: added to the world on commit. */
  created: boolean;
}

/** The endpoints a tuple side asks for; `name` set when the side is an unbound addr[NAME]. */
interface SideSpec {
  address?: string;
  port?: number;
  unboundName?: string;
  boundName?: string;
}

function sideSpec(tx: Txn, e: TupleEndpoint | undefined): SideSpec {
  if (!e) return {};
  if (e.kind === 'port') return { port: e.port };
  if (e.kind === 'address') return { address: e.address, port: e.port };
  const b = tx.address(e.name);
  if (!b) return { unboundName: e.name };
  const s: SideSpec = { address: b.address, boundName: e.name };
  if (b.port !== undefined) s.port = b.port;
  return s;
}

function constrained(s: SideSpec): boolean {
  return s.address !== undefined || s.port !== undefined;
}

function fits(e: Endpoint, s: SideSpec): boolean {
  return (s.address === undefined || s.address === e.address) && (s.port === undefined || s.port === e.port);
}

function joinSynSpec(body: TcpBody): MpJoinSynSpec | undefined {
  if (!Array.isArray(body.options)) return undefined;
  return body.options.find((o): o is MpJoinSynSpec => o.kind === 'mp_join_syn');
}

function isSynOnly(flags: number): boolean {
  return (flags & TcpFlag.SYN) !== 0 && (flags & TcpFlag.ACK) === 0;
}

/** The connection an MP_JOIN token names (a token that fits none joins the newest: bad-token tests). */
function connectionForToken(env: Env, tx: Txn, side: 'script' | 'stack', token: number | undefined): Connection | undefined {
  const conns = env.world.connections;
  if (token !== undefined) {
    for (const c of conns) {
      const name = tx.sideKeyNameNow(c, side);
      const key = name !== undefined ? tx.key(name) : undefined;
      if (key !== undefined && keyToken(key, c.version) === token) return c;
    }
  }
  return conns[conns.length - 1];
}

function inboundJoinToken(tx: Txn, spec: MpJoinSynSpec): number | undefined {
  const t = spec.token;
  if (t.kind === 'literal') return t.value >>> 0;
  if (t.kind === 'hash') {
    const key = tx.key(t.name);
    return key === undefined ? undefined : keyToken(key, t.alg === 'sha1' ? 0 : 1);
  }
  return undefined;
}

function newConnection(env: Env, tx: Txn): Connection {
  const conn = new Connection(env.world.connections.length + 1);
  tx.later(() => env.world.connections.push(conn));
  return conn;
}

function addSubflow(env: Env, tx: Txn, conn: Connection, local: Endpoint, remote: Endpoint, join: boolean): Subflow {
  const pending = env.world.subflows.length + 1;
  const s = new Subflow(pending, conn, local, remote, join);
  tx.later(() => {
    env.world.subflows.push(s);
    if (!env.world.scriptAddresses.includes(remote.address)) env.world.scriptAddresses.push(remote.address);
  });
  return s;
}

/** Binds the unbound tuple names of a line to its subflow's endpoints (left = sender's side). */
function bindTupleNames(tx: Txn, action: PacketAction, sub: Subflow): void {
  const t = action.tuple;
  if (!t) return;
  const inbound = action.direction === 'inbound';
  const pairs: Array<[TupleEndpoint | undefined, Endpoint, 'local' | 'remote']> = [
    [t.src, inbound ? sub.remote : sub.local, inbound ? 'remote' : 'local'],
    [t.dst, inbound ? sub.local : sub.remote, inbound ? 'local' : 'remote'],
  ];
  for (const [e, ep, side] of pairs) {
    if (e?.kind !== 'named') continue;
    const binding = { address: ep.address, port: ep.port };
    const id = side === 'remote' ? sub.scriptAddrId : sub.stackAddrId;
    tx.bindAddress(e.name, id === undefined ? binding : { ...binding, id });
    tx.later(() => {
      if (side === 'local') sub.localName ??= e.name;
      else sub.remoteName ??= e.name;
    });
  }
}

/** The newest subflow fitting the written endpoints (stack side, script side). */
function findFitting(env: Env, local: SideSpec, remote: SideSpec): Subflow | undefined {
  const subs = env.world.subflows;
  for (let i = subs.length - 1; i >= 0; i--) {
    const s = subs[i]!;
    if (fits(s.local, local) && fits(s.remote, remote)) return s;
  }
  return undefined;
}

function describeSpec(s: SideSpec, name: string | undefined): string {
  const where = s.address !== undefined ? (s.port !== undefined ? endpointText({ address: s.address, port: s.port }) : s.address) : `port ${s.port}`;
  return name ? `addr[${name}] (${where})` : where;
}

// ---- Inbound ------------------------------------------------------------------------------

export function selectInbound(env: Env, tx: Txn, action: PacketAction, body: TcpBody): LineSubflow {
  const remoteSpec = sideSpec(tx, action.tuple?.src);
  const localSpec = sideSpec(tx, action.tuple?.dst);
  const anyConstraint = constrained(remoteSpec) || constrained(localSpec);
  const join = joinSynSpec(body);
  const world = env.world;

  let chosen: LineSubflow | undefined;
  if (isSynOnly(body.flags)) {
    const retransmit = anyConstraint ? findFitting(env, localSpec, remoteSpec) : world.newest();
    if (retransmit && !retransmit.established && retransmit.scriptIsn === body.seqStart && retransmit.join === (join !== undefined)) {
      chosen = { subflow: retransmit, created: false };
    } else {
      chosen = { subflow: createInbound(env, tx, remoteSpec, localSpec, join), created: true };
    }
  } else {
    const found = anyConstraint ? findFitting(env, localSpec, remoteSpec) : world.newest();
    if (found) chosen = { subflow: found, created: false };
    else if (world.subflows.length === 0 || !anyConstraint) {
      // A first segment that is no SYN (e.g. probing a listener): a subflow of its own.
      chosen = { subflow: createInbound(env, tx, remoteSpec, localSpec, undefined), created: true };
    } else {
      const want = `${describeSpec(remoteSpec, remoteSpec.boundName)} > ${describeSpec(localSpec, localSpec.boundName)}`;
      throw new PacketLineError(`no subflow has the endpoints ${want}`, action.tuple?.range ?? action.range);
    }
  }
  bindTupleNames(tx, action, chosen.subflow);
  return chosen;
}

function createInbound(env: Env, tx: Txn, remoteSpec: SideSpec, localSpec: SideSpec, join: MpJoinSynSpec | undefined): Subflow {
  const { ctx, world, rng } = env;
  const conn = join ? (connectionForToken(env, tx, 'stack', inboundJoinToken(tx, join)) ?? newConnection(env, tx)) : newConnection(env, tx);
  const first = world.subflows.find((s) => s.conn === conn);
  let remoteAddress = remoteSpec.address;
  if (remoteAddress === undefined) {
    // An MP_JOIN SYN from a name no line bound yet comes from a new script address.
    remoteAddress =
      join && remoteSpec.unboundName !== undefined ? nextScriptAddress(env.world.scriptAddresses[0] ?? ctx.remoteIp, world.scriptAddresses) : ctx.remoteIp;
  }
  const remotePort = remoteSpec.port ?? rng.port((p) => world.portInUse(p));
  const local: Endpoint = {
    address: localSpec.address ?? (join && first ? first.local.address : ctx.localIp),
    port: localSpec.port ?? (join && first ? first.local.port : ctx.bindPort),
  };
  const sub = addSubflow(env, tx, conn, local, { address: remoteAddress, port: remotePort }, join !== undefined);
  if (join) {
    // A new script address gets the connection's next free address id (the join may override).
    if (remoteAddress !== (first?.remote.address ?? ctx.remoteIp)) {
      const bound = remoteSpec.boundName !== undefined ? tx.address(remoteSpec.boundName)?.id : undefined;
      sub.scriptAddrId = bound ?? conn.nextScriptAddrId;
      if (bound === undefined) tx.later(() => (conn.nextScriptAddrId = Math.max(conn.nextScriptAddrId, sub.scriptAddrId! + 1)));
    } else sub.scriptAddrId = 0;
  } else sub.scriptAddrId = 0;
  return sub;
}

// ---- Outbound -----------------------------------------------------------------------------

export type OutboundSelection = { ok: true; line: LineSubflow } | { ok: false; mismatches: FieldMismatch[] };

function liveEndpoints(live: IpPacket): { local: Endpoint; remote: Endpoint } {
  const tcp = live.tcp!;
  return { local: { address: live.ip.src, port: tcp.srcPort }, remote: { address: live.ip.dst, port: tcp.dstPort } };
}

/** Field mismatches between the endpoints a line expects and the live packet's. */
function tupleMismatches(family: 4 | 6, want: { local: SideSpec; remote: SideSpec }, live: { local: Endpoint; remote: Endpoint }): FieldMismatch[] {
  const ip = family === 4 ? 'ipv4' : 'ipv6';
  const out: FieldMismatch[] = [];
  if (want.local.address !== undefined && want.local.address !== live.local.address) out.push(fieldMismatch(`${ip}_src`, want.local.address, live.local.address));
  if (want.remote.address !== undefined && want.remote.address !== live.remote.address) out.push(fieldMismatch(`${ip}_dst`, want.remote.address, live.remote.address));
  if (want.local.port !== undefined && want.local.port !== live.local.port) out.push(numberMismatch('tcp_src_port', want.local.port, live.local.port));
  if (want.remote.port !== undefined && want.remote.port !== live.remote.port) out.push(numberMismatch('tcp_dst_port', want.remote.port, live.remote.port));
  return out;
}

function specOf(e: Endpoint): SideSpec {
  return { address: e.address, port: e.port };
}

export function selectOutbound(env: Env, tx: Txn, action: PacketAction, body: TcpBody, live: IpPacket): OutboundSelection {
  const { world, ctx } = env;
  const localSpec = sideSpec(tx, action.tuple?.src);
  const remoteSpec = sideSpec(tx, action.tuple?.dst);
  const anyConstraint = constrained(localSpec) || constrained(remoteSpec);
  const ends = liveEndpoints(live);
  const liveSub = world.findByTuple(ends.local, ends.remote);
  const join = joinSynSpec(body);

  let line: LineSubflow;
  if (isSynOnly(body.flags) && !liveSub) {
    // The stack opens a subflow: to connect_port on the script's address, or (MP_JOIN) to any
    // script address, unless the line says where.
    const remote = { ...remoteSpec };
    if (!constrained(remote)) {
      if (join) {
        if (!world.scriptAddresses.includes(ends.remote.address) && ends.remote.address !== ctx.remoteIp) {
          return { ok: false, mismatches: [fieldMismatch(`${env.family === 4 ? 'ipv4' : 'ipv6'}_dst`, 'a script address', ends.remote.address)] };
        }
      } else {
        remote.address = ctx.remoteIp;
        remote.port = ctx.connectPort;
      }
    }
    const local = { ...localSpec };
    if (!constrained(local) && !join) local.address = ctx.localIp;
    const bad = tupleMismatches(env.family, { local, remote }, ends);
    if (bad.length) return { ok: false, mismatches: bad };
    let conn: Connection;
    if (join) {
      const token = liveJoinToken(live);
      conn = connectionForToken(env, tx, 'script', token) ?? newConnection(env, tx);
    } else conn = newConnection(env, tx);
    line = { subflow: addSubflow(env, tx, conn, ends.local, ends.remote, join !== undefined), created: true };
    // The stack joins a script address: the id that address was announced with.
    const announced = join ? scriptAddressId(env, tx, ends.remote.address) : 0;
    if (announced !== undefined) line.subflow.scriptAddrId = announced;
  } else {
    let expected = anyConstraint ? findFitting(env, localSpec, remoteSpec) : world.newest();
    if (!expected && world.subflows.length === 0) {
      // The stack's first packet is no SYN (a RST to a probe, ...): a subflow of its own.
      const bad = tupleMismatches(env.family, { local: { address: ctx.localIp, ...localSpec }, remote: { address: ctx.remoteIp, ...remoteSpec } }, ends);
      if (bad.length) return { ok: false, mismatches: bad };
      line = { subflow: addSubflow(env, tx, newConnection(env, tx), ends.local, ends.remote, false), created: true };
    } else if (!expected) {
      const bad = tupleMismatches(env.family, { local: localSpec, remote: remoteSpec }, ends);
      return { ok: false, mismatches: bad.length ? bad : [fieldMismatch('subflow', `${describeSpec(localSpec, localSpec.boundName)} > ${describeSpec(remoteSpec, remoteSpec.boundName)}`, 'no such subflow')] };
    } else if (liveSub && liveSub !== expected) {
      return { ok: false, mismatches: [fieldMismatch('subflow', expected.label(), liveSub.label(), 'the packet was sent on another subflow')] };
    } else if (!liveSub) {
      const bad = tupleMismatches(env.family, { local: specOf(expected.local), remote: specOf(expected.remote) }, ends);
      return { ok: false, mismatches: bad };
    } else line = { subflow: expected, created: false };
  }
  bindTupleNames(tx, action, line.subflow);
  return { ok: true, line };
}

function scriptAddressId(env: Env, tx: Txn, address: string): number | undefined {
  if (address === env.ctx.remoteIp) return 0;
  for (const name of env.world.addresses.keys()) {
    const b = tx.address(name);
    if (b?.address === address && b.id !== undefined) return b.id;
  }
  return undefined;
}

function liveJoinToken(live: IpPacket): number | undefined {
  for (const o of live.tcp?.options ?? []) if (o.kind === 'mptcp' && o.subtype === 'mp_join' && o.form === 'syn') return o.token;
  return undefined;
}
