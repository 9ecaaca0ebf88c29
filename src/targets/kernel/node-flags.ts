// The V8 flags of every process that runs kernel scripts: a suite's kernel workers
// (src/suite/executor.ts starts them with these) and `run --target kernel FILE`, which the
// launcher re-executes with them (src/cli/kernel-relaunch.ts): V8 reads them only at start-up.
//
// A young generation large enough for a script's allocations (a hundred-odd events allocate tens
// of megabytes), collected before each script (src/suite/kernel-worker-warmup.ts collectGarbage)
// and never by a background task meanwhile, so that no scavenge, milliseconds long, lands in a
// timeline; and collections on the runner's own (real-time) thread, which would otherwise wait
// for helper threads a loaded machine does not run (measured: 5-15 ms pauses under load).
// No imports: the launcher reads this before loading the CLI.

export const KERNEL_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=128', '--max-semi-space-size=128', '--no-minor-gc-task', '--single-threaded-gc'];

/** True when this process was started with every one of KERNEL_NODE_FLAGS. */
export function hasKernelNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return KERNEL_NODE_FLAGS.every((f) => execArgv.includes(f));
}
