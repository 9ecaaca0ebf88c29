// Struct layouts shared by the engine, the kernel target and the TS stack: offsets that Linux
// x86-64 fixes (checked against the kernel's own headers and Linux include/uapi/linux/mptcp.h, net/mptcp/sockopt.c), round trips,
// socket addresses, control messages, and the tun packet filter.
import test, { type ExecutionContext } from 'ava';
import {
  CMSGHDR_LAYOUT, EPOLL_EVENT_LAYOUT, MPTCP_FULL_INFO_INFO_OFFSET, MPTCP_FULL_INFO_SIZE, MPTCP_INFO_LAYOUT,
  MPTCP_SUBFLOW_DATA_LAYOUT, MPTCP_SUBFLOW_INFO_LAYOUT, MSGHDR_LAYOUT, POLLFD_LAYOUT, SOCK_EXTENDED_ERR_LAYOUT,
  TCP_INFO_LAYOUT, decodeControl, decodeFullInfo, decodeInt, decodeSockAddr, decodeStruct, decodeSubflowAddrs,
  encodeControl, encodeInt, encodeSockAddr, encodeStruct, fieldNames, type StructLayout,
} from '../src/sys/structs.js';
import { ignoreReason } from '../src/targets/kernel/packet-filter.js';
import { netmaskBits, networkOf } from '../src/targets/kernel/net-setup.js';

const offset = (l: StructLayout, name: string) => l.byName.get(name)?.offset;

/** [field, offset] pairs as the 6.18 UAPI headers place them. */
const TCP_INFO_OFFSETS: Array<[string, number]> = [
  ['tcpi_rto', 8], ['tcpi_total_retrans', 100], ['tcpi_pacing_rate', 104], ['tcpi_segs_out', 136],
  ['tcpi_delivery_rate', 160], ['tcpi_delivered', 192], ['tcpi_bytes_sent', 200], ['tcpi_snd_wnd', 228],
  ['tcpi_total_rto', 240], ['tcpi_total_rto_time', 244], ['tcpi_accecn_opt_seen', 278],
];
const MPTCP_INFO_OFFSETS: Array<[string, number]> = [
  ['mptcpi_flags', 8], ['mptcpi_write_seq', 16], ['mptcpi_local_addr_used', 40], ['mptcpi_retransmits', 44],
  ['mptcpi_subflows_total', 80], ['mptcpi_last_data_sent', 84],
];

function assertOffsets(t: ExecutionContext, layout: StructLayout, table: Array<[string, number]>): void {
  for (const [name, at] of table) t.is(offset(layout, name), at, name);
}

test('struct tcp_info has the 6.18 size and offsets', (t) => {
  t.is(TCP_INFO_LAYOUT.size, 280);
  assertOffsets(t, TCP_INFO_LAYOUT, TCP_INFO_OFFSETS);
  t.true(fieldNames(TCP_INFO_LAYOUT).every((n) => n.startsWith('tcpi_')));
});

test('tcp_info bitfields pack low bits first and round-trip', (t) => {
  const b = encodeStruct(TCP_INFO_LAYOUT, { tcpi_state: 1, tcpi_snd_wscale: 7, tcpi_rcv_wscale: 10, tcpi_delivery_rate_app_limited: 1, tcpi_fastopen_client_fail: 2, tcpi_rtt: 12345, tcpi_bytes_acked: 2n ** 40n });
  t.is(b[6], 0xa7);
  t.is(b[7], 0x05);
  const d = decodeStruct(TCP_INFO_LAYOUT, b);
  t.like(d, { tcpi_state: 1, tcpi_snd_wscale: 7, tcpi_rcv_wscale: 10, tcpi_fastopen_client_fail: 2, tcpi_rtt: 12345, tcpi_bytes_acked: 2n ** 40n });
});

test('a truncated struct decodes only the fields it holds', (t) => {
  const d = decodeStruct(TCP_INFO_LAYOUT, new Uint8Array(104));
  t.true('tcpi_total_retrans' in d);
  t.false('tcpi_pacing_rate' in d);
});

test('MPTCP structs match Linux include/uapi/linux/mptcp.h, net/mptcp/sockopt.c', (t) => {
  t.is(MPTCP_INFO_LAYOUT.size, 96);
  assertOffsets(t, MPTCP_INFO_LAYOUT, MPTCP_INFO_OFFSETS);
  t.is(MPTCP_SUBFLOW_DATA_LAYOUT.size, 16);
  t.is(MPTCP_SUBFLOW_INFO_LAYOUT.size, 264);
  t.is(MPTCP_FULL_INFO_INFO_OFFSET, 40);
  t.is(MPTCP_FULL_INFO_SIZE, 136);
  const full = new Uint8Array(MPTCP_FULL_INFO_SIZE);
  encodeStruct(MPTCP_INFO_LAYOUT, { mptcpi_token: 0xdeadbeef, mptcpi_subflows_total: 2 }, full, MPTCP_FULL_INFO_INFO_OFFSET);
  full[16] = 3; // num_subflows
  t.like(decodeFullInfo(full), { num_subflows: 3, mptcpi_token: 0xdeadbeef, mptcpi_subflows_total: 2 });
});

