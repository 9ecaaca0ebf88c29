// Outbound MPTCP options: does the option the stack sent fit the script's `<...>`
// (docs/language.md §8.3, "outbound")? Written fields are compared; names are learned or compared;
// HMACs and checksums are verified; the DSN state moves forward with what the stack sent.
// The option's kind already matched (see tcp-options-match.ts).

import type { AddAddressSpec, DssField, DssSpec, KeyRef, MpCapableSpec, MptcpOptionSpec, SourceRange } from '../../script/ast.js';
import type { AddAddr, Dss, MpCapable, MpJoin, MptcpOption } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { addAddrHmac, dssChecksum, expandSeq32, keyToken } from '../../wire/crypto.js';
import { bytesEqual, toHex } from '../../wire/bytes.js';
import type { Line } from './line.js';
import { capableVersion } from './mptcp-build.js';
import { absoluteSeq, hmacHex, joinHmacFor, keyText, requireNonce, type Side } from './mptcp-values.js';
import { fieldMismatch, numberMismatch, numberText, PACKETDRILL_UNCHECKED, type FieldMismatch } from './types.js';

type Out = FieldMismatch[];

export function matchMptcpOption(line: Line, spec: MptcpOptionSpec, live: MptcpOption, payload: Uint8Array, out: Out): void {
  const { tx, sub, conn } = line;
  switch (spec.kind) {
    case 'mp_capable':
      if (live.subtype === 'mp_capable') matchCapable(line, spec, live, payload, out);
      return;
    case 'mp_join_syn': {
      if (live.subtype !== 'mp_join') return;
      const t = spec.token;
      const want =
        t.kind === 'literal' ? t.value >>> 0 : t.kind === 'hash' ? keyToken(tx.requireKey(t.name, spec.range), t.alg === 'sha1' ? 0 : 1) : tx.token(conn, 'script', spec.range);
      if (live.token !== want) out.push(numberMismatch('mptcp_join_token', want, live.token ?? 0));
      matchJoinCommon(line, spec.backup, spec.addressId, live, out);
      return;
    }
    case 'mp_join_syn_ack': {
      if (live.subtype !== 'mp_join') return;
      matchJoinCommon(line, spec.backup, spec.addressId, live, out);
      const stackNonce = live.nonce ?? 0;
      const recipe = joinHmacFor(line, spec.hmac, 'stack', stackNonce, requireNonce(sub.scriptNonce, 'script', spec.range), 8, spec.range);
      checkHmac(recipe, live, out);
      return;
    }
    case 'mp_join_ack': {
      if (live.subtype !== 'mp_join') return;
      const recipe = joinHmacFor(line, spec.hmac, 'stack', requireNonce(sub.stackNonce, 'stack', spec.range), requireNonce(sub.scriptNonce, 'script', spec.range), 20, spec.range);
      checkHmac(recipe, live, out);
      return;
    }
    case 'dss':
      if (live.subtype === 'dss') matchDss(line, spec, live, payload, out);
      return;
    case 'add_address':
      if (live.subtype === 'add_addr') matchAddAddr(line, spec, live, out);
      return;
    case 'remove_address':
      if (live.subtype === 'remove_addr' && live.addressIds.join(',') !== spec.addressIds.join(',')) {
        out.push(fieldMismatch('mptcp_remove_addr_ids', `[${spec.addressIds.join(', ')}]`, `[${live.addressIds.join(', ')}]`));
      }
      return;
    case 'mp_prio':
      if (live.subtype !== 'mp_prio') return;
      if ((spec.backup ?? 0) !== (live.backup ? 1 : 0)) out.push(numberMismatch('mptcp_prio_backup', spec.backup ?? 0, live.backup ? 1 : 0));
      if ((spec.addressId !== undefined) !== (live.addressId !== undefined)) {
        out.push(fieldMismatch('mptcp_prio_address_id', spec.addressId === undefined ? 'absent (3-byte v1 form)' : 'present (4-byte v0 form)', live.addressId === undefined ? 'absent' : String(live.addressId)));
      } else if (typeof spec.addressId === 'number' && spec.addressId !== live.addressId) {
        out.push(numberMismatch('mptcp_prio_address_id', spec.addressId, live.addressId ?? 0));
      }
      return;
    case 'mp_fail':
      if (live.subtype !== 'mp_fail' || !spec.dsn?.value) return;
      compareSeq(line, 'mptcp_fail_dsn', spec.dsn, live.dsn, 'script', spec.range, out);
      return;
    case 'mp_fastclose': {
      if (live.subtype !== 'mp_fastclose') return;
      const want = outboundKey(line, spec.key, 'script', live.receiverKey - (spec.plus ?? 0n), spec.range);
      const expected = BigInt.asUintN(64, want.value + (spec.plus ?? 0n));
      if (expected !== live.receiverKey) out.push(numberMismatch('mptcp_fastclose_key', expected, live.receiverKey, `the script's key ${want.name ?? ''}`.trim()));
      return;
    }
    case 'mp_reset':
      if (live.subtype !== 'mp_tcprst') return;
      if (live.reason !== spec.reason) out.push(numberMismatch('mptcp_tcprst_reason', spec.reason, live.reason));
      if (live.flags !== spec.flags) out.push(numberMismatch('mptcp_tcprst_flags', spec.flags, live.flags));
      return;
  }
}

