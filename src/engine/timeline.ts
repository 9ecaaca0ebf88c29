// Script time (docs/language.md §5): turns each event's written time into the script time it is due
// at, following upstream's anchoring rule, and computes the tolerance it is judged with.
//
// A relative time adds to the previous event's *script* time only when both events are
// anchored (inbound packets: a run of `+0.01 <` lines stays exactly 10 ms apart); otherwise it
// adds to the *actual* time the previous event completed, so CPU delays in syscalls and
// commands do not pile up into timing errors on later lines.

import type { EventTime, TimePoint } from '../script/ast.js';
import type { Usecs } from '../targets/target.js';

export type Due =
  | { kind: 'point'; at: Usecs }
  | { kind: 'range'; start: Usecs; end: Usecs }
  | { kind: 'any' }
  | { kind: 'blocking'; start: Usecs; end: Usecs };

export interface ToleranceSettings {
  toleranceUsecs: number;
  tolerancePercent: number;
  scale: number;
}

export class Timeline {
  private prevScript: Usecs = 0;
  private prevActual: Usecs = 0;
  private prevAnchored = false;

  constructor(private readonly tol: ToleranceSettings) {}

  /** When the event is due. `anchored`: the event is an inbound packet. */
  due(time: EventTime, anchored: boolean): Due {
    const ref = anchored && this.prevAnchored ? this.prevScript : this.prevActual;
    const point = (p: TimePoint): Usecs => (p.relative ? ref + p.usecs : p.usecs);
    switch (time.kind) {
      case 'point': return { kind: 'point', at: point(time) };
      case 'any': return { kind: 'any' };
      case 'range': return { kind: 'range', start: point(time.start), end: point(time.end) };
      case 'blocking': {
        const start = point(time.start);
        // `+0.1...0.3`: the end counts from the same reference as the start.
        const end = time.start.relative ? ref + time.end.usecs : time.end.relative ? start + time.end.usecs : time.end.usecs;
        return { kind: 'blocking', start, end };
      }
    }
  }

  /** Slack for an event due at `t`: max(tolerance_usecs, percent × gap to the previous event) × scale. */
  tolerance(t: Usecs): Usecs {
    const relative = (this.tol.tolerancePercent / 100) * Math.max(0, t - this.prevScript);
    return Math.max(this.tol.toleranceUsecs, relative) * this.tol.scale;
  }

  /** Records that an event due at `scriptTime` completed at `actual`. */
  complete(scriptTime: Usecs, actual: Usecs, anchored: boolean): void {
    this.prevScript = scriptTime;
    this.prevActual = actual;
    this.prevAnchored = anchored;
  }

  get lastScriptTime(): Usecs {
    return this.prevScript;
  }
}

/** `0.120000`: seconds with microsecond digits, as upstream prints times. */
export function sec(us: Usecs): string {
  return (us / 1e6).toFixed(6);
}

/** Upstream's timing failure sentence. */
export function timingError(what: string, expected: Usecs, actual: Usecs, tolerance: Usecs): string {
  return `timing error: expected ${what} at ${sec(expected)} sec but happened at ${sec(actual)} sec; tolerance ${sec(tolerance)} sec`;
}

/** Same, for a line that gives a window (`1.0~1.2`). */
export function rangeTimingError(what: string, start: Usecs, end: Usecs, actual: Usecs, tolerance: Usecs): string {
  return `timing error: expected ${what} between ${sec(start)} and ${sec(end)} sec but happened at ${sec(actual)} sec; tolerance ${sec(tolerance)} sec`;
}
