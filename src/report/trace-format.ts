// One line per trace entry, with its script time: what `-v` prints as the run goes and what a
// failure report shows of the last moments before the failure.

import type { TraceEntry } from '../engine/types.js';
import { sec } from '../engine/timeline.js';

export function formatTraceEntry(e: TraceEntry): string {
  const t = sec(e.time);
  switch (e.kind) {
    case 'inbound': return `${t} inject  ${e.text}${e.line ? `   (line ${e.line})` : '   (reset at end)'}`;
    case 'outbound': {
      const why = !e.testTraffic ? '   (not test traffic, ignored)' : e.line !== undefined ? `   (line ${e.line})` : '';
      return `${t} sniff   ${e.text}${why}`;
    }
    case 'syscall': return `${t} syscall ${e.call}   => returned ${e.result}${e.endTime !== undefined && e.endTime !== e.time ? ` (returned at ${sec(e.endTime)})` : ''}   (line ${e.line})`;
    case 'shell': return `${t} shell   \`${e.command}\` -> status ${e.code}${e.line ? `   (line ${e.line})` : ''}`;
    case 'code': return `${t} python  block at line ${e.line}: ${e.note}`;
    case 'event': return `${t} event   ${e.text}${e.line !== undefined ? `   (line ${e.line})` : '   (unexpected)'}`;
    case 'note': return `${t} note    ${e.text}`;
  }
}

/** The last `count` packet (and path-manager event) entries of a trace (what the stack and the script exchanged last). */
export function lastPackets(trace: readonly TraceEntry[], count: number): TraceEntry[] {
  return trace.filter((e) => e.kind === 'inbound' || e.kind === 'event' || (e.kind === 'outbound' && e.testTraffic)).slice(-count);
}
