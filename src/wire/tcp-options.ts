// TCP option list bytes <-> TcpOption[]. The decoder never throws: damage becomes a
// `malformed` option holding the rest of the option space raw, and a known kind with a length
// it cannot have is kept as `unknown` (so the options after it still decode).

import type { TcpOption } from './packet.js';
import { viewOf } from './bytes.js';
import { decodeMptcpOption, MPTCP_KIND, mptcpOptionLength, writeMptcpOption } from './mptcp-options.js';

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
  MD5: 19,
  MPTCP: MPTCP_KIND,
  FASTOPEN: 34,
  EXPERIMENTAL: 254,
} as const;

/** Magic of Fast Open in the experimental option kind 254 (RFC 7413 §4.1.1). */
export const FASTOPEN_MAGIC = 0xf989;

function malformed(b: Uint8Array, start: number, at: number, end: number, reason: string): TcpOption {
  return { kind: 'malformed', offset: at - start, reason, bytes: b.subarray(at, end) };
}

/**
 * Decode the options in b[start, end) (the TCP option space) into `out`. Offsets in
 * `malformed` options are relative to `start`. Returned byte fields are views into `b`.
 */
export function decodeTcpOptionsInto(b: Uint8Array, v: DataView, start: number, end: number, out: TcpOption[]): void {
  let p = start;
  while (p < end) {
    const kind = b[p]!;
    if (kind === TcpOptionKind.EOL) {
      out.push(p + 1 < end ? { kind: 'eol', padding: b.subarray(p + 1, end) } : { kind: 'eol' });
      return;
    }
    if (kind === TcpOptionKind.NOP) {
      out.push({ kind: 'nop' });
      p++;
      continue;
    }
    if (p + 1 >= end) {
      out.push(malformed(b, start, p, end, `option kind ${kind} truncated: no length byte`));
      return;
    }
    const len = b[p + 1]!;
    if (len < 2) {
      out.push(malformed(b, start, p, end, `option kind ${kind} has length ${len}`));
      return;
    }
    if (p + len > end) {
      out.push(malformed(b, start, p, end, `option kind ${kind} length ${len} overruns the option space (${end - p} bytes left)`));
      return;
    }
    out.push(decodeOne(b, v, p, kind, len));
    p += len;
  }
}

function rawOption(b: Uint8Array, p: number, kind: number, len: number): TcpOption {
  return { kind: 'unknown', code: kind, data: b.subarray(p + 2, p + len) };
}

function decodeOne(b: Uint8Array, v: DataView, p: number, kind: number, len: number): TcpOption {
  switch (kind) {
    case TcpOptionKind.MSS:
      return len === 4 ? { kind: 'mss', mss: v.getUint16(p + 2) } : rawOption(b, p, kind, len);
    case TcpOptionKind.WSCALE:
      return len === 3 ? { kind: 'wscale', shift: b[p + 2]! } : rawOption(b, p, kind, len);
    case TcpOptionKind.SACK_PERMITTED:
      return len === 2 ? { kind: 'sack_permitted' } : rawOption(b, p, kind, len);
    case TcpOptionKind.SACK: {
      if ((len - 2) % 8 !== 0) return rawOption(b, p, kind, len);
      const blocks: Array<[number, number]> = [];
      for (let q = p + 2; q < p + len; q += 8) blocks.push([v.getUint32(q), v.getUint32(q + 4)]);
      return { kind: 'sack', blocks };
    }
    case TcpOptionKind.TIMESTAMP:
      return len === 10 ? { kind: 'timestamp', val: v.getUint32(p + 2), ecr: v.getUint32(p + 6) } : rawOption(b, p, kind, len);
    case TcpOptionKind.MD5:
      return len === 18 ? { kind: 'md5', digest: b.subarray(p + 2, p + 18) } : rawOption(b, p, kind, len);
    case TcpOptionKind.FASTOPEN:
      return { kind: 'fastopen', experimental: false, cookie: b.subarray(p + 2, p + len) };
    case TcpOptionKind.EXPERIMENTAL:
      if (len >= 4 && v.getUint16(p + 2) === FASTOPEN_MAGIC) {
        return { kind: 'fastopen', experimental: true, cookie: b.subarray(p + 4, p + len) };
      }
      return rawOption(b, p, kind, len);
    case TcpOptionKind.MPTCP:
      return len >= 3 ? decodeMptcpOption(b, v, p, len) : rawOption(b, p, kind, len);
    default:
      return rawOption(b, p, kind, len);
  }
}

