// MPTCP options (docs/language.md §8): from the parse tree to the option specs of ast.ts. Fields
// the grammar accepts in any order are gathered here, and each option's shape is checked.

import type { IToken } from 'chevrotain';
import { isIPv4, isIPv6 } from 'node:net';
import type {
  AddAddressSpec, AddressRef, DssField, DssSpec, HmacSpec, KeyRef, MpCapableSpec, MpFailSpec, MpFastcloseSpec,
  MpJoinAckSpec, MpJoinSynAckSpec, MpJoinSynSpec, MpPrioSpec, MpResetSpec, RemoveAddressSpec, SeqValue, TokenSpec,
  SourceRange,
} from './ast.js';
import type { ScriptBuilder } from './build.js';
import { type Ctx, U16, U32, U8, ctxRange, decodeString, node, nodes, numOf, tok, tokenRange, toks } from './build-util.js';

type V = ScriptBuilder;

const U64 = 2n ** 64n - 1n;

function tokOf(v: V, ctx: Ctx, label: string): IToken | undefined {
  const n = node(ctx, label);
  return n ? (v.visit(n) as IToken) : undefined;
}

/** A 64-bit unsigned MPTCP value (keys, HMACs, sequence values) [ext: hex and full range]. */
function u64(v: V, t: IToken, what: string): bigint {
  const value = BigInt(t.image);
  if (value < 0n || value > U64) {
    v.sink.error('value-range', tokenRange(t), `${what} ${t.image} is out of range (0..2^64-1)`);
    return value < 0n ? 0n : U64;
  }
  return value;
}

const flagBit: Record<string, number> = {
  flag_a: 0x80, flag_b: 0x40, flag_c: 0x20, flag_d: 0x10, flag_e: 0x08, flag_f: 0x04, flag_g: 0x02, flag_h: 0x01, no_flags: 0,
};

function capableFlagBits(v: V, names: IToken[]): number {
  let bits = 0;
  for (const n of names) {
    const bit = flagBit[n.image];
    if (bit === undefined) v.sink.error('mptcp-flag', tokenRange(n), `'${n.image}' is not an MP_CAPABLE flag (flag_a ... flag_h, no_flags)`);
    else bits |= bit;
  }
  return bits;
}

interface FlagsWritten {
  names: IToken[];
  number?: IToken;
}

/** `flags[...]` / `flags N` as written; MP_CAPABLE and MP_TCPRST give the names their bits. */
export function mptcpFlags(v: V, ctx: Ctx): FlagsWritten {
  const number = tokOf(v, ctx, 'intValue');
  return number ? { names: [], number } : { names: toks(ctx, 'names') };
}

export function keyValue(v: V, ctx: Ctx): KeyRef {
  const name = tok(ctx, 'name')!;
  const ref: KeyRef = { name: name.image, range: ctxRange(ctx) };
  const value = tokOf(v, ctx, 'intValue');
  if (value) ref.value = u64(v, value, 'key');
  return ref;
}

export function mpCapable(v: V, ctx: Ctx): MpCapableSpec {
  const version = tok(ctx, 'version')!.image;
  const written = v.visit(node(ctx, 'mptcpFlags')!) as FlagsWritten;
  const spec: MpCapableSpec = {
    kind: 'mp_capable',
    version: version === 'v0' ? 0 : version === 'v1' ? 1 : 'default',
    flags: written.number ? numOf(written.number, v.sink, 'MP_CAPABLE flags', 0, U8) : capableFlagBits(v, written.names),
    flagsForm: written.number ? 'number' : 'list',
    keys: nodes(ctx, 'keys').map((n) => v.visit(n) as KeyRef),
    range: ctxRange(ctx),
  };
  const dataLen = tokOf(v, ctx, 'dataLen');
  if (dataLen) spec.dataLen = numOf(dataLen, v.sink, 'mpcdatalen', 0, U16);
  const checksum = tokOf(v, ctx, 'checksum');
  if (checksum) spec.checksum = numOf(checksum, v.sink, 'cksum', 0, U16);
  return spec;
}

export function legacyMpCapable(v: V, ctx: Ctx): MpCapableSpec {
  const spelling = tok(ctx, 'spelling')!.image as 'mp_capable' | 'mp_capable_no_cs';
  const keys = nodes(ctx, 'keys').map((n) => v.visit(n) as KeyRef);
  const range = ctxRange(ctx);
  if (keys.length === 0 || keys.length > 2) v.sink.error('mpc-keys', range, `${spelling} takes one or two keys`);
  const names = toks(ctx, 'names');
  return {
    kind: 'mp_capable',
    version: 0,
    flags: names.length > 0 ? capableFlagBits(v, names) : spelling === 'mp_capable' ? 0x81 : 0x01,
    flagsForm: names.length > 0 ? 'list' : 'legacy',
    keys: keys.slice(0, 2),
    legacy: spelling,
    range,
  };
}

