// PacketEngine verdicts as packetdrill gives them (issue 15, rules 1–4 and 7): how sequence
// numbers count on both sides, what the stack's first packets are compared with, an ACK flag
// without a value, and a GSO burst judged as one segment. Each rule was measured with real
// packetdrill on Linux; the corpus scripts named below run the same cases on both targets.

import test from 'ava';
import { PacketEngine } from '../src/engine/packets/index.js';
import type { PacketContext } from '../src/engine/packets/index.js';
import { TcpFlag } from '../src/wire/packet.js';
import { keyIdsn } from '../src/wire/crypto.js';
import { acts, CTX, inject, mp, mptcpOf, passiveMptcpOpen, stackSegment } from './engine-packets-fixture.js';

function engine(over: Partial<PacketContext> = {}): PacketEngine {
  return new PacketEngine({ ...CTX, ...over });
}

const SA = TcpFlag.SYN | TcpFlag.ACK;

// Rule 1 (tcp/handshake/ack-flag-no-value.pkt).
test('an inbound ACK flag without a value acknowledges 0 counted from the stack ISN', (t) => {
  const [syn, synAck, bare, probe] = acts(`
0   < S 0:0(0) win 32792
+0  > S. 0:0(0) ack 1
+0  < . 1:1(0) win 257
+0  < . 1:1(0) win 257
`);
  const pe = engine();
  // Before any stack ISN is known there is nothing to count from: 0 on the wire.
  const early = engine();
  inject(t, early, syn!);
  t.is(inject(t, early, probe!).tcp!.ack, 0);

  const port = inject(t, pe, syn!).tcp!.srcPort;
  t.is(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 5000, ack: 1, flags: SA }), 0).status, 'match');
  const a = inject(t, pe, bare!);
  t.is(a.tcp!.ack, 5000, 'the stack ISN itself (relative 0)');
  t.is(a.tcp!.flags, TcpFlag.ACK);
});

// Rule 2 (tcp/handshake/rst-before-isn.pkt; a refused MP_JOIN is the same case).
test('a stack RST sent before any SYN or SYN/ACK of its own has its seq compared as on the wire', (t) => {
  const text = `
0   < . 1:1(0) ack 1000 win 256
+0  > R LIVE
`;
  for (const [written, ok] of [['1000:1000(0)', true], ['0:0(0)', false], ['1:1(0)', false]] as const) {
    const [probe, rst] = acts(text.replace('LIVE', written));
    const pe = engine();
    const p = inject(t, pe, probe!);
    t.is(p.tcp!.ack, 1000, 'no stack ISN: the ack is not remapped');
    const r = pe.matchOutbound(rst!, stackSegment({ dport: p.tcp!.srcPort, seq: 1000, ack: 0, flags: TcpFlag.RST, win: 0 }), 0);
    t.is(r.status, ok ? 'match' : 'mismatch', written);
    if (!ok) t.is(r.message, `live packet field tcp_seq: expected: ${written.split(':')[0]} (0x${Number(written.split(':')[0]).toString(16)}) vs actual: 1000 (0x3e8)`);
  }
  // The join refused at once: RST+ACK seq 0 (Linux answers a SYN from seq 0).
  const [syn, refuse] = acts('0 < S 0:0(0) win 256\n+0 > R. 1:1(0) ack 1\n');
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  const r = pe.matchOutbound(refuse!, stackSegment({ dport: port, seq: 0, ack: 1, flags: TcpFlag.RST | TcpFlag.ACK, win: 0 }), 0);
  t.is(r.message, 'live packet field tcp_seq: expected: 1 (0x1) vs actual: 0 (0x0)');
});

// Rule 3 (tcp/data/gso-burst-psh.pkt).
const SPLIT = `
0   < S 0:0(0) win 32792
+0  > S. 0:0(0) ack 1
+0  < . 1:1(0) ack 1 win 257
+0  > FLAGS 1:3001(3000) ack 1 win 600
`;

