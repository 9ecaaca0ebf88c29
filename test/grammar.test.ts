import test from 'ava';
import { lexPkt } from '../grammar/lexer.js';
import { ScriptBuilder } from '../src/script/build.js';
import { parseScript } from '../src/script/parse.js';
import { withoutRanges } from '../src/script/fmt.js';
import type { Expr } from '../src/script/ast.js';
import { corpus, errors, event, optionsOf, packetOf, parseOk, show, syscallOf, tcpOf } from './grammar-helpers.js';
import { REFERENCE_JOIN_EXAMPLE } from './helpers/reference-examples.js';

const names = (text: string) => lexPkt(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
const plain = (v: unknown) => JSON.parse(JSON.stringify(withoutRanges(v)));

test('the visitor has a method for every grammar rule', (t) => {
  t.notThrows(() => new ScriptBuilder());
});

// ---- Lexing ------------------------------------------------------------------------------------

test('a sequence range lexes as int : int, never as an IPv6 address', (t) => {
  t.deepEqual(names('1:1001(1000)'), ['Int:1', 'Colon::', 'Int:1001', 'LParen:(', 'Int:1000', 'RParen:)']);
  t.deepEqual(names('sack 1:11 21:31'), ['Kw_sack:sack', 'Int:1', 'Colon::', 'Int:11', 'Int:21', 'Colon::', 'Int:31']);
});

test('full IPv6 shapes lex as one address', (t) => {
  t.deepEqual(names('2001:db8::1'), ['Ipv6Lit:2001:db8::1']);
  t.deepEqual(names('::ffff:192.0.2.1'), ['Ipv6Lit:::ffff:192.0.2.1']);
  t.deepEqual(names('1:2:3:4:5:6:7:8'), ['Ipv6Lit:1:2:3:4:5:6:7:8']);
  t.deepEqual(names('2001:db8::2: x'), ['Ipv6Lit:2001:db8::2', 'Colon::', 'Word:x']);
  t.deepEqual(names('[fe80::1]:80'), ['LBracket:[', 'Ipv6Lit:fe80::1', 'RBracket:]', 'Colon::', 'Int:80']);
});

test('numbers: floats, hex, negative only where no binary minus fits, 64-bit range', (t) => {
  t.deepEqual(names('+0.25 .5 0x1F -1'), ['Plus:+', 'Float:0.25', 'Float:.5', 'Hex:0x1F', 'Int:-1']);
  t.deepEqual(names('1000-1'), ['Int:1000', 'Minus:-', 'Int:1']);
  t.deepEqual(names('192.0.2.1'), ['Ipv4Lit:192.0.2.1']);
  t.deepEqual(names('0.1...0.3'), ['Float:0.1', 'Ellipsis:...', 'Float:0.3']);
  // Hex cookies longer than their digits lex as words, as upstream's flex rules do.
  t.deepEqual(names('FO 3021b9d889017eeb'), ['Kw_FO:FO', 'Word:3021b9d889017eeb']);
  const big = lexPkt('0 write(3, ..., 99999999999999999999) = 1');
  t.is(big.problems.length, 1);
  t.is(big.problems[0]!.message, 'integer 99999999999999999999 does not fit in 64 bits');
  t.is(lexPkt('18446744073709551615').problems.length, 0);
});

test('keywords are contextual: a keyword is also a word', (t) => {
  // `fin` and `win` are keywords, yet fine as struct field names and define names.
  const call = syscallOf('getsockopt(3, SOL_TCP, TCP_INFO, {win=1, fin=2}, [4]) = 0');
  const struct = call.args[3]!;
  t.is(struct.kind, 'struct');
  if (struct.kind === 'struct') t.deepEqual(struct.fields.map((f) => f.name), ['win', 'fin']);
  const s = parseOk('--define=dss=SOL_SOCKET\n0 setsockopt(3, dss, SO_REUSEADDR, [1], 4) = 0\n');
  const a = s.events[0]!.action;
  t.true(a.kind === 'syscall' && a.args[1]!.kind === 'symbol' && a.args[1]!.value === 1n);
});

test('comments are kept with their text and position', (t) => {
  const s = parseOk('// head\n0 close(3) = 0 /* tail */\n');
  t.deepEqual(s.comments.map((c) => [c.text, c.range.start.line, c.range.start.column]), [['// head', 1, 1], ['/* tail */', 2, 16]]);
});

// ---- File structure, options, times -------------------------------------------------------------

test('option lines, init and cleanup commands', (t) => {
  const s = parseOk('--tolerance_usecs=20000\n--ip_version=ipv4-mapped-ipv6\n--dry_run\n-D X=1\n`init.sh`\n0 close(3) = 0\n`cleanup.sh`\n');
  t.deepEqual(plain(s.options), [
    { name: 'tolerance_usecs', value: '20000' },
    { name: 'ip_version', value: 'ipv4-mapped-ipv6' },
    { name: 'dry_run' },
    { name: 'define', value: 'X=1' },
  ]);
  t.is(s.initCommand?.command, 'init.sh');
  t.is(s.cleanupCommand?.command, 'cleanup.sh');
  t.is(s.events.length, 1);
});

test('every time form, in microseconds', (t) => {
  const s = parseOk('0 close(3) = 0\n+0.0001 close(3) = 0\n1.5 close(3) = 0\n* > . 1:1(0)\n1.0~1.2 > . 1:1(0)\n+0.1~+0.3 > . 1:1(0)\n+0.1...0.3 accept(3, ..., ...) = 4\n');
  t.deepEqual(s.events.map((e) => plain(e.time)), [
    { kind: 'point', relative: false, usecs: 0 },
    { kind: 'point', relative: true, usecs: 100 },
    { kind: 'point', relative: false, usecs: 1_500_000 },
    { kind: 'any' },
    { kind: 'range', start: { relative: false, usecs: 1_000_000 }, end: { relative: false, usecs: 1_200_000 } },
    { kind: 'range', start: { relative: true, usecs: 100_000 }, end: { relative: true, usecs: 300_000 } },
    { kind: 'blocking', start: { relative: true, usecs: 100_000 }, end: { relative: false, usecs: 300_000 } },
  ]);
});

test('time forms only where they are allowed', (t) => {
  t.deepEqual(errors('0 close(3) = 0\n* close(3) = 0\n').map(show), ["2:1 any-time-not-outbound: '*' (any time) is only allowed on outbound packets"]);
  t.deepEqual(errors('0 close(3) = 0\n1~2 < . 1:1(0) win 1\n').map(show), ['2:1 range-not-outbound: a time range is only allowed on outbound packets']);
  t.deepEqual(errors('0 close(3) = 0\n1...2 > . 1:1(0)\n').map(show), ["2:1 blocking-not-syscall: a blocking time ('T...E') is only allowed on system calls"]);
});

test('shell commands and python blocks as events', (t) => {
  const s = parseOk('0 `ip mptcp endpoint add 192.168.1.2 signal`\n+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n');
  t.deepEqual(plain(s.events.map((e) => e.action)), [
    { kind: 'shell', command: 'ip mptcp endpoint add 192.168.1.2 signal' },
    { kind: 'code', code: 'assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd' },
  ]);
});

// ---- Syscalls -----------------------------------------------------------------------------------

test('syscall result, errno and a free-text note', (t) => {
  const c = syscallOf("connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress, can't (really))");
  t.is(c.name, 'connect');
  t.deepEqual(plain(c.expectedReturn), { kind: 'int', value: '-1n', hex: false });
  t.deepEqual(plain(c.expectedErrno), { name: 'EINPROGRESS', value: 115 });
  t.is(c.note, "Operation now in progress, can't (really)");
  t.is(syscallOf('fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)').note, 'flags O_RDWR');
});

test('every argument expression form', (t) => {
  const arg = (text: string): unknown => plain(syscallOf(`write(3, ${text}, 1) = 1`).args[1]);
  t.deepEqual(arg('...'), { kind: 'ellipsis' });
  t.deepEqual(arg('0x10'), { kind: 'int', value: '16n', hex: true });
  t.deepEqual(arg('SOL_SOCKET'), { kind: 'symbol', name: 'SOL_SOCKET', value: '1n' });
  t.deepEqual(arg('O_RDWR|O_NONBLOCK'), { kind: 'or', terms: [{ kind: 'symbol', name: 'O_RDWR', value: '2n' }, { kind: 'symbol', name: 'O_NONBLOCK', value: '2048n' }] });
  t.deepEqual(arg('[]'), { kind: 'array', items: [] });
  t.deepEqual(arg('[5, 6]'), { kind: 'array', items: [{ kind: 'int', value: '5n', hex: false }, { kind: 'int', value: '6n', hex: false }] });
  t.deepEqual(arg('"a\\x41" "b\\n"'), { kind: 'string', value: 'aAb\n', ellipsis: false });
  t.deepEqual(arg('"abc"...'), { kind: 'string', value: 'abc', ellipsis: true });
  t.deepEqual(arg('1000+1'), { kind: 'binary', op: '+', left: { kind: 'int', value: '1000n', hex: false }, right: { kind: 'int', value: '1n', hex: false } });
  t.deepEqual(arg('1000-1'), { kind: 'binary', op: '-', left: { kind: 'int', value: '1000n', hex: false }, right: { kind: 'int', value: '1n', hex: false } });
  t.deepEqual(arg('inet6_addr("::1")'), { kind: 'call', fn: 'inet6_addr', args: [{ kind: 'string', value: '::1', ellipsis: false }] });
});

test('structs: named fields, counts, positional fields, nested calls', (t) => {
  const c = syscallOf('recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0, msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data={ee_errno=0, ee_origin=0}}]}, 0) = 100');
  const msg = c.args[1]!;
  if (msg.kind !== 'struct') return t.fail();
  t.deepEqual(msg.fields.map((f) => [f.name, f.count?.kind ?? null]), [['msg_name', 'ellipsis'], ['msg_iov', 'int'], ['msg_flags', null], ['msg_control', null]]);
  const iov = msg.fields[1]!.value;
  t.deepEqual(plain(iov), { kind: 'array', items: [{ kind: 'struct', fields: [{ value: { kind: 'ellipsis' } }, { value: { kind: 'int', value: '100n', hex: false } }] }] });
  const sin = syscallOf('bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0').args[1]!;
  t.deepEqual(plain(sin), {
    kind: 'struct',
    fields: [
      { name: 'sa_family', value: { kind: 'symbol', name: 'AF_INET', value: '2n' } },
      { name: 'sin_port', value: { kind: 'call', fn: 'htons', args: [{ kind: 'int', value: '8080n', hex: false }] } },
      { name: 'sin_addr', value: { kind: 'call', fn: 'inet_addr', args: [{ kind: 'string', value: '192.0.2.1', ellipsis: false }] } },
    ],
  });
  const info = syscallOf('getsockopt(3, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=2, mptcpi_add_addr_signal=1}, [256]) = 0').args[3]!;
  t.true(info.kind === 'struct' && info.fields.map((f) => f.name).join() === 'mptcpi_subflows,mptcpi_add_addr_signal');
  const poll = syscallOf('poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1').args[0]! as Expr;
  t.is(poll.kind, 'array');
});

test('unknown names are diagnosed at the name', (t) => {
  t.deepEqual(errors('0 frobnicate(3) = 0\n').map(show), ["1:3 unknown-syscall: unknown syscall 'frobnicate'"]);
  t.deepEqual(errors('0 close(NOPE) = 0\n').map(show), ["1:9 unknown-constant: unknown constant 'NOPE'"]);
  t.deepEqual(errors('0 close(3) = -1 EWHAT\n').map(show), ["1:17 unknown-errno: unknown errno 'EWHAT'"]);
});

test('defines from the script and from the caller, caller first', (t) => {
  const text = '--define=COOKIE=abcd\n-D LEVEL=SOL_IP\n0 setsockopt(3, LEVEL, IP_TOS, [1], 4) = 0\n+0 > S 0:0(0) <FO COOKIE>\n';
  const s = parseOk(text);
  const a = s.events[0]!.action;
  t.true(a.kind === 'syscall' && a.args[1]!.kind === 'symbol' && a.args[1]!.name === 'SOL_IP');
  const p = s.events[1]!.action;
  t.deepEqual(p.kind === 'packet' && p.body.kind === 'tcp' ? plain(p.body.options) : null, [{ kind: 'fastopen', experimental: false, cookie: [0xab, 0xcd] }]);
  const caller = parseOk(text, { defines: { LEVEL: 'SOL_IPV6' } }).events[0]!.action;
  t.true(caller.kind === 'syscall' && caller.args[1]!.kind === 'symbol' && caller.args[1]!.name === 'SOL_IPV6');
  // A string define becomes a string, a back-quoted one a command.
  const str = parseOk('0 setsockopt(3, SOL_TCP, TCP_CONGESTION, CC, 4) = 0\n+0 CMD\n', { defines: { CC: '"reno"', CMD: '`true`' } });
  t.deepEqual(plain(str.events.map((e) => e.action.kind === 'syscall' ? e.action.args[3] : e.action)), [{ kind: 'string', value: 'reno', ellipsis: false }, { kind: 'shell', command: 'true' }]);
});

// ---- Packets ------------------------------------------------------------------------------------

test('tcp packet: flags, sequence range, ack, win, urg, options', (t) => {
  const b = tcpOf('< P. 1:1001(1000) ack 1 win 257 urg 3 <nop, nop, TS val 100 ecr 700>');
  t.deepEqual(plain({ ...b, options: undefined }), { kind: 'tcp', flagsText: 'P.', flags: 0x18, seqStart: 1, seqEnd: 1001, payloadLength: 1000, ack: 1, win: 257, urg: 3 });
  t.deepEqual(plain(b.options), [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 100, ecr: 700 }]);
  t.is(tcpOf('> . 1:1(0)').options, 'none');
  t.is(tcpOf('> . 1:1(0) <...>').options, 'any');
  t.deepEqual([tcpOf('> - 1:1(0)').flags, tcpOf('> SEW 0:0(0)').flags, tcpOf('> F. 1:1(0)').flags], [0, 0xc2, 0x11]);
  const ace = tcpOf('> S.0 0:0(0)');
  t.deepEqual([ace.flagsText, ace.flags, ace.ace], ['S.', 0x12, 0]);
  const ace2 = tcpOf('> .3 1:1(0)');
  t.deepEqual([ace2.flagsText, ace2.ace], ['.', 3]);
});

