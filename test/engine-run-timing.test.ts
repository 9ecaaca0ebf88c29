import test from 'ava';
import { TcpFlag } from '../src/wire/packet.js';
import { tcpPacket } from './fakes/fake-packets.js';
import { pkt, runFake } from './fakes/run-helpers.js';
import type { ScriptedTarget } from './fakes/scripted-target.js';

const { SYN, ACK, RST, PSH } = TcpFlag;
const isSyn = (b: Uint8Array): boolean => (b[33]! & (SYN | ACK)) === SYN;

const LISTEN = [
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 1000',
];

/** A stack that answers a SYN with a SYN-ACK `delay` µs later. */
const synAckAfter = (delay: number) => ({
  onInject: (b: Uint8Array, now: number, t: ScriptedTarget) => {
    if (isSyn(b)) t.send(now + delay, tcpPacket({ flags: SYN | ACK, seq: 0, ack: 1 }));
  },
});

test('a passive open whose packets come on time passes', async (t) => {
  const { result, target } = await runFake(pkt(...LISTEN, '+0 > S. 0:0(0) ack 1', '+.01 < . 1:1(0) ack 1 win 1000', '+0 accept(3, ..., ...) = 4'), synAckAfter(1000));
  t.is(result.status, 'pass', result.failure?.message);
  t.is(target.injected.length, 2);
  // The ACK is due 10 ms after the SYN-ACK actually arrived (outbound lines are not anchored).
  t.is(target.injected[1]!.time, 11_000);
  t.true(target.closed);
});

test('a late outbound packet fails with upstream timing text', async (t) => {
  const { result } = await runFake(pkt(...LISTEN, '+0 > S. 0:0(0) ack 1'), synAckAfter(50_000));
  t.is(result.status, 'fail');
  t.is(result.failure?.kind, 'timing');
  t.is(result.failure?.message, 'timing error: expected outbound packet at 0.000000 sec but happened at 0.050000 sec; tolerance 0.004000 sec');
  t.is(result.failure?.range?.start.line, 5);
});

test('an early outbound packet fails too', async (t) => {
  const { result } = await runFake(pkt(...LISTEN, '+0.1 > S. 0:0(0) ack 1'), synAckAfter(10_000));
  t.is(result.failure?.message, 'timing error: expected outbound packet at 0.100000 sec but happened at 0.010000 sec; tolerance 0.012500 sec');
});

test('the tolerance grows with tolerance_percent of the gap and with --tolerance-scale', async (t) => {
  // 1 s gap: 12.5 % gives 125 ms slack, so 100 ms late passes.
  const relaxed = await runFake(pkt(...LISTEN, '+1 > S. 0:0(0) ack 1'), synAckAfter(1_100_000));
  t.is(relaxed.result.status, 'pass', relaxed.result.failure?.message);
  const strict = await runFake(pkt('--tolerance_percent=0', ...LISTEN, '+1 > S. 0:0(0) ack 1'), synAckAfter(1_100_000));
  t.regex(strict.result.failure?.message ?? '', /tolerance 0\.004000 sec/);
  const scaled = await runFake(pkt(...LISTEN, '+0 > S. 0:0(0) ack 1'), synAckAfter(6_000), { toleranceScale: 2 });
  t.is(scaled.result.status, 'pass', scaled.result.failure?.message);
});

test('ranges and * accept packets inside their window only', async (t) => {
  const inRange = await runFake(pkt(...LISTEN, '+0.01~+0.1 > S. 0:0(0) ack 1'), synAckAfter(50_000));
  t.is(inRange.result.status, 'pass', inRange.result.failure?.message);
  const outOfRange = await runFake(pkt(...LISTEN, '+0.01~+0.1 > S. 0:0(0) ack 1'), synAckAfter(200_000));
  t.is(outOfRange.result.failure?.message,
    'timing error: expected outbound packet between 0.010000 and 0.100000 sec but happened at 0.200000 sec; tolerance 0.012500 sec');
  const any = await runFake(pkt(...LISTEN, '* > S. 0:0(0) ack 1', '+0.01 < . 1:1(0) ack 1 win 1000'), synAckAfter(3_000_000));
  t.is(any.result.status, 'pass', any.result.failure?.message);
  // After `*`, the next relative time counts from when the packet really came.
  t.is(any.target.injected[1]!.time, 3_010_000);
});

test('consecutive inbound packets are anchored to script time', async (t) => {
  const { result, target } = await runFake(pkt(...LISTEN, '+0.01 < . 1:1(0) ack 1 win 1000', '+0.01 < . 1:1(0) ack 1 win 1000'), {
    onInject: (_b, _now, tgt) => tgt.clock.stall(1500),
  });
  t.is(result.status, 'pass', result.failure?.message);
  t.deepEqual(target.injected.map((i) => i.time), [0, 10_000, 20_000]);
});

test('a slow call shifts later relative events instead of failing them; an absolute time still fails', async (t) => {
  const slowListen = {
    onSyscall: (req: { name: string }, _now: number, tgt: ScriptedTarget) => {
      if (req.name === 'listen') tgt.clock.stall(10_000);
      return req.name === 'socket' ? { ret: tgt.allocFd() } : { ret: 0 };
    },
  };
  const relative = await runFake(pkt(...LISTEN), slowListen);
  t.is(relative.result.status, 'pass', relative.result.failure?.message);
  t.is(relative.target.injected[0]!.time, 10_000);
  const absolute = await runFake(pkt(...LISTEN.slice(0, 3), '0.005 < S 0:0(0) win 1000'), slowListen);
  t.is(absolute.result.failure?.message, 'timing error: expected inbound packet at 0.005000 sec but happened at 0.010000 sec; tolerance 0.004000 sec');
});

