// MPTCP option (TCP kind 30) bytes <-> MptcpOption, v1 (RFC 8684) and v0 (RFC 6824), laid out
// as in RFC 8684 §3. Which fields exist always follows from the length (and for ADD_ADDR
// from the E bit / IPVer nibble); a length that fits no form keeps the option raw as
// `subtype: 'unknown'` with a reason, so that nothing is lost and encode(decode(b)) === b.

import type { AddAddr, Dss, MpCapable, MpJoin, MptcpOption, MptcpUnknown } from './packet.js';
import { formatAddress, parseAddressCached } from './addr.js';

export const MPTCP_KIND = 30;

const SUBTYPE_NAMES = [
  'MP_CAPABLE',
  'MP_JOIN',
  'DSS',
  'ADD_ADDR',
  'REMOVE_ADDR',
  'MP_PRIO',
  'MP_FAIL',
  'MP_FASTCLOSE',
  'MP_TCPRST',
];

/** DSS flag bits of byte 3. */
export const DssFlag = { A: 0x01, a: 0x02, M: 0x04, m: 0x08, F: 0x10 } as const;

/** A DSS DATA_ACK or DSN field: 8 bytes when `wide`, else the low 4. */
function readSeq(v: DataView, p: number, wide: boolean): bigint {
  return wide ? v.getBigUint64(p) : BigInt(v.getUint32(p));
}

function writeSeq(v: DataView, p: number, value: bigint, wide: boolean): number {
  if (wide) v.setBigUint64(p, BigInt.asUintN(64, value));
  else v.setUint32(p, Number(BigInt.asUintN(32, value)));
  return p + (wide ? 8 : 4);
}

function unknown(b: Uint8Array, at: number, len: number, code: number, reason?: string): MptcpUnknown {
  const opt: MptcpUnknown = { kind: 'mptcp', subtype: 'unknown', code, data: b.subarray(at + 2, at + len) };
  if (reason !== undefined) opt.reason = reason;
  return opt;
}

function badLength(b: Uint8Array, at: number, len: number, code: number): MptcpUnknown {
  return unknown(b, at, len, code, `${SUBTYPE_NAMES[code]} length ${len} fits no form`);
}

/**
 * Decode the MPTCP option whose kind byte is at `at` and whose length byte (already checked
 * to lie inside the option space, and >= 3) is `len`.
 */
export function decodeMptcpOption(b: Uint8Array, v: DataView, at: number, len: number): MptcpOption {
  const b2 = b[at + 2]!;
  const code = b2 >> 4;
  const nibble = b2 & 0x0f;
  const b3 = len > 3 ? b[at + 3]! : 0;
  switch (code) {
    case 0: {
      if (len !== 4 && len !== 12 && len !== 20 && len !== 22 && len !== 24) return badLength(b, at, len, code);
      const o: MpCapable = { kind: 'mptcp', subtype: 'mp_capable', version: nibble, flags: b3 };
      if (len >= 12) o.senderKey = v.getBigUint64(at + 4);
      if (len >= 20) o.receiverKey = v.getBigUint64(at + 12);
      if (len >= 22) o.dataLen = v.getUint16(at + 20);
      if (len === 24) o.checksum = v.getUint16(at + 22);
      return o;
    }
    case 1: {
      if (len === 12 || len === 16) {
        const o: MpJoin = {
          kind: 'mptcp',
          subtype: 'mp_join',
          form: len === 12 ? 'syn' : 'syn_ack',
          backup: (nibble & 1) === 1,
          addressId: b3,
        };
        if (len === 12) {
          o.token = v.getUint32(at + 4);
          o.nonce = v.getUint32(at + 8);
        } else {
          o.hmac = b.subarray(at + 4, at + 12);
          o.nonce = v.getUint32(at + 12);
        }
        if (nibble >> 1 !== 0) o.reserved = nibble >> 1;
        return o;
      }
      if (len === 24) {
        const o: MpJoin = { kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac: b.subarray(at + 4, at + 24) };
        if (((nibble << 8) | b3) !== 0) o.reserved = (nibble << 8) | b3;
        return o;
      }
      return badLength(b, at, len, code);
    }
    case 2: {
      if (len < 4) return badLength(b, at, len, code);
      const f = b3;
      const hasAck = (f & DssFlag.A) !== 0;
      const ack64 = (f & DssFlag.a) !== 0;
      const hasMap = (f & DssFlag.M) !== 0;
      const dsn64 = (f & DssFlag.m) !== 0;
      const base = 4 + (hasAck ? (ack64 ? 8 : 4) : 0) + (hasMap ? (dsn64 ? 14 : 10) : 0);
      const withCsum = hasMap && len === base + 2;
      if (len !== base && !withCsum) {
        return unknown(b, at, len, code, `DSS length ${len} does not match its flags 0x${(f & 0x1f).toString(16)} (expected ${base}${hasMap ? ` or ${base + 2}` : ''})`);
      }
      const o: Dss = { kind: 'mptcp', subtype: 'dss', dataFin: (f & DssFlag.F) !== 0, dataAck64: ack64, dsn64 };
      let p = at + 4;
      if (hasAck) {
        o.dataAck = readSeq(v, p, ack64);
        p += ack64 ? 8 : 4;
      }
      if (hasMap) {
        o.dsn = readSeq(v, p, dsn64);
        p += dsn64 ? 8 : 4;
        o.ssn = v.getUint32(p);
        o.dll = v.getUint16(p + 4);
        if (withCsum) o.checksum = v.getUint16(p + 6);
      }
      const reserved = (nibble << 8) | (f & 0xe0);
      if (reserved !== 0) o.reserved = reserved;
      return o;
    }
    case 3:
      return decodeAddAddr(b, v, at, len, nibble);
    case 4: {
      if (len < 4) return unknown(b, at, len, code, 'REMOVE_ADDR without any address id');
      const ids: number[] = [];
      for (let i = at + 3; i < at + len; i++) ids.push(b[i]!);
      const o: MptcpOption = { kind: 'mptcp', subtype: 'remove_addr', addressIds: ids };
      if (nibble !== 0) o.reserved = nibble;
      return o;
    }
    case 5: {
      if (len !== 3 && len !== 4) return badLength(b, at, len, code);
      const o: MptcpOption = { kind: 'mptcp', subtype: 'mp_prio', backup: (nibble & 1) === 1 };
      if (len === 4) o.addressId = b3;
      if (nibble >> 1 !== 0) o.reserved = nibble >> 1;
      return o;
    }
    case 6:
    case 7: {
      if (len !== 12) return badLength(b, at, len, code);
      const value = v.getBigUint64(at + 4);
      const reserved = (nibble << 8) | b3;
      const o: MptcpOption =
        code === 6
          ? { kind: 'mptcp', subtype: 'mp_fail', dsn: value }
          : { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: value };
      if (reserved !== 0) o.reserved = reserved;
      return o;
    }
    case 8:
      if (len !== 4) return badLength(b, at, len, code);
      return { kind: 'mptcp', subtype: 'mp_tcprst', flags: nibble, reason: b3 };
    default:
      return unknown(b, at, len, code);
  }
}

