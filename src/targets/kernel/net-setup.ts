// Configures the private namespace the way packetdrill's harness does (pkt-language.md §10):
// loopback up, a tun device with the local address, MTU and a route to the remote prefix via the
// gateway, IPv6 DAD off, MPTCP enabled. Runs only inside the namespace (KernelTarget checks).
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { formatAddress, parseAddress } from '../../wire/addr.js';
import type { NetworkConfig } from '../target.js';

const run = promisify(execFile);

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

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

/** Brings the namespace's network up around an already created tun device. Throws with ip's message on failure. */
export async function configureNetwork(net: NetworkConfig): Promise<void> {
  for (const [k, v] of HARNESS_SYSCTLS) writeSysctl(k, v);
  const dev = net.device;
  const v6 = net.ipVersion === 'ipv6';
  writeSysctl(`net/ipv6/conf/${dev}/router_solicitations`, '0');
  await ip(['link', 'set', 'dev', 'lo', 'up']);
  await ip(['link', 'set', 'dev', dev, 'mtu', String(net.mtu), 'up']);
  if (v6) await ip(['-6', 'addr', 'add', `${net.localIp}/64`, 'dev', dev, 'nodad']);
  else await ip(['addr', 'add', `${net.localIp}/${netmaskBits(net.netmaskIp)}`, 'dev', dev]);
  const prefix = `${networkOf(net.remoteIp, net.remotePrefix) ?? net.remoteIp}/${net.remotePrefix}`;
  const family = v6 ? ['-6'] : ['-4'];
  try {
    // As packetdrill: via the gateway, declared on-link (it need not be inside the local subnet).
    await ip([...family, 'route', 'replace', prefix, 'via', net.gatewayIp, 'dev', dev, 'onlink']);
  } catch {
    // The gateway may be our own address (the TCP suite uses local_ip == gateway_ip); on a tun
    // device, which has no link layer, a plain device route is equivalent.
    await ip([...family, 'route', 'replace', prefix, 'dev', dev]);
  }
}
