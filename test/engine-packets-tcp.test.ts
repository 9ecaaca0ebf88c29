// PacketEngine, plain TCP: building inbound lines (remapping of ports, ISNs, TS ecr) and judging
// outbound segments (fields, options, split segments), with upstream's message shapes.

import test from 'ava';
import { PacketEngine } from '../src/engine/packets/index.js';
import type { PacketContext } from '../src/engine/packets/index.js';
import { TcpFlag, type TcpOption } from '../src/wire/packet.js';
import { acts, CTX, LOCAL, REMOTE, inject, stackSegment } from './engine-packets-fixture.js';

function engine(over: Partial<PacketContext> = {}): PacketEngine {
  return new PacketEngine({ ...CTX, ...over });
}

const HANDSHAKE = `
0   < S 0:0(0) win 32792 <mss 1000, sackOK, nop, nop, nop, wscale 7>
+0  > S. 0:0(0) ack 1 <mss 1460, nop, nop, sackOK, nop, wscale 7>
+0  < . 1:1(0) ack 1 win 257
+0  < P. 1:101(100) ack 1 win 257
+0  > . 1:1(0) ack 101
`;

test('passive open: the SYN comes from a seeded ephemeral port to bind_port, the ACK is remapped by the learned ISN', (t) => {
  const [syn, synAck, ack, data, dataAck] = acts(HANDSHAKE);
  const pe = engine();
  const s = inject(t, pe, syn!);
  t.is(s.ip.src, REMOTE);
  t.is(s.ip.dst, LOCAL);
  t.is(s.tcp!.dstPort, 8080);
  const port = s.tcp!.srcPort;
  t.true(port >= 32768 && port <= 60999);
  t.is(s.tcp!.seq, 0);
  t.deepEqual(s.tcp!.options.map((o) => o.kind), ['mss', 'sack_permitted', 'nop', 'nop', 'nop', 'wscale']);
  t.is(s.errors.length, 0, 'checksums computed');

  const opts: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_permitted' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
  const isn = 0xfffffff0; // wraps: remapping is mod 2^32
  t.deepEqual(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: isn, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: opts }), 0), { status: 'match' });
  const a = inject(t, pe, ack!);
  t.is(a.tcp!.ack, (isn + 1) >>> 0);
  t.is(a.tcp!.seq, 1);
  t.is(a.tcp!.srcPort, port);
  const d = inject(t, pe, data!);
  t.is(d.tcp!.payload.length, 100);
  t.true(d.tcp!.payload.every((b) => b === 0), 'payload of injected packets is zeros');
  t.deepEqual(pe.matchOutbound(dataAck!, stackSegment({ dport: port, seq: (isn + 1) >>> 0, ack: 101 }), 0), { status: 'match' });
});

test('the same seed picks the same ephemeral port and the same bytes', (t) => {
  const [syn] = acts(HANDSHAKE);
  const a = engine().buildInbound(syn!, 0);
  const b = engine().buildInbound(syn!, 0);
  t.true(a.ok && b.ok);
  if (a.ok && b.ok) t.deepEqual(a.bytes, b.bytes);
});

test('a wrong ack is reported with the upstream field name and both numbers', (t) => {
  const [syn, synAck, ack, data, dataAck] = acts(HANDSHAKE);
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  const opts: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_permitted' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
  t.is(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 5000, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: opts }), 0).status, 'match');
  inject(t, pe, ack!);
  inject(t, pe, data!);
  const r = pe.matchOutbound(dataAck!, stackSegment({ dport: port, seq: 5001, ack: 1 }), 0);
  t.is(r.status, 'mismatch');
  t.is(r.message, 'live packet field tcp_ack_seq: expected: 101 (0x65) vs actual: 1 (0x1)');
  t.is(r.mismatches?.[0]?.field, 'tcp_ack_seq');
  // A mismatch learns nothing: the right segment still matches afterwards.
  t.is(pe.matchOutbound(dataAck!, stackSegment({ dport: port, seq: 5001, ack: 101 }), 0).status, 'match');
  const wrongSeq = pe.matchOutbound(dataAck!, stackSegment({ dport: port, seq: 5003, ack: 101 }), 0);
  t.is(wrongSeq.message, 'live packet field tcp_seq: expected: 1 (0x1) vs actual: 3 (0x3)');
});

