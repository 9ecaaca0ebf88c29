import test from 'ava';
import { decodeIp, encodeIp, fromHex } from '../src/wire/codec.js';
import { flagsToString, renderPacket, renderTcpOption } from '../src/wire/render.js';
import type { RenderOptions } from '../src/wire/render.js';
import { packetToJson } from '../src/wire/json.js';
import { samplePacket } from '../src/wire/sample-packets.js';
import { TcpFlag } from '../src/wire/packet.js';
import type { TcpOption } from '../src/wire/packet.js';
import { keyIdsn } from '../src/wire/crypto.js';

function hex(s: string): Uint8Array {
  const b = fromHex(s);
  if (!b) throw new Error(`bad hex in test: ${s}`);
  return b;
}

const NOP: TcpOption = { kind: 'nop' };

test('the brief example line, decoded from bytes', (t) => {
  const p = samplePacket(
    [NOP, NOP, { kind: 'timestamp', val: 12, ecr: 90 }, { kind: 'mptcp', subtype: 'dss', dataFin: true, dataAck: 1n, dataAck64: false, dsn: 11n, dsn64: true, ssn: 0, dll: 1 }, NOP, NOP],
    4,
    10,
    TcpFlag.PSH | TcpFlag.ACK,
  );
  p.tcp!.seq = 1;
  p.tcp!.ack = 1;
  const d = decodeIp(encodeIp(p));
  t.is(
    renderPacket(d),
    '192.168.0.1:8080 > 192.0.2.1:40000 P. 1:11(10) ack 1 win 502 <nop,nop,TS val 12 ecr 90,dss dack4=1 dsn8=11 ssn=0 dll=1 nocs fin,nop,nop>',
  );
});

test('flags in packetdrill letters and order', (t) => {
  t.is(flagsToString(TcpFlag.SYN), 'S');
  t.is(flagsToString(TcpFlag.SYN | TcpFlag.ACK), 'S.');
  t.is(flagsToString(TcpFlag.ACK), '.');
  t.is(flagsToString(TcpFlag.FIN | TcpFlag.ACK), 'F.');
  t.is(flagsToString(TcpFlag.RST), 'R');
  t.is(flagsToString(TcpFlag.RST | TcpFlag.ACK), 'R.');
  t.is(flagsToString(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR), 'SEW');
  t.is(flagsToString(TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG), 'P.U');
  t.is(flagsToString(0), '-');
});

test('relative sequence numbers, ack only with ACK, tuple forms', (t) => {
  const syn = samplePacket(
    [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, { kind: 'timestamp', val: 5, ecr: 0 }, NOP, { kind: 'wscale', shift: 7 }, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1 }],
    4,
    0,
    TcpFlag.SYN,
  );
  syn.tcp!.seq = 0xfffffff0;
  syn.tcp!.window = 64000;
  const ctx: RenderOptions = { tuple: 'none', isn: { sender: 0xfffffff0, receiver: 0 } };
  t.is(renderPacket(syn, ctx), 'S 0:0(0) win 64000 <mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7,mpcapable v1 flags[flag_h] nokey>');
  const data = samplePacket([NOP, NOP, { kind: 'sack', blocks: [[0xfffffffa, 5]] }], 4, 100, TcpFlag.ACK);
  data.tcp!.seq = 10; // wraps past the ISN
  data.tcp!.ack = 0xfffffffa;
  t.is(
    renderPacket(data, { tuple: { src: 'c1', dst: 's1' }, isn: { sender: 0xfffffff0, receiver: 0xfffffff0 } }),
    'addr[c1] > addr[s1] . 26:126(100) ack 10 win 502 <nop,nop,sack 10:21>',
  );
  t.is(renderPacket(data, { tuple: { dst: 's1' }, errors: false }).slice(0, 14), ' > addr[s1] . ');
  const ce = samplePacket([], 4, 0, TcpFlag.ACK | TcpFlag.ECE);
  if (ce.ip.version === 4) ce.ip.tos = 0x03;
  t.is(renderPacket(ce, { tuple: 'none' }), '[ce] .E 1000:1000(0) ack 2000 win 502');
  const v6 = samplePacket([], 6, 0, TcpFlag.RST);
  t.is(renderPacket(v6), '2001:db8::1:8080 > 2001:db8::2:40000 R 1000:1000(0) win 502');
});

