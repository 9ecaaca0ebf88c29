import test from 'ava';
import { decodeIp, decodeTcpOptions, encodeIp, fromHex, toHex } from '../src/wire/codec.js';
import { samplePacket } from '../src/wire/sample-packets.js';
import type { IpPacket, TcpOption } from '../src/wire/packet.js';

function hex(s: string): Uint8Array {
  const b = fromHex(s);
  if (!b) throw new Error(`bad hex in test: ${s}`);
  return b;
}

/** An IPv4/TCP packet whose option space is exactly `opts` (a multiple of 4 bytes). */
function withRawOptions(opts: string, payload = 'cafe'): Uint8Array {
  const p = samplePacket([{ kind: 'unknown', code: 0xfd, data: new Uint8Array(0) }], 4, 0);
  p.tcp!.options = [{ kind: 'malformed', offset: 0, reason: '', bytes: hex(opts) }];
  p.tcp!.payload = hex(payload);
  return encodeIp(p);
}

function roundTrips(t: { is: (a: string, b: string) => void }, bytes: Uint8Array): IpPacket {
  const d = decodeIp(bytes);
  t.is(toHex(encodeIp(d)), toHex(bytes));
  return d;
}

test('option with length 0: malformed from there on, earlier options and payload decode', (t) => {
  const d = roundTrips(t, withRawOptions('020405b4' + '0800' + '0000'));
  const o = d.tcp!.options;
  t.like(o[0] as TcpOption, { kind: 'mss', mss: 1460 });
  t.like(o[1] as TcpOption, { kind: 'malformed', offset: 4, reason: 'option kind 8 has length 0' });
  t.is(toHex(d.tcp!.payload), 'cafe');
  t.deepEqual(d.errors, []);
});

test('option with length 1', (t) => {
  const d = roundTrips(t, withRawOptions('01' + '0301' + '00'));
  t.like(d.tcp!.options[0] as TcpOption, { kind: 'nop' });
  t.like(d.tcp!.options[1] as TcpOption, { kind: 'malformed', offset: 1, reason: 'option kind 3 has length 1' });
  t.is(toHex(d.tcp!.payload), 'cafe');
});

test('option overrunning the option space', (t) => {
  const d = roundTrips(t, withRawOptions('0101' + '1e0c2001' + '000000000000'));
  t.like(d.tcp!.options[2] as TcpOption, {
    kind: 'malformed',
    offset: 2,
    reason: 'option kind 30 length 12 overruns the option space (10 bytes left)',
  });
  t.is(toHex(d.tcp!.payload), 'cafe');
});

test('option truncated: kind byte without length byte at the end', (t) => {
  const d = roundTrips(t, withRawOptions('010101' + '02'));
  t.deepEqual(d.tcp!.options.slice(0, 3).map((o) => o.kind), ['nop', 'nop', 'nop']);
  t.like(d.tcp!.options[3] as TcpOption, { kind: 'malformed', offset: 3, reason: 'option kind 2 truncated: no length byte' });
});

test('known kinds with impossible lengths are kept raw and the next options still decode', (t) => {
  const opts = decodeTcpOptions(hex('020305' + '1e0d0001000000000000000000' + '01' + '1e0e2001' + '00000000' + '00000000' + '0000' + '01'));
  t.like(opts[0] as TcpOption, { kind: 'unknown', code: 2 });
  t.like(opts[1] as TcpOption, { kind: 'mptcp', subtype: 'unknown', code: 0, reason: 'MP_CAPABLE length 13 fits no form' });
  t.like(opts[2] as TcpOption, { kind: 'nop' });
  const dss = opts[3] as TcpOption;
  t.like(dss, { kind: 'mptcp', subtype: 'unknown', code: 2 });
  t.regex((dss as { reason?: string }).reason ?? '', /^DSS length 14 does not match its flags 0x1 \(expected 8\)$/);
  t.like(opts[4] as TcpOption, { kind: 'nop' });
});

