// `mptcpdrill mutate`, generation: the exact mutants of a small script (text edits at the field's
// line:col, each one checking as a script) and the fields it skips, with the reason.

import test from 'ava';
import { generateMutants, mutantText } from '../src/mutate/generate.js';
import { checkText, loadScript } from '../src/script/load.js';
import { repoRoot } from './helpers/paths.js';

const fixture = (name: string): string => `${repoRoot}test/mutate/${name}`;

function generate(file: string, opts: Parameters<typeof generateMutants>[1] = {}) {
  const loaded = loadScript(file, { target: 'ts' });
  const g = generateMutants(loaded, { load: { target: 'ts' }, ...opts });
  return {
    loaded,
    mutants: g.mutants.map((m) => `${m.line}:${m.column} ${m.kind} ${m.description}`),
    skipped: g.skipped.map((s) => `${s.line}:${s.column} ${s.reason} ${s.field}`),
    raw: g,
  };
}

test('a passive open: every header field, flag letter, option and call result, exactly', (t) => {
  const g = generate(fixture('passive-open.pkt'));
  t.deepEqual(g.mutants, [
    '5:57 call.ret result 0 → 1',
    '6:27 call.ret result 0 → 1',
    '7:22 call.ret result 0 → 1',
    '10:9 tcp.flags flags +F: S. → SF.',
    '10:9 tcp.flags flags -S: S. → .',
    '10:9 tcp.flags flags +R: S. → SR.',
    '10:9 tcp.flags flags +P: S. → SP.',
    '10:9 tcp.flags flags -.: S. → S',
    '10:9 tcp.flags flags +U: S. → SU.',
    '10:9 tcp.flags flags +E: S. → SE.',
    '10:9 tcp.flags flags +W: S. → SW.',
    '10:14 tcp.length 0:0(0) → 0:1(1)',
    '10:23 tcp.ack ack 1 → 2',
    '10:29 tcp.win win 64240 → 64241',
    "10:36 opt.drop drop option 'mss 1460'",
    "10:36 opt.reorder swap options 'mss 1460' and 'nop'",
    '10:40 opt.mss mss 1460 → 1461',
    "10:51 opt.drop drop option 'wscale 7' (3 nop in its place)",
    '10:58 opt.wscale wscale 7 → 8',
    '10:59 opt.add add options nop, nop, sackOK',
    '13:28 call.ret result 100 → 101',
    '14:9 tcp.flags flags +F: P. → PF.',
    '14:9 tcp.flags flags +S: P. → PS.',
    '14:9 tcp.flags flags +R: P. → PR.',
    '14:9 tcp.flags flags -P: P. → .',
    '14:9 tcp.flags flags -.: P. → P',
    '14:9 tcp.flags flags +U: P. → PU.',
    '14:9 tcp.flags flags +E: P. → PE.',
    '14:9 tcp.flags flags +W: P. → PW.',
    '14:12 tcp.seq 1:101(100) → 2:102(100)',
    '14:14 tcp.length 1:101(100) → 1:102(101)',
    '14:27 tcp.ack ack 1 → 2',
    '14:28 opt.add add options <nop, nop, sackOK>',
  ]);
  t.deepEqual(g.skipped, [
    '4:47 returned-fd call.ret',
    '10:12 syn-ack-seq tcp.seq',
    // Dropping the NOP leaves the list unpadded, and one NOP in its place is no change.
    '10:46 invalid opt.drop',
    '12:29 returned-fd call.ret',
    '14:9 win-unwritten tcp.win',
  ]);
});

test('every mutant is a one-place text edit that checks, and differs from the original', (t) => {
  const g = generate(fixture('generate-mptcp.pkt'));
  t.true(g.raw.mutants.length > 50);
  for (const m of g.raw.mutants) {
    const text = mutantText(g.loaded, m);
    t.not(text, g.loaded.text);
    const checked = checkText(g.loaded.file, text, { target: 'ts' });
    t.deepEqual(checked.diagnostics.filter((d) => d.severity === 'error'), [], `${m.line}:${m.column} ${m.description}`);
    // The edit is where the report says.
    const before = g.loaded.text.slice(0, m.edit.start);
    t.true(before.split('\n').length === m.line || m.kind.endsWith('.drop') || m.kind === 'opt.add', m.description);
  }
});

