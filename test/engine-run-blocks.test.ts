import test from 'ava';
import { dirname } from 'node:path';
import { encodeStruct } from '../src/sys/struct-layout.js';
import { TCP_INFO_LAYOUT } from '../src/sys/tcp-info.js';
import { MPTCP_INFO_LAYOUT } from '../src/sys/mptcp-structs.js';
import type { SyscallRequest, SyscallResult } from '../src/targets/target.js';
import { pkt, runFake } from './fakes/run-helpers.js';

const SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3';

test('shell lines run in the script\'s folder with the OPT_* environment and MPTCPDRILL_TARGET', async (t) => {
  const { result, target, loaded } = await runFake(pkt('-D FOO=bar', SOCKET, '+0 `ip mptcp limits set subflows 2`'));
  t.is(result.status, 'pass', result.failure?.message);
  const sh = target.shells[0]!;
  t.is(sh.command, 'ip mptcp limits set subflows 2');
  t.is(sh.cwd, dirname(loaded.file));
  t.is(sh.env['OPT_LOCAL_IP'], '192.168.0.2');
  t.is(sh.env['OPT_LOCAL_DEV'], 'tun0');
  t.is(sh.env['MPTCPDRILL_TARGET'], 'ts');
  t.is(sh.env['FOO'], 'bar');
  t.is(sh.env['PACKETDRILL_PID'], String(process.pid));
});

test('a failing shell line fails the script with its output', async (t) => {
  const { result } = await runFake(pkt(SOCKET, '+0 `sysctl -q net.ipv4.tcp_nope=1`'), {
    onShell: () => ({ code: 255, stdout: '', stderr: 'sysctl: cannot stat /proc/sys/net/ipv4/tcp_nope: No such file or directory\n' }),
  });
  t.is(result.status, 'fail');
  t.is(result.failure?.kind, 'shell');
  t.is(result.failure?.message, 'error executing `sysctl -q net.ipv4.tcp_nope=1` command: non-zero status 255');
  t.is(result.failure?.output, 'sysctl: cannot stat /proc/sys/net/ipv4/tcp_nope: No such file or directory');
  t.is(result.failure?.range?.start.line, 2);
});

test('a command the target cannot honour makes the script a skip; warnings reach the result', async (t) => {
  const skip = await runFake(pkt(SOCKET, '+0 `tc qdisc add dev tun0 root netem delay 10ms`'), {
    onShell: () => ({ code: 0, stdout: '', stderr: '', unsupported: ['tc netem is not emulated by the bundled stack.'] }),
  });
  t.is(skip.result.status, 'skip');
  t.deepEqual(skip.result.skipReasons?.map((r) => r.replace(/^.*test\.pkt/, 'test.pkt')), ['test.pkt:2: tc netem is not emulated by the bundled stack.']);
  t.true(skip.target.closed);

  const warn = await runFake(pkt('`sysctl -q net.ipv4.tcp_congestion_control=cubic`', SOCKET), {
    onShell: () => ({ code: 0, stdout: '', stderr: '', warnings: ['cubic is not allowed in this namespace: net.ipv4.tcp_allowed_congestion_control lacks it.'] }),
  });
  t.is(warn.result.status, 'pass');
  t.is(warn.result.warnings.length, 1);
  t.regex(warn.result.warnings[0]!, /test\.pkt:1: cubic is not allowed in this namespace/);
});

/** A stack whose TCP_INFO says state `state`, cwnd 10; MPTCP_INFO says `subflows`. */
function infoStack(state: number, subflows = 0) {
  return {
    onSyscall: (req: SyscallRequest): SyscallResult | undefined => {
      if (req.name !== 'getsockopt') return undefined;
      if (req.level === 6 && req.optname === 11) {
        return { ret: 0, out: { kind: 'opt', value: encodeStruct(TCP_INFO_LAYOUT, { tcpi_state: state, tcpi_snd_cwnd: 10 }), optlen: TCP_INFO_LAYOUT.size } };
      }
      if (req.level === 284 && req.optname === 1) {
        return { ret: 0, out: { kind: 'opt', value: encodeStruct(MPTCP_INFO_LAYOUT, { mptcpi_subflows: subflows }), optlen: MPTCP_INFO_LAYOUT.size } };
      }
      return { ret: -1, errno: 'ENOPROTOOPT' };
    },
  };
}

