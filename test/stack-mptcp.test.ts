// The bundled stack's MPTCP v1 single-path behaviour (RFC 8684 §3.3; Linux net/mptcp/, net/ipv4/tcp_output.c), both roles.
import test from 'ava';
import { dataSpan, mappingCoversSegment } from '../src/stack/mptcp/mapping.js';
import { decodeStruct, MPTCP_INFO_LAYOUT } from '../src/sys/structs.js';
import { dssChecksum, keyIdsn, keyToken } from '../src/wire/crypto.js';
import type { Dss, MpCapable, MptcpOption, TcpOption } from '../src/wire/packet.js';
import type { Stack } from '../src/stack/socket-api.js';
import { acceptPlain, bytes, call, F, kinds, MPC_SYN, mustNext, newStack, next, type Out, peerPacket, REMOTE, SYN_OPTS, ts, tsOf } from './stack-harness.js';

const PEER_KEY = 0x0102030405060708n;
const PEER_IDSN = keyIdsn(PEER_KEY, 1);
const M64 = (1n << 64n) - 1n;
const low32 = (x: bigint): bigint => x & 0xffffffffn;

const capOf = (o: Out): MpCapable | undefined => o.mptcp.find((x): x is MpCapable => x.subtype === 'mp_capable');
const dssOf = (o: Out): Dss | undefined => o.mptcp.find((x): x is Dss => x.subtype === 'dss');

function dss(fields: Partial<Dss>): MptcpOption {
  return { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: true, dsn64: true, ...fields } as Dss;
}

/** Server side: MP_CAPABLE handshake with a peer holding PEER_KEY; returns the stack's key too. */
async function mptcpServer(s: Stack, thirdAck?: TcpOption[], synMpc: MptcpOption = MPC_SYN) {
  const lfd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  await call(s, { name: 'bind', fd: lfd, addr: { family: 'inet', address: '0.0.0.0', port: 8080 }, addrLen: 16 });
  await call(s, { name: 'listen', fd: lfd, backlog: 4 });
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: 8080, options: [...SYN_OPTS, synMpc] }));
  const synAck = mustNext(s);
  const key = capOf(synAck)?.senderKey ?? 0n;
  const snd = (synAck.tcp.seq + 1) >>> 0;
  const third = thirdAck ?? [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: PEER_KEY, receiverKey: key } as MptcpOption];
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, window: 1000, options: [...ts(101, tsOf(synAck).val), ...third] }));
  const fd = (await call(s, { name: 'accept', fd: lfd, flags: 0, wantAddr: false })).ret;
  return { fd, key, snd, synAck };
}

async function mptcpInfo(s: Stack, fd: number) {
  const r = await call(s, { name: 'getsockopt', fd, level: 284, optname: 1, optlen: 96 });
  if (r.out?.kind !== 'opt') throw new Error(`MPTCP_INFO failed: ${r.errno}`);
  return decodeStruct(MPTCP_INFO_LAYOUT, r.out.value);
}

test('server: SYN/ACK carries MP_CAPABLE v1 with a non-zero key; token and IDSN match MPTCP_INFO', async (t) => {
  const s = newStack();
  const { fd, key, synAck } = await mptcpServer(s);
  t.deepEqual(kinds(synAck.tcp.options), ['mss', 'sack_permitted', 'timestamp', 'nop', 'wscale', 'mptcp:mp_capable']);
  t.not(key, 0n);
  t.is(capOf(synAck)?.flags, 0x01);
  const info = await mptcpInfo(s, fd);
  t.is(info.mptcpi_token, keyToken(key, 1));
  t.is(info.mptcpi_flags, 2); // remote key received
  t.is(info.mptcpi_write_seq, (keyIdsn(key, 1) + 1n) & M64);
  t.is(info.mptcpi_rcv_nxt, (PEER_IDSN + 1n) & M64);
  t.is(info.mptcpi_subflows_max, 2);
  t.is(info.mptcpi_subflows_total, 1);
  t.is((await call(s, { name: 'getsockopt', fd, level: 6, optname: 43, optlen: 4 })).out?.kind === 'opt', true);
});

test('server data: DSS with dack4 before any mapping arrived, dsn8 = IDSN+1, 1424-byte payloads', async (t) => {
  const s = newStack();
  const { fd, key } = await mptcpServer(s);
  await call(s, { name: 'write', fd, data: bytes(3000), flags: 0 });
  const a = mustNext(s);
  const d = dssOf(a)!;
  t.is(a.tcp.payload.length, 1424);
  t.false(d.dataAck64);
  t.is(d.dataAck, low32(PEER_IDSN + 1n));
  t.true(d.dsn64);
  t.is(d.dsn, (keyIdsn(key, 1) + 1n) & M64);
  t.is(d.ssn, 1);
  t.is(d.dll, 3000); // one mapping per write, repeated on every segment cut from it
  t.deepEqual(kinds(a.tcp.options), ['nop', 'nop', 'timestamp', 'mptcp:dss', 'nop', 'nop']);
  const b = mustNext(s);
  t.deepEqual(dssOf(b)?.dll, 3000);
  t.is(b.tcp.payload.length, 1424);
});