test('MPTCP options both ways and call outputs: field kinds and skip reasons', (t) => {
  const g = generate(fixture('generate-mptcp.pkt'));
  const has = (line: string): void => {
    t.true(g.mutants.includes(line), line);
  };
  // Outbound ADD_ADDR: the written id, and hmac=auto ↔ addr_echo; the name is skipped.
  has('11:79 mptcp.add_address.address_id address_id 1 → 2');
  has('11:90 mptcp.add_address.echo hmac=auto → addr_echo');
  has("11:56 mptcp.drop drop option 'add_address address_id=1 addr[s1] hmac=auto'");
  // Outbound DSS: the value and its width; inbound DSS: every field, nocs and fin toggled, dropped.
  has('13:61 mptcp.dss.dack_width dack8 → dack4');
  has('13:67 mptcp.dss.dack dack 11 → 12');
  has('12:83 in.mptcp.dss.dsn dsn 1 → 2');
  has('12:89 in.mptcp.dss.ssn ssn 1 → 2');
  // The DLL one longer: no data follows on the subflow, the byte it adds never comes.
  t.true(g.skipped.includes('12:95 inbound-dll-longer dss.dll'));
  has("12:102 in.mptcp.dss.fin add 'fin'");
  // Inbound MP_TCPRST: Linux keeps its reason and T flag for the netlink event only.
  t.false(g.mutants.some((m) => m.includes('mp_reset')));
  t.true(g.skipped.includes('14:66 inbound-mp-reset mp_reset'));
  // Inbound MP_CAPABLE: version and flags on the SYN; on the third ACK only dropping it.
  has('7:91 in.mptcp.mp_capable.version version v1 → v0');
  has('7:99 in.mptcp.mp_capable.flags flags +flag_b: [flag_h] → [flag_h, flag_b]');
  // Flag A on the SYN: a listener takes checksums from its sysctl and the third ACK.
  t.false(g.mutants.some((m) => m.includes('+flag_a')));
  has("9:64 in.mptcp.drop drop option 'mpcapable v1 flags[flag_h] key[ckey=2, skey]'");
  t.false(g.mutants.some((m) => m.startsWith('9:') && m.includes('mp_capable.')));
  // Calls: struct fields, optlen, errno, the result of a failing call, poll revents.
  has('15:61 call.struct mptcpi_subflows 0 → 1');
  has('15:77 call.struct mptcpi_flags 2 → 3');
  has('15:82 call.optlen optlen 96 → 97');
  has('16:27 call.ret -1 EAGAIN → 0');
  has('16:30 call.errno errno EAGAIN → EINVAL');
  has('17:43 call.revents revents 0 → 1');

  const counts: Record<string, number> = {};
  for (const s of g.raw.skipped) counts[s.reason] = (counts[s.reason] ?? 0) + 1;
  t.deepEqual(counts, {
    'returned-fd': 2,
    'win-unwritten': 3,
    'syn-ack-seq': 1,
    'options-any': 1,
    'inbound-key': 1,
    name: 2,
    'ts-val': 2,
    'ts-ecr': 2,
    'inbound-width': 2,
    'dss-csum-no-mapping': 1,
    invalid: 2,
    // The stack starts no join in the script: an inbound C flag cannot show.
    'inbound-flag-c': 1,
    'inbound-third-ack': 1,
    'inbound-dack': 1,
    // No MP_CAPABLE asks for checksums: nocs or not is the same to the stack.
    'inbound-csum-off': 1,
    'inbound-syn-flag-a': 1,
    'inbound-dll-longer': 1,
    'inbound-mp-reset': 1,
  });
  t.true(g.skipped.includes('8:25 options-any options'));
  t.true(g.skipped.includes('9:100 inbound-key mp_capable.key'));
  t.true(g.skipped.includes('13:70 dss-csum-no-mapping dss.checksum'));
  t.true(g.skipped.includes('12:98 inbound-csum-off dss.checksum'));
});

