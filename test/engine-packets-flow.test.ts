// PacketEngine on whole flows: the example of docs/language.md §8.2 end to end (announce, join,
// newest-subflow rule, TS ecr per subflow), the smaller MPTCP options, IPv6, and TS val ticks.

import test from 'ava';
import { PacketEngine } from '../src/engine/packets/index.js';
import { TcpFlag, type TcpOption } from '../src/wire/packet.js';
import { addAddrHmac, joinHmac, keyIdsn } from '../src/wire/crypto.js';
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import { acts, CTX, LOCAL, inject, mp, mptcpOf, passiveMptcpOpen, stackSegment } from './engine-packets-fixture.js';
import { REFERENCE_JOIN_EXAMPLE } from './helpers/reference-examples.js';

const SA = TcpFlag.SYN | TcpFlag.ACK;

// The packet lines of the example (acts() leaves the accept() call out).
const EXAMPLE = REFERENCE_JOIN_EXAMPLE;

test('the example of docs/language.md §8.2 runs end to end', (t) => {
  const L = acts(EXAMPLE);
  const pe = new PacketEngine(CTX);
  const SK = 0x1111222233334444n;
  const CK = 11259375n;
  const S1 = '192.168.0.3';
  const ts = (val: number, ecr: number): TcpOption => ({ kind: 'timestamp', val, ecr });
  const synOpts = (val: number, ecr: number, m: TcpOption): TcpOption[] => [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, ts(val, ecr), { kind: 'nop' }, { kind: 'wscale', shift: 7 }, m];

  const syn = inject(t, pe, L[0]!);
  const c0 = syn.tcp!.srcPort;
  t.is(pe.matchOutbound(L[1]!, stackSegment({ dport: c0, seq: 5555, ack: 1, flags: SA, options: synOpts(70000, 5, mp({ subtype: 'mp_capable', version: 1, flags: 1, senderKey: SK })) }), 0).status, 'match');
  const third = inject(t, pe, L[2]!);
  t.deepEqual(third.tcp!.options.find((o) => o.kind === 'timestamp'), ts(6, 70000));
  const announce = addAddrHmac(SK, CK, 1, S1);
  const dack = BigInt.asUintN(32, keyIdsn(CK, 1) + 1n);
  const addLive = stackSegment({ dport: c0, seq: 5556, ack: 1, options: [{ kind: 'nop' }, { kind: 'nop' }, ts(70010, 6), mp({ subtype: 'add_addr', version: 1, echo: false, addressId: 1, address: S1, hmac: announce }), mp({ subtype: 'dss', dataFin: false, dataAck: dack, dataAck64: false, dsn64: false })] });
  t.is(pe.matchOutbound(L[3]!, addLive, 0).status, 'match');

  const join = inject(t, pe, L[4]!);
  t.is(join.ip.src, '192.0.2.2');
  t.is(join.ip.dst, S1);
  t.is(join.tcp!.dstPort, 8080, 'the announced address without a port: the port of the subflow it came on');
  const c1 = join.tcp!.srcPort;
  const jo = mptcpOf(join)[0];
  const scriptNonce = jo?.subtype === 'mp_join' ? jo.nonce! : 0;
  const stackNonce = 0x01020304;
  const thmac = joinHmac(SK, CK, stackNonce, scriptNonce, 1).slice(0, 8);
  const joinSa = stackSegment({ src: S1, dst: '192.0.2.2', dport: c1, seq: 9000, ack: 1, flags: SA, options: synOpts(70011, 7, mp({ subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 1, hmac: thmac, nonce: stackNonce })) });
  t.is(pe.matchOutbound(L[5]!, joinSa, 0).status, 'match');
  const jack = inject(t, pe, L[6]!);
  t.is(jack.tcp!.ack, 9001);
  t.deepEqual(jack.tcp!.options.find((o) => o.kind === 'timestamp'), ts(8, 70011), 'TS ecr from the join subflow');
  const ja = mptcpOf(jack)[0];
  t.deepEqual(ja?.subtype === 'mp_join' ? ja.hmac : undefined, joinHmac(CK, SK, scriptNonce, stackNonce, 1).slice(0, 20));
  // No endpoints: the newest subflow (the join), not the first one.
  const ackOn = (src: string, dst: string, dport: number, seq: number) =>
    stackSegment({ src, dst, dport, seq, ack: 1, options: [{ kind: 'nop' }, { kind: 'nop' }, ts(70012, 8), mp({ subtype: 'dss', dataFin: false, dataAck: dack, dataAck64: false, dsn64: false })] });
  t.is(pe.matchOutbound(L[7]!, ackOn(LOCAL, '192.0.2.1', c0, 5556), 0).mismatches?.[0]?.field, 'subflow');
  t.is(pe.matchOutbound(L[7]!, ackOn(S1, '192.0.2.2', c1, 9001), 0).status, 'match');
  const data = inject(t, pe, L[8]!);
  t.is(data.tcp!.srcPort, c0, 'named endpoints: back on the first subflow');
  t.is(data.tcp!.ack, 5556);
  t.deepEqual(data.tcp!.options.find((o) => o.kind === 'timestamp'), ts(9, 70010), 'TS ecr from the first subflow');
  t.like(mptcpOf(data)[0], { subtype: 'dss', dsn: keyIdsn(CK, 1) + 1n, ssn: 1, dll: 100, checksum: undefined });
  t.true(pe.describeState().some((l) => l.startsWith('addr[s1]: 192.168.0.3 port 8080 id 1')));
  t.is(pe.cleanupResets().length, 2);
  t.is(pe.cleanupResets().length, 0, 'each subflow is reset once');
});

