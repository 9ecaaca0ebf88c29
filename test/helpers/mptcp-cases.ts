// Hand-built packets covering every MPTCP subtype and flag combination the codec knows, each on
// its own 4-tuple (so that tools with per-connection state see nothing carried over).

import type { MptcpOption, TcpOption } from '../../src/wire/packet.js';
import { TcpFlag, tcpPacket } from './packets.js';
import type { IpPacket } from '../../src/wire/packet.js';

export interface MptcpCase {
  name: string;
  packet: IpPacket;
  /** The MPTCP options of the packet, in order. */
  options: MptcpOption[];
}

const KEY_A = 0xc98534ab6b0f7fean;
const KEY_B = 0xa9b89e68747d1600n;
const HMAC8 = Uint8Array.from([0x6f, 0x60, 0x4a, 0x14, 0x5e, 0x54, 0xda, 0x25]);
const HMAC20 = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);
const DATA = new TextEncoder().encode('hello, multipath');

function make(index: number, name: string, options: MptcpOption[], spec: { flags?: number; payload?: Uint8Array; v6?: boolean } = {}): MptcpCase {
  const tcpOptions: TcpOption[] = [...options];
  const packet = tcpPacket({
    src: spec.v6 ? '2001:db8::1' : '192.0.2.1',
    dst: spec.v6 ? '2001:db8::2' : '192.0.2.2',
    sport: 20000 + index,
    dport: 80,
    seq: 1000 + index,
    ack: spec.flags !== undefined && !(spec.flags & TcpFlag.ACK) ? 0 : 5000,
    flags: spec.flags ?? TcpFlag.ACK,
    options: tcpOptions,
    payload: spec.payload ?? new Uint8Array(0),
  });
  return { name, packet, options };
}

export function mptcpCases(): MptcpCase[] {
  const specs: Array<[string, MptcpOption[], { flags?: number; payload?: Uint8Array; v6?: boolean }?]> = [];
  const add = (name: string, options: MptcpOption[], spec?: { flags?: number; payload?: Uint8Array; v6?: boolean }) => specs.push([name, options, spec]);
  const SYN = TcpFlag.SYN;
  const SYNACK = TcpFlag.SYN | TcpFlag.ACK;

  // MP_CAPABLE, v1 and v0.
  for (const flags of [0x01, 0x81, 0x21, 0xa1]) add(`mp_capable v1 SYN flags 0x${flags.toString(16)}`, [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags }], { flags: SYN });
  add('mp_capable v1 SYN-ACK', [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: KEY_B }], { flags: SYNACK });
  add('mp_capable v1 third ACK', [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: KEY_A, receiverKey: KEY_B }]);
  add('mp_capable v1 data no checksum', [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: KEY_A, receiverKey: KEY_B, dataLen: DATA.length }], { payload: DATA, flags: TcpFlag.ACK | TcpFlag.PSH });
  add('mp_capable v1 data with checksum', [{ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x81, senderKey: KEY_A, receiverKey: KEY_B, dataLen: DATA.length, checksum: 0x985e }], { payload: DATA, flags: TcpFlag.ACK | TcpFlag.PSH });
  add('mp_capable v0 SYN', [{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x81, senderKey: KEY_A }], { flags: SYN });
  add('mp_capable v0 SYN-ACK', [{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x01, senderKey: KEY_B }], { flags: SYNACK });
  add('mp_capable v0 third ACK', [{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x01, senderKey: KEY_A, receiverKey: KEY_B }]);

  // MP_JOIN, the three forms, with and without backup.
  for (const backup of [false, true]) {
    add(`mp_join SYN backup=${backup}`, [{ kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup, addressId: 5, token: 0x32e3fc4b, nonce: 0xaa0d729c }], { flags: SYN });
    add(`mp_join SYN-ACK backup=${backup}`, [{ kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup, addressId: 7, hmac: HMAC8, nonce: 0x2cdda2ff }], { flags: SYNACK });
  }
  add('mp_join ACK', [{ kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac: HMAC20 }]);

  // DSS: every combination of F m M a A, and the checksum whenever there is a mapping.
  for (let bits = 0; bits < 32; bits++) {
    const A = !!(bits & 1), a = !!(bits & 2), M = !!(bits & 4), m = !!(bits & 8), F = !!(bits & 16);
    for (const checksum of M ? [false, true] : [false]) {
      const dss: MptcpOption = { kind: 'mptcp', subtype: 'dss', dataFin: F, dataAck64: a, dsn64: m };
      if (A) dss.dataAck = a ? 0x7ce94f7e2407b873n : 0xd0530332n;
      if (M) {
        dss.dsn = m ? 0x4260f8a1eb788ae1n : 0xeb788ae1n;
        dss.ssn = 1;
        dss.dll = DATA.length;
        if (checksum) dss.checksum = 0x113a;
      }
      add(`dss flags 0x${bits.toString(16).padStart(2, '0')}${checksum ? ' checksum' : ''}`, [dss], M ? { payload: DATA } : {});
    }
  }

  // ADD_ADDR v1: IPv4/IPv6, with/without port, announce (HMAC) or echo; v0 forms.
  for (const address of ['10.0.2.2', 'fd00::2']) {
    for (const port of [undefined, 9090]) {
      for (const echo of [false, true]) {
        const option: MptcpOption = { kind: 'mptcp', subtype: 'add_addr', version: 1, echo, addressId: 6, address };
        if (port !== undefined) option.port = port;
        if (!echo) option.hmac = HMAC8;
        add(`add_addr v1 ${address}${port ? ' port' : ''}${echo ? ' echo' : ''}`, [option]);
      }
      const v0: MptcpOption = { kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 9, address, nibble: address.includes(':') ? 6 : 4 };
      if (port !== undefined) v0.port = port;
      add(`add_addr v0 ${address}${port ? ' port' : ''}`, [v0]);
    }
  }

  for (const ids of [[5], [1, 2, 3], [0, 255, 7, 8, 9, 10, 11, 12]]) add(`remove_addr ${ids.join(',')}`, [{ kind: 'mptcp', subtype: 'remove_addr', addressIds: ids }]);
  for (const backup of [false, true]) add(`mp_prio backup=${backup}`, [{ kind: 'mptcp', subtype: 'mp_prio', backup }]);
  add('mp_prio v0 with address id', [{ kind: 'mptcp', subtype: 'mp_prio', backup: true, addressId: 4 }]);
  add('mp_fail', [{ kind: 'mptcp', subtype: 'mp_fail', dsn: 0x4260f8a1eb788ae7n }], { flags: TcpFlag.ACK | TcpFlag.RST });
  add('mp_fastclose', [{ kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: KEY_B }]);
  for (const flags of [0x0, 0x1, 0x8, 0x4, 0x2, 0xf]) {
    for (const reason of [0, 1, 2, 3, 4, 5, 6]) {
      add(`mp_tcprst flags 0x${flags.toString(16)} reason ${reason}`, [{ kind: 'mptcp', subtype: 'mp_tcprst', flags, reason }], { flags: TcpFlag.RST | TcpFlag.ACK });
    }
  }
  // Several options in one segment, as Linux sends them.
  add('rst with mp_fastclose and mp_tcprst', [
    { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: KEY_A },
    { kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason: 0 },
  ], { flags: TcpFlag.RST | TcpFlag.ACK });
  add('dss with mp_prio over IPv6', [
    { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: true, dsn64: false, dataAck: 0x7ce94f7e2407b873n },
    { kind: 'mptcp', subtype: 'mp_prio', backup: true },
  ], { v6: true });

  return specs.map(([name, options, spec], i) => make(i, name, options, spec));
}
