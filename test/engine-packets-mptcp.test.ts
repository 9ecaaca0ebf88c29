// PacketEngine, MPTCP dialect: keys learned and compared, tokens / IDSNs / HMACs / DSS
// checksums against the vectors of RFC 8684 §3.1, §3.2; Linux net/mptcp/crypto.c-3, relative DSN / DATA_ACK (4 and 8
// bytes, 32-bit expansion), ADD_ADDR, and which subflow a line belongs to.

import test from 'ava';
import { PacketEngine } from '../src/engine/packets/index.js';
import { TcpFlag } from '../src/wire/packet.js';
import { fromHex, toHex } from '../src/wire/bytes.js';
import { dssChecksum, keyIdsn } from '../src/wire/crypto.js';
import { acts, CTX, LOCAL, inject, mp, mptcpOf, passiveMptcpOpen, stackSegment } from './engine-packets-fixture.js';

const SA = TcpFlag.SYN | TcpFlag.ACK;


// The script is the client with key 2 and joins the stack (key 3): the vectors of §2.5.
const JOIN = `
0   < addr[c0] > addr[s0] S 0:0(0) win 65535 <mpcapable v1 flags[flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ck=2, sk]>
+0  < addr[c1] > addr[s0] S 0:0(0) win 65535 <mp_join_syn address_id=2 token=sha256_32(sk) rand=1>
+0  > S. 0:0(0) ack 1 <mp_join_syn_ack sender_hmac=auto>
+0  < . 1:1(0) ack 1 win 256 <mp_join_ack sender_hmac=auto>
+0  > . 1:1(0) ack 1 <dss dack4=1 nocs>
+0  > addr[s0] > addr[c0] . 1:1(0) ack 1 <dss dack4=1 nocs>
+0  > . 1:1(0) ack 1 <mpcapable v1 flags[flag_h] key[sk, ck]>
`;

interface JoinRun {
  pe: PacketEngine;
  lines: ReturnType<typeof acts>;
  port0: number;
  port1: number;
}

function openAndJoin(t: import('ava').ExecutionContext, opts: { wrongJoinHmac?: boolean } = {}): JoinRun | undefined {
  const lines = acts(JOIN);
  const pe = new PacketEngine(CTX);
  const syn = inject(t, pe, lines[0]!);
  t.deepEqual(mptcpOf(syn), [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1 }]);
  const port0 = syn.tcp!.srcPort;
  const synAck = stackSegment({ dport: port0, seq: 1000, ack: 1, flags: SA, options: [mp({ subtype: 'mp_capable', version: 1, flags: 1, senderKey: 3n })] });
  t.is(pe.matchOutbound(lines[1]!, synAck, 0).status, 'match');
  const ack = inject(t, pe, lines[2]!);
  t.like(mptcpOf(ack)[0], { subtype: 'mp_capable', senderKey: 2n, receiverKey: 3n });
  const join = inject(t, pe, lines[3]!);
  t.is(join.ip.src, '192.0.2.2', 'a new script address: the highest plus one');
  t.is(join.ip.dst, LOCAL);
  t.is(join.tcp!.dstPort, 8080);
  const port1 = join.tcp!.srcPort;
  t.not(port1, port0);
  t.deepEqual(mptcpOf(join), [{ kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 2, token: 0xd5688a52, nonce: 1 }]);
  const joinSynAck = (hmac: string) =>
    stackSegment({ dst: '192.0.2.2', dport: port1, seq: 7000, ack: 1, flags: SA, options: [mp({ subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 0, hmac: fromHex(hmac)!, nonce: 2 })] });
  if (opts.wrongJoinHmac) {
    const r = pe.matchOutbound(lines[4]!, joinSynAck('0000000000000001'), 0);
    t.is(r.status, 'mismatch');
    t.is(r.mismatches?.[0]?.field, 'mptcp_join_hmac');
    t.regex(r.message ?? '', /expected: 8ef936192e56b667 vs actual: 0000000000000001/);
    t.regex(r.message ?? '', /key = stack key sk = 3 \(0x0000000000000003\) ‖ script key ck = 2/);
    t.regex(r.message ?? '', /stack nonce 0x00000002 ‖ script nonce 0x00000001/);
    return undefined;
  }
  t.is(pe.matchOutbound(lines[4]!, joinSynAck('8ef936192e56b667'), 0).status, 'match');
  const joinAck = inject(t, pe, lines[5]!);
  const hmac = mptcpOf(joinAck)[0];
  t.is(hmac?.subtype === 'mp_join' ? toHex(hmac.hmac!) : '', 'fabbe8e23d0063199e2da18b092faab70146c7fb');
  return { pe, lines, port0, port1 };
}

