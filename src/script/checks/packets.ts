// Packet lines: TCP header facts (ack without the ACK flag, a missing window on an inbound
// packet, `<...>` on an inbound one), option space (at most 40 bytes, a multiple of 4), and the
// MPTCP rules of docs/language.md §8.4 that need the whole script in order: names used before any
// line could bind them, key counts on MP_CAPABLE, mpcdatalen, and HMAC forms per MP_JOIN step.

import type { HmacSpec, KeyRef, MpCapableSpec, PacketAction, Script, SeqValue, TcpBody, TcpOptionSpec } from '../ast.js';
import { TcpFlag } from '../../wire/packet.js';
import type { IpVersionOption } from '../options.js';
import { tcpOptionLength, type LengthContext } from './option-length.js';
import type { Reporter } from './report.js';

const MAX_TCP_OPTIONS = 40;

/** What the checker knows about names as it walks the script in order. */
class ScriptState implements LengthContext {
  checksums = false;
  readonly keys = new Set<string>();
  readonly addresses = new Map<string, 'inet' | 'inet6' | undefined>();

  constructor(readonly defaultFamily: 'inet' | 'inet6') {}

  familyOf(name: string): 'inet' | 'inet6' | undefined {
    return this.addresses.get(name);
  }
}

function isSyn(body: TcpBody): boolean {
  return (body.flags & TcpFlag.SYN) !== 0 && (body.flags & TcpFlag.ACK) === 0;
}

function isSynAck(body: TcpBody): boolean {
  return (body.flags & TcpFlag.SYN) !== 0 && (body.flags & TcpFlag.ACK) !== 0;
}

function checkTcpHeader(p: PacketAction, body: TcpBody, r: Reporter): void {
  const hasAckFlag = (body.flags & TcpFlag.ACK) !== 0;
  if (body.ack !== undefined && !hasAckFlag) {
    r.warn('ack-without-ack-flag', body.range, `'ack ${body.ack}' is written but the flags '${body.flagsText}' have no '.' (ACK): the value is ignored`);
  }
  if (p.direction === 'inbound') {
    if (hasAckFlag && body.ack === undefined) {
      r.warn('ack-flag-without-ack', body.range, `inbound packet has the ACK flag but no 'ack' value: it acknowledges 0, the stack's ISN (packetdrill remaps the missing value like any ack)`);
    }
    if (body.win === undefined) r.error('inbound-needs-win', body.range, 'window must be specified for inbound packets');
    if (body.options === 'any') r.error('inbound-any-options', body.optionsRange ?? body.range, "'<...>' (any options) is only allowed on outbound packets");
  }
  if (body.ace !== undefined) r.warn('accecn-unsupported', body.range, 'AccECN (ACE flags) is accepted but not supported by mptcpdrill yet');
}

function checkOptionSpace(options: TcpOptionSpec[], body: TcpBody, outbound: boolean, state: ScriptState, r: Reporter): void {
  let total = 0;
  for (const o of options) {
    const len = tcpOptionLength(o, state, outbound);
    if (len === undefined) return; // a shape the stack chooses: nothing to add up
    total += len;
  }
  const where = body.optionsRange ?? body.range;
  if (total > MAX_TCP_OPTIONS) {
    r.error('tcp-options-too-long', where, `TCP options take ${total} bytes, more than the ${MAX_TCP_OPTIONS} a TCP header can hold`);
  } else if (total % 4 !== 0) {
    r.error('tcp-options-not-padded', where, `TCP options are not padded correctly: ${total} bytes is not a multiple of 4 (add ${4 - (total % 4)} nop)`);
  }
}

// ---- MPTCP names ---------------------------------------------------------------------------

