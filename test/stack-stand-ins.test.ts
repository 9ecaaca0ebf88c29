// The stand-ins' two forms — the bash executables of scripts/stack-bin/ and their TypeScript
// mirror in src/stack/shell-stand-ins.ts (the ts target's fast path) — run on the same state and
// the same arguments must print the same stdout and stderr, exit with the same status, write the
// same log and leave the same sysctl state file.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStandIn, NOT_EMULATED, runStandIn, SysctlFile, type StandInFiles } from '../src/stack/shell-stand-ins.js';
import { Sysctls } from '../src/stack/sysctl.js';
import { mulberry32 } from './helpers/mulberry32.js';

const BIN = fileURLToPath(new URL('../../scripts/stack-bin/', import.meta.url));

/** State as the ts target writes it, plus the oddities the readers must agree on. */
function startFiles(): StandInFiles {
  return {
    // A duplicate key (the last wins), a line without "=", an empty line.
    sysctl: new SysctlFile(`${new Sysctls().dump()}net.ipv4.tcp_sack=0\nno-equals-line\n\n`),
    endpoints: '10.0.1.1 id 3 backup \n10.0.2.2 port 9090 id 4 signal dev tun0 \npartial last line',
    limits: 'add_addr_accepted 0 subflows 2 \n',
    addrs: '    inet 192.168.0.1 dev tun0 mtu 1500\n    inet6 2001:db8::1 dev tun0 mtu 1500\n',
    log: '',
  };
}

interface Outcome { stdout: string; stderr: string; code: number; log: string; sysctl: string }

