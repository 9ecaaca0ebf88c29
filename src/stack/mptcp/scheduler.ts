// Linux's default MPTCP scheduler (net/mptcp/protocol.c, 6.18): mptcp_subflow_get_send picks,
// among the usable non-backup subflows, the one with the shortest "linger time" — the bytes it
// already holds divided by its pacing rate — and hands it a burst of up to 64 KiB; a backup
// subflow is used only when no non-backup one is usable. Ties go to the earlier subflow (the
// initial one first). mptcp_subflow_get_retrans picks where the MPTCP-level retransmission goes:
// a usable subflow whose own TCP queues are empty (its ACKs advanced while the DATA_ACK did not).

/** MPTCP_SEND_BURST_SIZE: the most one pick may send before the scheduler runs again. */
export const SEND_BURST = 65536;

export interface SchedSubflow {
  /** Established (a joiner past its fourth ACK), not shut for writing, not detached. */
  readonly sendable: boolean;
  /** Backup in either direction (our endpoint's flag or the peer's MP_PRIO / join flag). */
  readonly backup: boolean;
  /** Bytes written to the subflow and not yet acknowledged by its TCP ACKs (sk_wmem_queued). */
  readonly queuedBytes: number;
  /** Bytes per second (tcp_update_pacing_rate); Infinity before the first RTT sample. */
  readonly pacingRate: number;
}

/** tcp_update_pacing_rate: mss x cwnd / srtt, x2 in slow start (below half ssthresh), x1.2 after. */
export function pacingRate(mss: number, cwnd: number, ssthresh: number, srttUs: number): number {
  if (srttUs <= 0) return Infinity;
  const ratio = cwnd < ssthresh / 2 ? 2 : 1.2;
  return (mss * cwnd * ratio * 1_000_000) / srttUs;
}

const lingerTime = (s: SchedSubflow): number => (s.queuedBytes === 0 ? 0 : s.queuedBytes / s.pacingRate);

/** The subflow the next burst goes to, or undefined when none is usable. */
export function pickSendSubflow<T extends SchedSubflow>(subflows: readonly T[]): T | undefined {
  const best: Array<T | undefined> = [undefined, undefined];
  const bestTime = [Infinity, Infinity];
  let active = 0;
  for (const s of subflows) {
    if (!s.sendable) continue;
    const mode = s.backup ? 1 : 0;
    if (!s.backup) active++;
    const t = lingerTime(s);
    if (best[mode] === undefined || t < bestTime[mode]!) { best[mode] = s; bestTime[mode] = t; }
  }
  return active > 0 ? best[0] : best[1];
}

/** Where an MPTCP-level retransmission goes: a non-backup subflow with nothing queued, else a backup. */
export function pickRetransSubflow<T extends SchedSubflow>(subflows: readonly T[]): T | undefined {
  let backup: T | undefined;
  for (const s of subflows) {
    if (!s.sendable || s.queuedBytes > 0) continue;
    if (s.backup) { backup ??= s; continue; }
    return s;
  }
  return backup;
}
