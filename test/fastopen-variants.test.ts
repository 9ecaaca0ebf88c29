// The Fast Open server scripts under `--ip all` (issue 17): the cookie is SipHash-2-4 of the
// addresses under tcp_fastopen_key (Linux net/ipv4/tcp_fastopen.c, __tcp_fastopen_cookie_gen_cipher),
// so each IP variant has its own. The scripts expect the define TFO_COOKIE, which every variant
// sets for its addresses (src/suite/variants.ts) and the script sets for its own addresses when
// run alone. Every variant must pass on the bundled stack and on the kernel, and a wrong cookie
// given on the command line must fail the cookie's line, so the define is what is checked.
import test from 'ava';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'mptcpdrill.js');

/**
 * Each script and how a wrong TFO_COOKIE shows: the first SYN/ACK that hands out the cookie, or
 * (where the script only sends the cookie) the SYN/ACK that no longer acknowledges the SYN's data.
 */
const SCRIPTS: Array<[string, string]> = [
  ['test/scripts/mptcp/capable/fastopen-server.pkt', ':24:7: error handling packet: live packet field tcp_option_fastopen_cookie: expected: 0123456789abcdef vs actual: 3021b9d889017eeb'],
  ['test/scripts/tcp/options/fastopen-server.pkt', ':27:7: error handling packet: live packet field tcp_option_fastopen_cookie: expected: 0123456789abcdef vs actual: 3021b9d889017eeb'],
  ['test/scripts/tcp/options/fastopen-server-synack-rtx.pkt', ':20:7: error handling packet: live packet field tcp_ack_seq: expected: 101 (0x65) vs actual: 1 (0x1)'],
];

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => resolve({ code, out }));
  });
}

for (const target of ['ts', 'kernel']) {
  for (const [file, failure] of SCRIPTS) {
    test.serial(`${target}: ${file} passes in every --ip variant`, async (t) => {
      if (target === 'kernel' && process.getuid?.() !== 0) return t.fail('the kernel target needs root (CI runs as root)');
      const r = await run(['--target', target, '--ip', 'all', '--format', 'ktap', file]);
      t.is(r.code, 0, r.out);
      for (const variant of ['ipv4', 'ipv4-mapped-ipv6', 'ipv6']) t.regex(r.out, new RegExp(`^ok \\d+ \\S+ \\[${variant}\\]$`, 'm'));
    });

    test.serial(`${target}: ${file} with a wrong TFO_COOKIE on the command line fails`, async (t) => {
      if (target === 'kernel' && process.getuid?.() !== 0) return t.fail('the kernel target needs root (CI runs as root)');
      const r = await run(['--target', target, '-D', 'TFO_COOKIE=0123456789abcdef', file]);
      t.is(r.code, 1, r.out);
      t.true(r.out.includes(file + failure), r.out);
    });
  }
}
