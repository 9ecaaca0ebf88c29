import test from 'ava';
import { decodeIp, decodeTcpOptions, encodeIp, encodeTcpOptions, fromHex, tcpOptionLength, toHex, formatAddress, parseAddress } from '../src/wire/codec.js';
import { SAMPLE_OPTION_SETS, samplePacket } from '../src/wire/sample-packets.js';
import type { MptcpOption, TcpOption } from '../src/wire/packet.js';
import { tcpChecksum } from '../src/wire/checksum.js';

function hex(s: string): Uint8Array {
  const b = fromHex(s);
  if (!b) throw new Error(`bad hex in test: ${s}`);
  return b;
}

for (const { name, options } of SAMPLE_OPTION_SETS) {
  for (const version of [4, 6] as const) {
    test(`round trip IPv${version}: ${name}`, (t) => {
      const built = samplePacket(options, version, 10);
      const bytes = encodeIp(built);
      const back = decodeIp(bytes);
      t.deepEqual(back.errors, []);
      t.truthy(back.tcp);
      t.deepEqual(back.tcp!.options, options);
      t.deepEqual(back.tcp!.payload, built.tcp!.payload);
      t.is(back.tcp!.seq, 1000);
      t.is(back.tcp!.ack, 2000);
      t.is(back.ip.src, built.ip.src);
      t.is(back.ip.dst, built.ip.dst);
      t.is(toHex(encodeIp(back)), toHex(bytes));
      // The option bytes are exactly the sum of the option lengths.
      const optLen = options.reduce((n, o) => n + tcpOptionLength(o), 0);
      const ihl = version === 4 ? 20 : 40;
      t.is((bytes[ihl + 12]! >> 4) * 4, 20 + optLen);
    });
  }
}

