// Benchmark of the remote target on the veth lab (scripts/remote/): injection→capture latency
// (a SYN to a closed port, the kernel's RST captured) and the per-script overhead of a run.
// The lab needs its own network and pid namespaces, so the measurement runs in a child under
// `unshare`; needs root.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HARNESS = fileURLToPath(new URL('../remote/harness.js', import.meta.url));

export async function run(): Promise<Record<string, number | string>> {
  const r = spawnSync('unshare', ['--net', '--pid', '--kill-child', '--mount-proc', '--', process.execPath, HARNESS, '--bench'], { encoding: 'utf8', timeout: 300_000 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`the remote benchmark failed: ${r.stderr?.trim() || r.error?.message || `status ${r.status}`}`);
  return JSON.parse(line) as Record<string, number | string>;
}