/** ADD_ADDR: v1 E=0 lengths 16/18/28/30, v1 E=1 and v0 8/10/20/22 (v0 has an even IPVer nibble). */
function decodeAddAddr(b: Uint8Array, v: DataView, at: number, len: number, nibble: number): MptcpOption {
  const echo = (nibble & 1) === 1;
  let bare = len; // length without HMAC
  let version: 0 | 1 = 1;
  if (!echo) {
    if (len === 16 || len === 18 || len === 28 || len === 30) bare = len - 8;
    else version = 0;
  }
  let addrLen: number;
  if (bare === 8 || bare === 10) addrLen = 4;
  else if (bare === 20 || bare === 22) addrLen = 16;
  else return badLength(b, at, len, 3);
  const o: AddAddr = {
    kind: 'mptcp',
    subtype: 'add_addr',
    version,
    echo,
    addressId: b[at + 3]!,
    address: formatAddress(b, at + 4, addrLen),
  };
  let p = at + 4 + addrLen;
  if (bare === 10 || bare === 22) {
    o.port = v.getUint16(p);
    p += 2;
  }
  if (bare !== len) o.hmac = b.subarray(p, p + 8);
  if (version === 0) o.nibble = nibble;
  else if (nibble >> 1 !== 0) o.nibble = nibble >> 1;
  return o;
}

function addAddrFamilyLength(o: AddAddr): number {
  return o.address.includes(':') ? 16 : 4;
}

/** Wire length of an MPTCP option, kind and length bytes included (padding NOPs excluded). */
export function mptcpOptionLength(o: MptcpOption): number {
  switch (o.subtype) {
    case 'mp_capable':
      if (o.checksum !== undefined) return 24;
      if (o.dataLen !== undefined) return 22;
      if (o.receiverKey !== undefined) return 20;
      if (o.senderKey !== undefined) return 12;
      return 4;
    case 'mp_join':
      return o.form === 'syn' ? 12 : o.form === 'syn_ack' ? 16 : 24;
    case 'dss':
      return (
        4 +
        (o.dataAck !== undefined ? (o.dataAck64 ? 8 : 4) : 0) +
        (o.dsn !== undefined ? (o.dsn64 ? 14 : 10) + (o.checksum !== undefined ? 2 : 0) : 0)
      );
    case 'add_addr':
      return 4 + addAddrFamilyLength(o) + (o.port !== undefined ? 2 : 0) + (o.version === 1 && !o.echo ? 8 : 0);
    case 'remove_addr':
      return 3 + o.addressIds.length;
    case 'mp_prio':
      return o.addressId !== undefined ? 4 : 3;
    case 'mp_fail':
    case 'mp_fastclose':
      return 12;
    case 'mp_tcprst':
      return 4;
    case 'unknown':
      return 2 + o.data.length;
  }
}

function writeBytes(b: Uint8Array, p: number, src: Uint8Array | undefined, n: number): void {
  // Hand-built options may carry a short or missing HMAC: the field keeps its wire size.
  if (src) b.set(src.length > n ? src.subarray(0, n) : src, p);
}