test('MP_CAPABLE spellings, with and without key names', (t) => {
  const names = new Map<bigint, string>([[123n, 'ckey'], [456n, 'skey']]);
  const ctx: RenderOptions = { keyName: (k) => names.get(k) };
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: 123n, receiverKey: 456n, dataLen: 100 }, ctx),
    'mpcapable v1 flags[flag_a,flag_h] key[ckey=123, skey=456] mpcdatalen 100',
  );
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: 789n }, ctx), 'mpcapable v1 flags[flag_h] key[789]');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0 }), 'mpcapable v0 flags[no_flags] nokey');
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: 1n, receiverKey: 2n, dataLen: 100, checksum: 39006 }),
    'mpcapable v1 flags[flag_a,flag_h] key[1, 2] mpcdatalen 100 cksum=39006',
  );
});

test('MP_JOIN spellings', (t) => {
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 1, token: 0x32e3fc4b, nonce: 7 }),
    'mp_join_syn backup=0 address_id=1 token=853802059 rand=7',
  );
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: true, addressId: 5, hmac: hex('6f604a145e54da25'), nonce: 1 }),
    'mp_join_syn_ack backup=1 address_id=5 sender_hmac=0x6f604a145e54da25 rand=1',
  );
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac: hex('bc6515d993ce5fab0e7d76a6abf816294fe94567') }),
    'mp_join_ack sender_hmac=0xbc6515d993ce5fab0e7d76a6abf816294fe94567',
  );
});

test('DSS relative to the IDSNs: dsn from the sender, dack from the receiver, 32-bit forms wrap', (t) => {
  const ck = 0xc98534ab6b0f7fean;
  const sk = 0xa9b89e68747d1600n;
  const ctx: RenderOptions = { idsn: { sender: keyIdsn(sk, 1), receiver: keyIdsn(ck, 1) } };
  const dack4 = Number((keyIdsn(ck, 1) + 1n) & 0xffffffffn);
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: BigInt(dack4), dataAck64: false, dsn64: false }, ctx),
    'dss dack4=1 nocs',
  );
  t.is(
    renderTcpOption(
      { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: keyIdsn(ck, 1) + 101n, dataAck64: true, dsn: keyIdsn(sk, 1) + 1n, dsn64: true, ssn: 1, dll: 300, checksum: 4410 },
      ctx,
    ),
    'dss dack8=101 dsn8=1 ssn=1 dll=300 cksum=4410',
  );
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: false }), 'dss nocs');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_fail', dsn: keyIdsn(ck, 1) + 6n }, ctx), 'mp_fail dsn8=6');
});

test('ADD_ADDR, REMOVE_ADDR, MP_PRIO, MP_FASTCLOSE, MP_TCPRST spellings', (t) => {
  const ctx: RenderOptions = { addressName: (a, port) => (a === '10.0.2.2' && port === undefined ? 's1' : undefined), keyName: (k) => (k === 5n ? 'ck' : undefined) };
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 5, address: '10.0.2.2', hmac: hex('48c879446c3aa4c7') }, ctx),
    'add_address address_id=5 addr[s1] hmac=0x48c879446c3aa4c7',
  );
  t.is(
    renderTcpOption({ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: 6, address: '10.0.2.2', port: 9090 }, ctx),
    'add_address address_id=6 addr[10.0.2.2] port=9090 addr_echo',
  );
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'remove_addr', addressIds: [1, 2] }), 'remove_address address_id=[1,2]');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_prio', backup: true }), 'mp_prio backup=1');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_prio', backup: false, addressId: 3 }), 'mp_prio backup=0 address_id=3');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: 5n }, ctx), 'mp_fastclose ck=5');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: 6n }, ctx), 'mp_fastclose 6');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_tcprst', flags: 1, reason: 1 }), 'mp_reset 1 flags[flag_t]');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason: 3 }), 'mp_reset 3');
});

