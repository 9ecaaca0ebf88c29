// Tokens of the .pkt language (docs/language.md §2). The lexer is context free; the few context
// rules of the language are written as custom matchers:
//  - an IPv6 literal only when the text has a full IPv6 shape, so `1:1001(1000)` stays int : int;
//  - a `-` belongs to a number only when it cannot be a binary minus (`1000-1` is 1000 - 1);
//  - option lines (`--name=value`, `-D NAME=VALUE`) only at the start of a line.
// Keywords are *contextual*: every keyword token has the category Word, so a rule that expects a
// word accepts a keyword too. The lexer produces plain words; `retypeKeywords` (lexer.ts) turns
// the reserved ones into their keyword token afterwards.

import { createToken, Lexer, type TokenType, type CustomPatternMatcherFunc } from 'chevrotain';
import { isIPv6 } from 'node:net';

/** Every token except parentheses: the contents of a free-text note `( ... )`. */
export const NoteAtom = createToken({ name: 'NoteAtom', pattern: Lexer.NA });
/** Tokens allowed in the raw fields of `gre ...:` and `mpls ...:` encapsulations. */
export const EncapAtom = createToken({ name: 'EncapAtom', pattern: Lexer.NA });

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });

/** True when only blanks precede `offset` on its line. */
function atLineStart(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10) return true;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

