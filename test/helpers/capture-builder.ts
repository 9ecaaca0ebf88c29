// Builds captures byte by byte for reader tests: classic pcap with any link type, byte order
// and time unit, and pcapng blocks, so every framing the reader accepts can be exercised.

export type Endian = 'le' | 'be';

class ByteWriter {
  private readonly parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [(v >>> 8) & 0xff, v & 0xff];
    this.parts.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    this.parts.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface ClassicRecord {
  data: Uint8Array;
  seconds: number;
  /** Microseconds, or nanoseconds for a nano capture. */
  fraction: number;
  /** Defaults to data.length; set it to make the record lie. */
  capturedLength?: number;
  originalLength?: number;
}

export function classicPcap(options: { endian: Endian; nano?: boolean; linktype: number; snaplen?: number }, records: ClassicRecord[]): Uint8Array {
  const w = new ByteWriter(options.endian === 'le');
  w.u32(options.nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(options.snaplen ?? 65535).u32(options.linktype);
  for (const r of records) {
    w.u32(r.seconds).u32(r.fraction).u32(r.capturedLength ?? r.data.length).u32(r.originalLength ?? r.data.length).bytes(r.data);
  }
  return w.done();
}

/** One pcapng block with a correct (or a deliberately wrong trailing) length. */
function block(le: boolean, type: number, body: (w: ByteWriter) => void, trailingLength?: number): Uint8Array {
  const inner = new ByteWriter(le);
  body(inner);
  inner.pad4();
  const length = 12 + inner.length;
  return new ByteWriter(le).u32(type).u32(length).bytes(inner.done()).u32(trailingLength ?? length).done();
}

export const ngBlocks = {
  shb(endian: Endian): Uint8Array {
    return block(endian === 'le', 0x0a0d0d0a, (w) => w.u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n & 0xffffffffffffffffn));
  },
  idb(endian: Endian, linktype: number, tsresol?: number, tsoffset?: bigint): Uint8Array {
    return block(endian === 'le', 1, (w) => {
      w.u16(linktype).u16(0).u32(0);
      if (tsresol !== undefined) w.u16(9).u16(1).u8(tsresol).pad4();
      if (tsoffset !== undefined) w.u16(14).u16(8).u64(tsoffset);
      if (tsresol !== undefined || tsoffset !== undefined) w.u16(0).u16(0);
    });
  },
  epb(endian: Endian, iface: number, timestamp: bigint, data: Uint8Array, capturedLength?: number): Uint8Array {
    return block(endian === 'le', 6, (w) =>
      w.u32(iface).u32(Number(timestamp >> 32n)).u32(Number(timestamp & 0xffffffffn)).u32(capturedLength ?? data.length).u32(data.length).bytes(data),
    );
  },
  spb(endian: Endian, data: Uint8Array, originalLength?: number): Uint8Array {
    return block(endian === 'le', 3, (w) => w.u32(originalLength ?? data.length).bytes(data));
  },
  /** The obsolete Packet Block (type 2). */
  pb(endian: Endian, iface: number, timestamp: bigint, data: Uint8Array): Uint8Array {
    return block(endian === 'le', 2, (w) =>
      w.u16(iface).u16(0).u32(Number(timestamp >> 32n)).u32(Number(timestamp & 0xffffffffn)).u32(data.length).u32(data.length).bytes(data),
    );
  },
  /** A block of a type the reader does not know (e.g. a name-resolution block, type 4). */
  other(endian: Endian, type: number, body: Uint8Array): Uint8Array {
    return block(endian === 'le', type, (w) => w.bytes(body));
  },
  withTrailingLength(endian: Endian, type: number, body: Uint8Array, trailing: number): Uint8Array {
    return block(endian === 'le', type, (w) => w.bytes(body), trailing);
  },
};

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** A minimal, valid-looking IPv4 or IPv6 header + bytes, distinct per `tag`, enough for link-layer tests. */
export function fakeIp(version: 4 | 6, tag: number): Uint8Array {
  const b = new Uint8Array(version === 4 ? 24 : 44);
  b[0] = version === 4 ? 0x45 : 0x60;
  b[b.length - 1] = tag;
  return b;
}

/** Link-layer wrappers around an IP packet. */
export const frameFor = {
  ethernet(ip: Uint8Array, vlan = false): Uint8Array {
    const ethertype = ip[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00];
    const macs = new Uint8Array(12).fill(0xaa);
    const tag = vlan ? [0x81, 0x00, 0x00, 0x05] : [];
    return concat(macs, Uint8Array.from([...tag, ...ethertype]), ip);
  },
  sll(ip: Uint8Array): Uint8Array {
    const h = new Uint8Array(16);
    h[1] = 0; // packet type: to us
    h[3] = 1; // ARPHRD_ETHER
    h[5] = 6;
    h.set(ip[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00], 14);
    return concat(h, ip);
  },
  sll2(ip: Uint8Array): Uint8Array {
    const h = new Uint8Array(20);
    h.set(ip[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00], 0);
    h[7] = 2; // interface index
    h[9] = 1; // ARPHRD_ETHER
    h[11] = 6;
    return concat(h, ip);
  },
  loopback(ip: Uint8Array, family: number, endian: Endian): Uint8Array {
    const h = new Uint8Array(4);
    new DataView(h.buffer).setUint32(0, family, endian === 'le');
    return concat(h, ip);
  },
};
