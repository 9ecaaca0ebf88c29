// The typed script model: what a .pkt file means, built once from the parse tree by the visitor
// in src/script/build.ts. Every node carries its source range. Names of syscalls, constants,
// socket options, errno values and option fields are resolved here, once; the engine, the
// checker, the formatter and the targets never look at text again.

import type { SyscallName } from '../targets/target.js';

export interface SourcePos {
  /** 1-based line and column; offset is 0-based into the file text. */
  line: number;
  column: number;
  offset: number;
}

export interface SourceRange {
  start: SourcePos;
  /** Position just after the last character of the node. */
  end: SourcePos;
}

export interface Node {
  range: SourceRange;
}

// ---- File ---------------------------------------------------------------------------------

export interface Script extends Node {
  file: string;
  /** `--name=value` lines at the top, in order. */
  options: OptionLine[];
  /** Back-quoted command with no time, before the first event. */
  initCommand?: ShellAction;
  events: Event[];
  /** Back-quoted command with no time, after the last event. */
  cleanupCommand?: ShellAction;
  /** Every comment, kept for `fmt` (line and block comments, with their text incl. markers). */
  comments: Comment[];
}

export interface Comment extends Node {
  text: string;
}

export interface OptionLine extends Node {
  /** Name without the leading dashes, as written (`tolerance_usecs`). */
  name: string;
  /** Value text after `=`, if any (`20000`, `ipv4`, `"x"`, `NAME=VALUE` for define). */
  value?: string;
}

// ---- Time ---------------------------------------------------------------------------------

/** A time written in the script, in microseconds. */
export interface TimePoint {
  /** `+0.1` is relative to the previous event; `1.5` is absolute. */
  relative: boolean;
  usecs: number;
}

export type EventTime =
  | ({ kind: 'point' } & TimePoint)
  /** `*`: any time (outbound packets only). */
  | { kind: 'any' }
  /** `1.0~1.2` or `+0.1~+0.3` (outbound packets only). */
  | { kind: 'range'; start: TimePoint; end: TimePoint }
  /** `T...E` blocking syscall: starts at `start`, must return at `end`. */
  | { kind: 'blocking'; start: TimePoint; end: TimePoint };

export interface Event extends Node {
  time: EventTime;
  timeRange: SourceRange;
  action: Action;
}

export type Action = PacketAction | SyscallAction | ShellAction | CodeAction | PmEventAction;

/** `event TYPE(name=value, ...)`: an `mptcp_pm_events` notification expected (docs/language.md §6.5). */
export interface PmEventAction extends Node {
  kind: 'pmEvent';
  /** The event's name as the language writes it (`created`, `sub_established`, ...). */
  type: string;
  typeRange: SourceRange;
  /** The attributes the line checks; the others are not looked at. */
  named: NamedArg[];
}

export interface ShellAction extends Node {
  kind: 'shell';
  /** Command text between the backquotes (defines already substituted). */
  command: string;
}

export interface CodeAction extends Node {
  kind: 'code';
  /** Python source between `%{` and `}%`, leading/trailing blanks stripped. */
  code: string;
}

// ---- System calls -------------------------------------------------------------------------

/**
 * Calls the engine answers itself rather than the target's socket API: `cap_set` and the PSP calls
 * (accepted, warned about) and the MIB counter assertions `mib`/`mib_delta` (docs/language.md §6.3).
 */
export type LanguageOnlyCall = 'cap_set' | 'psp_rx_assoc' | 'psp_tx_assoc' | 'mib' | 'mib_delta' | PmCall;

/** The path-manager commands (docs/language.md §6.4): the `mptcp_pm` generic netlink family's. */
export type PmCall = 'pm_add_addr' | 'pm_del_addr' | 'pm_flush_addrs' | 'pm_set_limits' | 'pm_set_flags'
  | 'pm_announce' | 'pm_remove' | 'pm_subflow_create' | 'pm_subflow_destroy';

/** `name=value` in a call's arguments (path-manager commands take only these). */
export interface NamedArg extends Node {
  name: string;
  nameRange: SourceRange;
  value: Expr;
}