const optionRe = /(?:--[A-Za-z0-9_-]+(?:=(?:"(?:[^"\\\n]|\\.)*"|[^\s]*))?|-D[ \t]*[A-Za-z_][A-Za-z0-9_]*=(?:"(?:[^"\\\n]|\\.)*"|[^\s]*))/y;
const matchOption: CustomPatternMatcherFunc = (text, offset) => {
  if (!atLineStart(text, offset)) return null;
  optionRe.lastIndex = offset;
  return optionRe.exec(text);
};
export const OptionLine = createToken({ name: 'OptionLine', label: "an option line '--name=value'", pattern: { exec: matchOption }, start_chars_hint: ['-'], line_breaks: false });

export const CodeBlock = createToken({ name: 'CodeBlock', label: "a '%{ ... }%' block", pattern: /%\{[\s\S]*?\}%/, line_breaks: true });
export const Backquoted = createToken({ name: 'Backquoted', label: 'a `command`', pattern: /`[^`]*`/, line_breaks: true });
export const StringLit = createToken({ name: 'StringLit', label: 'a string', pattern: /"(?:[^"\\\n]|\\[\s\S])*"/, categories: [NoteAtom, EncapAtom] });

// Unterminated forms: lexed so that the error names the construct and points at its start.
export const BadBlockComment = createToken({ name: 'BadBlockComment', pattern: /\/\*[\s\S]*/, line_breaks: true });
export const BadCodeBlock = createToken({ name: 'BadCodeBlock', pattern: /%\{[\s\S]*/, line_breaks: true });
export const BadBackquoted = createToken({ name: 'BadBackquoted', pattern: /`[^`]*/, line_breaks: true });
export const BadString = createToken({ name: 'BadString', pattern: /"(?:[^"\\\n]|\\[\s\S])*/ });

export const Ellipsis = createToken({ name: 'Ellipsis', label: "'...'", pattern: /\.\.\./, categories: [NoteAtom, EncapAtom] });

const hexDigit = /[0-9A-Fa-f]/;
const ipv6Char = /[0-9A-Fa-f:.]/;
/**
 * IPv6 literal: the longest prefix of the hex/colon/dot run that is a valid IPv6 address. A
 * valid address always has a full shape (eight groups, `::`, or an IPv4 tail), so `1:1001` is
 * never one.
 */
const matchIpv6: CustomPatternMatcherFunc = (text, offset) => {
  const first = text[offset]!;
  if (first !== ':' && !hexDigit.test(first)) return null;
  let end = offset;
  let colons = 0;
  while (end < text.length && end - offset < 45 && ipv6Char.test(text[end]!)) {
    if (text[end] === ':') colons++;
    end++;
  }
  if (colons < 2) return null;
  // A following word character means this is not an address (`::x` or `a:b:c:d:e:f:g:hz`).
  for (let stop = end; stop > offset + 1; stop--) {
    const candidate = text.slice(offset, stop);
    if (isIPv6(candidate)) {
      const next = text[stop];
      if (next !== undefined && /[A-Za-z0-9_]/.test(next)) return null;
      return [candidate];
    }
  }
  return null;
};
export const Ipv6Lit = createToken({ name: 'Ipv6Lit', label: 'an IPv6 address', pattern: { exec: matchIpv6 }, start_chars_hint: [...'0123456789abcdefABCDEF:'], line_breaks: false, categories: [NoteAtom, EncapAtom] });
export const Ipv4Lit = createToken({ name: 'Ipv4Lit', label: 'an IPv4 address', pattern: /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![0-9.])/, categories: [NoteAtom, EncapAtom] });

/** `-` starts a number unless it follows something a binary minus could follow. */
function signAllowed(text: string, offset: number): boolean {
  if (offset === 0) return true;
  return !/[A-Za-z0-9_)\]]/.test(text[offset - 1]!);
}
function numberMatcher(re: RegExp): CustomPatternMatcherFunc {
  return (text, offset) => {
    if (text[offset] === '-' && !signAllowed(text, offset)) return null;
    re.lastIndex = offset;
    return re.exec(text);
  };
}

export const Word = createToken({ name: 'Word', label: 'a word', pattern: /[A-Za-z0-9_]+/, categories: [NoteAtom, EncapAtom] });
export const Float = createToken({ name: 'Float', label: 'a number', pattern: { exec: numberMatcher(/-?\d*\.\d+/y) }, start_chars_hint: ['-', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], line_breaks: false, categories: [NoteAtom, EncapAtom], longer_alt: Word });
export const Hex = createToken({ name: 'Hex', label: 'a hex number', pattern: /0[xX][0-9A-Fa-f]+/, longer_alt: Word, categories: [NoteAtom, EncapAtom] });
export const Int = createToken({ name: 'Int', label: 'an integer', pattern: { exec: numberMatcher(/-?\d+/y) }, start_chars_hint: ['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], line_breaks: false, longer_alt: Word, categories: [NoteAtom, EncapAtom] });

function punct(name: string, ch: string, extra: TokenType[] = [NoteAtom, EncapAtom]): TokenType {
  return createToken({ name, label: `'${ch}'`, pattern: ch, categories: extra });
}
export const LAngle = punct('LAngle', '<', [NoteAtom]);
export const RAngle = punct('RAngle', '>', [NoteAtom]);
export const Dot = punct('Dot', '.');
export const Comma = punct('Comma', ',');
export const Colon = punct('Colon', ':', [NoteAtom]);
export const Semicolon = punct('Semicolon', ';');
export const LParen = punct('LParen', '(', [EncapAtom]);
export const RParen = punct('RParen', ')', [EncapAtom]);
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');
export const Equals = punct('Equals', '=');
export const Plus = punct('Plus', '+');
export const Minus = punct('Minus', '-');
export const Star = punct('Star', '*');
export const Tilde = punct('Tilde', '~');
export const Pipe = punct('Pipe', '|');
export const Bang = punct('Bang', '!');
/**
 * Any other printable character: lexed so a note can hold free text; anywhere else it is a
 * syntax error. A range rather than `[^\s]` keeps Chevrotain's first-char optimisation; control
 * characters are lexer errors.
 */
export const Other = createToken({ name: 'Other', label: 'a character', pattern: /[!-~\u00a0-\uffff]/, categories: [NoteAtom] });

// ---- Keywords --------------------------------------------------------------------------------

/** Flag names of MP_CAPABLE / MP_TCPRST (`flags[flag_h]`). */
export const MptcpFlag = createToken({ name: 'MptcpFlag', label: 'an MPTCP flag name', pattern: Lexer.NA });
/** DSS / MP_FAIL fields that carry a sequence value: `dack4 dack8 dsn4 dsn8`. */
export const DackKw = createToken({ name: 'DackKw', label: "'dack4' or 'dack8'", pattern: Lexer.NA });
export const DsnKw = createToken({ name: 'DsnKw', label: "'dsn4' or 'dsn8'", pattern: Lexer.NA });
/** ECN / TOS words inside `[...]` / `(...)` ip info. */
export const EcnKw = createToken({ name: 'EcnKw', label: 'an ECN codepoint', pattern: Lexer.NA });
export const AccEcnField = createToken({ name: 'AccEcnField', label: "'e0b', 'ceb' or 'e1b'", pattern: Lexer.NA });

export const keywordTokens = new Map<string, TokenType>();
/** Each keyword's categories, given once every keyword exists (see the end of the list). */
const keywordCategories = new Map<TokenType, TokenType[]>();
function kw(word: string, extra: TokenType[] = []): TokenType {
  const name = 'Kw_' + word.replace(/[^A-Za-z0-9_]/g, '_');
  const t = createToken({ name, label: `'${word}'`, pattern: Lexer.NA });
  keywordTokens.set(word, t);
  keywordCategories.set(t, [Word, ...extra]);
  return t;
}

export const K = {
  ack: kw('ack'), win: kw('win'), urg: kw('urg'), mss: kw('mss'), wscale: kw('wscale'),
  sackOK: kw('sackOK'), sack: kw('sack'), nop: kw('nop'), eol: kw('eol'), TS: kw('TS'), val: kw('val'),
  ecr: kw('ecr'), FO: kw('FO'), FOEXP: kw('FOEXP'), md5: kw('md5'), mtu: kw('mtu'), id: kw('id'),
  ipv4: kw('ipv4'), ipv6: kw('ipv6'), icmp: kw('icmp'), udp: kw('udp'), gre: kw('gre'), mpls: kw('mpls'),
  ttl: kw('ttl'), tos: kw('tos'), flowlabel: kw('flowlabel'), raw: kw('raw'), seq: kw('seq'),
  noecn: kw('noecn', [EcnKw]), ect0: kw('ect0', [EcnKw]), ect1: kw('ect1', [EcnKw]),
  ect01: kw('ect01', [EcnKw]), ce: kw('ce', [EcnKw]),
  encap: kw('encap'), psp: kw('psp'), spi: kw('spi'), ECN: kw('ECN'),
  e0b: kw('e0b', [AccEcnField]), ceb: kw('ceb', [AccEcnField]), e1b: kw('e1b', [AccEcnField]),
  bad_csum: kw('bad_csum'),
  // MPTCP
  mpcapable: kw('mpcapable'), mp_capable: kw('mp_capable'), mp_capable_no_cs: kw('mp_capable_no_cs'),
  v0: kw('v0'), v1: kw('v1'), none: kw('none'), flags: kw('flags'), nokey: kw('nokey'), key: kw('key'),
  mpcdatalen: kw('mpcdatalen'), cksum: kw('cksum'),
  flag_a: kw('flag_a', [MptcpFlag]), flag_b: kw('flag_b', [MptcpFlag]), flag_c: kw('flag_c', [MptcpFlag]),
  flag_d: kw('flag_d', [MptcpFlag]), flag_e: kw('flag_e', [MptcpFlag]), flag_f: kw('flag_f', [MptcpFlag]),
  flag_g: kw('flag_g', [MptcpFlag]), flag_h: kw('flag_h', [MptcpFlag]), flag_t: kw('flag_t', [MptcpFlag]),
  no_flags: kw('no_flags', [MptcpFlag]),
  mp_join_syn: kw('mp_join_syn'), mp_join_syn_ack: kw('mp_join_syn_ack'), mp_join_ack: kw('mp_join_ack'),
  backup: kw('backup'), address_id: kw('address_id'), token: kw('token'), rand: kw('rand'),
  sender_hmac: kw('sender_hmac'), auto: kw('auto'), sha1_32: kw('sha1_32'), sha256_32: kw('sha256_32'),
  trunc_l64_hmac: kw('trunc_l64_hmac'), full_160_hmac: kw('full_160_hmac'),
  trunc_r64_hmac: kw('trunc_r64_hmac'), trunc_r64_hmac_sha1: kw('trunc_r64_hmac_sha1'),
  trunc_r64_hmac_sha256: kw('trunc_r64_hmac_sha256'),
  dss: kw('dss'), dack4: kw('dack4', [DackKw]), dack8: kw('dack8', [DackKw]),
  dsn4: kw('dsn4', [DsnKw]), dsn8: kw('dsn8', [DsnKw]), ssn: kw('ssn'), dll: kw('dll'), nocs: kw('nocs'),
  fin: kw('fin'),
  add_address: kw('add_address'), addr: kw('addr'), port: kw('port'), hmac: kw('hmac'),
  addr_echo: kw('addr_echo'), inet_addr: kw('inet_addr'), inet6_addr: kw('inet6_addr'),
  remove_address: kw('remove_address'), mp_prio: kw('mp_prio'), mp_fail: kw('mp_fail'),
  mp_fastclose: kw('mp_fastclose'), mp_reset: kw('mp_reset'),
} as const;

// Chevrotain's createToken re-derives the member list of every category it touches, so ~130
// keywords created one by one in the category Word cost a quadratic ~30 ms at every start. The
// parser's constructor derives the categories of its whole vocabulary in one pass (allTokens
// below), so the keywords get theirs here, all at once, and take effect there.
for (const [t, categories] of keywordCategories) t.CATEGORIES = categories;

/** Tokens the lexer tries, in order (first match wins, `longer_alt` aside). */
export const lexerTokens: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, BadBlockComment, OptionLine, CodeBlock, BadCodeBlock,
  Backquoted, BadBackquoted, StringLit, BadString, Ellipsis, Ipv6Lit, Ipv4Lit, Hex, Float, Int, Word,
  LAngle, RAngle, Dot, Comma, Colon, Semicolon, LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Equals, Plus, Minus, Star, Tilde, Pipe, Bang, Other,
];

/** The whole vocabulary the parser knows (lexer tokens, categories and keywords). */
export const allTokens: TokenType[] = [
  ...lexerTokens, NoteAtom, EncapAtom, MptcpFlag, DackKw, DsnKw, EcnKw, AccEcnField, ...keywordTokens.values(),
];

/** Unterminated constructs, with the sentence the lexer reports for each. */
export const unterminated = new Map<TokenType, string>([
  [BadBlockComment, 'unterminated /* comment'],
  [BadCodeBlock, "unterminated %{ code block (missing '}%')"],
  [BadBackquoted, 'unterminated `command` (missing closing backquote)'],
  [BadString, 'unterminated string (missing closing \'"\')'],
]);
