// The SOL_MPTCP array getsockopts and recvmsg control messages through the engine: what it sends
// (the caller's header, the pointed arrays) and how it compares each subflow's element field by
// field. The fake stack answers with the bundled stack's own encoders, over made-up subflows.
import test from 'ava';
import type { SyscallRequest, SyscallResult } from '../src/targets/target.js';
import { encodeStruct } from '../src/sys/struct-layout.js';
import { TCP_INFO_LAYOUT } from '../src/sys/tcp-info.js';
import { MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_ADDRS_SIZE, SOCKADDR_STORAGE_SIZE } from '../src/sys/mptcp-structs.js';
import { encodeControl, encodeInt, encodeSockAddr } from '../src/sys/structs.js';
import { getFullInfo, getSubflowData, type SubflowView } from '../src/stack/mptcp/subflow-info.js';
import { checkScript } from '../src/script/check.js';
import { parseScript } from '../src/script/parse.js';
import { pkt, runFake } from './fakes/run-helpers.js';
import type { ScriptedAnswer } from './fakes/scripted-target.js';

const SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3';

/** Subflow i: 192.168.0.(2+i):8080 -> 192.0.2.(1+i):(40000+i), state 1, snd_mss 1400+i. */
function views(n: number): SubflowView[] {
  return Array.from({ length: n }, (_, i) => {
    const addrs = new Uint8Array(MPTCP_SUBFLOW_ADDRS_SIZE);
    addrs.set(encodeSockAddr({ family: 'inet', address: `192.168.0.${2 + i}`, port: 8080 })!, 0);
    addrs.set(encodeSockAddr({ family: 'inet', address: `192.0.2.${1 + i}`, port: 40000 + i })!, SOCKADDR_STORAGE_SIZE);
    return { id: i + 1, addrs, tcpInfo: () => encodeStruct(TCP_INFO_LAYOUT, { tcpi_state: 1, tcpi_snd_mss: 1400 + i }) };
  });
}

function mptcpStack(n: number) {
  const subs = views(n);
  return {
    onSyscall: (req: SyscallRequest): ScriptedAnswer | undefined => {
      if (req.name !== 'getsockopt' || req.level !== 284) return undefined;
      if (req.optname === 2) return getSubflowData(subs.map((s) => s.tcpInfo), req.optlen, req.value, TCP_INFO_LAYOUT.size);
      if (req.optname === 3) return getSubflowData(subs.map((s) => () => s.addrs), req.optlen, req.value, MPTCP_SUBFLOW_ADDRS_SIZE);
      return getFullInfo(subs, () => encodeStruct(MPTCP_INFO_LAYOUT, { mptcpi_subflows: n - 1, mptcpi_subflows_total: n }), req.optlen, req.value, req.buffers);
    },
  };
}

const getsockopt = (req: SyscallRequest): Extract<SyscallRequest, { name: 'getsockopt' }> => {
  if (req.name !== 'getsockopt') throw new Error(`${req.name} is not getsockopt`);
  return req;
};

test('MPTCP_TCPINFO: the header the script implies goes in, each subflow is compared in order', async (t) => {
  const ok = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_TCPINFO, {num_subflows=2, size_kernel=280, tcp_info=[{tcpi_state=1, tcpi_snd_mss=1400}, {tcpi_snd_mss=1401}]}, ...) = 0'), mptcpStack(2));
  t.is(ok.result.status, 'pass', ok.result.failure?.message);
  const req = getsockopt(ok.target.calls[1]!.req);
  // Room for the two elements written, header with size_subflow_data 16 and size_user 280.
  t.is(req.optlen, 16 + 2 * 280);
  t.deepEqual([...new Uint32Array(req.value!.slice(0, 16).buffer)], [16, 0, 0, 280]);

  const bad = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_TCPINFO, {tcp_info=[{tcpi_snd_mss=1400}, {tcpi_snd_mss=1400}]}, ...) = 0'), mptcpStack(2));
  t.is(bad.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval tcp_info[1] field tcpi_snd_mss: expected: 1400 (0x578) vs actual: 1401 (0x579)');
});

test('element sizes the script writes are sent; a field past a short element is "not returned"', async (t) => {
  const r = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_TCPINFO, {size_user=20, tcp_info=[{tcpi_snd_mss=1400}, {tcpi_snd_mss=1401, tcpi_rcv_mss=0}]}, ...) = 0'), mptcpStack(2));
  t.is(getsockopt(r.target.calls[1]!.req).optlen, 16 + 2 * 20);
  t.is(r.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval tcp_info[1] field tcpi_rcv_mss: expected: 0 vs actual: (not returned: 20-byte element)');
});