function keyNamesUsed(o: TcpOptionSpec): Array<{ name: string; what: string }> {
  const seq = (v: SeqValue | undefined, what: string): Array<{ name: string; what: string }> =>
    v?.kind === 'idsn_of_name' ? [{ name: v.name, what }] : [];
  const hmac = (h: HmacSpec): Array<{ name: string; what: string }> =>
    h.kind === 'keys' ? [h.first, h.second].map((name) => ({ name, what: `${h.form}_hmac` })) : [];
  switch (o.kind) {
    case 'mp_join_syn':
      return o.token.kind === 'hash' ? [{ name: o.token.name, what: `${o.token.alg}_32` }] : [];
    case 'mp_join_syn_ack':
    case 'mp_join_ack':
      return hmac(o.hmac);
    case 'dss':
      return [...seq(o.dack?.value, 'trunc_r64_hmac'), ...seq(o.dsn?.value, 'trunc_r64_hmac')];
    case 'mp_fail':
      return seq(o.dsn?.value, 'trunc_r64_hmac');
    case 'mp_fastclose':
      return o.key && o.key.value === undefined ? [{ name: o.key.name, what: 'mp_fastclose' }] : [];
    default:
      return [];
  }
}

function keysBoundBy(o: TcpOptionSpec): KeyRef[] {
  if (o.kind === 'mp_capable') return o.keys;
  if (o.kind === 'mp_fastclose' && o.key?.value !== undefined) return [o.key];
  return [];
}

/**
 * MP_CAPABLE key counts and mpcdatalen. On an inbound line a protocol oddity is only a warning:
 * a conformance test must be able to send anything that can be encoded (the upstream MPTCP suite
 * injects a v0 SYN/ACK carrying both keys on purpose), and the script gets what it wrote. What
 * the stack must send is held to the protocol: there the same facts are errors.
 */
function checkMpCapable(o: MpCapableSpec, body: TcpBody, inbound: boolean, r: Reporter): void {
  const v1 = o.legacy === undefined && o.version !== 0;
  const oddity = (code: string, message: string) => (inbound ? r.warn(code, o.range, `${message}; it is sent as written`) : r.error(code, o.range, message));
  if (isSyn(body) && o.keys.length === 2) {
    oddity('mpc-syn-two-keys', 'an MP_CAPABLE on a SYN carries at most one key (the sender\'s)');
  } else if (isSyn(body) && v1 && o.keys.length > 0) {
    oddity('mpc-v1-syn-key', 'a v1 MP_CAPABLE SYN carries no key: write \'nokey\' (only v0 sends its key in the SYN)');
  }
  if (isSynAck(body) && o.keys.length === 2) {
    oddity('mpc-synack-two-keys', "an MP_CAPABLE on a SYN/ACK carries only the responder's key");
  }
  if (o.dataLen !== undefined) {
    if (o.keys.length !== 2) {
      // The data-level length follows both keys on the wire: without them it has no place.
      r.error('mpcdatalen-needs-keys', o.range, 'mpcdatalen needs both keys (key[sender, receiver])');
    } else if (!v1) {
      oddity('mpcdatalen-v0', 'mpcdatalen exists only in MP_CAPABLE v1');
    } else if (o.dataLen !== body.payloadLength) {
      r.warn('mpcdatalen-mismatch', o.range, `mpcdatalen ${o.dataLen} differs from the payload length ${body.payloadLength}`);
    }
  }
  if (o.checksum !== undefined && o.dataLen === undefined) {
    r.error('mpc-cksum-without-datalen', o.range, "'cksum=' on MP_CAPABLE needs 'mpcdatalen N' before it");
  }
}

