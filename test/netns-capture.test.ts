// Generates real MPTCP traffic between two network namespaces (scripts/capture-real-traffic.sh)
// and checks that our decoder understands all of it. Needs root (CI runs as root).
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkRealCapture } from './helpers/real-capture-check.js';
import { captureScriptPath } from './helpers/paths.js';

const tools = ['ip', 'tcpdump', 'python3', 'unshare', 'nsenter'];
const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const isRoot = process.getuid?.() === 0;
const runnable = isRoot && missing.length === 0;
const title = 'real MPTCP traffic in two namespaces (MP_CAPABLE, ADD_ADDR, MP_JOIN, DSS) decodes, re-encodes and has consistent tokens';

(runnable ? test : test.skip)(title, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-netns-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'real.pcap');
  const { stdout } = await promisify(execFile)(captureScriptPath, [out], { timeout: 60_000 });
  t.regex(stdout, /received 11200 bytes/, 'the transfer completed');
  const summary = checkRealCapture(t, readFileSync(out));
  t.true(summary.keyTokens.size >= 2, 'both keys were seen');
});
