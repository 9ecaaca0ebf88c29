// HyStart (net/ipv4/tcp_cubic.c hystart_update): leaves slow start early, setting ssthresh to the
// window, when a round's ACKs come back as a train lasting half the minimum RTT (ACK-train
// detection) or when a round's RTT rises by an eighth of the minimum, between 4 and 16 ms (delay
// detection). It works from cwnd 16 (hystart_low_window) and with at least 8 samples a round.
import type { CongestionSock } from './congestion.js';
import { seqGt } from './seq.js';

const LOW_WINDOW = 16;
const ACK_DELTA_US = 2000;
const MIN_SAMPLES = 8;
const DELAY_MIN_US = 4000;
const DELAY_MAX_US = 16000;
/** sk_gso_max_size (GSO_LEGACY_MAX_SIZE) in hystart_ack_delay. */
const GSO_MAX_SIZE = 65536;

export class HyStart {
  roundStart = 0;
  endSeq = 0;
  lastAck = 0;
  currRtt = Infinity;
  sampleCnt = 0;
  /** The exit point was found (ca->found): no more detection until a loss resets. */
  found = false;

  constructor(private readonly sk: CongestionSock) {}

  /** bictcp_hystart_reset: a new round ends when snd_nxt as of now is acknowledged. */
  reset(): void {
    this.roundStart = this.lastAck = this.sk.nowUs;
    this.endSeq = this.sk.sndNxt;
    this.currRtt = Infinity;
    this.sampleCnt = 0;
  }

  /**
   * hystart_ack_delay: the time a GSO burst of 64 KB takes at the pacing rate, at most 1 ms
   * (tcp_update_pacing_rate: mss x cwnd / srtt, x2 in slow start).
   */
  private ackDelayUs(): number {
    const { mss, srttUs, cwnd, ssthresh } = this.sk;
    if (srttUs <= 0) return 0;
    const rate = (mss * cwnd * (cwnd < ssthresh / 2 ? 2 : 1.2) * 1_000_000) / srttUs;
    return Math.min(1000, Math.floor((GSO_MAX_SIZE * 4 * 1_000_000) / rate));
  }

  /** hystart_update for one RTT sample `delay`; `delayMin` is cubic's minimum. */
  update(delay: number, delayMin: number): void {
    const sk = this.sk;
    if (seqGt(sk.sndUna, this.endSeq)) this.reset();
    if (sk.cwnd < LOW_WINDOW) return;
    const now = sk.nowUs;
    if (now - this.lastAck <= ACK_DELTA_US) {
      this.lastAck = now;
      // Without pacing (SK_PACING_NONE: cubic without fq) half the minimum RTT is enough.
      const threshold = (delayMin + this.ackDelayUs()) >> 1;
      if (now - this.roundStart > threshold) this.exit();
    }
    this.currRtt = Math.min(this.currRtt, delay);
    if (this.sampleCnt < MIN_SAMPLES) { this.sampleCnt++; return; }
    const thresh = Math.min(Math.max(delayMin >> 3, DELAY_MIN_US), DELAY_MAX_US);
    if (this.currRtt > delayMin + thresh) this.exit();
  }

  private exit(): void {
    this.found = true;
    this.sk.ssthresh = this.sk.cwnd;
  }
}