export interface SyscallAction extends Node {
  kind: 'syscall';
  /** Resolved call name (known to the language); unknown names are a check error. */
  name: SyscallName | LanguageOnlyCall;
  nameRange: SourceRange;
  args: Expr[];
  /** `name=value` arguments, in order (a path-manager command's; an error on any other call). */
  named?: NamedArg[];
  /** `= expr`: the expected return value. */
  expectedReturn: Expr;
  /** `-1 ERRNO`: the expected errno, resolved. */
  expectedErrno?: { name: string; value: number; range: SourceRange };
  /** The free-text `( ... )` note after the result, ignored by the executor. */
  note?: string;
}

export type Expr =
  | IntExpr
  | SymbolExpr
  | EllipsisExpr
  | OrExpr
  | StringExpr
  | ArrayExpr
  | StructExpr
  | CallExpr
  | BinaryExpr;

/** Integer literal (decimal or hex), 64-bit signed range checked by the lexer. */
export interface IntExpr extends Node {
  kind: 'int';
  value: bigint;
  /** true when written in hex (`0x...`), for `fmt`. */
  hex: boolean;
}

/** A symbolic constant, resolved to its Linux x86-64 value. */
export interface SymbolExpr extends Node {
  kind: 'symbol';
  name: string;
  value: bigint;
}

/** `...`: fill in something sensible / ignore. */
export interface EllipsisExpr extends Node {
  kind: 'ellipsis';
}

/** `A|B|C`. */
export interface OrExpr extends Node {
  kind: 'or';
  terms: Expr[];
}

export interface StringExpr extends Node {
  kind: 'string';
  /** Decoded bytes of the (concatenated) string, escapes applied. */
  value: string;
  /** Written with a trailing `...` (`"abc"...`), kept only for printing. */
  ellipsis: boolean;
}

/** `[e, ...]`: array, or a pointer to its single element (`[1]` as a sockopt value). */
export interface ArrayExpr extends Node {
  kind: 'array';
  items: Expr[];
}

/** `{...}`: struct with named and/or positional fields. */
export interface StructExpr extends Node {
  kind: 'struct';
  fields: StructField[];
}

export interface StructField extends Node {
  /** Field name (`sa_family`, `msg_iov`, `events`, `tcpi_state`, ...); absent when positional. */
  name?: string;
  /** `msg_iov(1)=...` / `msg_name(...)=...`: the count (or ellipsis) written after the name. */
  count?: Expr;
  value: Expr;
}

/** `htons(8080)`, `inet_addr("1.2.3.4")`, `inet6_addr("::1")`, and other helper calls. */
export interface CallExpr extends Node {
  kind: 'call';
  fn: 'htons' | 'htonl' | 'inet_addr' | 'inet6_addr' | string;
  args: Expr[];
}

/** Arithmetic some upstream scripts write (e.g. `1000+1`); `+` and `-` only. */
export interface BinaryExpr extends Node {
  kind: 'binary';
  op: '+' | '-';
  left: Expr;
  right: Expr;
}

// ---- Packets ------------------------------------------------------------------------------

export type Direction = 'inbound' | 'outbound';

export interface PacketAction extends Node {
  kind: 'packet';
  /** `<` inbound (the script injects it), `>` outbound (the stack must send it). */
  direction: Direction;
  /** Encapsulations written after the direction (`ipv4 A > B:`, `gre:`, `mpls ...:`), raw. */
  encaps: Encap[];
  ip?: IpInfo;
  /** Endpoints written before the flags; absent when the line names none. */
  tuple?: Tuple;
  body: TcpBody | UdpBody | IcmpBody;
  /** `(bad_csum)` [ext]: inject with a deliberately wrong TCP checksum. */
  badChecksum: boolean;
}

export interface Encap extends Node {
  /** `psp` is google's `encap psp spi N` (text `spi N`) [google]. */
  kind: 'ipv4' | 'ipv6' | 'gre' | 'mpls' | 'psp';
  /** Outer addresses for ipv4/ipv6 encapsulation. */
  src?: string;
  dst?: string;
  /** Anything else written (gre fields, mpls labels), kept as text: accepted, not executed. */
  text?: string;
}

export interface IpInfo extends Node {
  /** ECN / TOS: `noecn`, `ect0`, `ect1`, `ect01` (outbound only: either), `ce`, or `tos` byte. */
  ecn?: 'noecn' | 'ect0' | 'ect1' | 'ect01' | 'ce';
  tos?: number;
  flowLabel?: number;
  ttl?: number;
}

export interface Tuple extends Node {
  /** Left side: for inbound lines the script's side, for outbound the stack's side. */
  src?: Endpoint;
  dst?: Endpoint;
}

