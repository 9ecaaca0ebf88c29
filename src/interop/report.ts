// The short text report of an interop run, and its verdict.
import type { InteropResult } from './run-interop.js';

/** Everything held: both apps got every byte in order, no errors, no failed check. */
export function interopPassed(r: InteropResult): boolean {
  const b = r.options.bytes;
  const appOk = (a: { sent: number; received: number; mismatchAt: number; error: string | null }): boolean =>
    a.error === null && a.sent === b && a.received === b && a.mismatchAt < 0;
  return r.errors.length === 0 && appOk(r.stackApp) && appOk(r.kernelApp) && r.kernelApp.mptcp === true && r.checks.failed === 0;
}

/** Payload throughput: both directions' bytes over the transfer time, in MB/s (10^6 bytes). */
export function throughputMBps(r: InteropResult): number {
  return r.duration > 0 ? (2 * r.options.bytes) / r.duration / 1e6 : 0;
}

export function formatReport(r: InteropResult): string {
  const o = r.options;
  const lines: string[] = [];
  const stackRole = o.role === 'server' ? 'bundled stack = server, kernel connects' : 'bundled stack = client, kernel listens';
  lines.push(`interop: ${stackRole}, ${o.paths} path${o.paths > 1 ? 's' : ''}, ${o.bytes} bytes each way${o.checksum ? ', DSS checksums' : ''}`);
  const app = (name: string, a: { sent: number; received: number; mismatchAt: number; error: string | null }): string =>
    `  ${name}: sent ${a.sent}, received ${a.received}${a.mismatchAt >= 0 ? `, first wrong byte at ${a.mismatchAt}` : ', in order'}${a.error ? ` — ${a.error}` : ''}`;
  lines.push(app('bundled stack', r.stackApp));
  lines.push(app('kernel app   ', r.kernelApp) + (r.kernelApp.mptcp === false ? ' (socket fell back to TCP)' : ''));
  lines.push(`  wire: ${r.packets} packets, ${r.wireBytes} bytes, ${r.duration.toFixed(3)} s, ${throughputMBps(r).toFixed(2)} MB/s (payload, both ways)`);
  if (r.subflows.length > 1) {
    for (const sf of r.subflows) lines.push(`  subflow ${sf.tuple}${sf.join ? ' (MP_JOIN)' : ''}: ${sf.payload} payload bytes`);
  }
  const names = [...r.checks.byName.entries()].map(([n, t]) => `${n} ${t.passed}${t.failed ? `/${t.failed} FAILED` : ''}`);
  lines.push(`  checks: ${r.checks.passed} passed, ${r.checks.failed} failed (${names.join(', ')})`);
  for (const [n, t] of r.checks.byName) for (const f of t.failures) lines.push(`  FAIL ${n}: ${f}`);
  for (const e of r.errors) lines.push(`  ERROR: ${e}`);
  lines.push(`  pcap: ${o.pcap}`);
  lines.push(interopPassed(r) ? 'PASS' : 'FAIL');
  return lines.join('\n') + '\n';
}
