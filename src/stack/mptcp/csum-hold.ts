// With DSS checksums on, a mapping's bytes reach the MPTCP socket only once the whole mapping has
// arrived and its checksum was checked (RFC 8684 §3.3.1): Linux's validate_data_csum
// (net/mptcp/subflow.c) walks the subflow's receive queue for the whole mapping and answers
// MAPPING_EMPTY while part of it is missing, so the bytes wait in the subflow, acked at TCP level,
// and the DATA_ACK does not move. A mapping whose checksum fails is then delivered, dropped with
// the subflow, or delivered as plain TCP after a fallback, as fallback.ts decides.
import type { RxMapping } from './connection.js';

/** In-order subflow bytes kept back, at `rel` (subflow sequence relative to the peer's ISN). */
export interface HeldBytes {
  rel: number;
  data: Uint8Array;
}

export class ChecksumHold {
  private held: HeldBytes[] = [];
  /** Bytes kept back (they take receive-window room, as skbs in the subflow's queue do). */
  bytes = 0;
  /** The mapping's last byte is held: all of it arrived, so it goes on at once (validate_data_csum then finds it whole). */
  complete = false;

  /**
   * Keeps `data` when it belongs to `collecting`, the mapping whose checksum is still being
   * gathered; false when the bytes may go on to the data level.
   */
  hold(collecting: RxMapping | undefined, rel: number, data: Uint8Array): boolean {
    if (!collecting) return false;
    const end = collecting.ssn + collecting.dll - (collecting.dataFin ? 1 : 0);
    if (rel < collecting.ssn || rel >= end) return false;
    this.held.push({ rel, data: data.slice() });
    this.bytes += data.length;
    if (rel + data.length >= end) this.complete = true;
    return true;
  }

  /** The held bytes, in subflow order, now that their mapping was checked. */
  release(): HeldBytes[] {
    const out = this.held;
    this.held = [];
    this.bytes = 0;
    this.complete = false;
    return out;
  }
}