/** Write the option at `at`; returns the offset after it. */
export function writeMptcpOption(b: Uint8Array, v: DataView, at: number, o: MptcpOption): number {
  const len = mptcpOptionLength(o);
  b[at] = MPTCP_KIND;
  b[at + 1] = len & 0xff;
  switch (o.subtype) {
    case 'mp_capable':
      b[at + 2] = o.version & 0x0f;
      b[at + 3] = o.flags & 0xff;
      if (len >= 12) v.setBigUint64(at + 4, BigInt.asUintN(64, o.senderKey ?? 0n));
      if (len >= 20) v.setBigUint64(at + 12, BigInt.asUintN(64, o.receiverKey ?? 0n));
      if (len >= 22) v.setUint16(at + 20, (o.dataLen ?? 0) & 0xffff);
      if (len === 24) v.setUint16(at + 22, (o.checksum ?? 0) & 0xffff);
      break;
    case 'mp_join':
      if (o.form === 'ack') {
        const r = o.reserved ?? 0;
        b[at + 2] = 0x10 | ((r >> 8) & 0x0f);
        b[at + 3] = r & 0xff;
        writeBytes(b, at + 4, o.hmac, 20);
      } else {
        b[at + 2] = 0x10 | (((o.reserved ?? 0) & 7) << 1) | (o.backup ? 1 : 0);
        b[at + 3] = (o.addressId ?? 0) & 0xff;
        if (o.form === 'syn') {
          v.setUint32(at + 4, (o.token ?? 0) >>> 0);
          v.setUint32(at + 8, (o.nonce ?? 0) >>> 0);
        } else {
          writeBytes(b, at + 4, o.hmac, 8);
          v.setUint32(at + 12, (o.nonce ?? 0) >>> 0);
        }
      }
      break;
    case 'dss': {
      const r = o.reserved ?? 0;
      const hasAck = o.dataAck !== undefined;
      const hasMap = o.dsn !== undefined;
      b[at + 2] = 0x20 | ((r >> 8) & 0x0f);
      b[at + 3] =
        (r & 0xe0) |
        (o.dataFin ? DssFlag.F : 0) |
        (o.dsn64 ? DssFlag.m : 0) |
        (hasMap ? DssFlag.M : 0) |
        (o.dataAck64 ? DssFlag.a : 0) |
        (hasAck ? DssFlag.A : 0);
      let p = at + 4;
      if (o.dataAck !== undefined) p = writeSeq(v, p, o.dataAck, o.dataAck64);
      if (o.dsn !== undefined) {
        p = writeSeq(v, p, o.dsn, o.dsn64);
        v.setUint32(p, (o.ssn ?? 0) >>> 0);
        v.setUint16(p + 4, (o.dll ?? 0) & 0xffff);
        if (o.checksum !== undefined) v.setUint16(p + 6, o.checksum & 0xffff);
      }
      break;
    }
    case 'add_addr': {
      const n = o.version === 0 ? (o.nibble ?? (addAddrFamilyLength(o) === 16 ? 6 : 4)) : ((o.nibble ?? 0) << 1) | (o.echo ? 1 : 0);
      b[at + 2] = 0x30 | (n & 0x0f);
      b[at + 3] = o.addressId & 0xff;
      const alen = addAddrFamilyLength(o);
      const parsed = parseAddressCached(o.address);
      if (!parsed) throw new RangeError(`ADD_ADDR address "${o.address}" is not an IP address`);
      b.set(parsed.bytes, at + 4);
      let p = at + 4 + alen;
      if (o.port !== undefined) {
        v.setUint16(p, o.port & 0xffff);
        p += 2;
      }
      if (o.version === 1 && !o.echo) writeBytes(b, p, o.hmac, 8);
      break;
    }
    case 'remove_addr':
      b[at + 2] = 0x40 | ((o.reserved ?? 0) & 0x0f);
      for (let i = 0; i < o.addressIds.length; i++) b[at + 3 + i] = o.addressIds[i]! & 0xff;
      break;
    case 'mp_prio':
      b[at + 2] = 0x50 | (((o.reserved ?? 0) & 7) << 1) | (o.backup ? 1 : 0);
      if (o.addressId !== undefined) b[at + 3] = o.addressId & 0xff;
      break;
    case 'mp_fail':
    case 'mp_fastclose': {
      const r = o.reserved ?? 0;
      b[at + 2] = (o.subtype === 'mp_fail' ? 0x60 : 0x70) | ((r >> 8) & 0x0f);
      b[at + 3] = r & 0xff;
      v.setBigUint64(at + 4, BigInt.asUintN(64, o.subtype === 'mp_fail' ? o.dsn : o.receiverKey));
      break;
    }
    case 'mp_tcprst':
      b[at + 2] = 0x80 | (o.flags & 0x0f);
      b[at + 3] = o.reason & 0xff;
      break;
    case 'unknown':
      b.set(o.data, at + 2);
      break;
  }
  return at + len;
}
