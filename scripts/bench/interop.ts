// Benchmark of `mptcpdrill interop`: the bundled stack against the kernel's MPTCP over a tun
// device (root needed), 5 MB each way, as server and as client, one and two paths. Throughput is payload
// bytes of both directions over the time from the SYN to both apps done, with every packet
// validated and captured (what the command does); with two paths too (ADD_ADDR + MP_JOIN).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/mptcpdrill.js', import.meta.url));
const BYTES = 5_000_000;

/** Throughput of one run, and whether it passed (a failing run still has a throughput to show). */
function once(role: 'server' | 'client', paths: 1 | 2, pcap: string): { MBps: number | string; verdict: string } {
  const r = spawnSync(process.execPath, [BIN, 'interop', '--role', role, '--paths', String(paths), '--bytes', String(BYTES), '--pcap', pcap], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 2 && r.stderr.includes('MP_JOIN')) return { MBps: 'unsupported', verdict: 'the bundled stack has no MP_JOIN yet' };
  const m = / ([\d.]+) MB\/s/.exec(r.stdout);
  const verdict = r.status === 0 ? 'PASS' : `FAIL (exit ${r.status}): ${(r.stdout.split('\n').find((l) => /wrong byte|FAIL |ERROR/.test(l)) ?? r.stderr.trim()).trim()}`;
  return { MBps: m ? Number(m[1]) : 'no throughput in the report', verdict };
}

export async function run(): Promise<Record<string, number | string>> {
  if (process.getuid?.() !== 0) throw new Error('the interop benchmark needs root (a network namespace and a tun device)');
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-interop-'));
  try {
    const out: Record<string, number | string> = { bytesEachWay: BYTES };
    for (const role of ['server', 'client'] as const) {
      for (const paths of [1, 2] as const) {
        const r = once(role, paths, join(dir, `${role}-${paths}.pcap`));
        out[`${role}_${paths}path_MBps`] = r.MBps;
        out[`${role}_${paths}path_verdict`] = r.verdict;
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
