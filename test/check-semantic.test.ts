// One test per semantic check: a short script that breaks exactly one rule gets exactly that
// diagnostic (code, severity, position); the same script with the rule respected gets none.

import test from 'ava';
import type { Diagnostic, Script, SourceRange } from '../src/script/ast.js';
import { checkScript, type CheckOptions } from '../src/script/check.js';
import { parseScript } from '../src/script/parse.js';

/** The parsed script; the parser may report errors of its own (they are not what is tested). */
function parse(text: string): Script {
  const r = parseScript(text, 'x.pkt');
  if (!r.script) throw new Error(`test script does not parse: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.script;
}

/** `line:column` of the `nth` occurrence (0-based) of `needle` in `text`. */
function at(text: string, needle: string, nth = 0): string {
  let i = -1;
  for (let n = 0; n <= nth; n++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`'${needle}' not in test script`);
  }
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** `code@line:col` of every diagnostic of `text`. */
function check(text: string, opts: CheckOptions = {}): string[] {
  return checkScript(parse(text), opts).map((d: Diagnostic) => `${d.severity} ${d.code}@${d.range.start.line}:${d.range.start.column}`);
}

const SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n';
const MPTCP_SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n';

test('absolute time earlier than the previous event is time-backwards', (t) => {
  t.deepEqual(check(`${SOCKET}0.5 listen(3, 1) = 0\n0.2 close(3) = 0\n`), ['error time-backwards@3:1']);
  t.deepEqual(check(`${SOCKET}0.5 listen(3, 1) = 0\n+0.2 close(3) = 0\n0.7 close(3) = 0\n`), []);
});

test('the first event must be at time 0, absolute or relative', (t) => {
  t.deepEqual(check('0.1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n'), ['error first-event-not-at-zero@1:1']);
  t.deepEqual(check('+0.1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n'), ['error first-event-not-at-zero@1:1']);
  t.deepEqual(check('+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n'), []);
});

test('ranges and any-time only on outbound packets; backwards ranges', (t) => {
  t.deepEqual(check(`${SOCKET}* close(3) = 0\n`), ['error any-time-not-outbound@2:1']);
  t.deepEqual(check(`${SOCKET}0.1~0.2 close(3) = 0\n`), ['error range-not-outbound@2:1']);
  t.deepEqual(check(`${SOCKET}0.3~0.2 > S 0:0(0) <...>\n`), ['error time-range-backwards@2:1']);
  t.deepEqual(check(`${SOCKET}+0.1~+0.3 > S 0:0(0) <...>\n* > S 0:0(0) <...>\n`), []);
});

test('a blocking call must not return before it starts', (t) => {
  t.deepEqual(check(`${SOCKET}0.5...0.2 accept(3, ..., ...) = 4\n`), ['error blocking-end-before-start@2:1']);
  // +0.1...0.3: both ends count from the previous event.
  t.deepEqual(check(`${SOCKET}0.5 listen(3, 1) = 0\n+0.1...0.3 accept(3, ..., ...) = 4\n`), []);
});

test('wrong number of syscall arguments names the call', (t) => {
  t.deepEqual(check(`${SOCKET}+0 listen(3) = 0\n`), [`error syscall-arity@${at(`${SOCKET}+0 listen`, 'listen')}`]);
  t.deepEqual(check(`${SOCKET}+0 fcntl(3, F_GETFL) = 2\n+0 fcntl(3, F_SETFL, O_RDWR) = 0\n`), []);
  t.deepEqual(check(`${SOCKET}+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0]) = 0\n`), [`error syscall-arity@${at(`${SOCKET}+0 getsockopt`, 'getsockopt')}`]);
});

test('a struct or string where a file descriptor goes', (t) => {
  t.deepEqual(check(`${SOCKET}+0 close({fd=3}) = 0\n`), [`error bad-fd-argument@${at(`${SOCKET}+0 close({`, '{')}`]);
});

test('unknown fields of known structs, by context and by field prefix', (t) => {
  const cases: Array<[string, string]> = [
    [`${SOCKET}+0 bind(3, {sa_family=AF_INET, sin_prot=htons(1)}, 16) = 0\n`, 'sin_prot'],
    [`${SOCKET}+0 poll([{fd=3, event=POLLIN}], 1, 0) = 0\n`, 'event='],
    [`${SOCKET}+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_rtt=1, tcpi_bogus=2}, [280]) = 0\n`, 'tcpi_bogus'],
    [`${SOCKET}+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fdd=3}) = 0\n`, 'fdd'],
    [`${SOCKET}+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flag=0}, 0) = 10\n`, 'msg_flag'],
  ];
  for (const [text, culprit] of cases) t.deepEqual(check(text), [`error unknown-struct-field@${at(text, culprit)}`], culprit);
  t.deepEqual(
    check(`${SOCKET}+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n+0 getsockopt(3, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=0}, [96]) = 0\n`),
    [],
  );
});

test('a key name used by a helper before any line binds it', (t) => {
  const join = `${MPTCP_SOCKET}+0 < S 0:0(0) win 1000 <mp_join_syn address_id=1 token=sha256_32(sk)>\n`;
  t.deepEqual(check(join), [`error unbound-name@${at(join, 'mp_join_syn')}`]);
  const bound = `${MPTCP_SOCKET}+0 > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>\n+0 < S 0:0(0) win 1000 <mp_join_syn address_id=1 token=sha256_32(sk)>\n`;
  t.deepEqual(check(bound), []);
  // NAME=VALUE in mp_fastclose binds; a bare NAME does not.
  t.deepEqual(check(`${MPTCP_SOCKET}+0 < R. 1:1(0) ack 1 win 0 <mp_fastclose k=5>\n+0 < R. 1:1(0) ack 1 win 0 <mp_fastclose k>\n`), []);
});

test('MP_CAPABLE key counts per segment type: errors on what the stack must send, warnings on what is injected', (t) => {
  const syn = (opt: string): string => `${MPTCP_SOCKET}+0 > S 0:0(0) <${opt}>\n`;
  const where = at(syn('mpcapable'), 'mpcapable');
  t.deepEqual(check(syn('mpcapable v1 flags[flag_h] key[a, b]')), [`error mpc-syn-two-keys@${where}`]);
  t.deepEqual(check(syn('mpcapable v1 flags[flag_h] key[a]')), [`error mpc-v1-syn-key@${where}`]);
  // v0 sends its key in the SYN.
  t.deepEqual(check(`${MPTCP_SOCKET}+0 < S 0:0(0) win 1000 <mpcapable v0 flags[flag_h] key[a=1]>\n`), []);
  const synAck = `${MPTCP_SOCKET}+0 > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[a, b]>\n`;
  t.deepEqual(check(synAck), [`error mpc-synack-two-keys@${at(synAck, 'mpcapable')}`]);
  // Never refuse to inject (issue 15, rule 5): the same oddities on inbound lines only warn.
  const inSyn = (opt: string): string => `${MPTCP_SOCKET}+0 < S 0:0(0) win 1000 <${opt}>\n`;
  const inWhere = at(inSyn('mpcapable'), 'mpcapable');
  t.deepEqual(check(inSyn('mpcapable v1 flags[flag_h] key[a=1, b=2]')), [`warning mpc-syn-two-keys@${inWhere}`]);
  t.deepEqual(check(inSyn('mpcapable v1 flags[flag_h] key[a=1]')), [`warning mpc-v1-syn-key@${inWhere}`]);
  // The upstream MPTCP suite's v0 SYN/ACK with both keys, injected on purpose.
  const v0 = `${MPTCP_SOCKET}+0 > S 0:0(0) <mp_capable_no_cs ckey>\n+0 < S. 0:0(0) ack 1 win 1000 <mp_capable_no_cs skey=2 ckey>\n`;
  const v0Diags = checkScript(parse(v0), {});
  t.deepEqual(v0Diags.map((d) => `${d.severity} ${d.code}@${d.range.start.line}:${d.range.start.column}`), [`warning mpc-synack-two-keys@${at(v0, 'mp_capable_no_cs', 1)}`]);
  t.is(v0Diags[0]!.message, "an MP_CAPABLE on a SYN/ACK carries only the responder's key; it is sent as written");
  // What cannot be encoded stays an error on any line: mpcdatalen has no place without both keys.
  const data = `${MPTCP_SOCKET}+0 < P. 1:101(100) ack 1 win 1000 <mpcapable v1 flags[flag_h] key[a=1] mpcdatalen 100, nop, nop>\n`;
  t.deepEqual(check(data), [`error mpcdatalen-needs-keys@${at(data, 'mpcapable')}`]);
});

test('mpcdatalen needs both keys and should match the payload', (t) => {
  const data = (opt: string): string => `${MPTCP_SOCKET}+0 < P. 1:101(100) ack 1 win 1000 <${opt}, nop, nop>\n`;
  const where = at(data('mpcapable'), 'mpcapable');
  t.deepEqual(check(data('mpcapable v1 flags[flag_h] key[a=1] mpcdatalen 100')), [`error mpcdatalen-needs-keys@${where}`]);
  t.deepEqual(check(data('mpcapable v1 flags[flag_h] key[a=1, b=2] mpcdatalen 90')), [`warning mpcdatalen-mismatch@${where}`]);
  t.deepEqual(check(data('mpcapable v1 flags[flag_h] key[a=1, b=2] mpcdatalen 100')), []);
});

test('HMAC forms on the wrong MP_JOIN step warn', (t) => {
  const keys = `${MPTCP_SOCKET}+0 > S. 0:0(0) ack 1 <mpcapable v1 flags[flag_h] key[sk]>\n+0 < . 1:1(0) ack 1 win 1 <mpcapable v1 flags[flag_h] key[ck=1, sk]>\n`;
  const synAck = `${keys}+0 > S. 0:0(0) ack 1 <mp_join_syn_ack address_id=1 sender_hmac=full_160_hmac(sk ck)>\n`;
  t.deepEqual(check(synAck), [`warning hmac-form-step@${at(synAck, 'mp_join_syn_ack')}`]);
  const ack = `${keys}+0 < . 1:1(0) ack 1 win 1 <mp_join_ack sender_hmac=trunc_l64_hmac(ck sk)>\n`;
  t.deepEqual(check(ack), [`warning hmac-form-step@${at(ack, 'mp_join_ack')}`]);
  t.deepEqual(check(`${keys}+0 < . 1:1(0) ack 1 win 1 <mp_join_ack sender_hmac=full_160_hmac(ck sk)>\n`), []);
});

test('option space: at most 40 bytes, a multiple of 4, MPTCP lengths from the spec', (t) => {
  const odd = `${SOCKET}+0 < S 0:0(0) win 1 <mss 1460, wscale 7>\n`;
  t.deepEqual(check(odd), [`error tcp-options-not-padded@${at(odd, '<mss')}`]);
  // 12 (nop nop TS) + 20 (MP_CAPABLE two keys) + 12 (DSS dack8) = 44.
  const long = `${MPTCP_SOCKET}+0 < . 1:1(0) ack 1 win 1 <nop, nop, TS val 1 ecr 0, mpcapable v1 flags[flag_h] key[a=1, b=2], dss dack8=1 nocs>\n`;
  t.deepEqual(check(long), [`error tcp-options-too-long@${at(long, '<nop')}`]);
  // DSS dack8 + dsn8 + no checksum = 26, + 2 NOPs + 12 = 40: fits exactly.
  t.deepEqual(check(`${MPTCP_SOCKET}+0 < P. 1:11(10) ack 1 win 1 <nop, nop, TS val 1 ecr 0, dss dack8=1 dsn8=1 ssn=1 dll=10 nocs, nop, nop>\n`), []);
  // add_address IPv6 with HMAC 28 + port 2 + 2 NOPs = 32; remove_address of 3 ids = 6 + 2 NOPs.
  t.deepEqual(check(`${MPTCP_SOCKET}+0 < . 1:1(0) ack 1 win 1 <add_address address_id=1 addr[a=inet6_addr("2001:db8::2")] port=1 hmac=auto, nop, nop>\n`), []);
  const remove = `${MPTCP_SOCKET}+0 < . 1:1(0) ack 1 win 1 <remove_address address_id=[1, 2, 3], nop>\n`;
  t.deepEqual(check(remove), [`error tcp-options-not-padded@${at(remove, '<remove')}`]);
  // A checksum negotiated on the SYN makes later mappings 2 bytes longer (DSS 22 + 2 = 24: no NOPs).
  t.deepEqual(
    check(`${MPTCP_SOCKET}+0 < S 0:0(0) win 1 <mpcapable v1 flags[flag_a, flag_h] nokey>\n+0 < P. 1:11(10) ack 1 win 1 <dss dack4=1 dsn8=1 ssn=1 dll=10>\n`),
    [],
  );
});

test('ack and the ACK flag; window and <...> on inbound packets', (t) => {
  const ack = `${SOCKET}+0 > S 0:0(0) ack 5 <...>\n`;
  t.deepEqual(check(ack), [`warning ack-without-ack-flag@${at(ack, 'S 0')}`]);
  const noWin = `${SOCKET}+0 < S 0:0(0) <mss 1460>\n`;
  t.deepEqual(check(noWin), [`error inbound-needs-win@${at(noWin, 'S 0')}`]);
  const any = `${SOCKET}+0 < S 0:0(0) win 1 <...>\n`;
  t.deepEqual(check(any), [`error inbound-any-options@${at(any, '<...')}`]);
});

test('target checks: cap_set on the TS stack warns, MPTCP on a target without it is an error', (t) => {
  const capSet = `${SOCKET}+0 cap_set(CAP_EFFECTIVE, CAP_NET_RAW, CAP_CLEAR) = 0\n`;
  t.deepEqual(check(capSet), []);
  t.deepEqual(check(capSet, { target: 'ts' }), [`warning target-unsupported-call@${at(capSet, 'cap_set')}`]);
  t.deepEqual(check(capSet, { target: 'kernel' }), []);
  // The bundled stack has pipes and read-only files: splice is no warning there.
  const splice = `${SOCKET}+0 splice(3, ..., 6, ..., 10, 0) = 10\n`;
  t.deepEqual(check(splice, { target: 'ts' }), []);
  const noMptcp = { mptcp: false, syscalls: true, unsupportedCalls: {} };
  t.deepEqual(check(MPTCP_SOCKET, { target: 'kernel', features: noMptcp }), [`error target-lacks-mptcp@${at(MPTCP_SOCKET, 'socket')}`]);
  const reset = `${SOCKET}+0 < . 1:1(0) ack 1 win 1 <mp_reset 1>\n`;
  t.deepEqual(check(reset, { target: 'kernel', features: noMptcp }), [`error target-lacks-mptcp@${at(reset, 'mp_reset')}`]);
  // PSP is warned about with or without a target.
  const psp = `${SOCKET}+0 psp_rx_assoc(3) = 0\n`;
  t.deepEqual(check(psp), [`warning unsupported-call@${at(psp, 'psp')}`]);
});

test('a hand-built script with no events is an error at the script', (t) => {
  const at = (line: number, column: number) => ({ line, column, offset: 0 });
  const range: SourceRange = { start: at(1, 1), end: at(1, 1) };
  const script: Script = { file: 'empty.pkt', options: [], events: [], comments: [], range };
  const d = checkScript(script);
  t.is(d.length, 1);
  t.is(d[0]!.code, 'no-events');
  t.is(d[0]!.file, 'empty.pkt');
});

test('smaller MPTCP rules: v0 mp_prio warns, inbound ACK flag without ack warns', (t) => {
  const prio = `${MPTCP_SOCKET}+0 < . 1:1(0) ack 1 win 1 <mp_prio backup=1 address_id=3>\n`;
  t.deepEqual(check(prio), [`warning mp-prio-address-id@${at(prio, 'mp_prio')}`]);
  const noAck = `${SOCKET}+0 < . 1:1(0) win 1\n`;
  t.deepEqual(check(noAck), [`warning ack-flag-without-ack@${at(noAck, '. 1')}`]);
});

test('a line that binds a key may use it in the same line; outbound key[NAME] binds too', (t) => {
  const sameLine = `${MPTCP_SOCKET}+0 < P. 1:11(10) ack 1 win 1 <mpcapable v1 flags[flag_h] key[ck=1, sk=2] mpcdatalen 10, nop, nop>\n` +
    `+0 < . 11:11(0) ack 1 win 1 <dss dack8=trunc_r64_hmac(sk)+1 nocs>\n`;
  t.deepEqual(check(sameLine), []);
});