/**
 * A key the stack sent against a key reference (`side` is whose key it is): NAME=VALUE
 * compares with VALUE (binding NAME if unbound), a bound NAME with its value, an unbound NAME
 * learns the live key; no reference means the side's bound key.
 */
function outboundKey(line: Line, ref: KeyRef | undefined, side: Side, liveKey: bigint, range: SourceRange): { value: bigint; name?: string } {
  const { tx, conn } = line;
  if (!ref) {
    const name = tx.sideKeyNameNow(conn, side);
    return { value: tx.sideKey(conn, side, range), ...(name !== undefined ? { name } : {}) };
  }
  if (ref.value !== undefined) {
    tx.bindKey(ref.name, BigInt.asUintN(64, ref.value));
    return { value: BigInt.asUintN(64, ref.value), name: ref.name };
  }
  return { value: tx.bindKey(ref.name, liveKey), name: ref.name };
}

function capableLength(o: { senderKey?: unknown; receiverKey?: unknown; dataLen?: unknown; checksum?: unknown }): number {
  if (o.checksum !== undefined) return 24;
  if (o.dataLen !== undefined) return 22;
  if (o.receiverKey !== undefined) return 20;
  return o.senderKey !== undefined ? 12 : 4;
}

function matchCapable(line: Line, spec: MpCapableSpec, live: MpCapable, payload: Uint8Array, out: Out): void {
  const { tx, conn, body } = line;
  const version = capableVersion(spec);
  if (live.version !== version) out.push(numberMismatch('mptcp_capable_version', version, live.version));
  if (live.flags !== spec.flags) out.push(numberMismatch('mptcp_capable_flags', spec.flags, live.flags));
  const wantLen = capableLength({
    senderKey: spec.keys[0],
    receiverKey: spec.keys[1],
    dataLen: spec.dataLen,
    checksum: spec.dataLen !== undefined && (conn.checksum || spec.checksum !== undefined) ? 1 : undefined,
  });
  const liveLen = capableLength(live);
  if (wantLen !== liveLen) {
    out.push(numberMismatch('mptcp_capable_length', wantLen, liveLen));
    return;
  }
  if (body.flags & TcpFlag.SYN) {
    tx.later(() => {
      conn.mptcp = true;
      conn.version = live.version === 0 ? 0 : 1;
      if (live.flags & 0x80) conn.checksum = true;
    });
  }
  const keys: Array<[KeyRef | undefined, bigint | undefined, Side]> = [
    [spec.keys[0], live.senderKey, 'stack'],
    [spec.keys[1], live.receiverKey, 'script'],
  ];
  for (const [ref, liveKey, side] of keys) {
    if (!ref || liveKey === undefined) continue;
    const want = outboundKey(line, ref, side, liveKey, ref.range);
    if (want.value !== liveKey) {
      out.push(fieldMismatch('mptcp_key', keyText(ref.name, want.value), keyText(undefined, liveKey), `the ${side}'s key`));
    } else tx.claimSide(conn, side, ref.name, ref.range);
  }
  if (spec.dataLen !== undefined && live.dataLen !== undefined) {
    if (live.dataLen !== spec.dataLen) out.push(numberMismatch('mptcp_capable_data_len', spec.dataLen, live.dataLen));
    const dsn = BigInt.asUintN(64, tx.idsn(conn, 'stack', spec.range) + 1n);
    if (live.checksum !== undefined) {
      const want = spec.checksum ?? (payload.length >= live.dataLen ? dssChecksum(dsn, 1, live.dataLen, payload.subarray(0, live.dataLen)) : undefined);
      if (want !== undefined && want !== live.checksum) out.push(numberMismatch('mptcp_capable_checksum', want, live.checksum, `DSS checksum over the mapped data${spec.checksum === undefined ? `; ${PACKETDRILL_UNCHECKED}` : ''}`));
    }
    tx.advanceDsn(conn, 'stack', BigInt.asUintN(64, dsn + BigInt(live.dataLen)));
  }
}