test('an inbound MP_CAPABLE Linux ignores as written: only the mutants that make it parse', (t) => {
  const g = generate(fixture('generate-capable-ignored.pkt'));
  const inbound = g.mutants.filter((m) => m.includes(' in.'));
  // Clearing B is the one change that makes the SYN's option parse (options.c mptcp_parse_option).
  t.deepEqual(inbound, ['7:99 in.mptcp.mp_capable.flags flags -flag_b: [flag_b, flag_h] → [flag_h]']);
  const reasons = g.raw.skipped.filter((s) => s.line === 7 && s.field.startsWith('mp_capable')).map((s) => s.reason).sort();
  // Dropped, v0, H cleared; A (the SYN's A is never read); C (no join started).
  t.deepEqual(reasons, ['inbound-flag-c', 'inbound-mpc-ignored', 'inbound-mpc-ignored', 'inbound-mpc-ignored', 'inbound-syn-flag-a']);
});

test('MPTCP options to a plain TCP socket are not mutated (plain TCP ignores them)', (t) => {
  const g = generate(fixture('generate-plain-tcp.pkt'));
  t.false(g.mutants.some((m) => m.includes(' in.')));
  t.true(g.skipped.includes('7:89 inbound-plain-tcp mp_capable'));
});

test('inbound mappings: a DLL one longer only where a later mapping disagrees; nothing of a mapping that stays invalid', (t) => {
  const g = generate(fixture('generate-mapping.pkt'));
  const dll = g.mutants.filter((m) => m.includes('in.mptcp.dss.dll')).map((m) => m.split(' ')[0]);
  // Line 12's extra byte would come under line 13's mapping at DSN 21 where line 13 says 41;
  // line 13's, under line 16's which starts one later. Line 11's byte is line 12's DSN 11.
  t.deepEqual(dll, ['12:98', '13:98', '15:96']); // and the bare DATA_FIN's DLL (its DSN moves)
  t.true(g.skipped.includes('11:95 inbound-dll-longer dss.dll'));
  // A bare DATA_FIN's SSN is not read.
  t.true(g.skipped.includes('15:90 inbound-data-fin-ssn dss.ssn'));
  // Line 16 maps from SSN 32 a segment starting at 31: every change but an earlier SSN keeps it invalid.
  const line16 = g.raw.skipped.filter((s) => s.line === 16 && s.reason === 'inbound-mapping-invalid').map((s) => s.field).sort();
  t.deepEqual(line16, ['dss.dll', 'dss.drop', 'dss.dsn', 'dss.fin', 'dss.ssn']);
  t.false(g.mutants.some((m) => m.startsWith('16:') && m.includes(' in.')));
});

test('an MP_FASTCLOSE with a wrong key and the flag A of a SYN/ACK answering a SYN with A are not mutated', (t) => {
  const wrongKey = generate(`${repoRoot}test/scripts/mptcp/close/fastclose-wrong-key.pkt`);
  t.false(wrongKey.mutants.some((m) => m.includes('fastclose')));
  t.is(wrongKey.raw.skipped.filter((s) => s.reason === 'inbound-fastclose-wrong-key').length, 2);
  const client = generate(`${repoRoot}test/scripts/mptcp/capable/client-checksum.pkt`);
  t.false(client.mutants.some((m) => m.includes('in.mptcp.mp_capable.flags') && m.includes('flag_a')));
});

test('the echo of the one address the stack announces is not mutated (it only stops a repetition 120 s later)', (t) => {
  const g = generate(`${repoRoot}test/scripts/mptcp/join/token-auto-hmac.pkt`);
  t.false(g.mutants.some((m) => m.includes('in.mptcp.add_address') || (m.includes('in.mptcp.drop') && m.includes('addr_echo'))));
  t.is(g.raw.skipped.filter((s) => s.reason === 'inbound-add-addr-echo').length, 1);
});

