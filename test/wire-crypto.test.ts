import test from 'ava';
import { addAddrHmac, dssChecksum, expandSeq32, joinHmac, keyIdsn, keyToken } from '../src/wire/crypto.js';
import { toHex } from '../src/wire/codec.js';

// RFC 8684 §3.1: keys.
const KEYS: Array<[bigint, number, bigint, number, bigint]> = [
  // key, v1 token, v1 IDSN, v0 token, v0 IDSN
  [2n, 0xcd04a475, 0x886540e5dce77f70n, 0x07aae1b6, 0xfa1723bef8656fe4n],
  [3n, 0xd5688a52, 0x7f98326d42dfc975n, 0x461d6580, 0xc945e53831dcdf03n],
  [0x0102030405060708n, 0x66840dda, 0xf5a101d3d29d6f72n, 0xdd5783bc, 0x3a95ed6e4ebb4ad5n],
  [0x1112131415161718n, 0xccad45ac, 0x535beea38e087c8en, 0x3383d918, 0x9e1ae42f702627a9n],
];

for (const [key, t1, i1, t0, i0] of KEYS) {
  test(`key ${key.toString(16)}: tokens and IDSNs, v1 and v0`, (t) => {
    t.is(keyToken(key, 1), t1);
    t.is(keyIdsn(key, 1), i1);
    t.is(keyToken(key, 0), t0);
    t.is(keyIdsn(key, 0), i0);
  });
}

test('decimal forms of the key vectors', (t) => {
  t.is(keyToken(2n, 1), 3439633525);
  t.is(keyIdsn(2n, 1), 9828333117803822960n);
  t.is(keyToken(3n, 0), 1176331648);
  t.is(keyIdsn(3n, 0), 14503250204534038275n);
});

test('connection 1 of §2.6: tokens and IDSN+1 of the captured keys', (t) => {
  t.is(keyToken(0xc98534ab6b0f7fean, 1), 0xb8789a8d);
  t.is(keyToken(0xa9b89e68747d1600n, 1), 0x32e3fc4b);
  t.is(keyIdsn(0xc98534ab6b0f7fean, 1) + 1n, 12443093131334976306n);
  t.is(keyIdsn(0xa9b89e68747d1600n, 1) + 1n, 14112873420029890389n);
  // first 4-byte DATA_ACK the server sent: low 32 bits of client IDSN+1
  t.is(Number((keyIdsn(0xc98534ab6b0f7fean, 1) + 1n) & 0xffffffffn), 0xd0530332);
});

test('MP_JOIN HMACs, A = key 2, B = key 3, R-A 1, R-B 2', (t) => {
  t.is(toHex(joinHmac(3n, 2n, 2, 1, 1)), '8ef936192e56b66756af3b7d6b9fd40223e616070133876a80e3a24761cff1f1');
  t.is(toHex(joinHmac(3n, 2n, 2, 1, 1).subarray(0, 8)), '8ef936192e56b667');
  t.is(toHex(joinHmac(2n, 3n, 1, 2, 1)), 'fabbe8e23d0063199e2da18b092faab70146c7fbfe677a951820ff30f78d156f');
  t.is(toHex(joinHmac(2n, 3n, 1, 2, 1).subarray(0, 20)), 'fabbe8e23d0063199e2da18b092faab70146c7fb');
  t.is(toHex(joinHmac(3n, 2n, 2, 1, 0)), '40b6ae86c332b9d1ed086731881859dedc1770a5');
  t.is(toHex(joinHmac(2n, 3n, 1, 2, 0)), '3b754a0c0676fda47ac735aeda179cccb4a10842');
});

test('MP_JOIN HMACs, A = 0x0102…, B = 0x1112…', (t) => {
  const a = 0x0102030405060708n;
  const b = 0x1112131415161718n;
  const ra = 0x0a0b0c0d;
  const rb = 0x1a1b1c1d;
  t.is(toHex(joinHmac(b, a, rb, ra, 1)), '58397cd6aaa86e37cc750ac474afb52a61f9dc276ef1f76bbaa94649fb877ad5');
  t.is(toHex(joinHmac(a, b, ra, rb, 1).subarray(0, 20)), '7a9d6fb3a43f2adaa2f117547f238fd21a6838ca');
  t.is(toHex(joinHmac(b, a, rb, ra, 0).subarray(0, 8)), '2cc723c91a853eca');
  t.is(toHex(joinHmac(a, b, ra, rb, 0)), 'ba0af79ab810aaed76c771860eb95afb8cd0e956');
});