test('MP_CAPABLE learns the stack key; MP_JOIN token, SYN-ACK HMAC and ACK HMAC follow the §2.5 vectors', (t) => {
  const run = openAndJoin(t);
  if (!run) return;
  const state = run.pe.describeState().join('\n');
  t.regex(state, /script key ck: 2 \(0x0000000000000002\), token 0xcd04a475, IDSN 9828333117803822960/);
  t.regex(state, /stack key sk: 3 \(0x0000000000000003\), token 0xd5688a52, IDSN 9194154084131654005/);
});

test('a wrong MP_JOIN HMAC from the stack is reported with the keys and nonces used', (t) => {
  openAndJoin(t, { wrongJoinHmac: true });
});

test('a line without endpoints is on the newest subflow; the same packet on another subflow names both', (t) => {
  const run = openAndJoin(t);
  if (!run) return;
  const { pe, lines, port0, port1 } = run;
  // dack4=1: the low 32 bits of IDSN(key 2) + 1.
  const dss = [mp({ subtype: 'dss', dataFin: false, dataAck: 0xdce77f71n, dataAck64: false, dsn64: false })];
  const onFirst = stackSegment({ dport: port0, seq: 1001, ack: 1, options: dss });
  const wrong = pe.matchOutbound(lines[6]!, onFirst, 0);
  t.is(wrong.mismatches?.[0]?.field, 'subflow');
  t.regex(wrong.message ?? '', /subflow 2 .* vs actual: subflow 1/);
  t.is(pe.matchOutbound(lines[6]!, stackSegment({ dst: '192.0.2.2', dport: port1, seq: 7001, ack: 1, options: dss }), 0).status, 'match');
  // Named endpoints select the first subflow, for that line only.
  t.is(pe.matchOutbound(lines[7]!, onFirst, 0).status, 'match');
  const dack = pe.matchOutbound(lines[7]!, stackSegment({ dport: port0, seq: 1001, ack: 1, options: [mp({ subtype: 'dss', dataFin: false, dataAck: 0xdce77f75n, dataAck64: false, dsn64: false })] }), 0);
  t.is(dack.message, 'live packet field mptcp_dss_dack: expected: 1 (0x1) vs actual: 5 (0x5) (relative to the script\'s IDSN)');
});

test('an outbound key that differs from the bound name is reported with both keys', (t) => {
  const run = openAndJoin(t);
  if (!run) return;
  const { pe, lines, port1 } = run;
  const live = (senderKey: bigint) => stackSegment({ dst: '192.0.2.2', dport: port1, seq: 7001, ack: 1, options: [mp({ subtype: 'mp_capable', version: 1, flags: 1, senderKey, receiverKey: 2n })] });
  const r = pe.matchOutbound(lines[8]!, live(99n), 0);
  t.is(r.mismatches?.[0]?.field, 'mptcp_key');
  t.is(r.message, "live packet field mptcp_key: expected: sk = 3 (0x0000000000000003) vs actual: key = 99 (0x0000000000000063) (the stack's key)");
  t.is(pe.matchOutbound(lines[8]!, live(3n), 0).status, 'match');
  t.regex(pe.renderExpected(lines[8]!), /^> 192\.168\.0\.2:8080 > 192\.0\.2\.2:\d+ \. 1:1\(0\) ack 1 <mpcapable v1 flags\[flag_h\] key\[sk=3, ck=2\]>$/, 'bound names printed with their values');
});

