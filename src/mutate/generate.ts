// Mutant generation: for one checked script, one text edit per mutation of each expectation it
// writes — every header field, flag letter, TCP and MPTCP option field of its outbound packets
// (and dropping, adding or reordering an option), every MPTCP option of its inbound packets
// (dropped, or a field changed: the stack's reaction must show), and the result, errno and
// written outputs of its calls. Fields whose value cannot change the verdict by construction get
// no mutant but a Skipped record naming why (types.ts, SKIP_REASONS).
//
// Edits are made on the text, located with the AST's ranges and the line's own tokens, so a
// mutant's line:column is the field's and its report is `- original / + mutated` lines. Each
// candidate is checked like a script (`check`): a value one step up that is out of the field's
// range is tried one step down, and a candidate with no valid form is skipped as `invalid`.

import type {
  Event, Expr, PacketAction, StructExpr, SyscallAction, TcpBody, TcpOptionSpec,
} from '../script/ast.js';
import { checkText, type LoadedScript, type LoadOptions } from '../script/load.js';
import { TcpFlag } from '../wire/packet.js';
import { covers, InboundMappings } from './inbound-mapping.js';
import { disabledLines } from './disable-comments.js';
import { supersededDataAcks } from './inbound-dack.js';
import { echoedUp, optlenLimit, optlenNeeded, structFieldLimit } from './echoed-length.js';
import { capableParsed, FLAG_BITS, isSynChecksumFlag, shapeOf, type CapableSegment } from './inbound-capable.js';
import { applyEdit, isNumberTok, ScriptText, stepAddress, stepHexText, stepNumber, type Tok } from './text.js';
import type { Edit, Mutant, Skipped, SkipCode } from './types.js';

export interface GenerateOptions {
  /** Mutate the MPTCP options of inbound packets too (default true). */
  inbound?: boolean;
  /** Keep at most this many mutants (evenly spread over the script); the rest are skipped. */
  maxMutants?: number;
  /** Check every candidate as a script, dropping invalid ones (default true). */
  validate?: boolean;
  /** How candidates are checked: the options the script will run with. */
  load?: LoadOptions;
}

export interface Generated {
  mutants: Mutant[];
  skipped: Skipped[];
}

/** One mutation, with its fallback forms (the first that checks is kept). */
interface Candidate {
  kind: string;
  at: number;
  tries: Array<{ edit: Edit; description: string }>;
}

const U32 = 2n ** 32n - 1n;
const FLAG_LETTERS = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'W'] as const;
const CAPABLE_FLAGS = ['flag_a', 'flag_b', 'flag_c', 'flag_h'] as const;
const FD_CALLS = new Set(['socket', 'accept', 'accept4', 'epoll_create', 'epoll_create1', 'open']);
const ERRNO_ALTERNATIVES = ['EINVAL', 'EAGAIN', 'ENOENT'];
/** Keywords that start a field of an MPTCP option (the field a number after them belongs to). */
const MPTCP_FIELDS = new Set([
  'backup', 'address_id', 'token', 'rand', 'sender_hmac', 'hmac', 'ssn', 'dll', 'cksum', 'mpcdatalen', 'port', 'flags', 'key', 'addr',
  'dack4', 'dack8', 'dsn4', 'dsn8', 'nocs', 'fin', 'addr_echo', 'nokey',
]);
const SUBTYPE_NAME: Record<string, string> = {
  mp_capable: 'mp_capable', mp_join_syn: 'mp_join_syn', mp_join_syn_ack: 'mp_join_syn_ack', mp_join_ack: 'mp_join_ack', dss: 'dss',
  add_address: 'add_address', remove_address: 'remove_address', mp_prio: 'mp_prio', mp_fail: 'mp_fail', mp_fastclose: 'mp_fastclose', mp_reset: 'mp_reset',
};

const isMptcp = (o: TcpOptionSpec): boolean => SUBTYPE_NAME[o.kind] !== undefined;

class Generator {
  readonly candidates: Candidate[] = [];
  readonly skipped: Skipped[] = [];

  /** Offset after which no event expects anything (an inbound packet there cannot show an effect). */
  lastExpectation = -1;
  /**
   * The stack starts a join to the peer's initial address in the script (an inbound C flag only
   * forbids those: pm_kernel.c fill_remote_addresses_vec); a join written without endpoints counts.
   */
  joins = false;
  /** An MP_CAPABLE of the script asks for DSS checksums (flag A). */
  checksums = false;
  /** The inbound packet being mutated is a third ACK: ACK, no SYN, no payload. */
  private thirdAck = false;
  /** The segment kind of the inbound packet being mutated (for the MP_CAPABLE parsing rules). */
  private segment: CapableSegment = 'ack';
  /** No MPTCP socket in the script: plain TCP ignores every MPTCP option it receives. */
  plainTcp = false;
  /** The script runs the bundled stack's v0 mode (`net.mptcp.mptcp_version=0`): other parsing rules. */
  v0Mode = false;
  /** The script's inbound DSS mappings per subflow (inbound-mapping.ts). */
  readonly mappings = new InboundMappings();
  /**
   * The MPTCP connection the script is talking to (a new one from each inbound MP_CAPABLE SYN;
   * scripts write endpoints on some lines only, so this follows the script's order): the highest
   * DATA_ACK the script sent, and whether the handshake awaits its completing ACK.
   */
  private inbound = { dack: undefined as bigint | undefined, awaitingAck: false };
  /** The highest DATA_ACK the script sent on the connection before the packet being mutated. */
  private dackBefore: bigint | undefined;
  /** The packet being mutated completes a passive MP_CAPABLE handshake. */
  private completesHandshake = false;

  private inboundState(body: TcpBody): { state: { dack: bigint | undefined; awaitingAck: boolean }; completes: boolean } {
    const syn = (body.flags & TcpFlag.SYN) !== 0;
    const opts = Array.isArray(body.options) ? body.options : [];
    if (syn && !(body.flags & TcpFlag.ACK)) {
      if (opts.some((o) => o.kind === 'mp_capable')) this.inbound = { dack: undefined, awaitingAck: true };
      else this.inbound.awaitingAck = false; // a join's (or a plain) SYN: its ACK completes no MP_CAPABLE handshake
    }
    const state = this.inbound;
    const completes = !syn && state.awaitingAck && (body.flags & TcpFlag.ACK) !== 0;
    if (completes) state.awaitingAck = false;
    return { state, completes };
  }

  /** The inbound packet being mutated carries an MP_CAPABLE too. */
  private packetHasCapable = false;
  /** An MP_JOIN handshake came before the packet being mutated (Linux then ignores MP_FAIL: no infinite fallback left). */
  joinSeen = false;
  /** The script announces an address to the stack (an inbound ADD_ADDR that is not an echo). */
  peerAnnounces = false;
  /** Address ids the script (the peer) removes with REMOVE_ADDR (the one way a join's address id shows to a script). */
  readonly removedIds = new Set<number>();

