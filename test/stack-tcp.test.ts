// The bundled stack's TCP behaviour, one exchange at a time: feed a packet, assert the answer.
import test from 'ava';
import { acceptPlain, bytes, call, F, kinds, LOCAL, mustNext, newStack, next, peerPacket, REMOTE, SYN_OPTS, ts, tsOf } from './stack-harness.js';

test('passive open: SYN/ACK options in Linux order, window and wscale from tcp_rmem', async (t) => {
  const s = newStack();
  const { synAck } = await acceptPlain(s);
  t.is(synAck.tcp.flags, F.SYN | F.ACK);
  t.is(synAck.tcp.ack, 1);
  t.deepEqual(kinds(synAck.tcp.options), ['mss', 'sack_permitted', 'timestamp', 'nop', 'wscale']);
  const opt = (k: string) => synAck.tcp.options.find((o) => o.kind === k);
  t.deepEqual(opt('mss'), { kind: 'mss', mss: 1460 });
  t.deepEqual(opt('wscale'), { kind: 'wscale', shift: 7 }); // tcp_rmem[2] 6291456 → 7
  t.is(synAck.tcp.window, 65160); // 45 × 1448 (the SYN had timestamps)
  t.is(tsOf(synAck).ecr, 100);
});

test('passive open without timestamps: nop nop sackOK, MSS-multiple window', async (t) => {
  const s = newStack();
  const lfd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  await call(s, { name: 'bind', fd: lfd, addr: { family: 'inet', address: LOCAL, port: 80 }, addrLen: 16 });
  await call(s, { name: 'listen', fd: lfd, backlog: 1 });
  s.inject(peerPacket({ flags: F.SYN, seq: 5, dstPort: 80, options: [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_permitted' }] }));
  const sa = mustNext(s);
  t.deepEqual(kinds(sa.tcp.options), ['mss', 'nop', 'nop', 'sack_permitted']);
  t.is(sa.tcp.window, 64240);
});

test('active open: SYN options, then ACK of the SYN/ACK with TS echo; connect returns 0', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  const pending = call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  t.is(syn.tcp.flags, F.SYN);
  t.deepEqual(kinds(syn.tcp.options), ['mss', 'sack_permitted', 'timestamp', 'nop', 'wscale']);
  t.is(syn.tcp.window, 64240);
  s.clock.advanceTo(100_000);
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 1000, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [{ kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, { kind: 'timestamp', val: 77, ecr: tsOf(syn).val }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }] }));
  const ack = mustNext(s);
  t.is(ack.tcp.flags, F.ACK);
  t.is(ack.tcp.ack, 1001);
  t.deepEqual(kinds(ack.tcp.options), ['nop', 'nop', 'timestamp']);
  t.is(tsOf(ack).ecr, 77);
  t.is(tsOf(ack).val - tsOf(syn).val, 100); // ms clock
  t.deepEqual(await pending, { ret: 0 });
});

test('data: quick-ACK of each segment at first, read returns the bytes', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 1000, options: ts(102, 0) }));
  const a = mustNext(s);
  t.is(a.tcp.ack, 1001);
  t.is(a.time, 0);
  const r = await call(s, { name: 'read', fd, len: 4000, flags: 0 });
  t.is(r.ret, 1000);
});

test('delayed ACK: 40 ms once pingpong mode is on (reply sent right after data)', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 100 }));
  mustNext(s); // quick ACK
  await call(s, { name: 'write', fd, data: bytes(10), flags: 0 });
  const reply = mustNext(s);
  t.is(reply.tcp.payload.length, 10);
  t.is(reply.tcp.flags, F.ACK | F.PSH);
  s.clock.advanceTo(10_000);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 101, ack: snd + 10, dstPort: 8080, payload: 100 }));
  t.is(next(s), undefined);
  const delayed = mustNext(s, 1_000_000);
  t.is(delayed.time, 50_000);
  t.is(delayed.tcp.ack, 201);
});

test('write: segments of 1448 bytes with timestamps, PSH on the last; cwnd of 10', async (t) => {
  const s = newStack();
  const { fd } = await acceptPlain(s, 8080);
  // peer window 1000 << 8 = 256000
  const r = await call(s, { name: 'send', fd, data: bytes(100000), flags: 0x40 });
  t.is(r.ret, 81920); // the send buffer, grown at establishment, bounds a non-blocking write
  const segs = [];
  for (let o = next(s); o; o = next(s)) segs.push(o);
  t.is(segs.length, 10);
  t.true(segs.every((x) => x.tcp.payload.length === 1448));
  // One GSO packet of the ten (the pacing rate of a sub-millisecond RTT allows it): Linux forces
  // PSH on a packet of more than one segment (tcp_output.c __tcp_transmit_skb) and segmentation
  // keeps it on the last segment only (tcp_offload.c tcp_gso_segment); the write's own push is
  // not reached, its tail still queued (tcp/data/psh-gso-pairs.pkt shows the rule on the kernel).
  t.deepEqual(segs.map((x) => (x.tcp.flags & F.PSH) !== 0), [...Array(9).fill(false), true]);
});

