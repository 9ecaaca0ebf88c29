// RFC 8684 §3.7 fallback on the bundled stack after the handshake: the decision table of
// src/stack/mptcp/fallback.ts (as Linux 6.18 takes it, see test/scripts/mptcp/fallback/*.pkt) and
// the stack's packets for MP_FAIL both ways, the infinite mapping and a stripped DSS.
import test from 'ava';
import { MptcpConnection, type MptcpSettings, type SubflowRxMap } from '../src/stack/mptcp/connection.js';
import { ActiveMptcpBlackhole, decideFallback, MpFailExchange, RESET_MIDDLEBOX, type FallbackContext, type MappingProblem } from '../src/stack/mptcp/fallback.js';
import { material } from '../src/stack/mptcp/keys.js';
import { RESET_UNSPECIFIED } from '../src/stack/mptcp/join.js';
import { dssChecksum, keyIdsn } from '../src/wire/crypto.js';
import type { Dss, MpCapable, MptcpOption } from '../src/wire/packet.js';
import type { Stack } from '../src/stack/socket-api.js';
import { acceptPlain, bytes, call, F, MPC_SYN, mustNext, newStack, next, type Out, peerPacket, ts } from './stack-harness.js';

// ---- the decision table ----------------------------------------------------------------------

const ctx = (over: Partial<FallbackContext>): FallbackContext => ({ joined: false, validChecksumSeen: false, infiniteAllowed: true, ...over });

const table: Array<[string, MappingProblem, Partial<FallbackContext>, ReturnType<typeof decideFallback>]> = [
  ['data without DSS, single subflow', 'no-dss', {}, { action: 'fallback' }],
  ['infinite mapping, single subflow', 'invalid', {}, { action: 'fallback' }],
  ['first checksum bad', 'bad-checksum', {}, { action: 'fallback' }],
  ['checksum missing after a valid one (6.18 still falls back)', 'invalid', { validChecksumSeen: true }, { action: 'fallback' }],
  ['bad checksum after a valid one', 'bad-checksum', { validChecksumSeen: true }, { action: 'mp-fail' }],
  ['bad checksum after a valid one, a join exists', 'bad-checksum', { validChecksumSeen: true, infiniteAllowed: false }, { action: 'reset', reason: RESET_MIDDLEBOX, mpFail: true }],
  ['bad checksum on a join subflow', 'bad-checksum', { joined: true, infiniteAllowed: false }, { action: 'reset', reason: RESET_MIDDLEBOX, mpFail: true }],
  ['first checksum bad, a join exists', 'bad-checksum', { infiniteAllowed: false }, { action: 'reset', reason: RESET_UNSPECIFIED, mpFail: false }],
  ['DSS stripped, a join exists', 'no-dss', { infiniteAllowed: false }, { action: 'reset', reason: RESET_MIDDLEBOX, mpFail: false }],
  ['DSS stripped on a join subflow', 'no-dss', { joined: true, infiniteAllowed: false }, { action: 'reset', reason: RESET_MIDDLEBOX, mpFail: false }],
  ['infinite mapping, a join exists', 'invalid', { infiniteAllowed: false }, { action: 'reset', reason: RESET_UNSPECIFIED, mpFail: false }],
];

for (const [name, problem, over, want] of table) {
  test(`decision: ${name}`, (t) => {
    t.deepEqual(decideFallback(problem, ctx(over)), want);
  });
}

test('MP_FAIL exchange: our failure, then the peer’s answer sends nothing more', (t) => {
  const x = new MpFailExchange();
  x.fail(101n, 100n);
  t.is(x.pendingDsn, 101n);
  t.is(x.pendingDataAck, 100n);
  x.sent();
  x.received(7n);
  t.is(x.pendingDsn, undefined);
  t.false(x.sendInfiniteMap);
});

test('MP_FAIL exchange: a peer’s MP_FAIL is answered with the receiving mapping’s DSN and an infinite mapping', (t) => {
  const x = new MpFailExchange();
  x.received(7n);
  t.is(x.pendingDsn, 7n);
  t.is(x.pendingDataAck, undefined);
  t.true(x.sendInfiniteMap);
});

test('blackhole: disabled for the timeout, doubled on a repeat; a timeout of 0 never disables', (t) => {
  const S = 1_000_000;
  const b = new ActiveMptcpBlackhole();
  t.false(b.shouldDisable(0, 3600));
  b.disable(10 * S, 0);
  t.false(b.shouldDisable(11 * S, 3600));
  b.disable(10 * S, 3600);
  t.true(b.shouldDisable(3609 * S, 3600));
  t.false(b.shouldDisable(3610 * S, 3600));
  t.false(b.shouldDisable(20 * S, 0));
  b.disable(4000 * S, 3600);
  t.true(b.shouldDisable(4000 * S + 7199 * S, 3600));
  t.false(b.shouldDisable(4000 * S + 7200 * S, 3600));
});