test('a packet that does not match the next outbound line fails naming it', async (t) => {
  const { result } = await runFake(pkt(...LISTEN, '+0 > S. 0:0(0) ack 1'), {
    onInject: (b, now, tgt) => { if (isSyn(b)) tgt.send(now, tcpPacket({ flags: RST | ACK, seq: 0, ack: 1 })); },
  });
  t.is(result.status, 'fail');
  t.is(result.failure?.kind, 'packet');
  t.is(result.failure?.message, 'error handling packet: live packet field tcp_flags: expected: S. vs actual: R.');
  t.is(result.failure?.expected, '> S. 0:0(0) ack 1');
  t.is(result.failure?.actual, '> R. 0:0(0) ack 1');
  t.deepEqual(result.failure?.state?.slice(0, 2), ['stack ISN 0', 'script ISN 0']);
});

test('traffic that is not the test\'s is ignored, and a missing packet times out', async (t) => {
  const noise = await runFake(pkt(...LISTEN, '+0 > S. 0:0(0) ack 1'), {
    onInject: (b, now, tgt) => {
      if (!isSyn(b)) return;
      tgt.send(now, tcpPacket({ flags: RST, seq: 9, win: 7 }));
      tgt.send(now + 100, tcpPacket({ flags: SYN | ACK, seq: 0, ack: 1 }));
    },
  }, { packets: Object.assign(new (await import('./fakes/fake-packets.js')).FakePackets(), { noiseWindow: 7 }) });
  t.is(noise.result.status, 'pass', noise.result.failure?.message);
  t.true(noise.result.trace.some((e) => e.kind === 'outbound' && !e.testTraffic));
  const silent = await runFake(pkt(...LISTEN, '+0 > S. 0:0(0) ack 1'));
  t.regex(silent.result.failure?.message ?? '', /^error handling packet: timed out waiting for outbound packet expected at 0\.000000 sec/);
});

test('segments of a split send are read until the line\'s length is covered', async (t) => {
  const { result } = await runFake(pkt(...LISTEN, '+0 > P. 1:3001(3000) ack 1'), {
    onInject: (b, now, tgt) => {
      if (!isSyn(b)) return;
      tgt.send(now, tcpPacket({ flags: PSH | ACK, seq: 1, ack: 1, len: 1500 }));
      tgt.send(now, tcpPacket({ flags: PSH | ACK, seq: 1, ack: 1, len: 3000 }));
    },
  });
  t.is(result.status, 'pass', result.failure?.message);
});

test('blocking calls run while later events proceed and are judged on return', async (t) => {
  const acceptAt = (at: number | 'never') => ({
    onSyscall: (req: { name: string }, _now: number, tgt: ScriptedTarget) => {
      if (req.name === 'accept') return at === 'never' ? { never: true as const } : { at, result: { ret: tgt.allocFd() } };
      return req.name === 'socket' ? { ret: tgt.allocFd() } : { ret: 0 };
    },
  });
  const lines = [...LISTEN.slice(0, 3), '+0...0.1 accept(3, ..., ...) = 4', '+0.1 < S 0:0(0) win 1000', '+0 close(4) = 0'];
  const onTime = await runFake(pkt(...lines), acceptAt(100_000));
  t.is(onTime.result.status, 'pass', onTime.result.failure?.message);
  // accept's fd (the target's 11) stands for script fd 4 from its return on.
  t.deepEqual(onTime.target.calls.at(-1)!.req, { name: 'close', fd: 11 });

  const late = await runFake(pkt(...lines.slice(0, 5)), acceptAt(200_000));
  t.is(late.result.failure?.message, 'timing error: expected system call return at 0.100000 sec but happened at 0.200000 sec; tolerance 0.012500 sec');
  t.is(late.result.failure?.range?.start.line, 4);

  const never = await runFake(pkt(...lines.slice(0, 5)), acceptAt('never'));
  t.regex(never.result.failure?.message ?? '', /^timing error: expected system call return at 0\.100000 sec but it had not returned/);

  const notBlocking = await runFake(pkt(...LISTEN.slice(0, 3), '+0 accept(3, ..., ...) = 4'), acceptAt('never'));
  t.regex(notBlocking.result.failure?.message ?? '', /^runtime error in accept call: the call blocked, but the line expects it to return at once/);
  t.is(notBlocking.result.failure?.range?.start.line, 4);
});

test('strict tail fails on a packet after the last event; by default it is only traced', async (t) => {
  const chatty = {
    onInject: (b: Uint8Array, now: number, tgt: ScriptedTarget) => {
      if (isSyn(b)) tgt.send(now + 5000, tcpPacket({ flags: SYN | ACK, seq: 0, ack: 1 }));
    },
  };
  const lax = await runFake(pkt(...LISTEN), chatty);
  t.is(lax.result.status, 'pass');
  t.true(lax.result.trace.some((e) => e.kind === 'outbound'));
  const strict = await runFake(pkt(...LISTEN), chatty, { strictTail: true });
  t.is(strict.result.failure?.message, 'error handling packet: unexpected packet after the last event: > S. 0:0(0) ack 1');
});

test('at the end, pass or fail, resets are injected, the cleanup command runs and the target closes', async (t) => {
  const { FakePackets } = await import('./fakes/fake-packets.js');
  const packets = new FakePackets();
  packets.resets = [tcpPacket({ flags: RST, seq: 1, fromStack: false })];
  const { result, target } = await runFake(pkt('`true`', ...LISTEN, '+0 > S. 0:0(0) ack 1', '`echo cleanup`'), {}, { packets });
  t.is(result.status, 'fail');
  t.is(target.injected.at(-1)!.bytes[33], RST);
  t.deepEqual(target.shells.map((s) => s.command), ['true', 'echo cleanup']);
  t.true(target.closed);
});