// The stack opens actively with checksums (key of the §3 MP_CAPABLE+data vector).
const STACK_KEY = 0xb63e69c2a70d0613n;
// v1 IDSN of the script's key 5, from the codec's crypto (checked against the vectors in its own tests).
const SCRIPT_IDSN_5 = keyIdsn(5n, 1);
const DATA = `
0   > S 0:0(0) <mpcapable v1 flags[flag_a, flag_h] nokey>
+0  < S. 0:0(0) ack 1 win 65535 <mpcapable v1 flags[flag_h] key[sk=5]>
+0  > . 1:1(0) ack 1 <mpcapable v1 flags[flag_a, flag_h] key[ck, sk]>
+0  > P. 1:101(100) ack 1 <mpcapable v1 flags[flag_a, flag_h] key[ck, sk] mpcdatalen 100>
+0  < . 1:1(0) ack 101 win 256 <dss dack8 nocs>
+0  > P. 101:201(100) ack 1 <dss dack4=1 dsn4=101 ssn=101 dll=100>
+0  < . 1:1(0) ack 201 win 256 <dss dack8 nocs>
+0  < P. 1:5(4) ack 201 win 256 <dss dack4=201 dsn8=1>
+0  < P. 5:9(4) ack 201 win 256 <dss dsn4 nocs>
`;

test('MP_CAPABLE with data: checksum verified (§3 vector), DATA_ACK computed; 4-byte DSN expanded; inbound DSS relative values', (t) => {
  const lines = acts(DATA);
  const pe = new PacketEngine({ ...CTX, connectPort: 80 });
  const sport = 45000;
  const base = { sport, dport: 80 };
  t.is(pe.matchOutbound(lines[0]!, stackSegment({ ...base, seq: 50, ack: 0, flags: TcpFlag.SYN, options: [mp({ subtype: 'mp_capable', version: 1, flags: 0x81 })] }), 0).status, 'match');
  const sa = inject(t, pe, lines[1]!);
  t.like(mptcpOf(sa)[0], { senderKey: 5n });
  t.is(pe.matchOutbound(lines[2]!, stackSegment({ ...base, seq: 51, ack: 1, options: [mp({ subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: STACK_KEY, receiverKey: 5n })] }), 0).status, 'match');
  const payload = new Uint8Array(100).fill(0x41);
  const first = (checksum: number) =>
    stackSegment({ ...base, seq: 51, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload, options: [mp({ subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: STACK_KEY, receiverKey: 5n, dataLen: 100, checksum })] });
  const bad = pe.matchOutbound(lines[3]!, first(0x985f), 0);
  t.is(bad.message, 'live packet field mptcp_capable_checksum: expected: 39006 (0x985e) vs actual: 39007 (0x985f) (DSS checksum over the mapped data; packetdrill does not check this field)');
  t.is(pe.matchOutbound(lines[3]!, first(0x985e), 0).status, 'match');
  // dack8 with no value: the next DSN expected from the stack = IDSN + 1 + 100.
  const ack1 = inject(t, pe, lines[4]!);
  t.like(mptcpOf(ack1)[0], { subtype: 'dss', dataAck: 9000812733465606158n + 100n, dataAck64: true });
  // The stack maps its next 100 bytes with a 4-byte DSN: compared and learned on the low 32 bits.
  const dsn = 9000812733465606158n + 100n;
  const body = new Uint8Array(100).fill(0x52);
  const liveDss = (cs: number) =>
    stackSegment({
      ...base,
      seq: 151,
      ack: 1,
      flags: TcpFlag.ACK | TcpFlag.PSH,
      payload: body,
      options: [mp({ subtype: 'dss', dataFin: false, dataAck: BigInt.asUintN(32, SCRIPT_IDSN_5 + 1n), dataAck64: false, dsn: BigInt.asUintN(32, dsn), dsn64: false, ssn: 101, dll: 100, checksum: cs })],
    });
  const good = dssChecksum(dsn, 101, 100, body);
  const wrong = pe.matchOutbound(lines[5]!, liveDss(good ^ 1), 0);
  t.is(wrong.mismatches?.[0]?.field, 'mptcp_dss_checksum');
  t.is(pe.matchOutbound(lines[5]!, liveDss(good), 0).status, 'match');
  const ack2 = inject(t, pe, lines[6]!);
  t.like(mptcpOf(ack2)[0], { dataAck: dsn + 100n, dataAck64: true }, 'the 4-byte DSN was expanded to 64 bits');
  // Inbound data: dsn8=1 is the script's IDSN + 1; the checksum is computed over the zeros sent.
  const d1 = inject(t, pe, lines[7]!);
  const o1 = mptcpOf(d1)[0];
  t.like(o1, { subtype: 'dss', dataAck: BigInt.asUintN(32, dsn + 100n), dsn: SCRIPT_IDSN_5 + 1n, dsn64: true, ssn: 1, dll: 4 });
  t.is(o1?.subtype === 'dss' ? o1.checksum : -1, dssChecksum(SCRIPT_IDSN_5 + 1n, 1, 4, new Uint8Array(4)));
  // dsn4 without value: the next script DSN; ssn and dll computed from the segment.
  const d2 = inject(t, pe, lines[8]!);
  t.like(mptcpOf(d2)[0], { dsn: BigInt.asUintN(32, SCRIPT_IDSN_5 + 5n), dsn64: false, ssn: 5, dll: 4, checksum: undefined });
});


