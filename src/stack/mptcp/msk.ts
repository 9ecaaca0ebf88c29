// The MPTCP connection's state (Linux's struct mptcp_sock): its version, keys and sequence
// spaces, what the peer said and what is pending, and the MP_CAPABLE handshake that sets them up
// (RFC 8684 §3.1; net/mptcp/subflow.c subflow_finish_connect, subflow_syn_recv_sock). Sending,
// receiving and ADD_ADDR are connection.ts, on top of it.
import type { MptcpVersion } from '../../wire/crypto.js';
import type { AddAddr, MpCapable, MptcpOption, TcpOption } from '../../wire/packet.js';
import type { Subflow } from './subflow-socket.js';
import { FLAG_A_CHECKSUM, FLAG_C_NO_JOIN_INITIAL, localFlags, validCapable } from './capable.js';
import type { KeyMaterial } from './keys.js';
import { material } from './keys.js';
import { DataTxQueue } from './tx-queue.js';
import { TCP_RTO_MIN_US } from './data-fin-timer.js';
import { MpFailExchange, RESET_MIDDLEBOX } from './fallback.js';
import type { Mib } from '../mib.js';

const MASK64 = (1n << 64n) - 1n;
export const add64 = (a: bigint, n: bigint | number): bigint => (a + BigInt(n)) & MASK64;

export interface MptcpSettings {
  checksumEnabled: boolean;
  allowJoinInitial: boolean;
  synRetransBeforeFallback: number;
  /** `net.mptcp.mptcp_version`: the version a client opens with; a server also answers v0 SYNs when 0. */
  version?: MptcpVersion;
  /** Active MPTCP is disabled in the namespace (fallback.ts ActiveMptcpBlackhole): plain SYNs. */
  activeDisabled?: boolean;
  /** A connection whose MP_CAPABLE SYNs were dropped got its SYN/ACK: the namespace may disable active MPTCP. */
  onMpcBlackhole?: () => void;
  /** The namespace's MIB counters. */
  mib?: Mib;
  /**
   * `net.mptcp.pm_type=1` when the connection was made (pm.c mptcp_pm_data_init): a userspace
   * path manager decides, and with no daemon listening (the stack models none) the kernel
   * announces nothing, echoes no ADD_ADDR and takes no join (pm.c mptcp_pm_allow_new_subflow).
   */
  userspacePm?: boolean;
  /** A daemon listens to the PM's events (src/stack/mptcp/pm-events.ts): the userspace PM is active. */
  userspaceDaemon?: () => boolean;
}

/** The mapping a stretch of written data is sent under (repeated on every segment cut from it). */
export interface TxMapping {
  dsn: bigint;
  ssn: number;
  dll: number;
  checksum?: number;
}

export interface TxSegmentInfo {
  mapping?: TxMapping;
  payloadLen: number;
  /** Sequence number of the segment relative to the subflow ISN (1 = first byte after the SYN). */
  seqRel: number;
  fin: boolean;
  /** A zero-length segment carrying the bare DATA_FIN. */
  dataFin: boolean;
  /** Sent on a join subflow (never carries MP_CAPABLE). */
  joined?: boolean;
  rst?: { fastclose: boolean; reason: number | undefined };
}

/**
 * What the subflow does with a segment:
 * 'mp-fail-reset': a mapping error with no fallback left (fallback.ts): reset this subflow (its
 * data taken at TCP level); the connection lives on over the others. The RST's MP_TCPRST reason
 * is the one fallback.ts chose (6 "middlebox interference" for a stripped DSS or a checksum
 * failure, with MP_FAIL then; 1 for any other bad mapping), whatever reason the subflow asks for.
 * A failed checksum never discards data: 6.18 delivers the failed mapping's data and sends MP_FAIL.
 */
export type RxVerdict = 'ok' | 'fastclose-on-ack' | 'mp-fail-reset';

export { RESET_MIDDLEBOX };

export interface RxMapping {
  dsn: bigint;
  ssn: number;
  dll: number;
  checksum: number | undefined;
  dataFin: boolean;
  parts: Uint8Array[];
  got: number;
}

/**
 * The mapping a subflow is receiving under, kept per subflow as 6.18 keeps map_seq,
 * map_subflow_seq, map_data_len and map_csum in each subflow context: segments without a DSS of
 * their own inside it belong to it, on a join as on the first subflow.
 */
export interface SubflowRxMap {
  /** Subflow sequence span of the latest mapping's data (first byte, end; a DATA_FIN takes no byte): data past its end without a DSS means the DSS was stripped (MAPPING_NODSS). */
  window?: { start: number; end: number };
  /** The mapping whose payload is being gathered for its DSS checksum (checksums on). */
  collecting?: RxMapping;
}

