// Shared set-up of the multipath stack tests: a server whose second address is a `signal`
// endpoint, the peer's MP_CAPABLE handshake, and a join from the peer's second address.
import { decodeStruct, MPTCP_INFO_LAYOUT } from '../src/sys/structs.js';
import { joinHmac, keyIdsn, keyToken } from '../src/wire/crypto.js';
import type { MpCapable, MpJoin, MptcpOption } from '../src/wire/packet.js';
import { applyShellLog } from '../src/stack/shell.js';
import type { Stack } from '../src/stack/socket-api.js';
import { call, F, MPC_SYN, mustNext, next, type Out, peerPacket, SYN_OPTS, ts, tsOf } from './stack-harness.js';

export const PEER_KEY = 0x0102030405060708n;
export const PEER_IDSN = keyIdsn(PEER_KEY, 1);
export const M64 = (1n << 64n) - 1n;
export const LOCAL2 = '192.168.0.2';
export const REMOTE2 = '192.0.2.2';
export const JOIN_PORT = 40001;

export const find = <T extends MptcpOption>(o: Out, subtype: T['subtype']): T | undefined => o.mptcp.find((x): x is T => x.subtype === subtype);

/** `ip …` lines as the stand-in records them, applied to the stack. */
export function ip(s: Stack, ...cmds: string[]): void {
  const r = applyShellLog(s, cmds.map((c) => ['ip', ...c.split(' ')].join('\t')).join('\n'));
  if (r.unsupported.length || r.errors.length) throw new Error([...r.unsupported, ...r.errors].join('; '));
}

export async function mptcpInfo(s: Stack, fd: number) {
  const r = await call(s, { name: 'getsockopt', fd, level: 284, optname: 1, optlen: 96 });
  if (r.out?.kind !== 'opt') throw new Error(`MPTCP_INFO failed: ${r.errno}`);
  return decodeStruct(MPTCP_INFO_LAYOUT, r.out.value);
}

/** A server with LOCAL2 as a `signal` endpoint (id 1): MP_CAPABLE handshake, accept, the ADD_ADDR. */
export async function server(s: Stack, flags = 'signal') {
  ip(s, 'mptcp limits set subflows 8 add_addr_accepted 8', `mptcp endpoint add ${LOCAL2} dev tun0 ${flags}`);
  const lfd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  await call(s, { name: 'bind', fd: lfd, addr: { family: 'inet', address: '0.0.0.0', port: 8080 }, addrLen: 16 });
  await call(s, { name: 'listen', fd: lfd, backlog: 4 });
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: 8080, options: [...SYN_OPTS, MPC_SYN] }));
  const synAck = mustNext(s);
  const key = find<MpCapable>(synAck, 'mp_capable')!.senderKey!;
  const snd = (synAck.tcp.seq + 1) >>> 0;
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [...ts(101, tsOf(synAck).val), { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, senderKey: PEER_KEY, receiverKey: key }] }));
  const fd = (await call(s, { name: 'accept', fd: lfd, flags: 0, wantAddr: false })).ret;
  return { fd, key, snd, announce: next(s) };
}

/** The peer joins LOCAL2 from REMOTE2: SYN, the stack's SYN/ACK. */
export function joinSyn(s: Stack, key: bigint, opts: Partial<MpJoin> = {}, dst = LOCAL2) {
  const syn: MpJoin = { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 2, token: keyToken(key, 1), nonce: 0x11223344, ...opts };
  s.inject(peerPacket({ flags: F.SYN, seq: 0, src: REMOTE2, dst, srcPort: JOIN_PORT, dstPort: 8080, options: [...SYN_OPTS, syn] }));
  return next(s);
}

/** `server`, then the peer's join completed (the stack's fourth ACK consumed). */
export async function joined(s: Stack) {
  const srv = await server(s);
  const synAck = joinSyn(s, srv.key)!;
  thirdAck(s, synAck, peerAckHmac(srv.key, synAck));
  mustNext(s);
  return { ...srv, synAck };
}

export function thirdAck(s: Stack, synAck: Out, hmac: Uint8Array, dst = LOCAL2): void {
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: (synAck.tcp.seq + 1) >>> 0, src: REMOTE2, dst, srcPort: JOIN_PORT, dstPort: 8080, options: [...ts(301, tsOf(synAck).val), { kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac }] }));
}

export const peerAckHmac = (key: bigint, synAck: Out, peerNonce = 0x11223344): Uint8Array =>
  joinHmac(PEER_KEY, key, peerNonce, find<MpJoin>(synAck, 'mp_join')!.nonce!, 1).slice(0, 20);