test('sequence range length must match', (t) => {
  t.deepEqual(errors('0 close(3) = 0\n+0 > P. 1:11(9) ack 1\n').map(show), ['2:9 seq-length: sequence range 1:11 has length 10 but (9) was written']);
});

test('inbound packets need win and exact options', (t) => {
  t.deepEqual(errors('0 close(3) = 0\n+0 < . 1:1(0) ack 1\n').map((d) => d.message), ['window must be specified for inbound packets']);
  t.deepEqual(errors('0 close(3) = 0\n+0 < . 1:1(0) ack 1 win 5 <...>\n').map(show), ["2:27 inbound-any-options: '<...>' (any options) is only allowed on outbound packets"]);
});

test('every TCP option spelling', (t) => {
  t.deepEqual(plain(optionsOf('nop, eol, mss 1460, wscale 14, sackOK, sack 1:11 21:31, TS val 1 ecr 2, md5 0011, FO, FO 0a0b, FOEXP 0c0d, ECN e1b 1 ceb 2 e0b 3')), [
    { kind: 'nop' }, { kind: 'eol' }, { kind: 'mss', mss: 1460 }, { kind: 'wscale', shift: 14 }, { kind: 'sack_permitted' },
    { kind: 'sack', blocks: [[1, 11], [21, 31]] }, { kind: 'timestamp', val: 1, ecr: 2 }, { kind: 'md5', digest: [0, 0x11] },
    { kind: 'fastopen', experimental: false }, { kind: 'fastopen', experimental: false, cookie: [10, 11] },
    { kind: 'fastopen', experimental: true, cookie: [12, 13] },
    { kind: 'accecn', fields: [{ name: 'e1b', value: 1 }, { name: 'ceb', value: 2 }, { name: 'e0b', value: 3 }] },
  ]);
  t.deepEqual(errors('0 close(3) = 0\n+0 > S 0:0(0) <FO abc>\n').map((d) => d.message), ["'abc' is not an even number of hex digits"]);
});

