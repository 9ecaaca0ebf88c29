// Runs .pkt scripts through the remote target against this machine's kernel in namespace B
// (veth-lab.ts). Must itself run in a private namespace A, and best in a private pid namespace
// too, so that everything it started dies with it even on SIGKILL (test/remote-target.test.ts):
//   unshare --net --pid --kill-child --mount-proc -- node harness.js ...
// Prints one JSON line per script: {file,status,failure,...}.
//   node dist/scripts/remote/harness.js [--seed N] [-v] [--announce] FILE...
//   node dist/scripts/remote/harness.js --guard-selftest | --bench
import { readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadScript } from '../../src/script/load.js';
import { prepareRun } from '../../src/engine/prepare.js';
import { runScript, type RunResult } from '../../src/engine/run.js';
import { verboseSink } from '../../src/report/sinks.js';
import { remoteTargetFromFlags } from '../../src/targets/remote/cli-options.js';
import { guardTables, nft, RstGuard } from '../../src/targets/remote/rst-guard.js';
import { labDefines as netDefines } from '../../src/targets/remote/lab-net.js';
import { IFACE, LAB, VethLab } from './veth-lab.js';

export interface HarnessLine {
  file: string;
  status: RunResult['status'];
  failure?: string;
  skipReasons?: string[];
  wallMs: number;
  warnings: string[];
}

export function describeFailure(r: RunResult): string | undefined {
  if (!r.failure) return undefined;
  const line = r.failure.range ? `:${r.failure.range.start.line}` : '';
  return `${r.file}${line}: ${r.failure.message}`;
}

/** Script defines that tell a script how to reach the stack's side (exported to its shell lines too). */
export function labDefines(lab: VethLab): string[] {
  return netDefines(lab.execInB);
}

/** One script against a fresh namespace B, as the kernel target gives each script a fresh namespace. */
export async function runInFreshLab(file: string, seed: number, verbose = false, announce = false): Promise<RunResult> {
  const lab = await VethLab.create();
  if (announce) process.stdout.write(JSON.stringify({ event: 'lab', nsA: readlinkSync('/proc/self/ns/net'), nsB: readlinkSync(lab.netnsPath) }) + '\n');
  try {
    return await runOne(lab, file, seed, verbose);
  } finally {
    lab.close();
  }
}

export async function runOne(lab: VethLab, file: string, seed: number, verbose = false): Promise<RunResult> {
  const setup = remoteTargetFromFlags({ iface: IFACE, remoteIp: LAB.stack, localIp: LAB.ours });
  if (!setup.ok) throw new Error(setup.message);
  const loaded = loadScript(file, { target: 'remote', cli: { ...setup.overrides, define: labDefines(lab) } });
  if (!loaded.options) return { file, status: 'error', warnings: [], scriptEndUs: 0, wallMs: 0, trace: [], failure: { kind: 'script', message: loaded.diagnostics.map((d) => d.message).join('; ') } };
  try {
    return await runScript(loaded, setup.target, prepareRun(loaded.options, 'remote', { seed, onTrace: verbose ? verboseSink((l) => process.stderr.write(l + '\n')) : undefined }));
  } finally {
    lab.killApps();
  }
}

/**
 * The RST guard's life cycle in this namespace: a stale table of a dead process is removed by
 * the next install, ours exists while installed and is gone after remove().
 */
export function guardSelftest(): { stalePresent: boolean; afterInstall: string[]; afterRemove: string[] } {
  const stale = `mptcpdrill_remote_${DEAD_PID}`;
  nft(['add', 'table', 'inet', stale]);
  const stalePresent = guardTables().includes(stale);
  const guard = new RstGuard();
  guard.install('lo', LAB.stack);
  const afterInstall = guardTables();
  guard.remove();
  return { stalePresent, afterInstall, afterRemove: guardTables() };
}

/** Above the kernel's pid_max limit (4194304), so never a live process. */
const DEAD_PID = 4194305;

async function main(argv: string[]): Promise<number> {
  let seed = 1;
  let verbose = false;
  let announce = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seed') seed = Number(argv[++i]);
    else if (argv[i] === '-v') verbose = true;
    else if (argv[i] === '--announce') announce = true;
    else if (argv[i] === '--bench') { const { benchInLab } = await import('./bench-lab.js'); process.stdout.write(JSON.stringify(await benchInLab()) + '\n'); return 0; }
    else if (argv[i] === '--guard-selftest') { process.stdout.write(JSON.stringify(guardSelftest()) + '\n'); return 0; }
    else files.push(argv[i]!);
  }
  for (const file of files) {
    const r = await runInFreshLab(file, seed, verbose, announce);
    const line: HarnessLine = { file, status: r.status, failure: describeFailure(r), skipReasons: r.skipReasons, wallMs: r.wallMs, warnings: r.warnings };
    process.stdout.write(JSON.stringify(line) + '\n');
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
    process.stderr.write(`remote harness: ${err.message}\n`);
    process.exit(2);
  });
}
