// The IP variants of the upstream suites (docs/language.md §11) and the flags each passes.
//
// Which suite's flags a script gets is decided by its content, not its folder: a script that
// opens an IPPROTO_MPTCP socket or writes any MPTCP option is run with the MPTCP suite's flags,
// everything else with the TCP suite's. Content is what the flags matter for (the MPTCP suite's
// addresses are what its `server.sh` builds on), it works for mixed folders such as our own
// corpus's language/, and it needs no configuration file to keep in sync; `--suite tcp|mptcp`
// forces one set for a whole run.

import type { Script } from '../script/ast.js';
import type { IpVersionOption } from '../script/options.js';

export type SuiteFamily = 'tcp' | 'mptcp';
export type IpChoice = '4' | '6' | 'both' | 'all';

const COMMON = ['--send_omit_free'];
const V4_CMSG = ['-D', 'CMSG_LEVEL_IP=SOL_IP', '-D', 'CMSG_TYPE_RECVERR=IP_RECVERR'];
const V6_CMSG = ['-D', 'CMSG_LEVEL_IP=SOL_IPV6', '-D', 'CMSG_TYPE_RECVERR=IPV6_RECVERR'];

const TCP_V4 = ['--local_ip=192.168.0.1', '--gateway_ip=192.168.0.1', '--netmask_ip=255.255.0.0', '--remote_ip=192.0.2.1', '-D', 'TFO_COOKIE=3021b9d889017eeb', '-D', 'CODE=host_unreachable'];
const MPTCP_V4 = ['--local_ip=192.168.0.2', '--gateway_ip=192.168.0.1', '--netmask_ip=255.255.0.0', '--remote_ip=192.0.2.1/24', '-D', 'TFO_COOKIE=de4f234f0f433a55'];

const FLAGS: Record<SuiteFamily, Record<IpVersionOption, string[]>> = {
  tcp: {
    ipv4: ['--ip_version=ipv4', ...TCP_V4, ...V4_CMSG],
    'ipv4-mapped-ipv6': ['--ip_version=ipv4-mapped-ipv6', ...TCP_V4, ...V6_CMSG],
    ipv6: ['--ip_version=ipv6', '--mtu=1520', '--local_ip=fd3d:0a0b:17d6::1', '--gateway_ip=fd3d:0a0b:17d6:8888::1', '--remote_ip=fd3d:fa7b:d17d::1', '-D', 'TFO_COOKIE=c1d1e9742a47a9bc', ...V6_CMSG],
  },
  mptcp: {
    ipv4: ['--ip_version=ipv4', ...MPTCP_V4, ...V4_CMSG],
    'ipv4-mapped-ipv6': ['--ip_version=ipv4-mapped-ipv6', ...MPTCP_V4, ...V6_CMSG],
    ipv6: ['--ip_version=ipv6', '--mtu=1520', '--local_ip=fd3d:fa7b:d17d::0', '--gateway_ip=fd3d:fa7b:d17d:8888::0', '--remote_ip=2001:DB8::1/32', '-D', 'TFO_COOKIE=6aa6ae70c288023b', ...V6_CMSG],
  },
};

/** The command-line flags of one variant of one suite (send_omit_free included, as upstream). */
export function variantFlags(family: SuiteFamily, variant: IpVersionOption): string[] {
  return [...FLAGS[family][variant], ...COMMON];
}

const ORDER: readonly IpVersionOption[] = ['ipv4', 'ipv4-mapped-ipv6', 'ipv6'];
const CHOICE: Record<IpChoice, readonly IpVersionOption[]> = {
  '4': ['ipv4'],
  '6': ['ipv6'],
  both: ['ipv4', 'ipv6'],
  all: ORDER,
};

/** Variants a file runs in: `*v4.pkt` only the IPv4 ones, `*v6.pkt` only IPv6 (upstream's rule). */
export function variantsFor(file: string, choice: IpChoice): IpVersionOption[] {
  const wanted = CHOICE[choice];
  if (file.endsWith('v4.pkt')) return wanted.filter((v) => v !== 'ipv6');
  if (file.endsWith('v6.pkt')) return wanted.filter((v) => v === 'ipv6');
  return [...wanted];
}

const IPPROTO_MPTCP = 262n;

/** 'mptcp' when the script opens an MPTCP socket or writes an MPTCP option. */
export function suiteFamily(script: Script): SuiteFamily {
  for (const ev of script.events) {
    const a = ev.action;
    if (a.kind === 'syscall' && a.name === 'socket') {
      const proto = a.args[2];
      if ((proto?.kind === 'symbol' || proto?.kind === 'int') && proto.value === IPPROTO_MPTCP) return 'mptcp';
    }
    if (a.kind === 'packet' && a.body.kind === 'tcp' && Array.isArray(a.body.options)) {
      if (a.body.options.some((o) => o.kind.startsWith('mp_') || o.kind === 'dss' || o.kind === 'add_address' || o.kind === 'remove_address')) return 'mptcp';
    }
  }
  return 'tcp';
}
