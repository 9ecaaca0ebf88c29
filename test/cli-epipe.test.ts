// A reader that goes away early (`mptcpdrill run -v … | head -1`) is no error: the run ends with
// its own status and no stack trace (it was "Error: write EPIPE … Unhandled 'error' event").

import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './helpers/paths.js';

function runThenCloseStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/mptcpdrill.js'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    // As `head -1` does: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a verbose run whose reader left after the first line ends with its own status and no stack trace', async (t) => {
  const r = await runThenCloseStdout(['run', '-v', '--target', 'ts', 'test/scripts/mptcp/join/server-join.pkt']);
  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stderr, /EPIPE|Unhandled|at .*\.js:\d+/);
});

test('so does a suite whose reader left', async (t) => {
  const r = await runThenCloseStdout(['run', '--target', 'ts', 'test/scripts/mptcp/mib']);
  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stderr, /EPIPE|Unhandled|at .*\.js:\d+/);
});