test('tuples: ports, addresses, named endpoints, one-sided', (t) => {
  t.deepEqual(plain(packetOf('< 5555 > 8080 S 0:0(0) win 1').tuple), { src: { kind: 'port', port: 5555 }, dst: { kind: 'port', port: 8080 } });
  t.deepEqual(plain(packetOf('> 192.0.2.1:80 > [2001:db8::2]:90 S 0:0(0)').tuple), {
    src: { kind: 'address', address: '192.0.2.1', port: 80 }, dst: { kind: 'address', address: '2001:db8::2', port: 90 },
  });
  t.deepEqual(plain(packetOf('> 2001:db8::1:80 > 2001:db8::2:90 S 0:0(0)').tuple), {
    src: { kind: 'address', address: '2001:db8::1', port: 80 }, dst: { kind: 'address', address: '2001:db8::2', port: 90 },
  });
  t.deepEqual(plain(packetOf('< addr[c1] > addr[s1] S 0:0(0) win 1').tuple), { src: { kind: 'named', name: 'c1' }, dst: { kind: 'named', name: 's1' } });
  t.deepEqual(plain(packetOf('<  > addr[s1] . 1:1(0) win 1').tuple), { dst: { kind: 'named', name: 's1' } });
});

test('ip info, encapsulations, bad checksum', (t) => {
  t.deepEqual(plain(packetOf('< [ect0] . 1:1(0) win 1').ip), { ecn: 'ect0' });
  t.deepEqual(plain(packetOf('> (ce) . 1:1(0)').ip), { ecn: 'ce' });
  t.deepEqual(plain(packetOf('> [ect01, flowlabel 0x12345] . 1:1(0)').ip), { ecn: 'ect01', flowLabel: 0x12345 });
  t.deepEqual(plain(packetOf('> (tos 0x10) . 1:1(0)').ip), { tos: 16 });
  t.deepEqual(plain(packetOf('> [ttl 64] . 1:1(0)').ip), { ttl: 64 });
  const p = packetOf('< ipv4 192.0.2.9 > 192.168.0.1: gre key 5: . 1:1(0) win 1');
  t.deepEqual(plain(p.encaps), [{ kind: 'ipv4', src: '192.0.2.9', dst: '192.168.0.1' }, { kind: 'gre', text: 'key 5' }]);
  t.deepEqual(plain(packetOf('< mpls (label 5, ttl 3): . 1:1(0) win 1').encaps), [{ kind: 'mpls', text: '( label 5 , ttl 3 )' }]);
  t.true(packetOf('< . 1:1(0) win 1 (bad_csum)').badChecksum);
});