export type Endpoint =
  /** A bare port: `5555`. */
  | ({ kind: 'port'; port: number } & Node)
  /** `192.0.2.1:8080`, `[2001:db8::1]:80` or `2001:db8::1:80` as upstream lexes it. */
  | ({ kind: 'address'; address: string; port: number } & Node)
  /** `addr[NAME]` [mptcp]. */
  | ({ kind: 'named'; name: string } & Node);

export interface TcpBody extends Node {
  kind: 'tcp';
  /** Flags as written (`S.`, `P.`, `F.`, `R`, `.`, `-`, `SEW`...) and as TcpFlag bits. */
  flagsText: string;
  flags: number;
  /** AccECN ACE value written after the flags (`S.0`, `.3`) [google]. */
  ace?: number;
  seqStart: number;
  seqEnd: number;
  payloadLength: number;
  ack?: number;
  win?: number;
  urg?: number;
  /** Options: an exact list, `any` for `<...>`, or `none` when no `<...>` was written. */
  options: TcpOptionSpec[] | 'any' | 'none';
  optionsRange?: SourceRange;
}

export interface UdpBody extends Node {
  kind: 'udp';
  srcPort?: number;
  dstPort?: number;
  payloadLength: number;
}

export interface IcmpBody extends Node {
  kind: 'icmp';
  /** Type and code names as written (`unreachable`, `frag_needed`, `echo_request`...). */
  type: string;
  code?: string;
  mtu?: number;
  id?: number;
  /** The quoted packet in `[...]`: its sequence range and length (`[1:1461(1460)]`). */
  echoed?: { kind: 'tcp' | 'udp' | 'raw'; seqStart?: number; seqEnd?: number; payloadLength: number };
}

// ---- TCP options --------------------------------------------------------------------------

export type TcpOptionSpec =
  | ({ kind: 'nop' } & Node)
  | ({ kind: 'eol' } & Node)
  | ({ kind: 'mss'; mss: number } & Node)
  | ({ kind: 'wscale'; shift: number } & Node)
  | ({ kind: 'sack_permitted' } & Node)
  /** Relative [left, right) blocks. */
  | ({ kind: 'sack'; blocks: Array<[number, number]> } & Node)
  | ({ kind: 'timestamp'; val: number; ecr: number } & Node)
  /** `FO` / `FO cookie` (kind 34) and `FOEXP` (254). Cookie bytes; absent = request. */
  | ({ kind: 'fastopen'; experimental: boolean; cookie?: Uint8Array } & Node)
  | ({ kind: 'md5'; digest?: Uint8Array } & Node)
  /** AccECN [google]: field order chooses the option kind; kept as written. */
  | ({ kind: 'accecn'; fields: Array<{ name: 'e0b' | 'ceb' | 'e1b'; value: number }> } & Node)
  /** `raw KIND [HEX]` [ext]: one option as bytes, its length byte computed (2 + data). */
  | ({ kind: 'raw'; code: number; data: Uint8Array } & Node)
  | MptcpOptionSpec;

// ---- MPTCP options [mptcp] ----------------------------------------------------------------

/** A key reference: `NAME` or `NAME=VALUE`. */
export interface KeyRef extends Node {
  name: string;
  value?: bigint;
}

export type MptcpOptionSpec =
  | MpCapableSpec
  | MpJoinSynSpec
  | MpJoinSynAckSpec
  | MpJoinAckSpec
  | DssSpec
  | AddAddressSpec
  | RemoveAddressSpec
  | MpPrioSpec
  | MpFailSpec
  | MpFastcloseSpec
  | MpResetSpec;

export interface MpCapableSpec extends Node {
  kind: 'mp_capable';
  /** `v0`/`v1`; `none` (and the legacy spellings without a version) mean the default. */
  version: 0 | 1 | 'default';
  /** Flag byte. */
  flags: number;
  /** How the flags were written, for fmt: list of names, a number, or implied by a legacy form. */
  flagsForm: 'list' | 'number' | 'legacy';
  /** `nokey` → []; `key[A]` → [A]; `key[A, B]` → [A, B] (sender first). */
  keys: KeyRef[];
  /** `mpcdatalen N`. */
  dataLen?: number;
  /** `cksum=N` after mpcdatalen [ext]: inject a literal checksum. */
  checksum?: number;
  /** Written with the pre-RFC spelling (`mp_capable`, `mp_capable_no_cs`). */
  legacy?: 'mp_capable' | 'mp_capable_no_cs';
}

