// The script corpus: every script in test/scripts checks clean (warnings only where listed),
// together the scripts use every construct the corpus README promises, and every snippet in
// test/invalid fails with exactly the diagnostics its `// expect:` header lines name.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import type { Event, Expr, Script, TcpOptionSpec } from '../src/script/ast.js';
import { findScripts, loadScript, type LoadedScript } from '../src/script/load.js';
import { PM_EVENT_TYPES } from '../src/script/pm-events.js';

const root = new URL('../../test/', import.meta.url).pathname;
const corpusDir = `${root}scripts`;
const invalidDir = `${root}invalid`;

/** Scripts allowed to draw warnings, with the codes they draw on purpose. */
const EXPECTED_WARNINGS: Record<string, string[]> = {
  'language/unsupported/accepted-not-run.pkt': [
    'unsupported-option', 'unsupported-option', 'unsupported-option', 'unsupported-call', 'unsupported-call',
    'encap-unsupported', 'accecn-unsupported', 'accecn-unsupported',
  ],
  'mptcp/prio/inbound.pkt': ['mp-prio-address-id'],
  'mptcp/mib/prio-rx-counters.pkt': ['mp-prio-address-id'],
  'tcp/handshake/ack-flag-no-value.pkt': ['ack-flag-without-ack'],
  'mptcp/fallback/client-synack-v0-both-keys.pkt': ['mpc-synack-two-keys'],
};

const corpus: LoadedScript[] = findScripts(corpusDir).map((f) => loadScript(f));
const scripts: Script[] = corpus.flatMap((c) => (c.script ? [c.script] : []));
const events: Event[] = scripts.flatMap((s) => s.events);
const tcpOptions: TcpOptionSpec[] = events.flatMap((e) =>
  e.action.kind === 'packet' && e.action.body.kind === 'tcp' && Array.isArray(e.action.body.options) ? e.action.body.options : [],
);

