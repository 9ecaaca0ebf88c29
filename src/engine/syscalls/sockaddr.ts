// Socket addresses of syscalls: `...` means what packetdrill fills in (remote_ip:connect_port
// for connect and sendto, local_ip or the wildcard :bind_port for bind), a written
// `{sa_family=..., sin_port=htons(...), sin_addr=inet_addr(...)}` is taken as is.

import type { Expr } from '../../script/ast.js';
import type { SockAddr } from '../../targets/target.js';
import type { EngineSettings } from '../types.js';
import { CallError, field, intArg, isEllipsis, tryInt } from './expr.js';

/** The socket API family of the script's ip_version (IPv4-mapped uses AF_INET6 sockets). */
export function apiFamily(settings: EngineSettings): 'inet' | 'inet6' {
  return settings.net.ipVersion === 'ipv4' ? 'inet' : 'inet6';
}

export const AF_INET = 2;
export const AF_INET6 = 10;

/** An IPv4 address as the socket API of `family` writes it (`::ffff:a.b.c.d` on an inet6 socket). */
function apiAddress(address: string, family: 'inet' | 'inet6'): string {
  if (family === 'inet6' && /^\d+\.\d+\.\d+\.\d+$/.test(address)) return `::ffff:${address}`;
  return address;
}

export function sockaddrLength(family: 'inet' | 'inet6'): number {
  return family === 'inet' ? 16 : 28;
}

export type AddressRole = 'connect' | 'bind';

/** The address `...` stands for in a call of this role. */
export function defaultAddress(settings: EngineSettings, role: AddressRole): SockAddr {
  const family = apiFamily(settings);
  if (role === 'connect') {
    return { family, address: apiAddress(settings.net.remoteIp, family), port: settings.connectPort };
  }
  const any = family === 'inet' ? '0.0.0.0' : '::';
  return { family, address: settings.isAnyIp ? any : apiAddress(settings.net.localIp, family), port: settings.bindPort };
}

/** Port number in host order from a `sin_port` field (`htons(8080)`, or a raw network-order value). */
export function portOf(e: Expr): number {
  if (e.kind === 'call' && e.fn === 'htons' && e.args[0]) return intArg(e.args[0], 'port');
  const raw = tryInt(e);
  if (raw === undefined) throw new CallError('sin_port must be htons(N) or an integer', e.range);
  const n = Number(raw & 0xffffn);
  return ((n & 0xff) << 8) | (n >> 8);
}

export function addressOf(e: Expr): string {
  if (e.kind === 'call' && (e.fn === 'inet_addr' || e.fn === 'inet6_addr') && e.args[0]?.kind === 'string') return e.args[0].value;
  if (e.kind === 'string') return e.value;
  throw new CallError('address must be inet_addr("...") or inet6_addr("...")', e.range);
}

/** Lowers an address argument; `...` (and NULL-less omission) gives the role's default. */
export function lowerSockaddr(e: Expr | undefined, settings: EngineSettings, role: AddressRole): SockAddr {
  if (isEllipsis(e)) return defaultAddress(settings, role);
  if (e!.kind !== 'struct') throw new CallError('address must be ... or a {sa_family=..., sin_port=..., sin_addr=...} struct', e!.range);
  const fam = field(e!, 'sa_family') ?? field(e!, 'sin_family') ?? field(e!, 'sin6_family');
  const familyValue = fam ? intArg(fam.value, 'sa_family') : undefined;
  const family = familyValue === AF_INET6 ? 'inet6' : familyValue === AF_INET ? 'inet' : apiFamily(settings);
  const port = field(e!, 'sin_port') ?? field(e!, 'sin6_port');
  const addr = field(e!, 'sin_addr') ?? field(e!, 'sin6_addr');
  const fallback = defaultAddress(settings, role);
  return {
    family,
    address: addr ? apiAddress(addressOf(addr.value), family) : fallback.address,
    port: port ? portOf(port.value) : fallback.port,
  };
}

/**
 * An address argument of bind, connect or sendto as packetdrill takes it: besides `...` and a
 * struct, an address-family constant (`AF_UNSPEC`, `AF_INET`) stands for a sockaddr of that
 * family and nothing else set (sendto(MSG_FASTOPEN) with AF_UNSPEC is how the upstream suite
 * asks for EOPNOTSUPP). Such a sockaddr goes as raw bytes, the size of the script's family's.
 */
export function lowerSockaddrArg(e: Expr | undefined, settings: EngineSettings, role: AddressRole): SockAddr | Uint8Array {
  const family = e && e.kind !== 'struct' && !isEllipsis(e) ? tryInt(e) : undefined;
  if (family === undefined) return lowerSockaddr(e, settings, role);
  const bytes = new Uint8Array(sockaddrLength(apiFamily(settings)));
  new DataView(bytes.buffer).setUint16(0, Number(BigInt.asUintN(16, family)), true);
  return bytes;
}
