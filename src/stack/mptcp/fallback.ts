// RFC 8684 §3.7 fallback once the handshake is over, as Linux 6.18 decides it (subflow.c
// get_mapping_status / subflow_check_data_avail, protocol.h mptcp_try_fallback, pm.c
// mptcp_pm_mp_fail_received). Every branch was checked against the kernel with the scripts in
// test/scripts/mptcp/fallback/. The handshake-time conditions (SYN, SYN/ACK, third ACK) are the
// MP_CAPABLE acceptance rules of capable.ts.
import { RESET_EUNSPEC, RESET_UNSPECIFIED } from './join.js';

/** MP_TCPRST reason "middlebox interference" (MPTCP_RST_EMIDDLEBOX). */
export const RESET_MIDDLEBOX = 6;

/**
 * What is wrong with the mapping of received data:
 * - 'no-dss': data outside any mapping (a middlebox stripped the DSS), Linux's MAPPING_NODSS;
 * - 'invalid': an infinite mapping (DLL 0) arrived, or a checksum present/absent against the
 *   negotiation;
 * - 'bad-checksum': the mapping's DSS checksum is wrong;
 * - 'past-end': data without a DSS that starts inside the current mapping and runs past its end
 *   (what is read after the mapping has none); 6.18 resets such a subflow with reason 0 where it
 *   resets one whose new data has no mapping at all with 6, and the whole segment reaches the
 *   socket first (measured: test/scripts/mptcp/fallback/join-segment-past-mapping.pkt).
 */
export type MappingProblem = 'no-dss' | 'invalid' | 'bad-checksum' | 'past-end';

export type FallbackDecision =
  /** Become plain TCP: the data is delivered, nothing carries an MPTCP option any more. */
  | { action: 'fallback' }
  /** Deliver the data, send MP_FAIL and wait for the peer's infinite mapping (single subflow). */
  | { action: 'mp-fail' }
  /** Reset the subflow with MP_TCPRST `reason`, with MP_FAIL for a checksum failure. */
  | { action: 'reset'; reason: number; mpFail: boolean };

export interface FallbackContext {
  /** The data came on an MP_JOIN subflow (never allowed to fall back). */
  joined: boolean;
  /** A mapping with a valid checksum was received before. */
  validChecksumSeen: boolean;
  /** msk->allow_infinite_fallback: no join was ever established, no MPTCP-level retransmission. */
  infiniteAllowed: boolean;
}

export function decideFallback(problem: MappingProblem, ctx: FallbackContext): FallbackDecision {
  const canFallBack = ctx.infiniteAllowed && !ctx.joined;
  // Checksums proved to work (or a join subflow): the failure is reported with MP_FAIL. A
  // failure before any valid checksum is taken for a middlebox at the start: silent fallback.
  if (problem === 'bad-checksum' && (ctx.joined || ctx.validChecksumSeen)) {
    return canFallBack ? { action: 'mp-fail' } : { action: 'reset', reason: RESET_MIDDLEBOX, mpFail: true };
  }
  if (canFallBack) return { action: 'fallback' };
  // 6.18 tells a stripped DSS (middlebox) apart from any other bad mapping (protocol error).
  const reason = problem === 'no-dss' ? RESET_MIDDLEBOX : problem === 'past-end' ? RESET_EUNSPEC : RESET_UNSPECIFIED;
  return { action: 'reset', reason, mpFail: false };
}

/**
 * The MP_FAIL exchange of a single-subflow connection (RFC 8684 §3.7): who failed first decides
 * what the next MP_FAIL means, and the side answering a peer's MP_FAIL puts an infinite mapping
 * on its next data.
 */
export class MpFailExchange {
  /** The DSN for the MP_FAIL on our next ACK. */
  pendingDsn: bigint | undefined;
  /** The DATA_ACK that ACK carries (it must not cover the failed mapping), when we failed. */
  pendingDataAck: bigint | undefined;
  /** We sent MP_FAIL: the peer's MP_FAIL is its answer (Linux's fail timer is then stopped). */
  private awaitingAnswer = false;
  /** The next data goes out under an infinite mapping (DLL 0), then the connection is TCP. */
  sendInfiniteMap = false;

  /** Our checksum check failed for the mapping at `dsn`, which started at data level `dataAck`. */
  fail(dsn: bigint, dataAck: bigint): void {
    this.pendingDsn = dsn;
    this.pendingDataAck = dataAck;
    this.awaitingAnswer = true;
  }

  /**
   * The peer's MP_FAIL. Answering one of ours: nothing to send. Otherwise the answer is an MP_FAIL
   * with the DSN of the mapping we are receiving (not an echo of the peer's DSN: 6.18 writes
   * subflow->map_seq) and an infinite mapping on our next data.
   */
  received(rxMappingDsn: bigint): void {
    if (this.awaitingAnswer) { this.awaitingAnswer = false; return; }
    this.pendingDsn = rxMappingDsn;
    this.pendingDataAck = undefined;
    this.sendInfiniteMap = true;
  }

  /** The MP_FAIL went out. */
  sent(): void {
    this.pendingDsn = undefined;
    this.pendingDataAck = undefined;
  }
}

/**
 * Active MPTCP blackhole detection of a network namespace (ctrl.c mptcp_active_disable /
 * mptcp_active_should_disable): once a connection whose MP_CAPABLE SYNs went unanswered
 * completes as plain TCP, new MPTCP sockets send plain SYNs for net.mptcp.blackhole_timeout
 * seconds, doubling on each repeat up to 64 times; a timeout of 0 turns the detection off.
 */
export class ActiveMptcpBlackhole {
  private times = 0;
  private stampUs = 0;

  disable(nowUs: number, timeoutS: number): void {
    if (timeoutS <= 0) return;
    this.stampUs = nowUs;
    this.times++;
  }

  shouldDisable(nowUs: number, timeoutS: number): boolean {
    if (timeoutS <= 0 || this.times === 0) return false;
    const multiplier = 2 ** Math.min(this.times - 1, 6);
    return nowUs < this.stampUs + multiplier * timeoutS * 1_000_000;
  }
}
