// The bundled stack's multipath robustness (issue 6): the connection outliving its first subflow,
// reinjection of data a dying subflow carried (peer RST, REMOVE_ADDR), the MPTCP-level
// retransmission timer, the shared receive window and the default scheduler's choice. Each test
// feeds packets and checks what the stack sends; the wire forms match the kernel corpus scripts
// join/first-subflow-reset.pkt, join/reinject-after-rst.pkt, join/reinject-after-remove.pkt,
// join/remove-initial-subflow.pkt, join/endpoint-delete-initial.pkt and join/remove-join-subflow-count.pkt.
import test from 'ava';
import { keyIdsn } from '../src/wire/crypto.js';
import type { Dss, RemoveAddr, TcpOption } from '../src/wire/packet.js';
import { pickRetransSubflow, pickSendSubflow, type SchedSubflow, SEND_BURST } from '../src/stack/mptcp/scheduler.js';
import type { Stack } from '../src/stack/socket-api.js';
import { call, F, LOCAL, mustNext, newStack, next, type Out, peerPacket, ts, tsOf } from './stack-harness.js';
import { find, ip, JOIN_PORT, joined, joinSyn, LOCAL2, M64, mptcpInfo, PEER_IDSN, peerAckHmac, REMOTE2, server, thirdAck } from './stack-multipath-harness.js';

const MSG_DONTWAIT = 0x40;

type Joined = Awaited<ReturnType<typeof setup>>;

/** The stack's data-level sequence number `n` bytes after its IDSN + 1 (DSN relative 1 = first byte). */
const ourDsn = (c: Joined, n: number): bigint => (c.idsn + BigInt(n)) & M64;

/** A DATA_ACK-only DSS (8 bytes, as Linux sends once 64-bit DSNs were seen). */
const dataAck = (ack: bigint): Dss => ({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: ack, dataAck64: true, dsn64: false });

/** A peer segment on the first subflow (`join` false) or the join (`join` true). */
function peer(s: Stack, join: boolean, p: { flags: number; seq: number; ack: number; options?: TcpOption[]; payload?: number }): void {
  const addr = join ? { src: REMOTE2, dst: LOCAL2, srcPort: JOIN_PORT } : {};
  s.inject(peerPacket({ dstPort: 8080, ...addr, ...p }));
}

async function setup(s: Stack) {
  const c = await joined(s);
  const joinSnd = (c.synAck.tcp.seq + 1) >>> 0;
  return { ...c, joinSnd, idsn: (keyIdsn(c.key, 1) + 1n) & M64 };
}

const dssOf = (o: Out): Dss => find<Dss>(o, 'dss')!;
const mappingOf = (o: Out): [bigint | undefined, number | undefined, number | undefined, number] => {
  const d = dssOf(o);
  return [d.dsn, d.ssn, d.dll, o.tcp.payload.length];
};

/** The next packet with payload sent up to `until` (virtual µs), skipping pure ACKs. */
function nextData(s: Stack, until: number): Out | undefined {
  for (let o = next(s, until); o; o = next(s, until)) if (o.tcp.payload.length > 0) return o;
  return undefined;
}

/** Every packet the stack sends up to `until` (virtual µs). */
function drain(s: Stack, until = s.clock.now()): Out[] {
  const out: Out[] = [];
  for (let o = next(s, until); o; o = next(s, until)) out.push(o);
  return out;
}