test('§3 vector: a bare DATA_FIN from the stack with checksum 0xda56 matches; DATA_FIN relative DSN', (t) => {
  const text = `
0   < S 0:0(0) win 65535 <mpcapable v1 flags[flag_a, flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_a, flag_h] key[ck=3, sk]>
+0  > . 1:1(0) ack 1 <dss dack8=1 dsn8=5 ssn=0 dll=1 fin>
`;
  const lines = acts(text);
  const pe = new PacketEngine(CTX);
  const port = passiveMptcpOpen(t, pe, lines, 2n);
  const fin = (checksum: number) =>
    stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'dss', dataFin: true, dataAck: keyIdsn(3n, 1) + 1n, dataAck64: true, dsn: 0x886540e5dce77f75n, dsn64: true, ssn: 0, dll: 1, checksum })] });
  t.is(pe.matchOutbound(lines[3]!, fin(0xda56), 0).status, 'match');
  const r = pe.matchOutbound(lines[3]!, fin(0xda57), 0);
  t.is(r.message, 'live packet field mptcp_dss_checksum: expected: 55894 (0xda56) vs actual: 55895 (0xda57) (DSS checksum over the mapped data; packetdrill does not check this field)');
});

// ADD_ADDR (§2.5): script key 2, stack key 3, id 1, 10.0.1.1.
const ADDR = `
0   < S 0:0(0) win 65535 <mpcapable v1 flags[flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ck=2, sk]>
+0  < . 1:1(0) ack 1 win 256 <add_address address_id=1 addr[c1=inet_addr("10.0.1.1")] hmac=auto>
+0  > . 1:1(0) ack 1 <add_address address_id=1 addr[s1] hmac=auto>
+0  < . 1:1(0) ack 1 win 256 <add_address addr[s1] addr_echo, nop, nop>
+0  < . 1:1(0) ack 1 win 256 <add_address addr[c2] port=9090 hmac=auto, nop, nop>
`;

