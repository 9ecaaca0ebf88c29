// The bundled stack's SOL_MPTCP arrays against what Linux 6.18 answered for the same inputs
// (measured with a two-subflow MPTCP connection over loopback, ctypes getsockopt): the
// mptcp_subflow_data truncation rules and MPTCP_FULL_INFO's pointed arrays.
import test from 'ava';
import { MPTCP_FULL_INFO_HEADER_LAYOUT, MPTCP_INFO_LAYOUT, MPTCP_SUBFLOW_ADDRS_SIZE, MPTCP_SUBFLOW_DATA_LAYOUT, SOCKADDR_STORAGE_SIZE } from '../src/sys/mptcp-structs.js';
import { decodeStruct, encodeStruct } from '../src/sys/struct-layout.js';
import { decodeSockAddr, encodeSockAddr } from '../src/sys/structs.js';
import { TCP_INFO_LAYOUT } from '../src/sys/tcp-info.js';
import { getFullInfo, getSubflowData, type SubflowView } from '../src/stack/mptcp/subflow-info.js';
import type { PointedBuffer, SyscallResult } from '../src/targets/target.js';

function subflow(i: number): SubflowView {
  const addrs = new Uint8Array(MPTCP_SUBFLOW_ADDRS_SIZE);
  addrs.set(encodeSockAddr({ family: 'inet', address: '127.0.0.1', port: 9000 })!, 0);
  addrs.set(encodeSockAddr({ family: 'inet', address: `10.0.0.${i + 1}`, port: 40000 + i })!, SOCKADDR_STORAGE_SIZE);
  return { id: i + 1, addrs, tcpInfo: () => encodeStruct(TCP_INFO_LAYOUT, { tcpi_state: 1, tcpi_snd_mss: 1000 + i, tcpi_accecn_opt_seen: 7 }) };
}
const TWO = [subflow(0), subflow(1)];

/** MPTCP_TCPINFO with the caller's header: optlen back, the header back, and the raw value. */
function tcpinfo(sizeData: number, sizeUser: number, optlen: number, pad = 0xee): { r: SyscallResult; optlen?: number; hdr?: number[]; value?: Uint8Array } {
  const input = new Uint8Array(Math.max(optlen, sizeData)).fill(pad);
  encodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, { size_subflow_data: sizeData, num_subflows: 0, size_kernel: 0, size_user: sizeUser }, input);
  const r = getSubflowData(TWO.map((s) => s.tcpInfo), optlen, input, TCP_INFO_LAYOUT.size);
  if (r.out?.kind !== 'opt') return { r };
  const h = decodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, r.out.value);
  return { r, optlen: r.out.optlen, hdr: ['size_subflow_data', 'num_subflows', 'size_kernel', 'size_user'].map((n) => Number(h[n])), value: r.out.value };
}

test('MPTCP_TCPINFO: optlen and header as 6.18 returns them for each caller size', (t) => {
  // [size_subflow_data, size_user, optlen] -> [optlen back, header back], measured.
  const cases: Array<[[number, number, number], [number, number[]]]> = [
    [[16, 280, 576], [576, [16, 2, 280, 280]]],
    [[16, 100, 216], [216, [16, 2, 280, 100]]],
    [[16, 400, 816], [576, [16, 2, 280, 280]]],
    [[16, 280, 296], [296, [16, 2, 280, 280]]],
    [[16, 280, 295], [16, [16, 2, 280, 280]]],
    [[24, 280, 304], [304, [24, 2, 280, 280]]],
    [[24, 280, 124], [16, [24, 2, 280, 280]]],
    [[16, 0, 100], [16, [16, 2, 280, 0]]],
  ];
  for (const [[sd, su, len], [outLen, hdr]] of cases) {
    const got = tcpinfo(sd, su, len);
    t.deepEqual([got.optlen, got.hdr], [outLen, hdr], `size_subflow_data ${sd}, size_user ${su}, optlen ${len}`);
  }
});

test('MPTCP_TCPINFO: elements at the caller stride after size_subflow_data, the caller\'s bytes in between kept', (t) => {
  const short = tcpinfo(16, 100, 216).value!;
  t.is(Number(decodeStruct(TCP_INFO_LAYOUT, short.subarray(16 + 100, 16 + 200)).tcpi_snd_mss), 1001);
  const moved = tcpinfo(24, 280, 304).value!;
  t.deepEqual([...moved.subarray(16, 24)], new Array(8).fill(0xee));
  t.is(Number(decodeStruct(TCP_INFO_LAYOUT, moved.subarray(24)).tcpi_snd_mss), 1000);
});