test('first subflow reset by the peer: its unacked data goes on the join (same DSN, SSN 1 there), the connection lives on and closes over the join', async (t) => {
  const s = newStack();
  const c = await setup(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100).fill(1), flags: 0 });
  const first = mustNext(s);
  t.is(first.src, LOCAL);
  t.deepEqual(mappingOf(first), [ourDsn(c, 0), 1, 100, 100]);
  peer(s, false, { flags: F.RST | F.ACK, seq: 1, ack: c.snd });
  const again = mustNext(s);
  t.is(again.src, LOCAL2);
  t.deepEqual(mappingOf(again), [ourDsn(c, 0), 1, 100, 100]);
  t.is(next(s), undefined);
  // 6.18 (join/reinject-after-rst.pkt): the reinjected bytes are neither new nor retransmitted data.
  peer(s, true, { flags: F.ACK, seq: 1, ack: (c.joinSnd + 100) >>> 0, options: [...ts(302, 0), dataAck(ourDsn(c, 100))] });
  const info = await mptcpInfo(s, c.fd);
  t.deepEqual([info.mptcpi_subflows, info.mptcpi_subflows_total, info.mptcpi_bytes_sent, info.mptcpi_bytes_retrans, info.mptcpi_bytes_acked], [1, 1, 100n, 0n, 100n]);

  // New writes go on the join; reads see the join's data.
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(10), flags: 0 });
  const more = mustNext(s);
  t.is(more.src, LOCAL2);
  t.deepEqual(mappingOf(more), [ourDsn(c, 100), 101, 10, 10]);
  peer(s, true, { flags: F.ACK | F.PSH, seq: 1, ack: (c.joinSnd + 110) >>> 0, payload: 5, options: [{ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: ourDsn(c, 110), dataAck64: true, dsn64: true, dsn: (PEER_IDSN + 1n) & M64, ssn: 1, dll: 5 }] });
  t.is((await call(s, { name: 'recv', fd: c.fd, len: 100, flags: MSG_DONTWAIT })).ret, 5);
  drain(s);

  // close(): the DATA_FIN goes on the join only; the peer's DATA_FIN then lets the join close.
  await call(s, { name: 'close', fd: c.fd });
  const fins = drain(s).filter((o) => dssOf(o)?.dataFin);
  t.deepEqual(fins.map((o) => o.src), [LOCAL2]);
  peer(s, true, { flags: F.ACK, seq: 6, ack: (c.joinSnd + 110) >>> 0, options: [{ kind: 'mptcp', subtype: 'dss', dataFin: true, dataAck: ourDsn(c, 111), dataAck64: true, dsn64: true, dsn: (PEER_IDSN + 6n) & M64, ssn: 0, dll: 1 }] });
  const after = drain(s);
  t.true(after.every((o) => o.src === LOCAL2));
  t.true(after.some((o) => (o.tcp.flags & F.FIN) !== 0), 'the join closes with a TCP FIN once both DATA_FINs are acknowledged');
});

test('reinjection re-sends the whole data-level queue: the dead subflow\'s bytes and the survivor\'s own, one mapping', async (t) => {
  const s = newStack();
  const c = await setup(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100).fill(1), flags: 0 });
  t.is(mustNext(s).src, LOCAL);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100).fill(2), flags: 0 });
  t.is(mustNext(s).src, LOCAL2);
  peer(s, false, { flags: F.RST | F.ACK, seq: 1, ack: c.snd });
  // Nagle holds the small reinjection while the join's own 100 bytes are unacknowledged (6.18
  // sends it ~220 ms later by a tail-loss probe; the bundled stack has no TLP): the peer acks.
  t.is(nextData(s, s.clock.now()), undefined);
  peer(s, true, { flags: F.ACK, seq: 1, ack: (c.joinSnd + 100) >>> 0, options: [...ts(302, 0), dataAck(ourDsn(c, 0))] });
  const again = nextData(s, s.clock.now())!;
  t.is(again.src, LOCAL2);
  t.deepEqual(mappingOf(again), [ourDsn(c, 0), 101, 200, 200]);
  t.deepEqual([again.tcp.payload[0], again.tcp.payload[199]], [1, 2]);
});

test('REMOVE_ADDR naming the join: its ACK and FIN, then its unacked data on the first subflow with the next SSN there', async (t) => {
  const s = newStack();
  const c = await setup(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100), flags: 0 });
  const a = mustNext(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100), flags: 0 });
  const b = mustNext(s);
  // The default scheduler: the first subflow already holds bytes, the join holds none.
  t.deepEqual([a.src, b.src], [LOCAL, LOCAL2]);
  t.deepEqual(mappingOf(b), [ourDsn(c, 100), 1, 100, 100]);
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 100) >>> 0, options: [...ts(103, 0), dataAck(ourDsn(c, 100))] });
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 100) >>> 0, options: [...ts(104, 0), { kind: 'mptcp', subtype: 'remove_addr', addressIds: [2] }] });
  const out = drain(s);
  t.deepEqual(out.map((o) => [o.src, o.tcp.flags & F.FIN, o.tcp.payload.length]), [[LOCAL2, 0, 0], [LOCAL2, F.FIN, 0], [LOCAL, 0, 100]]);
  t.deepEqual(mappingOf(out[2]!), [ourDsn(c, 100), 101, 100, 100]);
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 200) >>> 0, options: [...ts(105, 0), dataAck(ourDsn(c, 200))] });
  const info = await mptcpInfo(s, c.fd);
  t.deepEqual([info.mptcpi_subflows, info.mptcpi_subflows_total, info.mptcpi_bytes_acked], [0, 1, 200n]);
});