test('an array without a trailing ... must match the count; with one, it may be longer', async (t) => {
  const exact = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_FULL_INFO, {size_arrays_user=4, tcp_info=[{tcpi_state=1}]}, ...) = 0'), mptcpStack(3));
  t.is(exact.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval tcp_info: expected: 1 element vs actual: 3');
  const open = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_FULL_INFO, {tcp_info=[{tcpi_state=1}, ...]}, ...) = 0'), mptcpStack(3));
  t.is(open.result.status, 'pass', open.result.failure?.message);
  const fewer = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_FULL_INFO, {tcp_info=[{tcpi_state=1}, ..., ..., {tcpi_state=1}]}, ...) = 0'), mptcpStack(3));
  t.is(fewer.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval tcp_info: expected: 4 elements vs actual: 3');
});

test('MPTCP_FULL_INFO: two pointed arrays sized from the script, ids, addresses and mptcp_info compared', async (t) => {
  const script = '+0 getsockopt(3, SOL_MPTCP, MPTCP_FULL_INFO, {num_subflows=2, size_sfinfo_kernel=264, mptcp_info={mptcpi_subflows=1}, '
    + 'subflow_info=[{id=1, addrs={sin_local={sin_addr=inet_addr("192.168.0.2"), sin_port=htons(8080)}}}, {id=2, addrs={sin_remote={sin_addr=inet_addr("192.0.2.2"), sin_port=htons(40001)}}}], '
    + 'tcp_info=[{tcpi_snd_mss=1400}, {tcpi_snd_mss=1401}]}, [136]) = 0';
  const ok = await runFake(pkt(SOCKET, script), mptcpStack(2));
  t.is(ok.result.status, 'pass', ok.result.failure?.message);
  const req = getsockopt(ok.target.calls[1]!.req);
  t.deepEqual(req.buffers, [{ at: 24, size: 2 * 264 }, { at: 32, size: 2 * 280 }]);
  t.deepEqual([...new Uint32Array(req.value!.slice(0, 24).buffer)], [0, 280, 0, 264, 0, 2]);

  const port = await runFake(pkt(SOCKET, script.replace('htons(40001)', 'htons(40002)')), mptcpStack(2));
  t.is(port.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval subflow_info[1] addrs sin_remote port: expected: 40002 vs actual: 40001');
  const info = await runFake(pkt(SOCKET, script.replace('mptcpi_subflows=1', 'mptcpi_subflows=3')), mptcpStack(2));
  t.is(info.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval mptcp_info field mptcpi_subflows: expected: 3 vs actual: 1');
  // A target that fills no arrays cannot pass a script that expects elements.
  const none = await runFake(pkt(SOCKET, script), { onSyscall: (q) => (q.name === 'getsockopt' ? { ret: 0, out: { kind: 'opt', value: encodeStruct(MPTCP_INFO_LAYOUT, {}), optlen: 40 } } : undefined) });
  t.not(none.result.status, 'pass');
});

test('MPTCP_SUBFLOW_ADDRS: the local and remote sockaddr of each subflow, by any of their union names', async (t) => {
  const line = (remote: string) => `+0 getsockopt(3, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, {addrs=[{sa_local={sa_family=AF_INET}}, {sin_remote={sin_addr=inet_addr("${remote}")}}]}, ...) = 0`;
  const ok = await runFake(pkt(SOCKET, line('192.0.2.2')), mptcpStack(2));
  t.is(ok.result.status, 'pass', ok.result.failure?.message);
  const bad = await runFake(pkt(SOCKET, line('192.0.2.9')), mptcpStack(2));
  t.is(bad.result.failure?.message, 'runtime error in getsockopt call: getsockopt optval addrs[1] sin_remote address: expected: 192.0.2.9 vs actual: 192.0.2.2');
});

test('an error the script expects skips the value check', async (t) => {
  const r = await runFake(pkt(SOCKET, '+0 getsockopt(3, SOL_MPTCP, MPTCP_TCPINFO, {size_subflow_data=8, tcp_info=[{tcpi_state=1}]}, [100]) = -1 EINVAL (Invalid argument)'), mptcpStack(1));
  t.is(r.result.status, 'pass', r.result.failure?.message);
});

test('recvmsg control messages: level, type, length and data compared, count exact without ...', async (t) => {
  const inq = (n: number): SyscallResult => ({ ret: 10, out: { kind: 'data', data: new Uint8Array(10), flags: 0, control: encodeControl([{ level: 6, type: 36, data: encodeInt(n) }]) } });
  const stack = (n: number) => ({ onSyscall: (q: SyscallRequest): ScriptedAnswer | undefined => (q.name === 'recvmsg' ? inq(n) : undefined) });
  const line = (ctl: string) => `+0 recvmsg(3, {msg_iov(1)=[{..., 10}], msg_flags=0, msg_control=${ctl}}, 0) = 10`;
  const ok = await runFake(pkt(SOCKET, line('[{cmsg_len=20, cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=300}]')), stack(300));
  t.is(ok.result.status, 'pass', ok.result.failure?.message);
  t.true(ok.target.calls.some((c) => c.req.name === 'recvmsg' && c.req.controlLen > 0));
  const value = await runFake(pkt(SOCKET, line('[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=300}]')), stack(299));
  t.is(value.result.failure?.message, 'runtime error in recvmsg call: recvmsg msg_control[0] cmsg_data: expected: 300 (0x12c) vs actual: 299 (0x12b)');
  const type = await runFake(pkt(SOCKET, line('[{cmsg_level=SOL_SOCKET, cmsg_type=TCP_CM_INQ}]')), stack(1));
  t.is(type.result.failure?.message, 'runtime error in recvmsg call: recvmsg msg_control[0] cmsg_level: expected: 1 vs actual: 6');
  const count = await runFake(pkt(SOCKET, line('[]')), stack(1));
  t.is(count.result.failure?.message, 'runtime error in recvmsg call: recvmsg msg_control: expected: 0 elements vs actual: 1');
  const open = await runFake(pkt(SOCKET, line('[...]')), stack(1));
  t.is(open.result.status, 'pass', open.result.failure?.message);
});

test('the checker knows the array structs\' fields, and the fields of their elements', (t) => {
  const diags = (value: string): string[] => {
    const parsed = parseScript(`${SOCKET}\n+0 getsockopt(3, SOL_MPTCP, MPTCP_FULL_INFO, ${value}, ...) = 0\n`, 'x.pkt');
    if (!parsed.script) return parsed.diagnostics.map((d) => d.message);
    return checkScript(parsed.script, {}).filter((d) => d.severity === 'error').map((d) => d.message);
  };
  t.deepEqual(diags('{num_subflows=1, subflow_info=[{id=1, addrs={sin_local={sin_family=AF_INET}}}], tcp_info=[{tcpi_state=1}], mptcp_info={mptcpi_subflows=0}}'), []);
  t.deepEqual(diags('{num_subflow=1}'), ["unknown field 'num_subflow' in struct mptcp_full_info"]);
  t.deepEqual(diags('{tcp_info=[{tcpi_stat=1}]}'), ["unknown field 'tcpi_stat' in struct tcp_info"]);
  t.deepEqual(diags('{subflow_info=[{id=1, addrs={sin_locl={}}}]}'), ["unknown field 'sin_locl' in struct mptcp_subflow_addrs"]);
});

test('64-bit struct fields are compared exactly, beyond 2^53 (mptcpi_rcv_nxt = an IDSN + 1)', async (t) => {
  const rcvNxt = 18020911737064484837n; // the reference's v0 IDSN of key 3, plus one
  const stack = {
    onSyscall: (req: SyscallRequest): ScriptedAnswer | undefined => {
      if (req.name !== 'getsockopt' || req.level !== 284) return undefined;
      const value = encodeStruct(MPTCP_INFO_LAYOUT, { mptcpi_rcv_nxt: rcvNxt });
      return { ret: 0, out: { kind: 'opt', value, optlen: value.length } };
    },
  };
  const info = (v: bigint) => pkt(SOCKET, `+0 getsockopt(3, SOL_MPTCP, MPTCP_INFO, {mptcpi_rcv_nxt=${v}}, ...) = 0`);
  const ok = await runFake(info(rcvNxt), stack);
  t.is(ok.result.status, 'pass', ok.result.failure?.message);
  // One less differs only below the precision of a double: it must still fail.
  const off = await runFake(info(rcvNxt - 1n), stack);
  t.is(off.result.status, 'fail');
  t.regex(off.result.failure?.message ?? '', /mptcpi_rcv_nxt: expected: 18020911737064484836 .* vs actual: 18020911737064484837/);
});
