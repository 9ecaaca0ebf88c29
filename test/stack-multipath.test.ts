// The bundled stack's multipath behaviour (RFC 8684 §3.2, §3.3.8, §3.4, §3.4.1; Linux net/mptcp/subflow.c, net/mptcp/pm_kernel.c): the
// path manager's ADD_ADDR announcements, MP_JOIN subflows in both roles, MP_PRIO and REMOVE_ADDR.
// Each test builds a stack, feeds it packets and checks what it sends.
import test from 'ava';
import { addAddrHmac, joinHmac, keyIdsn, keyToken } from '../src/wire/crypto.js';
import type { AddAddr, Dss, MpCapable, MpJoin, MpTcpRst, TcpOption } from '../src/wire/packet.js';
import type { Stack } from '../src/stack/socket-api.js';
import { call, F, kinds, LOCAL, mustNext, newStack, next, type Out, peerPacket, REMOTE, SYN_OPTS, ts, tsOf } from './stack-harness.js';
import { find, ip, JOIN_PORT, joined, joinSyn, LOCAL2, M64, mptcpInfo, PEER_IDSN, PEER_KEY, peerAckHmac, REMOTE2, server, thirdAck } from './stack-multipath-harness.js';

const MSG_DONTWAIT = 0x40;

/** A DSS with a 64-bit mapping starting at subflow sequence 1 (no DATA_ACK). */
const dssMap = (dsn: bigint, dll: number): Dss => ({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: true, dsn, ssn: 1, dll });

const echoOf = (a: AddAddr): TcpOption => ({ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: a.addressId, address: a.address });

test('server announces a signal endpoint at once: ADD_ADDR alone on a pure ACK, our key first; repeated (RTO-paced) until echoed', async (t) => {
  const s = newStack();
  const { key, snd, announce } = await server(s);
  const a = find<AddAddr>(announce!, 'add_addr')!;
  t.deepEqual(kinds(announce!.tcp.options), ['nop', 'nop', 'timestamp', 'mptcp:add_addr']);
  t.deepEqual([a.echo, a.addressId, a.address], [false, 1, LOCAL2]);
  t.deepEqual(a.hmac, addAddrHmac(key, PEER_KEY, 1, LOCAL2));
  t.is(tsOf(announce!).ecr, 101); // the third ACK's TS val became ts_recent
  t.is(next(s), undefined);
  // Linux 6.18 repeats it after the subflow RTO (shorter than add_addr_timeout's 120 s), then
  // doubling, with the TS val of the first transmission; the echo stops it.
  const again = mustNext(s, s.clock.now() + 1_000_000);
  t.deepEqual(find<AddAddr>(again, 'add_addr')?.hmac, a.hmac);
  t.is(tsOf(again).val, tsOf(announce!).val);
  const third = mustNext(s, s.clock.now() + 2_000_000);
  t.is(third.time - again.time, 2 * (again.time - announce!.time));
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [...ts(102, tsOf(again).val), echoOf(a)] }));
  t.is(next(s, s.clock.now() + 500_000_000), undefined);
});

test('an unechoed ADD_ADDR is sent four times in all (three repeats), then the path manager gives up', async (t) => {
  const s = newStack();
  await server(s);
  const times: number[] = [];
  for (let o = next(s, 600_000_000); o; o = next(s, 600_000_000)) if (find<AddAddr>(o, 'add_addr')) times.push(o.time);
  t.is(times.length, 3); // plus the first, taken by server()
  t.is(times[2]! - times[1]!, 2 * (times[1]! - times[0]!));
});