test('Python blocks see the TCP_INFO recorded at their time and the symbolic constants', async (t) => {
  const { result, target } = await runFake(pkt(SOCKET,
    '+0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%',
    '+0 %{',
    'assert tcpi_snd_cwnd == 10',
    'assert TCP_CA_Open == 0 and TCPI_OPT_SACK == 2',
    '}%'), infoStack(1));
  t.is(result.status, 'pass', result.failure?.message);
  // Read from the script's socket (target fd 10), at the block's time.
  t.true(target.calls.some((c) => c.req.name === 'getsockopt' && c.req.fd === 10 && c.req.optname === 11));
});

test('a failing assert fails the script with the line it is on', async (t) => {
  const { result } = await runFake(pkt(SOCKET,
    '+0 %{',
    'x = 1',
    'assert tcpi_state == TCP_ESTABLISHED, "state is %d" % tcpi_state',
    '}%'), infoStack(7));
  t.is(result.status, 'fail');
  t.is(result.failure?.kind, 'code');
  t.regex(result.failure?.message ?? '', /^assertion failed at \S*test\.pkt:4: state is 7$/);
  t.is(result.failure?.range?.start.line, 4);
});

test('MPTCP sockets also give mptcpi_* to the blocks', async (t) => {
  const { result } = await runFake(pkt('0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3', '+0 %{ assert mptcpi_subflows == 2, mptcpi_subflows }%'), infoStack(1, 1));
  t.regex(result.failure?.message ?? '', /^assertion failed at \S*test\.pkt:2: 1$/);
});

test('a Python 2 block is a script error with its line', async (t) => {
  const { result } = await runFake(pkt(SOCKET, '+0 %{', 'print tcpi_state', '}%'), infoStack(1));
  t.is(result.status, 'error');
  t.is(result.failure?.kind, 'script');
  t.regex(result.failure?.message ?? '', /^error in Python block at \S*test\.pkt:3: SyntaxError/);
});

test('blocks do not run when the script already failed', async (t) => {
  const { result } = await runFake(pkt(SOCKET, '+0 %{ assert False, "should not run" }%', '+0 close(9) = 0'), infoStack(1));
  t.is(result.failure?.message, 'runtime error in close call: unable to find socket with script fd 9');
});

test('a last line ending in a backslash continuation is valid, as packetdrill writes blocks', async (t) => {
  const { result } = await runFake(pkt(SOCKET,
    '+0 %{',
    'assert tcpi_state == TCP_ESTABLISHED;\\',
    '}%',
    '+0 %{ assert tcpi_snd_cwnd == 10;\\}%'), infoStack(1));
  t.is(result.status, 'pass', result.failure?.message);
  const failing = await runFake(pkt(SOCKET, '+0 %{', 'x = 1', 'assert tcpi_state == 2, tcpi_state;\\', '}%'), infoStack(1));
  t.regex(failing.result.failure?.message ?? '', /^assertion failed at \S*test\.pkt:4: 1$/);
});

test('Python blocks see the shell lines\' environment, PACKETDRILL_PID included', async (t) => {
  const { result } = await runFake(pkt(SOCKET,
    '+0 %{',
    'import os',
    'assert os.environ["PACKETDRILL_PID"] == str(os.getppid()), (os.environ.get("PACKETDRILL_PID"), os.getppid())',
    'assert os.environ["OPT_LOCAL_DEV"] == "tun0" and os.environ["OPT_LOCAL_IP"] == "192.168.0.2"',
    'assert os.environ["MPTCPDRILL_TARGET"] == "ts"',
    '}%'), infoStack(1));
  t.is(result.status, 'pass', result.failure?.message);
});
