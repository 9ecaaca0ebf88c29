// Socket options a connection reads while it runs (set by src/stack/sockopt-*.ts). Kept in the
// settings object, so an accepted connection starts with its listener's values (sk_clone_lock
// copies the socket).

/** IP_PMTUDISC_* (include/uapi/linux/in.h). */
export const IP_PMTUDISC_DONT = 0;
export const IP_PMTUDISC_WANT = 1;
export const IP_PMTUDISC_DO = 2;
export const IP_PMTUDISC_OMIT = 5;

export interface SocketOptionSettings {
  /** IP_MTU_DISCOVER (unset: IP_PMTUDISC_WANT, net.ipv4.ip_no_pmtu_disc being 0). */
  pmtudisc?: number;
  /** IPV6_MTU_DISCOVER: a field of its own (np->pmtudisc). */
  pmtudisc6?: number;
  /** TCP_USER_TIMEOUT in milliseconds; 0 or unset: none. */
  userTimeoutMs?: number;
  /** SO_ZEROCOPY, stored and read back (no MSG_ZEROCOPY completions are modelled). */
  zerocopy?: boolean;
  /** SO_TIMESTAMPING's flags, stored and read back (no timestamps are reported). */
  tsFlags?: number;
  /** IP_FREEBIND / IPV6_FREEBIND: one flag (INET_FLAGS_FREEBIND). */
  freebind?: boolean;
  /** SO_RCVLOWAT (sk_rcvlowat; unset: 1). */
  rcvLowat?: number;
}

/**
 * DF on an IPv4 packet (ip_dont_fragment in include/net/ip.h): set for IP_PMTUDISC_DO, and for
 * IP_PMTUDISC_WANT as the stack's routes never lock their MTU; DONT, PROBE, INTERFACE and OMIT
 * send without it.
 */
export const dontFragment = (s: SocketOptionSettings): boolean => {
  const p = s.pmtudisc ?? IP_PMTUDISC_WANT;
  return p === IP_PMTUDISC_DO || p === IP_PMTUDISC_WANT;
};