const SMALL = `
0   < S 0:0(0) win 65535 <mpcapable v1 flags[flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ck=2, sk]>
+0  < . 1:1(0) ack 1 win 256 <mp_prio backup=1, nop>
+0  < . 1:1(0) ack 1 win 256 <mp_prio backup=1 address_id=3>
+0  < . 1:1(0) ack 1 win 256 <remove_address address_id=[4, 5], nop, nop, nop>
+0  < . 1:1(0) ack 1 win 256 <mp_fail dsn8=7>
+0  < R. 1:1(0) ack 1 win 256 <mp_fastclose, mp_reset 3 flags[flag_t]>
+0  < R. 1:1(0) ack 1 win 256 <mp_fastclose ck=42>
+0  > R. 1:1(0) ack 1 <mp_fastclose, mp_reset 1>
+0  > . 1:1(0) ack 1 <mp_prio backup=1, nop>
`;

test('MP_PRIO, REMOVE_ADDR, MP_FAIL, MP_FASTCLOSE and MP_TCPRST are built and compared', (t) => {
  const L = acts(SMALL);
  const pe = new PacketEngine(CTX);
  const port = passiveMptcpOpen(t, pe, L, 3n);
  t.deepEqual(mptcpOf(inject(t, pe, L[3]!)), [{ kind: 'mptcp', subtype: 'mp_prio', backup: true }]);
  t.deepEqual(mptcpOf(inject(t, pe, L[4]!)), [{ kind: 'mptcp', subtype: 'mp_prio', backup: true, addressId: 3 }]);
  t.deepEqual(mptcpOf(inject(t, pe, L[5]!)), [{ kind: 'mptcp', subtype: 'remove_addr', addressIds: [4, 5] }]);
  // MP_FAIL names the data the script received: relative to the stack's IDSN.
  t.like(mptcpOf(inject(t, pe, L[6]!))[0], { subtype: 'mp_fail', dsn: keyIdsn(3n, 1) + 7n });
  t.deepEqual(mptcpOf(inject(t, pe, L[7]!)), [
    { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: 3n },
    { kind: 'mptcp', subtype: 'mp_tcprst', flags: 1, reason: 3 },
  ]);
  t.like(mptcpOf(inject(t, pe, L[8]!))[0], { subtype: 'mp_fastclose', receiverKey: 42n }, 'NAME=VALUE puts VALUE');
  t.true(pe.describeState().some((l) => l.startsWith('connection 1 script key ck: 2 ')), 'and ck keeps 2');
  const rst = (key: bigint, reason: number) =>
    stackSegment({ dport: port, seq: 2, ack: 1, flags: TcpFlag.RST | TcpFlag.ACK, options: [mp({ subtype: 'mp_fastclose', receiverKey: key }), mp({ subtype: 'mp_tcprst', flags: 0, reason })] });
  t.is(pe.matchOutbound(L[9]!, rst(2n, 1), 0).status, 'match');
  t.is(pe.matchOutbound(L[9]!, rst(5n, 1), 0).mismatches?.[0]?.field, 'mptcp_fastclose_key');
  t.is(pe.matchOutbound(L[9]!, rst(2n, 2), 0).message, 'live packet field mptcp_tcprst_reason: expected: 1 (0x1) vs actual: 2 (0x2)');
  const prio = (backup: boolean) => stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'mp_prio', backup }), { kind: 'nop' }] });
  t.is(pe.matchOutbound(L[10]!, prio(true), 0).status, 'match');
  t.is(pe.matchOutbound(L[10]!, prio(false), 0).mismatches?.[0]?.field, 'mptcp_prio_backup');
});