export class MptcpSock {
  /** The connection's MPTCP version: the client's from the sysctl, the server's from the SYN. */
  version: MptcpVersion;
  fallback = false;
  checksum = false;
  fullyEstablished = false;
  remote: KeyMaterial | undefined;
  /** Send a 64-bit DATA_ACK (the last mapping received had a 64-bit DSN). */
  use64bitAck = false;
  /** Data level: next DSN to write (write_seq), oldest unacked (snd_una), next expected (rcv_nxt). */
  writeSeq: bigint;
  sndUna: bigint;
  rcvNxt = 0n;
  dataFinDsn: bigint | undefined;
  dataFinAcked = false;
  /** Linux's msk->timer_ival, where a DATA_FIN's retransmissions start (data-fin-timer.ts). */
  rtxIvalUs = TCP_RTO_MIN_US;
  peerDataFin = false;
  protected peerDataFinDsn: bigint | undefined;
  /** DSN of the latest mapping received (Linux's subflow->map_seq, what our MP_FAIL names). */
  protected lastRxMapDsn: bigint | undefined;
  protected validChecksumSeen = false;
  /** The peer's MP_CAPABLE set C: it accepts no join to its initial address (msk->pm.remote_deny_join_id0). */
  peerDeniesJoinToInitial = false;
  /** The SYN went plain after unanswered MP_CAPABLE SYNs (Linux's subflow->mpc_drop). */
  protected mpcDropped = false;
  protected readonly mpFail = new MpFailExchange();
  /** MP_TCPRST reason of the subflow reset a mapping error asked for ('mp-fail-reset'). */
  protected mappingResetReason: number | undefined;
  /** The segment whose mapping problem resets the subflow still reaches the socket whole (6.18, 'past-end'). */
  resetDeliversSegment = false;
  /** Valid ADD_ADDRs received, to be echoed one per pure ACK (§5.4). */
  protected pendingEchoes: AddAddr[] = [];
  addAddrReceived = 0;
  /** Our announcements (ADD_ADDR, HMAC with our key first), sent one per pure ACK until echoed. */
  protected pendingAnnounces: AddAddr[] = [];
  /** Announced and not yet echoed, by address id. */
  readonly unechoed = new Map<number, AddAddr>();
  /** MPTCP_INFO counters: ADD_ADDRs we sent (first transmissions) and peer addresses we used. */
  addAddrSignal = 0;
  addAddrAccepted = 0;
  /** Local `subflow` endpoints the established event took (pm.local_addr_used; joins made in answer to an ADD_ADDR do not count). */
  localAddrUsed = 0;
  /** The mapping the last segment given to onSegment carried (DSN expanded to 64 bits). */
  lastMapping: { dsn: bigint; ssn: number; dll: number; dsn64: boolean } | undefined;
  /** Data-level reassembly across subflows: bytes that arrived ahead of rcv_nxt, by DSN. */
  protected readonly ahead = new Map<bigint, Uint8Array>();
  /** Established join subflows (the initial subflow is not counted, as mptcpi_subflows). */
  readonly joins = new Set<Subflow>();
  /** Written data not yet DATA_ACKed, by DSN, with the subflow carrying it (reinjection, MPTCP-level retransmission). */
  readonly txq = new DataTxQueue<Subflow>();
  /** The peer's data-level window ends here (msk->wnd_end: a DATA_ACK plus the window beside it). */
  wndEnd = 0n;
  /** A join subflow was established once (Linux then forbids the infinite-mapping fallback). */
  hadJoin = false;
  /** The data level retransmitted once (idem). */
  retransmitted = false;
  /** The initial subflow is gone while the connection lives on over its joins. */
  initialClosed = false;
  /** Join subflows reset after a checksum failure: 6.18 keeps counting them in mptcpi_subflows. */
  lingeringResets = 0;
  /** Valid ADD_ADDRs from the peer (already queued for their echo), for the path manager. */
  readonly peerAnnounced: AddAddr[] = [];
  /** Address ids the peer removed (REMOVE_ADDR): the path manager closes their subflows. */
  readonly peerRemoved: number[] = [];
  /** v0 MP_PRIO with an address id: the path manager applies it to the subflows of that remote id. */
  readonly peerPrio: Array<{ addressId: number; backup: boolean }> = [];
  stats = { bytesSent: 0n, bytesReceived: 0n, bytesAcked: 0n, bytesRetrans: 0n, retransmits: 0, lastDataSent: 0, lastDataRecv: 0, lastAckRecv: 0 };

  constructor(
    readonly role: 'client' | 'server',
    /** Our key, with its token and IDSN hashed for `version` (a v0 server rehashes on the SYN). */
    public local: KeyMaterial,
    protected readonly settings: MptcpSettings,
    protected readonly now: () => number,
  ) {
    this.version = role === 'client' ? settings.version ?? 1 : 1;
    if (this.version !== 1) this.local = material(local.key, this.version);
    this.writeSeq = add64(this.local.idsn, 1);
    this.sndUna = this.writeSeq;
  }

  protected get flags(): number {
    return localFlags(this.settings.checksumEnabled, this.settings.allowJoinInitial, this.version);
  }

  /**
   * Flags of the client's MP_CAPABLE after the SYN/ACK (third ACK, first data): A when checksums
   * were negotiated, also when only the server asked (6.18 writes msk->csum_enabled there).
   */
  protected get ackFlags(): number {
    return this.flags | (this.checksum ? FLAG_A_CHECKSUM : 0);
  }

