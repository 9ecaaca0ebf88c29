// Shell lines on the ts target: run in-process (src/shell/ with ts-shell-host.ts) they give what
// /bin/sh with the stand-in executables gives and leave the stack in the same state; an
// upstream-style setup script runs with no process and no skip; lines that touch the stack give
// what Linux 6.18 gives (root: compared with the kernel in a fresh namespace); any input stays
// bounded in time and output.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsTarget } from '../src/targets/ts-target.js';
import type { NetworkConfig, ShellResult } from '../src/targets/target.js';

const NET: NetworkConfig = { ipVersion: 'ipv4', localIp: '192.168.0.1', remoteIp: '192.0.2.1', remotePrefix: 24, gatewayIp: '192.168.0.2', netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0' };
const CORPUS = fileURLToPath(new URL('../../test/scripts/language/', import.meta.url));
const ENV = { OPT_IP_VERSION: 'ipv4', OPT_LOCAL_DEV: 'tun0', OPT_LOCAL_IP: '192.168.0.1', PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** A folder of script files for the commands below; removed after `f`. */
async function withScripts<T>(f: (cwd: string) => Promise<T>): Promise<T> {
  const cwd = mkdtempSync(join(tmpdir(), 'in-process-'));
  const put = (name: string, text: string, mode = 0o755): void => { writeFileSync(join(cwd, name), text); chmodSync(join(cwd, name), mode); };
  mkdirSync(join(cwd, 'sub'));
  put('defaults.sh', '#!/bin/sh\nset -e\nsysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"\n  sysctl -w net.mptcp.checksum_enabled=1\nsysctl -q net.ipv4.tcp_made_up=1\nsysctl -q net.ipv4.tcp_sack=0\n');
  put('outer.sh', '#!/bin/bash\nset -e\n"$(dirname "$0")/sub/inner.sh"\nsysctl -n net.ipv4.tcp_wmem\n');
  put('sub/inner.sh', '#!/bin/sh\nip mptcp limits set subflows 4 add_addr_accepted 2\nip mptcp endpoint add 10.0.1.1 id 3 backup\nsysctl -q net.ipv4.tcp_wmem="1 2 3"\n');
  put('lists.sh', '#!/bin/sh\nset -e\nsysctl -q net.made.up=1 && sysctl -q net.ipv4.tcp_sack=1\nsysctl -n net.ipv4.tcp_sack; sysctl -q net.x=1 || sysctl -q net.y=1\nsysctl -q net.ipv4.tcp_ecn=1\n');
  put('helper.py', '#!/usr/bin/env python3\nimport subprocess\nsubprocess.run(["sysctl", "-q", "net.ipv4.tcp_ecn=2"], check=True)\nprint("helper ran")\n');
  try {
    return await f(cwd);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Everything a command can change or show: its result and the stack's state after it. */
function observe(target: TsTarget, r: ShellResult): unknown {
  const s = target.stack;
  const { notes: _notes, ...result } = r;
  return { ...result, sysctl: s.host.sysctls.dump(), endpoints: s.pm.show(), limits: s.pm.showLimits(), addrs: [...s.host.addresses].sort(), mtu: s.host.mtu };
}

test('in-process lines give what /bin/sh with the stand-in executables gives', async (t) => {
  await withScripts(async (cwd) => {
    const steps = [
      './defaults.sh', './outer.sh', 'ip mptcp endpoint show', 'ip -j mptcp limits', 'ip addr show', './lists.sh', 'sysctl -a | grep -c mptcp',
      'ip link set dev tun0 mtu 1400', 'ip mptcp limits set subflows 99', 'sysctl -q net.made.up=1 && sysctl -n net.ipv4.tcp_sack',
      'sysctl -q net.made.up=1 || sysctl -n net.ipv4.tcp_sack; ip addr add 10.9.9.9/16 dev $OPT_LOCAL_DEV', 'for k in tcp_sack tcp_dsack; do sysctl -n net.ipv4.$k; done', './helper.py',
      'ip tcp_metrics flush all > /dev/null 2>&1; echo $?', 'sysctl -q net.ipv4.tcp_fack=1; echo $?',
    ];
    const inProcess = new TsTarget({ seed: 1 });
    const sh = new TsTarget({ seed: 1, shellFastPath: false });
    await inProcess.open(NET);
    await sh.open(NET);
    try {
      for (const command of steps) {
        const opts = { cwd, env: ENV, timeoutMs: 20_000 };
        t.deepEqual(observe(inProcess, await inProcess.shell(command, opts)), observe(sh, await sh.shell(command, opts)), command);
      }
      t.deepEqual(inProcess.shellRuns, { inProcess: steps.length, bash: 0, processes: 2 }, 'only grep and the Python helper ran as processes');
      t.is(sh.shellRuns.inProcess, 0);
      // The steps did change the stack.
      t.is(inProcess.stack.host.sysctls.get('net.ipv4.tcp_wmem'), '1\t2\t3');
      t.is(inProcess.stack.pm.subflows, 4, 'limits above 8 are refused');
      t.true(inProcess.stack.host.addresses.has('10.9.9.9'));
      t.is(inProcess.stack.host.sysctls.get('net.ipv4.tcp_ecn'), '2', 'the Python helper reached the stack through the sysctl stand-in');
    } finally {
      await inProcess.close();
      await sh.close();
    }
  });
});

test('an upstream-style setup script runs in-process: no process, no skip, notes for what has no effect', async (t) => {
  const target = new TsTarget({ seed: 1 });
  await target.open(NET);
  try {
    const r = await target.shell('../common/upstream-defaults.sh', { cwd: CORPUS, env: ENV, timeoutMs: 20_000 });
    t.is(r.code, 0, r.stderr);
    t.is(r.unsupported, undefined);
    t.deepEqual(target.shellRuns, { inProcess: 1, bash: 0, processes: 0 });
    t.is(target.stack.host.sysctls.get('net.ipv4.tcp_rmem'), '4096\t540000\t15728640');
    t.is(target.stack.host.sysctls.get('net.ipv4.tcp_congestion_control'), 'reno');
    t.deepEqual((r.notes ?? []).map((n) => n.split(':')[0]), ['ip tcp_metrics flush all', 'sysctl net.ipv4.tcp_fack=1', 'sysctl net.ipv4.tcp_thin_dupack', 'tc qdisc replace dev tun0 root pfifo']);
  } finally {
    await target.close();
  }
});

test('what the model lacks is a skip that names it; what 6.18 lacks fails as on 6.18', async (t) => {
  const target = new TsTarget({ seed: 1 });
  await target.open(NET);
  const run = (c: string): Promise<ShellResult> => target.shell(c, { cwd: CORPUS, env: ENV, timeoutMs: 20_000 });
  try {
    t.regex((await run('tc qdisc add dev tun0 root fq')).unsupported?.[0] ?? '', /fq .*not modelled/);
    t.regex((await run('sysctl -q net.ipv4.tcp_thin_linear_timeouts=0 net.ipv4.udp_early_demux=0')).unsupported?.[0] ?? '', /net.ipv4.udp_early_demux=0: the TypeScript stack does not model/);
    t.regex((await run('cat /proc/net/netstat')).unsupported?.[0] ?? '', /reading \/proc\/net\/netstat: .*MIB counters/);
    const missing = await run('sysctl -q net.ipv4.tcp_no_such_key=1');
    t.deepEqual([missing.code, missing.stderr, missing.unsupported], [1, 'sysctl: cannot stat /proc/sys/net/ipv4/tcp_no_such_key: No such file or directory\n', undefined]);
    // Written with the value it has: accepted (an unmodelled key).
    t.is((await run('sysctl -q net.ipv4.udp_early_demux=1')).unsupported, undefined);
  } finally {
    await target.close();
  }
});

test('constructs the in-process shell does not reproduce run with /bin/sh, with a note', async (t) => {
  const target = new TsTarget({ seed: 1 });
  await target.open(NET);
  try {
    const r = await target.shell('[[ -n x ]]', { cwd: tmpdir(), env: ENV, timeoutMs: 20_000 });
    // dash has neither [[ nor $'…': what the kernel target's /bin/sh says.
    t.is(r.code, 127);
    t.deepEqual(target.shellRuns, { inProcess: 0, bash: 1, processes: 0 });
    t.regex(r.notes?.[0] ?? '', /run by \/bin\/sh, not in-process: ConditionalCommand/);
    const quoted = await target.shell("echo $'a'", { cwd: tmpdir(), env: ENV, timeoutMs: 20_000 });
    t.is(quoted.stdout, "$a\n");
    t.regex(quoted.notes?.[0] ?? '', /\$'…' quoting/);
  } finally {
    await target.close();
  }
});

test('loops and output floods are bounded', async (t) => {
  const target = new TsTarget({ seed: 1 });
  await target.open(NET);
  try {
    const loop = await target.shell('while :; do :; done', { cwd: tmpdir(), env: ENV, timeoutMs: 20_000 });
    t.is(loop.code, 2);
    t.regex(loop.stderr, /more than 200000 commands run: stopped/);
    const flood = await target.shell('while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done', { cwd: tmpdir(), env: ENV, timeoutMs: 20_000 });
    t.is(flood.code, 2);
    t.true(flood.stdout.length <= 65536);
    const deep = await target.shell('f() { f; }; f', { cwd: tmpdir(), env: ENV, timeoutMs: 20_000 });
    t.is(deep.code, 2);
    t.regex(deep.stderr, /nested more than 100 deep/);
  } finally {
    await target.close();
  }
});

/** The kernel's answer to `line` in a fresh network namespace with a tun0 device (root only). */
function onKernel(line: string): { status: number | null; stdout: string; stderr: string } {
  const setup = 'ip tuntap add dev tun0 mode tun && ip link set tun0 up && ip link set lo up';
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', `${setup} || exit 99; exec /bin/sh -c "$0"`, line], { cwd: CORPUS, env: ENV, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rootTest = process.getuid?.() === 0 ? test : test.skip;

rootTest('lines that touch the stack answer as Linux 6.18 does', async (t) => {
  const lines = [
    'sysctl -q net.ipv4.tcp_sack=0; sysctl -n net.ipv4.tcp_sack',
    'sysctl net.ipv4.tcp_sack=1 net.ipv4.tcp_dsack=1',
    'sysctl -q net.ipv4.tcp_fack=1; echo "status $?"; sysctl -n net.ipv4.tcp_fack',
    'sysctl -q net.ipv4.tcp_bogus_key=1; echo "status $?"',
    'sysctl net.ipv4.tcp_bogus_key; echo "status $?"',
    'sysctl -e -q net.ipv4.tcp_bogus_key=1; echo "status $?"',
    'sysctl -q net.ipv4.tcp_wmem="4096 $((256*1024)) 4194304"; cat /proc/sys/net/ipv4/tcp_wmem',
    'echo 0 > /proc/sys/net/ipv4/tcp_timestamps; sysctl -n net.ipv4.tcp_timestamps',
    'echo 1 > /proc/sys/net/ipv4/no_such; echo "status $?"',
    'read v < /proc/sys/net/ipv4/tcp_syncookies; echo "status $? [$v]"; read key < /proc/sys/net/ipv4/tcp_fastopen_key; echo "[$key]"',
    'ip tcp_metrics flush all > /dev/null 2>&1; echo "status $?"',
    'tc qdisc add dev tun0 root pfifo > /dev/null 2>&1; echo "status $?"',
    'sysctl -q net.ipv4.tcp_congestion_control=reno && sysctl -n net.ipv4.tcp_congestion_control',
    'ip mptcp limits set subflows 4 add_addr_accepted 3 && ip mptcp limits',
  ];
  const target = new TsTarget({ seed: 1 });
  await target.open(NET);
  try {
    for (const line of lines) {
      const ours = await target.shell(line, { cwd: CORPUS, env: ENV, timeoutMs: 20_000 });
      t.deepEqual({ status: ours.code, stdout: ours.stdout, stderr: ours.stderr }, onKernel(line), line);
      t.is(ours.unsupported, undefined, line);
    }
    t.is(target.shellRuns.processes, 0);
  } finally {
    await target.close();
  }
});
