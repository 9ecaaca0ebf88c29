// Inbound MPTCP options: what the script's `<...>` says, built into wire options
// (docs/language.md §8.3, "inbound"). Omitted, bare and `auto` fields are computed from the state.

import type { AddAddressSpec, DssSpec, MpCapableSpec, MptcpOptionSpec } from '../../script/ast.js';
import type { AddAddr, Dss, MpCapable, MptcpOption } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { addAddrHmac, dssChecksum, keyToken } from '../../wire/crypto.js';
import { be64 } from '../../wire/bytes.js';
import { nextScriptAddress } from './addresses.js';
import { relativeSeq, type Line } from './line.js';
import { absoluteSeq, inboundKey, joinHmacFor, requireNonce } from './mptcp-values.js';
import { PacketLineError } from './types.js';

/** MP_CAPABLE version a spec means: legacy spellings are v0, `none` is v1. */
export function capableVersion(spec: MpCapableSpec): 0 | 1 {
  if (spec.legacy) return 0;
  return spec.version === 'default' ? 1 : spec.version;
}

export function buildMptcpOption(line: Line, spec: MptcpOptionSpec): MptcpOption {
  const { tx, conn, sub, env } = line;
  switch (spec.kind) {
    case 'mp_capable':
      return buildCapable(line, spec);
    case 'mp_join_syn': {
      const t = spec.token;
      const token =
        t.kind === 'literal'
          ? t.value >>> 0
          : t.kind === 'hash'
            ? keyToken(tx.requireKey(t.name, spec.range), t.alg === 'sha1' ? 0 : 1)
            : tx.token(conn, 'stack', spec.range);
      const nonce = spec.rand !== undefined ? spec.rand >>> 0 : env.rng.next32();
      const addressId = typeof spec.addressId === 'number' ? spec.addressId : (sub.scriptAddrId ?? 0);
      tx.later(() => {
        sub.scriptNonce = nonce;
        sub.scriptAddrId = addressId;
      });
      return { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: !!spec.backup, addressId, token, nonce };
    }
    case 'mp_join_syn_ack': {
      const nonce = spec.rand !== undefined ? spec.rand >>> 0 : env.rng.next32();
      const addressId = typeof spec.addressId === 'number' ? spec.addressId : (sub.scriptAddrId ?? 0);
      const hmac = joinHmacFor(line, spec.hmac, 'script', nonce, requireNonce(sub.stackNonce, 'stack', spec.range), 8, spec.range).bytes;
      tx.later(() => {
        sub.scriptNonce = nonce;
        sub.scriptAddrId = addressId;
      });
      return { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: !!spec.backup, addressId, hmac, nonce };
    }
    case 'mp_join_ack': {
      const hmac = joinHmacFor(line, spec.hmac, 'script', requireNonce(sub.scriptNonce, 'script', spec.range), requireNonce(sub.stackNonce, 'stack', spec.range), 20, spec.range).bytes;
      return { kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac };
    }
    case 'dss':
      return buildDss(line, spec);
    case 'add_address':
      return buildAddAddr(line, spec);
    case 'remove_address':
      return { kind: 'mptcp', subtype: 'remove_addr', addressIds: spec.addressIds.slice() };
    case 'mp_prio': {
      const o: MptcpOption = { kind: 'mptcp', subtype: 'mp_prio', backup: !!spec.backup };
      if (spec.addressId !== undefined) o.addressId = spec.addressId === 'auto' ? (sub.scriptAddrId ?? 0) : spec.addressId;
      return o;
    }
    case 'mp_fail': {
      // The DSN names the data the script received: the stack's data space.
      const dsn = spec.dsn?.value ? absoluteSeq(line, spec.dsn.value, 'stack', spec.range) : tx.nextDsn(conn, 'stack', spec.range);
      return { kind: 'mptcp', subtype: 'mp_fail', dsn };
    }
    case 'mp_fastclose': {
      const key = spec.key ? inboundKey(line, spec.key) : tx.sideKey(conn, 'stack', spec.range);
      return { kind: 'mptcp', subtype: 'mp_fastclose', receiverKey: BigInt.asUintN(64, key + (spec.plus ?? 0n)) };
    }
    case 'mp_reset':
      return { kind: 'mptcp', subtype: 'mp_tcprst', flags: spec.flags, reason: spec.reason };
  }
}

function buildCapable(line: Line, spec: MpCapableSpec): MpCapable {
  const { tx, conn, body } = line;
  const version = capableVersion(spec);
  const o: MpCapable = { kind: 'mptcp', subtype: 'mp_capable', version, flags: spec.flags };
  if (body.flags & TcpFlag.SYN) {
    tx.later(() => {
      conn.mptcp = true;
      conn.version = version;
      if (spec.flags & 0x80) conn.checksum = true;
    });
  }
  const [sender, receiver] = spec.keys;
  if (sender) {
    o.senderKey = inboundKey(line, sender);
    tx.claimSide(conn, 'script', sender.name, sender.range);
  }
  if (receiver) {
    o.receiverKey = inboundKey(line, receiver);
    tx.claimSide(conn, 'stack', receiver.name, receiver.range);
  }
  if (spec.dataLen !== undefined) {
    o.dataLen = spec.dataLen;
    // The data is mapped implicitly at the script's IDSN + 1, SSN 1.
    const dsn = BigInt.asUintN(64, tx.idsn(conn, 'script', spec.range) + 1n);
    if (spec.checksum !== undefined) o.checksum = spec.checksum;
    else if (conn.checksum) o.checksum = dssChecksum(dsn, 1, spec.dataLen, new Uint8Array(body.payloadLength));
    tx.advanceDsn(conn, 'script', BigInt.asUintN(64, dsn + BigInt(spec.dataLen)));
  }
  return o;
}

