// A finished command's exit status as sh(1) reports it: its code, or 128 + the number of the
// signal that killed it (`sh -c 'kill -9 $$'` is 137 in dash and bash).
import { constants } from 'node:os';

/** 128 + the signal's number (128 alone for an unknown signal). */
export function signalStatus(signal: NodeJS.Signals | null | undefined): number {
  return 128 + ((signal && constants.signals[signal]) || 0);
}

/** `code`, or, for a process killed by a signal, signalStatus(signal). */
export function exitStatus(code: number | null | undefined, signal: NodeJS.Signals | null | undefined): number {
  return code ?? signalStatus(signal);
}