  /** A REMOVE_ADDR of the script names the join id `image` or the one after it (its mutant). */
  removesId(image: string): boolean {
    const id = Number(image);
    return !Number.isInteger(id) || this.removedIds.has(id) || this.removedIds.has(id + 1);
  }
  /** ADD_ADDRs the stack is expected to announce (not echoes): an echo can only matter for a second one. */
  announces = 0;
  /** The script sets net.mptcp.add_addr_timeout itself (a retransmitted ADD_ADDR may then show). */
  addAddrTimeoutSet = false;
  /**
   * The script picks the userspace path manager and nothing in it acts as the daemon (no PM
   * command, no netlink event expected): Linux then drops an announcement unread but for the
   * AddAddr/AddAddrDrop counters (pm.c mptcp_pm_add_addr_received).
   */
  userspacePmIdle = false;
  /** An MP_JOIN anywhere in the script: a dropped mapping then resets (reason 6) where a bad one resets (reason 1). */
  anyJoin = false;
  /** The latest outbound SYN set MP_CAPABLE's flag A: checksums are on whatever the SYN/ACK says (subflow.c subflow_finish_connect ORs it in). */
  private synAskedChecksum = false;
  /** Whether the latest outbound SYN carried an MPTCP option (a SYN/ACK's MPTCP option answers nothing otherwise). */
  private synAsked: boolean | undefined;
  /** Outbound SYNs (by offset) whose START counts: the script's next SYN on the connection is a SYN/ACK. */
  readonly synStarts = new Set<number>();
  /** The stack sent an MP_FAIL the script has not answered yet (an inbound MP_FAIL then only stops Linux's timer). */
  private ownMpFailUnanswered = false;
  /** The stack only accepts connections in the script (an inbound MP_CAPABLE SYN, no outbound one). */
  passiveOnly = false;
  /** The subflow key of the script's first inbound MP_CAPABLE SYN ('' when written without endpoints). */
  initialSubflow = '';
  /** Inbound DSS options (by offset) whose DATA_ACK a later packet repeats before anything shows it (inbound-dack.ts). */
  supersededDacks = new Set<number>();

  constructor(readonly src: ScriptText, readonly loaded: LoadedScript, readonly opts: GenerateOptions) {}

  skip(reason: SkipCode, at: number, field: string): void {
    this.skipped.push({ reason, ...this.src.position(at), field });
  }

  add(kind: string, at: number, ...tries: Array<{ edit: Edit; description: string } | undefined>): void {
    const real = tries.filter((t): t is { edit: Edit; description: string } => t !== undefined);
    if (real.length > 0) this.candidates.push({ kind, at, tries: real });
  }

  /** `old → new` for a replaced token. */
  replaceTok(t: Tok, text: string, label: string): { edit: Edit; description: string } {
    return { edit: { start: t.start, end: t.end, text }, description: `${label}${label ? ' ' : ''}${t.image} → ${text}` };
  }

  /** A number one step up, else one step down. */
  number(kind: string, t: Tok, label: string, max?: bigint): void {
    const up = stepNumber(t.image, 1n, max);
    const down = stepNumber(t.image, -1n, max);
    this.add(kind, t.start, up === undefined ? undefined : this.replaceTok(t, up, label), down === undefined ? undefined : this.replaceTok(t, down, label));
  }

  // ---- packets --------------------------------------------------------------------------------

  packet(a: PacketAction): void {
    if (a.body.kind !== 'tcp') return;
    const opts = Array.isArray(a.body.options) ? a.body.options : [];
    const joinAck = opts.some((o) => o.kind === 'mp_join_ack');
    if (joinAck && a.direction === 'outbound') this.joinSeen = true;
    if (a.direction === 'outbound') {
      if (opts.some((o) => o.kind === 'mp_fail')) this.ownMpFailUnanswered = true;
      if (a.body.flags & TcpFlag.SYN && !(a.body.flags & TcpFlag.ACK)) {
        const opts = Array.isArray(a.body.options) ? a.body.options : [];
        this.synAsked = opts.some(isMptcp);
        this.synAskedChecksum = opts.some((o) => o.kind === 'mp_capable' && (o.flags & 0x80) !== 0);
      }
      this.ipInfo(a);
      this.header(a.body);
      this.outboundOptions(a.body);
    } else if (this.opts.inbound !== false) {
      if (a.range.start.offset > this.lastExpectation) {
        if (Array.isArray(a.body.options) && a.body.options.some(isMptcp)) this.skip('inbound-last', a.range.start.offset, 'inbound');
        return;
      }
      if (Array.isArray(a.body.options) && a.body.options.some(isMptcp) && this.ignoresAll(a.body)) return;
      const { state, completes } = this.inboundState(a.body);
      this.dackBefore = state.dack;
      this.completesHandshake = completes;
      this.inboundOptions(a.body);
      if (opts.some((o) => o.kind === 'mp_fail')) this.ownMpFailUnanswered = false;
      const dss = opts.find((o): o is Extract<TcpOptionSpec, { kind: 'dss' }> => o.kind === 'dss');
      const dack = dss?.dack?.value?.kind === 'relative' ? dss.dack.value.value : undefined;
      if (dack !== undefined && (state.dack === undefined || dack > state.dack)) state.dack = dack;
    }
    if (joinAck) this.joinSeen = true;
  }

  ipInfo(a: PacketAction): void {
    if (!a.ip) return;
    const toks = this.src.tokensOf(a.ip.range);
    toks.forEach((t, i) => {
      const next = toks[i + 1];
      if ((t.image === 'tos' || t.image === 'ttl' || t.image === 'flowlabel') && isNumberTok(next)) {
        this.number(`ip.${t.image}`, next, t.image, t.image === 'flowlabel' ? 0xfffffn : 255n);
      }
      const ecn: Record<string, string> = { noecn: 'ect0', ect0: 'ect1', ect1: 'ce', ce: 'noecn', ect01: 'noecn' };
      if (ecn[t.image] !== undefined && t.type.startsWith('Kw_')) this.add('ip.ecn', t.start, this.replaceTok(t, ecn[t.image]!, ''));
    });
  }

  header(body: TcpBody): void {
    const toks = this.src.tokensOf(body.range);
    const start = body.range.start.offset;
    // Flags: letters then an optional '.', or '-' for none.
    if (body.ace !== undefined) this.skip('accecn', start, 'tcp.flags');
    else if (this.src.slice(start, start + body.flagsText.length) === body.flagsText) this.flags(body, start);
    // Sequence range: the first `A : B ( L )`.
    const i = toks.findIndex((t, k) => isNumberTok(t) && toks[k + 1]?.image === ':' && isNumberTok(toks[k + 2]) && toks[k + 3]?.image === '(');
    if (i >= 0) this.seqRange(body, toks[i]!, toks[i + 2]!, toks[i + 4]!);
    const ackFlag = (body.flags & TcpFlag.ACK) !== 0;
    const valueAfter = (word: string): Tok | undefined => {
      const k = toks.findIndex((t) => t.image === word && t.type.startsWith('Kw_'));
      return k >= 0 && isNumberTok(toks[k + 1]) ? toks[k + 1] : undefined;
    };
    const ack = valueAfter('ack');
    if (ack && ackFlag) this.number('tcp.ack', ack, 'ack', U32);
    else if (ack) this.skip('ack-without-flag', ack.start, 'tcp.ack');
    else if (ackFlag) this.skip('ack-unwritten', start, 'tcp.ack');
    const win = valueAfter('win');
    if (win) this.number('tcp.win', win, 'win', 0xffffn);
    else this.skip('win-unwritten', start, 'tcp.win');
    const urg = valueAfter('urg');
    if (urg) this.number('tcp.urg', urg, 'urg', 0xffffn);
  }

  flags(body: TcpBody, start: number): void {
    const text = body.flagsText;
    const letters = text === '-' ? '' : text.replace('.', '');
    const dot = text.includes('.');
    const write = (ls: string, d: boolean): string => (ls + (d ? '.' : '')) || '-';
    for (const f of FLAG_LETTERS) {
      const has = f === '.' ? dot : letters.includes(f);
      const next = f === '.' ? write(letters, !dot) : write(has ? letters.replace(f, '') : letters + f, dot);
      const edit = { start, end: start + text.length, text: next };
      this.add('tcp.flags', start, { edit, description: `flags ${has ? '-' : '+'}${f}: ${text} → ${next}` });
    }
  }