const removeAddr = (...addressIds: number[]): RemoveAddr => ({ kind: 'mptcp', subtype: 'remove_addr', addressIds });

/** Source, FIN flag, payload length and REMOVE_ADDR ids of each packet. */
const shapes = (out: Out[]) => out.map((o) => [o.src, o.tcp.flags & F.FIN, o.tcp.payload.length, find<RemoveAddr>(o, 'remove_addr')?.addressIds]);

test('REMOVE_ADDR naming id 0 while a join lives: the first subflow sends its ACK (stale TS val) and FIN, its data goes on the join, the socket lives on there', async (t) => {
  const s = newStack();
  const c = await setup(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100), flags: 0 });
  const first = mustNext(s);
  t.is(first.src, LOCAL);
  t.is(next(s, s.clock.now() + 10_000), undefined);
  peer(s, true, { flags: F.ACK, seq: 1, ack: c.joinSnd, options: [...ts(302, 0), removeAddr(0)] });
  const out = drain(s);
  t.deepEqual(shapes(out), [[LOCAL, 0, 0, undefined], [LOCAL, F.FIN, 0, undefined], [LOCAL2, 0, 100, undefined]]);
  t.is(tsOf(out[0]!).val, tsOf(first).val, 'the pure ACK carries the TS val of the last data sent there');
  t.true(tsOf(out[1]!).val > tsOf(first).val);
  t.deepEqual(mappingOf(out[2]!), [ourDsn(c, 0), 1, 100, 100]);
  const info = await mptcpInfo(s, c.fd);
  t.deepEqual([info.mptcpi_subflows, info.mptcpi_subflows_total], [1, 1]);

  // The first subflow still ends on the wire: its FIN acknowledged, the peer's FIN gets a DSS ACK, no RST.
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 101) >>> 0, options: [...ts(103, 0), dataAck(ourDsn(c, 100))] });
  t.deepEqual(drain(s), []);
  peer(s, false, { flags: F.ACK | F.FIN, seq: 1, ack: (c.snd + 101) >>> 0, options: [...ts(104, 0), dataAck(ourDsn(c, 100))] });
  const finAck = drain(s);
  t.deepEqual(finAck.map((o) => [o.src, o.tcp.flags, o.tcp.ack]), [[LOCAL, F.ACK, 2]]);
  t.truthy(find<Dss>(finAck[0]!, 'dss'), 'the initial subflow stays msk->first: its ACKs keep the DSS');

  // The peer's subflow FIN is no data-level EOF; writes go on the join.
  t.is((await call(s, { name: 'recv', fd: c.fd, len: 100, flags: MSG_DONTWAIT })).errno, 'EAGAIN');
  peer(s, true, { flags: F.ACK, seq: 1, ack: (c.joinSnd + 100) >>> 0, options: [...ts(303, 0), dataAck(ourDsn(c, 100))] });
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(10), flags: 0 });
  const more = mustNext(s);
  t.is(more.src, LOCAL2);
  t.deepEqual(mappingOf(more), [ourDsn(c, 100), 101, 10, 10]);
});

test('`ip mptcp endpoint delete` of the first subflow\'s address: REMOVE_ADDR id 0 on the join, then the first subflow\'s ACK and FIN, its data on the join', async (t) => {
  const s = newStack();
  const c = await setup(s);
  ip(s, `mptcp endpoint add ${LOCAL} dev tun0`);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100), flags: 0 });
  t.is(mustNext(s).src, LOCAL);
  ip(s, 'mptcp endpoint delete id 2');
  const out = drain(s);
  t.deepEqual(shapes(out), [[LOCAL2, 0, 0, [0]], [LOCAL, 0, 0, undefined], [LOCAL, F.FIN, 0, undefined], [LOCAL2, 0, 100, undefined]]);
  t.deepEqual(mappingOf(out[3]!), [ourDsn(c, 0), 1, 100, 100]);
  const info = await mptcpInfo(s, c.fd);
  t.deepEqual([info.mptcpi_subflows, info.mptcpi_subflows_total], [1, 1]);
});