// Literal wire examples of RFC 8684 §3 (option bytes, with Linux's NOP padding).
const WIRE: Array<[string, string, Partial<MptcpOption>]> = [
  ['MPC SYN', '1e040101', { subtype: 'mp_capable', version: 1, flags: 1 }],
  ['MPC SYN csum', '1e040181', { subtype: 'mp_capable', flags: 0x81 }],
  ['MPC SYN/ACK', '1e0c0101a9b89e68747d1600', { subtype: 'mp_capable', senderKey: 0xa9b89e68747d1600n }],
  ['MPC SYN/ACK C', '1e0c012172f594a5f2fdf42a', { subtype: 'mp_capable', flags: 0x21 }],
  ['MPC third ACK', '1e140101c98534ab6b0f7feaa9b89e68747d1600', { subtype: 'mp_capable', senderKey: 0xc98534ab6b0f7fean, receiverKey: 0xa9b89e68747d1600n }],
  ['MPC data', '1e160101c98534ab6b0f7feaa9b89e68747d160000640101', { subtype: 'mp_capable', dataLen: 100 }],
  ['MPC data csum', '1e180181b63e69c2a70d06139fe2fd8ecb9d51ec0064985e', { subtype: 'mp_capable', dataLen: 100, checksum: 0x985e }],
  ['MPC v0 SYN', '1e0c00810102030405060708', { subtype: 'mp_capable', version: 0, senderKey: 0x0102030405060708n }],
  ['JOIN SYN', '1e0c100132e3fc4baa0d729c', { subtype: 'mp_join', form: 'syn', backup: false, addressId: 1, token: 0x32e3fc4b, nonce: 0xaa0d729c }],
  ['JOIN SYN/ACK', '1e1010056f604a145e54da252cdda2ff', { subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 5, nonce: 0x2cdda2ff }],
  ['JOIN ACK', '1e181000bc6515d993ce5fab0e7d76a6abf816294fe94567', { subtype: 'mp_join', form: 'ack' }],
  ['DSS ack32', '1e082001d0530332', { subtype: 'dss', dataAck: 0xd0530332n, dataAck64: false }],
  ['DSS ack64', '1e0c2003acaebf46d0530396', { subtype: 'dss', dataAck: 0xacaebf46d0530396n, dataAck64: true }],
  ['DSS A M m', '1e16200d30ef0f55acaebf46d0530332000000010064' + '0101', { subtype: 'dss', dsn: 0xacaebf46d0530332n, ssn: 1, dll: 100 }],
  ['DSS A a M m', '1e1a200f' + '0102030405060708' + '1112131415161718' + '00000001012c' + '0101', { subtype: 'dss', dll: 300, dataAck64: true, dsn64: true }],
  ['DSS csum', '1e1c200f7ce94f7e2407b8734260f8a1eb788ae100000001012c113a', { subtype: 'dss', checksum: 0x113a, dll: 300 }],
  ['DSS DATA_FIN', '1e16201d30ef0f55acaebf46d05303fa000000000001' + '0101', { subtype: 'dss', dataFin: true, ssn: 0, dll: 1 }],
  ['DSS DATA_FIN csum', '1e18201deb788ae17ce94f7e2407b872000000000001571d', { subtype: 'dss', dataFin: true, checksum: 0x571d }],
  ['ADD_ADDR', '1e1030050a00020248c879446c3aa4c7', { subtype: 'add_addr', version: 1, echo: false, addressId: 5, address: '10.0.2.2' }],
  ['ADD_ADDR echo', '1e0831050a000202', { subtype: 'add_addr', version: 1, echo: true, address: '10.0.2.2' }],
  ['ADD_ADDR port', '1e1230060a0002022382fa4371ffe57b5609' + '0101', { subtype: 'add_addr', port: 9090 }],
  ['ADD_ADDR echo port', '1e0a31060a0002022382' + '0101', { subtype: 'add_addr', echo: true, port: 9090 }],
  ['ADD_ADDR v6', '1e1c3007fd000002000000000000000000000002c9d2a789e3131811', { subtype: 'add_addr', address: 'fd00:2::2', version: 1 }],
  ['ADD_ADDR v6 echo', '1e143107fd000002000000000000000000000002', { subtype: 'add_addr', address: 'fd00:2::2', echo: true }],
  ['ADD_ADDR v0', '1e0834050a000005', { subtype: 'add_addr', version: 0, nibble: 4, address: '10.0.0.5' }],
  ['REMOVE_ADDR 1', '1e044005', { subtype: 'remove_addr', addressIds: [5] }],
  ['REMOVE_ADDR 2', '1e054001020101' + '01', { subtype: 'remove_addr', addressIds: [1, 2] }],
  ['MP_PRIO backup', '1e035101', { subtype: 'mp_prio', backup: true }],
  ['MP_PRIO not backup', '1e035001', { subtype: 'mp_prio', backup: false }],
  ['MP_FAIL', '1e0c6000f5a101d3d29d6f78', { subtype: 'mp_fail', dsn: 0xf5a101d3d29d6f78n }],
  ['FASTCLOSE+TCPRST', '1e0c7000a9b89e68747d16001e048000', { subtype: 'mp_fastclose', receiverKey: 0xa9b89e68747d1600n }],
  ['TCPRST 3', '1e048003', { subtype: 'mp_tcprst', flags: 0, reason: 3 }],
];

for (const [name, wire, expected] of WIRE) {
  test(`wire example: ${name}`, (t) => {
    const bytes = hex(wire);
    const opts = decodeTcpOptions(bytes);
    const first = opts[0]!;
    t.is(first.kind, 'mptcp');
    t.like(first as MptcpOption, expected);
    t.is(toHex(encodeTcpOptions(opts)), toHex(bytes));
    t.false(opts.some((o) => o.kind === 'malformed' || (o.kind === 'mptcp' && o.subtype === 'unknown')));
  });
}

