// The pieces of the bundled stack's loss recovery on their own (issue 18): the SACK scoreboard
// (src/stack/tcp/sack.ts), RACK's loss detection and reordering window (rack.ts), PRR's window
// (prr.ts), the loss probe's timeout (tlp.ts) and undo's evidence (undo.ts), with the numbers
// Linux's tcp_input.c, tcp_recovery.c and tcp_output.c give. The kernel-first scripts of
// test/scripts/tcp/recovery/ check them together against Linux.
import test from 'ava';
import { Prr } from '../src/stack/tcp/prr.js';
import { Rack } from '../src/stack/tcp/rack.js';
import { packetsInFlight, sackTag, scoreboard } from '../src/stack/tcp/sack.js';
import type { InFlight } from '../src/stack/tcp/sock.js';
import { probeTimeoutUs } from '../src/stack/tcp/tlp.js';
import { UndoState } from '../src/stack/tcp/undo.js';

/** Ten 1000-byte segments from sequence 1, sent at `t` (microseconds). */
function flight(t = 0): InFlight[] {
  return Array.from({ length: 10 }, (_, i) => ({ seq: 1 + i * 1000, len: 1000, syn: false, fin: false, sentAt: t, retrans: false, lost: false }));
}

test('sackTag marks only whole segments inside a block, above the cumulative ACK', (t) => {
  const q = flight();
  const r = sackTag(q, [[1001, 2501], [5001, 7001]], 1);
  t.deepEqual(r.newly.map((e) => e.seq), [1001, 5001, 6001]);
  t.false(r.dsack);
  t.deepEqual(scoreboard(q), { sacked: 3, lost: 0, retrans: 0 });
  t.is(packetsInFlight(q), 7);
});

test('a first block below the ACK is a D-SACK and marks nothing', (t) => {
  const q = flight();
  const r = sackTag(q, [[1, 1001], [2001, 3001]], 1001);
  t.true(r.dsack);
  t.deepEqual(r.newly.map((e) => e.seq), [2001]);
});

test('a segment sacked below one sacked before, never resent, is reordering', (t) => {
  const q = flight();
  t.false(sackTag(q, [[5001, 6001]], 1).reordered);
  t.true(sackTag(q, [[2001, 3001], [5001, 6001]], 1).reordered);
});

test('sacking clears lost and resent marks; a lost segment leaves the flight until resent', (t) => {
  const q = flight();
  q[0]!.lost = true;
  q[1]!.rtxOut = true;
  t.is(packetsInFlight(q), 9);
  sackTag(q, [[1001, 2001]], 1);
  t.false(q[1]!.rtxOut);
  t.deepEqual(scoreboard(q), { sacked: 1, lost: 1, retrans: 0 });
  t.is(packetsInFlight(q), 8);
});

test('RACK: no reordering window with three sacked or in recovery, else min_rtt/4 up to SRTT', (t) => {
  const rack = new Rack();
  t.is(rack.reoWnd(false, 3, 100_000, 100_000), 0);
  t.is(rack.reoWnd(true, 1, 100_000, 100_000), 0);
  t.is(rack.reoWnd(false, 2, 100_000, 100_000), 25_000);
  t.is(rack.reoWnd(false, 2, 100_000, 10_000), 10_000);
  rack.reordSeen = true;
  t.is(rack.reoWnd(true, 5, 100_000, 100_000), 25_000);
});

test('RACK marks lost what was sent before the delivered segment once RTT + window passed, and waits otherwise', (t) => {
  const q = flight(0);
  const rack = new Rack();
  sackTag(q, [[3001, 4001]], 1);
  rack.advance(q[3]!, 100_000, 100_000);
  t.is(rack.rttUs, 100_000);
  const wait = rack.detectLoss(q, 100_000, 25_000);
  t.deepEqual(wait.lost, []);
  t.is(wait.waitUs, 25_000);
  // Sent at the same time but later in sequence, 4001.. are not before the sacked segment.
  const now = rack.detectLoss(q, 100_000, 0);
  t.deepEqual(now.lost.map((e) => e.seq), [1, 1001, 2001]);
  q[5]!.sentAt = -1; // sent earlier: before the sacked one
  t.deepEqual(rack.detectLoss(q, 100_000, 0).lost.map((e) => e.seq), [5001]);
});

test('RACK ignores a resent segment acknowledged sooner than min_rtt', (t) => {
  const rack = new Rack();
  const e: InFlight = { seq: 1, len: 1000, syn: false, fin: false, sentAt: 90_000, retrans: true, lost: false };
  rack.advance(e, 100_000, 50_000);
  t.false(rack.advanced);
  rack.advance(e, 200_000, 50_000);
  t.true(rack.advanced);
});

test('PRR: proportional while above ssthresh, slow start below it, the fast retransmit always', (t) => {
  const prr = new Prr();
  prr.start(10);
  // 10 out, 3 sacked, 1 lost: 6 in flight > ssthresh 5; ceil(5 * 1 / 10) = 1 may go.
  t.is(prr.reduce(1, 1, false, 5, 6), 7);
  prr.out = 1;
  // In flight at ssthresh: nothing more.
  t.is(prr.reduce(1, 0, false, 5, 5), 5);
  // One below: one more (min(delta 1, delivered 3 - out 1)).
  t.is(prr.reduce(1, 0, false, 5, 4), 5);
  t.is(prr.reduce(0, 0, false, 5, 4), undefined);
});

test('the probe timeout: 2 SRTT + 2 ms, or + the minimum RTO with one segment, in jiffies, floor 10 ms, never after the RTO', (t) => {
  t.is(probeTimeoutUs(100_000, true, 10, 200_000, 300_000), 204_000);
  t.is(probeTimeoutUs(300_000, true, 1, 200_000, 900_000), 800_000);
  t.is(probeTimeoutUs(100_000, true, 1, 200_000, 300_000), 300_000);
  t.is(probeTimeoutUs(1_000, true, 10, 200_000, 201_000), 12_000);
  t.is(probeTimeoutUs(0, false, 3, 200_000, 3_000_000), 1_000_000);
});

test('undo: a timestamp echo older than the first retransmission, or D-SACKs for every one', (t) => {
  const u = new UndoState();
  u.init(1, 0);
  t.is(u.retrans, -1);
  t.false(u.mayUndo(undefined));
  u.retransmitted(310);
  u.retransmitted(320);
  t.is(u.stamp, 310);
  t.is(u.retrans, 2);
  t.true(u.mayUndo(210));
  t.false(u.mayUndo(310));
  t.false(u.mayUndo(0));
  const q = flight();
  // Below the cumulative ACK: counted in segments of the MSS.
  u.dsack(1, 1001, 5001, 1000, q);
  t.is(u.retrans, 1);
  // Above it: a retransmitted segment it covers.
  q[6]!.retrans = true;
  u.dsack(6001, 7001, 5001, 1000, q);
  t.is(u.retrans, 0);
  t.true(u.mayUndo(undefined));
  u.marker = undefined;
  t.false(u.mayUndo(210));
});
