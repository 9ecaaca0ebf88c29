// recvmsg control messages the script expects:
//   msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=0}, ...]
// compared one by one, in order, with what the call returned: cmsg_len when written, level,
// type, and the data: an integer against the data read as a little-endian integer of its own
// width, a `{ee_...}` struct against struct sock_extended_err field by field. Timestamps
// (`{scm_sec=..., scm_nsec=...}`) are wall-clock values a script cannot know: only the message
// is required. Without a trailing `...` the call must return exactly the messages written.

import type { Expr, StructExpr } from '../../script/ast.js';
import { decodeStruct } from '../../sys/struct-layout.js';
import { CMSGHDR_LAYOUT, decodeControl, SOCK_EXTENDED_ERR_LAYOUT, type ControlMessage } from '../../sys/structs.js';
import { countMismatch, elementList, fieldMismatch, showInt, wantedFields, written } from './expect-struct.js';
import { CallError, intArg, readIntLe, tryInt } from './expr.js';
import type { OutputCheck } from './outputs.js';

type MessageCheck = (m: ControlMessage, what: string) => string | undefined;

const equal = (name: string, exp: bigint, got: bigint, what: string): string | undefined =>
  exp === got ? undefined : `${what} ${name}: expected: ${showInt(exp)} vs actual: ${showInt(got)}`;

function dataCheck(e: Expr | undefined): MessageCheck | undefined {
  if (e === undefined) return undefined;
  const n = tryInt(e);
  if (n !== undefined) {
    return (m, what) => equal('cmsg_data', BigInt.asIntN(8 * Math.min(8, Math.max(1, m.data.length)), n), readIntLe(m.data, m.data.length), what);
  }
  if (e.kind !== 'struct') throw new CallError('cmsg_data must be an integer or a {ee_...} / {scm_...} struct', e.range);
  if (e.fields.some((f) => f.name?.startsWith('scm_'))) return undefined;
  const wanted = wantedFields(e, SOCK_EXTENDED_ERR_LAYOUT);
  return (m, what) => fieldMismatch(wanted, decodeStruct(SOCK_EXTENDED_ERR_LAYOUT, m.data), `${what} cmsg_data`, `not returned: ${m.data.length} data bytes`);
}

function messageCheck(s: StructExpr): MessageCheck {
  const int = (name: string): bigint | undefined => {
    const e = written(s, name);
    return e === undefined ? undefined : BigInt(intArg(e, name));
  };
  const len = int('cmsg_len');
  const level = int('cmsg_level');
  const type = int('cmsg_type');
  const data = dataCheck(written(s, 'cmsg_data'));
  return (m, what) =>
    (len === undefined ? undefined : equal('cmsg_len', len, BigInt(CMSGHDR_LAYOUT.size + m.data.length), what))
    ?? (level === undefined ? undefined : equal('cmsg_level', level, BigInt(m.level), what))
    ?? (type === undefined ? undefined : equal('cmsg_type', type, BigInt(m.type), what))
    ?? data?.(m, what);
}

/** The check of a written `msg_control=[...]`, or undefined when it is `...`. */
export function controlCheck(e: Expr | undefined): OutputCheck | undefined {
  const list = elementList(e, 'recvmsg msg_control');
  if (!list) return undefined;
  const checks = list.items.map((it) => (it ? messageCheck(it) : undefined));
  return (r) => {
    if (r.ret < 0 || r.out?.kind !== 'data') return undefined;
    const got = decodeControl(r.out.control ?? new Uint8Array(0));
    const counted = countMismatch(list, got.length, 'recvmsg msg_control');
    if (counted) return counted;
    for (const [i, check] of checks.entries()) {
      const m = check?.(got[i]!, `recvmsg msg_control[${i}]`);
      if (m) return m;
    }
    return undefined;
  };
}
