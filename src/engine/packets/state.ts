// What the engine remembers between packet lines: subflows (TCP connections with their tuples,
// ISNs, TS values and MP_JOIN nonces), MPTCP connections (keys by side, version, checksum
// negotiation, next DSN per direction) and the script's names (keys, addresses).
//
// Checking a line must not change anything unless the line matches (a mismatch that
// non_fatal=packet lets pass must not have bound a name), so every change goes through a
// Txn: bindings made while handling the line are visible to the rest of that line at once and
// reach the shared state only on commit().

import type { SourceRange } from '../../script/ast.js';
import { keyIdsn, keyToken } from '../../wire/crypto.js';
import { PacketLineError } from './types.js';

export interface Endpoint {
  address: string;
  port: number;
}

/** What an `addr[NAME]` holds: an address, with the port when one is known. */
export interface AddressBinding {
  address: string;
  port?: number;
  /** MPTCP address id, when the address was announced or joined with one. */
  id?: number;
}

/** An outbound TS val as the script wrote it and as the stack sent it. */
export interface TsPair {
  script: number;
  live: number;
  timeUs: number;
}

export class Connection {
  version: 0 | 1 = 1;
  /** DSS checksums negotiated (A flag in either SYN's MP_CAPABLE). */
  checksum = false;
  /** Whether any MP_CAPABLE was seen on the connection (it speaks MPTCP). */
  mptcp = false;
  scriptKeyName?: string;
  stackKeyName?: string;
  /** Absolute DSN of the next byte the script sends; undefined = IDSN(script key) + 1. */
  scriptNextDsn?: bigint;
  /** Absolute DSN of the next byte expected from the stack (the script's DATA_ACK). */
  stackNextDsn?: bigint;
  /** Next MPTCP address id for a new script address (id 0 is the initial subflow's). */
  nextScriptAddrId = 1;

  constructor(readonly id: number) {}
}

export class Subflow {
  /**
   * The script's ISN: the seq it wrote on its SYN or SYN/ACK, sent as written. Its later
   * segments, and the stack's acks after the handshake, count from it (as packetdrill does).
   */
  scriptIsn?: number;
  /** The stack's ISN: live value, and the number the script's relative values count from. */
  stackIsn?: { live: number; script: number };
  /**
   * The START written on the stack's SYN (active open). packetdrill counts the stack's numbers
   * from 0 until the script injects its SYN/ACK, and from this value afterwards.
   */
  stackSynSeq?: number;
  ts: TsPair[] = [];
  scriptNonce?: number;
  stackNonce?: number;
  scriptAddrId?: number;
  stackAddrId?: number;
  /** The script has sent a segment other than its SYN on this subflow. */
  established = false;
  /** A RST went either way: nothing to clean up. */
  reset = false;
  /** Live ACK number of the stack's last segment (for the cleanup RST). */
  lastStackAck?: number;
  /** Names the endpoints were bound to, for messages. */
  localName?: string;
  remoteName?: string;

  constructor(
    readonly id: number,
    readonly conn: Connection,
    /** The stack's side. */
    readonly local: Endpoint,
    /** The script's side. */
    readonly remote: Endpoint,
    readonly join: boolean,
  ) {}

  /** live − script for the stack's sequence space (0 until its ISN is known). */
  stackOffset(): number {
    return this.stackIsn ? (this.stackIsn.live - this.stackIsn.script) >>> 0 : 0;
  }

  /** live − script for the script's sequence space: its ISN (0 until its SYN is known). */
  scriptOffset(): number {
    return (this.scriptIsn ?? 0) >>> 0;
  }

  label(): string {
    const side = (name: string | undefined, e: Endpoint) => `${name ? `addr[${name}] ` : ''}${endpointText(e)}`;
    return `subflow ${this.id} (${side(this.localName, this.local)} <-> ${side(this.remoteName, this.remote)})`;
  }
}

export function endpointText(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.address === b.address && a.port === b.port;
}

/** The engine's memory; only Txn.commit() writes to it while a line is handled. */
export class World {
  readonly subflows: Subflow[] = [];
  readonly connections: Connection[] = [];
  readonly keys = new Map<string, bigint>();
  readonly addresses = new Map<string, AddressBinding>();
  /** Every script-side address in use (remote_ip first), for "highest + 1". */
  readonly scriptAddresses: string[] = [];

  newest(): Subflow | undefined {
    return this.subflows[this.subflows.length - 1];
  }

  findByTuple(local: Endpoint, remote: Endpoint): Subflow | undefined {
    for (let i = this.subflows.length - 1; i >= 0; i--) {
      const s = this.subflows[i]!;
      if (sameEndpoint(s.local, local) && sameEndpoint(s.remote, remote)) return s;
    }
    return undefined;
  }

