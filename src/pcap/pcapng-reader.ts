// Reader for pcapng: sections in either byte order, one link type and time resolution per
// interface, enhanced / simple / obsolete packet blocks; every other block is skipped.

import type { CaptureFrame } from './frame.js';
import type { ByteSource } from './source.js';
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

/** Largest block read (memory stays bounded); Wireshark refuses blocks past 16 MiB. */
const MAX_BLOCK = 64 << 20;

/** The frames of a pcapng capture, read front to back; `end.error` says what stopped them early. */
export function* pcapngFrames(source: ByteSource, end: { error?: string }): Generator<CaptureFrame> {
  if (!isPcapng(source.read(0, 4))) {
    end.error = 'not a pcap or pcapng capture';
    return;
  }
  let le = true;
  let interfaces: Interface[] = [];
  let offset = 0;
  let index = 0;

  for (;;) {
    const head = source.read(offset, 12);
    if (head.length === 0) return;
    if (head.length < 12) {
      end.error = `block at offset ${offset} is truncated (${head.length} bytes left, a block needs at least 12)`;
      return;
    }
    const headView = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const type = headView.getUint32(0, le);
    if (type === PCAPNG_SHB) {
      // A new section: its own byte order, its own interfaces.
      const order = headView.getUint32(8, true);
      if (order === BYTE_ORDER_MAGIC) le = true;
      else if (order === 0x4d3c2b1a) le = false;
      else {
        end.error = `section header at offset ${offset} has no valid byte-order magic`;
        return;
      }
      interfaces = [];
    }
    const length = headView.getUint32(4, le);
    if (length < 12 || length % 4 !== 0) {
      end.error = `block at offset ${offset} has an invalid length ${length}`;
      return;
    }
    if (length > MAX_BLOCK) {
      end.error = `block at offset ${offset} claims ${length} bytes, more than any capture allows`;
      return;
    }
    const block = source.read(offset, length);
    if (block.length < length) {
      end.error = `block at offset ${offset} is truncated (${length} bytes announced, ${block.length} left in the file)`;
      return;
    }
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const trailing = view.getUint32(length - 4, le);
    if (trailing !== length) {
      end.error = `block at offset ${offset} lies about its length (${length} at the start, ${trailing} at the end)`;
      return;
    }
    const body = 8;
    const bodyEnd = length - 4;
    const bodyLength = bodyEnd - body;
    const fail = (sentence: string): void => {
      end.error = sentence;
    };
    const packetIface = (id: number): Interface | undefined => {
      const iface = interfaces[id];
      if (!iface) fail(`packet block at offset ${offset} refers to interface ${id}, but the section declares ${interfaces.length}`);
      return iface;
    };

    if (type === BLOCK_IDB) {
      if (bodyLength < 8) return fail(`interface block at offset ${offset} is too short (${bodyLength}-byte body)`);
      const iface: Interface = { linktype: view.getUint16(body, le), unitsPerSecond: 1e6, offsetSeconds: 0 };
      readInterfaceOptions(view, body + 8, bodyEnd, le, iface);
      interfaces.push(iface);
    } else if (type === BLOCK_EPB || type === BLOCK_PB) {
      if (bodyLength < 20) return fail(`packet block at offset ${offset} is too short (${bodyLength}-byte body)`);
      const iface = packetIface(type === BLOCK_EPB ? view.getUint32(body, le) : view.getUint16(body, le));
      if (!iface) return;
      const captured = view.getUint32(body + 12, le);
      if (captured > bodyLength - 20) {
        return fail(`packet block at offset ${offset} claims ${captured} captured bytes but holds ${bodyLength - 20}`);
      }
      const time = timestampSeconds(view.getUint32(body + 4, le), view.getUint32(body + 8, le), iface);
      const data = block.subarray(body + 20, body + 20 + captured);
      yield { index: ++index, time, linktype: iface.linktype, originalLength: view.getUint32(body + 16, le), ...extractIp(iface.linktype, data) };
    } else if (type === BLOCK_SPB) {
      if (bodyLength < 4) return fail(`simple packet block at offset ${offset} is too short (${bodyLength}-byte body)`);
      const iface = packetIface(0);
      if (!iface) return;
      const original = view.getUint32(body, le);
      // An SPB has no captured-length field: it is the original length, cut by the block size.
      const captured = Math.min(original, bodyLength - 4);
      yield { index: ++index, time: NaN, linktype: iface.linktype, originalLength: original, ...extractIp(iface.linktype, block.subarray(body + 4, body + 4 + captured)) };
    }
    offset += length;
  }
}