test('server accepts a join: SYN/ACK with truncated HMAC, id of the address reached, own backup flag; 4th ACK with dack4', async (t) => {
  const s = newStack();
  const { fd, key } = await server(s);
  const synAck = joinSyn(s, key, { backup: true })!;
  t.is(synAck.src, LOCAL2);
  const j = find<MpJoin>(synAck, 'mp_join')!;
  t.deepEqual([j.form, j.addressId, j.backup], ['syn_ack', 1, false]); // B is ours, not an echo
  t.deepEqual(j.hmac, joinHmac(key, PEER_KEY, j.nonce!, 0x11223344, 1).slice(0, 8));
  thirdAck(s, synAck, peerAckHmac(key, synAck));
  const fourth = mustNext(s);
  const d = find<Dss>(fourth, 'dss')!;
  t.deepEqual([d.dataAck64, d.dataAck, d.dsn], [false, (PEER_IDSN + 1n) & 0xffffffffn, undefined]);
  const info = await mptcpInfo(s, fd);
  t.is(info.mptcpi_subflows, 1);
  t.is(info.mptcpi_add_addr_signal, 1);
});

test('join data: each subflow carries its own SSN, both feed the one data stream; DATA_ACK shared', async (t) => {
  const s = newStack();
  const { fd, key, snd } = await server(s);
  const synAck = joinSyn(s, key)!;
  thirdAck(s, synAck, peerAckHmac(key, synAck));
  mustNext(s);
  const jsnd = (synAck.tcp.seq + 1) >>> 0;
  const dsn = (n: number): bigint => (PEER_IDSN + BigInt(n)) & M64;
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: jsnd, src: REMOTE2, dst: LOCAL2, srcPort: JOIN_PORT, dstPort: 8080, payload: new Uint8Array(10).fill(0x41), options: [dssMap(dsn(1), 10)] }));
  const a1 = mustNext(s);
  t.is(a1.src, LOCAL2);
  t.is(find<Dss>(a1, 'dss')?.dataAck, dsn(11));
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: new Uint8Array(5).fill(0x42), options: [dssMap(dsn(11), 5)] }));
  const a2 = mustNext(s);
  t.is(a2.src, LOCAL);
  t.is(find<Dss>(a2, 'dss')?.dataAck, dsn(16));
  const r = await call(s, { name: 'read', fd, len: 100, flags: 0 });
  t.is(r.ret, 15);
  t.deepEqual(r.out?.kind === 'data' ? [...r.out.data] : [], [...new Uint8Array(10).fill(0x41), ...new Uint8Array(5).fill(0x42)]);
});

test('join refusals: bad third-ACK HMAC → RST reason 1; over the subflow limit → reason 3; unknown token → RST+ACK reason 1', async (t) => {
  const s = newStack();
  const { fd, key } = await server(s);
  const synAck = joinSyn(s, key)!;
  thirdAck(s, synAck, new Uint8Array(20).fill(7));
  const rst = mustNext(s);
  t.is(rst.tcp.flags, F.RST);
  t.is(rst.tcp.seq, (synAck.tcp.seq + 1) >>> 0);
  t.is(find<MpTcpRst>(rst, 'mp_tcprst')?.reason, 1);
  t.is((await mptcpInfo(s, fd)).mptcpi_subflows, 0);

  ip(s, 'mptcp limits set subflows 0');
  const synAck2 = joinSyn(s, key, {}, LOCAL)!;
  t.is(find<MpJoin>(synAck2, 'mp_join')?.addressId, 0); // the initial address
  thirdAck(s, synAck2, peerAckHmac(key, synAck2), LOCAL);
  t.is(find<MpTcpRst>(mustNext(s), 'mp_tcprst')?.reason, 3);

  const bad = joinSyn(s, key, { token: keyToken(key, 1) ^ 1 })!;
  t.is(bad.tcp.flags, F.RST | F.ACK);
  t.is(find<MpTcpRst>(bad, 'mp_tcprst')?.reason, 1);
});

/** Client connected to REMOTE:8080 with limits raised; returns after the MP_CAPABLE third ACK. */
async function client(s: Stack) {
  ip(s, 'mptcp limits set subflows 8 add_addr_accepted 8');
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1 | 0x800, protocol: 262 })).ret;
  await call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [...SYN_OPTS, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, senderKey: PEER_KEY }] }));
  const third = mustNext(s);
  const key = find<MpCapable>(third, 'mp_capable')!.senderKey!;
  return { fd, key, port: syn.tcp.srcPort, snd: syn.tcp.seq + 1 };
}