test('RTO: retransmission after 1 s (no RTT sample), then doubling', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  void call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  const times = [];
  for (let i = 0; i < 6; i++) times.push(mustNext(s, 100_000_000).time);
  // tcp_syn_linear_timeouts = 4: four retransmissions 1 s apart, then 2 s, 4 s.
  t.deepEqual(times, [1, 2, 3, 4, 6, 10].map((x) => x * 1_000_000));
  t.is(syn.tcp.flags, F.SYN);
});

test('data RTO backs off exponentially from srtt + 200 ms', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  void call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  s.clock.advanceTo(100_000);
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [{ kind: 'mss', mss: 1460 }] }));
  mustNext(s);
  await call(s, { name: 'write', fd, data: bytes(100), flags: 0 });
  const first = mustNext(s);
  const r1 = mustNext(s, 10_000_000);
  const r2 = mustNext(s, 10_000_000);
  t.is(r1.tcp.seq, first.tcp.seq);
  t.is(r1.time - first.time, 300_000); // rtt 100 ms + max(2×100, 200) ms
  t.is(r2.time - r1.time, 600_000);
});

test('active close: FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT, ACK of the peer FIN at once', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  await call(s, { name: 'close', fd });
  const fin = mustNext(s);
  t.is(fin.tcp.flags, F.FIN | F.ACK);
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd + 1, dstPort: 8080 }));
  t.is(next(s), undefined);
  s.inject(peerPacket({ flags: F.FIN | F.ACK, seq: 1, ack: snd + 1, dstPort: 8080 }));
  const ack = mustNext(s);
  t.is(ack.tcp.flags, F.ACK);
  t.is(ack.tcp.ack, 2);
  const conn = [...s.host.conns.values()][0];
  t.is(conn?.state, 'TIME_WAIT');
  s.clock.advanceTo(61_000_000);
  t.is(s.host.conns.size, 0);
});

test('passive close: CLOSE_WAIT (ACK at once on an idle connection, 6.18), then LAST_ACK', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.FIN | F.ACK, seq: 1, ack: snd, dstPort: 8080 }));
  const ack = mustNext(s);
  t.is(ack.time, 0);
  t.is(ack.tcp.ack, 2);
  t.deepEqual(await call(s, { name: 'read', fd, len: 10, flags: 0 }), { ret: 0 });
  await call(s, { name: 'close', fd });
  const fin = mustNext(s);
  t.is(fin.tcp.flags, F.FIN | F.ACK);
  s.inject(peerPacket({ flags: F.ACK, seq: 2, ack: snd + 1, dstPort: 8080 }));
  t.is(s.host.conns.size, 0);
});

test('FIN after data in pingpong mode: the ACK waits for the delayed-ACK timer (40 ms)', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 10 }));
  mustNext(s);
  s.clock.advanceTo(100_000);
  s.inject(peerPacket({ flags: F.FIN | F.ACK, seq: 11, ack: snd, dstPort: 8080 }));
  t.is(next(s), undefined);
  const ack = mustNext(s, 1_000_000);
  t.is(ack.time, 140_000);
  t.is(ack.tcp.ack, 12);
  t.is((await call(s, { name: 'read', fd, len: 100, flags: 0 })).ret, 10);
});

test('close with unread data sends RST|ACK', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 10 }));
  mustNext(s);
  await call(s, { name: 'close', fd });
  const rst = mustNext(s);
  t.is(rst.tcp.flags, F.RST | F.ACK);
  t.is(rst.tcp.seq, snd);
  t.is(rst.tcp.ack, 11);
});

test('segments to a closed port get a RST; a peer RST makes read fail with ECONNRESET', async (t) => {
  const s = newStack();
  s.inject(peerPacket({ flags: F.SYN, seq: 10, dstPort: 9999 }));
  const r = mustNext(s);
  t.is(r.tcp.flags, F.RST | F.ACK);
  t.is(r.tcp.ack, 11);
  const { fd, snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.RST, seq: 1, ack: snd, dstPort: 8080 }));
  t.deepEqual(await call(s, { name: 'read', fd, len: 10, flags: 0 }), { ret: -1, errno: 'ECONNRESET' });
  t.deepEqual(await call(s, { name: 'write', fd, data: bytes(1), flags: 0 }), { ret: -1, errno: 'EPIPE' });
});