function split(t: import('ava').ExecutionContext, flags: string, segs: Array<{ flags: number; win: number; ack?: number }>): ReturnType<PacketEngine['matchOutbound']>[] {
  const [syn, synAck, ack, line] = acts(SPLIT.replace('FLAGS', flags));
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  t.is(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 100, ack: 1, flags: SA }), 0).status, 'match');
  inject(t, pe, ack!);
  return segs.map((s, i) => pe.matchOutbound(line!, stackSegment({ dport: port, seq: 101 + i * 1500, ack: s.ack ?? 1, flags: s.flags, win: s.win, payload: 1500 }), 0));
}

test('a GSO burst is judged as one segment: the last segment\'s flags, window and ack, the first\'s seq', (t) => {
  const A = TcpFlag.ACK;
  const P = TcpFlag.ACK | TcpFlag.PSH;
  t.deepEqual(split(t, 'P.', [{ flags: A, win: 1 }, { flags: P, win: 600 }]).map((r) => r.status), ['more', 'match'], 'the first segment\'s window does not count');
  const noPsh = split(t, '.', [{ flags: A, win: 600 }, { flags: P, win: 600 }]);
  t.is(noPsh[0]!.status, 'more');
  t.is(noPsh[1]!.message, 'live packet field tcp_flags: expected: . vs actual: P.', 'PSH on the last segment is compared');
  const lastWin = split(t, 'P.', [{ flags: P, win: 600 }, { flags: P, win: 601 }]);
  t.is(lastWin[1]!.message, 'live packet field tcp_window: expected: 600 (0x258) vs actual: 601 (0x259)');
  const lastAck = split(t, 'P.', [{ flags: A, win: 600 }, { flags: P, win: 600, ack: 2 }]);
  t.is(lastAck[1]!.message, 'live packet field tcp_ack_seq: expected: 1 (0x1) vs actual: 2 (0x2)');
  const cwr = split(t, 'P.', [{ flags: A | TcpFlag.CWR, win: 600 }, { flags: P, win: 600 }]);
  t.is(cwr[1]!.message, 'live packet field tcp_flags: expected: P. vs actual: P.W', 'CWR comes from the first segment');
});

// Rule 4 (tcp/handshake/synack-seq-ignored.pkt).
test('the seq written on the stack SYN/ACK is not compared and the stack numbers count from 0', (t) => {
  const [syn, synAck, ack, data] = acts(`
0   < S 0:0(0) win 32792
+0  > S. 5:5(0) ack 1
+0  < . 1:1(0) ack 1 win 257
+0  > P. 1:101(100) ack 1
`);
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  t.is(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 7000, ack: 1, flags: SA }), 0).status, 'match');
  t.is(inject(t, pe, ack!).tcp!.ack, 7001, 'ack 1 is the live ISN + 1, not + 1 - 5');
  t.is(pe.matchOutbound(data!, stackSegment({ dport: port, seq: 7001, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: 100 }), 0).status, 'match');
});

test('the START of the stack SYN counts once the script injects its SYN/ACK, not before', (t) => {
  const text = `
0   > S 1:1(0)
+0  < REPLY win 5792
`;
  const live = stackSegment({ sport: 41000, dport: 8080, seq: 777, ack: 0, flags: TcpFlag.SYN });
  // A RST before the SYN/ACK: the stack numbers still count from 0 (ack 1 = ISN + 1).
  const [s1, rst] = acts(text.replace('REPLY', 'R. 0:0(0) ack 1'));
  const pe = engine();
  t.is(pe.matchOutbound(s1!, live, 0).status, 'match');
  t.is(inject(t, pe, rst!).tcp!.ack, 778);
  // The SYN/ACK: from the START written on the SYN (ack 1 = ISN + 0), as packetdrill does.
  const [s2, synAck, after] = acts(text.replace('REPLY', 'S. 0:0(0) ack 1') + '+0 < . 1:1(0) ack 2 win 5792\n');
  const pe2 = engine();
  t.is(pe2.matchOutbound(s2!, live, 0).status, 'match');
  t.is(inject(t, pe2, synAck!).tcp!.ack, 777);
  t.is(inject(t, pe2, after!).tcp!.ack, 778);
});

