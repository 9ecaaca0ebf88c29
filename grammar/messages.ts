// Short, compiler-like syntax error sentences: `unexpected 'foo', expected one of: ...`.
// Chevrotain's defaults list every lookahead path; here each alternative set is described by
// what a user would call it, and long keyword lists are cut.

import { EOF, tokenLabel, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';

/** What an alternation in a rule expects, when listing tokens would not help. */
const ruleWants: Record<string, string> = {
  action: "a packet ('<' or '>'), a system call, a `command` or a %{ code }% block",
  time: "a time (0, 1.5, +0.1, '*' or a range like 1.0~1.2)",
  timePoint: 'a time (0, 1.5, +0.1)',
  event: 'a time',
  primary: 'an expression (number, constant, "string", [array], {struct} or ...)',
  expr: 'an expression (number, constant, "string", [array], {struct} or ...)',
  structField: 'a struct field (name=value or a value)',
  tcpOption: 'a TCP option (nop, mss N, wscale N, sackOK, TS val N ecr N, ...) or an MPTCP option',
  mptcpOption: 'an MPTCP option (mpcapable, mp_join_syn, dss, add_address, ...)',
  tcpFlags: 'TCP flags (S, S., P., F., R, ., -)',
  packet: 'TCP flags, udp or icmp',
  endpoint: 'an endpoint (port, address:port or addr[NAME])',
  ipInfoItem: 'ECN/IP info (noecn, ect0, ect1, ect01, ce, tos N, flowlabel N, ttl N)',
  joinField: 'an MP_JOIN field (backup=, address_id=, token=, sender_hmac=, rand=)',
  dssField: 'a DSS field (dack4, dack8, dsn4, dsn8, ssn=, dll=, nocs, cksum=, fin)',
  seqValue: 'a sequence value (integer or trunc_r64_hmac...)',
  hmacValue: 'an HMAC (auto, integer, trunc_l64_hmac(A B) or full_160_hmac(A B))',
  tokenValue: 'a token (integer, auto, sha256_32(NAME) or sha1_32(NAME))',
  intValue: 'an integer',
  encap: 'an encapsulation (ipv4, ipv6, gre, mpls)',
};

/** Mismatches where the expected token is only the end of a list the user was writing. */
const listEnds: Record<string, string> = {
  'tcpOptions:RAngle': "a TCP or MPTCP option, ',' or '>'",
  'syscall:RParen': "an argument, ',' or ')'",
  'arrayExpr:RBracket': "an element, ',' or ']'",
  'structExpr:RBrace': "a field, ',' or '}'",
};

export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'end of file';
  const image = token.image.length > 30 ? token.image.slice(0, 27) + '...' : token.image;
  return `'${image.replace(/\n/g, '\\n')}'`;
}

function listOf(types: TokenType[]): string {
  const labels = [...new Set(types.map((t) => tokenLabel(t)))];
  if (labels.length === 1) return labels[0]!;
  const shown = labels.slice(0, 8);
  return 'one of: ' + shown.join(', ') + (labels.length > shown.length ? ', ...' : '');
}

export const pktErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const wanted = listEnds[`${ruleName}:${expected.name}`] ?? tokenLabel(expected);
    return `unexpected ${describeToken(actual)}, expected ${wanted}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}, expected the end of the event`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const wanted = ruleWants[ruleName] ?? listOf(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0]!)).filter(Boolean));
    return `unexpected ${describeToken(actual[0]!)}, expected ${wanted}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const wanted = ruleWants[ruleName] ?? listOf(expectedIterationPaths.map((path) => path[0]!).filter(Boolean));
    return `unexpected ${describeToken(actual[0]!)}, expected ${wanted}`;
  },
};