test('IPv6: addresses on the wire are IPv6, and ipv4-mapped-ipv6 runs IPv4 on the wire', (t) => {
  const [syn] = acts('0 < S 0:0(0) win 1000\n');
  const v6 = new PacketEngine({ ...CTX, ipVersion: 'ipv6', localIp: 'fd3d:fa7b:d17d::2', remoteIp: '2001:db8::1' });
  const r = inject(t, v6, syn!);
  t.is(r.ip.version, 6);
  t.is(r.ip.src, '2001:db8::1');
  t.is(r.errors.length, 0);
  const mapped = new PacketEngine({ ...CTX, ipVersion: 'ipv4-mapped-ipv6', localIp: '::ffff:192.168.0.2', remoteIp: '::ffff:192.0.2.1' });
  const m = inject(t, mapped, syn!);
  t.is(m.ip.version, 4);
  t.is(m.ip.dst, '192.168.0.2');
});

test('tcp_ts_tick_usecs: an outbound TS val is checked against the script\'s, in ticks', (t) => {
  const text = `
0   < S 0:0(0) win 1000 <nop, nop, TS val 1 ecr 0>
+0  > S. 0:0(0) ack 1 <nop, nop, TS val 100 ecr 1>
+0  < . 1:1(0) ack 1 win 1000 <nop, nop, TS val 2 ecr 100>
+1  > . 1:1(0) ack 1 <nop, nop, TS val 1100 ecr 2>
`;
  const L = acts(text);
  const pe = new PacketEngine({ ...CTX, tsTickUsecs: 1000, toleranceUsecs: 4000 });
  const port = inject(t, pe, L[0]!).tcp!.srcPort;
  const opts = (val: number, ecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val, ecr }];
  t.is(pe.matchOutbound(L[1]!, stackSegment({ dport: port, seq: 1, ack: 1, flags: SA, options: opts(5000, 1) }), 0).status, 'match');
  inject(t, pe, L[2]!);
  t.is(pe.matchOutbound(L[3]!, stackSegment({ dport: port, seq: 2, ack: 1, options: opts(6003, 2) }), 1_000_000).status, 'match');
  const slow = pe.matchOutbound(L[3]!, stackSegment({ dport: port, seq: 2, ack: 1, options: opts(5500, 2) }), 1_000_000);
  t.is(slow.mismatches?.[0]?.field, 'tcp_option_ts_val');
});

test('bytes that are not even TCP are no test traffic and fail an outbound line clearly', (t) => {
  const [syn] = acts('0 > S 0:0(0)\n');
  const pe = new PacketEngine(CTX);
  const udp = decodeIp(encodeIp({ ip: { version: 4, tos: 0, id: 0, fragment: 0, ttl: 64, protocol: 17, src: LOCAL, dst: '198.51.100.1', options: new Uint8Array(0) }, other: { protocol: 17, bytes: new Uint8Array(8) }, errors: [] }));
  t.false(pe.isTestTraffic(udp));
  t.is(pe.matchOutbound(syn!, udp, 0).mismatches?.[0]?.field, 'protocol');
});

test('lines that cannot be built or checked say why: unbound names, a second key for one side', (t) => {
  const text = `
0   < S 0:0(0) win 65535 <mpcapable v1 flags[flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ck=2, sk]>
+0  < S 0:0(0) win 65535 <mp_join_syn token=sha256_32(nobody)>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[other=7, sk]>
+0  > . 1:1(0) ack 1 <dss dack8=trunc_r64_hmac(nobody)+1 nocs>
`;
  const L = acts(text);
  const pe = new PacketEngine(CTX);
  const port = passiveMptcpOpen(t, pe, L, 3n);
  const unbound = pe.buildInbound(L[3]!, 0);
  t.false(unbound.ok);
  if (!unbound.ok) {
    t.is(unbound.message, 'key name nobody is not bound yet (no earlier line gave it a value)');
    t.is(unbound.range?.start.line, 5);
  }
  const second = pe.buildInbound(L[4]!, 0);
  t.false(second.ok);
  if (!second.ok) t.regex(second.message, /script's key of this connection is already ck \(2\); cannot bind a second, different key other \(7\)/);
  const r = pe.matchOutbound(L[5]!, stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'dss', dataFin: false, dataAck: 1n, dataAck64: true, dsn64: false })] }), 0);
  t.is(r.status, 'mismatch');
  t.is(r.message, 'key name nobody is not bound yet (no earlier line gave it a value)');
});