test('MPTCP_TCPINFO: EINVAL for a short optlen or a bad header', (t) => {
  t.is(tcpinfo(8, 0, 100).r.errno, 'EINVAL');
  t.is(tcpinfo(16, 280, 12).r.errno, 'EINVAL');
  t.is(tcpinfo(200, 280, 100).r.errno, 'EINVAL'); // size_subflow_data past optlen
  const dirty = new Uint8Array(16);
  encodeStruct(MPTCP_SUBFLOW_DATA_LAYOUT, { size_subflow_data: 16, num_subflows: 1, size_user: 280 }, dirty);
  t.is(getSubflowData(TWO.map((s) => s.tcpInfo), 600, dirty, TCP_INFO_LAYOUT.size).errno, 'EINVAL');
});

interface Full { r: SyscallResult; hdr?: Record<string, number>; sf?: Uint8Array; ti?: Uint8Array }

function fullInfo(tiUser: number, sfUser: number, slots: number, optlen: number, buffers?: PointedBuffer[]): Full {
  const input = encodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, { size_tcpinfo_user: tiUser, size_sfinfo_user: sfUser, size_arrays_user: slots });
  const bufs = buffers ?? [{ at: 24, size: 264 * 4 }, { at: 32, size: 280 * 4 }];
  const r = getFullInfo(TWO, () => encodeStruct(MPTCP_INFO_LAYOUT, { mptcpi_subflows: 1, mptcpi_subflows_max: 4 }), optlen, input, bufs);
  if (r.out?.kind !== 'opt') return { r };
  const h = decodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, r.out.value);
  return { r, hdr: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)])), sf: r.out.buffers?.[0], ti: r.out.buffers?.[1] };
}

test('MPTCP_FULL_INFO: sizes clamped, num_subflows counts all, optlen 40 + the mptcp_info copied', (t) => {
  const base = fullInfo(280, 264, 4, 136);
  t.like(base.hdr, { size_tcpinfo_kernel: 280, size_tcpinfo_user: 280, size_sfinfo_kernel: 264, size_sfinfo_user: 264, num_subflows: 2, size_arrays_user: 4 });
  t.is(base.r.out?.kind === 'opt' ? base.r.out.optlen : -1, 136);
  t.like(fullInfo(400, 400, 4, 136).hdr, { size_tcpinfo_user: 280, size_sfinfo_user: 264 });
  for (const [optlen, back] of [[40, 40], [60, 60], [200, 136]] as const) {
    const r = fullInfo(280, 264, 4, optlen).r;
    t.is(r.out?.kind === 'opt' ? r.out.optlen : -1, back, `optlen ${optlen}`);
  }
  const info = fullInfo(280, 264, 4, 60).r;
  t.is(info.out?.kind === 'opt' ? Number(decodeStruct(MPTCP_INFO_LAYOUT, info.out.value.subarray(40)).mptcpi_subflows_max) : -1, 4);
});

test('MPTCP_FULL_INFO: ids and addresses per subflow, at the caller stride, size_arrays_user at most', (t) => {
  const all = fullInfo(280, 264, 4, 136);
  t.deepEqual([0, 1].map((i) => new DataView(all.sf!.buffer).getUint32(i * 264, true)), [1, 2]);
  t.deepEqual(decodeSockAddr(all.sf!.subarray(264 + 8 + SOCKADDR_STORAGE_SIZE, 264 + 8 + 2 * SOCKADDR_STORAGE_SIZE)), { family: 'inet', address: '10.0.0.2', port: 40001 });
  t.is(Number(decodeStruct(TCP_INFO_LAYOUT, all.ti!.subarray(280, 560)).tcpi_snd_mss), 1001);
  const one = fullInfo(280, 264, 1, 136);
  t.is(one.hdr?.num_subflows, 2);
  t.deepEqual([...one.sf!.subarray(264, 272)], new Array(8).fill(0)); // second slot untouched
  // 10-byte elements: the id, then the first bytes of the local sockaddr (family AF_INET).
  const tiny = fullInfo(100, 10, 4, 136);
  t.deepEqual([...tiny.sf!.subarray(0, 20)], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
  // Up to the id only: no addresses.
  const ids = fullInfo(0, 8, 4, 136);
  t.deepEqual([...ids.sf!.subarray(0, 16)], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
  t.deepEqual([...ids.ti!.subarray(0, 8)], new Array(8).fill(0)); // size_tcpinfo_user 0: nothing copied
});

test('MPTCP_FULL_INFO: EFAULT through a NULL array, EINVAL for a short optlen or kernel fields set', (t) => {
  t.is(fullInfo(280, 264, 4, 136, []).r.errno, 'EFAULT');
  t.is(fullInfo(0, 0, 4, 136, []).r.errno, undefined); // nothing to copy: no fault
  t.is(fullInfo(280, 264, 4, 39).r.errno, 'EINVAL');
  const dirty = encodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, { size_tcpinfo_kernel: 280, size_tcpinfo_user: 280 });
  t.is(getFullInfo(TWO, () => new Uint8Array(96), 136, dirty).errno, 'EINVAL');
  const counted = encodeStruct(MPTCP_FULL_INFO_HEADER_LAYOUT, { num_subflows: 3 });
  t.is(getFullInfo(TWO, () => new Uint8Array(96), 136, counted).errno, 'EINVAL');
});