test('server: a 64-bit mapping switches DATA_ACK to 8 bytes (payload then 1420)', async (t) => {
  const s = newStack();
  const { fd, snd } = await mptcpServer(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 100, options: [dss({ dataAck: 0n, dataAck64: false, dsn: (PEER_IDSN + 1n) & M64, ssn: 1, dll: 100 })] }));
  const ack = mustNext(s);
  t.true(dssOf(ack)!.dataAck64);
  t.is(dssOf(ack)!.dataAck, (PEER_IDSN + 101n) & M64);
  await call(s, { name: 'write', fd, data: bytes(2000), flags: 0 });
  t.is(mustNext(s).tcp.payload.length, 1420);
  t.is((await call(s, { name: 'read', fd, len: 1000, flags: 0 })).ret, 100);
});

test('client: SYN MP_CAPABLE (4 bytes), third ACK with both keys, first data MP_CAPABLE+DLL', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  const conn = call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  t.deepEqual(kinds(syn.tcp.options).slice(-1), ['mptcp:mp_capable']);
  t.deepEqual(capOf(syn), { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01 });
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, { kind: 'timestamp', val: 5, ecr: tsOf(syn).val }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, senderKey: PEER_KEY }] }));
  const third = mustNext(s);
  t.is((await conn).ret, 0);
  const c3 = capOf(third)!;
  t.is(c3.receiverKey, PEER_KEY);
  t.not(c3.senderKey, undefined);
  t.is(c3.dataLen, undefined);
  await call(s, { name: 'write', fd, data: bytes(100), flags: 0 });
  const first = mustNext(s);
  const c4 = capOf(first)!;
  t.is(c4.dataLen, 100);
  t.is(c4.senderKey, c3.senderKey);
  t.deepEqual(kinds(first.tcp.options), ['nop', 'nop', 'timestamp', 'mptcp:mp_capable', 'nop', 'nop']);
  t.is(dssOf(first), undefined);
  // The server's DATA_ACK makes the client fully established: the next data carries a DSS.
  const clientIdsn = keyIdsn(c3.senderKey!, 1);
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: first.tcp.seq + 100, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [dss({ dataAck: (clientIdsn + 101n) & M64 })] }));
  await call(s, { name: 'write', fd, data: bytes(10), flags: 0 });
  const second = mustNext(s);
  t.is(capOf(second), undefined);
  t.is(dssOf(second)?.dsn, (clientIdsn + 101n) & M64);
  t.is(dssOf(second)?.ssn, 101);
});

test('DATA_FIN both ways: acked with +1, then the TCP FIN', async (t) => {
  const s = newStack();
  const { fd, key, snd } = await mptcpServer(s);
  const fin = (PEER_IDSN + 1n) & M64;
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [dss({ dataFin: true, dataAck: (keyIdsn(key, 1) + 1n) & M64, dsn: fin, ssn: 0, dll: 1 })] }));
  const ack = mustNext(s);
  t.is(dssOf(ack)?.dataAck, low32(fin + 1n)); // a bare DATA_FIN does not switch to 64-bit acks
  t.is((await call(s, { name: 'read', fd, len: 10, flags: 0 })).ret, 0);
  await call(s, { name: 'close', fd });
  const dfin = mustNext(s);
  const d = dssOf(dfin)!;
  t.true(d.dataFin);
  t.is(d.ssn, 0);
  t.is(d.dll, 1);
  t.is(d.dsn, (keyIdsn(key, 1) + 1n) & M64);
  t.is(dfin.tcp.flags & F.FIN, 0);
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [dss({ dataAck: (d.dsn! + 1n) & M64 })] }));
  const tcpFin = mustNext(s);
  t.is(tcpFin.tcp.flags, F.FIN | F.ACK);
  t.truthy(dssOf(tcpFin)?.dataAck);
});