/** The peer announces REMOTE2 (id 1); returns the stack's echo and join SYN. */
function peerAnnounces(s: Stack, c: { key: bigint; port: number; snd: number }) {
  const add: AddAddr = { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 1, address: REMOTE2, hmac: addAddrHmac(PEER_KEY, c.key, 1, REMOTE2) };
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: c.snd, srcPort: 8080, dstPort: c.port, options: [...ts(701, 0), add] }));
  return { echo: mustNext(s), syn: mustNext(s) };
}

test('client joins an accepted announcement: echo first, then MP_JOIN SYN (peer token, id 0), ACK with the 160-bit HMAC until the 4th ACK', async (t) => {
  const s = newStack();
  const c = await client(s);
  const { echo, syn } = peerAnnounces(s, c);
  t.true(find<AddAddr>(echo, 'add_addr')?.echo);
  t.deepEqual([syn.src, syn.dst, syn.tcp.dstPort, syn.tcp.flags], [LOCAL, REMOTE2, 8080, F.SYN]);
  const j = find<MpJoin>(syn, 'mp_join')!;
  t.deepEqual([j.form, j.addressId, j.token, j.backup], ['syn', 0, keyToken(PEER_KEY, 1), false]);
  const peerNonce = 7;
  const sa: MpJoin = { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 1, nonce: peerNonce, hmac: joinHmac(PEER_KEY, c.key, peerNonce, j.nonce!, 1).slice(0, 8) };
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, src: REMOTE2, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [...SYN_OPTS, sa] }));
  const ack = mustNext(s);
  t.deepEqual(find<MpJoin>(ack, 'mp_join')?.hmac, joinHmac(c.key, PEER_KEY, j.nonce!, peerNonce, 1).slice(0, 20));
  // No fourth ACK yet: the third ACK is repeated (1 s without an RTT sample).
  const again = mustNext(s, s.clock.now() + 1_100_000);
  t.is(find<MpJoin>(again, 'mp_join')?.form, 'ack');
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: syn.tcp.seq + 1, src: REMOTE2, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [{ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: 1n, dataAck64: false, dsn64: false }] }));
  t.is(next(s, s.clock.now() + 5_000_000), undefined);
  const info = await mptcpInfo(s, c.fd);
  t.deepEqual([info.mptcpi_subflows, info.mptcpi_add_addr_accepted], [1, 1]);
});

test('client: a SYN/ACK with a wrong join HMAC resets the subflow once established (RST+ACK, reason 1); add_addr_accepted 0 only echoes', async (t) => {
  const s = newStack();
  const c = await client(s);
  const { syn } = peerAnnounces(s, c);
  const sa: MpJoin = { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 1, nonce: 7, hmac: new Uint8Array(8) };
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, src: REMOTE2, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [...SYN_OPTS, sa] }));
  const rst = mustNext(s);
  // 6.18 completes the handshake first: RST+ACK (acking the SYN/ACK) with timestamps, reason 1.
  t.is(rst.tcp.flags & (F.RST | F.ACK), F.RST | F.ACK);
  t.is(rst.tcp.ack, 1);
  t.true(rst.tcp.options.some((o) => o.kind === 'timestamp'));
  t.is(find<MpTcpRst>(rst, 'mp_tcprst')?.reason, 1);

  const s2 = newStack();
  const c2 = await client(s2);
  ip(s2, 'mptcp limits set add_addr_accepted 0');
  const add: AddAddr = { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 1, address: REMOTE2, hmac: addAddrHmac(PEER_KEY, c2.key, 1, REMOTE2) };
  s2.inject(peerPacket({ flags: F.ACK, seq: 1, ack: c2.snd, srcPort: 8080, dstPort: c2.port, options: [...ts(701, 0), add] }));
  t.true(find<AddAddr>(mustNext(s2), 'add_addr')?.echo);
  t.is(next(s2), undefined);
});