test('the corpus has at least 60 scripts and each checks clean', (t) => {
  t.true(corpus.length >= 60, `${corpus.length} scripts`);
  for (const c of corpus) {
    const name = relative(corpusDir, c.file);
    const errors = c.diagnostics.filter((d) => d.severity === 'error');
    t.deepEqual(errors.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`), [], name);
    const warnings = c.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.code);
    t.deepEqual(warnings, EXPECTED_WARNINGS[name] ?? [], name);
  }
});

test('every statement form and time form appears', (t) => {
  t.true(scripts.some((s) => s.options.length > 0), 'option lines');
  t.true(scripts.some((s) => s.initCommand !== undefined), 'init command');
  t.true(scripts.some((s) => s.cleanupCommand !== undefined), 'cleanup command');
  const kinds = new Set(events.map((e) => e.action.kind));
  t.deepEqual([...kinds].sort(), ['code', 'packet', 'pmEvent', 'shell', 'syscall']);
  const times = new Set(events.map((e) => {
    const x = e.time;
    if (x.kind === 'any') return 'any';
    if (x.kind === 'point') return x.relative ? 'relative' : 'absolute';
    return `${x.kind}-${x.start.relative ? 'relative' : 'absolute'}`;
  }));
  for (const k of ['absolute', 'relative', 'any', 'range-absolute', 'range-relative', 'blocking-absolute', 'blocking-relative']) t.true(times.has(k), k);
  const packets = events.flatMap((e) => (e.action.kind === 'packet' ? [e.action] : []));
  t.true(packets.some((p) => p.body.kind === 'icmp'), 'icmp');
  t.true(packets.some((p) => p.ip !== undefined), 'ip info');
  t.true(packets.some((p) => p.tuple?.src?.kind === 'port'), 'port tuple');
  t.true(packets.some((p) => p.tuple?.src?.kind === 'named'), 'addr[NAME] tuple');
});

test('every system call of docs/language.md §6.2 appears', (t) => {
  const calls = new Set(events.flatMap((e) => (e.action.kind === 'syscall' ? [e.action.name] : [])));
  const wanted = [
    'socket', 'bind', 'listen', 'accept', 'connect', 'read', 'readv', 'recv', 'recvfrom', 'recvmsg', 'write', 'writev',
    'send', 'sendto', 'sendmsg', 'fcntl', 'ioctl', 'close', 'shutdown', 'getsockopt', 'setsockopt', 'poll', 'epoll_create',
    'epoll_ctl', 'epoll_wait', 'pipe', 'splice', 'sendfile', 'open', 'cap_set', 'psp_rx_assoc', 'psp_tx_assoc', 'mib', 'mib_delta',
    'pm_add_addr', 'pm_del_addr', 'pm_flush_addrs', 'pm_set_limits', 'pm_set_flags', 'pm_announce', 'pm_remove', 'pm_subflow_create', 'pm_subflow_destroy',
  ];
  t.deepEqual(wanted.filter((c) => !calls.has(c as never)), []);
});

test('every path-manager event type of docs/language.md §6.5 is expected somewhere', (t) => {
  const types = new Set(events.flatMap((e) => (e.action.kind === 'pmEvent' ? [e.action.type] : [])));
  t.deepEqual(Object.keys(PM_EVENT_TYPES).filter((n) => !types.has(n)), []);
});

function exprs(e: Expr): Expr[] {
  switch (e.kind) {
    case 'array': return [e, ...e.items.flatMap(exprs)];
    case 'struct': return [e, ...e.fields.flatMap((f) => exprs(f.value))];
    case 'or': return [e, ...e.terms.flatMap(exprs)];
    case 'call': return [e, ...e.args.flatMap(exprs)];
    case 'binary': return [e, ...exprs(e.left), ...exprs(e.right)];
    default: return [e];
  }
}

test('every expression form appears', (t) => {
  const all = events.flatMap((e) => (e.action.kind === 'syscall' ? e.action.args.flatMap(exprs) : []));
  const kinds = new Set(all.map((e) => e.kind));
  for (const k of ['int', 'symbol', 'ellipsis', 'or', 'string', 'array', 'struct', 'call', 'binary']) t.true(kinds.has(k as never), k);
  t.true(all.some((e) => e.kind === 'int' && e.hex), 'hex');
  t.true(all.some((e) => e.kind === 'string' && e.ellipsis), 'string...');
});

test('every TCP option of §7.3 appears', (t) => {
  const kinds = new Set(tcpOptions.map((o) => o.kind));
  for (const k of ['nop', 'eol', 'mss', 'wscale', 'sack_permitted', 'sack', 'timestamp', 'fastopen', 'md5', 'accecn']) t.true(kinds.has(k as never), k);
  const fo = tcpOptions.flatMap((o) => (o.kind === 'fastopen' ? [`${o.experimental ? 'FOEXP' : 'FO'}${o.cookie ? ' cookie' : ''}`] : []));
  t.deepEqual([...new Set(fo)].sort(), ['FO', 'FO cookie', 'FOEXP', 'FOEXP cookie']);
});

test('every MPTCP option keyword and field of §8 appears', (t) => {
  const has = (pred: (o: TcpOptionSpec) => boolean, what: string): void => {
    t.true(tcpOptions.some(pred), what);
  };
  for (const k of ['mp_capable', 'mp_join_syn', 'mp_join_syn_ack', 'mp_join_ack', 'dss', 'add_address', 'remove_address', 'mp_prio', 'mp_fail', 'mp_fastclose', 'mp_reset']) {
    has((o) => o.kind === k, k);
  }
  has((o) => o.kind === 'mp_capable' && o.legacy === 'mp_capable', 'legacy mp_capable');
  has((o) => o.kind === 'mp_capable' && o.legacy === 'mp_capable_no_cs', 'legacy mp_capable_no_cs');
  has((o) => o.kind === 'mp_capable' && o.version === 'default', 'mpcapable none');
  has((o) => o.kind === 'mp_capable' && o.flagsForm === 'number', 'flags 0x..');
  has((o) => o.kind === 'mp_capable' && o.dataLen !== undefined, 'mpcdatalen');
  has((o) => o.kind === 'mp_capable' && o.keys.length === 0, 'nokey');
  has((o) => o.kind === 'mp_join_syn' && o.rand !== undefined, 'rand= on the SYN');
  has((o) => o.kind === 'mp_join_syn_ack' && o.rand !== undefined, 'rand= on the SYN/ACK');
  has((o) => o.kind === 'mp_join_syn' && o.token.kind === 'auto', 'token=auto');
  has((o) => o.kind === 'mp_join_syn' && o.token.kind === 'literal', 'token=INT');
  has((o) => o.kind === 'mp_join_syn' && o.backup === 1, 'backup=1');
  has((o) => o.kind === 'mp_join_syn' && o.addressId === 'auto', 'address_id=auto');
  has((o) => (o.kind === 'mp_join_syn_ack' || o.kind === 'mp_join_ack') && o.hmac.kind === 'keys' && o.hmac.form === 'trunc_l64', 'trunc_l64_hmac');
  has((o) => (o.kind === 'mp_join_syn_ack' || o.kind === 'mp_join_ack') && o.hmac.kind === 'keys' && o.hmac.form === 'full_160', 'full_160_hmac');
  has((o) => (o.kind === 'mp_join_syn_ack' || o.kind === 'mp_join_ack') && o.hmac.kind === 'auto' && o.hmac.spelling === 'token', 'token=auto as HMAC');
  has((o) => o.kind === 'mp_join_ack' && o.hmac.kind === 'literal', 'sender_hmac=INT');
  has((o) => o.kind === 'dss' && o.dsn?.value?.kind === 'idsn_of_name', 'trunc_r64_hmac(NAME)+N');
  has((o) => o.kind === 'dss' && o.dack?.value?.kind === 'idsn_of_key' && o.dack.value.alg === 'sha256', 'trunc_r64_hmac_sha256');
  has((o) => o.kind === 'dss' && o.dack?.value?.kind === 'idsn_of_key' && o.dack.value.alg === 'sha1', 'trunc_r64_hmac_sha1');
  has((o) => o.kind === 'dss' && o.checksum.kind === 'literal', 'cksum=');
  has((o) => o.kind === 'dss' && o.dsn?.width === 4, 'dsn4');
  has((o) => o.kind === 'dss' && o.fin, 'fin');
  has((o) => o.kind === 'dss' && o.bare, 'bare dss');
  has((o) => o.kind === 'dss' && o.dack !== undefined && o.dack.value === undefined, 'dack8 without value');
  has((o) => o.kind === 'add_address' && o.port !== undefined, 'port=');
  has((o) => o.kind === 'add_address' && o.addr.literal?.family === 'inet6', 'inet6_addr');
  has((o) => o.kind === 'add_address' && o.addr.literal?.family === 'inet', 'inet_addr');
  has((o) => o.kind === 'add_address' && o.hmac.kind === 'echo', 'addr_echo');
  has((o) => o.kind === 'add_address' && o.hmac.kind === 'literal', 'hmac=INT');
  has((o) => o.kind === 'remove_address' && o.addressIds.length > 1, 'remove_address list');
  has((o) => o.kind === 'mp_prio' && o.addressId === undefined, 'mp_prio v1');
  has((o) => o.kind === 'mp_prio' && o.addressId !== undefined, 'mp_prio with address_id');
  has((o) => o.kind === 'mp_fastclose' && o.key === undefined, 'bare mp_fastclose');
  has((o) => o.kind === 'mp_fastclose' && o.key?.value !== undefined, 'mp_fastclose NAME=VALUE');
  has((o) => o.kind === 'mp_fastclose' && o.plus !== undefined, 'mp_fastclose NAME +N');
  has((o) => o.kind === 'mp_reset' && o.flags === 1, 'mp_reset flags[flag_t]');
});

test('both IP versions: pinned IPv6 scripts and the v4/v6 file-name convention', (t) => {
  const v6 = scripts.filter((s) => s.options.some((o) => o.name === 'ip_version' && o.value === 'ipv6'));
  t.true(v6.length >= 5, `${v6.length} IPv6 scripts`);
  t.true(v6.every((s) => basename(s.file).endsWith('v6.pkt')), 'pinned IPv6 scripts are named *v6.pkt');
  t.true(corpus.some((c) => c.file.endsWith('v4.pkt')));
});

test('every invalid snippet fails with exactly the diagnostics of its expect header', (t) => {
  const files = findScripts(invalidDir);
  t.true(files.length >= 30, `${files.length} snippets`);
  for (const file of files) {
    const expected = readFileSync(file, 'utf8').split('\n').flatMap((l) => {
      const m = /^\/\/ expect: (.*)$/.exec(l);
      return m ? [m[1]!] : [];
    });
    t.true(expected.length > 0, `${basename(file)} has expectations`);
    const r = loadScript(file);
    const actual = r.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message}`);
    t.deepEqual(actual, expected, basename(file));
    t.true(r.diagnostics.some((d) => d.severity === 'error'), `${basename(file)} has an error`);
  }
});