// Rule 7 (tcp/handshake/peer-isn-active.pkt, peer-isn-passive.pkt).
test('the peer ISN is the seq the script writes on its SYN/ACK; later numbers count from it', (t) => {
  const [syn, synAck, ack, data, dataAck] = acts(`
0   > S 0:0(0)
+0  < S. 123:123(0) ack 1 win 5792
+0  > . 1:1(0) ack 1
+0  < P. 1:1001(1000) ack 1 win 5792
+0  > . 1:1(0) ack 1001 <nop, nop, sack 1:1001>
`);
  const pe = engine();
  t.is(pe.matchOutbound(syn!, stackSegment({ sport: 41000, dport: 8080, seq: 777, ack: 0, flags: TcpFlag.SYN }), 0).status, 'match');
  const sa = inject(t, pe, synAck!);
  t.is(sa.tcp!.seq, 123, 'the SYN/ACK carries the ISN as written');
  const wrong = pe.matchOutbound(ack!, stackSegment({ sport: 41000, dport: 8080, seq: 778, ack: 1 }), 0);
  t.is(wrong.message, 'live packet field tcp_ack_seq: expected: 1 (0x1) vs actual: 4294967174 (0xffffff86)');
  t.is(pe.matchOutbound(ack!, stackSegment({ sport: 41000, dport: 8080, seq: 778, ack: 124 }), 0).status, 'match');
  const d = inject(t, pe, data!);
  t.is(d.tcp!.seq, 124);
  const sackOk = stackSegment({ sport: 41000, dport: 8080, seq: 778, ack: 1124, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[124, 1124]] }] });
  t.is(pe.matchOutbound(dataAck!, sackOk, 0).status, 'match', 'SACK blocks count from the peer ISN too');
  t.regex(pe.renderActual(sackOk), /\. 1:1\(0\) ack 1001/);
});

test('passive open: the stack SYN/ACK ack is compared as on the wire, later acks from the peer ISN', (t) => {
  const [syn, synAckRel, synAck, ack, dataAck] = acts(`
0   < S 100:100(0) win 32792
+0  > S. 0:0(0) ack 1
+0  > S. 0:0(0) ack 101
+0  < . 1:1(0) ack 1 win 257
+0  > . 1:1(0) ack 1001
`);
  const pe = engine();
  const s = inject(t, pe, syn!);
  t.is(s.tcp!.seq, 100);
  const port = s.tcp!.srcPort;
  const live = stackSegment({ dport: port, seq: 9000, ack: 101, flags: SA });
  t.is(pe.matchOutbound(synAckRel!, live, 0).message, 'live packet field tcp_ack_seq: expected: 1 (0x1) vs actual: 101 (0x65)');
  t.is(pe.matchOutbound(synAck!, live, 0).status, 'match');
  const a = inject(t, pe, ack!);
  t.is(a.tcp!.seq, 101);
  t.is(a.tcp!.ack, 9001);
  t.is(pe.matchOutbound(dataAck!, stackSegment({ dport: port, seq: 9001, ack: 1101 }), 0).status, 'match');
});

// Rule 5: never refuse to inject what can be encoded.
test('a v0 SYN/ACK carrying both keys is injected as written (20-byte MP_CAPABLE)', (t) => {
  const [syn, synAck] = acts(`
0   > S 0:0(0) <mp_capable_no_cs ckey>
+0  < S. 0:0(0) ack 1 win 1000 <mp_capable_no_cs skey=2 ckey>
`);
  const pe = engine();
  const live = stackSegment({ sport: 41000, dport: 8080, seq: 777, ack: 0, flags: TcpFlag.SYN, options: [mp({ subtype: 'mp_capable', version: 0, flags: 1, senderKey: 77n })] });
  t.is(pe.matchOutbound(syn!, live, 0).status, 'match');
  const sa = inject(t, pe, synAck!);
  const [mpc] = mptcpOf(sa);
  t.like(mpc, { subtype: 'mp_capable', version: 0, flags: 1, senderKey: 2n, receiverKey: 77n });
});