const TS = `
0   < S 0:0(0) win 32792 <nop, nop, TS val 100 ecr 0>
+0  > S. 0:0(0) ack 1 <nop, nop, TS val 700 ecr 100>
+0  < . 1:1(0) ack 1 win 257 <nop, nop, TS val 110 ecr 700>
+0  < . 1:1(0) ack 1 win 257 <nop, nop, TS val 120 ecr 710>
`;

function tsHandshake(t: import('ava').ExecutionContext, pe: PacketEngine): number {
  const [syn, synAck] = acts(TS);
  const port = inject(t, pe, syn!).tcp!.srcPort;
  const live = stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 987654, ecr: 100 }] });
  t.is(pe.matchOutbound(synAck!, live, 0).status, 'match', 'TS val is recorded, not compared');
  return port;
}

test('inbound TS ecr equal to an earlier outbound script TS val is replaced by the live value', (t) => {
  const pe = engine();
  tsHandshake(t, pe);
  const ack = inject(t, pe, acts(TS)[2]!);
  const ts = ack.tcp!.options.find((o) => o.kind === 'timestamp');
  t.deepEqual(ts, { kind: 'timestamp', val: 110, ecr: 987654 });
});

test('an inbound TS ecr naming no recorded TS val is an error, unless tcp_ts_ecr_scaled interpolates it', (t) => {
  const pe = engine();
  tsHandshake(t, pe);
  const bad = pe.buildInbound(acts(TS)[3]!, 0);
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.message, 'unable to infer live TS ecr for script TS ecr 710; no matching or preceding outbound TS val');

  const scaled = engine({ tsEcrScaled: true });
  tsHandshake(t, scaled);
  const ok = inject(t, scaled, acts(TS)[3]!);
  t.deepEqual(ok.tcp!.options.find((o) => o.kind === 'timestamp'), { kind: 'timestamp', val: 120, ecr: 987664 });
});

test('options must match as written; a difference in NOP padding only is said so', (t) => {
  const [syn, synAck] = acts(HANDSHAKE);
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  const noPad: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
  const r = pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: noPad }), 0);
  t.is(r.status, 'mismatch');
  t.is(r.mismatches?.[0]?.field, 'tcp_options');
  t.regex(r.message ?? '', /only the NOP padding differs/);
  const wrongMss: TcpOption[] = [{ kind: 'mss', mss: 1400 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_permitted' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
  const m = pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: wrongMss }), 0);
  t.is(m.message, 'live packet field tcp_option_mss: expected: 1460 (0x5b4) vs actual: 1400 (0x578)');
  const none = pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK }), 0);
  t.is(none.mismatches?.[0]?.field, 'tcp_options');
  t.notRegex(none.message ?? '', /NOP/);
});

test('flags are compared exactly and a bad TCP checksum is a failure', (t) => {
  const [syn, synAck] = acts(HANDSHAKE);
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  const opts: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_permitted' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
  const f = pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE, options: opts }), 0);
  t.is(f.mismatches?.[0]?.field, 'tcp_flags');
  t.regex(f.message ?? '', /expected: S\. vs actual: S\.E/);
  const bad = stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: opts, corruptChecksum: true });
  const c = pe.matchOutbound(synAck!, bad, 0);
  t.is(c.mismatches?.[0]?.field, 'tcp_checksum');
});

const SPLIT = `
0   < S 0:0(0) win 32792
+0  > S. 0:0(0) ack 1
+0  < . 1:1(0) ack 1 win 257
+0  > P. 1:3001(3000) ack 1
`;

function splitSetup(t: import('ava').ExecutionContext, pe: PacketEngine): number {
  const [syn, synAck, ack] = acts(SPLIT);
  const port = inject(t, pe, syn!).tcp!.srcPort;
  t.is(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 100, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK }), 0).status, 'match');
  inject(t, pe, ack!);
  return port;
}