export type TokenSpec =
  | { kind: 'literal'; value: number }
  | { kind: 'hash'; alg: 'sha1' | 'sha256'; name: string }
  | { kind: 'auto' };

export type HmacSpec =
  | { kind: 'auto'; spelling: 'sender_hmac' | 'token' }
  | { kind: 'literal'; value: bigint }
  | { kind: 'keys'; form: 'trunc_l64' | 'full_160'; first: string; second: string }
  /** `trunc_l64_hmac(INT)`: parsed upstream but never applied [limit]. */
  | { kind: 'trunc_l64_int'; value: bigint };

export interface MpJoinSynSpec extends Node {
  kind: 'mp_join_syn';
  backup?: number;
  addressId?: number | 'auto';
  token: TokenSpec;
  rand?: number;
}

export interface MpJoinSynAckSpec extends Node {
  kind: 'mp_join_syn_ack';
  backup?: number;
  addressId?: number | 'auto';
  hmac: HmacSpec;
  rand?: number;
}

export interface MpJoinAckSpec extends Node {
  kind: 'mp_join_ack';
  hmac: HmacSpec;
}

/** A DSN / DATA_ACK value. */
export type SeqValue =
  /** Relative to the IDSN of the owning side (see docs/language.md §8.3.3). */
  | { kind: 'relative'; value: bigint }
  /** `trunc_r64_hmac(NAME)+N`: IDSN of the key bound to NAME, plus N: absolute. */
  | { kind: 'idsn_of_name'; name: string; plus: bigint }
  /** `trunc_r64_hmac_sha256(INT)` / `_sha1(INT)`: IDSN of a literal key: absolute. */
  | { kind: 'idsn_of_key'; alg: 'sha1' | 'sha256'; key: bigint };

export interface DssField {
  width: 4 | 8;
  /** Absent: `dack4` / `dsn8` with no value (inbound: computed; outbound: not compared). */
  value?: SeqValue;
}

export interface DssSpec extends Node {
  kind: 'dss';
  dack?: DssField;
  dsn?: DssField;
  ssn?: number;
  dll?: number;
  /** `nocs` / `cksum=0` → 'none'; `cksum=C` → literal; omitted → 'computed'. */
  checksum: { kind: 'none' } | { kind: 'literal'; value: number } | { kind: 'computed' };
  fin: boolean;
  /** A bare `dss` (no field at all). */
  bare: boolean;
}

export interface AddressRef extends Node {
  name: string;
  /** `addr[NAME=inet_addr("A4")]` / `inet6_addr("A6")`. */
  literal?: { family: 'inet' | 'inet6'; address: string };
}

export interface AddAddressSpec extends Node {
  kind: 'add_address';
  addressId?: number | 'auto';
  addr: AddressRef;
  port?: number;
  /** `hmac=auto`, `hmac=INT`, or `addr_echo`. */
  hmac: { kind: 'auto' } | { kind: 'literal'; value: bigint } | { kind: 'echo' };
}

export interface RemoveAddressSpec extends Node {
  kind: 'remove_address';
  addressIds: number[];
}

export interface MpPrioSpec extends Node {
  kind: 'mp_prio';
  backup?: number;
  addressId?: number | 'auto';
}

export interface MpFailSpec extends Node {
  kind: 'mp_fail';
  dsn?: DssField;
}

export interface MpFastcloseSpec extends Node {
  kind: 'mp_fastclose';
  /** Bare `mp_fastclose` → undefined (the receiver's bound key). */
  key?: KeyRef;
  plus?: bigint;
}

export interface MpResetSpec extends Node {
  kind: 'mp_reset';
  reason: number;
  /** MP_TCPRST flags nibble (`flag_t` = 1). */
  flags: number;
}

// ---- Diagnostics --------------------------------------------------------------------------

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  file: string;
  range: SourceRange;
  message: string;
  /** Stable machine-readable code (`unknown-syscall`, `time-backwards`, ...). */
  code: string;
}

/** What parsing + checking a file produced: a script when it parsed, and every diagnostic. */
export interface CheckedScript {
  file: string;
  text: string;
  script?: Script;
  diagnostics: Diagnostic[];
}
