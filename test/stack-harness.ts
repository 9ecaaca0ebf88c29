// Helpers for the bundled stack's tests: a stack with the usual test addresses, packets from the
// peer built with the packet model + encodeIp, and the stack's output decoded.
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import type { IpPacket, MptcpOption, TcpOption, TcpSegment } from '../src/wire/packet.js';
import { TcpFlag } from '../src/wire/packet.js';
import { Stack } from '../src/stack/socket-api.js';
import type { SyscallRequest, SyscallResult } from '../src/targets/target.js';

export const LOCAL = '192.168.0.1';
export const REMOTE = '192.0.2.1';
export const PEER_PORT = 40000;
export const F = TcpFlag;

export function newStack(seed = 7): Stack {
  const s = new Stack(seed);
  s.host.configure({ ipVersion: 'ipv4', localIp: LOCAL, remoteIp: REMOTE, remotePrefix: 24, gatewayIp: '192.168.0.2', netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0' });
  return s;
}

export interface PeerSeg {
  flags: number;
  seq: number;
  ack?: number;
  window?: number;
  options?: TcpOption[];
  payload?: Uint8Array | number;
  srcPort?: number;
  dstPort: number;
  /** Addresses (default REMOTE → LOCAL); multipath tests use others. */
  src?: string;
  dst?: string;
}

export function peerPacket(p: PeerSeg): Uint8Array {
  const payload = typeof p.payload === 'number' ? new Uint8Array(p.payload).fill(0x61) : p.payload ?? new Uint8Array(0);
  const tcp: TcpSegment = { srcPort: p.srcPort ?? PEER_PORT, dstPort: p.dstPort, seq: p.seq >>> 0, ack: (p.ack ?? 0) >>> 0, flags: p.flags, window: p.window ?? 65535, urgent: 0, options: p.options ?? [], payload };
  const pkt: IpPacket = { ip: { version: 4, tos: 0, id: 0, fragment: 0x4000, ttl: 64, protocol: 6, src: p.src ?? REMOTE, dst: p.dst ?? LOCAL, options: new Uint8Array(0) }, tcp, errors: [] };
  return encodeIp(pkt);
}

export interface Out {
  time: number;
  tcp: TcpSegment;
  mptcp: MptcpOption[];
  /** IP source and destination (the subflow it belongs to). */
  src: string;
  dst: string;
}

/** Next packet the stack sends by `deadline` (µs), decoded; undefined if none. */
export function next(s: Stack, deadline = s.clock.now()): Out | undefined {
  const p = s.receive(deadline);
  if (!p) return undefined;
  const d = decodeIp(p.bytes);
  if (!d.tcp) throw new Error('stack sent a non-TCP packet');
  return { time: p.time, src: d.ip.src, dst: d.ip.dst, tcp: d.tcp, mptcp: d.tcp.options.filter((o): o is MptcpOption => o.kind === 'mptcp') };
}

export function mustNext(s: Stack, deadline = s.clock.now()): Out {
  const o = next(s, deadline);
  if (!o) throw new Error(`no packet by ${deadline}`);
  return o;
}

export const call = (s: Stack, req: SyscallRequest): Promise<SyscallResult> => s.syscall(req);

export const kinds = (opts: TcpOption[]): string[] => opts.map((o) => (o.kind === 'mptcp' ? `mptcp:${o.subtype}` : o.kind));

export const SYN_OPTS: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, { kind: 'timestamp', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }];
export const MPC_SYN: MptcpOption = { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01 };

export const ts = (val: number, ecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val, ecr }];

export function tsOf(o: Out): { val: number; ecr: number } {
  const t = o.tcp.options.find((x) => x.kind === 'timestamp');
  if (!t || t.kind !== 'timestamp') throw new Error('no timestamp option');
  return { val: t.val, ecr: t.ecr };
}

/** A listening socket on `port`; returns its fd. */
export async function listen(s: Stack, port: number, mptcp = false): Promise<number> {
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: mptcp ? 262 : 6 })).ret;
  await call(s, { name: 'bind', fd, addr: { family: 'inet', address: '0.0.0.0', port }, addrLen: 16 });
  await call(s, { name: 'listen', fd, backlog: 16 });
  return fd;
}

export interface Accepted {
  fd: number;
  /** The stack's ISN + 1 (first data byte). */
  snd: number;
  /** Peer's next sequence number. */
  peer: number;
  synAck: Out;
}

/** Passive handshake with plain options (TS, SACK, wscale 8); peer ISN 0. Returns the accepted fd. */
export async function acceptPlain(s: Stack, port = 8080, extraSyn: TcpOption[] = [], thirdAck: TcpOption[] = [], mptcp = false): Promise<Accepted> {
  const lfd = await listen(s, port, mptcp);
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: port, options: [...SYN_OPTS, ...extraSyn] }));
  const synAck = mustNext(s);
  const snd = (synAck.tcp.seq + 1) >>> 0;
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: port, window: 1000, options: [...ts(101, tsOf(synAck).val), ...thirdAck] }));
  const fd = (await call(s, { name: 'accept', fd: lfd, flags: 0, wantAddr: false })).ret;
  return { fd, snd, peer: 1, synAck };
}

export const bytes = (n: number, v = 0x62): Uint8Array => new Uint8Array(n).fill(v);