function viaExecutable(name: string, args: string[]): Outcome {
  const dir = mkdtempSync(join(tmpdir(), 'stand-ins-'));
  try {
    for (const [file, text] of Object.entries(startFiles())) writeFileSync(join(dir, file), text instanceof SysctlFile ? text.text() : text);
    const r = spawnSync(join(BIN, name), args, { env: { MPTCPDRILL_STACK_STATE: dir, PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1, log: readFileSync(join(dir, 'log'), 'utf8'), sysctl: readFileSync(join(dir, 'sysctl'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function viaFunction(name: string, args: string[]): Outcome {
  const files = startFiles();
  const r = runStandIn(name, args, files);
  return { ...r, log: files.log, sysctl: files.sysctl.text() };
}

const SYSCTL_WORDS = [
  '-q', '-n', '-e', '-w', '-a', '-A', '-X', '-p', '-pfile', '--load=x.conf', '--system', '--quiet', '--values', '--ignore',
  '--write', '--all', '-qn', '-nqe', '-', '--bogus', '-x=1',
  'net.ipv4.tcp_sack', 'net/ipv4/tcp_sack', 'net.ipv4.tcp_sack=1', 'net.ipv4.tcp_rmem=  4096 540000 15728640',
  'net.ipv4.tcp_rmem = 1 2 3', 'net.ipv4.tcp_rmem=   ', 'net/mptcp/enabled=0', 'net.mptcp.enabled', 'net.made.up',
  'net.made.up=3', '=5', '', 'a=b=c', 'no-equals-line', 'net.ipv4.tcp_congestion_control=reno\tx',
  'net.ipv4.tcp_sack=1\nnet.injected=2', 'net.injected', ' net.ipv4.tcp_ecn=2', 'net.ipv4.tcp_ecn =2', 'net.mptcp.*',
];
const IP_WORDS = [
  '-4', '-6', '-j', '-json', '-d', '-details', '-s', '-br', 'mptcp', 'endpoint', 'endp', 'limits', 'show', 'add', 'del',
  'set', 'flush', 'addr', 'address', 'a', 'link', 'l', 'route', 'r', 'rule', '10.0.0.1', 'id', '3', 'signal', 'dev', 'tun0',
  '', 'mptcp endpoint', 'subflows', '2', 'x\ty',
];
const OTHER_WORDS = ['-K', 'tun0', 'gso', 'off', 'qdisc', 'add', 'netem', 'delay', '10ms', '', 'a b', '-L', 'x\ty', '*'];

/** Fixed cases that reach every branch of each stand-in. */
const FIXED: [string, string[]][] = [
  ['sysctl', []],
  ['sysctl', ['-q', 'net.ipv4.tcp_rmem=4096 540000 15728640', 'net.ipv4.tcp_rmem']],
  ['sysctl', ['-n', 'net.ipv4.tcp_sack', 'net/ipv4/tcp_rmem']],
  ['sysctl', ['-w', 'net.mptcp.checksum_enabled=1', '-a']],
  ['sysctl', ['net.made.up', 'net.ipv4.tcp_sack']],
  ['sysctl', ['-e', 'net.made.up=1', '-q', 'net.other.made.up']],
  ['sysctl', ['-p', '/etc/sysctl.conf', '--system']],
  ['sysctl', ['', '=1', 'no-equals-line']],
  ['sysctl', ['net.ipv4.tcp_ecn= \t2', 'net.ipv4.tcp_ecn', 'net.ipv4. tcp_sack=0', 'net.ipv4. tcp_sack']],
  ['ip', []],
  ['ip', ['mptcp', 'endpoint']],
  ['ip', ['-j', 'mptcp', 'endp', 'show']],
  ['ip', ['mptcp', 'limits']],
  ['ip', ['mptcp', 'limits', 'set', 'subflows', '4']],
  ['ip', ['-6', 'addr']],
  ['ip', ['route', 'show']],
  ['ip', ['mptcp', 'endpoint', '']],
  ['ip', ['mptcp', 'endpoint', 'add', '10.0.0.1', 'id', '3', 'signal']],
  ['tc', ['qdisc', 'add', 'dev', 'tun0', 'root', 'netem', 'delay', '10ms']],
  ['ethtool', ['-K', 'tun0', 'gso', 'off']],
  ...NOT_EMULATED.map((name): [string, string[]] => [name, ['-L', 'a b', '']]),
];

function randomCases(seed: number, count: number): [string, string[]][] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  // Mostly the stand-ins with branches; the rest only log.
  const names = ['sysctl', 'sysctl', 'sysctl', 'sysctl', 'ip', 'ip', 'ip', 'tc', 'ethtool', 'other'];
  const cases: [string, string[]][] = [];
  for (let i = 0; i < count; i++) {
    const drawn = pick(names);
    const name = drawn === 'other' ? pick(NOT_EMULATED) : drawn;
    const words = name === 'sysctl' ? SYSCTL_WORDS : name === 'ip' ? IP_WORDS : OTHER_WORDS;
    cases.push([name, Array.from({ length: Math.floor(rnd() * 6) }, () => pick(words))]);
  }
  return cases;
}

test('every stand-in behaves the same as an executable and as a function', (t) => {
  const cases = [...FIXED, ...randomCases(20261125, 300)];
  const seen = new Set<string>();
  for (const [name, args] of cases) {
    const exe = viaExecutable(name, args);
    t.deepEqual(viaFunction(name, args), exe, `${name} ${JSON.stringify(args)}`);
    if (exe.stdout) seen.add('stdout');
    if (exe.stderr) seen.add('stderr');
    if (exe.code !== 0) seen.add(`status ${exe.code}`);
    for (const line of exe.log.split('\n').filter(Boolean)) seen.add(`log ${line.split('\t')[0]}`);
    if (exe.sysctl !== startFiles().sysctl.text()) seen.add('sysctl written');
  }
  // The cases reach every kind of output, not only silent logging.
  const kinds = ['log ethtool', 'log ip', 'log sysctl', 'log sysctl-unknown', 'log tc', 'log unsupported', 'status 1', 'stderr', 'stdout', 'sysctl written'];
  t.deepEqual(kinds.filter((k) => !seen.has(k)), []);
});

test('the function form knows exactly the stand-ins the folder holds', (t) => {
  const emulated: string[] = [];
  const notEmulated: string[] = [];
  // Copies of not-emulated, not symbolic links: npm pack leaves links out of the package.
  const generic = readFileSync(join(BIN, 'not-emulated'));
  for (const name of readdirSync(BIN)) {
    t.false(lstatSync(join(BIN, name)).isSymbolicLink(), `${name} is a file (a link would not be packed)`);
    if (readFileSync(join(BIN, name)).equals(generic)) notEmulated.push(name);
    else emulated.push(name);
    t.true(isStandIn(name), `${name} has a function form`);
  }
  t.deepEqual([...NOT_EMULATED].sort(), notEmulated.sort());
  t.deepEqual(emulated.sort(), ['ethtool', 'ip', 'sysctl', 'tc']);
  t.false(isStandIn('bash'));
  t.false(isStandIn('echo'));
});