/** Server with an established join on LOCAL2; returns the join's SYN/ACK too. */

test('endpoint change backup → MP_PRIO after the DSS (one NOP) on the subflows of that address; nobackup undoes it', async (t) => {
  const s = newStack();
  await joined(s);
  ip(s, 'mptcp endpoint change id 1 backup');
  const p = mustNext(s);
  t.is(p.src, LOCAL2);
  t.deepEqual(kinds(p.tcp.options), ['nop', 'nop', 'timestamp', 'mptcp:dss', 'mptcp:mp_prio', 'nop']);
  t.true(p.mptcp[1]?.subtype === 'mp_prio' && p.mptcp[1].backup);
  ip(s, 'mptcp endpoint change id 1 backup');
  t.is(next(s), undefined); // no change, nothing sent
  ip(s, 'mptcp endpoint change id 1 nobackup');
  const q = mustNext(s);
  t.true(q.mptcp[1]?.subtype === 'mp_prio' && !q.mptcp[1].backup);
});

test('endpoint delete → REMOVE_ADDR after the DSS on the first subflow; the subflow of that address closes with FIN', async (t) => {
  const s = newStack();
  await joined(s);
  ip(s, 'mptcp endpoint delete id 1');
  const rm = mustNext(s);
  t.is(rm.src, LOCAL);
  t.deepEqual(kinds(rm.tcp.options), ['nop', 'nop', 'timestamp', 'mptcp:dss', 'mptcp:remove_addr']);
  t.true(rm.mptcp[1]?.subtype === 'remove_addr' && rm.mptcp[1].addressIds[0] === 1);
  const ack = mustNext(s); // a pure ACK first (TS val unrefreshed), as 6.18 sends
  t.deepEqual([ack.src, ack.tcp.flags], [LOCAL2, F.ACK]);
  const fin = mustNext(s);
  t.is(fin.src, LOCAL2);
  t.is(fin.tcp.flags & F.FIN, F.FIN);
  t.is(fin.tcp.flags & F.RST, 0);
});

test('REMOVE_ADDR from the peer closes the subflows whose remote id matches, with FIN', async (t) => {
  const s = newStack();
  const { snd } = await joined(s);
  const sentAfterRemove = (id: number): Out[] => {
    s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [{ kind: 'mptcp', subtype: 'remove_addr', addressIds: [id] }] }));
    const sent: Out[] = [];
    for (let o = next(s); o; o = next(s)) if (o.src === LOCAL2) sent.push(o);
    return sent;
  };
  t.is(sentAfterRemove(3).length, 0); // the join came from the peer's id 2
  const sent = sentAfterRemove(2);
  // 6.18: a pure ACK, then the FIN.
  t.deepEqual(sent.map((o) => o.tcp.flags), [F.ACK, F.ACK | F.FIN]);
  const fins = sent.slice(1);
  t.is(fins[0]!.tcp.flags & F.RST, 0);
});

/** Data segment from the peer on the first subflow (REMOTE) or the join (REMOTE2 → LOCAL2). */
function peerData(s: Stack, onJoin: boolean, ack: number, dsn: bigint, fill: number, len: number): void {
  const addr = onJoin ? { src: REMOTE2, dst: LOCAL2, srcPort: JOIN_PORT } : {};
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack, dstPort: 8080, ...addr, payload: new Uint8Array(len).fill(fill), options: [dssMap(dsn, len)] }));
}