test('inbound options Linux ignores in the corpus: a REMOVE_ADDR naming nothing, an MP_JOIN beside MP_CAPABLE, an MP_FAIL after a join', (t) => {
  const remove = generate(`${repoRoot}test/scripts/mptcp/addaddr/remove-address-inbound.pkt`);
  t.false(remove.mutants.some((m) => m.includes('remove_address')));
  t.is(remove.raw.skipped.filter((s) => s.reason === 'inbound-remove-nothing').length, 1);
  const beside = generate(`${repoRoot}test/scripts/mptcp/fallback/syn-capable-and-join.pkt`);
  t.false(beside.mutants.some((m) => m.includes('mp_join_syn')));
  const fail = generate(`${repoRoot}test/scripts/mptcp/fallback/join-then-mp-fail-ignored.pkt`);
  t.false(fail.mutants.some((m) => m.includes('mp_fail')));
  t.true(fail.raw.skipped.some((s) => s.reason === 'inbound-join-id'));
});

test('a DSS repeating a DATA_ACK, or on the ACK completing the handshake without MP_CAPABLE, is not mutated', (t) => {
  const repeat = generate(`${repoRoot}test/scripts/mptcp/join/remove-initial-subflow.pkt`);
  t.false(repeat.mutants.some((m) => m.startsWith('35:') && m.includes('in.mptcp.drop')));
  t.true(repeat.raw.skipped.some((s) => s.line === 35 && s.reason === 'inbound-dack-repeat'));
  // A DATA_ACK of 1 to a listener: its snd_una from the start.
  const one = generate(`${repoRoot}test/scripts/mptcp/join/remove-join-subflow-count.pkt`);
  t.true(one.raw.skipped.some((s) => s.line === 29 && s.reason === 'inbound-dack-repeat'));
  const early = generate(`${repoRoot}test/scripts/mptcp/fallback/data-before-third-ack.pkt`);
  t.false(early.mutants.some((m) => m.startsWith('14:') && m.includes(' in.')));
  t.true(early.raw.skipped.some((s) => s.line === 14 && s.reason === 'inbound-dss-first-ack'));
});

test('--outbound-only leaves inbound packets alone', (t) => {
  const g = generate(fixture('generate-mptcp.pkt'), { inbound: false });
  t.false(g.mutants.some((m) => m.includes(' in.')));
  t.false(g.raw.skipped.some((s) => s.reason === 'inbound-key' || s.reason === 'inbound-width'));
});

test('TS val is mutated only with tcp_ts_tick_usecs; TS ecr never', (t) => {
  const text = [
    '--tcp_ts_tick_usecs=1000',
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
    '+0 connect(3, ..., ...) = -1 EINPROGRESS',
    '+0 > S 0:0(0) <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 8>',
    '+1 > S 0:0(0) <mss 1460, sackOK, TS val 1100 ecr 0, nop, wscale 8>',
    '+0.01 < S. 0:0(0) ack 1 win 65535 <mss 1460, sackOK, TS val 700 ecr 1100, nop, wscale 8>',
    '',
  ].join('\n');
  const loaded = checkText('/tmp/ts-tick.pkt', text, { target: 'ts' });
  const g = generateMutants(loaded, { load: { target: 'ts' } });
  t.true(g.mutants.some((m) => m.kind === 'opt.ts.val' && m.description === 'TS val 100 → 101'));
  t.deepEqual(g.skipped.filter((s) => s.field.startsWith('ts.')).map((s) => s.reason), ['ts-ecr', 'ts-ecr']);
  // The SYN of connect: the seq of the one the SYN/ACK answers is mutated; the first one, sent
  // again before any SYN/ACK, sets nothing (packetdrill counts the START once the SYN/ACK comes).
  t.deepEqual(g.mutants.filter((m) => m.kind === 'tcp.seq').map((m) => `${m.line} ${m.description}`), ['6 0:0(0) → 1:1(0)']);
  t.deepEqual(g.skipped.filter((s) => s.field === 'tcp.seq').map((s) => `${s.line} ${s.reason}`), ['5 syn-seq-unused']);
});

test('--max-mutants keeps an even spread and counts the rest as skipped', (t) => {
  const all = generate(fixture('passive-open.pkt')).raw.mutants;
  const g = generate(fixture('passive-open.pkt'), { maxMutants: 10 }).raw;
  t.is(g.mutants.length, 10);
  t.is(g.skipped.filter((s) => s.reason === 'max-mutants').length, all.length - 10);
  t.deepEqual(g.mutants[0], all[0]);
  t.true(g.mutants.at(-1)!.line >= 13, 'the kept mutants reach the end of the script');
});