function buildDss(line: Line, spec: DssSpec): Dss {
  const { tx, conn, body } = line;
  const o: Dss = { kind: 'mptcp', subtype: 'dss', dataFin: spec.fin, dataAck64: false, dsn64: false };
  // A bare `dss`: DATA_ACK 8 + a DSN-8 mapping for this segment, everything computed [ext].
  const dack = spec.bare ? { width: 8 as const } : spec.dack;
  const dsnField = spec.bare ? { width: 8 as const } : spec.dsn;
  if (dack) {
    const v = dack.value ? absoluteSeq(line, dack.value, 'stack', spec.range) : tx.nextDsn(conn, 'stack', spec.range);
    o.dataAck = dack.width === 8 ? v : BigInt.asUintN(32, v);
    o.dataAck64 = dack.width === 8;
  }
  if (dsnField) {
    const dsn = dsnField.value ? absoluteSeq(line, dsnField.value, 'script', spec.range) : tx.nextDsn(conn, 'script', spec.range);
    o.dsn = dsnField.width === 8 ? dsn : BigInt.asUintN(32, dsn);
    o.dsn64 = dsnField.width === 8;
    o.ssn = spec.ssn ?? relativeSeq(line);
    o.dll = spec.dll ?? body.payloadLength + (spec.fin ? 1 : 0);
    if (spec.checksum.kind === 'literal') o.checksum = spec.checksum.value;
    else if (spec.checksum.kind === 'computed' && (!spec.bare || conn.checksum)) {
      o.checksum = dssChecksum(dsn, o.ssn, o.dll, new Uint8Array(Math.min(body.payloadLength, o.dll)));
    }
    tx.advanceDsn(conn, 'script', BigInt.asUintN(64, dsn + BigInt(o.dll)));
  }
  return o;
}

function buildAddAddr(line: Line, spec: AddAddressSpec): AddAddr {
  const { tx, conn, env } = line;
  const ref = spec.addr;
  const existing = tx.address(ref.name);
  let address: string;
  if (ref.literal) address = ref.literal.address;
  else if (existing) address = existing.address;
  else {
    // A new script address, in the family the script runs in.
    const used = env.world.scriptAddresses.length ? env.world.scriptAddresses : [env.ctx.remoteIp];
    address = nextScriptAddress(env.ctx.remoteIp, used);
  }
  let addressId: number;
  if (typeof spec.addressId === 'number') addressId = spec.addressId;
  else if (existing?.id !== undefined && existing.address === address) addressId = existing.id;
  else addressId = conn.nextScriptAddrId;
  if (spec.hmac.kind !== 'echo') tx.later(() => (conn.nextScriptAddrId = Math.max(conn.nextScriptAddrId, addressId + 1)));
  // Binds an unbound NAME (NAME=inet_addr(...) never rebinds a bound one); a bound name learns its id.
  tx.bindAddress(ref.name, { address, id: addressId });
  tx.later(() => {
    const bound = env.world.addresses.get(ref.name);
    if (bound && bound.address === address) bound.id ??= addressId;
    if (!env.world.scriptAddresses.includes(address) && spec.hmac.kind !== 'echo') env.world.scriptAddresses.push(address);
  });
  const o: AddAddr = { kind: 'mptcp', subtype: 'add_addr', version: conn.version, echo: false, addressId, address };
  if (spec.port !== undefined) o.port = spec.port;
  if (conn.version === 0) {
    // RFC 6824's ADD_ADDR has neither an echo bit nor an HMAC: only `hmac=auto` (none) fits.
    if (spec.hmac.kind !== 'auto') {
      throw new PacketLineError(`a v0 ADD_ADDR has no ${spec.hmac.kind === 'echo' ? 'echo' : 'HMAC'}: on a v0 connection write hmac=auto (no HMAC is sent)`, spec.range);
    }
    return o;
  }
  if (spec.hmac.kind === 'echo') o.echo = true;
  else if (spec.hmac.kind === 'literal') o.hmac = be64(spec.hmac.value);
  else {
    try {
      o.hmac = addAddrHmac(tx.sideKey(conn, 'script', spec.range), tx.sideKey(conn, 'stack', spec.range), addressId, address, spec.port);
    } catch (e) {
      if (e instanceof PacketLineError) throw e;
      throw new PacketLineError(`cannot compute the ADD_ADDR HMAC: ${(e as Error).message}`, spec.range);
    }
  }
  return o;
}
