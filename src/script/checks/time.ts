// Time rules of docs/language.md §5, checked before anything runs: negative times, a first event
// not at 0, absolute times going backwards (upstream only finds that at run time), backwards
// ranges and blocking calls, and time forms used on actions that cannot carry them.

import type { Event, Script, TimePoint } from '../ast.js';
import { Reporter, seconds } from './report.js';

/** Absolute start of `p` given the reference (previous event's script time). */
function absolute(p: TimePoint, ref: number): number {
  return p.relative ? ref + p.usecs : p.usecs;
}

function isOutboundPacket(e: Event): boolean {
  // An expected path-manager event is timed like a packet the stack sends (§6.5).
  return (e.action.kind === 'packet' && e.action.direction === 'outbound') || e.action.kind === 'pmEvent';
}

export function checkTimes(script: Script, r: Reporter): void {
  // Script time of the previous event; a `*` event keeps the time of the event before it.
  let prev = 0;
  let first = true;
  for (const event of script.events) {
    const t = event.time;
    const where = event.timeRange;
    const points: TimePoint[] = t.kind === 'point' ? [t] : t.kind === 'any' ? [] : [t.start, t.end];
    if (points.some((p) => p.usecs < 0)) {
      r.error('negative-time', where, 'negative time');
      first = false;
      continue;
    }
    if (t.kind === 'any' && !isOutboundPacket(event)) {
      r.error('any-time-not-outbound', where, "'*' (any time) is only allowed on outbound packets");
    }
    if (t.kind === 'range' && !isOutboundPacket(event)) {
      r.error('range-not-outbound', where, 'a time range is only allowed on outbound packets');
    }
    if (t.kind === 'blocking' && event.action.kind !== 'syscall') {
      r.error('blocking-not-syscall', where, "a blocking time ('T...E') is only allowed on system calls");
    }
    let start: number | undefined;
    if (t.kind === 'point') start = absolute(t, prev);
    else if (t.kind === 'range' || t.kind === 'blocking') {
      start = absolute(t.start, prev);
      // `+0.1...0.3` returns 0.3 s after the same reference as its start (§5).
      const end = t.end.relative || t.start.relative ? prev + t.end.usecs : t.end.usecs;
      if (end < start) {
        if (t.kind === 'range') r.error('time-range-backwards', where, 'time range is backwards');
        else r.error('blocking-end-before-start', where, `blocking call returns at ${seconds(end)} sec, before it starts at ${seconds(start)} sec`);
      }
    }
    if (first && start !== undefined && start !== 0) {
      r.error('first-event-not-at-zero', where, 'first event should be at time 0');
    }
    if (start !== undefined) {
      const written = t.kind === 'point' ? t : t.kind === 'any' ? undefined : t.start;
      if (written && !written.relative && start < prev) {
        r.error('time-backwards', where, `time goes backward in script from ${prev} usec to ${start} usec`);
      }
      prev = start;
    }
    first = false;
  }
}
