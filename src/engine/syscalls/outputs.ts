// Comparison of what a call wrote back against what the script wrote for it: getsockopt value
// and length, ioctl output, poll revents, epoll events, recvmsg msg_flags, and [ext] struct
// expectations `{tcpi_...=...}` / `{mptcpi_...=...}` that compare only the fields written.

import type { Expr, StructExpr } from '../../script/ast.js';
import type { SyscallResult } from '../../targets/target.js';
import { decodeStruct, type StructLayout } from '../../sys/struct-layout.js';
import { TCP_INFO_LAYOUT } from '../../sys/tcp-info.js';
import { MPTCP_INFO_LAYOUT } from '../../sys/mptcp-structs.js';
import { field, intArg, isEllipsis, readIntLe, stringBytes, tryInt } from './expr.js';
import { fieldMismatch, showInt, wantedFields } from './expect-struct.js';

/** Returns a sentence when the output differs from the script, undefined when it matches. */
export type OutputCheck = (r: SyscallResult) => string | undefined;

export const LINGER_SIZE = 8;

/** The layout a struct expectation names by its field prefix, if any. */
export function layoutFor(s: StructExpr): StructLayout | undefined {
  const first = s.fields.find((f) => f.name !== undefined)?.name ?? '';
  if (first.startsWith('tcpi_')) return TCP_INFO_LAYOUT;
  if (first.startsWith('mptcpi_')) return MPTCP_INFO_LAYOUT;
  return undefined;
}

const show = showInt;

/** Compares only the fields the script wrote; unknown names are a script error. */
export function structCheck(s: StructExpr, layout: StructLayout, what: string): OutputCheck {
  const wanted = wantedFields(s, layout);
  return (r) => {
    if (r.out?.kind !== 'opt') return `${what}: the call returned no value`;
    return fieldMismatch(wanted, decodeStruct(layout, r.out.value), what, `not returned; optlen ${r.out.optlen}`);
  };
}

/** getsockopt/ioctl value written by the script: `[N]`, N, `"text"`, `{onoff=, linger=}`, a tcpi/mptcpi struct. */
export function valueCheck(e: Expr, what: string): OutputCheck | undefined {
  if (isEllipsis(e)) return undefined;
  if (e.kind === 'string') {
    const exp = stringBytes(e.value);
    return (r) => {
      if (r.out?.kind !== 'opt') return `${what}: the call returned no value`;
      const nul = r.out.value.indexOf(0);
      const got = r.out.value.subarray(0, nul < 0 ? r.out.optlen : Math.min(nul, r.out.optlen));
      const gotText = Buffer.from(got).toString('latin1');
      return gotText === e.value || Buffer.from(exp).equals(Buffer.from(got)) ? undefined : `${what}: expected: "${e.value}" vs actual: "${gotText}"`;
    };
  }
  if (e.kind === 'struct') {
    const layout = layoutFor(e);
    if (layout) return structCheck(e, layout, what);
    const onoff = field(e, 'onoff');
    const linger = field(e, 'linger');
    if (onoff || linger) {
      return (r) => {
        if (r.out?.kind !== 'opt') return `${what}: the call returned no value`;
        const v = new DataView(r.out.value.buffer, r.out.value.byteOffset, r.out.value.byteLength);
        if (onoff && !isEllipsis(onoff.value) && v.getInt32(0, true) !== intArg(onoff.value, 'onoff')) {
          return `${what} onoff: expected: ${intArg(onoff.value, 'onoff')} vs actual: ${v.getInt32(0, true)}`;
        }
        if (linger && !isEllipsis(linger.value) && v.getInt32(4, true) !== intArg(linger.value, 'linger')) {
          return `${what} linger: expected: ${intArg(linger.value, 'linger')} vs actual: ${v.getInt32(4, true)}`;
        }
        return undefined;
      };
    }
    return undefined;
  }
  const exp = tryInt(e);
  if (exp === undefined) return undefined;
  return (r) => {
    if (r.out?.kind !== 'opt') return `${what}: the call returned no value`;
    const got = readIntLe(r.out.value, Math.min(r.out.optlen || r.out.value.length, 8));
    return got === exp ? undefined : `${what}: expected: ${show(exp)} vs actual: ${show(got)}`;
  };
}

