// Process groups of the shells a target starts, and their end whatever ends this process.
//
// A shell line's /bin/sh runs in a process group of its own (spawn's `detached`), so a time limit
// or the end of the run kills the shell *and* everything it started (a bare SIGKILL of sh leaves
// its children running, holding its output pipes open). The groups are killed when the target
// closes, at this process's exit, and, should this process die without running its exit hooks
// (SIGKILL, or a signal with no handler), by a watchdog: one small detached sh per process that
// learns the groups through a pipe and, when the pipe closes (this process is gone), kills those
// still listed and removes the temporary folders it was told of. Nothing polls.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const WATCHDOG = `
groups=" "
dirs=""
drop() { kept=" "; for g in $groups; do [ "$g" = "$1" ] || kept="$kept$g "; done; groups=$kept; }
while read -r line; do
  case $line in
    +*) groups="$groups\${line#+} " ;;
    -*) drop "\${line#-}" ;;
    d*) dirs="$dirs
\${line#d}" ;;
  esac
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
printf '%s\\n' "$dirs" | while read -r d; do [ -n "$d" ] && [ -d "$d" ] && rm -rf -- "$d"; done
`;

const live = new Set<number>();
let watchdog: ChildProcess | undefined;
let hooked = false;

function tell(line: string): void {
  if (!watchdog) {
    try {
      watchdog = spawn('/bin/sh', ['-c', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      watchdog.on('error', () => { watchdog = undefined; });
      watchdog.stdin!.on('error', () => undefined);
      watchdog.unref();
      (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    } catch {
      watchdog = undefined;
    }
  }
  watchdog?.stdin?.write(`${line}\n`);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const g of live) killGroup(g);
      live.clear();
      // The watchdog sees its pipe close and ends with nothing left to kill.
    });
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * A temporary folder of this process's, removed by the watchdog if this process dies without
 * removing it (a folder already gone is left alone). Names with a line break are not watched.
 */
export function watchFolder(path: string): void {
  if (!/[\n\r]/.test(path)) tell(`d${path}`);
}

/** Starts watching the group led by `pgid` (a child spawned with `detached: true`). */
export function adoptGroup(pgid: number): void {
  live.add(pgid);
  tell(`+${pgid}`);
}

/** Kills the group (whatever is left of it) and stops watching it. */
export function endGroup(pgid: number): void {
  killGroup(pgid);
  if (live.delete(pgid)) tell(`-${pgid}`);
}

const SETPRIV = '/usr/bin/setpriv';
const HAS_SETPRIV = existsSync(SETPRIV);

/**
 * The argv prefix that makes a program get `signal` when this process dies, however it dies
 * (setpriv(1) --pdeathsig: PR_SET_PDEATHSIG, kept across the exec); none without setpriv.
 */
export function parentDeathPrefix(signal: 'KILL' | 'TERM'): string[] {
  return HAS_SETPRIV ? [SETPRIV, '--pdeathsig', signal, '--'] : [];
}

/**
 * Runs `fn` (a synchronous wait for a program: no JavaScript runs meanwhile, so no signal
 * handler either) with SIGINT and SIGTERM at their default action, which ends this process at
 * once; the watchdog above and the program's parent-death signal (parentDeathPrefix) then end what
 * it started. Without this, a handler installed by the suite would wait for the program to end.
 * The handlers come back afterwards.
 */
export function withDefaultStopSignals<T>(fn: () => T): T {
  const saved = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, process.listeners(s)] as const);
  // With its last listener gone, Node closes the signal's handle and libuv puts back SIG_DFL.
  for (const [s, listeners] of saved) if (listeners.length > 0) process.removeAllListeners(s);
  try {
    return fn();
  } finally {
    for (const [s, listeners] of saved) for (const l of listeners) process.on(s, l);
  }
}
