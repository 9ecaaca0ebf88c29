// The ts target's shell fast path: which commands it takes in-process (the rest go to bash), and
// that a target taking them gives the same results and leaves the stack in the same state as one
// that runs every command with bash.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentIsInert, planCommand } from '../src/stack/shell-fast-path.js';
import { dirname } from '../src/stack/shell-words.js';
import { TsTarget } from '../src/targets/ts-target.js';
import type { NetworkConfig, ShellResult } from '../src/targets/target.js';

const NET: NetworkConfig = { ipVersion: 'ipv4', localIp: '192.168.0.1', remoteIp: '192.0.2.1', remotePrefix: 24, gatewayIp: '192.168.0.2', netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0' };
const BIN = fileURLToPath(new URL('../../scripts/stack-bin', import.meta.url));
/** PATH as the ts target gives it: the stand-ins first. */
const PATH = `${BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`;

/** A folder of script files for the commands below; removed after `f`. */
async function withScripts<T>(f: (cwd: string) => Promise<T> | T): Promise<T> {
  const cwd = mkdtempSync(join(tmpdir(), 'fast-path-'));
  const put = (name: string, text: string, mode = 0o755): void => { writeFileSync(join(cwd, name), text); chmodSync(join(cwd, name), mode); };
  mkdirSync(join(cwd, 'sub'));
  put('defaults.sh', '#!/bin/sh\n# Comments may hold anything: §, $(x), `y`.\nset -e\n\nsysctl -q net.ipv4.tcp_rmem="4096 540000 15728640"\n  sysctl -w net.mptcp.checksum_enabled=1\nsysctl -q net.ipv4.tcp_made_up=1\nsysctl -q net.ipv4.tcp_sack=0\n');
  put('no-errexit.sh', '#!/bin/sh\nsysctl -q net.made.up=1\nsysctl -n \'net.ipv4.tcp_rmem\'\nsysctl -e -q net.made.up=2\n');
  put('outer.sh', '#!/bin/bash\nset -e\n"$(dirname "$0")/sub/inner.sh"\nsysctl -n net.ipv4.tcp_wmem\n');
  put('sub/inner.sh', '#!/bin/sh\nip mptcp limits set subflows 4 add_addr_accepted 2\nip mptcp endpoint add 10.0.1.1 id 3 backup\nsysctl -q net.ipv4.tcp_wmem="1 2 3"\n');
  put('nested-fails.sh', '#!/bin/sh\nset -e\n./no-errexit.sh\nsysctl -q net.ipv4.tcp_ecn=2\n');
  put('empty.sh', '#!/bin/sh\n');
  put('lists.sh', '#!/bin/sh\nset -e\nsysctl -q net.made.up=1 && sysctl -q net.ipv4.tcp_sack=1\nsysctl -n net.ipv4.tcp_sack; sysctl -q net.x=1 || sysctl -q net.y=1\nsysctl -q net.ipv4.tcp_ecn=1\n');
  put('not-executable.sh', '#!/bin/sh\nsysctl -q net.ipv4.tcp_sack=1\n', 0o644);
  put('uses-echo.sh', '#!/bin/sh\necho hi\nsysctl -q net.ipv4.tcp_sack=1\n');
  put('crlf.sh', '#!/bin/sh\nsysctl -q net.ipv4.tcp_sack=1\r\n');
  try {
    return await f(cwd);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test('commands made only of stand-in calls with literal words are planned; anything else is not', async (t) => {
  await withScripts((cwd) => {
    const env = { PATH, OPT_LOCAL_DEV: 'tun0', OPT_EMPTY: '', OPT_SPACE: 'a b', OPT_GLOB: 'a*' };
    const planned = (cmd: string): boolean => planCommand(cmd, cwd, env, BIN) !== undefined;
    for (const cmd of [
      'sysctl -q net.ipv4.tcp_sack=1', '  ip mptcp endpoint add 10.0.0.1 id 1 signal\t', `"sysctl" '-q' "net.x=1 2"`, 'iptables -L',
      './defaults.sh', `${cwd}/empty.sh`, './nested-fails.sh', 'sub/inner.sh', './outer.sh', 'sysctl a; sysctl b', 'sysctl a;',
      'sysctl a && ip addr add 1.2.3.4/16 dev $OPT_LOCAL_DEV', 'sysctl a || sysctl b && ./empty.sh', 'ip link set dev ${OPT_LOCAL_DEV}x up',
      'sysctl "x $OPT_SPACE $OPT_GLOB"', 'set -e; sysctl a',
    ]) t.true(planned(cmd), cmd);
    for (const cmd of [
      'sysctl -q x=$Y', 'sysctl $OPT_SPACE', 'sysctl $OPT_GLOB', 'sysctl $OPT_EMPTY', 'sysctl $OPT_UNSET', 'sysctl "$HOME"', 'sysctl $1',
      'sysctl a &', 'sysctl a | sysctl b', 'sysctl a &&', '; sysctl a', 'sysctl a;; sysctl b', 'set -e && sysctl a', 'X=./empty.sh',
      'sysctl a > /dev/null', 'echo hi', 'X=1 sysctl a', 'sysctl *', 'sysctl ~/x', 'sysctl {a,b}', 'sysctl "a\\"b"', 'sysctl `x`',
      'sysctl "$(dirname "$0")"', 'sysctl net.ipv4.tcp_sack=1 # note', 'sysctl é', 'sysctl a\nsysctl b', "sysctl 'open",
      './defaults.sh arg', './missing.sh', './not-executable.sh', './uses-echo.sh', './crlf.sh', 'sub', '/usr/bin/env', '',
    ]) t.false(planned(cmd), cmd);
    t.false(planCommand('sysctl -a', join(cwd, 'no-such-folder'), env, BIN) !== undefined, 'a missing folder is left to the shell');
    // "$(dirname "$0")" is read only when `dirname` on PATH is coreutils'.
    t.false(planCommand('./outer.sh', cwd, { PATH: `${BIN}:${cwd}/sub:/nowhere` }, BIN) !== undefined);
    // A stand-in is one only when the shell would find its executable first on PATH.
    t.false(planCommand('sysctl -a', cwd, { PATH: `/usr/sbin:${PATH}` }, BIN) !== undefined);
    mkdirSync(join(cwd, 'bin'));
    writeFileSync(join(cwd, 'bin', 'sysctl'), '#!/bin/sh\n');
    t.false(planCommand('sysctl -a', cwd, { PATH: `${cwd}/bin:${PATH}` }, join(cwd, 'bin')) !== undefined, 'not executable');
    chmodSync(join(cwd, 'bin', 'sysctl'), 0o755);
    t.true(planCommand('sysctl -a', cwd, { PATH: `${cwd}/bin:${PATH}` }, join(cwd, 'bin')) !== undefined);
  });
});

test('dirname gives what $(dirname PATH) gives with coreutils', (t) => {
  for (const p of ['', '/', '//', '///', 'a', 'a/', '/a', 'a/b', 'a//b//', '//a', '///a/b', '../common', './x', 'x/../y', 'a b/c', '.', '..']) {
    const real = spawnSync('dirname', ['--', p], { encoding: 'utf8' }).stdout.replace(/\n+$/, '');
    t.is(dirname(p), real, JSON.stringify(p));
  }
});

test('an environment that a shell reads at start-up sends the command to bash', (t) => {
  t.true(environmentIsInert({ OPT_IP_VERSION: 'ipv4', PAYLOAD: '100', PATH: '/bin', MPTCPDRILL_TARGET: 'ts' }));
  for (const name of ['SHELLOPTS', 'BASH_ENV', 'ENV', 'IFS', 'LD_PRELOAD', 'LC_ALL', 'BASH_FUNC_sysctl%%', 'PS4', 'BASHOPTS']) {
    t.false(environmentIsInert({ OPT_IP_VERSION: 'ipv4', [name]: 'x' }), name);
  }
});

/** Everything a command can change or show: its result and the stack's state after it. */
function observe(target: TsTarget, r: ShellResult): unknown {
  const s = target.stack;
  // Each target has its own state folder, which xtrace output names.
  const stderr = r.stderr.replace(/mptcpdrill-ts-\w+/g, 'mptcpdrill-ts-STATE');
  return { ...r, stderr, sysctl: s.host.sysctls.dump(), endpoints: s.pm.show(), limits: s.pm.showLimits(), addrs: [...s.host.addresses].sort(), mtu: s.host.mtu };
}

test('a target with the fast path gives what a target running everything with bash gives', async (t) => {
  await withScripts(async (cwd) => {
    // [command, extra environment, whether the fast path takes it]
    const steps: [string, Record<string, string>, boolean][] = [
      ['./defaults.sh', {}, true],
      ['./no-errexit.sh', {}, true],
      ['./outer.sh', {}, true],
      ['ip mptcp endpoint show', {}, true],
      ['ip -j mptcp limits', {}, true],
      ['ip addr show', {}, true],
      ['./nested-fails.sh', {}, true],
      ['./empty.sh', {}, true],
      ['sysctl -a', {}, true],
      ['iptables -L', {}, true],
      ['ip link set dev tun0 mtu 1400', {}, true],
      ['ip mptcp limits set subflows 99', {}, true],
      ['sysctl -q net.made.up=1 && sysctl -n net.ipv4.tcp_sack', {}, true],
      ['sysctl -q net.made.up=1 || sysctl -n net.ipv4.tcp_sack; ip addr add 10.9.9.9/16 dev $OPT_LOCAL_DEV', {}, true],
      ['./lists.sh', {}, true],
      ['sysctl -q net.ipv4.tcp_sack=0 && echo done', {}, false],
      ['./not-executable.sh', {}, false],
      ['./uses-echo.sh', {}, false],
      ['sysctl -q net.ipv4.tcp_sack=1', { SHELLOPTS: 'xtrace' }, false],
    ];
    const fast = new TsTarget({ seed: 1 });
    const bash = new TsTarget({ seed: 1, shellFastPath: false });
    await fast.open(NET);
    await bash.open(NET);
    try {
      let expectedInProcess = 0;
      for (const [command, extra, inProcess] of steps) {
        const env = { OPT_IP_VERSION: 'ipv4', OPT_LOCAL_DEV: 'tun0', PATH, ...extra };
        const opts = { cwd, env, timeoutMs: 10_000 };
        const before = fast.shellRuns.inProcess;
        const a = observe(fast, await fast.shell(command, opts));
        const b = observe(bash, await bash.shell(command, opts));
        t.deepEqual(a, b, command);
        t.is(fast.shellRuns.inProcess - before, inProcess ? 1 : 0, `${command}: ${inProcess ? 'in-process' : 'bash'}`);
        if (inProcess) expectedInProcess++;
      }
      t.is(bash.shellRuns.inProcess, 0);
      t.is(fast.shellRuns.inProcess, expectedInProcess);
      // The steps did change the stack, and failed where a shell fails.
      t.is(fast.stack.host.sysctls.get('net.ipv4.tcp_wmem'), '1\t2\t3');
      t.is(fast.stack.pm.subflows, 4);
      t.true(fast.stack.host.addresses.has('10.9.9.9'));
      t.is(fast.stack.host.sysctls.get('net.ipv4.tcp_ecn'), '2', 'lists.sh stopped at its failing || list');
    } finally {
      await fast.close();
      await bash.close();
    }
  });
});

test('defaults.sh of the corpus runs in-process and sets what the real shell sets', async (t) => {
  const corpus = new URL('../../test/scripts/tcp/handshake/', import.meta.url).pathname;
  const opts = { cwd: corpus, env: { OPT_IP_VERSION: 'ipv4', PATH }, timeoutMs: 10_000 };
  const fast = new TsTarget({ seed: 1 });
  const bash = new TsTarget({ seed: 1, shellFastPath: false });
  try {
    const a = observe(fast, await fast.shell('../../common/defaults.sh', opts));
    const b = observe(bash, await bash.shell('../../common/defaults.sh', opts));
    t.deepEqual(a, b);
    t.deepEqual(fast.shellRuns, { inProcess: 1, bash: 0 });
    t.is(fast.stack.host.sysctls.get('net.ipv4.tcp_congestion_control'), 'reno');
  } finally {
    await fast.close();
    await bash.close();
  }
});

test('output of a command run by bash keeps characters split across reads whole', async (t) => {
  const target = new TsTarget({ seed: 1 });
  try {
    // 150,000 bytes of 3-byte characters: pipe reads of 64 KiB end inside one.
    const r = await target.shell("printf '€%.0s' $(seq 1 50000)", { cwd: tmpdir(), env: { PATH }, timeoutMs: 20_000 });
    t.deepEqual(target.shellRuns, { inProcess: 0, bash: 1 });
    t.is(r.stdout, '€'.repeat(50_000));
  } finally {
    await target.close();
  }
});
