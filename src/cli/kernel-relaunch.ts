// `mptcpdrill run --target kernel FILE` runs its script in this very process (src/cli/commands/
// run.ts), which therefore needs the V8 flags of a process that runs kernel scripts
// (src/targets/kernel/node-flags.ts: young generation, no background scavenges, collections on
// the runner's thread). V8 reads them only at start-up, so the launcher (bin/mptcpdrill.js) calls
// relaunchWithKernelNodeFlags() before loading the CLI: the process replaces itself (execve(2))
// with `node <flags> <the same command line>`. Same pid, same descriptors, no parent left
// waiting: signals, exit status and the clean-up after a SIGKILL are those of any run. Costs one
// Node bootstrap (no CLI code was loaded yet); measured against running the file through a
// suite's kernel worker, which pays a Node start and a second load of the CLI bundle for it.
// MPTCPDRILL_KERNEL_FLAGS=0 runs without them.

import { isSingleKernelRun } from './run-invocation.js';
import { hasKernelNodeFlags, KERNEL_NODE_FLAGS } from '../targets/kernel/node-flags.js';

const F_SETFD = 2;

/**
 * Replaces this process with the same command line under KERNEL_NODE_FLAGS when `argv` (after
 * the script's path) is a single-file kernel run started without them. Returns only when it does
 * not (not such a run, flags already there, turned off, or execve failed: the run goes on as is).
 */
export async function relaunchWithKernelNodeFlags(argv: readonly string[]): Promise<void> {
  if (argv[0] !== 'run' || process.env['MPTCPDRILL_KERNEL_FLAGS'] === '0' || hasKernelNodeFlags()) return;
  if (!isSingleKernelRun(argv.slice(1))) return;
  try {
    const { default: koffi } = await import('koffi');
    const libc = koffi.load('libc.so.6');
    const execve = libc.func('int execve(const char *, const char **, const char **)') as (path: string, args: Array<string | null>, env: Array<string | null>) => number;
    // fcntl is variadic; on x86-64 a fixed third argument is passed identically (as libc.ts).
    const fcntl = libc.func('int fcntl(int, int, long)') as (fd: number, cmd: number, arg: number) => number;
    // Node marks its standard descriptors close-on-exec at start-up: the new image would get
    // /dev/null in their place.
    for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 0);
    const args = [process.execPath, ...process.execArgv, ...KERNEL_NODE_FLAGS, process.argv[1]!, ...argv, null];
    const env = [...Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`), null];
    execve(process.execPath, args, env);
  } catch {
    // No koffi here: the run goes on with Node's defaults.
  }
}