// Rule 9 (tcp/options/ts-val-unchecked.pkt): an outbound TS val is only recorded, for the ecrs
// that name it; no value the script writes changes the verdict unless an inbound ecr names it.
test('an outbound TS val is not compared without tcp_ts_tick_usecs; an inbound ecr names one by value', (t) => {
  const text = `
0   < S 0:0(0) win 32792 <nop, nop, TS val 100 ecr 0>
+0  > S. 0:0(0) ack 1 <nop, nop, TS val WRITTEN ecr 100>
+0  < . 1:1(0) ack 1 win 257 <nop, nop, TS val 101 ecr ECHO>
`;
  const run = (written: number, echo: number) => {
    const [syn, synAck, ack] = acts(text.replace('WRITTEN', String(written)).replace('ECHO', String(echo)));
    const pe = engine();
    const port = inject(t, pe, syn!).tcp!.srcPort;
    const live = stackSegment({ dport: port, seq: 5000, ack: 1, flags: SA, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 123456, ecr: 100 }] });
    return { match: pe.matchOutbound(synAck!, live, 0), built: pe.buildInbound(ack!, 0) };
  };
  for (const written of [200, 201, 7]) {
    const r = run(written, written);
    t.is(r.match.status, 'match', `TS val ${written}`);
    t.true(r.built.ok);
    if (r.built.ok) t.like(r.built.packet.tcp!.options[2], { kind: 'timestamp', ecr: 123456 });
  }
  // An ecr naming no outbound TS val cannot be built, as in packetdrill (same words).
  const orphan = run(201, 200);
  t.false(orphan.built.ok);
  if (!orphan.built.ok) t.is(orphan.built.message, 'unable to infer live TS ecr for script TS ecr 200; no matching or preceding outbound TS val');
});

// Rule 10: fields compared on purpose where packetdrill does not say so in the failure.
test('fields packetdrill does not check say so when they fail', (t) => {
  const lines = acts(`
0   < S 0:0(0) win 65535 <mpcapable v1 flags[flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ck=2, sk]>
+0  > . 1:1(0) ack 1 <dss dack8=1 dsn8=1 ssn=0 dll=2 nocs fin, nop, nop>
+0  > . 1:1(0) ack 1 <add_address address_id=255 addr[s1] hmac=auto>
`);
  const pe = engine();
  const port = passiveMptcpOpen(t, pe, lines, 3n);
  const finDsn = BigInt.asUintN(64, keyIdsn(3n, 1) + 1n);
  const fin = stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'dss', dataFin: true, dataAck: BigInt.asUintN(64, keyIdsn(2n, 1) + 1n), dataAck64: true, dsn: finDsn, dsn64: true, ssn: 0, dll: 1 }), { kind: 'nop' }, { kind: 'nop' }] });
  t.is(pe.matchOutbound(lines[3]!, fin, 0).message, 'live packet field mptcp_dss_dll: expected: 2 (0x2) vs actual: 1 (0x1) (packetdrill does not check this field)');
  const announce = stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'add_addr', version: 1, echo: false, addressId: 1, address: '10.0.1.1', hmac: new Uint8Array(8) })] });
  t.is(pe.matchOutbound(lines[4]!, announce, 0).mismatches?.[0]?.message, 'live packet field mptcp_add_addr_id: expected: 255 (0xff) vs actual: 1 (0x1) (packetdrill does not check this field when it is 255)');
  const corrupt = stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'dss', dataFin: true, dataAck: BigInt.asUintN(64, keyIdsn(2n, 1) + 1n), dataAck64: true, dsn: finDsn, dsn64: true, ssn: 0, dll: 2 }), { kind: 'nop' }, { kind: 'nop' }], corruptChecksum: true });
  t.regex(pe.matchOutbound(lines[3]!, corrupt, 0).message ?? '', /^live packet field tcp_checksum: .* \(packetdrill does not check this field\)$/);
});