test('TCP options, unknown and malformed elements are visible', (t) => {
  t.is(renderTcpOption({ kind: 'fastopen', experimental: false, cookie: new Uint8Array(0) }), 'FO');
  t.is(renderTcpOption({ kind: 'fastopen', experimental: true, cookie: hex('abcd') }), 'FOEXP abcd');
  t.is(renderTcpOption({ kind: 'md5', digest: hex('00112233445566778899aabbccddeeff') }), 'md5 00112233445566778899aabbccddeeff');
  t.is(renderTcpOption({ kind: 'unknown', code: 99, data: hex('beef') }), 'unknown kind 99 len 4 0xbeef');
  t.is(renderTcpOption({ kind: 'mptcp', subtype: 'unknown', code: 9, data: hex('9001') }), 'mptcp subtype 9 len 4 0x9001');
  const b = encodeIp(samplePacket([{ kind: 'mss', mss: 1460 }, { kind: 'malformed', offset: 0, reason: '', bytes: hex('08000000') }], 4, 0));
  const d = decodeIp(b);
  t.is(renderPacket(d, { tuple: 'none' }), '. 1000:1000(0) ack 2000 win 502 <mss 1460,malformed at 4: option kind 8 has length 0>');
});

test('packet errors are appended unless switched off; undecodable packets render', (t) => {
  const p = samplePacket([], 4, 0);
  p.tcp!.checksum = 1;
  const d = decodeIp(encodeIp(p));
  t.regex(renderPacket(d, { tuple: 'none' }), /^\. 1000:1000\(0\) ack 2000 win 502 ! TCP checksum 0x0001 is wrong: expected 0x[0-9a-f]{4}$/);
  t.is(renderPacket(d, { tuple: 'none', errors: false }), '. 1000:1000(0) ack 2000 win 502');
  t.is(renderPacket(decodeIp(hex('4500'))), '<undecodable 2 bytes> ! truncated IPv4 header: 2 of 20 bytes');
});

test('packetToJson: documented fields, 64-bit values as strings, absent fields omitted', (t) => {
  const p = samplePacket(
    [
      NOP,
      NOP,
      { kind: 'timestamp', val: 1, ecr: 2 },
      { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck: 0xacaebf46d0530396n, dataAck64: true, dsn64: false },
      { kind: 'mptcp', subtype: 'mp_prio', backup: true },
      NOP,
    ],
    4,
    3,
    TcpFlag.ACK | TcpFlag.PSH,
  );
  const j = packetToJson(decodeIp(encodeIp(p)), 7, 1.25);
  t.deepEqual(j, {
    frame: 7,
    time: 1.25,
    src: '192.168.0.1',
    dst: '192.0.2.1',
    sport: 8080,
    dport: 40000,
    flags: 'P.',
    seq: 1000,
    ack: 2000,
    win: 502,
    len: 3,
    options: [
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'timestamp', val: 1, ecr: 2 },
      { kind: 'mptcp', subtype: 'dss', data_ack: '12443093131334976406', data_fin: false, data_ack_64: true, dsn_64: false },
      { kind: 'mptcp', subtype: 'mp_prio', backup: true },
      { kind: 'nop' },
    ],
  });
  const cap = packetToJson(
    decodeIp(encodeIp(samplePacket([{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, senderKey: 0xffffffffffffffffn }], 6, 0))),
    1,
    0,
  );
  t.deepEqual((cap.options as unknown[])[0], { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, sender_key: '18446744073709551615' });
  const bad = samplePacket([], 4, 0);
  bad.tcp!.checksum = 0;
  t.true(Array.isArray(packetToJson(decodeIp(encodeIp(bad)), 1, 0).errors));
});
