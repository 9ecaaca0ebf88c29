// A socket address the script expects back (`{sa_family=AF_INET, sin_port=htons(8080),
// sin_addr=inet_addr("192.0.2.1")}`), compared field by field with one the call returned; only
// the fields written are checked, and `...` skips one.

import type { StructExpr } from '../../script/ast.js';
import type { SockAddr } from '../../targets/target.js';
import { parseAddress } from '../../wire/addr.js';
import { CallError, intArg } from './expr.js';
import { written } from './expect-struct.js';
import { addressOf, AF_INET, AF_INET6, portOf } from './sockaddr.js';

export interface ExpectedSockaddr {
  family?: number;
  port?: number;
  address?: string;
}

const FAMILY = ['sa_family', 'sin_family', 'sin6_family', 'ss_family'];
const PORT = ['sin_port', 'sin6_port'];
const ADDRESS = ['sin_addr', 'sin6_addr'];
const KNOWN = new Set([...FAMILY, ...PORT, ...ADDRESS, 'sin6_flowinfo', 'sin6_scope_id']);

export function expectedSockaddr(s: StructExpr): ExpectedSockaddr {
  for (const f of s.fields) {
    if (f.name !== undefined && !KNOWN.has(f.name)) throw new CallError(`a socket address has no field ${f.name}`, f.range);
  }
  const pick = (names: string[]) => names.map((n) => written(s, n)).find((e) => e !== undefined);
  const family = pick(FAMILY);
  const port = pick(PORT);
  const address = pick(ADDRESS);
  return {
    ...(family ? { family: intArg(family, 'sa_family') } : {}),
    ...(port ? { port: portOf(port) } : {}),
    ...(address ? { address: addressOf(address) } : {}),
  };
}

const familyNumber = (a: SockAddr): number => (a.family === 'inet' ? AF_INET : AF_INET6);

/** Same address, an IPv4 one also matching its IPv4-mapped form on an AF_INET6 socket. */
function sameAddress(expected: string, actual: SockAddr): boolean {
  const want = parseAddress(actual.family === 'inet6' && !expected.includes(':') ? `::ffff:${expected}` : expected);
  const got = parseAddress(actual.address);
  return want !== undefined && got !== undefined && Buffer.from(want.bytes).equals(Buffer.from(got.bytes));
}

export function sockaddrMismatch(want: ExpectedSockaddr, got: SockAddr | null, what: string): string | undefined {
  if (Object.keys(want).length === 0) return undefined;
  if (!got) return `${what}: expected an address vs actual: (none: family 0 or not returned)`;
  if (want.family !== undefined && want.family !== familyNumber(got)) return `${what} sa_family: expected: ${want.family} vs actual: ${familyNumber(got)}`;
  if (want.port !== undefined && want.port !== got.port) return `${what} port: expected: ${want.port} vs actual: ${got.port}`;
  if (want.address !== undefined && !sameAddress(want.address, got)) return `${what} address: expected: ${want.address} vs actual: ${got.address}`;
  return undefined;
}
