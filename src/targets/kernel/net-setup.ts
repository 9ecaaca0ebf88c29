// Configures the private namespace the way packetdrill's harness does:
// loopback up, a tun device with the local address, MTU and a route to the remote prefix via the
// gateway, IPv6 DAD off, MPTCP enabled. Runs only inside the namespace (KernelTarget checks).
import { existsSync, writeFileSync } from 'node:fs';
import { formatAddress, parseAddress } from '../../wire/addr.js';
import type { NetworkConfig } from '../target.js';
import { call } from './libc.js';
import { AF_INET, AF_INET6, RtNetlink } from './rtnetlink.js';

/** A new network namespace's loopback device is always interface 1 (net/core/dev.c, loopback first). */
const LOOPBACK_IFINDEX = 1;

/** Sysctls the MPTCP suite expects the harness to have set (the rest come from its defaults.sh). */
const HARNESS_SYSCTLS: ReadonlyArray<readonly [string, string]> = [
  ['net/mptcp/enabled', '1'],
  // A SYN+MP_CAPABLE that a script deliberately drops must not disable MPTCP for the next hour.
  ['net/mptcp/blackhole_timeout', '0'],
  ['net/ipv6/conf/all/accept_dad', '0'],
  ['net/ipv6/conf/default/accept_dad', '0'],
  // Fewer housekeeping packets on the test interface (router solicitations).
  ['net/ipv6/conf/default/router_solicitations', '0'],
];

export function writeSysctl(path: string, value: string): boolean {
  const file = `/proc/sys/${path}`;
  if (!existsSync(file)) return false;
  writeFileSync(file, value);
  return true;
}

/** Prefix length of a dotted netmask ("255.255.0.0" → 16); 16 when it is not a valid mask. */
export function netmaskBits(mask: string): number {
  const b = parseAddress(mask)?.bytes;
  if (b?.length !== 4) return 16;
  const n = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const ones = Math.clz32(~n >>> 0);
  // Contiguous ones only: the ones followed by zeros must give back the same mask.
  const rebuilt = ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0;
  return rebuilt === n ? ones : 16;
}

/** Network address of `ip/prefix` in text ("192.0.2.1", 24 → "192.0.2.0"). */
export function networkOf(ip: string, prefix: number): string | null {
  const b = parseAddress(ip)?.bytes;
  if (!b) return null;
  const out = Uint8Array.from(b);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return formatAddress(out);
}

/**
 * Brings the namespace's network up around an already created tun device, with rtnetlink
 * requests made on this thread (no `ip` processes). Throws with the kernel's errno on failure.
 */
export function configureNetwork(net: NetworkConfig): void {
  for (const [k, v] of HARNESS_SYSCTLS) writeSysctl(k, v);
  const dev = net.device;
  writeSysctl(`net/ipv6/conf/${dev}/router_solicitations`, '0');
  const ifindex = call('if_nametoindex', dev).ret;
  if (ifindex <= 0) throw new Error(`no device ${dev} in the test namespace`);
  const local = parseAddress(net.localIp)?.bytes;
  const remote = parseAddress(networkOf(net.remoteIp, net.remotePrefix) ?? net.remoteIp)?.bytes;
  const gateway = parseAddress(net.gatewayIp)?.bytes;
  if (!local || !remote) throw new Error(`bad local (${net.localIp}) or remote (${net.remoteIp}) address`);
  // The family follows the addresses, as `ip addr add` does (ipv4-mapped-ipv6 runs use IPv4 ones).
  const v6 = local.length === 16;
  const family = v6 ? AF_INET6 : AF_INET;
  const nl = new RtNetlink();
  try {
    nl.setLinkUp(LOOPBACK_IFINDEX);
    nl.setLinkUp(ifindex, net.mtu);
    nl.addAddress(ifindex, family, local, v6 ? 64 : netmaskBits(net.netmaskIp), v6);
    try {
      // As packetdrill: via the gateway, declared on-link (it need not be inside the local subnet).
      if (!gateway || gateway.length !== local.length) throw new Error('no gateway of the family');
      nl.replaceRoute(ifindex, family, remote, net.remotePrefix, gateway);
    } catch {
      // The gateway may be our own address (the TCP suite uses local_ip == gateway_ip); on a tun
      // device, which has no link layer, a plain device route is equivalent.
      nl.replaceRoute(ifindex, family, remote, net.remotePrefix);
    }
  } finally {
    nl.close();
  }
}
