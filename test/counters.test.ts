// Counter assertions (docs/language.md §6.3): reading Linux's MIB files into nstat's names, the
// checks on a `mib` line, and what the engine does on the bundled stack (the growth compared since
// the start or the last line, a counter it does not keep a skip naming it, a target without
// counters a skip). The kernel side runs in the kernel corpus (test/scripts/mptcp/mib/ and twins).

import test from 'ava';
import type { Diagnostic } from '../src/script/ast.js';
import { checkScript } from '../src/script/check.js';
import { parseScript } from '../src/script/parse.js';
import { checkText } from '../src/script/load.js';
import { parseMibText } from '../src/sys/mib-text.js';
import { prepareRun } from '../src/engine/prepare.js';
import { runScript } from '../src/engine/run.js';
import { createTsTarget } from '../src/targets/ts-target.js';
import type { Target } from '../src/targets/target.js';
import { pkt, scriptFile } from './fakes/run-helpers.js';

test('MIB files are read into nstat names, grouped and single-line forms alike', (t) => {
  const text = [
    'TcpExt: SyncookiesSent SyncookiesRecv',
    'TcpExt: 3 4',
    'MPTcpExt: MPCapableSYNRX MPJoinSynRx',
    'MPTcpExt: 1 18446744073709551615',
    'Ip6InReceives                   \t12',
    'Udp6InDatagrams 0',
  ].join('\n');
  const m = parseMibText(text);
  t.deepEqual([...m], [
    ['TcpExtSyncookiesSent', 3n], ['TcpExtSyncookiesRecv', 4n],
    ['MPTcpExtMPCapableSYNRX', 1n], ['MPTcpExtMPJoinSynRx', 18446744073709551615n],
    ['Ip6InReceives', 12n], ['Udp6InDatagrams', 0n],
  ]);
});

function diagnostics(text: string, target?: 'ts' | 'kernel'): string[] {
  const parsed = parseScript(text, 'x.pkt');
  const all: Diagnostic[] = [...parsed.diagnostics, ...(parsed.script ? checkScript(parsed.script, target ? { target } : {}) : [])];
  return all.map((d) => `${d.severity} ${d.code}@${d.range.start.line}:${d.range.start.column} ${d.message}`);
}

const MPTCP_SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3';

test('check: a counter Linux does not have is an error with the nearest name; a name is required; the expectation is a count', (t) => {
  t.deepEqual(diagnostics(pkt(MPTCP_SOCKET, '+0 mib(MPTcpExtMPJoinSynRx) = 1', '+0 mib_delta(TcpActiveOpens) = ...')), []);
  t.deepEqual(diagnostics(pkt(MPTCP_SOCKET, '+0 mib(MPTcpExtMPJoinSynRX) = 1')), [
    "error unknown-counter@2:8 unknown MIB counter 'MPTcpExtMPJoinSynRX': Linux 6.18 has none by that name; did you mean MPTcpExtMPJoinSynRx?",
  ]);
  t.deepEqual(diagnostics(pkt(MPTCP_SOCKET, '+0 mib(3) = 1')).map((d) => d.split(' ').slice(0, 2).join(' ')), ['error counter-name@2:8']);
  t.deepEqual(diagnostics(pkt(MPTCP_SOCKET, '+0 mib(MPTcpExtAddAddr, MPTcpExtEchoAdd) = 1')).map((d) => d.split(' ').slice(0, 2).join(' ')), ['error syscall-arity@2:4']);
  t.deepEqual(diagnostics(pkt(MPTCP_SOCKET, '+0 mib(MPTcpExtAddAddr) = -1 EPERM')).map((d) => d.split(' ').slice(0, 2).join(' ')), ['error counter-expectation@2:27']);
});

test('check --target ts warns about a counter the bundled stack does not keep; the kernel keeps them all', (t) => {
  const text = pkt(MPTCP_SOCKET, '+0 mib(MPTcpExtDSSCorruptionReset) = 0', '+0 mib(MPTcpExtAddAddr) = 0');
  t.deepEqual(diagnostics(text, 'ts'), ['warning target-unkept-counter@2:8 the ts target does not keep the MIB counter MPTcpExtDSSCorruptionReset: the script will be skipped']);
  t.deepEqual(diagnostics(text, 'kernel'), []);
});

async function runTs(text: string, target: Target = createTsTarget({ seed: 1 })) {
  const file = scriptFile();
  const loaded = checkText(file, text, { target: 'ts', cli: {} });
  if (!loaded.options) throw new Error('test script does not load');
  return runScript(loaded, target, prepareRun(loaded.options, 'ts', { seed: 1 }));
}

// A server's MP_CAPABLE handshake, accepted: MPCapableSYNRX at the SYN, MPCapableACKRX at accept().
const SERVER = [
  '--tolerance_usecs=100000',
  MPTCP_SOCKET,
  '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 8, mpcapable v1 flags[flag_h] nokey>',
  '+0 > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 200 ecr 100, nop, wscale 7, mpcapable v1 flags[flag_h] key[skey]>',
  '+0 mib(MPTcpExtMPCapableSYNRX) = 1',
  '+0.01 < . 1:1(0) ack 1 win 256 <nop, nop, TS val 101 ecr 200, mpcapable v1 flags[flag_h] key[ckey=2, skey]>',
  '+0 mib_delta(MPTcpExtMPCapableACKRX) = 0',
  '+0 accept(3, ..., ...) = 4',
];

test('on ts: growth since the start and since the last line naming the counter; a wrong count fails at its line', async (t) => {
  const ok = await runTs(pkt(...SERVER, '+0 mib_delta(MPTcpExtMPCapableACKRX) = 1', '+0 mib_delta(MPTcpExtMPCapableACKRX) = 0', '+0 mib(MPTcpExtMPCapableACKRX) = 1'));
  t.is(ok.status, 'pass', ok.failure?.message);
  const wrong = await runTs(pkt(...SERVER, '+0 mib_delta(MPTcpExtMPCapableACKRX) = 1', '+0 mib_delta(MPTcpExtMPCapableACKRX) = 1'));
  t.is(wrong.status, 'fail');
  t.is(wrong.failure?.message, 'runtime error in mib_delta call: MPTcpExtMPCapableACKRX grew by 0 since line 12, the script expects 1');
  t.is(wrong.failure?.range?.start.line, 13);
});

test('on ts: a counter the stack does not keep is a skip that names it, before anything runs; so is a target without counters', async (t) => {
  const unkept = await runTs(pkt(...SERVER, '+0 mib(MPTcpExtDSSCorruptionReset) = 0'));
  t.is(unkept.status, 'skip');
  t.regex((unkept.skipReasons ?? []).join('\n'), /:12: the TypeScript stack does not keep the MIB counter MPTcpExtDSSCorruptionReset/);
  const target = createTsTarget({ seed: 1 });
  const without: Target = Object.assign(Object.create(Object.getPrototypeOf(target) as object) as Target, target, { readCounters: undefined });
  const none = await runTs(pkt(...SERVER, '+0 mib(MPTcpExtAddAddr) = 0'), without);
  t.is(none.status, 'skip');
  t.regex((none.skipReasons ?? []).join('\n'), /the ts target cannot read MIB counters/);
});
