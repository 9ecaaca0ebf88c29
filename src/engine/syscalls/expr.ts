// Evaluating the script's argument expressions (docs/language.md §6.1) to concrete values. Symbols
// were resolved by the script model; here they become numbers, strings become bytes.

import type { Expr, SourceRange, StructExpr, StructField } from '../../script/ast.js';

/** A call that cannot be performed as written: the runner reports it on the call's line. */
export class CallError extends Error {
  constructor(message: string, readonly range?: SourceRange) {
    super(message);
    this.name = 'CallError';
  }
}

export const isEllipsis = (e: Expr | undefined): boolean => e === undefined || e.kind === 'ellipsis';

const swap16 = (n: bigint): bigint => ((n & 0xffn) << 8n) | ((n >> 8n) & 0xffn);
const swap32 = (n: bigint): bigint =>
  ((n & 0xffn) << 24n) | (((n >> 8n) & 0xffn) << 16n) | (((n >> 16n) & 0xffn) << 8n) | ((n >> 24n) & 0xffn);

/** Integer value of an expression, or undefined when it is not an integer expression. */
export function tryInt(e: Expr): bigint | undefined {
  switch (e.kind) {
    case 'int': return e.value;
    case 'symbol': return e.value;
    case 'or': {
      let v = 0n;
      for (const t of e.terms) {
        const x = tryInt(t);
        if (x === undefined) return undefined;
        v |= x;
      }
      return v;
    }
    case 'binary': {
      const l = tryInt(e.left);
      const r = tryInt(e.right);
      if (l === undefined || r === undefined) return undefined;
      return e.op === '+' ? l + r : l - r;
    }
    case 'call': {
      const a = e.args[0] ? tryInt(e.args[0]) : undefined;
      if (a === undefined) return undefined;
      if (e.fn === 'htons') return swap16(a & 0xffffn);
      if (e.fn === 'htonl') return swap32(a & 0xffffffffn);
      return undefined;
    }
    // `[1]` where a plain integer is wanted (a pointer to an int): its element.
    case 'array': return e.items.length === 1 && e.items[0] ? tryInt(e.items[0]) : undefined;
    default: return undefined;
  }
}

/** Integer value as a JS number; a CallError naming `what` when the expression is not one. */
export function intArg(e: Expr | undefined, what: string, range?: SourceRange): number {
  if (e === undefined) throw new CallError(`missing ${what} argument`, range);
  const v = tryInt(e);
  if (v === undefined) throw new CallError(`${what} must be an integer expression`, e.range);
  return Number(v);
}

/**
 * A byte count (write, read, iov_len, sendfile): a 32-bit int, as packetdrill reads it (and as
 * the kernel caps a transfer at INT_MAX), so a count no buffer could hold is a line error
 * rather than an allocation that fails.
 */
export function lengthArg(e: Expr | undefined, what: string, range?: SourceRange): number {
  const n = intArg(e, what, range);
  if (n > 0x7fffffff || n < -0x80000000) throw new CallError(`${what} ${n} is out of range for a 32-bit integer`, e?.range ?? range);
  return n;
}

/** Like intArg, exact beyond 2^53 (64-bit struct fields such as mptcpi_rcv_nxt). */
export function bigintArg(e: Expr, what: string): bigint {
  const v = tryInt(e);
  if (v === undefined) throw new CallError(`${what} must be an integer expression`, e.range);
  return v;
}

/** Like intArg, with a default for `...`. */
export function intOr(e: Expr | undefined, fallback: number, what: string): number {
  return isEllipsis(e) ? fallback : intArg(e, what);
}

/** Bytes of a string expression (each character one byte, as C sees the literal). */
export function stringBytes(value: string): Uint8Array {
  return Uint8Array.from(Buffer.from(value, 'latin1'));
}

export function field(s: StructExpr, name: string): StructField | undefined {
  return s.fields.find((f) => f.name === name);
}

/** Elements of a list argument: `[a, b]` gives its items, a single struct gives itself. */
export function listItems(e: Expr): Expr[] {
  return e.kind === 'array' ? e.items : [e];
}

export function int32le(v: number | bigint): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, Number(BigInt.asIntN(32, BigInt(v))), true);
  return b;
}

/** Reads a little-endian integer of the given width (1, 2, 4 or 8) from the start of `b`. */
export function readIntLe(b: Uint8Array, width: number): bigint {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width >= 8 && b.length >= 8) return v.getBigInt64(0, true);
  if (width >= 4 && b.length >= 4) return BigInt(v.getInt32(0, true));
  if (width >= 2 && b.length >= 2) return BigInt(v.getUint16(0, true));
  if (b.length >= 1) return BigInt(b[0]!);
  return 0n;
}