test('a DATA_ACK the next inbound packet repeats within 200 ms, nothing of the stack between, is not mutated', (t) => {
  const file = `${repoRoot}test/scripts/mptcp/join/first-subflow-reset.pkt`;
  const g = generate(file);
  t.true(g.skipped.some((s) => s.startsWith('30:') && s.includes('inbound-dack-superseded dss.drop')));
  t.false(g.mutants.some((m) => m.startsWith('30:') && m.includes('in.mptcp.drop')));
  // The repeat 300 ms later: an MPTCP-level retransmission could come first, so it is mutated.
  const loaded = loadScript(file, { target: 'ts' });
  const lines = loaded.text.split('\n');
  t.regex(lines[31]!, /^\+0\.01 < addr\[c1\].*dss dack8=101/);
  lines[31] = lines[31]!.replace(/^\+0\.01/, '+0.3');
  const late = generateMutants(checkText(file, lines.join('\n'), { target: 'ts' }), { validate: false });
  t.true(late.mutants.some((m) => m.line === 30 && m.kind === 'in.mptcp.drop'));
  // A packet of the stack in between (it sends data before the repeat): mutated.
  const between = generate(`${repoRoot}test/scripts/mptcp/fallback/mp-fail-received.pkt`);
  t.true(between.mutants.some((m) => m.startsWith('21:') && m.includes('in.mptcp.drop')));
});

test("a join's address id is mutated only where a REMOVE_ADDR of the script names it or its mutant", (t) => {
  // The peer removes id 0 only: the join's id 2 (and 3) name nothing it removes.
  const other = generate(`${repoRoot}test/scripts/mptcp/join/remove-initial-subflow.pkt`);
  t.true(other.skipped.some((s) => s.startsWith('23:') && s.includes('inbound-join-id')));
  const named = generate(`${repoRoot}test/scripts/mptcp/join/remove-join-subflow-count.pkt`);
  t.true(named.mutants.some((m) => m.startsWith('20:') && m.includes('in.mptcp.mp_join_syn.address_id')));
});

test('a wrong literal checksum on the first mapping: DSN, SSN and DATA_FIN are equivalent on the initial subflow, a DLL one longer is not', (t) => {
  const join = generate(`${repoRoot}test/scripts/mptcp/fallback/join-bad-first-checksum.pkt`);
  const line22 = join.raw.skipped.filter((s) => s.line === 22 && s.reason === 'inbound-mapping-invalid').map((s) => s.field).sort();
  t.deepEqual(line22, ['dss.dsn', 'dss.fin', 'dss.ssn']);
  // One byte longer, the mapping waits for a byte that never comes: no checksum is checked.
  t.true(join.mutants.some((m) => m.startsWith('22:') && m.includes('in.mptcp.dss.dll')));
  const alone = generate(`${repoRoot}test/scripts/mptcp/fallback/csum-bad-first-mapping.pkt`);
  t.true(alone.mutants.some((m) => m.startsWith('16:') && m.includes('in.mptcp.dss.dll')));
});

test('a DLL one longer or a DATA_FIN added is not mutated when the next DSS-less segment runs past the mapping either way (no join)', (t) => {
  const g = generate(`${repoRoot}test/scripts/mptcp/fallback/segment-past-mapping.pkt`);
  const line17 = g.raw.skipped.filter((s) => s.line === 17 && s.reason === 'inbound-rest-unmapped').map((s) => s.field).sort();
  t.deepEqual(line17, ['dss.dll', 'dss.fin']);
  // A segment starting at the mapping's end: one byte more is mapped, the reaction differs
  // (reason 0 against 6 on 6.18 with a join): mutated.
  const join = generate(`${repoRoot}test/scripts/mptcp/fallback/join-then-options-stripped.pkt`);
  t.true(join.mutants.some((m) => m.startsWith('21:') && m.includes('in.mptcp.dss.dll')));
  // With a join, the first mapping of the script (no old data another subflow delivered): skipped.
  const first = generate(`${repoRoot}test/scripts/mptcp/fallback/join-segment-past-mapping.pkt`);
  t.deepEqual(first.raw.skipped.filter((s) => s.reason === 'inbound-rest-unmapped').map((s) => s.field).sort(), ['dss.dll', 'dss.fin']);
  // A join's mapping after the first subflow delivered its DSNs: Linux discards the old data whole (mutated).
  const old = generate(`${repoRoot}test/scripts/mptcp/fallback/join-mapping-spans-segments.pkt`);
  t.false(old.raw.skipped.some((s) => s.reason === 'inbound-rest-unmapped'));
});

