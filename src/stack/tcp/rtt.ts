// RTT estimation and RTO as Linux computes them (tcp_rtt_estimator / __tcp_set_rto):
// rto = srtt + max(4 * mdev-ish variance, rto_min), initial 1 s, clamped to 120 s.

export const INITIAL_RTO_US = 1_000_000;
export const MAX_RTO_US = 120_000_000;

export class RttEstimator {
  srttUs = 0;
  mdevUs = 0;
  rttvarUs = 0;
  minRttUs = 0;
  rtoUs = INITIAL_RTO_US;
  hasSample = false;

  constructor(private readonly rtoMinUs: number) {}

  sample(m: number): void {
    const mUs = Math.max(1, Math.round(m));
    if (!this.hasSample) {
      this.srttUs = mUs;
      this.mdevUs = 2 * mUs; // Linux keeps mdev scaled by 4: m/2 * 4
      this.minRttUs = mUs;
      this.hasSample = true;
    } else {
      const err = mUs - this.srttUs;
      this.srttUs += err / 8;
      const aerr = Math.abs(err);
      this.mdevUs += (aerr - this.mdevUs) / 4;
      this.minRttUs = Math.min(this.minRttUs, mUs);
    }
    this.rttvarUs = Math.max(this.mdevUs, this.rtoMinUs);
    this.rtoUs = Math.min(MAX_RTO_US, Math.round(this.srttUs + this.rttvarUs));
  }
}