test('connect refused by RST: ECONNREFUSED; non-blocking errnos', async (t) => {
  const s = newStack();
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1 | 0o4000, protocol: 6 })).ret;
  t.deepEqual(await call(s, { name: 'read', fd, len: 1, flags: 0 }), { ret: -1, errno: 'ENOTCONN' });
  t.deepEqual(await call(s, { name: 'write', fd, data: bytes(1), flags: 0 }), { ret: -1, errno: 'EPIPE' });
  t.deepEqual(await call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 }), { ret: -1, errno: 'EINPROGRESS' });
  t.deepEqual(await call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 }), { ret: -1, errno: 'EALREADY' });
  const syn = mustNext(s);
  s.inject(peerPacket({ flags: F.RST | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort }));
  t.deepEqual(await call(s, { name: 'getsockopt', fd, level: 1, optname: 4, optlen: 4 }), { ret: 0, out: { kind: 'opt', value: new Uint8Array([111, 0, 0, 0]), optlen: 4 } });
  const l = (await call(s, { name: 'socket', domain: 2, type: 1 | 0o4000, protocol: 6 })).ret;
  await call(s, { name: 'bind', fd: l, addr: { family: 'inet', address: '0.0.0.0', port: 80 }, addrLen: 16 });
  await call(s, { name: 'listen', fd: l, backlog: 1 });
  t.deepEqual(await call(s, { name: 'accept', fd: l, flags: 0, wantAddr: false }), { ret: -1, errno: 'EAGAIN' });
  const other = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  t.deepEqual(await call(s, { name: 'bind', fd: other, addr: { family: 'inet', address: '0.0.0.0', port: 80 }, addrLen: 16 }), { ret: -1, errno: 'EADDRINUSE' });
  t.deepEqual(await call(s, { name: 'close', fd: 99 }), { ret: -1, errno: 'EBADF' });
});

test('poll and epoll readiness follow tcp_poll', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  const p0 = await call(s, { name: 'poll', fds: [{ fd, events: 0x1 | 0x4 }], timeoutMs: 0 });
  t.deepEqual(p0.out, { kind: 'poll', revents: [0x4] });
  const ep = (await call(s, { name: 'epoll_create', size: 1 })).ret;
  t.is((await call(s, { name: 'epoll_ctl', epfd: ep, op: 1, fd, events: 0x1, data: 42n })).ret, 0);
  const waiting = call(s, { name: 'epoll_wait', epfd: ep, maxEvents: 4, timeoutMs: -1 });
  s.inject(peerPacket({ flags: F.ACK | F.PSH | F.FIN, seq: 1, ack: snd, dstPort: 8080, payload: 5 }));
  const w = await waiting;
  t.deepEqual(w, { ret: 1, out: { kind: 'epoll', events: [{ events: 0x1, data: 42n }] } });
  const p1 = await call(s, { name: 'poll', fds: [{ fd, events: 0x1 | 0x4 | 0x2000 }], timeoutMs: 0 });
  t.deepEqual(p1.out, { kind: 'poll', revents: [0x1 | 0x4 | 0x2000] });
  const timed = call(s, { name: 'poll', fds: [{ fd: 77, events: 1 }, { fd: -1, events: 1 }], timeoutMs: 10 });
  t.deepEqual((await timed).out, { kind: 'poll', revents: [0x20, 0] });
});

test('blocking read resolves when data arrives in virtual time', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  let done = false;
  const r = call(s, { name: 'read', fd, len: 100, flags: 0 }).then((x) => { done = true; return x; });
  await Promise.resolve();
  t.false(done);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, payload: 7 }));
  t.is((await r).ret, 7);
});

test('TCP_INFO reflects state, options and MSS', async (t) => {
  const s = newStack();
  const { fd } = await acceptPlain(s);
  const r = await call(s, { name: 'getsockopt', fd, level: 6, optname: 11, optlen: 280 });
  if (r.out?.kind !== 'opt') return t.fail();
  const b = r.out.value;
  t.is(b[0], 1); // TCP_ESTABLISHED
  t.is(b[5], 1 | 2 | 4); // timestamps, sack, wscale
  t.is(b[6], 8 | (7 << 4)); // snd_wscale 8, rcv_wscale 7
  const v = new DataView(b.buffer, b.byteOffset);
  t.is(v.getUint32(16, true), 1448); // snd_mss
  t.is(v.getUint32(80, true), 10); // snd_cwnd
});

test('out-of-order data: immediate duplicate ACK with a SACK block', async (t) => {
  const s = newStack();
  const { snd } = await acceptPlain(s);
  s.inject(peerPacket({ flags: F.ACK, seq: 1001, ack: snd, dstPort: 8080, payload: 500 }));
  const a = mustNext(s);
  t.is(a.tcp.ack, 1);
  const sack = a.tcp.options.find((o) => o.kind === 'sack');
  t.deepEqual(sack, { kind: 'sack', blocks: [[1001, 1501]] });
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, payload: 1000 }));
  t.is(mustNext(s).tcp.ack, 1501);
});