test('MP_JOIN HMACs captured from Linux (§2.6 connections 1-3)', (t) => {
  const conns: Array<[bigint, bigint, number, number, string, string]> = [
    [0xc98534ab6b0f7fean, 0xa9b89e68747d1600n, 0xaa0d729c, 0x2cdda2ff, '6f604a145e54da25', 'bc6515d993ce5fab0e7d76a6abf816294fe94567'],
    [0x1e4e9b16e3b811c9n, 0x72f594a5f2fdf42an, 0x3bddcf9d, 0x9eb21a24, 'a162a1fda49c6652', '0eb08a64422fca6173e25715d5b068f0290e96bb'],
    [0x0adf72be4c90a5a4n, 0xac82646ad34fbbbbn, 0xe613b758, 0x69743dfd, '16b1bd7cd8f90e26', '4402190dc970a774872501f02e75b71673142f14'],
  ];
  for (const [ka, kb, ra, rb, thmac, ack] of conns) {
    t.is(toHex(joinHmac(kb, ka, rb, ra, 1).subarray(0, 8)), thmac);
    t.is(toHex(joinHmac(ka, kb, ra, rb, 1).subarray(0, 20)), ack);
  }
});

test('ADD_ADDR HMACs (§2.5 and §2.6)', (t) => {
  t.is(toHex(addAddrHmac(2n, 3n, 1, '10.0.1.1')), 'c0dd9e3396901a4a');
  t.is(toHex(addAddrHmac(3n, 2n, 1, '10.0.1.1')), '9394d3ca0248c416');
  t.is(toHex(addAddrHmac(0x0102030405060708n, 0x1112131415161718n, 1, '10.0.1.1')), '70b4ed2e368d5b78');
  t.is(toHex(addAddrHmac(0x0102030405060708n, 0x1112131415161718n, 1, '10.0.1.1', 8080)), 'ac464e1d21ceeb96');
  t.is(toHex(addAddrHmac(0x1112131415161718n, 0x0102030405060708n, 2, '2001:db8::1')), '6eb7c54fdc68e5e6');
  t.is(toHex(addAddrHmac(0xa9b89e68747d1600n, 0xc98534ab6b0f7fean, 5, '10.0.2.2')), '48c879446c3aa4c7');
  t.is(toHex(addAddrHmac(0x72f594a5f2fdf42an, 0x1e4e9b16e3b811c9n, 6, '10.0.2.2', 9090)), 'fa4371ffe57b5609');
  t.is(toHex(addAddrHmac(0xac82646ad34fbbbbn, 0x0adf72be4c90a5a4n, 7, 'fd00:2::2')), 'c9d2a789e3131811');
  t.throws(() => addAddrHmac(1n, 2n, 1, 'not-an-address'), { instanceOf: RangeError });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('DSS checksums (§3), computed and captured', (t) => {
  const dsn = 0x886540e5dce77f71n;
  t.is(dssChecksum(dsn, 1, 4, enc('abcd')), 0x1590);
  t.is(dssChecksum(dsn, 1, 3, enc('abc')), 0x15f5);
  t.is(dssChecksum(dsn, 1, 5, enc('abcd')), 0x158f);
  t.is(dssChecksum(0x886540e5dce77f75n, 0, 1, new Uint8Array(0)), 0xda56);
  t.is(dssChecksum(9000812733465606158n, 1, 100, enc('A'.repeat(100))), 0x985e);
  t.is(dssChecksum(4783096178591435489n, 1, 300, enc('R'.repeat(300))), 0x113a);
  t.is(dssChecksum(9000812733465606258n, 0, 1, new Uint8Array(0)), 0x571d);
  t.is(dssChecksum(4783096178591435789n, 0, 1, new Uint8Array(0)), 0x4d76);
  // The MP_CAPABLE data vector's DSN is IDSN+1 of the key in the wire example.
  t.is(keyIdsn(0xb63e69c2a70d0613n, 1) + 1n, 9000812733465606158n);
});

test('expandSeq32 picks the value within ±2^31 of the reference, like __mptcp_expand_seq', (t) => {
  t.is(expandSeq32(0xd0530332, 12443093131334976306n), 12443093131334976306n);
  t.is(expandSeq32(5, 0x1_ffff_fff0n), 0x2_0000_0005n); // forward wrap
  t.is(expandSeq32(0xffff_fff0, 0x2_0000_0005n), 0x1_ffff_fff0n); // backward wrap
  t.is(expandSeq32(0x10, 0x5_0000_0000n), 0x5_0000_0010n);
  t.is(expandSeq32(0xffff_ffff, 0n), (1n << 64n) - 1n); // below zero wraps mod 2^64
  t.is(expandSeq32(0, (1n << 64n) - 1n), 0n);
  // Edges: exactly 2^31 away forward goes back, exactly 2^31 back goes forward (Linux before()/after()).
  t.is(expandSeq32(0x8000_0000, 0x1_0000_0000n), 0x1_8000_0000n - (1n << 32n));
  t.is(expandSeq32(0, 0x1_8000_0000n), 0x2_0000_0000n);
});

test('DSS checksum of a live MP_CAPABLE data segment (Linux 6.18, checksum_enabled=1)', (t) => {
  const key = 4362377626089357675n;
  t.is(dssChecksum(keyIdsn(key, 1) + 1n, 1, 100, enc('hello'.repeat(20))), 0xa00a);
});
