// When unacknowledged data end a connection (net/ipv4/tcp_timer.c): tcp_write_timeout's limit
// is a time, not a count of retransmissions — tcp_model_timeout turns tcp_retries2 (or the
// orphan retries) into the time that many doubling timeouts from TCP_RTO_MIN would take, and
// TCP_USER_TIMEOUT replaces it; both count from retrans_stamp, the first retransmission.
import { HZ } from './cubic.js';
import { MAX_RTO_US } from './rtt.js';

const RTO_MIN_MS = 200;
/** TCP_RTO_MIN: the zero-window probe's least interval (tcp_probe0_base). */
export const RTO_MIN_US = RTO_MIN_MS * 1000;
const RTO_MAX_MS = MAX_RTO_US / 1000;
/** One jiffy of the kernel measured (CONFIG_HZ 250, see cubic.ts): a timer due "now". */
const JIFFY_US = 1_000_000 / HZ;

/** tcp_model_timeout: ms that `boundary` timeouts take, doubling from `rtoBaseMs` up to TCP_RTO_MAX. */
export function modelTimeoutMs(boundary: number, rtoBaseMs = RTO_MIN_MS): number {
  const linearThresh = Math.floor(Math.log2(RTO_MAX_MS / rtoBaseMs));
  if (boundary <= linearThresh) return ((2 << boundary) - 1) * rtoBaseMs;
  return ((2 << linearThresh) - 1) * rtoBaseMs + (boundary - linearThresh) * RTO_MAX_MS;
}

/**
 * tcp_orphan_retries: net.ipv4.tcp_orphan_retries, where 0 means 8 while the RTO is below
 * TCP_RTO_MAX ("alive").
 */
export function orphanRetries(sysctl: number, alive: boolean): number {
  return sysctl === 0 && alive ? 8 : sysctl;
}

/**
 * retransmits_timed_out: after at least one retransmission, `userTimeoutMs` (when set) or the
 * modelled time of `boundary` retransmissions has passed since `retransStampUs`.
 */
export function retransmitsTimedOut(retransmits: number, retransStampUs: number, nowUs: number, boundary: number, userTimeoutMs: number): boolean {
  if (retransmits === 0) return false;
  const timeoutMs = userTimeoutMs > 0 ? userTimeoutMs : modelTimeoutMs(boundary);
  return Math.floor((nowUs - retransStampUs) / 1000) >= timeoutMs;
}

/** tcp_clamp_rto_to_user_timeout: the next timeout, no later than the user timeout's end. */
export function clampRtoToUserTimeout(rtoUs: number, retransStampUs: number, nowUs: number, userTimeoutMs: number): number {
  if (userTimeoutMs <= 0) return rtoUs;
  const remainingUs = userTimeoutMs * 1000 - (nowUs - retransStampUs);
  return remainingUs <= 0 ? JIFFY_US : Math.min(rtoUs, remainingUs);
}

/** tcp_probe_timer: TCP_USER_TIMEOUT counted from the first probe timer (icsk_probes_tstamp). */
export function probesTimedOut(probesStampUs: number, nowUs: number, userTimeoutMs: number): boolean {
  return userTimeoutMs > 0 && nowUs - probesStampUs >= userTimeoutMs * 1000;
}

/**
 * tcp_clamp_probe0_to_user_timeout: the next probe no later than the user timeout's end, and
 * at least TCP_TIMEOUT_MIN (2 jiffies) away.
 */
export function clampProbe0ToUserTimeout(whenUs: number, probesStampUs: number | undefined, nowUs: number, userTimeoutMs: number): number {
  if (userTimeoutMs <= 0 || probesStampUs === undefined) return whenUs;
  const remainingUs = Math.max(userTimeoutMs * 1000 - Math.max(0, nowUs - probesStampUs), 2 * JIFFY_US);
  return Math.min(remainingUs, whenUs);
}