test('a Linux SYN (options as net/ipv4/tcp_output.c writes them) decodes and re-encodes exactly', (t) => {
  const opts = hex('020405b404020' + '80a0000abcd00000000' + '0103030a' + '1e040101');
  const decoded = decodeTcpOptions(opts);
  t.deepEqual(
    decoded.map((o) => o.kind),
    ['mss', 'sack_permitted', 'timestamp', 'nop', 'wscale', 'mptcp'],
  );
  t.like(decoded[2] as TcpOption, { kind: 'timestamp', val: 0xabcd, ecr: 0 });
  t.like(decoded[4] as TcpOption, { kind: 'wscale', shift: 10 });
  t.is(toHex(encodeTcpOptions(decoded)), toHex(opts));
});

test('a whole captured-style packet: checksums computed on encode verify on decode', (t) => {
  const p = samplePacket([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 1, ecr: 2 }], 4, 33);
  const bytes = encodeIp(p);
  const d = decodeIp(bytes);
  t.deepEqual(d.errors, []);
  const ip = d.ip;
  t.is(ip.version, 4);
  if (ip.version === 4) t.not(ip.checksum, undefined);
  // tcpChecksum (public helper) agrees with the field the encoder wrote.
  const seg = bytes.subarray(20);
  t.is(tcpChecksum(parseAddress('192.168.0.1')!.bytes, parseAddress('192.0.2.1')!.bytes, seg), d.tcp!.checksum!);
  const p6 = samplePacket([], 6, 5);
  const d6 = decodeIp(encodeIp(p6));
  t.deepEqual(d6.errors, []);
  t.is(tcpChecksum(parseAddress('2001:db8::1')!.bytes, parseAddress('2001:db8::2')!.bytes, encodeIp(p6).subarray(40)), d6.tcp!.checksum!);
});

test('a wrong TCP checksum is reported and kept as on the wire', (t) => {
  const p = samplePacket([], 4, 4);
  p.tcp!.checksum = 0x1234;
  const d = decodeIp(encodeIp(p));
  t.is(d.tcp!.checksum, 0x1234);
  t.true(d.errors.some((e) => /^TCP checksum 0x1234 is wrong: expected 0x[0-9a-f]{4}$/.test(e)));
});

test('a wrong IPv4 header checksum is reported and kept as on the wire', (t) => {
  const p = samplePacket([], 4, 0);
  if (p.ip.version === 4) p.ip.checksum = 0xbeef;
  const bytes = encodeIp(p);
  const d = decodeIp(bytes);
  t.true(d.errors.some((e) => e.startsWith('IPv4 header checksum 0xbeef is wrong')));
  t.is(toHex(encodeIp(d)), toHex(bytes));
});

test('IPv4 options and IPv6 extension headers are kept raw and the TCP behind them decodes', (t) => {
  const p = samplePacket([{ kind: 'mss', mss: 1000 }], 4, 3);
  if (p.ip.version === 4) p.ip.options = hex('01010100'); // NOP NOP NOP EOL
  const b = encodeIp(p);
  t.is(b[0], 0x46);
  const d = decodeIp(b);
  t.deepEqual(d.errors, []);
  t.like(d.tcp!.options[0] as TcpOption, { kind: 'mss', mss: 1000 });
  const p6 = samplePacket([{ kind: 'mss', mss: 1000 }], 6, 3);
  if (p6.ip.version === 6) {
    p6.ip.nextHeader = 60; // destination options, 8 bytes, next header TCP
    p6.ip.extensions = hex('0600010400000000');
  }
  const b6 = encodeIp(p6);
  const d6 = decodeIp(b6);
  t.deepEqual(d6.errors, []);
  t.like(d6.tcp!.options[0] as TcpOption, { kind: 'mss', mss: 1000 });
  t.is(d6.ip.version === 6 ? d6.ip.extensions.length : -1, 8);
  t.is(toHex(encodeIp(d6)), toHex(b6));
});