test('blackhole: the plain SYN after dropped MP_CAPABLE SYNs reports its SYN/ACK; a disabled namespace sends plain SYNs', (t) => {
  let reports = 0;
  const settings: MptcpSettings = { checksumEnabled: false, allowJoinInitial: true, synRetransBeforeFallback: 2, onMpcBlackhole: () => reports++ };
  const c = new MptcpConnection('client', material(5n), settings, () => 0);
  t.is(c.synOptions(0).length, 1);
  t.is(c.synOptions(2).length, 1);
  t.deepEqual(c.synOptions(3), []);
  c.onSynAck([]);
  t.is(reports, 1);
  const answered = new MptcpConnection('client', material(6n), settings, () => 0);
  answered.synOptions(0);
  answered.onSynAck([]); // a plain SYN/ACK to an MP_CAPABLE SYN: fallback, but no blackhole
  t.is(reports, 1);
  const disabled = new MptcpConnection('client', material(7n), { ...settings, activeDisabled: true }, () => 0);
  t.deepEqual(disabled.synOptions(0), []);
  t.true(disabled.fallback);
});

// ---- each subflow's own receiving mapping ----------------------------------------------------

/** A server connection with checksums on, its peer's key 2 (so the peer's IDSN is keyIdsn(2)). */
function checksummedServer(): MptcpConnection {
  const m = new MptcpConnection('server', material(5n), { checksumEnabled: true, allowJoinInitial: true, synRetransBeforeFallback: 2 }, () => 0);
  m.acceptSyn({ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81 });
  m.onThirdAck([{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: 2n, receiverKey: 5n }], 0);
  return m;
}

const mapped = (dsnRel: bigint, ssn: number, dll: number, checksum?: number): Dss => {
  const dsn = (keyIdsn(2n, 1) + dsnRel) & ((1n << 64n) - 1n);
  return { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn, dsn64: true, ssn, dll, checksum: checksum ?? dssChecksum(dsn, ssn, dll, bytes(dll, 0x61)) };
};

for (const [name, joinChecksum, verdict] of [
  ['its checksum verified over both halves', undefined, 'ok'],
  ['a bad checksum found when its second half arrives', 0x1234, 'mp-fail-reset'],
] as const) {
  test(`per subflow: a join's mapping spread over two segments, the first subflow's mapping in between: ${name}`, (t) => {
    const m = checksummedServer();
    const first: SubflowRxMap = {};
    const join: SubflowRxMap = {};
    t.is(m.onSegment([mapped(1n, 1, 200, joinChecksum)], bytes(100, 0x61), 1, true, true, join), 'ok');
    t.is(m.onSegment([mapped(201n, 1, 100)], bytes(100, 0x61), 1, true, false, first), 'ok');
    t.is(m.onSegment([], bytes(100, 0x61), 101, true, true, join), verdict);
    t.false(m.fallback);
    t.deepEqual(join.window, { start: 1, end: 201 });
    t.deepEqual(first.window, { start: 1, end: 101 });
    t.is(join.collecting, undefined, 'the mapping was complete');
  });
}

test('per subflow: a join segment without a DSS past its own mapping is a stripped DSS: the join is reset', (t) => {
  const m = checksummedServer();
  const join: SubflowRxMap = {};
  t.is(m.onSegment([mapped(1n, 1, 100)], bytes(100, 0x61), 1, true, true, join), 'ok');
  t.is(m.onSegment([], bytes(100, 0x61), 101, true, true, join), 'mp-fail-reset');
  t.is(m.onSegment([], bytes(10, 0x61), 1, true, true, {}), 'mp-fail-reset', 'a join that never got a mapping');
});

// ---- the namespace's blackhole state, through the host -----------------------------------------

const SECOND = 1_000_000;

/** Opens an MPTCP connection from `s`; returns its SYNs up to the first plain one (at most `max`). */
async function openClient(s: Stack, max = 6): Promise<Out[]> {
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  void call(s, { name: 'connect', fd, addr: { family: 'inet', address: '192.0.2.1', port: 8080 }, addrLen: 16 });
  const syns: Out[] = [];
  for (let i = 0; i < max; i++) {
    const syn = mustNext(s, s.clock.now() + 100 * SECOND);
    syns.push(syn);
    if (syn.mptcp.length === 0) break;
  }
  return syns;
}

/** The peer answers the last SYN with a plain SYN/ACK; the stack's ACK is consumed. */
function answerPlain(s: Stack, syn: Out): void {
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [{ kind: 'mss', mss: 1460 }] }));
  mustNext(s);
}

