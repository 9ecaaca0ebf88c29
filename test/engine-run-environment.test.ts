// The environment of shell lines and Python blocks, as packetdrill gives it: PACKETDRILL_PID is
// the process running the script (the parent of the `sh -c` of shell lines), so upstream suite
// helpers that write /tmp/sysctl_restore_${PACKETDRILL_PID}.sh find it again as ${PPID}.
// The kernel half needs root (CI runs as root), like engine-run-kernel.

import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/mptcpdrill.js', import.meta.url));

const SCRIPT = [
  '0   `test "$PACKETDRILL_PID" = "$PPID"`',
  // As google/packetdrill's set_sysctls.py and the scripts that undo it.
  '+0  `echo "exit 0" > /tmp/mptcpdrill_env_restore_${PACKETDRILL_PID}.sh`',
  '+0  `sh /tmp/mptcpdrill_env_restore_${PPID}.sh && rm /tmp/mptcpdrill_env_restore_${PPID}.sh`',
  '+0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0  %{',
  'import os',
  'assert os.environ["PACKETDRILL_PID"] == str(os.getppid()), (os.environ.get("PACKETDRILL_PID"), os.getppid())',
  'assert os.environ["OPT_LOCAL_DEV"] == "tun0", os.environ.get("OPT_LOCAL_DEV")',
  'assert os.environ["MPTCPDRILL_TARGET"] == TARGET_NAME, os.environ.get("MPTCPDRILL_TARGET")',
  '}%',
  '+0  close(3) = 0',
].join('\n') + '\n';

function runCli(t: ExecutionContext, target: string): Promise<{ code: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-env-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'env.pkt');
  writeFileSync(file, SCRIPT.replace('TARGET_NAME', JSON.stringify(target)));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', '--target', target, '--tolerance-scale', '25', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test.serial('kernel: PACKETDRILL_PID is the parent of the shell lines, and Python blocks see it too', async (t) => {
  if (process.getuid?.() !== 0) t.fail('kernel end-to-end tests need root (CI runs them as root)');
  const r = await runCli(t, 'kernel');
  t.is(r.code, 0, r.out);
});

test.serial('ts: the same script passes on the bundled stack', async (t) => {
  const r = await runCli(t, 'ts');
  t.is(r.code, 0, r.out);
});