test('fallback: third ACK without MP_CAPABLE → no MPTCP option afterwards, EOPNOTSUPP', async (t) => {
  const s = newStack();
  const { fd } = await mptcpServer(s, []);
  await call(s, { name: 'write', fd, data: bytes(10), flags: 0 });
  t.deepEqual(mustNext(s).mptcp, []);
  t.deepEqual(await call(s, { name: 'getsockopt', fd, level: 284, optname: 1, optlen: 96 }), { ret: -1, errno: 'EOPNOTSUPP' });
  const isMptcp = await call(s, { name: 'getsockopt', fd, level: 6, optname: 43, optlen: 4 });
  t.deepEqual(isMptcp.out, { kind: 'opt', value: new Uint8Array([0, 0, 0, 0]), optlen: 4 });
});

test('fallback: SYN with a v0-style 12-byte MP_CAPABLE or B flag gets a plain SYN/ACK', async (t) => {
  for (const bad of [
    { kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x81, senderKey: 5n },
    { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x41 },
    { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x00 },
  ] as MptcpOption[]) {
    const s = newStack();
    const { synAck } = await mptcpServer(s, [], bad);
    t.deepEqual(synAck.mptcp, []);
  }
  const s = newStack();
  const { synAck } = await mptcpServer(s, undefined, { kind: 'mptcp', subtype: 'mp_capable', version: 3, flags: 0x01 });
  t.is(capOf(synAck)?.version, 1); // version >= 2 in a SYN is answered with v1
});

test('fallback: client gets a SYN/ACK without MP_CAPABLE', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  void call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [{ kind: 'mss', mss: 1460 }] }));
  t.deepEqual(mustNext(s).mptcp, []);
  await call(s, { name: 'write', fd, data: bytes(5), flags: 0 });
  t.deepEqual(mustNext(s).mptcp, []);
});

test('fallback: first data without a mapping', async (t) => {
  const s = newStack();
  const { fd, snd } = await mptcpServer(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 10 }));
  t.deepEqual(mustNext(s).mptcp, []);
  t.deepEqual(await call(s, { name: 'getsockopt', fd, level: 284, optname: 1, optlen: 96 }), { ret: -1, errno: 'EOPNOTSUPP' });
});

test("checksums: the SYN's A alone does not turn them on (Linux takes it from the third ACK)", async (t) => {
  const s = newStack();
  const { fd, synAck } = await mptcpServer(s, undefined, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81 });
  t.is(capOf(synAck)?.flags, 0x01);
  t.is((await mptcpInfo(s, fd)).mptcpi_csum_enabled, 0);
  await call(s, { name: 'write', fd, data: bytes(4, 0x61), flags: 0 });
  t.is(dssOf(mustNext(s))!.checksum, undefined);
});

test('checksums: the peer asks (A on its SYN and third ACK), our SYN/ACK does not, mappings carry checksums; a bad first one falls back', async (t) => {
  const s = newStack();
  const third: MptcpOption[] = [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: PEER_KEY, receiverKey: 0n }];
  const { fd, key, synAck, snd } = await mptcpServer(s, third, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81 });
  t.is(capOf(synAck)?.flags, 0x01);
  await call(s, { name: 'write', fd, data: bytes(4, 0x61), flags: 0 });
  const d = dssOf(mustNext(s))!;
  const dsn = (keyIdsn(key, 1) + 1n) & M64;
  t.is(d.checksum, dssChecksum(dsn, 1, 4, bytes(4, 0x61)));
  const info = await mptcpInfo(s, fd);
  t.is(info.mptcpi_csum_enabled, 1);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd + 4, dstPort: 8080, payload: 10, options: [dss({ dataAck: (dsn + 4n) & M64, dsn: (PEER_IDSN + 1n) & M64, ssn: 1, dll: 10, checksum: 0x1234 })] }));
  t.deepEqual(mustNext(s).mptcp, []);
  t.is((await call(s, { name: 'read', fd, len: 100, flags: 0 })).ret, 10);
});

test('SYN retransmissions: MP_CAPABLE on the first three SYNs, then plain TCP', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  void call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const carries = [];
  for (let i = 0; i < 5; i++) carries.push(mustNext(s, 100_000_000).mptcp.length > 0);
  t.deepEqual(carries, [true, true, true, false, false]);
});

test('close with unread data: RST + MP_FASTCLOSE(peer key) + MP_TCPRST 0', async (t) => {
  const s = newStack();
  const { fd, snd } = await mptcpServer(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 10, options: [dss({ dataAck: 0n, dataAck64: false, dsn: (PEER_IDSN + 1n) & M64, ssn: 1, dll: 10 })] }));
  mustNext(s);
  await call(s, { name: 'close', fd });
  const rst = mustNext(s);
  t.is(rst.tcp.flags, F.RST | F.ACK);
  t.deepEqual(rst.mptcp, [
    { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: PEER_KEY },
    { kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason: 0 },
  ] as never);
});

