// SOL_IP and SOL_IPV6 options (do_ip_setsockopt / do_ip_getsockopt in net/ipv4/ip_sockglue.c,
// do_ipv6_setsockopt / do_ipv6_getsockopt in net/ipv6/ipv6_sockglue.c): IP_TOS / IPV6_TCLASS,
// IP_MTU_DISCOVER / IPV6_MTU_DISCOVER and IP_FREEBIND / IPV6_FREEBIND.
import type { SyscallResult } from '../targets/target.js';
import { decodeInt } from '../sys/structs.js';
import * as K from './constants.js';
import type { Socket } from './socket.js';
import { fail, intArg, intOpt, ok, opt } from './sockopt-value.js';
import { IP_PMTUDISC_DONT, IP_PMTUDISC_OMIT, IP_PMTUDISC_WANT } from './tcp/socket-options.js';

export const IP_MTU_DISCOVER = 10;
export const IP_FREEBIND = 15;
export const IPV6_MTU_DISCOVER = 23;
export const IPV6_FREEBIND = 78;

/**
 * ip_setsockopt's value: an int, or one unsigned byte when fewer than 4 come, or 0 when none
 * does (the options that take a byte; the others want an int: intArg).
 */
const ipArg = (value: Uint8Array, optlen: number): number =>
  optlen >= 4 && value.length >= 4 ? decodeInt(value.subarray(0, 4)) : optlen >= 1 && value.length >= 1 ? value[0]! : 0;

/** ip_getsockopt's copy: one byte for a small value asked with a short buffer, else min(len, 4). */
const ipIntOpt = (v: number, optlen: number): SyscallResult => (optlen > 0 && optlen < 4 && v >= 0 && v <= 255 ? opt(Uint8Array.of(v), 1) : intOpt(v, optlen));

/** The options of the IP levels this stack knows; undefined: not one of them. */
export function getIpOption(s: Socket, level: number, name: number, optlen: number): SyscallResult | undefined {
  const st = s.settings;
  if ((level === K.SOL_IP && name === K.IP_TOS) || (level === K.SOL_IPV6 && name === K.IPV6_TCLASS)) return intOpt(st.tos ?? 0, optlen);
  if (level === K.SOL_IP) {
    if (name === IP_MTU_DISCOVER) return ipIntOpt(st.pmtudisc ?? IP_PMTUDISC_WANT, optlen);
    if (name === IP_FREEBIND) return ipIntOpt(st.freebind ? 1 : 0, optlen);
    return undefined;
  }
  if (level !== K.SOL_IPV6 || (name !== IPV6_MTU_DISCOVER && name !== IPV6_FREEBIND)) return undefined;
  // An IPv4 socket hands SOL_IPV6 to ip_getsockopt, which knows only SOL_IP.
  if (s.family === 4) return fail('EOPNOTSUPP');
  return intOpt(name === IPV6_MTU_DISCOVER ? st.pmtudisc6 ?? IP_PMTUDISC_WANT : st.freebind ? 1 : 0, optlen);
}

export function setIpOption(s: Socket, level: number, name: number, value: Uint8Array, optlen: number): SyscallResult | undefined {
  const st = s.settings;
  if ((level === K.SOL_IP && name === K.IP_TOS) || (level === K.SOL_IPV6 && name === K.IPV6_TCLASS)) {
    const v = intArg(value, optlen);
    if (v === undefined) return fail('EINVAL');
    // Stream sockets keep the ECN bits to the stack (ip_setsockopt masks INET_ECN_MASK).
    st.tos = (v & ~3 & 0xff) | ((st.tos ?? 0) & 3);
    return ok;
  }
  if (level === K.SOL_IP) {
    const v = ipArg(value, optlen);
    if (name === IP_MTU_DISCOVER) {
      if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return fail('EINVAL');
      st.pmtudisc = v;
      return ok;
    }
    if (name === IP_FREEBIND) {
      if (optlen < 1) return fail('EINVAL');
      st.freebind = v !== 0;
      return ok;
    }
    return undefined;
  }
  if (level !== K.SOL_IPV6 || (name !== IPV6_MTU_DISCOVER && name !== IPV6_FREEBIND)) return undefined;
  if (s.family === 4) return fail('ENOPROTOOPT');
  const v = intArg(value, optlen);
  if (v === undefined) return fail('EINVAL');
  if (name === IPV6_FREEBIND) { st.freebind = v !== 0; return ok; }
  if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return fail('EINVAL');
  st.pmtudisc6 = v;
  return ok;
}
