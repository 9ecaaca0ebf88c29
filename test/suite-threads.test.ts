// Bundled-stack suites on runner threads (src/suite/thread-pool.ts): with -j 2 and enough scripts
// the jobs go to worker threads; every script must get the verdict, reason and failure text it
// gets on the main thread, and state must not leak between scripts of one thread.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSuiteCommand } from '../src/suite/cli.js';

const HANDSHAKE = `+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>
`;

/** 24 scripts: passes, failures, a skip, sysctl changes that must stay in their own script, Python. */
function scripts(): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < 6; i++) {
    // Timestamps off in this script only: the next scripts of the same thread must still see them on.
    out[`a${i}-no-ts.pkt`] = `0 \`sysctl -q net.ipv4.tcp_timestamps=0\`\n${HANDSHAKE}+0 > S. 0:0(0) ack 1 <mss 1460, nop, nop, sackOK, nop, wscale 7>\n`;
    out[`b${i}-ts.pkt`] = `0 \`true\`\n${HANDSHAKE}+0 > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 200 ecr 100, nop, wscale 7>\n`;
    out[`c${i}-fail.pkt`] = `${HANDSHAKE}+0 > S. 0:0(0) ack 2 <...>\n`;
    out[`d${i}-python.pkt`] = `${HANDSHAKE}+0 > S. 0:0(0) ack 1 <...>\n+0 %{ assert ${i} == ${i}, 'python ran' }%\n`;
  }
  out['e-skip.pkt'] = '0 `sysctl -q net.ipv4.udp_early_demux=0`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n';
  return out;
}

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runSuiteCommand(['--target', 'ts', '--format', 'ktap', '--seed', '7', ...args], { out: (s) => { out += s; }, err: () => undefined, tty: false, color: false });
  return { code, out };
}

/** Result lines without their timing, in path order. */
function verdicts(ktap: string): string[] {
  return ktap.split('\n').filter((l) => /^(not )?ok \d+ /.test(l) || l.startsWith('# ') && !/^# (target|-j|\d+ runner threads|Totals|\d+ scripts?)/.test(l)).map((l) => l.replace(/\d+\.\d+ s\b/g, 'T'));
}

test('with -j 2 the jobs run on runner threads and give the same verdicts and failure text as on the main thread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'suite-threads-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(scripts())) writeFileSync(join(dir, name), text);
  const serial = await run(['-j', '1', dir]);
  // Threads are used on idle cores only; the variable sets them whatever the machine's load.
  process.env['MPTCPDRILL_THREADS'] = '2';
  t.teardown(() => { delete process.env['MPTCPDRILL_THREADS']; });
  const threaded = await run(['-j', '2', dir]);
  t.regex(threaded.out, /^# 2 runner threads$/m);
  t.false(/runner threads/.test(serial.out));
  t.is(threaded.code, serial.code);
  t.is(serial.code, 1);
  const lines = verdicts(threaded.out);
  t.deepEqual(lines, verdicts(serial.out));
  // Each kind of script came out as it should, whichever thread ran it.
  t.is(lines.filter((l) => /^ok \d+ .*(no-ts|-ts|python)\.pkt$/.test(l)).length, 18);
  t.is(lines.filter((l) => /^not ok \d+ .*-fail\.pkt$/.test(l)).length, 6);
  t.is(lines.filter((l) => /e-skip\.pkt # SKIP .*udp_early_demux/.test(l)).length, 1);
});