test('MPTCP impossible lengths per subtype become unknown with a reason', (t) => {
  const cases: Array<[string, string]> = [
    ['1e0d1001' + '00'.repeat(9), 'MP_JOIN length 13 fits no form'],
    ['1e0c3005' + '00'.repeat(8), 'ADD_ADDR length 12 fits no form'],
    ['1e0340', 'REMOVE_ADDR without any address id'],
    ['1e055000' + '00', 'MP_PRIO length 5 fits no form'],
    ['1e086000' + '00'.repeat(4), 'MP_FAIL length 8 fits no form'],
    ['1e0b7000' + '00'.repeat(7), 'MP_FASTCLOSE length 11 fits no form'],
    ['1e058000' + '00', 'MP_TCPRST length 5 fits no form'],
  ];
  for (const [bytes, reason] of cases) {
    const opts = decodeTcpOptions(hex(bytes));
    t.like(opts[0] as TcpOption, { kind: 'mptcp', subtype: 'unknown', reason }, bytes);
  }
  // A v0 8-byte ADD_ADDR with nibble 0 (what a v1 parser would drop) decodes as the v0 form.
  t.like(decodeTcpOptions(hex('1e0830050a000005'))[0] as TcpOption, { subtype: 'add_addr', version: 0, nibble: 0 });
  // Unassigned subtype 0xf: unknown without a reason.
  const exp = decodeTcpOptions(hex('1e04f0aa'))[0] as TcpOption;
  t.like(exp, { kind: 'mptcp', subtype: 'unknown', code: 15 });
  t.is((exp as { reason?: string }).reason, undefined);
});

test('TCP data offset below 5', (t) => {
  const b = encodeIp(samplePacket([], 4, 6));
  b[20 + 12] = 0x30;
  const d = roundTrips(t, b);
  t.true(d.errors.includes('TCP data offset 3 is below 5 (a 20-byte header)'));
  t.is(d.tcp!.dataOffsetOnWire, 3);
  t.is(d.tcp!.payload.length, 6);
  t.is(d.tcp!.seq, 1000);
});

test('TCP data offset beyond the segment', (t) => {
  const b = encodeIp(samplePacket([{ kind: 'mss', mss: 1460 }], 4, 2));
  b[20 + 12] = 0xf0; // 60 bytes of header, only 26 there
  const d = roundTrips(t, b);
  t.true(d.errors.includes('TCP data offset 15 (60 bytes) is beyond the 26-byte segment'));
  t.like(d.tcp!.options[0] as TcpOption, { kind: 'mss', mss: 1460 });
  t.is(d.tcp!.payload.length, 0);
  t.is(d.tcp!.window, 502);
});

test('IPv4 total length larger than the packet', (t) => {
  const b = encodeIp(samplePacket([], 4, 10));
  b[2] = 0x01; // 256 + original low byte
  const d = roundTrips(t, b);
  t.true(d.errors.some((e) => /^IPv4 total length \d+ exceeds the packet: \d+ bytes missing$/.test(e)));
  t.is(d.tcp!.payload.length, 10);
  t.not(d.ip.version === 4 ? d.ip.totalLengthOnWire : undefined, undefined);
});

test('IPv4 total length smaller than the packet: the rest is a trailer', (t) => {
  const b = encodeIp(samplePacket([], 4, 10));
  b[3] = b[3]! - 4; // cut 4 payload bytes off
  const d = roundTrips(t, b);
  t.is(d.tcp!.payload.length, 6);
  t.is(d.trailer!.length, 4);
  t.true(d.errors.includes('4 non-zero bytes follow the end the IPv4 total length gives'));
  t.true(d.errors.some((e) => e.startsWith('TCP checksum')));
  // Zero padding (Ethernet minimum frame) is no damage.
  const z = encodeIp(samplePacket([], 4, 0));
  const padded = new Uint8Array(z.length + 6);
  padded.set(z);
  const dz = roundTrips(t, padded);
  t.deepEqual(dz.errors, []);
  t.is(dz.trailer!.length, 6);
});