test('udp and icmp lines', (t) => {
  t.deepEqual(plain(packetOf('< udp 5000 > 6000 (100)').body), { kind: 'udp', srcPort: 5000, dstPort: 6000, payloadLength: 100 });
  t.deepEqual(plain(packetOf('< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]').body), {
    kind: 'icmp', type: 'unreachable', code: 'frag_needed', mtu: 1200, echoed: { kind: 'tcp', seqStart: 1, seqEnd: 1461, payloadLength: 1460 },
  });
  t.deepEqual(plain(packetOf('< icmp echo_reply id 7 [udp (10)]').body), { kind: 'icmp', type: 'echo_reply', id: 7, echoed: { kind: 'udp', payloadLength: 10 } });
});

// ---- MPTCP ----------------------------------------------------------------------------------------

test('MP_CAPABLE in every spelling', (t) => {
  t.deepEqual(plain(optionsOf('mpcapable v1 flags[flag_h] nokey, mpcapable v0 flags 0x81 key[sk], mpcapable none flags[flag_a, flag_h] key[ck=11259375, sk] mpcdatalen 10 cksum=7')), [
    { kind: 'mp_capable', version: 1, flags: 1, flagsForm: 'list', keys: [] },
    { kind: 'mp_capable', version: 0, flags: 0x81, flagsForm: 'number', keys: [{ name: 'sk' }] },
    { kind: 'mp_capable', version: 'default', flags: 0x81, flagsForm: 'list', keys: [{ name: 'ck', value: '11259375n' }, { name: 'sk' }], dataLen: 10, checksum: 7 },
  ]);
  t.deepEqual(plain(optionsOf('mp_capable a b, mp_capable_no_cs a=18446744073709551615 flag_b')), [
    { kind: 'mp_capable', version: 0, flags: 0x81, flagsForm: 'legacy', keys: [{ name: 'a' }, { name: 'b' }], legacy: 'mp_capable' },
    { kind: 'mp_capable', version: 0, flags: 0x40, flagsForm: 'list', keys: [{ name: 'a', value: '18446744073709551615n' }], legacy: 'mp_capable_no_cs' },
  ]);
});