function matchJoinCommon(line: Line, backup: number | undefined, addressId: number | 'auto' | undefined, live: MpJoin, out: Out): void {
  const { tx, sub } = line;
  // Omitted backup means B = 0, and it is always compared.
  if ((backup ?? 0) !== (live.backup ? 1 : 0)) out.push(numberMismatch('mptcp_join_backup', backup ?? 0, live.backup ? 1 : 0));
  if (typeof addressId === 'number' && addressId !== live.addressId) out.push(numberMismatch('mptcp_join_address_id', addressId, live.addressId ?? 0));
  tx.later(() => {
    if (live.nonce !== undefined) sub.stackNonce = live.nonce;
    if (live.addressId !== undefined) sub.stackAddrId = live.addressId;
  });
}

function checkHmac(recipe: { bytes: Uint8Array; explain: string }, live: MpJoin, out: Out): void {
  if (live.hmac && bytesEqual(recipe.bytes, live.hmac)) return;
  out.push(fieldMismatch('mptcp_join_hmac', toHex(recipe.bytes), hmacHex(live.hmac), `expected ${recipe.explain}`));
}

function dssShape(ack: { present: boolean; wide: boolean }, map: { present: boolean; wide: boolean }): string {
  const parts: string[] = [];
  if (ack.present) parts.push(ack.wide ? 'dack8' : 'dack4');
  if (map.present) parts.push(map.wide ? 'dsn8' : 'dsn4');
  return parts.length ? parts.join(' ') : 'no DATA_ACK, no mapping';
}

/** Compares a live DSN / DATA_ACK with a written one, in relative terms when written so. */
function compareSeq(line: Line, field: string, want: DssField, liveValue: bigint, owner: Side, range: SourceRange, out: Out): void {
  if (!want.value) return;
  const abs = absoluteSeq(line, want.value, owner, range);
  const bits = want.width === 4 ? 32 : 64;
  const exp = BigInt.asUintN(bits, abs);
  const got = BigInt.asUintN(bits, liveValue);
  if (exp === got) return;
  if (want.value.kind === 'relative') {
    const base = line.tx.idsn(line.conn, owner, range);
    out.push(numberMismatch(field, want.value.value, BigInt.asUintN(bits, got - base), `relative to the ${owner}'s IDSN`));
  } else out.push(numberMismatch(field, exp, got));
}

function matchDss(line: Line, spec: DssSpec, live: Dss, payload: Uint8Array, out: Out): void {
  const { tx, conn } = line;
  if (!spec.bare) {
    const wantAck = { present: !!spec.dack, wide: spec.dack?.width === 8 };
    const wantMap = { present: !!spec.dsn, wide: spec.dsn?.width === 8 };
    const liveAck = { present: live.dataAck !== undefined, wide: live.dataAck64 };
    const liveMap = { present: live.dsn !== undefined, wide: live.dsn64 };
    const same = (a: typeof wantAck, b: typeof wantAck) => a.present === b.present && (!a.present || a.wide === b.wide);
    if (!same(wantAck, liveAck) || !same(wantMap, liveMap)) {
      out.push(fieldMismatch('mptcp_dss_flags', dssShape(wantAck, wantMap), dssShape(liveAck, liveMap)));
      return;
    }
    if (spec.fin !== live.dataFin) out.push(numberMismatch('mptcp_dss_fin', spec.fin ? 1 : 0, live.dataFin ? 1 : 0));
    if (spec.dack && live.dataAck !== undefined) compareSeq(line, 'mptcp_dss_dack', spec.dack, live.dataAck, 'script', spec.range, out);
    if (spec.dsn && live.dsn !== undefined) {
      compareSeq(line, 'mptcp_dss_dsn', spec.dsn, live.dsn, 'stack', spec.range, out);
      if (spec.ssn !== undefined && spec.ssn !== live.ssn) out.push(numberMismatch('mptcp_dss_ssn', spec.ssn, live.ssn ?? 0));
      // Stricter than packetdrill on purpose: Linux's data-level length is deterministic.
      if (spec.dll !== undefined && spec.dll !== live.dll) out.push(numberMismatch('mptcp_dss_dll', spec.dll, live.dll ?? 0, PACKETDRILL_UNCHECKED));
      const cs = spec.checksum;
      if (cs.kind === 'none' && live.checksum !== undefined) out.push(fieldMismatch('mptcp_dss_checksum', 'absent (nocs)', numberText(live.checksum)));
      else if (cs.kind !== 'none' && live.checksum === undefined) out.push(fieldMismatch('mptcp_dss_checksum', cs.kind === 'literal' ? numberText(cs.value) : 'present', 'absent'));
      else if (cs.kind === 'literal' && cs.value !== live.checksum) out.push(numberMismatch('mptcp_dss_checksum', cs.value, live.checksum ?? 0));
    }
  }
  if (live.dsn === undefined || live.dll === undefined) return;
  // Learn what the stack sent: the 64-bit DSN (a 4-byte one expanded around the next expected).
  const next = tx.nextDsn(conn, 'stack', spec.range);
  const dsn = live.dsn64 ? live.dsn : expandSeq32(Number(live.dsn), next);
  const data = live.dll - (live.dataFin ? 1 : 0);
  if (live.checksum !== undefined && live.dll !== 0 && (spec.bare || spec.checksum.kind === 'computed') && payload.length >= data) {
    const want = dssChecksum(dsn, live.ssn ?? 0, live.dll, payload.subarray(0, data));
    if (want !== live.checksum) out.push(numberMismatch('mptcp_dss_checksum', want, live.checksum, `DSS checksum over the mapped data; ${PACKETDRILL_UNCHECKED}`));
  }
  tx.advanceDsn(conn, 'stack', BigInt.asUintN(64, dsn + BigInt(live.dll)));
}