test('data the stack can send carries the ACK of data just received (no separate pure ACK)', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  await call(s, { name: 'send', fd, data: bytes(1448 * 15), flags: 0x40 });
  const first = [];
  for (let o = next(s); o; o = next(s)) first.push(o);
  t.is(first.length, 10);
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd + 1448 * 10, dstPort: 8080, window: 1000, payload: 100 }));
  const after = [];
  for (let o = next(s); o; o = next(s)) after.push(o);
  t.is(after.length, 5);
  t.true(after.every((o) => o.tcp.payload.length > 0 && o.tcp.ack === 101));
});

test('IPv6: MSS 1440 in the SYN', async (t) => {
  const s = newStack();
  s.host.addresses.add('fd00::1');
  const fd = (await call(s, { name: 'socket', domain: 10, type: 1, protocol: 6 })).ret;
  void call(s, { name: 'connect', fd, addr: { family: 'inet6', address: 'fd00::2', port: 80 }, addrLen: 28 });
  const syn = mustNext(s);
  t.deepEqual(syn.tcp.options[0], { kind: 'mss', mss: 1440 });
});

test('ICMP fragmentation needed: the segment in flight is re-cut to the new path MTU and resent', async (t) => {
  const s = newStack();
  const { fd } = await acceptPlain(s);
  await call(s, { name: 'write', fd, data: bytes(1448), flags: 0 });
  const seg = mustNext(s);
  const quoted = peerPacket({ flags: F.ACK, seq: 1, dstPort: 8080 }); // any IPv4+TCP header works as a template
  const inner = new Uint8Array(28);
  inner.set(quoted.subarray(0, 20));
  inner.set([192, 168, 0, 1], 12); // the quoted packet is ours: local → remote
  inner.set([192, 0, 2, 1], 16);
  new DataView(inner.buffer).setUint16(20, seg.tcp.srcPort);
  new DataView(inner.buffer).setUint16(22, seg.tcp.dstPort);
  const icmp = new Uint8Array(8 + inner.length);
  icmp.set([3, 4, 0, 0, 0, 0, 1200 >> 8, 1200 & 0xff]);
  icmp.set(inner, 8);
  const ip = new Uint8Array(20 + icmp.length);
  ip.set([0x45, 0, 0, ip.length, 0, 0, 0x40, 0, 64, 1, 0, 0, 192, 0, 2, 1, 192, 168, 0, 1]);
  ip.set(icmp, 20);
  s.inject(ip);
  const a = mustNext(s);
  const b = mustNext(s);
  t.deepEqual([a.tcp.payload.length, b.tcp.payload.length], [1148, 300]);
  t.deepEqual([a.tcp.flags, b.tcp.flags], [F.ACK, F.ACK | F.PSH]);
  t.is(b.tcp.seq, (seg.tcp.seq + 1148) >>> 0);
});

test('SYN/ACK retransmission: 1 s, then doubling', async (t) => {
  const s = newStack();
  await call(s, { name: 'listen', fd: (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret, backlog: 1 });
  const port = [...s.host.listeners][0]!.port;
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: port, options: SYN_OPTS }));
  mustNext(s);
  const times = [mustNext(s, 100_000_000).time, mustNext(s, 100_000_000).time, mustNext(s, 100_000_000).time];
  t.deepEqual(times, [1_000_000, 3_000_000, 7_000_000]);
});

test('keepalive: probes with snd_una - 1 after the idle time, RST and ETIMEDOUT after TCP_KEEPCNT', async (t) => {
  const s = newStack();
  const { fd, snd } = await acceptPlain(s);
  const int = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
  await call(s, { name: 'setsockopt', fd, level: 6, optname: 4, value: int(1), optlen: 4 });
  await call(s, { name: 'setsockopt', fd, level: 6, optname: 5, value: int(1), optlen: 4 });
  await call(s, { name: 'setsockopt', fd, level: 6, optname: 6, value: int(2), optlen: 4 });
  await call(s, { name: 'setsockopt', fd, level: 1, optname: 9, value: int(1), optlen: 4 });
  const p1 = mustNext(s, 10_000_000);
  t.is(p1.time, 1_000_000);
  t.is(p1.tcp.seq, (snd - 1) >>> 0);
  t.is(p1.tcp.payload.length, 0);
  t.is(mustNext(s, 10_000_000).time, 2_000_000);
  const rst = mustNext(s, 10_000_000);
  t.is(rst.time, 3_000_000);
  t.is(rst.tcp.flags & F.RST, F.RST);
  t.deepEqual(await call(s, { name: 'read', fd, len: 1, flags: 0 }), { ret: -1, errno: 'ETIMEDOUT' });
});