/** Decode a whole option space (the bytes between the fixed TCP header and the payload). */
export function decodeTcpOptions(bytes: Uint8Array): TcpOption[] {
  const out: TcpOption[] = [];
  decodeTcpOptionsInto(bytes, viewOf(bytes), 0, bytes.length, out);
  return out;
}

/** Wire bytes of one option (for `eol`, its kept padding too; for `malformed`, its raw bytes). */
export function tcpOptionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
      return 1 + (o.padding ? o.padding.length : 0);
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sack_permitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'fastopen':
      return (o.experimental ? 4 : 2) + o.cookie.length;
    case 'md5':
      return 18;
    case 'mptcp':
      return mptcpOptionLength(o);
    case 'unknown':
      return 2 + o.data.length;
    case 'malformed':
      return o.bytes.length;
  }
}

/** Total wire bytes of an option list (before any padding to a multiple of 4). */
export function tcpOptionsLength(opts: TcpOption[]): number {
  let n = 0;
  for (let i = 0; i < opts.length; i++) n += tcpOptionLength(opts[i]!);
  return n;
}

/** Write one option at `p`; returns the offset after it. */
export function writeTcpOption(b: Uint8Array, v: DataView, p: number, o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
      b[p] = 0;
      if (o.padding) b.set(o.padding, p + 1);
      return p + 1 + (o.padding ? o.padding.length : 0);
    case 'nop':
      b[p] = 1;
      return p + 1;
    case 'mss':
      b[p] = 2;
      b[p + 1] = 4;
      v.setUint16(p + 2, o.mss & 0xffff);
      return p + 4;
    case 'wscale':
      b[p] = 3;
      b[p + 1] = 3;
      b[p + 2] = o.shift & 0xff;
      return p + 3;
    case 'sack_permitted':
      b[p] = 4;
      b[p + 1] = 2;
      return p + 2;
    case 'sack': {
      b[p] = 5;
      b[p + 1] = (2 + 8 * o.blocks.length) & 0xff;
      let q = p + 2;
      for (const [l, r] of o.blocks) {
        v.setUint32(q, l >>> 0);
        v.setUint32(q + 4, r >>> 0);
        q += 8;
      }
      return q;
    }
    case 'timestamp':
      b[p] = 8;
      b[p + 1] = 10;
      v.setUint32(p + 2, o.val >>> 0);
      v.setUint32(p + 6, o.ecr >>> 0);
      return p + 10;
    case 'fastopen': {
      const len = tcpOptionLength(o);
      b[p] = o.experimental ? TcpOptionKind.EXPERIMENTAL : TcpOptionKind.FASTOPEN;
      b[p + 1] = len & 0xff;
      if (o.experimental) v.setUint16(p + 2, FASTOPEN_MAGIC);
      b.set(o.cookie, p + len - o.cookie.length);
      return p + len;
    }
    case 'md5':
      b[p] = 19;
      b[p + 1] = 18;
      b.set(o.digest.length > 16 ? o.digest.subarray(0, 16) : o.digest, p + 2);
      return p + 18;
    case 'mptcp':
      return writeMptcpOption(b, v, p, o);
    case 'unknown':
      b[p] = o.code & 0xff;
      b[p + 1] = (2 + o.data.length) & 0xff;
      b.set(o.data, p + 2);
      return p + 2 + o.data.length;
    case 'malformed':
      b.set(o.bytes, p);
      return p + o.bytes.length;
  }
}

/** The bytes of an option list, exactly (no padding added). */
export function encodeTcpOptions(opts: TcpOption[]): Uint8Array {
  const out = new Uint8Array(tcpOptionsLength(opts));
  const v = viewOf(out);
  let p = 0;
  for (let i = 0; i < opts.length; i++) p = writeTcpOption(out, v, p, opts[i]!);
  return out;
}