function matchAddAddr(line: Line, spec: AddAddressSpec, live: AddAddr, out: Out): void {
  const { tx, conn, sub } = line;
  const echo = spec.hmac.kind === 'echo';
  if (live.version === 1 && echo !== live.echo) out.push(numberMismatch('mptcp_add_addr_echo', echo ? 1 : 0, live.echo ? 1 : 0));
  if (live.version === 0 && echo) out.push(fieldMismatch('mptcp_add_addr_echo', 'an echo (addr_echo)', 'a v0 announcement (RFC 6824 has no echo)'));
  const ref = spec.addr;
  const bound = ref.literal ? { address: ref.literal.address } : tx.address(ref.name);
  if (bound) {
    if (bound.address !== live.address) out.push(fieldMismatch('mptcp_add_addr_address', bound.address, live.address, `addr[${ref.name}]`));
  }
  if (!tx.address(ref.name)) {
    // The stack's announced address: with its port, else the port of the subflow it came on.
    tx.bindAddress(ref.name, { address: live.address, port: live.port ?? sub.local.port, id: live.addressId });
  }
  // packetdrill reads address_id=255 as "whatever the stack announced"; here it is compared.
  if (typeof spec.addressId === 'number' && spec.addressId !== live.addressId) {
    out.push(numberMismatch('mptcp_add_addr_id', spec.addressId, live.addressId, spec.addressId === 255 ? `${PACKETDRILL_UNCHECKED} when it is 255` : undefined));
  }
  if (spec.port !== undefined && spec.port !== live.port) out.push(fieldMismatch('mptcp_add_addr_port', String(spec.port), live.port === undefined ? 'absent' : String(live.port)));
  if (spec.port === undefined && live.port !== undefined) out.push(fieldMismatch('mptcp_add_addr_port', 'absent', String(live.port)));
  if (live.version !== conn.version) out.push(numberMismatch('mptcp_add_addr_version', conn.version, live.version));
  if (echo || live.version === 0 || live.echo) return;
  let want: Uint8Array;
  let explain: string;
  if (spec.hmac.kind === 'literal') {
    want = new Uint8Array(8);
    new DataView(want.buffer).setBigUint64(0, BigInt.asUintN(64, spec.hmac.value));
    explain = 'the literal written in the script';
  } else {
    const stackKey = tx.sideKey(conn, 'stack', spec.range);
    const scriptKey = tx.sideKey(conn, 'script', spec.range);
    want = addAddrHmac(stackKey, scriptKey, live.addressId, live.address, live.port);
    explain = `HMAC-SHA256 with key = stack key ${keyText(tx.sideKeyNameNow(conn, 'stack'), stackKey)} ‖ script key ${keyText(tx.sideKeyNameNow(conn, 'script'), scriptKey)}, message = id ${live.addressId}, ${live.address}, port ${live.port ?? 0}`;
  }
  if (!live.hmac || !bytesEqual(want, live.hmac)) out.push(fieldMismatch('mptcp_add_addr_hmac', toHex(want), hmacHex(live.hmac), `expected ${explain}`));
}