type JoinField =
  | { field: 'backup'; value: number; range: SourceRange }
  | { field: 'address_id'; value: number | 'auto'; range: SourceRange }
  | { field: 'token'; value: TokenSpec; range: SourceRange }
  | { field: 'sender_hmac'; value: HmacSpec; range: SourceRange }
  | { field: 'rand'; value: number; range: SourceRange };

export function addressId(v: V, ctx: Ctx): number | 'auto' {
  const value = tokOf(v, ctx, 'intValue');
  return value ? numOf(value, v.sink, 'address_id', 0, U8) : 'auto';
}

export function joinField(v: V, ctx: Ctx): JoinField {
  const range = ctxRange(ctx);
  const idNode = node(ctx, 'addressId');
  if (idNode) return { field: 'address_id', value: v.visit(idNode) as number | 'auto', range };
  const field = tok(ctx, 'field')!.image;
  if (field === 'token') return { field, value: v.visit(node(ctx, 'tokenValue')!) as TokenSpec, range };
  if (field === 'sender_hmac') return { field, value: v.visit(node(ctx, 'hmacValue')!) as HmacSpec, range };
  const value = tokOf(v, ctx, 'intValue')!;
  if (field === 'backup') return { field, value: numOf(value, v.sink, 'backup', 0, 1), range };
  return { field: 'rand', value: numOf(value, v.sink, 'rand', 0, U32), range };
}

export function tokenValue(v: V, ctx: Ctx): TokenSpec {
  const value = tokOf(v, ctx, 'intValue');
  if (value) return { kind: 'literal', value: numOf(value, v.sink, 'token', 0, U32) };
  const hash = tok(ctx, 'hash');
  if (hash) return { kind: 'hash', alg: hash.image === 'sha1_32' ? 'sha1' : 'sha256', name: tok(ctx, 'name')!.image };
  return { kind: 'auto' };
}

export function hmacValue(v: V, ctx: Ctx): HmacSpec {
  const form = tok(ctx, 'form');
  if (!form) {
    const value = tokOf(v, ctx, 'intValue');
    return value ? { kind: 'literal', value: u64(v, value, 'sender_hmac') } : { kind: 'auto', spelling: 'sender_hmac' };
  }
  const literal = tokOf(v, ctx, 'literal');
  if (literal) return { kind: 'trunc_l64_int', value: u64(v, literal, 'trunc_l64_hmac') };
  const [first, second] = toks(ctx, 'names').map((t) => t.image);
  return { kind: 'keys', form: form.image === 'full_160_hmac' ? 'full_160' : 'trunc_l64', first: first!, second: second! };
}

export function mpJoin(v: V, ctx: Ctx): MpJoinSynSpec | MpJoinSynAckSpec | MpJoinAckSpec {
  const step = tok(ctx, 'step')!.image as 'mp_join_syn' | 'mp_join_syn_ack' | 'mp_join_ack';
  const range = ctxRange(ctx);
  const fields = nodes(ctx, 'fields').map((n) => v.visit(n) as JoinField);
  const seen = new Set<string>();
  let backup: number | undefined;
  let addressId: number | 'auto' | undefined;
  let token: TokenSpec | undefined;
  let hmac: HmacSpec | undefined;
  let rand: number | undefined;
  const allowed: Record<typeof step, string[]> = {
    mp_join_syn: ['backup', 'address_id', 'token', 'rand'],
    mp_join_syn_ack: ['backup', 'address_id', 'sender_hmac', 'token', 'rand'],
    mp_join_ack: ['sender_hmac', 'token'],
  };
  for (const f of fields) {
    if (seen.has(f.field)) v.sink.error('duplicate-field', f.range, `'${f.field}' is written twice in ${step}`);
    seen.add(f.field);
    if (!allowed[step].includes(f.field)) {
      v.sink.error('join-field', f.range, `'${f.field}=' does not belong in ${step}`);
      continue;
    }
    switch (f.field) {
      case 'backup': backup = f.value; break;
      case 'address_id': addressId = f.value; break;
      case 'rand': rand = f.value; break;
      case 'sender_hmac': hmac = f.value; break;
      case 'token':
        if (step === 'mp_join_syn') token = f.value;
        else if (f.value.kind === 'auto') hmac = { kind: 'auto', spelling: 'token' };
        else v.sink.error('join-field', f.range, `only 'token=auto' may stand for the HMAC in ${step}`);
        break;
    }
  }
  const opt = <T extends object>(o: T, key: string, value: unknown): T => (value === undefined ? o : { ...o, [key]: value });
  if (step === 'mp_join_syn') {
    if (!token) v.sink.error('join-field', range, "mp_join_syn needs 'token=...'");
    let spec: MpJoinSynSpec = { kind: 'mp_join_syn', token: token ?? { kind: 'auto' }, range };
    spec = opt(opt(opt(spec, 'backup', backup), 'addressId', addressId), 'rand', rand);
    return spec;
  }
  if (!hmac) v.sink.error('join-field', range, `${step} needs 'sender_hmac=...'`);
  const h: HmacSpec = hmac ?? { kind: 'auto', spelling: 'sender_hmac' };
  if (step === 'mp_join_ack') return { kind: 'mp_join_ack', hmac: h, range };
  let spec: MpJoinSynAckSpec = { kind: 'mp_join_syn_ack', hmac: h, range };
  spec = opt(opt(opt(spec, 'backup', backup), 'addressId', addressId), 'rand', rand);
  return spec;
}