test('MP_JOIN steps with every token and HMAC form', (t) => {
  t.deepEqual(plain(optionsOf('mp_join_syn backup=1 address_id=2 token=sha256_32(sk) rand=42, mp_join_syn address_id=auto token=sha1_32(sk), mp_join_syn token=305419896, mp_join_syn token=auto')), [
    { kind: 'mp_join_syn', token: { kind: 'hash', alg: 'sha256', name: 'sk' }, backup: 1, addressId: 2, rand: 42 },
    { kind: 'mp_join_syn', token: { kind: 'hash', alg: 'sha1', name: 'sk' }, addressId: 'auto' },
    { kind: 'mp_join_syn', token: { kind: 'literal', value: 305419896 } },
    { kind: 'mp_join_syn', token: { kind: 'auto' } },
  ]);
  t.deepEqual(plain(optionsOf('mp_join_syn_ack address_id=1 sender_hmac=auto, mp_join_syn_ack token=auto, mp_join_ack sender_hmac=trunc_l64_hmac(a b), mp_join_ack sender_hmac=full_160_hmac(a b), mp_join_ack sender_hmac=trunc_l64_hmac(5), mp_join_ack sender_hmac=77')), [
    { kind: 'mp_join_syn_ack', hmac: { kind: 'auto', spelling: 'sender_hmac' }, addressId: 1 },
    { kind: 'mp_join_syn_ack', hmac: { kind: 'auto', spelling: 'token' } },
    { kind: 'mp_join_ack', hmac: { kind: 'keys', form: 'trunc_l64', first: 'a', second: 'b' } },
    { kind: 'mp_join_ack', hmac: { kind: 'keys', form: 'full_160', first: 'a', second: 'b' } },
    { kind: 'mp_join_ack', hmac: { kind: 'trunc_l64_int', value: '5n' } },
    { kind: 'mp_join_ack', hmac: { kind: 'literal', value: '77n' } },
  ]);
  t.deepEqual(errors('0 close(3) = 0\n+0 > S 0:0(0) <mp_join_syn address_id=1>\n').map((d) => d.message), ["mp_join_syn needs 'token=...'"]);
});

