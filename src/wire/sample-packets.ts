// Hand-built packets covering every option form the codec knows, shared by the wire tests,
// the fuzzer (as seeds) and the codec benchmark. Values follow RFC 8684 §3's layouts.

import type { IpPacket, TcpOption } from './packet.js';
import { TcpFlag } from './packet.js';
import { fromHex } from './bytes.js';

function hex(text: string): Uint8Array {
  return fromHex(text) ?? new Uint8Array(0);
}

const NOP: TcpOption = { kind: 'nop' };
const TS: TcpOption = { kind: 'timestamp', val: 12, ecr: 90 };

/** One entry per option form: a name and the option list (NOP-padded to 4-byte words). */
export const SAMPLE_OPTION_SETS: Array<{ name: string; options: TcpOption[] }> = [
  {
    name: 'syn tcp options',
    options: [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, TS, NOP, { kind: 'wscale', shift: 10 }],
  },
  { name: 'sack blocks', options: [NOP, NOP, { kind: 'sack', blocks: [[1000, 2000], [3000, 4000]] }] },
  { name: 'fast open request', options: [{ kind: 'fastopen', experimental: false, cookie: new Uint8Array(0) }, NOP, NOP] },
  { name: 'fast open cookie', options: [{ kind: 'fastopen', experimental: false, cookie: hex('0102030405060708') }, NOP, NOP] },
  { name: 'fast open experimental', options: [{ kind: 'fastopen', experimental: true, cookie: hex('aabbccdd') }] },
  { name: 'md5', options: [{ kind: 'md5', digest: hex('000102030405060708090a0b0c0d0e0f') }, NOP, NOP] },
  { name: 'unknown kind', options: [{ kind: 'unknown', code: 99, data: hex('beef') }] },
  { name: 'eol with padding', options: [{ kind: 'mss', mss: 1400 }, NOP, { kind: 'eol', padding: hex('0000') }] },
  { name: 'mp_capable syn v1', options: [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01 }] },
  {
    name: 'mp_capable synack v1',
    options: [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: 0xa9b89e68747d1600n }],
  },
  {
    name: 'mp_capable ack v1',
    options: [
      { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: 0xc98534ab6b0f7fean, receiverKey: 0xa9b89e68747d1600n },
    ],
  },
  {
    name: 'mp_capable data v1',
    options: [
      { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: 1n, receiverKey: 2n, dataLen: 100 },
      NOP,
      NOP,
    ],
  },
  {
    name: 'mp_capable data checksum v1',
    options: [
      {
        kind: 'mptcp',
        subtype: 'mp_capable',
        version: 1,
        flags: 0x81,
        senderKey: 0xb63e69c2a70d0613n,
        receiverKey: 0x9fe2fd8ecb9d51ecn,
        dataLen: 100,
        checksum: 0x985e,
      },
    ],
  },
  { name: 'mp_capable syn v0', options: [{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x81, senderKey: 7n }] },
  {
    name: 'mp_join syn',
    options: [
      { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: true, addressId: 1, token: 0x32e3fc4b, nonce: 0xaa0d729c },
    ],
  },
  {
    name: 'mp_join syn_ack',
    options: [
      { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 5, hmac: hex('6f604a145e54da25'), nonce: 0x2cdda2ff },
    ],
  },
  {
    name: 'mp_join ack',
    options: [
      { kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac: hex('bc6515d993ce5fab0e7d76a6abf816294fe94567') },
    ],
  },
  ...dssSets(),
  {
    name: 'add_addr v4',
    options: [
      { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 5, address: '10.0.2.2', hmac: hex('48c879446c3aa4c7') },
    ],
  },
  {
    name: 'add_addr v4 port',
    options: [
      { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 6, address: '10.0.2.2', port: 9090, hmac: hex('fa4371ffe57b5609') },
      NOP,
      NOP,
    ],
  },
  { name: 'add_addr v4 echo', options: [{ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: 5, address: '10.0.2.2' }] },
  {
    name: 'add_addr v4 echo port',
    options: [{ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: 6, address: '10.0.2.2', port: 9090 }, NOP, NOP],
  },
  {
    name: 'add_addr v6',
    options: [
      { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 7, address: 'fd00:2::2', hmac: hex('c9d2a789e3131811') },
    ],
  },
  {
    name: 'add_addr v6 port',
    options: [
      { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 7, address: '2001:db8::1', port: 80, hmac: hex('0102030405060708') },
      NOP,
      NOP,
    ],
  },
  { name: 'add_addr v6 echo', options: [{ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: 7, address: 'fd00:2::2' }] },
  {
    name: 'add_addr v6 echo port',
    options: [{ kind: 'mptcp', subtype: 'add_addr', version: 1, echo: true, addressId: 7, address: 'fd00:2::2', port: 443 }, NOP, NOP],
  },
  { name: 'add_addr v0 v4', options: [{ kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 5, address: '10.0.0.5', nibble: 4 }] },
  {
    name: 'add_addr v0 v4 port',
    options: [{ kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 5, address: '10.0.0.5', port: 8080, nibble: 4 }, NOP, NOP],
  },
  { name: 'add_addr v0 v6', options: [{ kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 9, address: '2001:db8::9', nibble: 6 }] },
  {
    name: 'add_addr v0 v6 port',
    options: [{ kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 9, address: '2001:db8::9', port: 1, nibble: 6 }, NOP, NOP],
  },
  { name: 'remove_addr one', options: [{ kind: 'mptcp', subtype: 'remove_addr', addressIds: [5] }] },
  { name: 'remove_addr two', options: [{ kind: 'mptcp', subtype: 'remove_addr', addressIds: [1, 2] }, NOP, NOP, NOP] },
  { name: 'mp_prio v1', options: [{ kind: 'mptcp', subtype: 'mp_prio', backup: true }, NOP] },
  { name: 'mp_prio v0', options: [{ kind: 'mptcp', subtype: 'mp_prio', backup: false, addressId: 3 }] },
  { name: 'mp_fail', options: [{ kind: 'mptcp', subtype: 'mp_fail', dsn: 0xf5a101d3d29d6f78n }] },
  {
    name: 'fastclose + tcprst',
    options: [
      { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: 0xa9b89e68747d1600n },
      { kind: 'mptcp', subtype: 'mp_tcprst', flags: 1, reason: 6 },
    ],
  },
  { name: 'mptcp unknown subtype', options: [{ kind: 'mptcp', subtype: 'unknown', code: 9, data: hex('9001') }] },
];