test('the v0 form of MP_PRIO on a v1 connection and the drop of an MP_JOIN ACK with a wrong HMAC are not mutated', (t) => {
  const prio = generate(`${repoRoot}test/scripts/mptcp/prio/inbound.pkt`);
  t.deepEqual(prio.raw.skipped.filter((s) => s.reason === 'inbound-prio-v0-form').map((s) => s.line), [21]);
  t.false(prio.mutants.some((m) => m.startsWith('21:') && m.includes('mp_prio')));
  // The v1 form is mutated: a join later shows it.
  t.true(prio.mutants.some((m) => m.startsWith('18:') && m.includes("in.mptcp.drop drop option 'mp_prio backup=1'")));
  const hmac = generate(`${repoRoot}test/scripts/mptcp/join/bad-hmac.pkt`);
  t.is(hmac.raw.skipped.filter((s) => s.reason === 'inbound-join-ack-bad-hmac').length, 1);
  t.false(hmac.mutants.some((m) => m.includes('mp_join_ack')));
  // With `sender_hmac=auto` the MP_JOIN ACK is mutated (dropping it resets the join).
  const auto = generate(`${repoRoot}test/scripts/mptcp/join/backup-not-echoed.pkt`);
  t.true(auto.mutants.some((m) => m.includes("in.mptcp.drop drop option 'mp_join_ack sender_hmac=auto'")));
});

test('an in/out length Linux echoes below its size is mutated one down only; an int option\'s optlen both ways', (t) => {
  const cong = generate(`${repoRoot}test/scripts/language/upstream-setup.pkt`);
  t.true(cong.skipped.includes('27:55 echoed-length optlen'));
  t.deepEqual(cong.mutants.filter((m) => m.startsWith('27:55 ')), ['27:55 call.optlen optlen 4 → 3']);
  const sizes = generate(`${repoRoot}test/scripts/mptcp/sockopt/subflow-arrays-sizes.pkt`);
  t.true(sizes.mutants.includes('46:91 call.struct size_sfinfo_user 4 → 3'));
  t.true(sizes.skipped.includes('46:91 echoed-length size_sfinfo_user'));
  t.true(sizes.mutants.includes('47:116 call.optlen optlen 52 → 51'));
  // size_arrays_user at the subflow count: more fills no more; one less is mutated.
  const arrays = generate(`${repoRoot}test/scripts/mptcp/sockopt/subflow-arrays.pkt`);
  t.true(arrays.mutants.some((m) => m.includes('size_arrays_user 2 → 1')));
  t.true(arrays.raw.skipped.some((s) => s.reason === 'echoed-length' && s.field === 'size_arrays_user'));
  // An int option's optlen is returned as 4 whatever is passed: one more is mutated.
  const ints = generate(`${repoRoot}test/scripts/tcp/sockopt/getsockopt.pkt`);
  t.true(ints.mutants.some((m) => m.startsWith('16:') && m.includes('call.optlen optlen 4 → 5')));
  // Below the size it is echoed (SOL_SOCKET, SOL_IPV6; SO_TIMESTAMPING's is 8 bytes): one down only.
  const stamping = generate(`${repoRoot}test/scripts/tcp/sockopt/so-timestamping.pkt`);
  // One less keeps the value's significant bytes: the mutant cuts them ([0x18] in 0 bytes); a 0
  // is compared the same at any length (not mutated).
  const optlens = (g: typeof stamping, line: number) => g.mutants.filter((m) => m.startsWith(`${line}:`) && m.includes('optlen')).map((m) => m.replace(/^\S+ /, ''));
  t.deepEqual(optlens(stamping, 11), ['call.optlen optlen 4 → 0']);
  t.deepEqual(optlens(stamping, 9), []);
  t.true(stamping.raw.skipped.some((s) => s.line === 9 && s.reason === 'echoed-length'));
  const v6 = generate(`${repoRoot}test/scripts/tcp/sockopt/ipv6-mtu-discover-v6.pkt`);
  t.true(v6.raw.skipped.some((s) => s.line === 15 && s.reason === 'echoed-length'));
  // TCP_INFO passed 104 bytes but compared up to tcpi_snd_cwnd (ends at 84): 103 reads the same
  // fields, 83 cuts the last one compared.
  const info = generate(`${repoRoot}test/scripts/tcp/congestion/reno-slow-start.pkt`);
  t.deepEqual(optlens(info, 40), ['call.optlen optlen 104 → 83']);
});

