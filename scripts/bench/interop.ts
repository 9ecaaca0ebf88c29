// Benchmark of `mptcpdrill interop`: the bundled stack against the kernel's MPTCP over a tun
// device (root needed), 5 MB each way, as server and as client, one path. Throughput is payload
// bytes of both directions over the time from the SYN to both apps done, with every packet
// validated and captured (what the command does). Two paths need MP_JOIN in the bundled stack:
// reported as unsupported until it has it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/mptcpdrill.js', import.meta.url));
const BYTES = 5_000_000;

function once(role: 'server' | 'client', paths: 1 | 2, pcap: string): number | string {
  const r = spawnSync(process.execPath, [BIN, 'interop', '--role', role, '--paths', String(paths), '--bytes', String(BYTES), '--pcap', pcap], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 2 && r.stderr.includes('MP_JOIN')) return 'unsupported: the bundled stack has no MP_JOIN yet';
  if (r.status !== 0) return `failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  const m = / ([\d.]+) MB\/s/.exec(r.stdout);
  return m ? Number(m[1]) : 'no throughput in the report';
}

export async function run(): Promise<Record<string, number | string>> {
  if (process.getuid?.() !== 0) throw new Error('the interop benchmark needs root (a network namespace and a tun device)');
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-interop-'));
  try {
    const out: Record<string, number | string> = { bytesEachWay: BYTES };
    for (const role of ['server', 'client'] as const) {
      out[`${role}_1path_MBps`] = once(role, 1, join(dir, `${role}-1.pcap`));
      out[`${role}_2paths_MBps`] = once(role, 2, join(dir, `${role}-2.pcap`));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
