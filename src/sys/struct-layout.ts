// Table-driven C struct layouts (Linux x86-64): a struct is declared once as an ordered field
// list, offsets follow from natural alignment exactly as the C compiler places them, and one
// generic encoder/decoder serves every struct. Field values are plain numbers, or bigint for
// 64-bit fields, keyed by the C field name.

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'be16' | 'be32';

/** One declaration in a struct's field list. */
export type FieldDecl =
  | { kind: 'scalar'; name: string; type: ScalarType }
  /** Several C bitfields sharing one storage unit, lowest bits first (GCC on x86-64). */
  | { kind: 'bits'; type: ScalarType; parts: ReadonlyArray<readonly [name: string, width: number]> }
  /** Bytes nobody names (explicit reserved arrays); aligned to 1. */
  | { kind: 'pad'; size: number }
  /** Raise the alignment of the next field (e.g. `__aligned(8)` members). */
  | { kind: 'align'; to: number };

export interface PlacedField {
  name: string;
  offset: number;
  type: ScalarType;
  /** Bitfield position inside the storage unit, when the field is a bitfield. */
  shift?: number;
  width?: number;
}

export interface StructLayout {
  name: string;
  size: number;
  align: number;
  fields: readonly PlacedField[];
  byName: ReadonlyMap<string, PlacedField>;
}

export type StructValues = Record<string, number | bigint>;

const SIZE: Record<ScalarType, number> = {
  u8: 1, i8: 1, u16: 2, i16: 2, be16: 2, u32: 4, i32: 4, be32: 4, u64: 8, i64: 8,
};

export const f = (name: string, type: ScalarType): FieldDecl => ({ kind: 'scalar', name, type });
export const bits = (type: ScalarType, ...parts: Array<readonly [string, number]>): FieldDecl => ({ kind: 'bits', type, parts });
export const pad = (size: number): FieldDecl => ({ kind: 'pad', size });
export const alignTo = (to: number): FieldDecl => ({ kind: 'align', to });

/** Bytes of one scalar field. */
export const scalarSize = (type: ScalarType): number => SIZE[type];

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Places the fields as GCC does on x86-64 and computes the padded struct size. */
export function defineStruct(
  name: string,
  decls: readonly FieldDecl[],
  opts: { minAlign?: number; packed?: boolean } = {},
): StructLayout {
  const fields: PlacedField[] = [];
  let offset = 0;
  let align = opts.minAlign ?? 1;
  let pendingAlign = 1;
  for (const d of decls) {
    if (d.kind === 'align') { pendingAlign = d.to; align = Math.max(align, d.to); continue; }
    if (d.kind === 'pad') { offset = roundUp(offset, pendingAlign) + d.size; pendingAlign = 1; continue; }
    const size = SIZE[d.type];
    // __attribute__((packed)) structs (epoll_event on x86-64) place every member at the next byte.
    const natural = opts.packed ? 1 : size;
    offset = roundUp(offset, Math.max(natural, pendingAlign));
    pendingAlign = 1;
    align = Math.max(align, natural);
    if (d.kind === 'scalar') fields.push({ name: d.name, offset, type: d.type });
    else {
      let shift = 0;
      for (const [part, width] of d.parts) { fields.push({ name: part, offset, type: d.type, shift, width }); shift += width; }
    }
    offset += size;
  }
  const size = roundUp(offset, align);
  return { name, size, align, fields, byName: new Map(fields.map((x) => [x.name, x])) };
}

function readScalar(view: DataView, off: number, type: ScalarType): number | bigint {
  switch (type) {
    case 'u8': return view.getUint8(off);
    case 'i8': return view.getInt8(off);
    case 'u16': return view.getUint16(off, true);
    case 'i16': return view.getInt16(off, true);
    case 'be16': return view.getUint16(off, false);
    case 'u32': return view.getUint32(off, true);
    case 'i32': return view.getInt32(off, true);
    case 'be32': return view.getUint32(off, false);
    case 'u64': return view.getBigUint64(off, true);
    case 'i64': return view.getBigInt64(off, true);
  }
}

function writeScalar(view: DataView, off: number, type: ScalarType, v: number | bigint): void {
  switch (type) {
    case 'u8': case 'i8': view.setUint8(off, Number(v) & 0xff); return;
    case 'u16': case 'i16': view.setUint16(off, Number(v) & 0xffff, true); return;
    case 'be16': view.setUint16(off, Number(v) & 0xffff, false); return;
    case 'u32': case 'i32': view.setUint32(off, Number(v) >>> 0, true); return;
    case 'be32': view.setUint32(off, Number(v) >>> 0, false); return;
    case 'u64': case 'i64': view.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true); return;
  }
}

const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Decodes the fields that lie entirely inside `bytes` (a kernel that truncates to the caller's
 * length, or an older kernel's shorter struct, simply yields fewer fields), starting at `at`.
 */
export function decodeStruct(layout: StructLayout, bytes: Uint8Array, at = 0): StructValues {
  const view = viewOf(bytes);
  const out: StructValues = {};
  for (const fd of layout.fields) {
    const end = at + fd.offset + SIZE[fd.type];
    if (end > bytes.byteLength) continue;
    const raw = readScalar(view, at + fd.offset, fd.type);
    out[fd.name] = fd.width === undefined ? raw : (Number(raw) >>> (fd.shift ?? 0)) & ((1 << fd.width) - 1);
  }
  return out;
}

/** Encodes `values` (missing fields are 0) into a new buffer of the struct's size, or into `into` at `at`. */
export function encodeStruct(layout: StructLayout, values: Partial<StructValues>, into?: Uint8Array, at = 0): Uint8Array {
  const bytes = into ?? new Uint8Array(layout.size);
  const view = viewOf(bytes);
  for (const fd of layout.fields) {
    const v = values[fd.name];
    if (v === undefined) continue;
    if (fd.width === undefined) { writeScalar(view, at + fd.offset, fd.type, v); continue; }
    const mask = ((1 << fd.width) - 1) << (fd.shift ?? 0);
    const cur = Number(readScalar(view, at + fd.offset, fd.type));
    writeScalar(view, at + fd.offset, fd.type, (cur & ~mask) | ((Number(v) << (fd.shift ?? 0)) & mask));
  }
  return bytes;
}

/** Field names in declaration order, e.g. for exporting every `tcpi_*` name to a Python block. */
export const fieldNames = (layout: StructLayout): string[] => layout.fields.map((x) => x.name);