test('strict_segments off: back-to-back segments adding up to LEN match one line; PSH may come on the last', (t) => {
  const pe = engine();
  const port = splitSetup(t, pe);
  const line = acts(SPLIT)[3]!;
  t.deepEqual(pe.matchOutbound(line, stackSegment({ dport: port, seq: 101, ack: 1, payload: 1500 }), 0), { status: 'more' });
  t.deepEqual(pe.matchOutbound(line, stackSegment({ dport: port, seq: 1601, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: 1500 }), 0), { status: 'match' });
});

test('strict_segments off: a split that overshoots LEN or does not continue is a failure', (t) => {
  const pe = engine();
  const port = splitSetup(t, pe);
  const line = acts(SPLIT)[3]!;
  t.is(pe.matchOutbound(line, stackSegment({ dport: port, seq: 101, ack: 1, payload: 1500 }), 0).status, 'more');
  const over = pe.matchOutbound(line, stackSegment({ dport: port, seq: 1601, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: 2000 }), 0);
  t.is(over.message, 'live packet payload: expected 3000 bytes vs actual 3500 bytes');

  const pe2 = engine();
  const port2 = splitSetup(t, pe2);
  t.is(pe2.matchOutbound(line, stackSegment({ dport: port2, seq: 101, ack: 1, payload: 1000 }), 0).status, 'more');
  const gap = pe2.matchOutbound(line, stackSegment({ dport: port2, seq: 1201, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: 2000 }), 0);
  t.is(gap.mismatches?.[0]?.field, 'tcp_seq');
});

test('strict_segments on: one live segment must carry the whole payload', (t) => {
  const pe = engine({ strictSegments: true });
  const port = splitSetup(t, pe);
  const r = pe.matchOutbound(acts(SPLIT)[3]!, stackSegment({ dport: port, seq: 101, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: 1500 }), 0);
  t.is(r.message, 'live packet payload: expected 3000 bytes vs actual 1500 bytes');
});

const ACTIVE = `
0   > S 0:0(0) <mss 1460>
+0  < S. 0:0(0) ack 1 win 5792 <mss 1460>
+0  > . 1:1(0) ack 1
`;

test('active open: the SYN must go to connect_port; its source port and ISN are learned', (t) => {
  const [syn, synAck, ack] = acts(ACTIVE);
  const pe = engine({ connectPort: 9090 });
  const wrong = pe.matchOutbound(syn!, stackSegment({ sport: 41000, dport: 8080, seq: 777, ack: 0, flags: TcpFlag.SYN, options: [{ kind: 'mss', mss: 1460 }] }), 0);
  t.is(wrong.message, 'live packet field tcp_dst_port: expected: 9090 (0x2382) vs actual: 8080 (0x1f90)');
  t.is(pe.matchOutbound(syn!, stackSegment({ sport: 41000, dport: 9090, seq: 777, ack: 0, flags: TcpFlag.SYN, options: [{ kind: 'mss', mss: 1460 }] }), 0).status, 'match');
  const sa = inject(t, pe, synAck!);
  t.is(sa.tcp!.dstPort, 41000);
  t.is(sa.tcp!.srcPort, 9090);
  t.is(sa.tcp!.ack, 778);
  t.is(pe.matchOutbound(ack!, stackSegment({ sport: 41000, dport: 9090, seq: 778, ack: 1 }), 0).status, 'match');
  t.false(pe.isTestTraffic(stackSegment({ sport: 41000, dport: 9090, seq: 778, ack: 1, dst: '198.51.100.7' })));
  t.true(pe.isTestTraffic(stackSegment({ sport: 41000, dport: 9090, seq: 778, ack: 1 })));
  const rst = pe.cleanupResets();
  t.is(rst.length, 1);
});