  seqRange(body: TcpBody, a: Tok, b: Tok, l: Tok): void {
    const isSynAck = (body.flags & TcpFlag.SYN) !== 0 && (body.flags & TcpFlag.ACK) !== 0;
    const isSyn = (body.flags & TcpFlag.SYN) !== 0 && !isSynAck;
    const edit = (sa: bigint, sb: bigint, sl: bigint): Edit => ({
      start: a.start,
      end: l.end,
      text: `${BigInt.asUintN(32, BigInt(a.image) + sa)}:${BigInt.asUintN(32, BigInt(b.image) + sb)}(${BigInt(l.image) + sl}`,
    });
    const was = this.src.slice(a.start, l.end + 1);
    const tryOf = (e: Edit): { edit: Edit; description: string } => ({ edit: { ...e, end: e.end }, description: `${was} → ${e.text})` });
    if (isSynAck) this.skip('syn-ack-seq', a.start, 'tcp.seq');
    else if (isSyn && !this.synStarts.has(body.range.start.offset)) this.skip('syn-seq-unused', a.start, 'tcp.seq');
    else this.add('tcp.seq', a.start, tryOf(edit(1n, 1n, 0n)));
    const up = edit(0n, 1n, 1n);
    const down = BigInt(l.image) > 0n ? edit(0n, -1n, -1n) : undefined;
    this.add('tcp.length', b.start, tryOf(up), down && tryOf(down));
  }

  outboundOptions(body: TcpBody): void {
    if (body.options === 'any') {
      this.skip('options-any', body.optionsRange?.start.offset ?? body.range.start.offset, 'options');
      return;
    }
    const specs = body.options === 'none' ? [] : body.options;
    for (const spec of specs) {
      if (isMptcp(spec)) this.mptcpOption(spec, '', true);
      else this.tcpOption(spec);
    }
    this.optionList(body, specs);
  }

  /**
   * Inbound MPTCP options the stack ignores whatever they say (equivalent mutants): every one on a
   * plain TCP socket, and those of a SYN/ACK answering a SYN that asked for no MPTCP (Linux only
   * reads the SYN/ACK's MP_CAPABLE when its own SYN carried one: subflow.c subflow_finish_connect).
   */
  ignoresAll(body: TcpBody): boolean {
    const synAck = (body.flags & TcpFlag.SYN) !== 0 && (body.flags & TcpFlag.ACK) !== 0;
    const reason = this.plainTcp ? 'inbound-plain-tcp' : synAck && this.synAsked === false ? 'inbound-unasked' : undefined;
    if (!reason) return false;
    for (const o of Array.isArray(body.options) ? body.options.filter(isMptcp) : []) this.skip(reason, o.range.start.offset, SUBTYPE_NAME[o.kind]!);
    return true;
  }

  inboundOptions(body: TcpBody): void {
    if (!Array.isArray(body.options)) return;
    const specs = body.options;
    const syn = (body.flags & TcpFlag.SYN) !== 0;
    this.packetHasCapable = specs.some((o) => o.kind === 'mp_capable');
    this.segment = syn ? ((body.flags & TcpFlag.ACK) !== 0 ? 'syn-ack' : 'syn') : body.payloadLength > 0 ? 'ack-data' : 'ack';
    this.thirdAck = (body.flags & TcpFlag.ACK) !== 0 && !syn && body.payloadLength === 0;
    specs.forEach((spec, i) => {
      if (!isMptcp(spec)) return;
      const unseen = this.unseenInbound(spec);
      if (unseen) {
        this.skip(unseen, spec.range.start.offset, SUBTYPE_NAME[spec.kind]!);
        return;
      }
      this.mptcpOption(spec, 'in.', false);
      if (this.ignoredCapable(spec)) this.skip('inbound-mpc-ignored', spec.range.start.offset, 'mp_capable.drop');
      else if (spec.kind === 'dss' && !this.anyJoin && this.invalidMapping(spec)) this.skip('inbound-mapping-invalid', spec.range.start.offset, 'dss.drop');
      else if (this.repeatedDataAck(spec)) this.skip('inbound-dack-repeat', spec.range.start.offset, 'dss.drop');
      else if (this.supersededDacks.has(spec.range.start.offset)) this.skip('inbound-dack-superseded', spec.range.start.offset, 'dss.drop');
      else if (spec.kind === 'mp_fail' && this.ownMpFailUnanswered && !this.anyJoin) this.skip('inbound-mp-fail-answer', spec.range.start.offset, 'mp_fail.drop');
      else this.add('in.mptcp.drop', spec.range.start.offset, ...this.dropOption(body, specs, i));
    });
  }

  /**
   * A DSS that only repeats a DATA_ACK the script already sent on this connection: Linux acts on
   * a DATA_ACK only when it moves (protocol.c ack_update_msk), so the segment is the same without it.
   */
  repeatedDataAck(spec: TcpOptionSpec): boolean {
    if (spec.kind !== 'dss' || spec.dsn !== undefined || spec.fin || spec.dack?.value?.kind !== 'relative') return false;
    // A listener's snd_una starts at 1 (the third ACK's keys acknowledge nothing): a DATA_ACK of 1
    // there never moves it. (A client's first DATA_ACK also makes it fully established.)
    const floor = this.passiveOnly ? 1n : undefined;
    const before = this.dackBefore !== undefined && floor !== undefined ? (this.dackBefore > floor ? this.dackBefore : floor) : this.dackBefore ?? floor;
    return before !== undefined && spec.dack.value.value <= before;
  }

  /**
   * Inbound options whose every field, and presence, a script cannot see: an MP_TCPRST (Linux
   * keeps its reason and T flag only for the netlink subflow-closed event: options.c
   * mptcp_incoming_options, pm_kernel.c; the RST resets the subflow with or without it), and an
   * MP_FASTCLOSE written with a key that is not the stack's (ignored; another wrong key, or none,
   * is the same test).
   */
  unseenInbound(spec: TcpOptionSpec): SkipCode | undefined {
    if (spec.kind === 'mp_reset') return 'inbound-mp-reset';
    // The ACK completing a passive MP_CAPABLE handshake without MP_CAPABLE: Linux falls back
    // whatever a DSS beside it says (subflow.c subflow_syn_recv_sock, options.c check_fully_established).
    if (spec.kind === 'dss' && this.completesHandshake && !this.packetHasCapable && !this.v0Mode) return 'inbound-dss-first-ack';
    if (spec.kind === 'mp_join_syn' && this.packetHasCapable) return 'inbound-join-beside-capable';
    // No join and no announcement in the script: ids other than 0 (the initial subflow) name nothing.
    if (spec.kind === 'remove_address' && !this.anyJoin && !this.peerAnnounces && !spec.addressIds.includes(0)) return 'inbound-remove-nothing';
    if (spec.kind === 'add_address' && spec.hmac.kind === 'literal' && !this.v0Mode) return 'inbound-add-addr-bad-hmac';
    if (spec.kind === 'mp_fail' && this.joinSeen) return 'inbound-mp-fail-ignored';
    if (spec.kind === 'add_address' && spec.hmac.kind === 'echo' && this.announces <= 1 && !this.addAddrTimeoutSet) return 'inbound-add-addr-echo';
    if (spec.kind === 'mp_fastclose' && ((spec.plus ?? 0n) !== 0n || spec.key?.value !== undefined)) return 'inbound-fastclose-wrong-key';
    // The 4-byte v0 form (with an address id) on a v1 connection: options.c mptcp_parse_option
    // reads MP_PRIO of one length only.
    if (spec.kind === 'mp_prio' && spec.addressId !== undefined && !this.v0Mode) return 'inbound-prio-v0-form';
    // A wrong HMAC or no MP_JOIN ACK at all: the join resets with MP_TCPRST 1 either way
    // (subflow.c subflow_syn_recv_sock: subflow_hmac_valid, fallback_is_fatal).
    if (spec.kind === 'mp_join_ack' && spec.hmac.kind === 'literal') return 'inbound-join-ack-bad-hmac';
    // The same on the active side: a join SYN/ACK with a wrong HMAC or without MP_JOIN is reset
    // with MP_TCPRST 1 (subflow.c subflow_finish_connect; checked on 6.18 with
    // conformance/3.2/client-bad-synack-hmac.pkt).
    if (spec.kind === 'mp_join_syn_ack' && spec.hmac.kind === 'literal') return 'inbound-join-synack-bad-hmac';
    return undefined;
  }

