// The SACK scoreboard (tcp_input.c tcp_sacktag_write_queue, tcp_sacktag_one): inbound SACK
// blocks mark the segments they cover whole as sacked. A sacked segment is no longer lost nor
// counted as a retransmission in flight, and is never sent again (tcp_xmit_retransmit_queue
// skips TCPCB_SACKED_ACKED). A first block below the cumulative ACK, or inside the second block,
// is a D-SACK (RFC 2883; tcp_check_dsack) and marks nothing.
import type { TcpOption } from '../../wire/packet.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import type { InFlight } from './sock.js';

/** The sequence number after a segment (its SYN and FIN count). */
export function segEnd(e: InFlight): number {
  return seqAdd(e.seq, e.len + (e.syn ? 1 : 0) + (e.fin ? 1 : 0));
}

/** The SACK blocks of a segment's options (none without the option). */
export function sackBlocks(options: TcpOption[]): Array<[number, number]> {
  for (const o of options) if (o.kind === 'sack') return o.blocks;
  return [];
}

/** What one ACK's SACK blocks did to the scoreboard. */
export interface SackTagResult {
  /** Segments newly sacked, in sequence order. */
  newly: InFlight[];
  /** The first block reported already-received data (D-SACK). */
  dsack: boolean;
  /** A segment below one sacked earlier was sacked now, never retransmitted: the path reorders (tcp_check_sack_reordering). */
  reordered: boolean;
}

/** tcp_check_dsack: the first block lies below `ack`, or inside the second block. */
function isDsack(blocks: Array<[number, number]>, ack: number): boolean {
  const first = blocks[0];
  if (!first) return false;
  if (seqLt(first[0], ack)) return true;
  const second = blocks[1];
  return second !== undefined && seqGe(first[0], second[0]) && seqLe(first[1], second[1]);
}

/** Marks the segments of `inflight` that `blocks` cover whole as sacked (above `ack` only). */
export function sackTag(inflight: InFlight[], blocks: Array<[number, number]>, ack: number): SackTagResult {
  const dsack = isDsack(blocks, ack);
  const result: SackTagResult = { newly: [], dsack, reordered: false };
  let highestSacked: number | undefined;
  for (const e of inflight) if (e.sacked) highestSacked = segEnd(e);
  for (const [i, [start, end]] of blocks.entries()) {
    if (dsack && i === 0) continue;
    // A block must lie above the cumulative ACK and be non-empty (tcp_is_sackblock_valid).
    if (!seqGt(end, start) || seqLe(end, ack)) continue;
    for (const e of inflight) {
      if (e.sacked || e.syn) continue;
      if (seqLt(e.seq, start) || seqGt(segEnd(e), end)) continue;
      if (highestSacked !== undefined && seqLt(segEnd(e), highestSacked) && !e.retrans) result.reordered = true;
      e.sacked = true;
      e.lost = false;
      e.rtxOut = false;
      result.newly.push(e);
    }
  }
  result.newly.sort((a, b) => (seqLt(a.seq, b.seq) ? -1 : 1));
  return result;
}

/**
 * Segments sacked (sacked_out), lost and waiting to be resent, and resent still in flight
 * (retrans_out). A resent segment is no longer marked lost here: Linux keeps TCPCB_LOST and
 * counts it back in with retrans_out, the sum is the same.
 */
export function scoreboard(inflight: InFlight[]): { sacked: number; lost: number; retrans: number } {
  let sacked = 0;
  let lost = 0;
  let retrans = 0;
  for (const e of inflight) {
    if (e.sacked) { sacked++; continue; }
    if (e.lost) lost++;
    if (e.rtxOut) retrans++;
  }
  return { sacked, lost, retrans };
}

/** tcp_packets_in_flight: packets_out - (sacked_out + lost_out) + retrans_out. */
export function packetsInFlight(inflight: InFlight[]): number {
  const s = scoreboard(inflight);
  return inflight.length - (s.sacked + s.lost);
}
