// What a `mptcpdrill run` command line asks for, from its words alone: one script or a suite,
// which target. Kept free of the CLI's other code: the launcher (bin/mptcpdrill.js, through
// src/cli/kernel-relaunch.ts) reads it before loading anything else.

import { statSync } from 'node:fs';

/** Flags that only the suite runner knows: any of them makes `run` a suite run. */
const SUITE_FLAGS = new Set([
  '-j', '--jobs', '--shard', '--filter', '--ip', '--format', '--junit', '--xfail', '--repeat',
  '--bail', '--keep-going', '--pcap-dir', '--suite', '--timeout', '--ts-processes',
]);

/** Flags of a one-script run that take a value as the next word (which is then no path). */
const VALUE_FLAGS = new Set([
  '--target', '--tolerance-scale', '--seed', '--grace-ms', '--pcap', '--iface', '--remote-ip', '--local-ip', '--lab',
  '--retry-timing', '--diff-ignore', '--diff-check', '-D', '--define',
]);

/** True when argv names several scripts, a folder, or uses a suite flag. */
export function isSuiteInvocation(argv: string[]): boolean {
  if (argv.some((a) => SUITE_FLAGS.has(a.split('=')[0]!) || /^-j\d+$/.test(a))) return true;
  // `--pcap /tmp/out.pcap x.pkt` names one script: an existing capture file is the flag's value.
  const paths = argv.filter((a, i) => !a.startsWith('-') && !VALUE_FLAGS.has(argv[i - 1] ?? '') && statSync(a, { throwIfNoEntry: false }) !== undefined);
  return paths.length > 1 || paths.some((p) => statSync(p).isDirectory());
}

/** The `--target` value on the command line, if any (`--target X` or `--target=X`). */
export function targetFlag(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--target') return argv[i + 1];
    if (a.startsWith('--target=')) return a.slice('--target='.length);
  }
  return undefined;
}

/** `--target ts,kernel`: differential mode (src/differential/). */
export function isDifferential(argv: string[]): boolean {
  return targetFlag(argv)?.includes(',') ?? false;
}

/** `run --target kernel FILE`: one script on the kernel target, in this process (argv after `run`). */
export function isSingleKernelRun(argv: string[]): boolean {
  return targetFlag(argv) === 'kernel' && !isSuiteInvocation(argv);
}