  /** A server answering a v0 SYN: token and IDSN become SHA-1 ones. */
  protected useVersion(version: MptcpVersion): void {
    if (version === this.version) return;
    this.version = version;
    this.local = material(this.local.key, version);
    this.writeSeq = add64(this.local.idsn, 1);
    this.sndUna = this.writeSeq;
  }

  /** MP_TCPRST of a reset (v1 only: RFC 6824 has no such option). */
  resetOptions(reason: number): TcpOption[] {
    return this.version === 0 ? [] : [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason }];
  }

  // ---- opening ------------------------------------------------------------------------------

  /** Client SYN option; from the (limit+1)-th retransmission on, the SYN is plain TCP (fallback). */
  synOptions(retransmissions: number): TcpOption[] {
    if (!this.fallback && retransmissions > this.settings.synRetransBeforeFallback) this.mpcDropped = true;
    if (this.fallback || this.mpcDropped || this.settings.activeDisabled) {
      this.fallBack();
      return [];
    }
    const o: MpCapable = { kind: 'mptcp', subtype: 'mp_capable', version: this.version, flags: this.flags };
    if (this.version === 0) o.senderKey = this.local.key; // v0: the initiator's key rides in the SYN
    return [o];
  }

  /**
   * Server: the SYN asked for MPTCP (validSynCapable). A v1 listener takes checksums from its own
   * sysctl, not from the SYN's A flag: Linux 6.18 sets the request's csum_reqd from
   * net.mptcp.checksum_enabled only (subflow.c subflow_init_req) and the client's wish comes with
   * its third ACK (protocol.c mptcp_sk_clone_init; onThirdAck). A v0 SYN (RFC 6824 §3.1: either
   * side's A asks for checksums) makes the connection v0 and already carries the client's key.
   */
  acceptSyn(syn: MpCapable): void {
    this.useVersion(syn.version === 0 ? 0 : 1);
    const peerAsks = this.version === 0 && (syn.flags & FLAG_A_CHECKSUM) !== 0;
    this.checksum = this.settings.checksumEnabled || peerAsks;
    if (this.version === 0 && syn.senderKey !== undefined) this.setRemote(syn.senderKey);
  }

  synAckOptions(): TcpOption[] {
    if (this.fallback) return [];
    return [{ kind: 'mptcp', subtype: 'mp_capable', version: this.version, flags: this.flags, senderKey: this.local.key }];
  }

  /** Client: a SYN/ACK with a valid 12-byte MP_CAPABLE, or fallback. */
  onSynAck(opts: readonly MptcpOption[]): void {
    if (this.mpcDropped) this.settings.onMpcBlackhole?.();
    if (this.fallback) return;
    const c = validCapable(opts, [12], this.version);
    // subflow.c subflow_finish_connect: a client that asked for MPTCP counts the answer either way.
    if (!c || c.senderKey === undefined) { this.settings.mib?.inc('MPTcpExtMPCapableFallbackSYNACK'); this.fallBack(); return; }
    this.settings.mib?.inc('MPTcpExtMPCapableSYNACKRX');
    this.setRemote(c.senderKey);
    this.checksum = this.settings.checksumEnabled || (c.flags & FLAG_A_CHECKSUM) !== 0;
    this.notePeerFlags(c.flags);
  }

  /** Flag C of the peer's MP_CAPABLE (client: its SYN/ACK, subflow.c subflow_finish_connect; server: the third ACK, options.c check_fully_established). */
  protected notePeerFlags(flags: number): void {
    if (this.version === 1 && (flags & FLAG_C_NO_JOIN_INITIAL) !== 0) this.peerDeniesJoinToInitial = true;
  }

  /**
   * Server: the segment completing the handshake must carry MP_CAPABLE with both keys (20 on a
   * pure ACK, 22/24 with data); otherwise the connection falls back to TCP.
   */
  onThirdAck(opts: readonly MptcpOption[], payloadLen: number): void {
    if (this.fallback) return;
    const c = validCapable(opts, this.version === 0 ? [20] : payloadLen > 0 ? [22, 24] : [20], this.version);
    if (this.version === 0 && !c && this.remote && opts.some((o) => o.subtype === 'dss')) {
      // RFC 6824 §3.1: the third ACK was lost; a DSS from the client (whose key came in the SYN)
      // confirms MPTCP as well.
      this.fullyEstablished = true;
      return;
    }
    // subflow.c subflow_syn_recv_sock: an MPTCP request whose third ACK has no MP_CAPABLE.
    if (!c || c.senderKey === undefined) { this.settings.mib?.inc('MPTcpExtMPCapableFallbackACK'); this.fallBack(); return; }
    this.setRemote(c.senderKey);
    if ((c.flags & FLAG_A_CHECKSUM) !== 0) this.checksum = true;
    this.notePeerFlags(c.flags);
    this.fullyEstablished = true;
  }

  protected setRemote(key: bigint): void {
    this.remote = material(key, this.version);
    this.rcvNxt = add64(this.remote.idsn, 1);
  }

  fallBack(): void {
    this.fallback = true;
  }
}