test('an inbound address bound to a name that later lines read by the name is not mutated', (t) => {
  const g = generate(`${repoRoot}test/scripts/mptcp/addaddr/echo-v4.pkt`);
  t.true(g.raw.skipped.some((s) => s.line === 16 && s.reason === 'inbound-bound-address'));
  t.false(g.mutants.some((m) => m.includes('in.mptcp.add_address.addr addr ')));
});

test("an inbound MP_FAIL's DSN is never mutated; its drop only where it answers the stack's own MP_FAIL", (t) => {
  const answered = generate(`${repoRoot}test/scripts/mptcp/fallback/mp-fail-answered.pkt`);
  t.true(answered.skipped.some((s) => s.startsWith('23:') && s.includes('inbound-mp-fail-answer mp_fail.drop')));
  t.true(answered.skipped.some((s) => s.startsWith('23:') && s.includes('inbound-mp-fail-dsn')));
  t.false(answered.mutants.some((m) => m.startsWith('23:') && m.includes('mp_fail')));
  // The peer failing first: its MP_FAIL is what makes the stack answer, so dropping it is mutated.
  const received = generate(`${repoRoot}test/scripts/mptcp/fallback/mp-fail-received.pkt`);
  t.true(received.mutants.some((m) => m.startsWith('25:') && m.includes("drop option 'mp_fail dsn8=101'")));
  t.false(received.mutants.some((m) => m.includes('in.mptcp.mp_fail.dsn')));
});

test("an ADD_ADDR's id under the userspace PM is mutated only where the script acts as the daemon", (t) => {
  const file = `${repoRoot}test/scripts/mptcp/pm/userspace-without-daemon.pkt`;
  const idle = generate(file);
  t.true(idle.skipped.some((s) => s.startsWith('20:') && s.includes('inbound-add-addr-unheard add_address.address_id')), idle.skipped.join('\n'));
  t.false(idle.mutants.some((m) => m.startsWith('20:') && m.includes('add_address.address_id')));
  // Its presence still counts (AddAddr, AddAddrDrop): dropping it is mutated.
  t.true(idle.mutants.some((m) => m.startsWith('20:') && m.includes('in.mptcp.drop')), idle.mutants.join('\n'));
  // The in-kernel PM (no pm_type=1): the id is mutated as everywhere.
  const loaded = loadScript(file, { target: 'ts' });
  const kernelPm = generateMutants(checkText(file, loaded.text.replace(' && sysctl -q net.mptcp.pm_type=1', ''), { target: 'ts' }), { validate: false });
  t.true(kernelPm.mutants.some((m) => m.line === 20 && m.kind.endsWith('add_address.address_id')), kernelPm.mutants.map((m) => `${m.line} ${m.kind}`).join('\n'));
});

test('a DATA_FIN added to a mapping whose bad checksum the stack answers with MP_FAIL is not mutated; with no MP_FAIL expected it is', (t) => {
  const file = `${repoRoot}test/scripts/mptcp/fallback/mp-fail-answered.pkt`;
  const answered = generate(file);
  t.true(answered.skipped.some((s) => s.startsWith('20:') && s.includes('inbound-fin-bad-checksum dss.fin')), answered.skipped.join('\n'));
  t.false(answered.mutants.some((m) => m.startsWith('20:') && m.includes("add 'fin'")));
  // The good mapping before it (line 18) still gets the mutant.
  t.true(answered.mutants.some((m) => m.startsWith('18:') && m.includes("add 'fin'")));
  // Without the MP_FAIL the script expects, the rule does not apply.
  const loaded = loadScript(file, { target: 'ts' });
  const noFail = generateMutants(checkText(file, loaded.text.replace(', mp_fail dsn8=101>', '>'), { target: 'ts' }), { validate: false });
  t.true(noFail.mutants.some((m) => m.line === 20 && m.kind === 'in.mptcp.dss.fin'), noFail.mutants.filter((m) => m.line === 20).map((m) => m.kind).join(' '));
});