test('a join closed by REMOVE_ADDR leaves mptcpi_subflows at once; once its FIN is acknowledged its ACKs carry no MPTCP option', async (t) => {
  const s = newStack();
  const c = await setup(s);
  peer(s, false, { flags: F.ACK, seq: 1, ack: c.snd, options: [...ts(103, 0), removeAddr(2)] });
  t.deepEqual(shapes(drain(s)), [[LOCAL2, 0, 0, undefined], [LOCAL2, F.FIN, 0, undefined]]);
  t.is((await mptcpInfo(s, c.fd)).mptcpi_subflows, 0);
  peer(s, true, { flags: F.ACK, seq: 1, ack: (c.joinSnd + 1) >>> 0, options: [...ts(302, 0), dataAck(ourDsn(c, 0))] });
  peer(s, true, { flags: F.ACK | F.FIN, seq: 1, ack: (c.joinSnd + 1) >>> 0, options: [...ts(303, 0), dataAck(ourDsn(c, 0))] });
  const ack = drain(s);
  t.deepEqual(ack.map((o) => [o.src, o.tcp.flags, o.mptcp.length]), [[LOCAL2, F.ACK, 0]]);
  t.is((await mptcpInfo(s, c.fd)).mptcpi_subflows, 0);
});

test('MPTCP-level retransmission: data its subflow acknowledged but the DATA_ACK never covered goes again, after the timer, on a subflow with nothing queued', async (t) => {
  const s = newStack();
  const c = await setup(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100), flags: 0 });
  mustNext(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(50), flags: 0 });
  const onJoin = mustNext(s);
  t.is(onJoin.src, LOCAL2);
  // Both subflows acknowledge at TCP level; the DATA_ACK stops at the first 100 bytes (the
  // receiver dropped the join's bytes at the data level).
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 100) >>> 0, options: [...ts(103, 0), dataAck(ourDsn(c, 100))] });
  peer(s, true, { flags: F.ACK, seq: 1, ack: (c.joinSnd + 50) >>> 0, options: [...ts(303, 0), dataAck(ourDsn(c, 100))] });
  const start = s.clock.now();
  t.deepEqual(drain(s, start + 199_000).filter((o) => o.tcp.payload.length > 0), [], 'nothing before the timer (at least 200 ms)');
  // (The harness never echoes the ADD_ADDR: its repeats are skipped.)
  const re = nextData(s, start + 2_000_000)!;
  t.is(re.src, LOCAL); // the first subflow with an empty queue (the join's is empty too; the first wins)
  t.deepEqual(mappingOf(re), [ourDsn(c, 100), 101, 50, 50]);
  const info = await mptcpInfo(s, c.fd);
  t.deepEqual([info.mptcpi_retransmits, info.mptcpi_bytes_retrans], [1, 50n]);
  // The DATA_ACK covering it stops the timer.
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 150) >>> 0, options: [...ts(104, 0), dataAck(ourDsn(c, 150))] });
  t.deepEqual(drain(s, s.clock.now() + 5_000_000).filter((o) => o.tcp.payload.length > 0), []);
});

test('a join whose retransmissions run out ends without an RST; its bytes went on the first subflow (MPTCP-level), which carries on', async (t) => {
  const s = newStack();
  s.host.sysctls.set('net.ipv4.tcp_retries2', '3');
  const c = await setup(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(100), flags: 0 });
  mustNext(s);
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(50), flags: 0 });
  t.is(mustNext(s).src, LOCAL2);
  // The join hears nothing more; the first subflow's bytes are acknowledged at both levels.
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 100) >>> 0, options: [...ts(103, 0), dataAck(ourDsn(c, 100))] });
  // The join repeats them itself (its RTO); the data level's timer puts them on the first subflow.
  let re = nextData(s, s.clock.now() + 2_000_000);
  while (re && re.src !== LOCAL) re = nextData(s, s.clock.now() + 2_000_000);
  t.deepEqual(re && mappingOf(re), [ourDsn(c, 100), 101, 50, 50]);
  peer(s, false, { flags: F.ACK, seq: 1, ack: (c.snd + 150) >>> 0, options: [...ts(104, 0), dataAck(ourDsn(c, 150))] });
  const later = drain(s, s.clock.now() + 60_000_000);
  // tcp_write_timeout's end is tcp_write_err: the socket is done, nothing is sent (6.18, measured
  // by tcp/timers/user-timeout.pkt and an MPTCP subflow with tcp_retries2=1).
  t.true(later.some((o) => o.src === LOCAL2), 'the join retransmitted before it gave up');
  t.false(later.some((o) => (o.tcp.flags & F.RST) !== 0), 'no RST when the retransmissions run out');
  t.true(later.filter((o) => o.src === LOCAL && o.tcp.payload.length > 0).length === 0, 'nothing left to reinject: the data level had it all');
  await call(s, { name: 'write', fd: c.fd, data: new Uint8Array(10), flags: 0 });
  const after = mustNext(s);
  t.deepEqual([after.src, ...mappingOf(after)], [LOCAL, ourDsn(c, 150), 151, 10, 10]);
  t.is((await mptcpInfo(s, c.fd)).mptcpi_subflows, 0);
});