test('DSS with every field and sequence helper', (t) => {
  t.deepEqual(plain(optionsOf('dss dack4=1 dsn8=trunc_r64_hmac(sk)+3 ssn=1 dll=10 cksum=5 fin, dss, dss dack8 dsn4=trunc_r64_hmac_sha256(7) nocs, dss dack4=trunc_r64_hmac_sha1(9) cksum=0')), [
    { kind: 'dss', checksum: { kind: 'literal', value: 5 }, fin: true, bare: false, dack: { width: 4, value: { kind: 'relative', value: '1n' } }, dsn: { width: 8, value: { kind: 'idsn_of_name', name: 'sk', plus: '3n' } }, ssn: 1, dll: 10 },
    { kind: 'dss', checksum: { kind: 'computed' }, fin: false, bare: true },
    { kind: 'dss', checksum: { kind: 'none' }, fin: false, bare: false, dack: { width: 8 }, dsn: { width: 4, value: { kind: 'idsn_of_key', alg: 'sha256', key: '7n' } } },
    { kind: 'dss', checksum: { kind: 'none' }, fin: false, bare: false, dack: { width: 4, value: { kind: 'idsn_of_key', alg: 'sha1', key: '9n' } } },
  ]);
});

test('ADD_ADDR, REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST', (t) => {
  t.deepEqual(plain(optionsOf('add_address address_id=1 addr[s1] hmac=auto, add_address addr[c2=inet6_addr("2001:db8::5")] port=80 hmac=12, add_address addr[s1=inet_addr("192.0.2.7")] addr_echo')), [
    { kind: 'add_address', addr: { name: 's1' }, hmac: { kind: 'auto' }, addressId: 1 },
    { kind: 'add_address', addr: { name: 'c2', literal: { family: 'inet6', address: '2001:db8::5' } }, hmac: { kind: 'literal', value: '12n' }, port: 80 },
    { kind: 'add_address', addr: { name: 's1', literal: { family: 'inet', address: '192.0.2.7' } }, hmac: { kind: 'echo' } },
  ]);
  t.deepEqual(plain(optionsOf('remove_address address_id=[1, 2], mp_prio backup=1 address_id=3, mp_fail dsn8=100, mp_fastclose, mp_fastclose ck=42 +1, mp_reset 4 flags[flag_t], mp_reset 0')), [
    { kind: 'remove_address', addressIds: [1, 2] },
    { kind: 'mp_prio', backup: 1, addressId: 3 },
    { kind: 'mp_fail', dsn: { width: 8, value: { kind: 'relative', value: '100n' } } },
    { kind: 'mp_fastclose' },
    { kind: 'mp_fastclose', key: { name: 'ck', value: '42n' }, plus: '1n' },
    { kind: 'mp_reset', reason: 4, flags: 1 },
    { kind: 'mp_reset', reason: 0, flags: 0 },
  ]);
});