test('host blackhole: MP_CAPABLE SYNs dropped then a plain SYN answered disables active MPTCP for blackhole_timeout', async (t) => {
  const s = newStack();
  s.host.sysctls.set('net.mptcp.blackhole_timeout', '10');
  const dropped = await openClient(s);
  t.deepEqual(dropped.map((o) => o.mptcp.length > 0), [true, true, true, false]);
  answerPlain(s, dropped[3]!);
  const start = s.clock.now();
  const during = await openClient(s);
  t.is(during.length, 1);
  t.deepEqual(during[0]!.mptcp, [], 'a plain SYN while active MPTCP is disabled');
  answerPlain(s, during[0]!);
  s.clock.advanceTo(start + 10 * SECOND);
  const after = await openClient(s);
  t.is(after[0]!.mptcp[0]?.subtype, 'mp_capable', 'MP_CAPABLE again once the timeout is over');
});

test('host blackhole: no disable with blackhole_timeout 0 nor when the MP_CAPABLE SYN itself got a plain SYN/ACK', async (t) => {
  const off = newStack();
  off.host.sysctls.set('net.mptcp.blackhole_timeout', '0');
  const dropped = await openClient(off);
  answerPlain(off, dropped[dropped.length - 1]!);
  t.is((await openClient(off))[0]!.mptcp[0]?.subtype, 'mp_capable');

  const on = newStack();
  on.host.sysctls.set('net.mptcp.blackhole_timeout', '3600');
  const [first] = await openClient(on, 1);
  answerPlain(on, first!); // a middlebox strips the option but lets the SYN through: not a blackhole
  t.is((await openClient(on))[0]!.mptcp[0]?.subtype, 'mp_capable');
});

// ---- the stack -------------------------------------------------------------------------------

const PEER_KEY = 2n;
const PEER_IDSN = keyIdsn(PEER_KEY, 1);
const M64 = (1n << 64n) - 1n;
const CSUM_SYN: MptcpOption = { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81 };

const dssOf = (o: Out): Dss | undefined => o.mptcp.find((x): x is Dss => x.subtype === 'dss');
const failOf = (o: Out): bigint | undefined => {
  const f = o.mptcp.find((x) => x.subtype === 'mp_fail');
  return f?.subtype === 'mp_fail' ? f.dsn : undefined;
};

/** An MP_CAPABLE server connection from a peer with key 2 (checksums when `csum`). */
async function server(s: Stack, csum: boolean) {
  const syn = csum ? CSUM_SYN : MPC_SYN;
  // Linux does not check the echo of its own key in the third ACK (RFC 8684 §3.1), nor does the stack.
  const third: MptcpOption = { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: syn.subtype === 'mp_capable' ? syn.flags : 1, senderKey: PEER_KEY, receiverKey: 0n };
  const a = await acceptPlain(s, 8080, [syn], [third], true);
  const key = a.synAck.mptcp.find((x): x is MpCapable => x.subtype === 'mp_capable')?.senderKey ?? 0n;
  return { ...a, idsn: keyIdsn(key, 1) };
}

/** Peer data at subflow sequence `seq` under the mapping (`dsnRel` relative to the peer's IDSN). */
function data(s: Stack, seq: number, ack: number, len: number, map?: { dsnRel: bigint; ssn: number; dll: number; checksum?: number }, csum = false): void {
  const opts: MptcpOption[] = [];
  if (map) {
    const dsn = (PEER_IDSN + map.dsnRel) & M64;
    const d: Dss = { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: true, dsn, ssn: map.ssn, dll: map.dll };
    if (csum) d.checksum = map.checksum ?? dssChecksum(dsn, map.ssn, map.dll, bytes(map.dll, 0x61));
    opts.push(d);
  }
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq, ack, dstPort: 8080, window: 1000, payload: bytes(len, 0x61), options: [...ts(200, 0), ...opts] }));
}

const isMptcp = async (s: Stack, fd: number): Promise<number> => {
  const r = await call(s, { name: 'getsockopt', fd, level: 6, optname: 43, optlen: 4 });
  return r.out?.kind === 'opt' ? new DataView(r.out.value.buffer, r.out.value.byteOffset).getInt32(0, true) : -1;
};