/** Every DSS shape: A/a/M/m/F combinations, with and without checksum. */
function dssSets(): Array<{ name: string; options: TcpOption[] }> {
  const out: Array<{ name: string; options: TcpOption[] }> = [];
  for (const ack of [0, 4, 8]) {
    for (const map of [0, 4, 8]) {
      for (const csum of map ? [false, true] : [false]) {
        for (const fin of map ? [false, true] : [false]) {
          const o: TcpOption = { kind: 'mptcp', subtype: 'dss', dataFin: fin, dataAck64: ack === 8, dsn64: map === 8 };
          if (ack) o.dataAck = ack === 8 ? 0xacaebf46d0530396n : 0xd0530332n;
          if (map) {
            o.dsn = map === 8 ? 0x4260f8a1eb788ae1n : 0xeb788ae1n;
            o.ssn = 1;
            o.dll = 300;
            if (csum) o.checksum = 0x113a;
          }
          const len = 4 + ack + (map ? map + 6 + (csum ? 2 : 0) : 0);
          const pad: TcpOption[] = new Array<TcpOption>((4 - (len % 4)) % 4).fill(NOP);
          out.push({ name: `dss ack${ack} map${map}${csum ? ' csum' : ''}${fin ? ' fin' : ''}`, options: [o, ...pad] });
        }
      }
    }
  }
  return out;
}

/** A TCP/IP packet around an option list, with checksums and lengths left for the encoder. */
export function samplePacket(options: TcpOption[], version: 4 | 6 = 4, payloadLength = 0, flags: number = TcpFlag.ACK): IpPacket {
  const payload = new Uint8Array(payloadLength);
  for (let i = 0; i < payloadLength; i++) payload[i] = (i * 7 + 3) & 0xff;
  const tcp = { srcPort: 8080, dstPort: 40000, seq: 1000, ack: 2000, flags, window: 502, urgent: 0, options, payload };
  if (version === 4) {
    return {
      ip: { version: 4, tos: 0, id: 77, fragment: 0x4000, ttl: 64, protocol: 6, src: '192.168.0.1', dst: '192.0.2.1', options: new Uint8Array(0) },
      tcp,
      errors: [],
    };
  }
  return {
    ip: { version: 6, trafficClass: 0, flowLabel: 0x12345, nextHeader: 6, hopLimit: 64, src: '2001:db8::1', dst: '2001:db8::2', extensions: new Uint8Array(0) },
    tcp,
    errors: [],
  };
}