// ---- Errors -------------------------------------------------------------------------------------

test('three broken events report three positioned errors', (t) => {
  const text = ['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 close(3 = 0', '+0 > S 0:0(0) <mss>', '+0 write(3, ..., 10) = 10', '+0 < S 0:0(0 win 1', '+0 close(3) = 0'].join('\n');
  t.deepEqual(errors(text).map(show), [
    "2:12 syntax: unexpected '=', expected an argument, ',' or ')'",
    "3:19 syntax: unexpected '>', expected an integer",
    "5:14 syntax: unexpected 'win', expected ')'",
  ]);
});

test('syntax messages are short and name what was expected', (t) => {
  t.deepEqual(errors('0 close(3) = 0\n+0 ; close(3) = 0\n').map(show), ["2:4 syntax: unexpected ';', expected a packet ('<' or '>'), a system call, a `command` or a %{ code }% block"]);
  t.deepEqual(errors('0 close(3) = 0\n+0 > S 0:0(0) <bogus 3>\n').map(show), ["2:16 syntax: unexpected 'bogus', expected a TCP or MPTCP option, ',' or '>'"]);
  t.deepEqual(errors('0 close(3) = 0\n+0 close(3) = 0 junk junk\n').map(show), ["2:22 syntax: unexpected 'junk', expected the end of the event"]);
  t.deepEqual(errors('0 close(3').map(show), ["1:10 syntax: unexpected end of file, expected an argument, ',' or ')'"]);
});