test('stack: a bad checksum after a good one is reported with MP_FAIL, the data still delivered; the peer’s infinite mapping ends MPTCP', async (t) => {
  const s = newStack();
  const { fd, snd } = await server(s, true);
  data(s, 1, snd, 100, { dsnRel: 1n, ssn: 1, dll: 100 }, true);
  t.is(dssOf(mustNext(s))?.dataAck, (PEER_IDSN + 101n) & M64);
  data(s, 101, snd, 100, { dsnRel: 101n, ssn: 101, dll: 100, checksum: 0x1234 }, true);
  const fail = mustNext(s);
  t.is(failOf(fail), (PEER_IDSN + 101n) & M64);
  // The ACK carrying MP_FAIL does not acknowledge the failed mapping, yet recv() returns it.
  t.is(dssOf(fail)?.dataAck, (PEER_IDSN + 101n) & M64);
  t.is(fail.tcp.ack, 201);
  t.is((await call(s, { name: 'read', fd, len: 1000, flags: 0 })).ret, 200);
  // The peer answers: MP_FAIL, then data under an infinite mapping.
  s.inject(peerPacket({ flags: F.ACK, seq: 201, ack: snd, dstPort: 8080, window: 1000, options: [...ts(201, 0), { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: false }, { kind: 'mptcp', subtype: 'mp_fail', dsn: (PEER_IDSN + 101n) & M64 }] }));
  t.falsy(s.receive(s.clock.now())); // the answer to our MP_FAIL needs no reply
  data(s, 201, snd, 100, { dsnRel: 101n, ssn: 201, dll: 0, checksum: 0 }, true);
  t.deepEqual(mustNext(s).mptcp, []);
  t.is(await isMptcp(s, fd), 0);
});

test('stack: the peer’s MP_FAIL is answered with MP_FAIL at once, then one infinite mapping, then plain TCP', async (t) => {
  const s = newStack();
  const { fd, snd, idsn } = await server(s, true);
  data(s, 1, snd, 100, { dsnRel: 1n, ssn: 1, dll: 100 }, true);
  mustNext(s);
  await call(s, { name: 'write', fd, data: bytes(100), flags: 0 });
  t.is(dssOf(mustNext(s))?.dll, 100);
  s.inject(peerPacket({ flags: F.ACK, seq: 101, ack: snd + 100, dstPort: 8080, window: 1000, options: [...ts(201, 0), { kind: 'mptcp', subtype: 'mp_fail', dsn: (idsn + 1n) & M64 }] }));
  const answer = mustNext(s);
  t.is(answer.tcp.payload.length, 0);
  // Not an echo: the DSN of the mapping the stack is receiving (the peer's data).
  t.is(failOf(answer), (PEER_IDSN + 1n) & M64);
  await call(s, { name: 'write', fd, data: bytes(100), flags: 0 });
  const inf = dssOf(mustNext(s));
  t.deepEqual([inf?.dsn, inf?.ssn, inf?.dll, inf?.checksum], [(idsn + 101n) & M64, 101, 0, 0]);
  s.inject(peerPacket({ flags: F.ACK, seq: 101, ack: snd + 200, dstPort: 8080, window: 1000, options: ts(202, 0) }));
  await call(s, { name: 'write', fd, data: bytes(100), flags: 0 });
  t.deepEqual(mustNext(s).mptcp, []);
  t.is(await isMptcp(s, fd), 0);
});

test('stack: data without DSS inside the current mapping stays MPTCP; past its end the DSS was stripped: fallback', async (t) => {
  const s = newStack();
  const { fd, snd } = await server(s, false);
  // One 300-byte mapping over three segments, only the first one carrying it (RFC 8684 §3.3.1).
  data(s, 1, snd, 100, { dsnRel: 1n, ssn: 1, dll: 300 });
  data(s, 101, snd, 100);
  data(s, 201, snd, 100);
  const acks: Out[] = [];
  for (let o = next(s, s.clock.now() + 300_000); o; o = next(s, s.clock.now() + 300_000)) acks.push(o);
  t.true(acks.length > 0 && acks.every((o) => dssOf(o) !== undefined));
  t.is(dssOf(acks[acks.length - 1]!)?.dataAck, (PEER_IDSN + 301n) & M64);
  data(s, 301, snd, 100);
  t.deepEqual(mustNext(s, s.clock.now() + 300_000).mptcp, []);
  t.is((await call(s, { name: 'read', fd, len: 1000, flags: 0 })).ret, 400);
  t.is(await isMptcp(s, fd), 0);
});

test('stack: an infinite mapping after normal ones makes the connection TCP', async (t) => {
  const s = newStack();
  const { fd, snd } = await server(s, false);
  data(s, 1, snd, 100, { dsnRel: 1n, ssn: 1, dll: 100 });
  t.truthy(dssOf(mustNext(s)));
  data(s, 101, snd, 100, { dsnRel: 101n, ssn: 101, dll: 0 });
  t.deepEqual(mustNext(s).mptcp, []);
  t.is((await call(s, { name: 'read', fd, len: 1000, flags: 0 })).ret, 200);
  t.is(await isMptcp(s, fd), 0);
});