test('ADD_ADDR: HMAC computed inbound and verified outbound (§2.5 vectors), echo, new script address', (t) => {
  const lines = acts(ADDR);
  const pe = new PacketEngine(CTX);
  const port = passiveMptcpOpen(t, pe, lines, 3n);
  const announce = mptcpOf(inject(t, pe, lines[3]!))[0];
  t.is(announce?.subtype === 'add_addr' ? toHex(announce.hmac!) : '', 'c0dd9e3396901a4a');
  const stackAnnounce = (hmac: string) =>
    stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'add_addr', version: 1, echo: false, addressId: 1, address: '10.0.1.1', hmac: fromHex(hmac)! })] });
  const bad = pe.matchOutbound(lines[4]!, stackAnnounce('c0dd9e3396901a4a'), 0);
  t.is(bad.mismatches?.[0]?.field, 'mptcp_add_addr_hmac');
  t.regex(bad.message ?? '', /expected: 9394d3ca0248c416 vs actual: c0dd9e3396901a4a/);
  t.is(pe.matchOutbound(lines[4]!, stackAnnounce('9394d3ca0248c416'), 0).status, 'match');
  t.deepEqual(mptcpOf(inject(t, pe, lines[5]!)), [{ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: 1, address: '10.0.1.1' }]);
  const fresh = mptcpOf(inject(t, pe, lines[6]!))[0];
  t.like(fresh, { subtype: 'add_addr', address: '192.0.2.2', port: 9090, addressId: 2 }, 'the next free id after 1');
});

// The stack (client, key Ka) joins the script (server, key Kb): Linux capture, §2.6 connection 1.
const LINUX = `
0   > S 0:0(0) <mpcapable v1 flags[flag_h] nokey>
+0  < S. 0:0(0) ack 1 win 65535 <mpcapable v1 flags[flag_h] key[kb=12229698959592723968]>
+0  > . 1:1(0) ack 1 <mpcapable v1 flags[flag_h] key[ka, kb]>
+0  < . 1:1(0) ack 1 win 256 <add_address address_id=5 addr[s5=inet_addr("10.0.2.2")] hmac=auto>
+0  > addr[c1] > addr[s5] S 0:0(0) <mp_join_syn address_id=1 token=sha256_32(kb)>
+0  < S. 0:0(0) ack 1 win 65535 <mp_join_syn_ack sender_hmac=auto rand=752722687>
+0  > . 1:1(0) ack 1 <mp_join_ack sender_hmac=auto>
`;

test('Linux 6.18 capture (§2.6): ADD_ADDR and MP_JOIN SYN-ACK HMACs computed, the stack\'s join verified', (t) => {
  const lines = acts(LINUX);
  const pe = new PacketEngine(CTX);
  const base = { sport: 40000, dport: 8080 };
  const ka = 0xc98534ab6b0f7fean;
  const kb = 0xa9b89e68747d1600n;
  t.is(pe.matchOutbound(lines[0]!, stackSegment({ ...base, seq: 9, ack: 0, flags: TcpFlag.SYN, options: [mp({ subtype: 'mp_capable', version: 1, flags: 1 })] }), 0).status, 'match');
  inject(t, pe, lines[1]!);
  t.is(pe.matchOutbound(lines[2]!, stackSegment({ ...base, seq: 10, ack: 1, options: [mp({ subtype: 'mp_capable', version: 1, flags: 1, senderKey: ka, receiverKey: kb })] }), 0).status, 'match');
  const add = mptcpOf(inject(t, pe, lines[3]!))[0];
  t.is(add?.subtype === 'add_addr' ? toHex(add.hmac!) : '', '48c879446c3aa4c7');
  const joinSyn = stackSegment({ sport: 40001, dport: 8080, dst: '10.0.2.2', seq: 300, ack: 0, flags: TcpFlag.SYN, options: [mp({ subtype: 'mp_join', form: 'syn', backup: false, addressId: 1, token: 0x32e3fc4b, nonce: 0xaa0d729c })] });
  t.true(pe.isTestTraffic(joinSyn));
  t.is(pe.matchOutbound(lines[4]!, joinSyn, 0).status, 'match');
  const sa = inject(t, pe, lines[5]!);
  t.is(sa.ip.src, '10.0.2.2');
  t.is(sa.tcp!.dstPort, 40001);
  t.is(sa.tcp!.ack, 301);
  const o = mptcpOf(sa)[0];
  t.is(o?.subtype === 'mp_join' ? toHex(o.hmac!) : '', '6f604a145e54da25');
  t.is(o?.subtype === 'mp_join' ? o.addressId : -1, 5, 'address_id omitted: the id the joined script address was announced with');
  const ack = (hmac: string) => stackSegment({ sport: 40001, dport: 8080, dst: '10.0.2.2', seq: 301, ack: 1, options: [mp({ subtype: 'mp_join', form: 'ack', backup: false, hmac: fromHex(hmac)! })] });
  t.is(pe.matchOutbound(lines[6]!, ack('bc6515d993ce5fab0e7d76a6abf816294fe94567'), 0).status, 'match');
  t.is(pe.matchOutbound(lines[6]!, ack('bc6515d993ce5fab0e7d76a6abf816294fe94560'), 0).mismatches?.[0]?.field, 'mptcp_join_hmac');
  t.true(pe.describeState().some((l) => /subflow 2 MP_JOIN: script nonce 0x2cdda2ff id 5, stack nonce 0xaa0d729c id 1/.test(l)));
});

