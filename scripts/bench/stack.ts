// Benchmark of the bundled stack: a 10 MB MPTCP transfer between two instances wired back to
// back (1 ms one way, no loss) in virtual time. Reports wall time, virtual time and segments/s.
import { performance } from 'node:perf_hooks';
import { Stack } from '../../src/stack/socket-api.js';

const TOTAL = 10 * 1024 * 1024;
const ONE_WAY_US = 1000;
const O_NONBLOCK_STREAM = 1 | 0o4000;

interface InFlight {
  at: number;
  to: Stack;
  bytes: Uint8Array;
}

function stackAt(seed: number, ip: string): Stack {
  const s = new Stack(seed);
  s.host.configure({ ipVersion: 'ipv4', localIp: ip, remoteIp: '10.0.0.0', remotePrefix: 24, gatewayIp: '10.0.0.254', netmaskIp: '255.255.255.0', mtu: 1500, device: 'veth0' });
  return s;
}

export async function run(): Promise<Record<string, number | string>> {
  const client = stackAt(1, '10.0.0.1');
  const server = stackAt(2, '10.0.0.2');
  const lfd = (await server.syscall({ name: 'socket', domain: 2, type: O_NONBLOCK_STREAM, protocol: 262 })).ret;
  await server.syscall({ name: 'bind', fd: lfd, addr: { family: 'inet', address: '0.0.0.0', port: 5000 }, addrLen: 16 });
  await server.syscall({ name: 'listen', fd: lfd, backlog: 8 });
  const cfd = (await client.syscall({ name: 'socket', domain: 2, type: O_NONBLOCK_STREAM, protocol: 262 })).ret;
  await client.syscall({ name: 'connect', fd: cfd, addr: { family: 'inet', address: '10.0.0.2', port: 5000 }, addrLen: 16 });

  const wire: InFlight[] = [];
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  let sent = 0;
  let received = 0;
  let sfd = -1;
  let segments = 0;
  let now = 0;
  const began = performance.now();

  while (received < TOTAL) {
    for (const [from, to] of [[client, server], [server, client]] as const) {
      for (let p = from.host.sent.shift(); p; p = from.host.sent.shift()) {
        wire.push({ at: p.time + ONE_WAY_US, to, bytes: p.bytes });
        segments++;
      }
    }
    if (sfd < 0) {
      const r = await server.syscall({ name: 'accept', fd: lfd, flags: 0, wantAddr: false });
      if (r.ret >= 0) sfd = r.ret;
    }
    while (sent < TOTAL) {
      const r = await client.syscall({ name: 'write', fd: cfd, data: chunk.subarray(0, Math.min(chunk.length, TOTAL - sent)), flags: 0 });
      if (r.ret <= 0) break;
      sent += r.ret;
    }
    if (sfd >= 0) {
      for (;;) {
        const r = await server.syscall({ name: 'recv', fd: sfd, len: 1 << 20, flags: 0x40 /* MSG_DONTWAIT */ });
        if (r.ret <= 0) break;
        received += r.ret;
      }
    }
    if (client.host.sent.length > 0 || server.host.sent.length > 0) continue;
    const next = Math.min(wire[0]?.at ?? Infinity, client.clock.nextAt() ?? Infinity, server.clock.nextAt() ?? Infinity);
    if (!Number.isFinite(next)) break;
    now = Math.max(now, next);
    client.clock.advanceTo(now);
    server.clock.advanceTo(now);
    while (wire.length > 0 && wire[0]!.at <= now) {
      const p = wire.shift()!;
      p.to.inject(p.bytes);
    }
  }
  const wallMs = performance.now() - began;
  return {
    bytes: received,
    wallMs: Math.round(wallMs),
    virtualMs: Math.round(now / 1000),
    segments,
    segmentsPerWallSecond: Math.round(segments / (wallMs / 1000)),
    goodputMbitPerVirtualSecond: Math.round((received * 8) / (now || 1)),
  };
}