test('lexer errors point at the offending character', (t) => {
  t.deepEqual(errors('0 close(3) = 0\n+0 write(3, "abc, 3) = 3\n').map(show), ['2:13 lex: unterminated string (missing closing \'"\')']);
  t.deepEqual(errors('0 `never closed\n').map(show), ['1:3 lex: unterminated `command` (missing closing backquote)']);
  t.deepEqual(errors('0 close(3) = 0 /* open').map(show), ['1:16 lex: unterminated /* comment']);
});

test('a script without events is an error', (t) => {
  t.deepEqual(errors('--tolerance_usecs=1\n// nothing\n').map((d) => d.code), ['no-events']);
  t.deepEqual(errors('// only a comment\n').map(show), ['1:1 no-events: the script has no events']);
  t.deepEqual(errors('').map(show), ['1:1 no-events: the script has no events']);
});

test('deep nesting is refused, not recursed into', (t) => {
  const r = parseScript('0 write(3, ' + '['.repeat(5000) + ', 1) = 1', 'deep.pkt');
  t.deepEqual(r.diagnostics.map(show), ['1:75 too-deep: brackets nested deeper than 64 levels']);
});

// ---- The reference and the corpus -----------------------------------------------------------------

const REFERENCE_SCRIPT = `// Client side: the stack under test connects, sends 10 bytes, closes.
--tolerance_usecs=20000
\`sysctl -q net.mptcp.enabled=1\`

0      socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0     fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0     connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0     > S  0:0(0)              <mss 1460, sackOK, TS val 10 ecr 0, nop, wscale 7, mpcapable v1 flags[flag_h] nokey>
+0.01  < S. 0:0(0) ack 1 win 8000 <mss 1400, sackOK, TS val 90 ecr 10, nop, wscale 5, mpcapable v1 flags[flag_h] key[srv=1234605616436508552]>
+0     > .  1:1(0) ack 1        <nop, nop, TS val 12 ecr 90, mpcapable v1 flags[flag_h] key[cli, srv]>
+0     write(3, ..., 10) = 10
+0     > P. 1:11(10) ack 1      <nop, nop, TS val 12 ecr 90, mpcapable v1 flags[flag_h] key[cli, srv] mpcdatalen 10, nop, nop>
+0.01  < .  1:1(0) ack 11 win 8000 <nop, nop, TS val 91 ecr 12, dss dack8=11 nocs>
+0     close(3) = 0
+0     > .  11:11(0) ack 1      <nop, nop, TS val 13 ecr 91, dss dack4=1 dsn8=11 ssn=0 dll=1 nocs fin, nop, nop>
`;

const REFERENCE_JOIN = REFERENCE_JOIN_EXAMPLE;

test('the reference scripts parse', (t) => {
  const s = parseOk(REFERENCE_SCRIPT);
  t.is(s.events.length, 11);
  t.is(s.initCommand?.command, 'sysctl -q net.mptcp.enabled=1');
  const join = parseOk(REFERENCE_JOIN);
  t.is(join.events.length, 10);
  const synJoin = join.events[5]!.action;
  t.true(synJoin.kind === 'packet' && synJoin.tuple?.src?.kind === 'named' && synJoin.tuple.src.name === 'c1');
});

test('every corpus script parses without an error', (t) => {
  const files = corpus();
  t.true(files.length > 0);
  for (const { file, text } of files) {
    const r = parseScript(text, file);
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    t.deepEqual(errs.map(show), [], file);
    t.truthy(r.script, file);
  }
});

test('event source ranges point at the event', (t) => {
  const e = event('> S. 0:0(0) ack 1');
  t.deepEqual([e.range.start.line, e.range.start.column, e.range.end.column], [2, 1, 21]);
  t.deepEqual([e.timeRange.start.column, e.timeRange.end.column], [1, 3]);
});