  portInUse(port: number): boolean {
    return this.subflows.some((s) => s.remote.port === port);
  }
}

/** The changes one line makes, visible to that line at once, applied on commit(). */
export class Txn {
  private readonly keyOverlay = new Map<string, bigint>();
  private readonly addrOverlay = new Map<string, AddressBinding>();
  private readonly actions: Array<() => void> = [];

  constructor(readonly world: World) {}

  key(name: string): bigint | undefined {
    return this.keyOverlay.get(name) ?? this.world.keys.get(name);
  }

  requireKey(name: string, range?: SourceRange): bigint {
    const k = this.key(name);
    if (k === undefined) throw new PacketLineError(`key name ${name} is not bound yet (no earlier line gave it a value)`, range);
    return k;
  }

  /** Binds NAME unless it is bound already; returns the value NAME holds afterwards. */
  bindKey(name: string, value: bigint): bigint {
    const had = this.key(name);
    if (had !== undefined) return had;
    this.keyOverlay.set(name, value);
    return value;
  }

  address(name: string): AddressBinding | undefined {
    return this.addrOverlay.get(name) ?? this.world.addresses.get(name);
  }

  bindAddress(name: string, binding: AddressBinding): void {
    if (this.address(name) === undefined) this.addrOverlay.set(name, binding);
  }

  /** Runs `fn` on commit, in order. */
  later(fn: () => void): void {
    this.actions.push(fn);
  }

  commit(): void {
    for (const [k, v] of this.keyOverlay) this.world.keys.set(k, v);
    for (const [k, v] of this.addrOverlay) this.world.addresses.set(k, v);
    for (const fn of this.actions) fn();
  }

  // ---- Keys by connection side ------------------------------------------------------------

  sideKeyName(conn: Connection, side: 'script' | 'stack'): string | undefined {
    return side === 'script' ? conn.scriptKeyName : conn.stackKeyName;
  }

  /** Records that NAME is the key of `side`; a second, different key for a side is an error. */
  claimSide(conn: Connection, side: 'script' | 'stack', name: string, range?: SourceRange): void {
    const current = this.sideKeyName(conn, side) ?? this.pendingSide.get(`${conn.id}:${side}`);
    if (current === undefined) {
      this.pendingSide.set(`${conn.id}:${side}`, name);
      this.later(() => {
        if (side === 'script') conn.scriptKeyName ??= name;
        else conn.stackKeyName ??= name;
      });
      return;
    }
    if (current === name) return;
    const a = this.key(current);
    const b = this.key(name);
    if (a !== undefined && a === b) return;
    throw new PacketLineError(
      `the ${side === 'script' ? "script's" : "stack's"} key of this connection is already ${current}` +
        `${a !== undefined ? ` (${a})` : ''}; cannot bind a second, different key ${name}${b !== undefined ? ` (${b})` : ''}`,
      range,
    );
  }

  private readonly pendingSide = new Map<string, string>();

  sideKey(conn: Connection, side: 'script' | 'stack', range?: SourceRange): bigint {
    const name = this.sideKeyName(conn, side) ?? this.pendingSide.get(`${conn.id}:${side}`);
    if (name === undefined) {
      throw new PacketLineError(`no ${side === 'script' ? "script's" : "stack's"} MPTCP key is known for this connection yet`, range);
    }
    return this.requireKey(name, range);
  }

  sideKeyNameNow(conn: Connection, side: 'script' | 'stack'): string | undefined {
    return this.sideKeyName(conn, side) ?? this.pendingSide.get(`${conn.id}:${side}`);
  }

  idsn(conn: Connection, side: 'script' | 'stack', range?: SourceRange): bigint {
    return keyIdsn(this.sideKey(conn, side, range), conn.version);
  }

  token(conn: Connection, side: 'script' | 'stack', range?: SourceRange): number {
    return keyToken(this.sideKey(conn, side, range), conn.version);
  }

  /** Absolute DSN of the next byte `side` sends. */
  nextDsn(conn: Connection, side: 'script' | 'stack', range?: SourceRange): bigint {
    const known = side === 'script' ? conn.scriptNextDsn : conn.stackNextDsn;
    return known ?? BigInt.asUintN(64, this.idsn(conn, side, range) + 1n);
  }

  /** After `side` sent DSNs up to `end` (exclusive): the next DSN moves forward, never back. */
  advanceDsn(conn: Connection, side: 'script' | 'stack', end: bigint): void {
    this.later(() => {
      const before = side === 'script' ? conn.scriptNextDsn : conn.stackNextDsn;
      // Compare in the 64-bit circle: a retransmission must not move it back.
      const ahead = before === undefined || BigInt.asIntN(64, end - before) > 0n;
      if (!ahead) return;
      if (side === 'script') conn.scriptNextDsn = end;
      else conn.stackNextDsn = end;
    });
  }
}
