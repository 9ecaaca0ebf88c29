// Wire length of every TCP and MPTCP option as a script writes it (docs/language.md §7.3, §8;
// RFC 8684 §3), so `check` can say "42 bytes of options" before anything runs. The
// lengths themselves come from the codec (src/wire): each written option is turned into a wire
// option of the same shape (placeholder values) and measured there, so the two never disagree.

import type { DssSpec, TcpOptionSpec } from '../ast.js';
import type { MptcpOption, TcpOption } from '../../wire/packet.js';
import { tcpOptionLength as wireLength } from '../../wire/tcp-options.js';

export interface LengthContext {
  /** DSS checksums were negotiated (flag_a on an MP_CAPABLE SYN or SYN/ACK seen so far). */
  checksums: boolean;
  /** Family of an unbound `add_address` name: the family of `ip_version`. */
  defaultFamily: 'inet' | 'inet6';
  /** Families of address names bound so far (from `inet6_addr(...)` and friends). */
  familyOf(name: string): 'inet' | 'inet6' | undefined;
}

const NONE = new Uint8Array(0);

function dssShape(o: DssSpec, ctx: LengthContext, outbound: boolean): MptcpOption | undefined {
  // A bare outbound `dss` accepts any shape: nothing to measure. Inbound it is a DACK-8 plus a
  // DSN-8 mapping with everything computed (§8.3.3).
  if (o.bare && outbound) return undefined;
  const dack = o.bare ? { width: 8 } : o.dack;
  const dsn = o.bare ? { width: 8 } : o.dsn;
  const checksum = dsn !== undefined && (o.checksum.kind === 'literal' || (o.checksum.kind === 'computed' && ctx.checksums));
  return {
    kind: 'mptcp', subtype: 'dss', dataFin: o.fin,
    dataAck: dack ? 0n : undefined, dataAck64: dack?.width === 8,
    dsn: dsn ? 0n : undefined, dsn64: dsn?.width === 8,
    checksum: checksum ? 0 : undefined,
  };
}

/** The wire option with the same fields present as the written one; undefined when unknowable. */
function wireShape(o: TcpOptionSpec, ctx: LengthContext, outbound: boolean): TcpOption | undefined {
  switch (o.kind) {
    case 'nop':
    case 'eol':
    case 'mss':
    case 'wscale':
    case 'sack_permitted':
    case 'sack':
    case 'timestamp':
      return o;
    case 'fastopen':
      return { kind: 'fastopen', experimental: o.experimental, cookie: o.cookie ?? NONE };
    case 'md5':
      return { kind: 'md5', digest: o.digest ?? NONE };
    case 'raw':
      return { kind: 'unknown', code: o.code, data: o.data };
    case 'accecn':
      // Not in the codec: kind, length and 3 bytes per counter.
      return { kind: 'unknown', code: 172, data: new Uint8Array(3 * o.fields.length) };
    case 'mp_capable': {
      const checksum = o.dataLen !== undefined && (o.checksum !== undefined || ctx.checksums || (o.flags & 0x80) !== 0);
      return {
        kind: 'mptcp', subtype: 'mp_capable', version: o.version === 0 ? 0 : 1, flags: o.flags,
        senderKey: o.keys.length > 0 ? 0n : undefined, receiverKey: o.keys.length > 1 ? 0n : undefined,
        dataLen: o.dataLen, checksum: checksum ? 0 : undefined,
      };
    }
    case 'mp_join_syn':
      return { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false };
    case 'mp_join_syn_ack':
      return { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: false };
    case 'mp_join_ack':
      return { kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false };
    case 'dss':
      return dssShape(o, ctx, outbound);
    case 'add_address': {
      const family = o.addr.literal?.family ?? ctx.familyOf(o.addr.name) ?? ctx.defaultFamily;
      return {
        kind: 'mptcp', subtype: 'add_addr', version: 1, echo: o.hmac.kind === 'echo', addressId: 0,
        address: family === 'inet' ? '0.0.0.0' : '::', port: o.port,
      };
    }
    case 'remove_address':
      return { kind: 'mptcp', subtype: 'remove_addr', addressIds: o.addressIds };
    case 'mp_prio':
      return { kind: 'mptcp', subtype: 'mp_prio', backup: false, addressId: o.addressId === undefined ? undefined : 0 };
    case 'mp_fail':
      return { kind: 'mptcp', subtype: 'mp_fail', dsn: 0n };
    case 'mp_fastclose':
      return { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: 0n };
    case 'mp_reset':
      return { kind: 'mptcp', subtype: 'mp_tcprst', flags: o.flags, reason: o.reason };
  }
}

/** Bytes the option takes on the wire (NOP padding excluded); undefined when the stack picks the shape. */
export function tcpOptionLength(o: TcpOptionSpec, ctx: LengthContext, outbound: boolean): number | undefined {
  const shape = wireShape(o, ctx, outbound);
  return shape === undefined ? undefined : wireLength(shape);
}