/** The returned optlen against `[N]` / N written as the length argument. */
export function optlenCheck(e: Expr | undefined, what: string): OutputCheck | undefined {
  if (e === undefined || isEllipsis(e)) return undefined;
  const exp = tryInt(e);
  if (exp === undefined) return undefined;
  return (r) => {
    if (r.out?.kind !== 'opt') return undefined;
    return BigInt(r.out.optlen) === exp ? undefined : `${what}: expected: ${exp} vs actual: ${r.out.optlen}`;
  };
}

/** Size of the value an expectation describes, for a `...` length. */
export function valueSize(e: Expr): number {
  if (e.kind === 'string') return Math.max(e.value.length, 16);
  if (e.kind === 'struct') return layoutFor(e)?.size ?? (field(e, 'onoff') || field(e, 'linger') ? LINGER_SIZE : 4 * e.fields.length);
  return 4;
}

/** poll: `revents` of each written pollfd. */
export function pollCheck(items: Expr[]): OutputCheck | undefined {
  const wanted: Array<[number, bigint]> = [];
  items.forEach((it, i) => {
    if (it.kind !== 'struct') return;
    const rev = field(it, 'revents');
    if (rev && !isEllipsis(rev.value)) wanted.push([i, BigInt(intArg(rev.value, 'revents'))]);
  });
  if (wanted.length === 0) return undefined;
  return (r) => {
    if (r.out?.kind !== 'poll') return undefined;
    for (const [i, exp] of wanted) {
      const got = BigInt(r.out.revents[i] ?? 0);
      if (got !== exp) return `poll revents of entry ${i}: expected: ${show(exp)} vs actual: ${show(got)}`;
    }
    return undefined;
  };
}

/** epoll_event data as written: `fd=`, `u32=`, `u64=` or `ptr=`, compared literally. */
export function epollData(s: StructExpr): bigint | undefined {
  for (const name of ['fd', 'u32', 'u64', 'ptr']) {
    const f = field(s, name);
    if (f && !isEllipsis(f.value)) return BigInt(intArg(f.value, name));
  }
  return undefined;
}

/** epoll_wait: each written event against the returned list, in order. */
export function epollCheck(e: Expr): OutputCheck | undefined {
  if (isEllipsis(e)) return undefined;
  const items = (e.kind === 'array' ? e.items : [e]).filter((x): x is StructExpr => x.kind === 'struct');
  if (items.length === 0) return undefined;
  return (r) => {
    if (r.out?.kind !== 'epoll') return undefined;
    for (let i = 0; i < Math.min(items.length, r.ret); i++) {
      const s = items[i]!;
      const got = r.out.events[i];
      if (!got) return `epoll_wait event ${i}: expected an event vs actual: none`;
      const ev = field(s, 'events');
      if (ev && !isEllipsis(ev.value) && BigInt(got.events) !== BigInt(intArg(ev.value, 'events'))) {
        return `epoll_wait event ${i} events: expected: ${show(BigInt(intArg(ev.value, 'events')))} vs actual: ${show(BigInt(got.events))}`;
      }
      const data = epollData(s);
      if (data !== undefined && got.data !== data) return `epoll_wait event ${i} data: expected: ${data} vs actual: ${got.data}`;
    }
    return undefined;
  };
}

/** recvmsg: `msg_flags=` of the msghdr. */
export function msgFlagsCheck(s: StructExpr): OutputCheck | undefined {
  const f = field(s, 'msg_flags');
  if (!f || isEllipsis(f.value)) return undefined;
  const exp = BigInt(intArg(f.value, 'msg_flags'));
  return (r) => {
    if (r.out?.kind !== 'data' || r.out.flags === undefined) return undefined;
    const got = BigInt(r.out.flags);
    return got === exp ? undefined : `recvmsg msg_flags: expected: ${show(exp)} vs actual: ${show(got)}`;
  };
}