function checkJoinHmac(kind: 'mp_join_syn_ack' | 'mp_join_ack', h: HmacSpec, range: PacketAction['range'], r: Reporter): void {
  if (h.kind === 'keys' && kind === 'mp_join_syn_ack' && h.form === 'full_160') {
    r.warn('hmac-form-step', range, 'full_160_hmac on mp_join_syn_ack: the SYN/ACK carries only the leftmost 64 bits');
  }
  if (h.kind === 'keys' && kind === 'mp_join_ack' && h.form === 'trunc_l64') {
    r.warn('hmac-form-step', range, 'trunc_l64_hmac on mp_join_ack: the third ACK carries 160 bits, not a truncated 64-bit HMAC');
  }
  if (h.kind === 'trunc_l64_int') {
    r.warn('hmac-form-ignored', range, 'trunc_l64_hmac(INT) is parsed upstream but never applied; write sender_hmac=INT to inject a literal');
  }
  if (h.kind === 'literal' && kind === 'mp_join_syn_ack' && h.value >= 1n << 64n) {
    r.error('hmac-literal-too-wide', range, 'sender_hmac on mp_join_syn_ack is 64 bits; the value does not fit');
  }
  if (h.kind === 'literal' && h.value >= 1n << 160n) {
    r.error('hmac-literal-too-wide', range, 'sender_hmac is at most 160 bits; the value does not fit');
  }
}

function checkMptcpOption(o: TcpOptionSpec, body: TcpBody, inbound: boolean, state: ScriptState, r: Reporter): void {
  switch (o.kind) {
    case 'mp_capable':
      checkMpCapable(o, body, inbound, r);
      if ((isSyn(body) || isSynAck(body)) && (o.flags & 0x80) !== 0) state.checksums = true;
      break;
    case 'mp_join_syn_ack':
      checkJoinHmac('mp_join_syn_ack', o.hmac, o.range, r);
      break;
    case 'mp_join_ack':
      checkJoinHmac('mp_join_ack', o.hmac, o.range, r);
      break;
    case 'mp_prio':
      if (o.addressId !== undefined) r.warn('mp-prio-address-id', o.range, 'mp_prio with address_id is the 4-byte v0 form; Linux (v1) ignores it');
      break;
    case 'remove_address':
      if (o.addressIds.length === 0) r.error('remove-address-empty', o.range, 'remove_address needs at least one address id');
      break;
    case 'add_address':
      if (o.addr.literal) state.addresses.set(o.addr.name, state.addresses.get(o.addr.name) ?? o.addr.literal.family);
      else if (!state.addresses.has(o.addr.name)) state.addresses.set(o.addr.name, undefined);
      break;
    case 'accecn':
      r.warn('accecn-unsupported', o.range, 'AccECN options are accepted but not supported by mptcpdrill yet');
      break;
    default:
      break;
  }
}

export function isMptcpOption(o: TcpOptionSpec): boolean {
  return /^(mp_|dss$|add_address$|remove_address$)/.test(o.kind);
}

/** Checks every packet line of the script, in order (binding state flows from line to line). */
export function checkPackets(script: Script, ipVersion: IpVersionOption, r: Reporter): void {
  const state = new ScriptState(ipVersion === 'ipv6' ? 'inet6' : 'inet');
  for (const event of script.events) {
    const p = event.action;
    if (p.kind !== 'packet') continue;
    if (p.encaps.length > 0) r.warn('encap-unsupported', p.encaps[0]!.range, `${p.encaps[0]!.kind} encapsulation is accepted but not carried out yet`);
    for (const ep of [p.tuple?.src, p.tuple?.dst]) {
      if (ep?.kind === 'named' && !state.addresses.has(ep.name)) state.addresses.set(ep.name, undefined);
    }
    const body = p.body;
    if (body.kind !== 'tcp') continue;
    checkTcpHeader(p, body, r);
    if (!Array.isArray(body.options)) continue;
    // Keys a line binds count for helpers on the same line (`key[ck=1, sk]` then a DSS using ck).
    for (const o of body.options) for (const k of keysBoundBy(o)) state.keys.add(k.name);
    for (const o of body.options) {
      for (const use of keyNamesUsed(o)) {
        if (!state.keys.has(use.name)) {
          r.error('unbound-name', o.range, `key name '${use.name}' is used by ${use.what} before any line binds it`);
        }
      }
      checkMptcpOption(o, body, p.direction === 'inbound', state, r);
    }
    checkOptionSpace(body.options, body, p.direction === 'outbound', state, r);
  }
}