test('an inbound MP_CAPABLE after the stack sent a DSS negotiates nothing: its flag A does not turn checksums on for the mutants', (t) => {
  // Line 22 injects an MP_CAPABLE with A once fully established; the first data's longer DLL
  // (line 18) stays equivalent as in a script without checksums.
  const g = generate(`${repoRoot}test/scripts/mptcp/conformance/3.1/mpc-after-established-ignored.pkt`);
  t.true(g.skipped.some((s) => s.startsWith('18:') && s.includes('inbound-dll-longer mp_capable.mpcdatalen')), g.skipped.join('\n'));
  t.false(g.raw.mutants.some((m) => m.line === 18 && m.kind === 'in.mptcp.mp_capable.mpcdatalen'));
});

test("a DLL one longer on a mapping whose next data, without a DSS, stays inside it and is the last: the extra byte never comes (equivalent)", (t) => {
  const g = generate(`${repoRoot}test/scripts/mptcp/conformance/3.3.1/mapping-spans-segments.pkt`);
  t.true(g.skipped.some((s) => s.startsWith('19:') && s.includes('inbound-dll-longer dss.dll')), g.skipped.join('\n'));
  // The bare segment one byte longer (it runs past the mapping as written, not past the longer
  // one): the longer DLL now maps that byte, so it is mutated.
  const file = `${repoRoot}test/scripts/mptcp/conformance/3.3.1/mapping-spans-segments.pkt`;
  const text = loadScript(file, { target: 'ts' }).text;
  t.true(text.includes('+0    < P. 101:201(100) ack 1'));
  const past = generateMutants(checkText(file, text.replace('+0    < P. 101:201(100) ack 1', '+0    < P. 101:202(101) ack 1'), { target: 'ts' }), { validate: false });
  t.true(past.mutants.some((m) => m.line === 19 && m.kind === 'in.mptcp.dss.dll'), past.skipped.filter((s) => s.line === 19).map((s) => s.reason).join(' '));
});

test("a join SYN/ACK with a wrong literal HMAC is not dropped by a mutant: a missing MP_JOIN resets the join the same way", (t) => {
  const g = generate(`${repoRoot}test/scripts/mptcp/conformance/3.2/client-bad-synack-hmac.pkt`);
  t.true(g.skipped.some((s) => s.startsWith('20:') && s.includes('inbound-join-synack-bad-hmac')), g.skipped.filter((s) => s.startsWith('20:')).join('\n'));
  t.false(g.mutants.some((m) => m.startsWith('20:') && m.includes('in.mptcp.drop')));
  // A join SYN/ACK with a computed HMAC keeps its drop mutant.
  const good = generate(`${repoRoot}test/scripts/mptcp/join/client-join.pkt`);
  t.true(good.mutants.some((m) => m.includes('in.mptcp.drop') && m.includes('mp_join_syn_ack')), good.mutants.filter((m) => m.includes('in.mptcp')).join('\n'));
});

test("a listener's peer: flag C on its MP_CAPABLE SYN is not mutated when the stack joins only other addresses of the peer", (t) => {
  // The server joins the client's announced address (addr[c1]), never the SYN's source (addr[c0]).
  const g = generate(`${repoRoot}test/scripts/mptcp/pm/userspace-daemon-server.pkt`);
  t.true(g.skipped.some((s) => s.startsWith('17:') && s.includes('inbound-flag-c')), g.skipped.filter((s) => s.startsWith('17:')).join('\n'));
  t.false(g.mutants.some((m) => m.startsWith('17:') && m.includes('+flag_c')));
});
