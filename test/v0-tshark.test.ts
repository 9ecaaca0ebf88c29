// The bundled stack's v0 traffic read back by tshark, an independent RFC 6824 implementation: a
// v0 corpus run with --pcap-dir, then tshark's own SHA-1 token and IDSN of every key on the wire
// must be what the stack put in its MP_JOIN SYN and its first DSN, and the versions and the
// ADD_ADDR IPVer must read as v0. (The codec's v0 forms against tshark: wire-tshark.test.ts.)
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/paths.js';
import { tsharkAvailable } from './helpers/tshark.js';

const FIELDS = ['ip.src', 'tcp.options.mptcp.subtype', 'tcp.options.mptcp.version', 'tcp.options.mptcp.sendkey', 'mptcp.expected_token', 'mptcp.expected_idsn', 'tcp.options.mptcp.recvtok', 'tcp.options.mptcp.rawdataseqno', 'tcp.options.mptcp.ipver'] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function tsharkRows(file: string): Row[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=/t', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Object.fromEntries(FIELDS.map((f, i) => [f, line.split('\t')[i] ?? ''])) as Row);
}

/** The captures of `scripts` (relative to the v0 corpus), one per script, by script name. */
async function capture(t: import('ava').ExecutionContext, dir: string, scripts: string[]): Promise<Map<string, Row[]>> {
  const r = await runCli(['run', '--target', 'ts', '--seed', '7', '--pcap-dir', dir, ...scripts.map((s) => join(repoRoot, 'test/v0-scripts', s))]);
  t.is(r.status, 0, r.stdout + r.stderr);
  const files = readdirSync(dir).filter((f) => f.endsWith('.pcap'));
  return new Map(scripts.map((s) => {
    const base = s.split('/').pop()!.replace(/\.pkt$/, '');
    const file = files.find((f) => f.includes(base));
    if (!file) throw new Error(`no capture for ${s} in ${files.join(', ')}`);
    return [s, tsharkRows(join(dir, file))];
  }));
}

// tshark is installed by .ci/run; without it the test is reported as skipped.
const withTshark = tsharkAvailable ? test : test.skip;

withTshark('tshark reads the stack as v0: SHA-1 tokens in its joins, its first DSN = tshark IDSN + 1, IPVer ADD_ADDR', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-v0-tshark-'));
  try {
    const caps = await capture(t, dir, ['join/client-join.pkt', 'join/server-join.pkt']);
    // Client role: the stack's SYN (its key), the script's SYN/ACK (key 3).
    const client = caps.get('join/client-join.pkt')!;
    const [stackSyn, peerSynAck] = client;
    t.like(stackSyn, { 'tcp.options.mptcp.subtype': '0', 'tcp.options.mptcp.version': '0' });
    t.not(stackSyn!['tcp.options.mptcp.sendkey'], '');
    // tshark's own token of key 3 is the reference's (RFC 8684 §3.1).
    t.like(peerSynAck, { 'tcp.options.mptcp.version': '0', 'tcp.options.mptcp.sendkey': '3', 'mptcp.expected_token': '1176331648' });
    const stackIp = stackSyn!['ip.src'];
    const join = client.find((r) => r['ip.src'] === stackIp && r['tcp.options.mptcp.recvtok'] !== '');
    t.is(join?.['tcp.options.mptcp.recvtok'], peerSynAck!['mptcp.expected_token'], "the stack's MP_JOIN SYN carries tshark's v0 token of the peer key");
    const firstData = client.find((r) => r['ip.src'] === stackIp && r['tcp.options.mptcp.rawdataseqno'] !== '');
    t.is(firstData?.['tcp.options.mptcp.rawdataseqno'], (BigInt(stackSyn!['mptcp.expected_idsn']) + 1n).toString(), "the stack's first DSN is tshark's v0 IDSN of its key + 1");
    // Server role: the stack's SYN/ACK and its ADD_ADDR, IPVer 4.
    const server = caps.get('join/server-join.pkt')!;
    t.like(server[1], { 'tcp.options.mptcp.subtype': '0', 'tcp.options.mptcp.version': '0' });
    t.like(server.find((r) => r['tcp.options.mptcp.subtype'] === '3'), { 'tcp.options.mptcp.ipver': '4' });
    const scriptJoin = server.find((r) => r['tcp.options.mptcp.recvtok'] !== '');
    t.is(scriptJoin?.['tcp.options.mptcp.recvtok'], server[1]!['mptcp.expected_token'], 'the join the stack accepted named its key by the v0 token');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