test('syscall structs have their x86-64 sizes', (t) => {
  t.is(EPOLL_EVENT_LAYOUT.size, 12);
  t.is(offset(EPOLL_EVENT_LAYOUT, 'data'), 4);
  t.is(POLLFD_LAYOUT.size, 8);
  t.is(MSGHDR_LAYOUT.size, 56);
  t.is(offset(MSGHDR_LAYOUT, 'msg_iov'), 16);
  t.is(offset(MSGHDR_LAYOUT, 'msg_flags'), 48);
  t.is(CMSGHDR_LAYOUT.size, 16);
  t.is(SOCK_EXTENDED_ERR_LAYOUT.size, 16);
  const ev = encodeStruct(EPOLL_EVENT_LAYOUT, { events: 4, data: 0x1122334455667788n });
  t.deepEqual(decodeStruct(EPOLL_EVENT_LAYOUT, ev), { events: 4, data: 0x1122334455667788n });
});

test('socket addresses round-trip in both families, with network byte order', (t) => {
  const v4 = encodeSockAddr({ family: 'inet', address: '192.0.2.1', port: 8080 })!;
  t.deepEqual(Array.from(v4.subarray(0, 8)), [2, 0, 0x1f, 0x90, 192, 0, 2, 1]);
  t.deepEqual(decodeSockAddr(v4), { family: 'inet', address: '192.0.2.1', port: 8080 });
  const v6 = encodeSockAddr({ family: 'inet6', address: '2001:DB8::1', port: 443 })!;
  t.is(v6.byteLength, 28);
  t.deepEqual(decodeSockAddr(v6), { family: 'inet6', address: '2001:db8::1', port: 443 });
  t.deepEqual(decodeSockAddr(encodeSockAddr({ family: 'inet6', address: '::ffff:192.0.2.1', port: 1 })!)?.address, '::ffff:192.0.2.1');
  t.is(encodeSockAddr({ family: 'inet', address: '2001:db8::1', port: 1 }), null);
  t.is(decodeSockAddr(v6, 10), null);
  t.is(decodeSockAddr(new Uint8Array([1, 0, 0, 0])), null);
  const storage = new Uint8Array(256);
  storage.set(v4, 0);
  storage.set(v6, 128);
  t.deepEqual(decodeSubflowAddrs(storage), { local: { family: 'inet', address: '192.0.2.1', port: 8080 }, remote: { family: 'inet6', address: '2001:db8::1', port: 443 } });
});

test('control messages round-trip with CMSG alignment', (t) => {
  const msgs = [{ level: 0, type: 11, data: new Uint8Array([1, 2, 3]) }, { level: 41, type: 25, data: encodeInt(-5) }];
  const b = encodeControl(msgs);
  t.is(b.byteLength, 24 + 24);
  const d = decodeControl(b);
  t.deepEqual(d.map((m) => [m.level, m.type, Array.from(m.data)]), [[0, 11, [1, 2, 3]], [41, 25, Array.from(encodeInt(-5))]]);
  t.is(decodeInt(d[1]!.data) | 0, -5);
  t.deepEqual(decodeControl(new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), []);
});

test('short ints from getsockopt decode as unsigned little-endian', (t) => {
  t.is(decodeInt(new Uint8Array([1])), 1);
  t.is(decodeInt(new Uint8Array([0x34, 0x12])), 0x1234);
});

test('the tun filter keeps test traffic and sets housekeeping aside', (t) => {
  const v4 = new Uint8Array(40);
  v4[0] = 0x45; v4[9] = 6; v4.set([192, 0, 2, 1], 16);
  t.is(ignoreReason(v4), null);
  v4[9] = 2; // IGMP
  t.regex(ignoreReason(v4) ?? '', /protocol 2/);
  const v6 = new Uint8Array(48);
  v6[0] = 0x60; v6[6] = 58; v6[24] = 0x20; v6[40] = 128; // echo request to 2001:...
  t.is(ignoreReason(v6), null);
  v6[40] = 133; // router solicitation
  t.regex(ignoreReason(v6) ?? '', /neighbour discovery/);
  v6[40] = 128; v6[24] = 0xff; // multicast destination
  t.regex(ignoreReason(v6) ?? '', /multicast/);
  v6[24] = 0x20; v6[6] = 0; // hop-by-hop (MLD)
  t.regex(ignoreReason(v6) ?? '', /next header 0/);
  t.regex(ignoreReason(new Uint8Array([0x50])) ?? '', /version 5/);
});

test('route prefixes and netmasks', (t) => {
  t.is(netmaskBits('255.255.0.0'), 16);
  t.is(netmaskBits('255.255.255.255'), 32);
  t.is(netmaskBits('255.0.255.0'), 16, 'a non-contiguous mask falls back to /16');
  t.is(networkOf('192.0.2.1', 24), '192.0.2.0');
  t.is(networkOf('2001:DB8::1', 32), '2001:db8::');
  t.is(networkOf('fd3d:fa7b:d17d::1', 48), 'fd3d:fa7b:d17d::');
  t.is(networkOf('nonsense', 8), null);
});