test('data-level reordering: bytes a join delivers ahead of rcv_nxt wait for the gap the first subflow fills', async (t) => {
  const s = newStack();
  const { fd, snd, synAck } = await joined(s);
  const dsn = (n: number): bigint => (PEER_IDSN + BigInt(n)) & M64;
  peerData(s, true, (synAck.tcp.seq + 1) >>> 0, dsn(6), 0x42, 4); // DSN 6..9 first
  t.is(find<Dss>(mustNext(s), 'dss')?.dataAck, dsn(1)); // nothing new in data order yet
  t.is((await call(s, { name: 'recv', fd, len: 100, flags: MSG_DONTWAIT })).errno, 'EAGAIN');
  peerData(s, false, snd, dsn(1), 0x41, 5); // DSN 1..5 fills the gap
  t.is(find<Dss>(mustNext(s), 'dss')?.dataAck, dsn(10));
  const r = await call(s, { name: 'read', fd, len: 100, flags: 0 });
  t.deepEqual(r.out?.kind === 'data' ? [...r.out.data] : [], [...new Uint8Array(5).fill(0x41), ...new Uint8Array(4).fill(0x42)]);
});

test('scheduler: data goes on a non-backup subflow; the first subflow marked backup by the peer (MP_PRIO) is avoided', async (t) => {
  const s = newStack();
  const { fd, snd, key } = await joined(s);
  await call(s, { name: 'write', fd, data: new Uint8Array(10), flags: 0 });
  const first = mustNext(s);
  t.is(first.src, LOCAL);
  const d1 = find<Dss>(first, 'dss')!;
  t.deepEqual([d1.dsn, d1.ssn, d1.dll], [(keyIdsn(key, 1) + 1n) & M64, 1, 10]);
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: (snd + 10) >>> 0, dstPort: 8080, options: [{ kind: 'mptcp', subtype: 'mp_prio', backup: true }, { kind: 'nop' }] }));
  await call(s, { name: 'write', fd, data: new Uint8Array(20), flags: 0 });
  let out = mustNext(s);
  while (out.tcp.payload.length === 0) out = mustNext(s);
  t.is(out.src, LOCAL2);
  const d2 = find<Dss>(out, 'dss')!;
  // The join's own subflow sequence starts at 1; the DSN continues the data stream.
  t.deepEqual([d2.dsn, d2.ssn, d2.dll], [(keyIdsn(key, 1) + 11n) & M64, 1, 20]);
});

test('close: the DATA_FIN goes out on every subflow, with the TS val of each subflow\'s last event (6.18)', async (t) => {
  const s = newStack();
  const { fd, announce } = await joined(s);
  const joinLast = s.clock.now();
  s.clock.advanceTo(joinLast + 50_000);
  await call(s, { name: 'close', fd });
  const fins: Out[] = [];
  for (let o = next(s); o; o = next(s)) if (find<Dss>(o, 'dss')?.dataFin) fins.push(o);
  t.deepEqual(fins.map((o) => o.src).sort(), [LOCAL, LOCAL2]);
  // The first subflow's last event was the third ACK, when its ADD_ADDR went out (50 ms earlier).
  t.is(tsOf(fins.find((o) => o.src === LOCAL)!).val, tsOf(announce!).val);
});

test('a join subflow never falls back: data without a mapping resets it (reason 6, a stripped DSS: fallback/join-subflow-no-mapping.pkt), the connection stays MPTCP', async (t) => {
  const s = newStack();
  const { fd, synAck } = await joined(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: (synAck.tcp.seq + 1) >>> 0, src: REMOTE2, dst: LOCAL2, srcPort: JOIN_PORT, dstPort: 8080, payload: 10 }));
  const rst = mustNext(s);
  t.deepEqual([rst.src, rst.tcp.flags & F.RST, find<MpTcpRst>(rst, 'mp_tcprst')?.reason], [LOCAL2, F.RST, 6]);
  const info = await mptcpInfo(s, fd);
  // No fallback flag; 6.18 keeps counting a subflow it reset from the data path (checked on the kernel).
  t.deepEqual([info.mptcpi_subflows, info.mptcpi_subflows_total, Number(info.mptcpi_flags) & 1], [1, 2, 0]);
});

