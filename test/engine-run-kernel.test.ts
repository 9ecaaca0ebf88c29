// End to end against the live kernel: `mptcpdrill run` re-executes itself in a fresh network
// namespace, drives real sockets and a tun device, and judges the packets with the packet engine.
// Needs root (CI runs as root); without it these tests fail loudly rather than skip.

import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/mptcpdrill.js', import.meta.url));
// Loaded CI machines wake timers late; the scripts test behaviour, not the machine's latency.
// The kernel target explicitly: the bundled stack is the default of `run`.
const SLACK = ['--target', 'kernel', '--tolerance-scale', '25'];

interface CliRun { code: number | null; stdout: string; stderr: string }

function runCli(t: ExecutionContext, name: string, text: string, extra: string[] = []): Promise<CliRun> {
  if (process.getuid?.() !== 0) t.fail('kernel end-to-end tests need root (CI runs them as root)');
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, text);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', ...SLACK, ...extra, file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr.split(`${dir}/`).join('') });
    });
  });
}

const TCP = `--tolerance_usecs=20000
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 10>
+.01 < . 1:1(0) ack 1 win 514
+0  accept(3, ..., ...) = 4
+0  < P. 1:101(100) ack 1 win 514
+0  > . 1:1(0) ack 101
+0  read(4, ..., 100) = 100
+0  write(4, ..., 50) = 50
+0  > P. 1:51(50) ack 101
+.01 < . 101:101(0) ack 51 win 514
+0  %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%
+0  close(4) = 0
+0  > F. 51:51(0) ack 101
`;

const MPTCP = `--tolerance_usecs=100000
0    socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0   bind(3, ..., ...) = 0
+0   listen(3, 1) = 0
+0   < S  0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7, mpcapable v1 flags[flag_h] nokey>
+0   > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 200 ecr 100, nop, wscale 10, mpcapable v1 flags[flag_h] key[skey]>
+.01 < .  1:1(0) ack 1 win 514 <nop, nop, TS val 101 ecr 200, mpcapable v1 flags[flag_h] key[ckey=2, skey]>
+0   accept(3, ..., ...) = 4
+0   < P. 1:101(100) ack 1 win 514 <nop, nop, TS val 102 ecr 200, dss dack8=1 dsn8=1 ssn=1 dll=100 nocs, nop, nop>
+0   > .  1:1(0) ack 101 <nop, nop, TS val 201 ecr 102, dss dack8=101 nocs>
+0   read(4, ..., 100) = 100
+0   write(4, ..., 50) = 50
+0   > P. 1:51(50) ack 101 <nop, nop, TS val 202 ecr 102, dss dack8=101 dsn8=1 ssn=1 dll=50 nocs, nop, nop>
+.01 < .  101:101(0) ack 51 win 514 <nop, nop, TS val 103 ecr 202, dss dack8=51 dsn8=101 ssn=0 dll=1 nocs fin, nop, nop>
+0   > .  51:51(0) ack 101 <nop, nop, TS val 203 ecr 103, dss dack8=102 nocs>
+0   getsockopt(4, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=0}, ...) = 0
+0   %{ assert mptcpi_subflows == 0, mptcpi_subflows }%
`;

test.serial('a TCP passive open with data in both directions passes on the kernel', async (t) => {
  const r = await runCli(t, 'tcp.pkt', TCP);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^PASS /m);
});

test.serial('an MPTCP passive open (MP_CAPABLE, DSS data, DATA_FIN) passes on the kernel', async (t) => {
  const r = await runCli(t, 'mptcp.pkt', MPTCP, ['-v']);
  t.is(r.code, 0, r.stderr + r.stdout);
  t.regex(r.stdout, /sniff .*dss dack8=102 nocs>$/m);
});

test.serial('a mutated TCP twin fails on the line that differs, in upstream words', async (t) => {
  const r = await runCli(t, 'tcp-twin.pkt', TCP.replace('+0  > P. 1:51(50) ack 101', '+0  > P. 1:51(50) ack 100'));
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, /^tcp-twin\.pkt:14:\d+: error handling packet: live packet field tcp_ack_seq: expected: 100 .*vs actual: 101/m);
  t.regex(r.stderr, /^ {2}expected: .*ack 100/m);
  t.regex(r.stderr, /^ {2}actual: {3}.*ack 101/m);
  t.regex(r.stderr, /^FAIL /m);
});

test.serial('a mutated MPTCP twin fails on the DATA_ACK, and a failing Python block names its line', async (t) => {
  const dack = await runCli(t, 'mptcp-twin.pkt', MPTCP.replace('dss dack8=102 nocs>', 'dss dack8=101 nocs>'));
  t.is(dack.code, 1, dack.stdout);
  t.regex(dack.stderr, /^mptcp-twin\.pkt:16:\d+: error handling packet: live packet field mptcp_dss_dack/m);
  t.regex(dack.stderr, /^ {2}state:/m);

  const py = await runCli(t, 'mptcp-py.pkt', MPTCP.replace('assert mptcpi_subflows == 0', 'assert mptcpi_subflows == 3'));
  t.is(py.code, 1, py.stdout);
  t.regex(py.stderr, /assertion failed at mptcp-py\.pkt:18: 0$/m);
});

test.serial('a syscall that returns something else fails with the errno text', async (t) => {
  const r = await runCli(t, 'connect.pkt', [
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
    '+0 connect(3, ..., ...) = 0',
  ].join('\n') + '\n');
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, /^connect\.pkt:3:\d+: runtime error in connect call: Expected result 0 but got -1 with errno 115 \(Operation now in progress\)$/m);
});