test('MP_FASTCLOSE with our key on an ACK: RST with MP_TCPRST 0; read fails', async (t) => {
  const s = newStack();
  const { fd, key, snd } = await mptcpServer(s);
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [{ kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: key }] }));
  const rst = mustNext(s);
  t.is(rst.tcp.flags & F.RST, F.RST);
  t.deepEqual(kinds(rst.tcp.options).filter((k) => k.startsWith('mptcp')), ['mptcp:mp_tcprst']);
  t.deepEqual(await call(s, { name: 'read', fd, len: 1, flags: 0 }), { ret: -1, errno: 'ECONNRESET' });
});

test('plain TCP socket: SOL_MPTCP is not a protocol option', async (t) => {
  const s = newStack();
  const { fd } = await acceptPlain(s);
  t.deepEqual(await call(s, { name: 'getsockopt', fd, level: 284, optname: 1, optlen: 96 }), { ret: -1, errno: 'ENOPROTOOPT' });
  t.is(next(s), undefined);
});

test('MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS: one subflow, sizes clamped to the caller', async (t) => {
  const s = newStack();
  const { fd } = await mptcpServer(s);
  const header = (sizeUser: number): Uint8Array => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, 16, true);
    v.setUint32(12, sizeUser, true);
    return b;
  };
  const info = await call(s, { name: 'getsockopt', fd, level: 284, optname: 2, optlen: 16 + 300, value: header(300) });
  if (info.out?.kind !== 'opt') return t.fail();
  const v = new DataView(info.out.value.buffer, info.out.value.byteOffset);
  t.deepEqual([v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)], [1, 280, 280]);
  t.is(info.out.optlen, 16 + 280);
  t.is(info.out.value[16], 1); // tcpi_state ESTABLISHED
  const addrs = await call(s, { name: 'getsockopt', fd, level: 284, optname: 3, optlen: 16 + 256, value: header(256) });
  if (addrs.out?.kind !== 'opt') return t.fail();
  const a = addrs.out.value;
  t.deepEqual([...a.subarray(16 + 4, 16 + 8)], [192, 168, 0, 1]);
  t.deepEqual([...a.subarray(16 + 128 + 4, 16 + 128 + 8)], [192, 0, 2, 1]);
  t.deepEqual(await call(s, { name: 'getsockopt', fd, level: 284, optname: 2, optlen: 8, value: header(300) }), { ret: -1, errno: 'EINVAL' });
});

test('a RST without MP_FASTCLOSE kills the subflow only: a non-blocking read finds no data, no error', async (t) => {
  const s = newStack();
  const { fd, snd } = await mptcpServer(s);
  s.inject(peerPacket({ flags: F.RST | F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 1, reason: 2 }] }));
  t.is(next(s), undefined);
  await call(s, { name: 'fcntl', fd, cmd: 4, arg: 0o4000 });
  t.deepEqual(await call(s, { name: 'read', fd, len: 10, flags: 0 }), { ret: -1, errno: 'EAGAIN' });
});

test('data with DATA_FIN in one segment: ACK of the data, then ACK of the DATA_FIN', async (t) => {
  const s = newStack();
  const { fd, snd } = await mptcpServer(s);
  const dsn = (PEER_IDSN + 1n) & M64;
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 100, options: [dss({ dataFin: true, dataAck: 0n, dataAck64: false, dsn, ssn: 1, dll: 101 })] }));
  const first = mustNext(s);
  const second = mustNext(s);
  t.is(dssOf(first)?.dataAck, (dsn + 100n) & M64);
  t.is(dssOf(second)?.dataAck, (dsn + 101n) & M64);
  t.is((await call(s, { name: 'read', fd, len: 1000, flags: 0 })).ret, 100);
  t.is((await call(s, { name: 'read', fd, len: 1000, flags: 0 })).ret, 0);
});

test('mapping check (subflow.c validate_mapping): the segment must start inside its mapping and end within it', (t) => {
  t.true(mappingCoversSegment(dataSpan(1, 100, false), undefined, 1, 100));
  t.false(mappingCoversSegment(dataSpan(2, 100, false), undefined, 1, 100)); // SSN one past the start
  t.false(mappingCoversSegment(dataSpan(1, 100, true), undefined, 1, 100)); // the DATA_FIN takes the 100th number
  t.false(mappingCoversSegment(dataSpan(1, 99, false), undefined, 1, 100)); // the last byte unmapped
  t.true(mappingCoversSegment(dataSpan(1, 2800, false), undefined, 1401, 1400)); // a mapping repeated on a GSO burst
  // A byte still inside the previous (longer) mapping is read under it first.
  t.true(mappingCoversSegment(dataSpan(202, 100, false), { start: 101, end: 202 }, 201, 100));
});
