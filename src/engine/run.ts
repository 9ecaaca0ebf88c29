// runScript: one checked script against one target, start to finish, always leaving the target
// closed. Reusable as is by a suite runner (one call per script and variant).

import { performance } from 'node:perf_hooks';
import type { CheckedScript, Script } from '../script/ast.js';
import { isTargetCall } from '../script/build-syscalls.js';
import { TargetUnavailable, type Target } from '../targets/target.js';
import { ScriptFailure, ScriptSkip } from './outcome.js';
import { Runner } from './runner.js';
import type { Failure, RunOptions, RunResult, RunStatus } from './types.js';

export type { RunOptions, RunResult, Failure, TraceEntry, EngineSettings, RunStatus } from './types.js';

const IPPROTO_MPTCP = 262n;

/** Reasons the target cannot run this script at all (calls it cannot make, no MPTCP). */
export function unsupportedReasons(script: Script, target: Target): string[] {
  const reasons: string[] = [];
  const caps = target.capabilities;
  for (const ev of script.events) {
    const a = ev.action;
    if (a.kind !== 'syscall') continue;
    const where = `${script.file}:${ev.range.start.line}`;
    if (!caps.syscalls) {
      reasons.push(`${where}: the ${target.name} target cannot make system calls.`);
      break;
    }
    if (isTargetCall(a.name) && caps.unsupportedSyscalls.has(a.name)) {
      reasons.push(`${where}: the ${target.name} target cannot perform ${a.name}.`);
    }
    const proto = a.name === 'socket' ? a.args[2] : undefined;
    if (!caps.mptcp && (proto?.kind === 'symbol' || proto?.kind === 'int') && proto.value === IPPROTO_MPTCP) {
      reasons.push(`${where}: the ${target.name} target has no MPTCP.`);
    }
  }
  return reasons;
}

function scriptError(checked: CheckedScript): Failure | undefined {
  const d = checked.diagnostics.find((x) => x.severity === 'error');
  if (d) return { kind: 'script', range: d.range, message: d.message };
  if (!checked.script) return { kind: 'script', message: 'the script could not be parsed' };
  return undefined;
}

export async function runScript(checked: CheckedScript, target: Target, opts: RunOptions): Promise<RunResult> {
  const began = performance.now();
  const result = (status: RunStatus, extra: Partial<RunResult> = {}): RunResult => ({
    file: checked.file, status, warnings: [], scriptEndUs: 0, wallMs: performance.now() - began, trace: [], ...extra,
  });

  const bad = scriptError(checked);
  if (bad || !checked.script) return result('error', { failure: bad });
  const script = checked.script;
  const reasons = unsupportedReasons(script, target);
  if (reasons.length > 0) return result('skip', { skipReasons: reasons });

  try {
    await target.open(opts.settings.net);
  } catch (err) {
    await target.close().catch(() => undefined);
    if (err instanceof TargetUnavailable) return result('skip', { skipReasons: [err.message] });
    return result('error', { failure: { kind: 'target', message: `cannot set up the ${target.name} target: ${errText(err)}` } });
  }

  const runner = new Runner(script, checked.text, target, opts);
  const end: { status: RunStatus; failure?: Failure; skipReasons?: string[] } = { status: 'pass' };
  let pastInit = false;
  const stop = (err: unknown): void => {
    if (err instanceof ScriptSkip) {
      end.status = 'skip';
      end.skipReasons = err.reasons;
    } else if (err instanceof ScriptFailure) {
      end.status = err.status;
      end.failure = err.failure;
    } else {
      end.status = 'error';
      end.failure = { kind: 'target', message: `internal error while running the script: ${errText(err)}` };
    }
  };

  try {
    await runner.init();
    pastInit = true;
    await runner.runEvents();
    await runner.runPython();
  } catch (err) {
    stop(err);
    if (end.failure) end.failure.state ??= runner.connectionState();
  }

  // Clean-up, pass or fail. A problem here fails a passing script and is a warning otherwise.
  const afterwards = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (end.status === 'pass') stop(err);
      else runner.warnings.push(`${what}: ${err instanceof ScriptFailure ? err.failure.message : errText(err)}`);
    }
  };
  await afterwards('resetting open connections', () => runner.injectResets());
  if (pastInit) await afterwards('cleanup command', () => runner.runCleanup());
  await afterwards('closing the target', () => target.close());

  const unmatched = runner.unmatched();
  if (end.failure && unmatched.length > 0) {
    end.failure.state = [...(end.failure.state ?? []), ...unmatched.map((u) => `unmatched packet from the stack: ${u}`)];
  }
  return result(end.status, {
    failure: end.failure, skipReasons: end.skipReasons, warnings: runner.warnings, scriptEndUs: runner.endTime, trace: runner.trace,
  });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