test('(bad_csum) injects a segment whose TCP checksum is wrong', (t) => {
  const [syn] = acts('0 < S 0:0(0) win 1000 (bad_csum)\n');
  const r = engine().buildInbound(syn!, 0);
  t.true(r.ok);
  if (r.ok) t.true(r.packet.errors.some((e) => e.startsWith('TCP checksum')));
});

test('renderActual prints the stack segment in script-relative numbers', (t) => {
  const [syn, synAck] = acts(SPLIT);
  const pe = engine();
  const port = inject(t, pe, syn!).tcp!.srcPort;
  t.is(pe.matchOutbound(synAck!, stackSegment({ dport: port, seq: 100, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK }), 0).status, 'match');
  const text = pe.renderActual(stackSegment({ dport: port, seq: 111, ack: 1, flags: TcpFlag.ACK }));
  t.regex(text, /\. 11:11\(0\) ack 1/);
  t.regex(pe.renderExpected(acts(SPLIT)[3]!), new RegExp(`> ${LOCAL.replace(/\./g, '\\.')}:8080 > ${REMOTE.replace(/\./g, '\\.')}:${port} P\\. 1:3001\\(3000\\) ack 1`));
  t.true(pe.describeState().some((l) => l.startsWith('subflow 1 ISNs')));
});

test('an ICMP frag_needed quotes the stack segment with its live sequence number (IPv4 and IPv6)', (t) => {
  const text = `
0   < S 0:0(0) win 32792
+0  > S. 0:0(0) ack 1
+0  < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]
`;
  for (const v6 of [false, true]) {
    const [syn, synAck, icmp] = acts(text);
    const pe = engine(v6 ? { ipVersion: 'ipv6', localIp: 'fd3d:fa7b:d17d::2', remoteIp: '2001:db8::1' } : {});
    const port = inject(t, pe, syn!).tcp!.srcPort;
    const sa = stackSegment({ dport: port, seq: 4000, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK });
    const live = v6 ? { ...sa, ip: { version: 6 as const, trafficClass: 0, flowLabel: 0, nextHeader: 6, hopLimit: 64, src: 'fd3d:fa7b:d17d::2', dst: '2001:db8::1', extensions: new Uint8Array(0) } } : sa;
    t.is(pe.matchOutbound(synAck!, live, 0).status, 'match');
    const r = pe.buildInbound(icmp!, 0);
    if (!r.ok) return t.fail(r.message);
    const msg = r.packet.other!.bytes;
    const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    if (v6) {
      t.deepEqual([msg[0], msg[1], view.getUint32(4)], [2, 0, 1200], 'ICMPv6 packet too big');
      t.is(r.packet.ip.version === 6 && r.packet.ip.nextHeader, 58);
    } else {
      t.deepEqual([msg[0], msg[1], view.getUint16(6)], [3, 4, 1200]);
      let s = 0;
      for (let i = 0; i < msg.length; i += 2) s += (msg[i]! << 8) | (msg[i + 1] ?? 0);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      t.is(s, 0xffff, 'ICMP checksum is valid');
    }
    const quotedTcp = 8 + (v6 ? 40 : 20);
    t.is(view.getUint16(quotedTcp), 8080, 'quoted source port: the stack');
    t.is(view.getUint16(quotedTcp + 2), port);
    t.is(view.getUint32(quotedTcp + 4), 4001, 'quoted sequence number: live');
  }
});

test('a udp line injects a datagram of zeros with a valid checksum', (t) => {
  const [udp] = acts('0 < udp (10)\n');
  const r = engine().buildInbound(udp!, 0);
  if (!r.ok) return t.fail(r.message);
  const b = r.packet.other!.bytes;
  t.is(r.packet.ip.version === 4 && r.packet.ip.protocol, 17);
  t.is(b.length, 18);
  t.is((b[2]! << 8) | b[3]!, 8080);
  // One's-complement sum over pseudo-header + datagram must be 0xffff.
  const words = [0xc000, 0x0201, 0xc0a8, 0x0002, 17, 18];
  let s = words.reduce((a, w) => a + w, 0);
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  t.is(s, 0xffff);
});