test('IPv4 total length shorter than its header', (t) => {
  const b = encodeIp(samplePacket([], 4, 4));
  b[2] = 0;
  b[3] = 10;
  const d = roundTrips(t, b);
  t.true(d.errors.some((e) => e === 'IPv4 total length 10 is shorter than the 20-byte header'));
  t.is(d.tcp!.payload.length, 4);
});

test('IPv6 payload length lying both ways', (t) => {
  const b = encodeIp(samplePacket([], 6, 10));
  b[4] = 0x02;
  const d = roundTrips(t, b);
  t.true(d.errors.some((e) => /^IPv6 payload length \d+ exceeds the packet/.test(e)));
  t.is(d.tcp!.payload.length, 10);
  const c = encodeIp(samplePacket([], 6, 10));
  c[5] = c[5]! - 3;
  const dc = roundTrips(t, c);
  t.is(dc.tcp!.payload.length, 7);
  t.is(dc.trailer!.length, 3);
});

test('truncated IP headers and unknown versions are kept raw', (t) => {
  const full = encodeIp(samplePacket([], 4, 0));
  for (const [bytes, reason] of [
    [full.subarray(0, 12), 'truncated IPv4 header: 12 of 20 bytes'],
    [new Uint8Array(0), 'empty packet'],
    [hex('7500'), 'IP version 7 is neither 4 nor 6'],
    [encodeIp(samplePacket([], 6, 0)).subarray(0, 30), 'truncated IPv6 header: 30 of 40 bytes'],
  ] as Array<[Uint8Array, string]>) {
    const d = roundTrips(t, bytes);
    t.deepEqual(d.errors, [reason]);
    t.truthy(d.raw);
  }
  const ihl = full.slice();
  ihl[0] = 0x43;
  t.deepEqual(roundTrips(t, ihl).errors, ['IPv4 header length 12 is below 20 bytes']);
  const ihlBig = full.slice(0, 30);
  ihlBig[0] = 0x4f;
  const dBig = roundTrips(t, ihlBig);
  t.deepEqual(dBig.errors, ['IPv4 header length 60 is beyond the 30-byte packet']);
  t.is(dBig.ip.src, '192.168.0.1'); // what could be read is still there
});

test('truncated TCP header', (t) => {
  const b = encodeIp(samplePacket([], 4, 0)).subarray(0, 30);
  const d = roundTrips(t, b);
  t.is(d.tcp, undefined);
  t.is(d.other!.protocol, 6);
  t.true(d.errors.includes('truncated TCP header: 10 of 20 bytes'));
});

test('truncated IPv6 extension header', (t) => {
  const p = samplePacket([], 6, 0);
  if (p.ip.version === 6) {
    p.ip.nextHeader = 0;
    p.ip.extensions = hex('0600000000000000');
  }
  const b = encodeIp(p).subarray(0, 44);
  const d = roundTrips(t, b);
  t.true(d.errors.some((e) => e.startsWith('truncated IPv6 extension header 0 at byte 40')));
  t.is(d.tcp, undefined);
});

test('a TCP checksum of 0xffff where 0x0000 is computed is valid (both spell zero)', (t) => {
  // Choose the last payload word so that the computed checksum is exactly 0x0000.
  const pkt = samplePacket([], 4, 2);
  pkt.tcp!.payload = new Uint8Array(2);
  const first = decodeIp(Uint8Array.from(encodeIp(pkt)));
  const zeroing = first.tcp!.checksum!;
  pkt.tcp!.payload = Uint8Array.of(zeroing >> 8, zeroing & 0xff);
  const bytes = Uint8Array.from(encodeIp(pkt));
  const decoded = decodeIp(bytes);
  t.is(decoded.tcp!.checksum, 0);
  t.deepEqual(decoded.errors, []);
  const tcpStart = 20;
  bytes[tcpStart + 16] = 0xff;
  bytes[tcpStart + 17] = 0xff;
  t.deepEqual(decodeIp(bytes).errors, []);
  bytes[tcpStart + 17] = 0xfe;
  t.regex(decodeIp(bytes).errors.join('\n'), /TCP checksum 0xfffe is wrong/);
});