// v0 (RFC 6824) with the legacy spelling: SHA-1 tokens and HMACs (§2.5 v0 vectors).
const V0 = `
0   < S 0:0(0) win 65535 <mp_capable ck=2>
+0  > S. 0:0(0) ack 1 <mp_capable sk>
+0  < . 1:1(0) ack 1 win 256 <mp_capable ck sk>
+0  < S 0:0(0) win 65535 <mp_join_syn address_id=2 token=auto rand=1>
+0  > S. 0:0(0) ack 1 <mp_join_syn_ack sender_hmac=auto>
+0  < . 1:1(0) ack 1 win 256 <mp_join_ack sender_hmac=auto>
+0  < . 1:1(0) ack 1 win 256 <add_address address_id=4 addr[c9=inet_addr("10.0.1.1")] hmac=auto>
`;

test('v0: legacy mp_capable carries the key on the SYN; token and join HMACs use SHA-1; ADD_ADDR has no HMAC', (t) => {
  const lines = acts(V0);
  const pe = new PacketEngine(CTX);
  const syn = inject(t, pe, lines[0]!);
  t.deepEqual(mptcpOf(syn), [{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x81, senderKey: 2n }]);
  const port = syn.tcp!.srcPort;
  t.is(pe.matchOutbound(lines[1]!, stackSegment({ dport: port, seq: 1, ack: 1, flags: SA, options: [mp({ subtype: 'mp_capable', version: 0, flags: 0x81, senderKey: 3n })] }), 0).status, 'match');
  t.like(mptcpOf(inject(t, pe, lines[2]!))[0], { version: 0, senderKey: 2n, receiverKey: 3n });
  const join = inject(t, pe, lines[3]!);
  t.like(mptcpOf(join)[0], { subtype: 'mp_join', token: 0x461d6580, nonce: 1 });
  const jport = join.tcp!.srcPort;
  const sa = stackSegment({ dport: jport, seq: 50, ack: 1, flags: SA, options: [mp({ subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 0, hmac: fromHex('40b6ae86c332b9d1')!, nonce: 2 })] });
  t.is(pe.matchOutbound(lines[4]!, sa, 0).status, 'match');
  const ack = mptcpOf(inject(t, pe, lines[5]!))[0];
  t.is(ack?.subtype === 'mp_join' ? toHex(ack.hmac!) : '', '3b754a0c0676fda47ac735aeda179cccb4a10842');
  t.deepEqual(mptcpOf(inject(t, pe, lines[6]!)), [{ kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 4, address: '10.0.1.1', nibble: 4 }]);
});