  /**
   * An inbound DSS whose mapping is invalid as written, and still would be with `change`: it does
   * not cover its segment, or (without a join, where a bad checksum could be answered with an
   * MP_FAIL naming the DSN) its checksum cannot be right — a presence against the negotiation
   * (MAPPING_INVALID), or a wrong checksum on the first mapping (no valid one seen: fallback).
   * Either way the connection falls back whatever else the mapping says.
   */
  invalidMapping(spec: TcpOptionSpec, change: { ssn?: number; dll?: number; fin?: boolean } = {}): boolean {
    const m = this.mappings.get(spec.range.start.offset);
    if (m === undefined || m.payload === 0) return false;
    const presence = this.checksums ? m.checksum === 'none' : m.checksum === 'literal';
    // A DLL one longer is not checked at all: the mapping waits for a byte that never comes
    // (subflow.c validate_data_csum checks a checksum on the whole mapping only).
    const wrongFirst = this.checksums && m.checksum === 'literal' && this.mappings.isFirst(m.at) && change.dll === undefined;
    // On the initial subflow no MP_FAIL names the DSN either: it is sent only by a join subflow or
    // after a valid checksum (subflow.c subflow_check_data_avail); with a join the subflow resets.
    const initial = !this.anyJoin || (this.initialSubflow !== '' && this.mappings.subflowOf(m.at) === this.initialSubflow);
    if (initial && (presence || wrongFirst)) return true;
    return !covers(m) && !covers({ ...m, ...change });
  }

  /**
   * An inbound mapping with a wrong literal checksum that the stack answers with an MP_FAIL (the
   * script expects one after it), covering its segment exactly: a DATA_FIN added makes the
   * segment's last byte run past the mapping, but Linux checks the mapping's checksum first and
   * fails it all the same (subflow.c get_mapping_status: validate_mapping looks at the start only,
   * then validate_data_csum), and the DATA_FIN's number, one before the mapping's end, is never
   * the data-level ack (it jumps over it). Measured on 6.18 with fallback/mp-fail-answered.pkt.
   */
  failedChecksumFirst(spec: TcpOptionSpec): boolean {
    const m = this.mappings.get(spec.range.start.offset);
    if (!this.checksums || m?.checksum !== 'literal' || m.fin || m.payload !== m.dll || !covers(m)) return false;
    return /^\s*\S+\s+>[^\n]*\bmp_fail\b/m.test(this.loaded.text.slice(spec.range.end.offset));
  }

  /**
   * The mapping at `at` cannot carry data another subflow delivered before (Linux discards such
   * old data whole, past the mapping too): no join in the script, or it is the script's first mapping.
   */
  noOldData(at: number): boolean {
    return !this.anyJoin || this.mappings.isFirst(at);
  }

  /** Why a one-up change of an inbound DSS field cannot show (inbound-mapping.ts), if it cannot. */
  mappingEquivalent(spec: TcpOptionSpec, name: string): SkipCode | undefined {
    if (spec.kind !== 'dss') {
      if (spec.kind === 'mp_capable' && name === 'mpcdatalen' && !this.checksums && this.mappings.longerDllEquivalent(spec.range.start.offset, !this.anyJoin)) return 'inbound-dll-longer';
      return undefined;
    }
    const m = this.mappings.get(spec.range.start.offset);
    if (!m) return undefined;
    if (name === 'dsn' && this.invalidMapping(spec)) return 'inbound-mapping-invalid';
    if (name === 'ssn' && this.invalidMapping(spec, { ssn: m.ssn + 1 })) return 'inbound-mapping-invalid';
    if (name === 'dll' && this.invalidMapping(spec, { dll: m.dll + 1 })) return 'inbound-mapping-invalid';
    if (name === 'ssn' && m.fin && m.dll === 1 && m.payload === 0) return 'inbound-data-fin-ssn';
    if (name === 'dll' && !this.checksums && this.mappings.longerDllEquivalent(m.at, !this.anyJoin)) return 'inbound-dll-longer';
    if (name === 'dll' && this.noOldData(m.at) && this.mappings.restUnmappedEither(m.at, { dll: m.dll + 1 })) return 'inbound-rest-unmapped';
    return undefined;
  }

