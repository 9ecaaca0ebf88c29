// The bundled stack's listen backlog as Linux 6.18 keeps it: the listen() cap, the request queue
// (SYN cookies past it), the accept queue (backlog + 1 connections, SYNs and third ACKs dropped
// beyond) and tcp_abort_on_overflow. The corpus scripts test/scripts/tcp/handshake/backlog-*.pkt
// check the same on the kernel; these pin the cases the scripts leave out.
import test from 'ava';
import { synAdmission, type Listener } from '../src/stack/host.js';
import type { Stack } from '../src/stack/socket-api.js';
import { call, F, newStack, next, peerPacket, SYN_OPTS, ts, tsOf, type Out } from './stack-harness.js';

async function listenWith(s: Stack, backlog: number): Promise<number> {
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  await call(s, { name: 'bind', fd, addr: { family: 'inet', address: '0.0.0.0', port: 8080 }, addrLen: 16 });
  await call(s, { name: 'listen', fd, backlog });
  return fd;
}

const syn = (s: Stack, port: number): void => s.inject(peerPacket({ flags: F.SYN, seq: 0, srcPort: port, dstPort: 8080, options: SYN_OPTS }));
const thirdAck = (s: Stack, port: number, synAck: Out): void =>
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: (synAck.tcp.seq + 1) >>> 0, srcPort: port, dstPort: 8080, options: ts(101, tsOf(synAck).val) }));

test('listen: a negative or too large backlog becomes net.core.somaxconn, as the unsigned cap of __sys_listen', async (t) => {
  const s = newStack();
  s.host.sysctls.set('net.core.somaxconn', '128');
  const fd = await listenWith(s, -1);
  t.is(s.host.listeners[0]!.backlog, 128);
  await call(s, { name: 'listen', fd, backlog: 100000 });
  t.is(s.host.listeners[0]!.backlog, 128);
  await call(s, { name: 'listen', fd, backlog: 5 });
  t.is(s.host.listeners[0]!.backlog, 5);
});

test('synAdmission: request queue full past the backlog gives a cookie (or a drop without cookies); a full accept queue drops', (t) => {
  const conns = (n: number) => new Set(Array.from({ length: n }, (_, i) => ({ i }) as never));
  const l = (queued: number, pending: number, cookies: number): Listener =>
    ({ backlog: 1, queue: [...conns(queued)], pending: conns(pending), cookies: conns(cookies) }) as unknown as Listener;
  t.is(synAdmission(l(0, 1, 0), 1), 'answer');
  t.is(synAdmission(l(0, 2, 0), 1), 'cookie');
  t.is(synAdmission(l(0, 2, 0), 0), 'drop');
  t.is(synAdmission(l(0, 3, 2), 1), 'answer'); // cookies hold no request socket
  t.is(synAdmission(l(0, 0, 0), 2), 'cookie');
  t.is(synAdmission(l(1, 0, 0), 1), 'answer');
  t.is(synAdmission(l(2, 0, 0), 1), 'drop');
  t.is(synAdmission(l(2, 0, 0), 2), 'drop');
});

test('tcp_syncookies=0: the SYN past a full request queue gets no answer', async (t) => {
  const s = newStack();
  s.host.sysctls.set('net.ipv4.tcp_syncookies', '0');
  await listenWith(s, 1);
  for (const port of [40000, 40001]) {
    syn(s, port);
    t.is(next(s)?.tcp.dstPort, port);
  }
  syn(s, 40002);
  t.is(next(s), undefined);
});

test('tcp_syncookies=2: every SYN gets a cookie, never retransmitted, and its ACK still opens the connection', async (t) => {
  const s = newStack();
  s.host.sysctls.set('net.ipv4.tcp_syncookies', '2');
  const lfd = await listenWith(s, 4);
  syn(s, 40000);
  const synAck = next(s);
  t.is(synAck?.tcp.flags, F.SYN | F.ACK);
  t.is(next(s, 3_500_000), undefined); // a request socket would have retransmitted at 1 s and 3 s
  thirdAck(s, 40000, synAck!);
  t.true((await call(s, { name: 'accept', fd: lfd, flags: 0, wantAddr: false })).ret > lfd);
});

test('tcp_abort_on_overflow=1: a request socket ACKed into a full accept queue is reset and forgotten', async (t) => {
  const s = newStack();
  s.host.sysctls.set('net.ipv4.tcp_abort_on_overflow', '1');
  await listenWith(s, 1);
  const synAcks = new Map<number, Out>();
  for (const port of [40000, 40001, 40002]) { syn(s, port); synAcks.set(port, next(s)!); }
  thirdAck(s, 40000, synAcks.get(40000)!);
  thirdAck(s, 40002, synAcks.get(40002)!); // the cookie: the accept queue holds backlog + 1 = 2
  t.is(next(s), undefined);
  const second = synAcks.get(40001)!;
  thirdAck(s, 40001, second);
  const rst = next(s);
  t.is(rst?.tcp.flags, F.RST);
  t.is(rst?.tcp.seq, (second.tcp.seq + 1) >>> 0);
  t.is(next(s, 5_000_000), undefined); // forgotten: no SYN/ACK retransmission
});
