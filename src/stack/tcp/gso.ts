// How many segments Linux puts in one TSO/GSO packet (tcp_tso_autosize in net/ipv4/tcp_output.c),
// from the pacing rate tcp_update_pacing_rate gives (tcp_input.c). It matters on the wire
// because tcp_transmit_skb sets PSH on every packet of more than one segment, so the last
// segment of each burst carries PSH (measured on 6.18: tcp/data/psh-gso-pairs.pkt).

const GSO_MAX_SIZE = 65536; // GSO_LEGACY_MAX_SIZE of the test device
const PACING_SHIFT = 10; // sk_pacing_shift: about 1 ms of data per packet
const TSO_RTT_LOG = 9; // net.ipv4.tcp_tso_rtt_log
const MIN_TSO_SEGS = 2; // net.ipv4.tcp_min_tso_segs
const PACING_SS_RATIO = 200; // net.ipv4.tcp_pacing_ss_ratio
const PACING_CA_RATIO = 120; // net.ipv4.tcp_pacing_ca_ratio

export interface PacingInputs {
  mss: number;
  cwnd: number;
  ssthresh: number;
  packetsOut: number;
  /** Smoothed RTT in µs; 0: no sample (the rate is unlimited). */
  srttUs: number;
  /** Minimum RTT in µs; undefined: no sample. */
  minRttUs: number | undefined;
}

/** tcp_update_pacing_rate: bytes per second, 200 % of cwnd per RTT in slow start, 120 % after. */
export function pacingRate(p: PacingInputs): number {
  if (p.srttUs <= 0) return Infinity;
  const ratio = p.cwnd < p.ssthresh / 2 ? PACING_SS_RATIO : PACING_CA_RATIO;
  return (p.mss * ratio * Math.max(p.cwnd, p.packetsOut) * 1_000_000) / 100 / p.srttUs;
}

/** tcp_tso_autosize: segments per TSO packet, at least tcp_min_tso_segs. */
export function tsoSegs(p: PacingInputs): number {
  let bytes = Math.floor(pacingRate(p) / 2 ** PACING_SHIFT);
  const r = p.minRttUs === undefined ? Infinity : Math.floor(p.minRttUs / 2 ** TSO_RTT_LOG);
  if (r < 32) bytes += Math.floor(GSO_MAX_SIZE / 2 ** r);
  bytes = Math.min(bytes, GSO_MAX_SIZE);
  return Math.max(Math.floor(bytes / p.mss), MIN_TSO_SEGS);
}