test('MPTCP_SUBFLOW_ADDRS lists the join subflow after the initial one', async (t) => {
  const s = newStack();
  const { fd } = await joined(s);
  const hdr = new Uint8Array(16);
  const h = new DataView(hdr.buffer);
  h.setUint32(0, 16, true); // size_subflow_data
  h.setUint32(12, 256, true); // size_user: one struct mptcp_subflow_addrs
  const r = await call(s, { name: 'getsockopt', fd, level: 284, optname: 3, optlen: 16 + 2 * 256, value: hdr });
  if (r.out?.kind !== 'opt') return t.fail(`getsockopt failed: ${r.errno}`);
  const v = r.out.value;
  t.is(new DataView(v.buffer, v.byteOffset).getUint32(4, true), 2); // num_subflows
  t.deepEqual([...v.subarray(16 + 256 + 4, 16 + 256 + 8)].join('.'), LOCAL2); // second subflow's local address
});

test('endpoint flush: one REMOVE_ADDR listing every announced id (NOP-padded); an endpoint added later is announced after the echo', async (t) => {
  const s = newStack();
  const { snd, announce } = await server(s);
  ip(s, 'mptcp endpoint add 192.168.0.3 dev tun0 signal id 6');
  t.is(next(s), undefined); // one announcement at a time: id 1 is not echoed yet
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [echoOf(find<AddAddr>(announce!, 'add_addr')!)] }));
  const second = find<AddAddr>(mustNext(s), 'add_addr')!;
  t.deepEqual([second.addressId, second.address], [6, '192.168.0.3']);
  ip(s, 'mptcp endpoint flush');
  const rm = mustNext(s);
  t.deepEqual(kinds(rm.tcp.options), ['nop', 'nop', 'timestamp', 'mptcp:dss', 'mptcp:remove_addr', 'nop', 'nop', 'nop']);
  t.true(rm.mptcp[1]?.subtype === 'remove_addr' && rm.mptcp[1].addressIds.join() === '1,6');
  t.is(next(s), undefined);
});

test('a signal endpoint with a port: announced with it, and a join to that port is answered with no socket listening there', async (t) => {
  const s = newStack();
  ip(s, 'mptcp limits set subflows 8 add_addr_accepted 8');
  const { key, announce } = await server(s, 'signal port 9090');
  t.is(find<AddAddr>(announce!, 'add_addr')?.port, 9090);
  const syn: MpJoin = { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 2, token: keyToken(key, 1), nonce: 5 };
  s.inject(peerPacket({ flags: F.SYN, seq: 0, src: REMOTE2, dst: LOCAL2, srcPort: JOIN_PORT, dstPort: 9090, options: [...SYN_OPTS, syn] }));
  const synAck = mustNext(s);
  t.deepEqual([synAck.tcp.flags, synAck.tcp.srcPort, find<MpJoin>(synAck, 'mp_join')?.addressId], [F.SYN | F.ACK, 9090, 1]);
  // Another port of that address: nobody there.
  s.inject(peerPacket({ flags: F.SYN, seq: 0, src: REMOTE2, dst: LOCAL2, srcPort: JOIN_PORT + 1, dstPort: 9191, options: [...SYN_OPTS, syn] }));
  t.is(mustNext(s).tcp.flags, F.RST | F.ACK);
});

test('a large write is mapped in skb-sized pieces that fit the 16-bit DLL (6.18: 64080 = 45 x 1424)', async (t) => {
  const s = newStack();
  const { fd } = await server(s, 'subflow'); // no announcement: the first packet is data
  await call(s, { name: 'setsockopt', fd, level: 1, optname: 7, value: new Uint8Array([0x40, 0x42, 0x0f, 0]), optlen: 4 }); // SO_SNDBUF 1000000
  t.is((await call(s, { name: 'write', fd, data: new Uint8Array(200_000), flags: 0 })).ret, 200_000);
  const d = find<Dss>(mustNext(s), 'dss')!;
  t.is(d.dll, 64080);
});