export function seqValue(v: V, ctx: Ctx): SeqValue {
  const literal = tokOf(v, ctx, 'literal');
  if (literal) return { kind: 'relative', value: u64(v, literal, 'sequence value') };
  const helper = tok(ctx, 'helper')!.image;
  if (helper === 'trunc_r64_hmac') {
    const plus = tokOf(v, ctx, 'plus');
    return { kind: 'idsn_of_name', name: tok(ctx, 'name')!.image, plus: plus ? u64(v, plus, 'offset') : 0n };
  }
  return { kind: 'idsn_of_key', alg: helper === 'trunc_r64_hmac_sha1' ? 'sha1' : 'sha256', key: u64(v, tokOf(v, ctx, 'key')!, 'key') };
}

interface SeqFieldValue {
  which: 'dack' | 'dsn';
  field: DssField;
  range: SourceRange;
}

export function seqField(v: V, ctx: Ctx): SeqFieldValue {
  const word = tok(ctx, 'field')!.image;
  const field: DssField = { width: word.endsWith('8') ? 8 : 4 };
  const value = node(ctx, 'seqValue');
  if (value) field.value = v.visit(value) as SeqValue;
  return { which: word.startsWith('dack') ? 'dack' : 'dsn', field, range: ctxRange(ctx) };
}

type DssPart = { name: string; range: SourceRange; seq?: SeqFieldValue; value?: number };

export function dssField(v: V, ctx: Ctx): DssPart {
  const seq = node(ctx, 'seqField');
  if (seq) {
    const s = v.visit(seq) as SeqFieldValue;
    return { name: s.which, range: s.range, seq: s };
  }
  const name = tok(ctx, 'field')!.image;
  const range = ctxRange(ctx);
  const value = tokOf(v, ctx, 'intValue');
  if (!value) return { name, range };
  const max = name === 'ssn' ? U32 : U16;
  return { name, range, value: numOf(value, v.sink, name, 0, max) };
}

export function dss(v: V, ctx: Ctx): DssSpec {
  const parts = nodes(ctx, 'fields').map((n) => v.visit(n) as DssPart);
  const spec: DssSpec = { kind: 'dss', checksum: { kind: 'computed' }, fin: false, bare: parts.length === 0, range: ctxRange(ctx) };
  const seen = new Set<string>();
  for (const p of parts) {
    const key = p.name === 'nocs' ? 'cksum' : p.name;
    if (seen.has(key)) v.sink.error('duplicate-field', p.range, `'${p.name}' is written twice in dss`);
    seen.add(key);
    switch (p.name) {
      case 'dack': spec.dack = p.seq!.field; break;
      case 'dsn': spec.dsn = p.seq!.field; break;
      case 'ssn': spec.ssn = p.value!; break;
      case 'dll': spec.dll = p.value!; break;
      case 'nocs': spec.checksum = { kind: 'none' }; break;
      case 'cksum': spec.checksum = p.value === 0 ? { kind: 'none' } : { kind: 'literal', value: p.value! }; break;
      case 'fin': spec.fin = true; break;
    }
  }
  return spec;
}

export function addressRef(v: V, ctx: Ctx): AddressRef {
  const ref: AddressRef = { name: tok(ctx, 'name')!.image, range: ctxRange(ctx) };
  const family = tok(ctx, 'family');
  const str = tok(ctx, 'StringLit');
  if (family && str) {
    const address = decodeString(str.image);
    const inet6 = family.image === 'inet6_addr';
    if (!(inet6 ? isIPv6(address) : isIPv4(address))) {
      v.sink.error('bad-address', tokenRange(str), `'${address}' is not an ${inet6 ? 'IPv6' : 'IPv4'} address`);
    }
    ref.literal = { family: inet6 ? 'inet6' : 'inet', address };
  }
  return ref;
}

