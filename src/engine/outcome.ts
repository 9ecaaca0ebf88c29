// How the runner stops early: a failure of the script (or an error running it), or a skip.
// Thrown inside the event loop, caught once in the runner.

import type { Failure, RunStatus } from './types.js';

export class ScriptFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'ScriptFailure';
  }

  /** 'error' when the script could not be run as written (script or target problem), else 'fail'. */
  get status(): RunStatus {
    return this.failure.kind === 'script' || this.failure.kind === 'target' ? 'error' : 'fail';
  }
}

export class ScriptSkip extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join(' '));
    this.name = 'ScriptSkip';
  }
}
