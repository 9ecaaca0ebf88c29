// Reader for pcapng: sections in either byte order, one link type and time resolution per
// interface, enhanced / simple / obsolete packet blocks; every other block is skipped.

import type { CaptureFrame, CaptureReadResult } from './frame.js';
import { extractIp } from './linktype.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Interface {
  linktype: number;
  /** Timestamp units per second. */
  unitsPerSecond: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetSeconds: number;
}

export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

function timestampSeconds(high: number, low: number, iface: Interface): number {
  const per = iface.unitsPerSecond;
  const units = high * 4294967296 + low;
  let seconds: number;
  let rest: number;
  if (units <= Number.MAX_SAFE_INTEGER && per <= Number.MAX_SAFE_INTEGER) {
    // Whole seconds and the remainder in exact integer arithmetic, then the same
    // `seconds + rest / per` as the classic reader, so both give the same number for a stamp.
    seconds = Math.floor(units / per);
    rest = units - seconds * per;
    if (rest < 0) (seconds -= 1), (rest += per);
    else if (rest >= per) (seconds += 1), (rest -= per);
  } else {
    // Nanosecond stamps can exceed 2^53: split with bigint so the fraction keeps its precision.
    const big = (BigInt(high) << 32n) | BigInt(low);
    const bigPer = BigInt(per);
    seconds = Number(big / bigPer);
    rest = Number(big % bigPer);
  }
  return seconds + rest / per + iface.offsetSeconds;
}

/** Parses the option list of an IDB (starting at `start`, ending at `end`) into the interface. */
function readInterfaceOptions(view: DataView, start: number, end: number, le: boolean, iface: Interface): void {
  let at = start;
  while (at + 4 <= end) {
    const code = view.getUint16(at, le);
    const length = view.getUint16(at + 2, le);
    if (code === OPT_END || at + 4 + length > end) return;
    if (code === OPT_IF_TSRESOL && length >= 1) {
      const resol = view.getUint8(at + 4);
      const exponent = resol & 0x7f;
      iface.unitsPerSecond = resol & 0x80 ? 2 ** exponent : 10 ** exponent;
    } else if (code === OPT_IF_TSOFFSET && length >= 8) {
      iface.offsetSeconds = Number(view.getBigInt64(at + 4, le));
    }
    at += 4 + ((length + 3) & ~3);
  }
}

export function readPcapng(bytes: Uint8Array): CaptureReadResult {
  const frames: CaptureFrame[] = [];
  const result: CaptureReadResult = { format: 'pcapng', frames };
  if (!isPcapng(bytes)) return { frames, error: 'not a pcap or pcapng capture' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let interfaces: Interface[] = [];
  let offset = 0;

  const fail = (sentence: string): CaptureReadResult => {
    result.error = sentence;
    return result;
  };
  const addFrame = (iface: Interface, time: number, data: Uint8Array, originalLength: number): void => {
    frames.push({ index: frames.length + 1, time, linktype: iface.linktype, originalLength, ...extractIp(iface.linktype, data) });
  };

  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < 12) return fail(`block at offset ${offset} is truncated (${left} bytes left, a block needs at least 12)`);
    const type = view.getUint32(offset, le);
    if (type === PCAPNG_SHB) {
      // A new section: its own byte order, its own interfaces.
      const order = view.getUint32(offset + 8, true);
      if (order === BYTE_ORDER_MAGIC) le = true;
      else if (order === 0x4d3c2b1a) le = false;
      else return fail(`section header at offset ${offset} has no valid byte-order magic`);
      interfaces = [];
    }
    const length = view.getUint32(offset + 4, le);
    if (length < 12 || length % 4 !== 0) return fail(`block at offset ${offset} has an invalid length ${length}`);
    if (length > left) return fail(`block at offset ${offset} is truncated (${length} bytes announced, ${left} left in the file)`);
    const trailing = view.getUint32(offset + length - 4, le);
    if (trailing !== length) {
      return fail(`block at offset ${offset} lies about its length (${length} at the start, ${trailing} at the end)`);
    }
    const body = offset + 8;
    const bodyEnd = offset + length - 4;
    const bodyLength = bodyEnd - body;

    const packetIface = (id: number): Interface | string =>
      interfaces[id] ?? `packet block at offset ${offset} refers to interface ${id}, but the section declares ${interfaces.length}`;

    if (type === BLOCK_IDB) {
      if (bodyLength < 8) return fail(`interface block at offset ${offset} is too short (${bodyLength}-byte body)`);
      const iface: Interface = { linktype: view.getUint16(body, le), unitsPerSecond: 1e6, offsetSeconds: 0 };
      readInterfaceOptions(view, body + 8, bodyEnd, le, iface);
      interfaces.push(iface);
    } else if (type === BLOCK_EPB || type === BLOCK_PB) {
      if (bodyLength < 20) return fail(`packet block at offset ${offset} is too short (${bodyLength}-byte body)`);
      const id = type === BLOCK_EPB ? view.getUint32(body, le) : view.getUint16(body, le);
      const iface = packetIface(id);
      if (typeof iface === 'string') return fail(iface);
      const captured = view.getUint32(body + 12, le);
      if (captured > bodyLength - 20) {
        return fail(`packet block at offset ${offset} claims ${captured} captured bytes but holds ${bodyLength - 20}`);
      }
      const time = timestampSeconds(view.getUint32(body + 4, le), view.getUint32(body + 8, le), iface);
      addFrame(iface, time, bytes.subarray(body + 20, body + 20 + captured), view.getUint32(body + 16, le));
    } else if (type === BLOCK_SPB) {
      if (bodyLength < 4) return fail(`simple packet block at offset ${offset} is too short (${bodyLength}-byte body)`);
      const iface = packetIface(0);
      if (typeof iface === 'string') return fail(iface);
      const original = view.getUint32(body, le);
      // An SPB has no captured-length field: it is the original length, cut by the block size.
      const captured = Math.min(original, bodyLength - 4);
      addFrame(iface, NaN, bytes.subarray(body + 4, body + 4 + captured), original);
    }
    offset += length;
  }
  return result;
}