export function addAddress(v: V, ctx: Ctx): AddAddressSpec {
  const range = ctxRange(ctx);
  const addrNodes = nodes(ctx, 'addressRef');
  const idNodes = nodes(ctx, 'addressId');
  const fieldWords = toks(ctx, 'field').map((t) => t.image);
  const hmacValue = tokOf(v, ctx, 'hmac');
  const hasAutoHmac = tok(ctx, 'Kw_auto') !== undefined;
  if (addrNodes.length !== 1) v.sink.error('add-address', range, 'add_address needs exactly one addr[NAME]');
  if (idNodes.length > 1) v.sink.error('duplicate-field', range, "'address_id' is written twice in add_address");
  const hmacCount = (hmacValue ? 1 : 0) + (hasAutoHmac ? 1 : 0) + fieldWords.filter((w) => w === 'addr_echo').length;
  if (hmacCount !== 1) v.sink.error('add-address', range, "add_address needs exactly one of 'hmac=auto', 'hmac=N' or 'addr_echo'");
  const addr = addrNodes[0] ? (v.visit(addrNodes[0]) as AddressRef) : { name: '', range };
  const spec: AddAddressSpec = {
    kind: 'add_address',
    addr,
    hmac: hmacValue ? { kind: 'literal', value: u64(v, hmacValue, 'hmac') } : hasAutoHmac ? { kind: 'auto' } : { kind: 'echo' },
    range,
  };
  if (idNodes[0]) spec.addressId = v.visit(idNodes[0]) as number | 'auto';
  const port = tokOf(v, ctx, 'port');
  if (port) spec.port = numOf(port, v.sink, 'port', 0, U16);
  return spec;
}

export function removeAddress(v: V, ctx: Ctx): RemoveAddressSpec {
  const ids = nodes(ctx, 'ids').map((n) => numOf(v.visit(n) as IToken, v.sink, 'address_id', 0, U8));
  return { kind: 'remove_address', addressIds: ids, range: ctxRange(ctx) };
}

export function mpPrio(v: V, ctx: Ctx): MpPrioSpec {
  const spec: MpPrioSpec = { kind: 'mp_prio', range: ctxRange(ctx) };
  const backup = tokOf(v, ctx, 'backup');
  if (backup) spec.backup = numOf(backup, v.sink, 'backup', 0, 1);
  const id = node(ctx, 'addressId');
  if (id) spec.addressId = v.visit(id) as number | 'auto';
  return spec;
}

export function mpFail(v: V, ctx: Ctx): MpFailSpec {
  const spec: MpFailSpec = { kind: 'mp_fail', range: ctxRange(ctx) };
  const seq = node(ctx, 'seqField');
  if (seq) {
    const s = v.visit(seq) as SeqFieldValue;
    if (s.which !== 'dsn') v.sink.error('mp-fail', s.range, "mp_fail carries a DSN: write 'dsn8=V'");
    spec.dsn = s.field;
  }
  return spec;
}

export function mpFastclose(v: V, ctx: Ctx): MpFastcloseSpec {
  const spec: MpFastcloseSpec = { kind: 'mp_fastclose', range: ctxRange(ctx) };
  const key = node(ctx, 'keyValue');
  if (key) spec.key = v.visit(key) as KeyRef;
  const plus = tokOf(v, ctx, 'plus');
  if (plus) spec.plus = u64(v, plus, 'offset');
  return spec;
}

export function mpReset(v: V, ctx: Ctx): MpResetSpec {
  const reason = numOf(tokOf(v, ctx, 'reason')!, v.sink, 'mp_reset reason', 0, 0xff);
  const flagsNode = node(ctx, 'mptcpFlags');
  const written: FlagsWritten = flagsNode ? (v.visit(flagsNode) as FlagsWritten) : { names: [] };
  let flags = written.number ? numOf(written.number, v.sink, 'MP_TCPRST flags', 0, 0xf) : 0;
  for (const n of written.names) {
    if (n.image === 'flag_t') flags |= 1;
    else if (n.image !== 'no_flags') v.sink.error('mptcp-flag', tokenRange(n), `'${n.image}' is not an MP_TCPRST flag (flag_t, no_flags)`);
  }
  return { kind: 'mp_reset', reason, flags, range: ctxRange(ctx) };
}