  /**
   * An inbound address written as a name's value (`addr[a5=inet_addr("192.0.2.5")]`) that a later
   * line reads by the name (`addr[a5]`): what the stack does with it (the echo, a join to it) is
   * expected through the name, so another value is the same test.
   */
  boundAndReadLater(spec: TcpOptionSpec): boolean {
    const name = /\baddr\[\s*(\w+)\s*=/.exec(this.src.slice(spec.range.start.offset, spec.range.end.offset))?.[1];
    return name !== undefined && new RegExp(`\\baddr\\[\\s*${name}\\s*\\]`).test(this.loaded.text.slice(spec.range.end.offset));
  }

  /** An inbound MP_CAPABLE Linux does not parse as written (inbound-capable.ts); `change` tries another form of it. */
  ignoredCapable(spec: TcpOptionSpec, change: { version?: 0 | 1; flags?: number } = {}): boolean {
    if (spec.kind !== 'mp_capable' || this.v0Mode) return false;
    const shape = shapeOf(spec);
    if (capableParsed(shape, this.segment)) return false;
    return !capableParsed({ ...shape, ...change }, this.segment);
  }

  /**
   * Removes option `i`: with its separator (the whole `<...>` when it is the only one), or, since
   * a list must fill whole 32-bit words, replaced by 1 to 3 NOPs (the first form that checks).
   */
  dropOption(body: TcpBody, specs: TcpOptionSpec[], i: number): Array<{ edit: Edit; description: string }> {
    const spec = specs[i]!;
    const text = this.src.slice(spec.range.start.offset, spec.range.end.offset);
    const description = `drop option '${text}'`;
    let removed: Edit;
    if (specs.length === 1) {
      const r = body.optionsRange!;
      let from = r.start.offset;
      while (from > 0 && /[ \t]/.test(this.src.text[from - 1]!)) from--;
      removed = { start: from, end: r.end.offset, text: '' };
    } else if (i > 0) removed = { start: specs[i - 1]!.range.end.offset, end: spec.range.end.offset, text: '' };
    else removed = { start: spec.range.start.offset, end: specs[1]!.range.start.offset, text: '' };
    const padded = [1, 2, 3].map((n) => ({
      edit: { start: spec.range.start.offset, end: spec.range.end.offset, text: Array(n).fill('nop').join(', ') },
      description: `${description} (${n} nop in its place)`,
    }));
    return [{ edit: removed, description }, ...padded];
  }

  optionList(body: TcpBody, specs: TcpOptionSpec[]): void {
    const texts = specs.map((s) => this.src.slice(s.range.start.offset, s.range.end.offset));
    const dropped = new Set<string>();
    specs.forEach((s, i) => {
      if (dropped.has(texts[i]!)) return; // dropping either of two equal options is the same mutant
      dropped.add(texts[i]!);
      this.add(isMptcp(s) ? 'mptcp.drop' : 'opt.drop', s.range.start.offset, ...this.dropOption(body, specs, i));
    });
    // Add: a 4-byte word of options the line does not expect (SACK-permitted, else NOPs).
    const extra = specs.some((o) => o.kind === 'sack_permitted') ? 'nop, nop, nop, nop' : 'nop, nop, sackOK';
    if (body.options === 'none' || !body.optionsRange) {
      const end = body.range.end.offset;
      this.add('opt.add', end, { edit: { start: end, end, text: ` <${extra}>` }, description: `add options <${extra}>` });
    } else {
      const close = body.optionsRange.end.offset - 1;
      this.add('opt.add', close, { edit: { start: close, end: close, text: specs.length > 0 ? `, ${extra}` : extra }, description: `add options ${extra}` });
    }
    const k = texts.findIndex((t, i) => i + 1 < texts.length && texts[i + 1] !== t);
    if (k >= 0) {
      const a = specs[k]!;
      const b = specs[k + 1]!;
      const between = this.src.slice(a.range.end.offset, b.range.start.offset);
      this.add('opt.reorder', a.range.start.offset, {
        edit: { start: a.range.start.offset, end: b.range.end.offset, text: texts[k + 1] + between + texts[k] },
        description: `swap options '${texts[k]}' and '${texts[k + 1]}'`,
      });
    }
  }

  tcpOption(spec: TcpOptionSpec): void {
    const toks = this.src.tokensOf(spec.range);
    const after = (word: string): Tok | undefined => {
      const k = toks.findIndex((t) => t.image === word);
      return k >= 0 && isNumberTok(toks[k + 1]) ? toks[k + 1] : undefined;
    };
    switch (spec.kind) {
      case 'mss': {
        const t = after('mss');
        if (t) this.number('opt.mss', t, 'mss', 0xffffn);
        return;
      }
      case 'wscale': {
        const t = after('wscale');
        if (t) this.number('opt.wscale', t, 'wscale', 255n);
        return;
      }
      case 'sack':
        for (const t of toks.filter(isNumberTok)) this.number('opt.sack', t, 'sack', U32);
        return;
      case 'timestamp': {
        const val = after('val');
        const ecr = after('ecr');
        if (val) {
          if ((this.loaded.options?.tcpTsTickUsecs ?? 0) > 0) this.number('opt.ts.val', val, 'TS val', U32);
          else this.skip('ts-val', val.start, 'ts.val');
        }
        if (ecr) this.skip('ts-ecr', ecr.start, 'ts.ecr');
        return;
      }
      case 'fastopen': {
        const cookie = toks[1];
        if (cookie && /^[0-9A-Fa-f]+$/.test(cookie.image)) {
          this.add('opt.fastopen', cookie.start, this.replaceTok(cookie, stepHexText(cookie.image), 'cookie'));
        }
        return;
      }
      case 'md5':
        this.skip('md5', spec.range.start.offset, 'md5');
        return;
      case 'accecn':
        this.skip('accecn', spec.range.start.offset, 'accecn');
        return;
      default:
        return;
    }
  }

  // ---- MPTCP options ----------------------------------------------------------------------------

  mptcpOption(spec: TcpOptionSpec, prefix: '' | 'in.', outbound: boolean): void {
    const sub = SUBTYPE_NAME[spec.kind]!;
    const kind = (field: string): string => `${prefix}mptcp.${sub}.${field}`;
    const toks = this.src.tokensOf(spec.range);
    const start = spec.range.start.offset;
    const fieldOf = (k: number): string | undefined => {
      for (let j = k - 1; j >= 0; j--) if (MPTCP_FIELDS.has(toks[j]!.image)) return toks[j]!.image;
      return undefined;
    };

    if (spec.kind === 'dss' && spec.bare) {
      if (outbound) this.skip('dss-bare', start, 'dss');
      return;
    }
    const thirdAck = !outbound && spec.kind === 'mp_capable' && this.thirdAck;
    if (thirdAck) this.skip('inbound-third-ack', start, 'mp_capable.flags');
    else if (spec.kind === 'mp_capable') {
      const v = toks[1];
      if (spec.legacy || !v || (v.image !== 'v0' && v.image !== 'v1')) this.skip('version-default', start, 'mp_capable.version');
      else if (!outbound && this.ignoredCapable(spec, { version: v.image === 'v0' ? 1 : 0 })) this.skip('inbound-mpc-ignored', v.start, 'mp_capable.version');
      else this.add(kind('version'), v.start, this.replaceTok(v, v.image === 'v0' ? 'v1' : 'v0', 'version'));
    }

    let bracket: string | undefined; // the field a `[...]` belongs to
    for (let k = 1; k < toks.length; k++) {
      const t = toks[k]!;
      if (t.image === '[') {
        bracket = toks[k - 1]?.image === '=' ? toks[k - 2]?.image : toks[k - 1]?.image;
        if (bracket === 'flags' && !thirdAck) this.flagList(spec, toks, k, kind('flags'));
        continue;
      }
      if (t.image === ']') {
        bracket = undefined;
        continue;
      }
      const field = bracket ?? fieldOf(k);
      if (spec.kind === 'mp_reset' && k === 1 && isNumberTok(t)) {
        this.number(kind('reason'), t, 'reason', 255n);
        continue;
      }
      if (t.type === 'DackKw' || t.type === 'DsnKw' || /^(dack|dsn)[48]$/.test(t.image)) {
        const base = t.image.slice(0, -1);
        const other = `${base}${t.image.endsWith('8') ? 4 : 8}`;
        if (spec.kind === 'mp_fail') this.skip('mp-fail-width', t.start, 'mp_fail.dsn_width');
        else if (outbound) this.add(kind(`${base}_width`), t.start, this.replaceTok(t, other, ''));
        else this.skip('inbound-width', t.start, `${sub}.${base}_width`);
        if (toks[k + 1]?.image !== '=') {
          if (outbound) this.skip('dss-no-value', t.start, `${sub}.${base}`);
        }
        continue;
      }
      if (t.image === 'nocs' || t.image === 'fin') {
        // Without a mapping a DSS has no checksum either way: outbound it is not compared; inbound
        // Linux parses both lengths and reads no checksum (options.c mptcp_parse_option).
        if (t.image === 'nocs' && spec.kind === 'dss' && !spec.dsn) {
          this.skip('dss-csum-no-mapping', t.start, 'dss.checksum');
          continue;
        }
        if (t.image === 'nocs' && !outbound && !this.checksums) {
          this.skip('inbound-csum-off', t.start, 'dss.checksum');
          continue;
        }
        const from = this.src.text.lastIndexOf(' ', t.start - 1);
        this.add(kind(t.image === 'nocs' ? 'checksum' : 'fin'), t.start, { edit: { start: from, end: t.end, text: '' }, description: `drop '${t.image}'` });
        continue;
      }
      if (t.image === 'addr_echo' || (t.image === 'auto' && field === 'hmac' && spec.kind === 'add_address')) {
        const from = t.image === 'auto' ? toks[k - 2]!.start : t.start;
        const now = t.image === 'auto' ? 'addr_echo' : 'hmac=auto';
        this.add(kind('echo'), from, { edit: { start: from, end: t.end, text: now }, description: `${this.src.slice(from, t.end)} → ${now}` });
        continue;
      }
      if (t.type === 'StringLit' && field === 'addr') {
        if (!outbound && this.boundAndReadLater(spec)) {
          this.skip('inbound-bound-address', t.start, `${sub}.addr`);
          continue;
        }
        const address = t.image.slice(1, -1);
        const next = stepAddress(address);
        if (next) this.add(kind('addr'), t.start, this.replaceTok(t, `"${next}"`, 'addr'));
        continue;
      }
      if (t.image === 'auto' || /^(sha1_32|sha256_32|trunc_l64_hmac|full_160_hmac)$/.test(t.image)) {
        this.skip('computed', t.start, `${sub}.${field ?? '?'}`);
        continue;
      }
      if (t.type === 'Word' && (bracket === 'key' || bracket === 'addr' || (spec.kind === 'mp_fastclose' && k === 1))) {
        // A name, with or without a value: the value is mutated below; a bare name has none.
        if (toks[k + 1]?.image !== '=' && !(spec.kind === 'mp_fastclose' && isNumberTok(toks[k + 2]))) this.skip('name', t.start, `${sub}.${bracket ?? 'key'}`);
        continue;
      }
      if (!isNumberTok(t)) continue;
      if (spec.kind === 'mp_capable' && (bracket === 'key' || field === undefined) && !outbound) {
        this.skip('inbound-key', t.start, 'mp_capable.key');
        continue;
      }
      if (!outbound && (field === 'dack4' || field === 'dack8') && spec.kind === 'dss') {
        this.skip('inbound-dack', t.start, 'dss.dack');
        continue;
      }
      if (!outbound && (field === 'cksum' || field === 'hmac' || field === 'sender_hmac' || field === 'token')) {
        this.skip('inbound-literal', t.start, `${sub}.${field}`);
        continue;
      }
      if (field === 'rand') {
        this.skip(outbound ? 'join-rand' : 'inbound-rand', t.start, `${sub}.rand`);
        continue;
      }
      if (!outbound && spec.kind === 'mp_capable' && field === 'mpcdatalen' && this.ignoredCapable(spec)) {
        this.skip('inbound-mpc-ignored', t.start, 'mp_capable.mpcdatalen');
        continue;
      }
      if (field === 'flags' && bracket === undefined) {
        if (thirdAck) continue;
        this.number(kind('flags'), t, 'flags', 255n);
        continue;
      }
      const name = spec.kind === 'mp_fastclose' || (spec.kind === 'mp_capable' && field === undefined) ? 'key' : field === 'sender_hmac' ? 'hmac' : field?.replace(/[48]$/, '') ?? 'value';
      const joinId = !outbound && name === 'address_id' && (spec.kind === 'mp_join_syn' || spec.kind === 'mp_join_syn_ack') && !this.removesId(t.image) && !this.v0Mode;
      const failDsn = !outbound && spec.kind === 'mp_fail' ? 'inbound-mp-fail-dsn' : undefined;
      const unheard = !outbound && spec.kind === 'add_address' && this.userspacePmIdle && (name === 'address_id' || name === 'port') ? 'inbound-add-addr-unheard' : undefined;
      const equivalent = joinId ? 'inbound-join-id' : failDsn ?? unheard ?? (outbound ? undefined : this.mappingEquivalent(spec, name === 'value' ? field ?? name : name));
      if (equivalent) {
        this.skip(equivalent, t.start, `${sub}.${name}`);
        continue;
      }
      const max = name === 'backup' ? 1n : name === 'address_id' ? 255n : name === 'port' ? 0xffffn : undefined;
      this.number(kind(name), t, name, max);
    }

    if (spec.kind === 'dss' && spec.dsn && !spec.bare) {
      const last = spec.range.end.offset;
      if (spec.checksum.kind === 'computed' && (outbound || this.checksums)) this.add(kind('checksum'), last, { edit: { start: last, end: last, text: ' nocs' }, description: "add 'nocs'" });
      else if (spec.checksum.kind === 'computed') this.skip('inbound-csum-off', last, 'dss.checksum');
      if (!spec.fin && !outbound && this.invalidMapping(spec, { fin: true })) this.skip('inbound-mapping-invalid', last, 'dss.fin');
      else if (!spec.fin && !outbound && this.noOldData(spec.range.start.offset) && this.mappings.restUnmappedEither(spec.range.start.offset, { fin: true })) this.skip('inbound-rest-unmapped', last, 'dss.fin');
      else if (!spec.fin && !outbound && this.failedChecksumFirst(spec)) this.skip('inbound-fin-bad-checksum', last, 'dss.fin');
      else if (!spec.fin) this.add(kind('fin'), last, { edit: { start: last, end: last, text: ' fin' }, description: "add 'fin'" });
    }
    if (spec.kind === 'mp_reset' && !toks.some((t) => t.image === 'flags')) {
      const last = spec.range.end.offset;
      this.add(kind('flags'), last, { edit: { start: last, end: last, text: ' flags[flag_t]' }, description: 'add flags[flag_t]' });
    }
  }

  /** `flags[...]` of MP_CAPABLE (each flag removed, A/B/C/H added) and MP_TCPRST (T toggled). */
  flagList(spec: TcpOptionSpec, toks: Tok[], open: number, kind: string): void {
    let close = open + 1;
    while (close < toks.length && toks[close]!.image !== ']') close++;
    const names = toks.slice(open + 1, close).filter((t) => t.image !== ',');
    const written = names.map((t) => t.image).filter((n) => n !== 'no_flags');
    const from = toks[open]!.start;
    const to = toks[close]?.end ?? spec.range.end.offset;
    const was = this.src.slice(from, to);
    const list = (ns: string[]): string => `[${ns.length ? ns.join(', ') : 'no_flags'}]`;
    const all = spec.kind === 'mp_reset' ? ['flag_t'] : [...CAPABLE_FLAGS];
    const inbound = kind.startsWith('in.');
    /** An inbound MP_CAPABLE flag change the stack cannot show (the SYN's A; an option ignored before and after). */
    const equivalent = (n: string, set: boolean): boolean => {
      if (!inbound || spec.kind !== 'mp_capable') return false;
      if (!this.v0Mode && (isSynChecksumFlag(n, this.segment) || (n === 'flag_a' && this.segment === 'syn-ack' && this.synAskedChecksum))) {
        this.skip('inbound-syn-flag-a', from, 'mp_capable.flags');
        return true;
      }
      const bit = FLAG_BITS[n];
      if (bit === undefined || !this.ignoredCapable(spec, { flags: set ? spec.flags | bit : spec.flags & ~bit })) return false;
      this.skip('inbound-mpc-ignored', from, 'mp_capable.flags');
      return true;
    };
    for (const n of written) {
      if (equivalent(n, false)) continue;
      const next = list(written.filter((x) => x !== n));
      this.add(kind, from, { edit: { start: from, end: to, text: next }, description: `flags -${n}: ${was} → ${next}` });
    }
    for (const n of all) {
      if (written.includes(n)) continue;
      if (n === 'flag_c' && kind.startsWith('in.') && !this.joins) {
        this.skip('inbound-flag-c', from, 'mp_capable.flags');
        continue;
      }
      if (equivalent(n, true)) continue;
      const next = list([...written, n]);
      this.add(kind, from, { edit: { start: from, end: to, text: next }, description: `flags +${n}: ${was} → ${next}` });
    }
  }

  // ---- calls ----------------------------------------------------------------------------------

  syscall(a: SyscallAction): void {
    const ret = a.expectedReturn;
    const r = ret.range.start.offset;
    if (ret.kind === 'ellipsis') this.skip('ellipsis', r, 'call.ret');
    else if (a.expectedErrno) {
      const end = a.expectedErrno.range.end.offset;
      const was = this.src.slice(r, end);
      this.add('call.ret', r, { edit: { start: r, end, text: '0' }, description: `${was} → 0` });
      const alt = ERRNO_ALTERNATIVES.find((e) => !sameErrnoName(e, a.expectedErrno!.name))!;
      const e = a.expectedErrno.range;
      this.add('call.errno', e.start.offset, { edit: { start: e.start.offset, end: e.end.offset, text: alt }, description: `errno ${a.expectedErrno.name} → ${alt}` });
    } else if (ret.kind === 'int' && ret.value >= 0n && FD_CALLS.has(a.name)) {
      this.skip('returned-fd', r, 'call.ret');
    } else {
      this.expr(ret, 'call.ret', 'result');
    }
    const args = a.args;
    if (a.expectedErrno || (ret.kind === 'int' && ret.value < 0n)) {
      const outputs = a.name === 'getsockopt' ? args.slice(3, 5) : a.name === 'ioctl' ? args.slice(2, 3) : a.name === 'poll' || a.name === 'epoll_wait' || a.name === 'recvmsg' ? [args[a.name === 'poll' ? 0 : 1]] : [];
      for (const o of outputs) if (o && o.kind !== 'ellipsis') this.skip('failed-call-output', o.range.start.offset, `call.${a.name}`);
      return;
    }
    switch (a.name) {
      case 'getsockopt':
        if (args[3]) this.expr(args[3], args[3].kind === 'struct' ? 'call.struct' : 'call.optval', 'optval');
        if (args[4]) {
          const len = args[4].kind === 'array' && args[4].items.length === 1 ? args[4].items[0]! : args[4];
          const needed = optlenNeeded(a);
          const echoed = echoedUp(len, optlenLimit(a));
          if (needed === 0 && echoed) {
            // A 0 compared through an echoed length: no length cuts it (echoed-length.ts).
            this.skip('echoed-length', args[4].range.start.offset, 'optlen');
            return;
          }
          const down = needed !== undefined && len.kind === 'int' && BigInt(needed) < len.value ? BigInt(needed - 1) : undefined;
          this.expr(args[4], 'call.optlen', 'optlen', echoed, down);
        }
        return;
      case 'ioctl':
        if (args[2]) this.expr(args[2], 'call.ioctl', 'output');
        return;
      case 'poll':
        for (const item of args[0]?.kind === 'array' ? args[0].items : []) {
          const rev = item.kind === 'struct' ? item.fields.find((f) => f.name === 'revents') : undefined;
          if (rev) this.expr(rev.value, 'call.revents', 'revents');
        }
        return;
      case 'epoll_wait': {
        const list = args[1];
        if (!list) return;
        const items = (list.kind === 'array' ? list.items : [list]).filter((x): x is StructExpr => x.kind === 'struct');
        const returned = ret.kind === 'int' ? Number(ret.value) : items.length;
        items.forEach((s, i) => {
          if (i >= returned) {
            this.skip('ellipsis', s.range.start.offset, 'call.epoll');
            return;
          }
          for (const f of s.fields) this.expr(f.value, 'call.epoll', f.name ?? 'data');
        });
        return;
      }
      case 'recvmsg': {
        const m = args[1];
        if (m?.kind !== 'struct') return;
        for (const f of m.fields) {
          if (f.name === 'msg_flags') this.expr(f.value, 'call.msg_flags', 'msg_flags');
          if (f.name === 'msg_control') this.expr(f.value, 'call.cmsg', 'msg_control');
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Every value leaf of an expectation expression, one step away; `upEchoed`: a length Linux
   * echoes one up (echoed-length.ts), mutated one down only; `down`: the value to use instead of
   * one less (a length that cuts a compared field, where one less would not).
   */
  expr(e: Expr, kind: string, label: string, upEchoed = false, down?: bigint): void {
    const at = e.range.start.offset;
    const whole = (value: bigint | undefined): void => {
      if (value === undefined) return;
      const was = this.src.slice(at, e.range.end.offset);
      const tries = [value + 1n, value - 1n].filter((v) => v >= 0n).map((v) => ({ edit: { start: at, end: e.range.end.offset, text: String(v) }, description: `${label} ${was} → ${v}` }));
      this.add(kind, at, ...tries);
    };
    switch (e.kind) {
      case 'ellipsis':
        this.skip('ellipsis', at, label);
        return;
      case 'int': {
        const image = this.src.slice(at, e.range.end.offset);
        if (!/^-?(0[xX][0-9A-Fa-f]+|\d+)$/.test(image)) return; // from a define: not the text
        const hex = /^0[xX]/.test(image);
        if (upEchoed) this.skip('echoed-length', at, label);
        const tries = (upEchoed ? [-1n] : [1n, -1n]).map((d) => (d < 0n && down !== undefined ? String(down) : hex ? stepNumber(image, d) : String(BigInt(image) + d)));
        this.add(kind, at, ...tries.map((t) => (t === undefined ? undefined : { edit: { start: at, end: e.range.end.offset, text: t }, description: `${label} ${image} → ${t}` })));
        return;
      }
      case 'symbol':
        if (e.name === 'NULL') return;
        whole(e.value);
        return;
      case 'or':
        whole(evalOr(e));
        return;
      case 'binary':
        return;
      case 'string': {
        const lit = this.src.slice(at, e.range.end.offset);
        const m = /^"(.*[A-Za-z0-9])"$/.exec(lit);
        if (!m) return;
        const last = m[1]!.slice(-1);
        const next = last === 'z' ? 'y' : last === 'Z' ? 'Y' : last === '9' ? '8' : String.fromCharCode(last.charCodeAt(0) + 1);
        this.add(kind, at, { edit: { start: at, end: e.range.end.offset, text: `"${m[1]!.slice(0, -1)}${next}"` }, description: `${label} ${lit} → "${m[1]!.slice(0, -1)}${next}"` });
        return;
      }
      case 'array':
        for (const item of e.items) this.expr(item, kind, label, upEchoed, down);
        return;
      case 'struct':
        for (const f of e.fields) this.expr(f.value, kind, f.name ?? label, echoedUp(f.value, structFieldLimit(e, f.name)));
        return;
      case 'call': {
        const arg = e.args[0];
        if ((e.fn === 'inet_addr' || e.fn === 'inet6_addr') && arg?.kind === 'string') {
          const next = stepAddress(arg.value);
          if (next) this.add(kind, arg.range.start.offset, { edit: { start: arg.range.start.offset, end: arg.range.end.offset, text: `"${next}"` }, description: `${label} ${e.fn}("${arg.value}") → ${e.fn}("${next}")` });
        } else if ((e.fn === 'htons' || e.fn === 'htonl') && arg) this.expr(arg, kind, label);
        return;
      }
    }
  }
}

/**
 * The outbound SYNs whose START counts: the next SYN the script writes on the same connection
 * (same endpoints, if written) is its SYN/ACK. A SYN retransmitted, refused or left unanswered
 * sets nothing the script compares.
 */
function findSynStarts(events: readonly Event[], src: ScriptText, out: Set<number>): void {
  const packets = tcpPackets(events);
  const key = (a: PacketAction): string => connectionKey(a, src);
  packets.forEach(({ a, body }, i) => {
    if (a.direction !== 'outbound' || !(body.flags & TcpFlag.SYN) || body.flags & TcpFlag.ACK) return;
    const k = key(a);
    const next = packets.slice(i + 1).find((p) => p.body.flags & TcpFlag.SYN && key(p.a) === k);
    if (next && next.a.direction === 'inbound' && next.body.flags & TcpFlag.ACK) out.add(body.range.start.offset);
  });
}

function tcpPackets(events: readonly Event[]): Array<{ a: PacketAction; body: TcpBody }> {
  return events.flatMap((e) => (e.action.kind === 'packet' && e.action.body.kind === 'tcp' ? [{ a: e.action, body: e.action.body }] : []));
}

/** The connection (or subflow) as `stack side>script side`, from the endpoints written ('' when none). */
function connectionKey(a: PacketAction, src: ScriptText): string {
  if (!a.tuple) return '';
  const text = (r: { range: { start: { offset: number }; end: { offset: number } } } | undefined): string => (r ? src.slice(r.range.start.offset, r.range.end.offset) : '');
  const [stack, script] = a.direction === 'outbound' ? [a.tuple.src, a.tuple.dst] : [a.tuple.dst, a.tuple.src];
  return `${text(stack)}>${text(script)}`;
}

function evalOr(e: Expr): bigint | undefined {
  if (e.kind === 'int' || e.kind === 'symbol') return e.value;
  if (e.kind !== 'or') return undefined;
  let v = 0n;
  for (const t of e.terms) {
    const x = evalOr(t);
    if (x === undefined) return undefined;
    v |= x;
  }
  return v;
}

function sameErrnoName(a: string, b: string): boolean {
  const norm = (n: string): string => (n === 'EWOULDBLOCK' ? 'EAGAIN' : n === 'EDEADLOCK' ? 'EDEADLK' : n);
  return norm(a) === norm(b);
}

/** True when the text checks as a script with no error. */
function checks(file: string, text: string, load: LoadOptions | undefined): boolean {
  const r = checkText(file, text, load);
  return r.script !== undefined && !r.diagnostics.some((d) => d.severity === 'error');
}

/** Indices of `keep` items spread evenly over `total`. */
function spread(total: number, keep: number): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < keep; i++) out.add(Math.floor((i * total) / keep));
  return out;
}

/** All mutants of one checked script (which must have parsed without errors). */
export function generateMutants(loaded: LoadedScript, opts: GenerateOptions = {}): Generated {
  const script = loaded.script;
  if (!script) return { mutants: [], skipped: [] };
  const src = new ScriptText(loaded.text);
  const gen = new Generator(src, loaded, opts);
  /** Where the stack's MP_CAPABLE SYN went (the endpoint text), '' when written without endpoints. */
  let initialPeer: string | undefined;
  let stackSentDss = false;
  for (const ev of script.events) {
    const a = ev.action;
    if ((a.kind === 'packet' && a.direction === 'outbound') || a.kind === 'syscall' || a.kind === 'code') gen.lastExpectation = ev.range.start.offset;
    if (a.kind === 'packet' && a.direction === 'outbound' && a.body.kind === 'tcp' && Array.isArray(a.body.options)) {
      const dst = a.tuple?.dst ? src.slice(a.tuple.dst.range.start.offset, a.tuple.dst.range.end.offset) : undefined;
      if (a.body.options.some((o) => o.kind === 'mp_capable') && a.body.flags & TcpFlag.SYN && initialPeer === undefined) initialPeer = dst ?? '';
      if (a.body.options.some((o) => o.kind === 'mp_join_syn') && (dst === undefined || initialPeer === undefined || initialPeer === '' || dst === initialPeer)) gen.joins = true;
    }
    // A listener's peer: its initial address is where its MP_CAPABLE SYN came from.
    if (a.kind === 'packet' && a.direction === 'inbound' && a.body.kind === 'tcp' && Array.isArray(a.body.options) && initialPeer === undefined
      && (a.body.flags & TcpFlag.SYN) !== 0 && (a.body.flags & TcpFlag.ACK) === 0 && a.body.options.some((o) => o.kind === 'mp_capable')) {
      initialPeer = a.tuple?.src ? src.slice(a.tuple.src.range.start.offset, a.tuple.src.range.end.offset) : '';
    }
    // Checksums are negotiated by any MP_CAPABLE with A but an inbound SYN's (a listener ignores
    // it) and an inbound one after the stack sent a DSS (fully established: Linux reads
    // MP_CAPABLE in the handshake paths only, subflow.c).
    const inboundSyn = a.kind === 'packet' && a.direction === 'inbound' && a.body.kind === 'tcp' && (a.body.flags & TcpFlag.SYN) !== 0 && (a.body.flags & TcpFlag.ACK) === 0;
    const late = a.kind === 'packet' && a.direction === 'inbound' && stackSentDss;
    if (a.kind === 'packet' && !inboundSyn && !late && a.body.kind === 'tcp' && Array.isArray(a.body.options) && a.body.options.some((o) => o.kind === 'mp_capable' && (o.flags & 0x80) !== 0)) gen.checksums = true;
    if (a.kind === 'packet' && a.direction === 'outbound' && a.body.kind === 'tcp' && Array.isArray(a.body.options) && a.body.options.some((o) => o.kind === 'dss')) stackSentDss = true;
  }
  findSynStarts(script.events, src, gen.synStarts);
  gen.supersededDacks = supersededDataAcks(script.events, loaded.text);
  for (const { a, body } of tcpPackets(script.events)) gen.mappings.add(a, body, connectionKey(a, src));
  const firstCapableSyn = tcpPackets(script.events).find(({ a, body }) => a.direction === 'inbound' && body.flags & TcpFlag.SYN && !(body.flags & TcpFlag.ACK) && Array.isArray(body.options) && body.options.some((o) => o.kind === 'mp_capable'));
  if (firstCapableSyn) gen.initialSubflow = connectionKey(firstCapableSyn.a, src);
  const activeSyn = tcpPackets(script.events).some(({ a, body }) => a.direction === 'outbound' && body.flags & TcpFlag.SYN && !(body.flags & TcpFlag.ACK) && Array.isArray(body.options) && body.options.some((o) => o.kind === 'mp_capable'));
  gen.passiveOnly = firstCapableSyn !== undefined && !activeSyn;
  gen.anyJoin = /\bmp_join/.test(loaded.text);
  gen.addAddrTimeoutSet = /add_addr_timeout/.test(loaded.text);
  const code = loaded.text.replace(/\/\/.*$/gm, '');
  gen.userspacePmIdle = /\b(pm_type=1|path_manager=userspace)\b/.test(code) && !/^\s*\S+\s+(pm_\w+\s*\(|event\b)/m.test(code);
  for (const { a, body } of tcpPackets(script.events)) {
    // Only the peer's REMOVE_ADDR names the peer's address ids (the stack's names its own).
    for (const o of a.direction === 'inbound' && Array.isArray(body.options) ? body.options : []) if (o.kind === 'remove_address') for (const id of o.addressIds) gen.removedIds.add(id);
    const announced = Array.isArray(body.options) ? body.options.filter((o) => o.kind === 'add_address' && o.hmac.kind !== 'echo').length : 0;
    if (a.direction === 'outbound') gen.announces += announced;
    else if (announced > 0) gen.peerAnnounces = true;
  }
  gen.plainTcp = !/\bIPPROTO_MPTCP\b/.test(loaded.text);
  gen.v0Mode = /mptcp_version\s*=\s*0\b/.test(loaded.text) || /mptcp_version=0/.test(JSON.stringify(opts.load ?? {}));
  for (const ev of script.events) {
    const a = ev.action;
    if (a.kind === 'packet') gen.packet(a);
    else if (a.kind === 'syscall') gen.syscall(a);
  }
  const validate = opts.validate !== false;
  const seen = new Set<string>();
  const mutants: Mutant[] = [];
  const candidates = [...gen.candidates].sort((x, y) => x.at - y.at);
  const disabled = disabledLines(loaded.text);
  for (const c of candidates) {
    const off = disabled.get(src.position(c.at).line);
    if (off?.reason) {
      gen.skip('script-disabled', c.at, `${c.kind} (${off.reason})`);
      continue;
    }
    const ok = c.tries.find(
      (t) => loaded.text.slice(t.edit.start, t.edit.end) !== t.edit.text && (!validate || checks(loaded.file, applyEdit(loaded.text, t.edit), opts.load)),
    );
    if (!ok) {
      gen.skip('invalid', c.at, c.kind);
      continue;
    }
    const key = `${ok.edit.start}:${ok.edit.end}:${ok.edit.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    mutants.push({ kind: c.kind, ...src.position(c.at), description: ok.description, edit: ok.edit });
  }
  const skipped = gen.skipped.sort((x, y) => x.line - y.line || x.column - y.column);
  const max = opts.maxMutants;
  if (max !== undefined && mutants.length > max) {
    const keep = spread(mutants.length, max);
    const kept = mutants.filter((_, i) => keep.has(i));
    for (const [i, m] of mutants.entries()) if (!keep.has(i)) skipped.push({ reason: 'max-mutants', line: m.line, column: m.column, field: m.kind });
    return { mutants: kept, skipped };
  }
  return { mutants, skipped };
}

/** The script text of a mutant. */
export function mutantText(loaded: { text: string }, m: Mutant): string {
  return applyEdit(loaded.text, m.edit);
}
