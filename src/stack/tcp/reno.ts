// Reno (net/ipv4/tcp_cong.c): slow start and additive increase, halving on a loss. Slow start
// and additive increase are the helpers other algorithms share (tcp_slow_start, tcp_cong_avoid_ai).
import type { CongestionOps, CongestionSock } from './congestion.js';

/** tcp_in_slow_start. */
export function inSlowStart(sk: CongestionSock): boolean {
  return sk.cwnd < sk.ssthresh;
}

/** tcp_slow_start: one segment per segment acknowledged, up to ssthresh; returns the ACKs left over. */
export function slowStart(sk: CongestionSock, acked: number): number {
  const cwnd = Math.min(sk.cwnd + acked, sk.ssthresh);
  const left = acked - (cwnd - sk.cwnd);
  sk.cwnd = cwnd;
  return left;
}

/** tcp_cong_avoid_ai: one segment more per `w` segments acknowledged. */
export function congAvoidAi(sk: CongestionSock, w: number, acked: number): void {
  // Credits gathered at a larger w are applied gently now.
  if (sk.cwndCount >= w) {
    sk.cwndCount = 0;
    sk.cwnd++;
  }
  sk.cwndCount += acked;
  if (sk.cwndCount >= w) {
    const delta = Math.floor(sk.cwndCount / w);
    sk.cwndCount -= delta * w;
    sk.cwnd += delta;
  }
}

/**
 * The start every cong_avoid shares: nothing unless the window limited the sender, then slow
 * start; returns the ACKed segments left for congestion avoidance (0: none).
 */
export function slowStartFirst(sk: CongestionSock, acked: number, cwndLimited: boolean): number {
  if (!cwndLimited) return 0;
  return inSlowStart(sk) ? slowStart(sk, acked) : acked;
}

export class Reno implements CongestionOps {
  constructor(
    protected readonly sk: CongestionSock,
    readonly name = 'reno',
  ) {}

  /** tcp_reno_ssthresh. */
  ssthresh(): number {
    return Math.max(this.sk.cwnd >> 1, 2);
  }

  /** tcp_reno_cong_avoid. */
  congAvoid(_ack: number, acked: number, cwndLimited: boolean): void {
    const left = slowStartFirst(this.sk, acked, cwndLimited);
    if (left > 0) congAvoidAi(this.sk, this.sk.cwnd, left);
  }

  /** tcp_reno_undo_cwnd. */
  undoCwnd(): number {
    return Math.max(this.sk.cwnd, this.sk.priorCwnd);
  }
}
