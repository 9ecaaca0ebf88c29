// `check --target ts` warns, before running, about every shell line that would make the script a
// skip on the bundled stack, without starting a program or writing a file.
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../src/cli/commands/check.js';

const SCRIPT = (dir: string): string => `--tolerance_usecs=100000
\`sysctl -q net.ipv4.tcp_sack=1; touch ${dir}/touched; echo x > ${dir}/written\`

0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    \`tc qdisc add dev tun0 root netem delay 10ms\`
+0    \`nstat -n\`
+0    \`if [ -n "$OPT_LOCAL_IP" ]; then nstat | grep TcpExtTCPLossProbes; fi\`
+0    \`sysctl -q net.ipv4.udp_early_demux=0 net.ipv4.tcp_no_such_key=1 || true\`
+0    close(3) = 0
\`cat /proc/net/netstat > /dev/null\`
`;

test('check --target ts names each line that would skip, and runs nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-preview-'));
  try {
    const file = join(dir, 'preview.pkt');
    writeFileSync(file, SCRIPT(dir));
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCheck(['--json', '--target', 'ts', file], { out: (l) => out.push(l), err: (l) => err.push(l), color: false });
    t.is(code, 0, 'warnings only');
    const found = out.map((l) => JSON.parse(l) as { line: number; code: string; message: string }).filter((d) => d.code === 'ts-skip').map((d) => `${d.line}: ${d.message.replace(/^on the ts target this line makes the script a skip: /, '')}`);
    t.deepEqual(found, [
      '5: tc qdisc add dev tun0 root netem delay 10ms: netem (delay, loss) is not emulated by the TypeScript stack',
      '7: nstat: MIB counters are not modelled by the TypeScript stack',
      '8: sysctl net.ipv4.udp_early_demux=0: the TypeScript stack does not model net.ipv4.udp_early_demux (Linux 6.18 has it; its value here is 1)',
      '10: reading /proc/net/netstat: the TypeScript stack keeps no /proc/net tables or MIB counters',
    ]);
    t.false(existsSync(join(dir, 'touched')), 'no program ran');
    t.false(existsSync(join(dir, 'written')), 'no file was written');
    t.deepEqual(err, ['1 file, 0 errors, 4 warnings']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
