// A tally of named checks: how many times each held, how many times it failed, and the first few
// failures in words, for the report.

const KEPT_FAILURES = 5;

export interface CheckTally {
  passed: number;
  failed: number;
  failures: string[];
}

export class Checks {
  readonly byName = new Map<string, CheckTally>();

  /** Records one check; returns `ok` so a caller can branch on it. */
  check(name: string, ok: boolean, why: () => string): boolean {
    let t = this.byName.get(name);
    if (!t) { t = { passed: 0, failed: 0, failures: [] }; this.byName.set(name, t); }
    if (ok) t.passed++;
    else {
      t.failed++;
      if (t.failures.length < KEPT_FAILURES) t.failures.push(why());
    }
    return ok;
  }

  get passed(): number {
    let n = 0;
    for (const t of this.byName.values()) n += t.passed;
    return n;
  }

  get failed(): number {
    let n = 0;
    for (const t of this.byName.values()) n += t.failed;
    return n;
  }
}