test('non-TCP transports and later fragments are kept raw', (t) => {
  const p = samplePacket([], 4, 0);
  delete p.tcp;
  p.other = { protocol: 17, bytes: hex('0035003500080000') };
  if (p.ip.version === 4) p.ip.protocol = 17;
  const d = decodeIp(encodeIp(p));
  t.is(d.tcp, undefined);
  t.is(d.other!.protocol, 17);
  const f = samplePacket([], 4, 8);
  if (f.ip.version === 4) f.ip.fragment = 0x0001; // offset 8 bytes: no TCP header here
  const df = decodeIp(encodeIp(f));
  t.is(df.tcp, undefined);
  t.is(df.other!.bytes.length, 28);
});

test('addresses: canonical text and parsing', (t) => {
  const cases: Array<[string, string]> = [
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fd00:2::2', 'fd00:2::2'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::ffff:0102:0304', '::ffff:1.2.3.4'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['2001:DB8::A', '2001:db8::a'],
    ['10.0.2.2', '10.0.2.2'],
  ];
  for (const [input, canonical] of cases) {
    const a = parseAddress(input);
    t.truthy(a, input);
    t.is(formatAddress(a!.bytes), canonical, input);
  }
  for (const bad of ['1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'x::1', '', '1:2:3:4:5:6:7']) {
    t.is(parseAddress(bad), undefined, bad);
  }
});

test('hand-built options that do not fill a word are padded with zeros (EOL) on encode', (t) => {
  const p = samplePacket([{ kind: 'mss', mss: 1460 }, { kind: 'wscale', shift: 7 }], 4, 0);
  const b = encodeIp(p);
  t.is(b[32] >> 4, 7);
  const d = decodeIp(b);
  t.deepEqual(d.tcp!.options.map((o) => o.kind), ['mss', 'wscale', 'eol']);
  t.deepEqual(d.errors, []);
});

// Captured on Linux 6.18 loopback in a network namespace, checksum_enabled=1: the client's SYN
// and its first data segment (MP_CAPABLE with DLL 100 and DSS checksum). tcpdump on lo sees the
// partial checksum that offload leaves in the field.
const LIVE_SYN =
  '45000040171a40004006259c7f0000017f0000018b0c1f900c19610900000000b002ffd7fe3400000204ffd70402080ac217b6e5000000000103030a1e040181';
const LIVE_DATA =
  '450000b0171c40004006252a7f0000017f0000018b0c1f900c19610aa5724c65e0180040fea400000101080ac217b6e529ec4eb11e1801813c8a47568b2b016b2b79825948008e4c0064a00a' +
  '68656c6c6f'.repeat(20);

test('live Linux packets decode, re-encode exactly, and a partial checksum is named as such', (t) => {
  const syn = decodeIp(hex(LIVE_SYN));
  t.is(toHex(encodeIp(syn)), LIVE_SYN);
  t.deepEqual(syn.errors, ['TCP checksum 0xfe34 is partial (pseudo-header only, left by checksum offload): expected 0x8fb9']);
  t.deepEqual(syn.tcp!.options.map((o) => o.kind), ['mss', 'sack_permitted', 'timestamp', 'nop', 'wscale', 'mptcp']);
  t.like(syn.tcp!.options[5] as TcpOption, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81 });
  const data = decodeIp(hex(LIVE_DATA));
  t.is(toHex(encodeIp(data)), LIVE_DATA);
  const mpc = data.tcp!.options[3] as TcpOption;
  t.like(mpc, { kind: 'mptcp', subtype: 'mp_capable', senderKey: 4362377626089357675n, receiverKey: 3132678335784586828n, dataLen: 100, checksum: 0xa00a });
  t.is(data.tcp!.payload.length, 100);
  // Re-encoding with the checksum left to the encoder gives the full, correct value.
  delete data.tcp!.checksum;
  t.deepEqual(decodeIp(encodeIp(data)).errors, []);
});
