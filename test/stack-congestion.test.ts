// The bundled stack's congestion control and ECN on their own (issue 18): reno's and cubic's
// thresholds and growth (src/stack/tcp/reno.ts, cubic.ts, as net/ipv4/tcp_cong.c and
// tcp_cubic.c compute them), HyStart's delay detection (hystart.ts), the cwnd-limited record
// (congestion.ts CwndUsage, tcp_cwnd_validate) and the ECN state (ecn.ts, tcp_input.c
// tcp_ecn_*). The kernel-first scripts of test/scripts/tcp/congestion/ and tcp/ecn/ check them
// together against Linux.
import test from 'ava';
import { TcpFlag } from '../src/wire/packet.js';
import { createCongestion, CwndUsage, type CongestionSock } from '../src/stack/tcp/congestion.js';
import { Cubic, cubicRoot } from '../src/stack/tcp/cubic.js';
import { CE, ECT0, NOT_ECT, TcpEcn } from '../src/stack/tcp/ecn.js';
import { HyStart } from '../src/stack/tcp/hystart.js';
import { Reno } from '../src/stack/tcp/reno.js';

function sock(cwnd: number, ssthresh = 0x7fffffff): CongestionSock {
  return { cwnd, ssthresh, cwndCount: 0, priorCwnd: 0, sndNxt: 1, sndUna: 1, nowUs: 0, lastSendUs: 0, mss: 1448, srttUs: 100_000 };
}

test('cubic_root is within one of the real cube root, as the kernel rounds it', (t) => {
  t.is(cubicRoot(27n), 3);
  t.is(cubicRoot(1000n), 10);
  for (const a of [64n, 999n, 123_456n, 10n ** 9n, 2n ** 40n / 410n * 7n]) {
    t.true(Math.abs(cubicRoot(a) - Math.cbrt(Number(a))) <= 1, `cubic_root(${a}) = ${cubicRoot(a)}`);
  }
});

test('reno: ssthresh is half the window, at least 2; slow start carries its leftover ACKs into additive increase', (t) => {
  t.is(new Reno(sock(10)).ssthresh(), 5);
  t.is(new Reno(sock(3)).ssthresh(), 2);
  const sk = sock(8, 10);
  const reno = new Reno(sk);
  reno.congAvoid(1, 4, true);
  t.is(sk.cwnd, 10);
  t.is(sk.cwndCount, 2);
  reno.congAvoid(1, 8, true);
  t.is(sk.cwnd, 11, 'ten ACKs at cwnd 10 add one segment');
  reno.congAvoid(1, 100, false);
  t.is(sk.cwnd, 11, 'a window that did not limit the sender does not grow');
});

test('cubic: ssthresh is 717/1024 of the window, at least 2; the factory keeps unmodelled names', (t) => {
  const sk = sock(10);
  const cubic = new Cubic(sk);
  t.is(cubic.ssthresh(), 7);
  sk.cwnd = 8;
  t.is(cubic.ssthresh(), 5);
  t.is(createCongestion('cubic', sk).name, 'cubic');
  t.is(createCongestion('bbr', sk).name, 'bbr', 'an unmodelled algorithm keeps its name');
});

test('HyStart delay detection: 8 samples, then a round minimum above min RTT + clamp(min/8, 4, 16) ms', (t) => {
  const grown = (rttUs: number): number => {
    const sk = sock(20);
    const h = new HyStart(sk);
    h.reset();
    for (let i = 0; i < 9; i++) h.update(rttUs, 100_000);
    return sk.ssthresh;
  };
  t.is(grown(130_000), 20);
  t.is(grown(113_000), 20);
  t.is(grown(112_000), 0x7fffffff, '12 ms over a 100 ms minimum is below the 12.5 ms threshold');
  const small = sock(15);
  const h = new HyStart(small);
  for (let i = 0; i < 9; i++) h.update(200_000, 100_000);
  t.is(small.ssthresh, 0x7fffffff, 'below cwnd 16 nothing is detected');
});

test('CwndUsage: a full window is remembered for that window; after it, slow start grows below twice the packets out', (t) => {
  const u = new CwndUsage();
  u.validate(true, 10, 1, 10_001);
  t.true(u.limits(12, 100));
  u.validate(false, 3, 10_001, 13_001);
  t.false(u.limits(10, 100));
  t.true(u.limits(5, 100));
  t.false(u.limits(5, 4), 'outside slow start only a full window counts');
});

test('ECN: negotiation, ECT(0) on new data, CE echoed until CWR, CWR once after a reduction', (t) => {
  const server = new TcpEcn();
  server.synReceived(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, ECT0, 2);
  t.false(server.ok, 'an ECT-marked SYN is not taken');
  server.synReceived(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, NOT_ECT, 2);
  t.true(server.ok);
  t.is(server.synAckFlags(), TcpFlag.ECE);
  t.deepEqual(server.send(true), { flags: 0, ipEcn: ECT0 });
  t.deepEqual(server.send(false), { flags: 0, ipEcn: NOT_ECT });
  t.true(server.checkCe(CE));
  t.false(server.checkCe(CE), 'already echoing');
  t.is(server.send(false).flags, TcpFlag.ECE);
  t.true(server.acceptCwr(TcpFlag.ACK | TcpFlag.CWR, true));
  t.is(server.send(false).flags, 0);
  server.reduced();
  t.is(server.send(true).flags, TcpFlag.CWR);
  t.is(server.send(true).flags, 0, 'CWR goes on one segment');

  const client = new TcpEcn();
  t.is(client.synFlags(1, false, true), TcpFlag.ECE | TcpFlag.CWR);
  t.is(client.synFlags(1, true, true), 0, 'a retransmitted SYN drops ECN with tcp_ecn_fallback');
  client.synAckReceived(TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE | TcpFlag.CWR);
  t.false(client.ok, 'a SYN/ACK with both flags does not agree');
  t.is(new TcpEcn().synFlags(2, false, true), 0, 'tcp_ecn=2 only accepts');
});
