// Path-manager commands (docs/language.md §6.4): what `check` says about a `pm_` line, what the
// bundled stack does with each command (the errno Linux 6.18 gives, the packets that follow), and
// the same commands on the live kernel through generic netlink. The corpus scripts
// test/scripts/mptcp/pm/ (with their twins) run both targets in the corpus tests.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import type { Diagnostic } from '../src/script/ast.js';
import { checkScript } from '../src/script/check.js';
import { parseScript } from '../src/script/parse.js';
import { checkText } from '../src/script/load.js';
import { prepareRun } from '../src/engine/prepare.js';
import { runScript } from '../src/engine/run.js';
import { createTsTarget } from '../src/targets/ts-target.js';
import type { Target } from '../src/targets/target.js';
import { pkt, scriptFile } from './fakes/run-helpers.js';
import { runCli } from './helpers/cli.js';

function diagnostics(text: string): string[] {
  const parsed = parseScript(text, 'x.pkt');
  const all: Diagnostic[] = [...parsed.diagnostics, ...(parsed.script ? checkScript(parsed.script, {}) : [])];
  return all.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.column}`);
}

test('check: named arguments only in pm_ lines, each command its own, addresses quoted, flags by name, a result like a call', (t) => {
  t.deepEqual(diagnostics(pkt(
    '0 pm_add_addr(addr="192.0.2.9", id=2, flags=signal|backup) = 0',
    '+0 pm_del_addr(id=2) = -1 EINVAL',
    '+0 pm_set_limits(subflows=2) = 0',
    '+0 pm_flush_addrs() = 0',
    '+0 pm_subflow_destroy(token=7, addr="2001:db8::1", port=..., raddr="2001:db8::2", rport=80) = -1 ESRCH',
  )), []);
  t.deepEqual(diagnostics(pkt('0 pm_add_addr("192.0.2.9") = 0')), ['pm-positional@1:15', 'pm-missing-argument@1:3']);
  t.deepEqual(diagnostics(pkt('0 pm_add_addr(addr="192.0.2.9", token=3) = 0')), ['pm-argument@1:33']);
  t.deepEqual(diagnostics(pkt('0 pm_add_addr(addr="not an address") = 0')), ['pm-address@1:20']);
  t.deepEqual(diagnostics(pkt('0 pm_add_addr(addr="192.0.2.9", flags=signal|bogus) = 0')), ['pm-flag@1:46']);
  t.deepEqual(diagnostics(pkt('0 pm_remove(conn=3) = 0')), ['pm-missing-argument@1:3']);
  t.deepEqual(diagnostics(pkt('0 pm_remove(conn=3, token=5, id=1) = 0')), ['pm-argument@1:3']);
  t.deepEqual(diagnostics(pkt('0 pm_flush_addrs() = 3')), ['pm-result@1:22']);
  t.deepEqual(diagnostics(pkt('0 socket(domain=AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3')), ['named-argument@1:10']);
});

async function runTs(text: string, target: Target = createTsTarget({ seed: 1 })) {
  const file = scriptFile();
  const loaded = checkText(file, text, { target: 'ts', cli: {} });
  if (!loaded.options) throw new Error('test script does not load');
  return runScript(loaded, target, prepareRun(loaded.options, 'ts', { seed: 1 }));
}

const ENDPOINTS = [
  '--tolerance_usecs=100000',
  '--local_ip=192.168.77.1',
  '0 pm_set_limits(subflows=8, add_addr_accepted=9) = -1 EINVAL',
  '+0 pm_add_addr(addr="192.168.77.2", id=1, flags=subflow) = 0',
  '+0 pm_add_addr(addr="192.168.77.3", id=1, flags=subflow) = -1 EBUSY',
  '+0 pm_add_addr(addr="192.168.77.2", id=2, flags=subflow) = -1 EEXIST',
  '+0 pm_add_addr(addr="192.168.77.3", port=9000, flags=signal|subflow) = -1 EINVAL',
  ...[2, 3, 4, 5, 6, 7, 8].map((i) => `+0 pm_add_addr(addr="192.168.77.${10 + i}", id=${i}, flags=subflow) = 0`),
];

test('on ts: endpoint commands refuse as 6.18 does (EINVAL, EBUSY, EEXIST; a ninth endpoint ERANGE); a wrong errno fails at its line', async (t) => {
  const ok = await runTs(pkt(...ENDPOINTS, '+0 pm_add_addr(addr="192.168.77.30", flags=subflow) = -1 ERANGE', '+0 pm_del_addr(id=8) = 0', '+0 pm_del_addr(id=8) = -1 EINVAL'));
  t.is(ok.status, 'pass', ok.failure?.message);
  const wrong = await runTs(pkt(...ENDPOINTS, '+0 pm_add_addr(addr="192.168.77.30", flags=subflow) = -1 EINVAL'));
  t.is(wrong.status, 'fail');
  t.is(wrong.failure?.message, 'runtime error in pm_add_addr call: Expected errno 22 (Invalid argument) but got 34 (Numerical result out of range)');
  t.is(wrong.failure?.range?.start.line, 15);
});

test('on ts: an endpoint added by pm_add_addr is announced on the next connection; pm_set_flags on an in-kernel PM connection is EINVAL; a target without a PM is a skip', async (t) => {
  const server = [
    '--tolerance_usecs=100000',
    '--local_ip=192.168.77.1',
    '0 pm_add_addr(addr="192.168.77.2", id=6, flags=signal) = 0',
    '+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3',
    '+0 bind(3, ..., ...) = 0',
    '+0 listen(3, 1) = 0',
    '+0 < S 0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 8, mpcapable v1 flags[flag_h] nokey>',
    '+0 > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 200 ecr 100, nop, wscale 7, mpcapable v1 flags[flag_h] key[skey]>',
    '+0.01 < . 1:1(0) ack 1 win 256 <nop, nop, TS val 101 ecr 200, mpcapable v1 flags[flag_h] key[ckey=2, skey]>',
    '+0 accept(3, ..., ...) = 4',
  ];
  const announced = await runTs(pkt(...server, '+0 > . 1:1(0) ack 1 <nop, nop, TS val 210 ecr 101, add_address address_id=6 addr[s1] hmac=auto>'));
  t.is(announced.status, 'pass', announced.failure?.message);
  const otherId = await runTs(pkt(...server, '+0 > . 1:1(0) ack 1 <nop, nop, TS val 210 ecr 101, add_address address_id=7 addr[s1] hmac=auto>'));
  t.is(otherId.status, 'fail');
  // On a connection the in-kernel PM runs, the userspace PM's MP_PRIO is refused.
  const flags = await runTs(pkt(...server, '+0 pm_set_flags(conn=4, addr="192.168.77.1", raddr="192.0.2.1", flags=backup) = -1 EINVAL'));
  t.is(flags.status, 'pass', flags.failure?.message);
  const target = createTsTarget({ seed: 1 });
  const without: Target = Object.assign(Object.create(Object.getPrototypeOf(target) as object) as Target, target, { pmCommand: undefined });
  const none = await runTs(pkt(...server), without);
  t.is(none.status, 'skip');
  t.regex((none.skipReasons ?? []).join('\n'), /:3: the ts target has no path manager to command \(pm_add_addr\)/);
});

test('on ts: a userspace PM command on a connection of the in-kernel PM, or by a token nobody has, is EINVAL; conn= must be an open socket', async (t) => {
  const client = [
    '--tolerance_usecs=100000',
    '--local_ip=192.168.77.1',
    '0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3',
    '+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
    '+0 connect(3, ..., ...) = -1 EINPROGRESS',
    '+0 > S 0:0(0) <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7, mpcapable v1 flags[flag_h] nokey>',
    '+0.01 < S. 0:0(0) ack 1 win 65535 <mss 1460, sackOK, TS val 700 ecr 100, nop, wscale 8, mpcapable v1 flags[flag_h] key[skey=1234605616436508552]>',
    '+0 > . 1:1(0) ack 1 <nop, nop, TS val 110 ecr 700, mpcapable v1 flags[flag_h] key[ckey, skey]>',
  ];
  const r = await runTs(pkt(...client, '+0 pm_announce(conn=3, addr="192.168.77.2", id=2) = -1 EINVAL', '+0 pm_remove(token=12345, id=2) = -1 EINVAL'));
  t.is(r.status, 'pass', r.failure?.message);
  const noFd = await runTs(pkt(...client, '+0 pm_announce(conn=9, addr="192.168.77.2", id=2) = -1 EINVAL'));
  t.is(noFd.status, 'fail');
  t.is(noFd.failure?.message, 'runtime error in pm_announce call: unable to find socket with script fd 9');
});

// The kernel side: real netlink requests in a fresh namespace of the CLI's kernel target.
const root = process.getuid?.() === 0;
const kernelTest = root ? test : test.skip;
if (!root) console.warn('pm-commands: the kernel tests are skipped: they need root (a namespace and generic netlink)');

kernelTest('on the kernel: the endpoint refusals and a ninth endpoint (ERANGE); ip mptcp sees the endpoints and limits the commands set', async (t) => {
  const file = scriptFile();
  // Shell lines run `ip` in the namespace: on a loaded machine they take long, and a late start
  // is not what this test is about.
  const relaxed = ['--tolerance_usecs=1000000', ...ENDPOINTS.slice(1)];
  writeFileSync(file, pkt(
    ...relaxed,
    '+0 pm_add_addr(addr="192.168.77.30", flags=subflow) = -1 ERANGE',
    '+0 pm_set_limits(subflows=3, add_addr_accepted=4) = 0',
    '+0 `ip mptcp endpoint show | grep -q "192.168.77.18 id 8 subflow"`',
    '+0 `ip mptcp limits show | grep -q "add_addr_accepted 4 subflows 3"`',
    '+0 pm_flush_addrs() = 0',
    '+0 `test -z "$(ip mptcp endpoint show)"`',
  ));
  const ok = await runCli(['run', '--target', 'kernel', file]);
  t.is(ok.status, 0, ok.stdout + ok.stderr);
  writeFileSync(file, pkt(...ENDPOINTS, '+0 pm_add_addr(addr="192.168.77.30", flags=subflow) = -1 EINVAL'));
  const wrong = await runCli(['run', '--target', 'kernel', file]);
  t.is(wrong.status, 1);
  t.regex(wrong.stdout + wrong.stderr, /test\.pkt:15:\d+: runtime error in pm_add_addr call: Expected errno 22 \(Invalid argument\) but got 34 \(Numerical result out of range\)/);
});
