// Tail loss probe (RFC 8985 7; tcp_output.c tcp_schedule_loss_probe, tcp_send_loss_probe,
// tcp_input.c tcp_process_tlp_ack). When the last segments of a flight may be lost, a probe
// goes 2 * SRTT after the last send, so that the ACK it draws lets RACK find the losses instead
// of waiting for the RTO.
import { MS } from './sock.js';

/** One jiffy at CONFIG_HZ=250 (Linux 6.18 here): timers count whole jiffies (usecs_to_jiffies rounds up). */
export const JIFFY_US = 4 * MS;

/** TCP_TIMEOUT_MIN_US: the slack added to a probe timeout and to the RACK reordering timer. */
export const TIMEOUT_MIN_US = 2 * MS;

/**
 * Measured floor of the probe timeout on 6.18: with SRTT 1 ms and ten segments out the probe
 * went 8-11 ms after the last send, not the 4 ms 2 * SRTT + TCP_TIMEOUT_MIN_US give (6.12's
 * tcp_schedule_loss_probe has no floor; RFC 8985 7.2 suggests 10 ms).
 */
export const PTO_FLOOR_US = 10 * MS;

/** usecs_to_jiffies, back in microseconds. */
export function jiffiesUs(us: number): number {
  return Math.ceil(us / JIFFY_US) * JIFFY_US;
}

/**
 * The probe timeout: 2 * SRTT plus, with one segment in flight, the worst delayed ACK (the
 * minimum RTO) or else TCP_TIMEOUT_MIN_US; 1 s before any RTT sample (TCP_TIMEOUT_INIT); never
 * after the RTO (`rtoLeftUs`: how far off it is).
 */
export function probeTimeoutUs(srttUs: number, hasSample: boolean, packetsOut: number, rtoMinUs: number, rtoLeftUs: number): number {
  let pto = 1_000_000;
  if (hasSample) pto = jiffiesUs(Math.max(2 * srttUs + (packetsOut === 1 ? rtoMinUs : TIMEOUT_MIN_US), PTO_FLOOR_US));
  if (rtoLeftUs > 0) pto = Math.min(pto, jiffiesUs(rtoLeftUs));
  return pto;
}

/** The probe episode: snd_nxt when the probe went (tp->tlp_high_seq, 0: none) and whether it was a retransmission. */
export class TlpState {
  highSeq = 0;
  retrans = false;
  active = false;
}