/** The window (bytes) of the fourth ACK a join gets after `unread` bytes arrived on the first subflow and stayed unread. */
async function joinWindowAfter(unread: number): Promise<number> {
  const s = newStack();
  const c = await server(s);
  for (let at = 0; at < unread; at += 1000) {
    const dsn = (PEER_IDSN + 1n + BigInt(at)) & M64;
    peer(s, false, { flags: F.ACK, seq: 1 + at, ack: c.snd, payload: 1000, options: [{ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: true, dsn, ssn: 1 + at, dll: 1000 }] });
  }
  drain(s);
  const synAck = joinSyn(s, c.key)!;
  thirdAck(s, synAck, peerAckHmac(c.key, synAck));
  const shift = synAck.tcp.options.find((o) => o.kind === 'wscale');
  return mustNext(s).tcp.window << (shift?.kind === 'wscale' ? shift.shift : 0);
}

test("shared receive window: a join announces the connection's room, less the bytes waiting unread in the socket", async (t) => {
  const fresh = await joinWindowAfter(0);
  const loaded = await joinWindowAfter(20_000);
  // In bytes, to the window scale's granularity.
  t.true(Math.abs(fresh - loaded - 20_000) <= 512, `join window ${fresh} → ${loaded}`);
});

// ---- the scheduler's choice (pure) ---------------------------------------------------------

const sub = (name: string, queuedBytes: number, pacingRate: number, backup = false, sendable = true): SchedSubflow & { name: string } => ({ name, queuedBytes, pacingRate, backup, sendable });

test('scheduler: the non-backup subflow with the shortest linger time (queued bytes / pacing rate); ties go to the earlier one', (t) => {
  t.is(pickSendSubflow([sub('a', 0, 1e6), sub('b', 0, 1e6)])?.name, 'a');
  t.is(pickSendSubflow([sub('a', 1000, 1e6), sub('b', 0, 1e6)])?.name, 'b');
  // More queued but a much faster path lingers less.
  t.is(pickSendSubflow([sub('a', 10_000, 1e8), sub('b', 1000, 1e6)])?.name, 'a');
  t.is(pickSendSubflow([sub('a', 0, 1e6, false, false), sub('b', 5000, 1e6)])?.name, 'b');
  t.is(SEND_BURST, 65536);
});

test('scheduler: a backup subflow only when no non-backup one is usable; none usable → none', (t) => {
  t.is(pickSendSubflow([sub('bk', 0, 1e9, true), sub('a', 50_000, 1e6)])?.name, 'a');
  t.is(pickSendSubflow([sub('bk', 0, 1e9, true), sub('a', 0, 1e6, false, false)])?.name, 'bk');
  t.is(pickSendSubflow([sub('a', 0, 1e6, false, false)]), undefined);
});

test('retransmission pick: a usable subflow with nothing queued, non-backup first', (t) => {
  t.is(pickRetransSubflow([sub('a', 100, 1e6), sub('b', 0, 1e6)])?.name, 'b');
  t.is(pickRetransSubflow([sub('bk', 0, 1e6, true), sub('a', 0, 1e6)])?.name, 'a');
  t.is(pickRetransSubflow([sub('bk', 0, 1e6, true), sub('a', 10, 1e6)])?.name, 'bk');
  t.is(pickRetransSubflow([sub('a', 10, 1e6)]), undefined);
});
