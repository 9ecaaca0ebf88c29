// Entry of a suite child process: `node child.js <base64 JobSpec>`. On the kernel target the
// parent starts it under `unshare --net` (reexecInFreshNetns), so each script has a namespace of
// its own that dies with this process. It prints one result line (protocol.ts) and exits.
// `node child.js --kernel-worker` is instead a long-lived kernel worker (kernel-worker.ts), which
// runs script after script, each in a fresh namespace: the suite's default for kernel scripts.

import { WORKER_FLAG } from './kernel-worker.js';
import { killDescendants } from './process-tree.js';
import { decodeSpec, encodeResult } from './protocol.js';
import { runJob } from './run-one.js';
import type { JobReport, JobSpec } from './types.js';

function crash(message: string): JobReport {
  return { status: 'error', wallMs: 0, scriptEndUs: 0, warnings: [], failure: { kind: 'crash', headline: message } };
}

async function childMain(arg: string | undefined): Promise<JobReport> {
  let spec: JobSpec;
  try {
    spec = decodeSpec(arg ?? '');
  } catch {
    return crash('the suite child got no valid job description');
  }
  if (spec.target === 'kernel') {
    const netns = await import('../targets/kernel/netns.js');
    // Never configure a namespace that is not our own fresh one.
    if (!netns.inPrivateNetns()) return crash('the suite child is not in a fresh network namespace');
    netns.dieWithParent();
  }
  try {
    return await runJob(spec);
  } catch (err) {
    return crash(`internal error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

if (process.argv[2] === WORKER_FLAG) {
  // A long-lived kernel worker (kernel-worker.ts), started by the same launcher and bundle.
  void import('./kernel-worker.js').then((m) => m.kernelWorkerMain()).catch((err: unknown) => {
    process.stderr.write(`mptcpdrill kernel worker: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(2);
  });
} else {
  // Stopped by the suite (SIGTERM) or Ctrl-C: end the script's shell commands too, then leave;
  // the namespace goes with the last process in it.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      killDescendants(process.pid);
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    });
  }

  // Not a top-level await: the bundle (scripts/bundle.ts) is CommonJS.
  void childMain(process.argv[2]).then((report) => process.stdout.write(encodeResult(report) + '\n', () => process.exit(0)));
}
