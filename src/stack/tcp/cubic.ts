// CUBIC (net/ipv4/tcp_cubic.c, RFC 9438): after a loss the window follows a cubic function of
// the time since, centred on the window before the loss (bictcp_update), never slower than reno
// would be (TCP friendliness); ssthresh is 717/1024 of the window, and fast convergence lowers the
// remembered maximum when losses come below it. Slow start is reno's with HyStart (hystart.ts).
import type { AckSample, CaEvent, CongestionOps, CongestionSock } from './congestion.js';
import { HyStart } from './hystart.js';
import { congAvoidAi, inSlowStart, slowStartFirst } from './reno.js';

/** CONFIG_HZ of the kernel measured (6.18 here: 250); cubic counts time in jiffies. */
export const HZ = 250;
const BETA = 717;
const BETA_SCALE = 1024;
const BICTCP_HZ = 10;
const BIC_SCALE = 41;
/** cube_rtt_scale, beta_scale and cube_factor as cubictcp_register computes them. */
const CUBE_RTT_SCALE = BigInt(BIC_SCALE * 10);
const FRIENDLY_SCALE = Math.floor(Math.floor((8 * (BETA_SCALE + BETA)) / 3) / (BETA_SCALE - BETA));
const CUBE_FACTOR = (1n << BigInt(10 + 3 * BICTCP_HZ)) / CUBE_RTT_SCALE;

const jiffies = (us: number): number => Math.floor(us / (1_000_000 / HZ));
const usecsToJiffies = (us: number): number => Math.ceil(us / (1_000_000 / HZ));

/** cubic_root: a table estimate and one Newton-Raphson step, as the kernel rounds it. */
const V = [0, 54, 54, 54, 118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156, 157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199, 200, 202, 204, 206, 209, 211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229, 231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254];
export function cubicRoot(a: bigint): number {
  const fls = a === 0n ? 0 : a.toString(2).length;
  if (fls < 7) return (V[Number(a)]! + 35) >> 6;
  const b = ((fls * 84) >> 8) - 1;
  const shift = Number(a >> BigInt(b * 3));
  let x = (((V[shift]! + 10) << b) >>> 0) >> 6;
  x = 2 * x + Number(a / (BigInt(x) * BigInt(x - 1)));
  return Math.floor((x * 341) / 1024);
}

export class Cubic implements CongestionOps {
  readonly name = 'cubic';
  private cnt = 0;
  private lastMaxCwnd = 0;
  private lastCwnd = 0;
  private lastTime = 0;
  private originPoint = 0;
  private k = 0;
  private delayMin = 0;
  private epochStart = 0;
  private ackCnt = 0;
  private tcpCwnd = 0;
  private readonly hystart: HyStart;

  /** cubictcp_init. */
  constructor(private readonly sk: CongestionSock) {
    this.hystart = new HyStart(sk);
    this.hystart.reset();
  }

  /** bictcp_reset. */
  private resetEpoch(): void {
    this.cnt = this.lastMaxCwnd = this.lastCwnd = this.lastTime = this.originPoint = this.k = 0;
    this.delayMin = this.epochStart = this.ackCnt = this.tcpCwnd = 0;
    this.hystart.found = false;
  }

  /** cubictcp_recalc_ssthresh, with fast convergence. */
  ssthresh(): number {
    const cwnd = this.sk.cwnd;
    this.epochStart = 0;
    this.lastMaxCwnd = cwnd < this.lastMaxCwnd ? Math.floor((cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE)) : cwnd;
    return Math.max(Math.floor((cwnd * BETA) / BETA_SCALE), 2);
  }

  /** cubictcp_cong_avoid. */
  congAvoid(_ack: number, acked: number, cwndLimited: boolean): void {
    const left = slowStartFirst(this.sk, acked, cwndLimited);
    if (left === 0) return;
    this.update(this.sk.cwnd, left);
    congAvoidAi(this.sk, this.cnt, left);
  }

  /** cubictcp_state: a loss timeout starts everything afresh. */
  setState(state: number): void {
    if (state !== 4) return;
    this.resetEpoch();
    this.hystart.reset();
  }

  /** cubictcp_cwnd_event: an idle sender shifts the epoch by the idle time. */
  cwndEvent(ev: CaEvent): void {
    if (ev !== 'tx-start' || this.epochStart === 0) return;
    const now = jiffies(this.sk.nowUs);
    const delta = now - jiffies(this.sk.lastSendUs);
    if (delta > 0) this.epochStart = Math.min(this.epochStart + delta, now);
  }

  /** cubictcp_acked: the minimum RTT, and HyStart in slow start. */
  pktsAcked(sample: AckSample): void {
    if (sample.rttUs < 0) return;
    // Delay samples right after a recovery are discarded.
    if (this.epochStart !== 0 && jiffies(this.sk.nowUs) - this.epochStart < HZ) return;
    const delay = Math.max(1, sample.rttUs);
    if (this.delayMin === 0 || this.delayMin > delay) this.delayMin = delay;
    if (!this.hystart.found && inSlowStart(this.sk)) this.hystart.update(delay, this.delayMin);
  }

  undoCwnd(): number {
    return Math.max(this.sk.cwnd, this.sk.priorCwnd);
  }

  /** bictcp_update: ca->cnt, the ACKs per one segment more. */
  private update(cwnd: number, acked: number): void {
    const now = jiffies(this.sk.nowUs);
    this.ackCnt += acked;
    if (this.lastCwnd === cwnd && now - this.lastTime <= Math.floor(HZ / 32)) return;
    // The cubic function updates cnt at most once a jiffy.
    if (!(this.epochStart !== 0 && now === this.lastTime)) {
      this.lastCwnd = cwnd;
      this.lastTime = now;
      if (this.epochStart === 0) {
        this.epochStart = now;
        this.ackCnt = acked;
        this.tcpCwnd = cwnd;
        if (this.lastMaxCwnd <= cwnd) { this.k = 0; this.originPoint = cwnd; }
        else { this.k = cubicRoot(CUBE_FACTOR * BigInt(this.lastMaxCwnd - cwnd)); this.originPoint = this.lastMaxCwnd; }
      }
      let t = now - this.epochStart + usecsToJiffies(this.delayMin);
      t = Math.floor((t * (1 << BICTCP_HZ)) / HZ);
      const offs = BigInt(Math.abs(t - this.k));
      const delta = Number((CUBE_RTT_SCALE * offs * offs * offs) >> BigInt(10 + 3 * BICTCP_HZ));
      const target = t < this.k ? this.originPoint - delta : this.originPoint + delta;
      this.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
      // The first epoch, with no maximum known, grows at least 5% a round.
      if (this.lastMaxCwnd === 0 && this.cnt > 20) this.cnt = 20;
    }
    // TCP friendliness: never slower than reno's window estimate.
    const per = (cwnd * FRIENDLY_SCALE) >> 3;
    while (this.ackCnt > per && per > 0) { this.ackCnt -= per; this.tcpCwnd++; }
    if (this.tcpCwnd > cwnd) this.cnt = Math.min(this.cnt, Math.floor(cwnd / (this.tcpCwnd - cwnd)));
    this.cnt = Math.max(this.cnt, 2);
  }
}
