// `mptcpdrill lab`: the remote target's lab as named network namespaces that outlive the
// command. `mptcpdrill-NAME-tester` (A) holds our end of the veth pair, where the remote target
// injects and captures; `mptcpdrill-NAME-stack` (B) holds the stack under test, this machine's
// kernel. Both are `ip netns` names (bind mounts under /run/netns), so the lab holds no process
// of its own, and everything it is made of follows from its name: `down` removes a lab from the
// names alone, also one a crashed or interrupted `up` left half built. The host's namespace is
// never configured (lab-net.ts builds the pair inside A and moves the peer straight into B).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processesInNetns } from '../kernel/netns.js';
import { call, CLONE_NEWNET, O_CLOEXEC, O_RDONLY } from '../kernel/libc.js';
import { errnoName } from '../../sys/symbols.js';
import { buildVethPair, helpersDir, IFACE, LAB, labDefines, PEER_IFACE } from './lab-net.js';
import { CAP_NET_ADMIN, hasCaps } from './remote-target.js';

const CAP_SYS_ADMIN = 21;

/** Making, entering and removing namespaces takes CAP_SYS_ADMIN; links and addresses CAP_NET_ADMIN. */
export const hasLabPrivileges = (): boolean => hasCaps(CAP_SYS_ADMIN, CAP_NET_ADMIN);

const NETNS_DIR = '/run/netns';
const PREFIX = 'mptcpdrill-';
export const DEFAULT_LAB = 'default';
/** Short enough that both namespace names stay readable; letters, digits and dashes. */
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,23}$/;

/** Something the lab cannot do (one sentence); the command exits 2 with it. */
export class LabError extends Error {}

export interface LabNames { name: string; tester: string; stack: string }

export function labNames(name: string): LabNames {
  if (!NAME_RE.test(name)) throw new LabError(`a lab name is 1 to 24 lowercase letters, digits and dashes, starting with a letter or digit, not "${name}"`);
  return { name, tester: `${PREFIX}${name}-tester`, stack: `${PREFIX}${name}-stack` };
}

export type LabState = 'up' | 'partial' | 'down';

export interface LabStatus extends LabNames {
  state: LabState;
  /** What is missing or wrong when `partial`. */
  problems: string[];
  /** Pids of processes in the lab's namespaces (applications a script started in B, a run in A). */
  processes: number[];
  iface: string;
  peerIface: string;
  ours: string[];
  stackAddresses: string[];
  /** The command line that runs FILE against the lab, as words. */
  runCommand: string[];
}

const ip = (args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ipIn = (netns: string) => (args: string[]): void => { ip(['-n', netns, ...args]); };
const netnsPath = (netns: string): string => join(NETNS_DIR, netns);
/** The namespace's id as /proc/PID/ns/net shows it ("net:[INODE]"), or null when there is no such name. */
const netnsId = (netns: string): string | null => {
  try { return `net:[${statSync(netnsPath(netns)).ino}]`; } catch { return null; }
};

/** The words of `mptcpdrill run` against the lab named `name` (FILE last). */
export function runCommandFor(name: string): string[] {
  return ['mptcpdrill', 'run', '--target', 'remote', '--lab', name, 'FILE.pkt'];
}

interface AddrInfo { ifname: string; operstate: string; addr_info?: Array<{ family: string; local: string }> }

/** The interface's state and IPv4 addresses in `netns`, or null when it is not there. */
function linkIn(netns: string, dev: string): { up: boolean; addresses: string[] } | null {
  try {
    const [info] = JSON.parse(ip(['-j', '-n', netns, 'addr', 'show', 'dev', dev])) as AddrInfo[];
    if (!info) return null;
    return { up: info.operstate === 'UP', addresses: (info.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local) };
  } catch {
    return null;
  }
}

export function labStatus(name: string): LabStatus {
  const names = labNames(name);
  const problems: string[] = [];
  const processes: number[] = [];
  let present = 0;
  const sides: Array<[string, string, string[]]> = [[names.tester, IFACE, [LAB.ours, LAB.ours2]], [names.stack, PEER_IFACE, [LAB.stack, LAB.stack2]]];
  const found: string[][] = [];
  for (const [netns, dev, want] of sides) {
    const id = netnsId(netns);
    if (id === null) { problems.push(`namespace ${netns} is missing`); found.push([]); continue; }
    present++;
    processes.push(...processesInNetns(id));
    const link = linkIn(netns, dev);
    if (!link) { problems.push(`${dev} is missing in ${netns}`); found.push([]); continue; }
    found.push(link.addresses);
    if (!link.up) problems.push(`${dev} in ${netns} is not up`);
    for (const a of want) if (!link.addresses.includes(a)) problems.push(`${dev} in ${netns} lacks ${a}`);
  }
  const state: LabState = present === 0 ? 'down' : problems.length === 0 ? 'up' : 'partial';
  return {
    ...names, state, problems: state === 'down' ? [] : problems, processes, iface: IFACE, peerIface: PEER_IFACE,
    ours: found[0]!, stackAddresses: found[1]!, runCommand: runCommandFor(name),
  };
}

/** Names of the labs whose namespaces exist (complete or not). */
export function listLabs(): string[] {
  let entries: string[];
  try { entries = readdirSync(NETNS_DIR); } catch { return []; }
  const names = new Set<string>();
  for (const e of entries) {
    const m = /^mptcpdrill-(.+)-(tester|stack)$/.exec(e);
    if (m && NAME_RE.test(m[1]!)) names.add(m[1]!);
  }
  return [...names].sort();
}

const sleep = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

/** The veth pair between the lab's two namespaces, its addresses, and the stack end's offloads off. */
function wire(names: LabNames): void {
  buildVethPair(ipIn(names.tester), ipIn(names.stack), names.stack);
  execFileSync('ip', ['netns', 'exec', names.stack, 'python3', join(helpersDir(), 'offload.py'), PEER_IFACE], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Both ends up means carrier; IPv4 needs no address settling (no DAD).
  for (let i = 0; i < 200 && !linkIn(names.tester, IFACE)?.up; i++) sleep(10);
}

/**
 * Gives the lab a new stack namespace, as the kernel target gives every script a fresh one: what
 * a script set up there (MPTCP endpoints and limits, sysctls, listeners) must not leak into the
 * next run. The processes in it are ended first; the tester namespace stays.
 */
function freshStack(names: LabNames): void {
  const id = netnsId(names.stack);
  if (id !== null) killProcessesIn(id);
  try { ip(['-n', names.tester, 'link', 'del', IFACE]); } catch { /* not there */ }
  ip(['netns', 'del', names.stack]);
  ip(['netns', 'add', names.stack]);
  wire(names);
}

/** Builds the lab; on any failure removes what it made and throws. */
export function labUp(name: string): LabStatus {
  const names = labNames(name);
  const before = labStatus(name);
  if (before.state !== 'down') {
    throw new LabError(before.state === 'up'
      ? `lab ${name} is already up (mptcpdrill lab status --name ${name})`
      : `lab ${name} is half built (${before.problems[0]}): remove it with mptcpdrill lab down --name ${name}`);
  }
  try {
    ip(['netns', 'add', names.tester]);
    ip(['netns', 'add', names.stack]);
    wire(names);
  } catch (err) {
    labDown(name);
    const e = err as { stderr?: Buffer | string; message: string };
    throw new LabError(`cannot build lab ${name}: ${String(e.stderr ?? '').trim().split('\n')[0] || e.message}`);
  }
  const after = labStatus(name);
  if (after.state !== 'up') {
    labDown(name);
    throw new LabError(`lab ${name} did not come up: ${after.problems.join('; ')}`);
  }
  return after;
}

export interface LabRemoval { removed: string[]; killed: number[] }

/** Removes whatever of the lab exists: its processes (by pid), the pair, both namespaces. */
export function labDown(name: string): LabRemoval {
  const names = labNames(name);
  const killed: number[] = [];
  const removed: string[] = [];
  for (const netns of [names.tester, names.stack]) {
    const id = netnsId(netns);
    if (id === null) continue;
    killed.push(...killProcessesIn(id));
    // Deleting the link removes the pair now, not when the namespace is finally reaped.
    if (netns === names.tester) { try { ip(['-n', netns, 'link', 'del', IFACE]); } catch { /* not there */ } }
    try {
      ip(['netns', 'del', netns]);
    } catch (err) {
      throw new LabError(`cannot remove namespace ${netns}: ${String((err as { stderr?: string }).stderr ?? '').trim() || (err as Error).message}`);
    }
    removed.push(netns);
  }
  return { removed, killed };
}

/** SIGKILLs every process in the namespace, each by its pid, and waits (up to 2 s) until they are gone. */
function killProcessesIn(id: string): number[] {
  const pids = processesInNetns(id);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  for (let i = 0; i < 200 && processesInNetns(id).length > 0; i++) sleep(10);
  return pids;
}

/** Ends the processes a script left in the lab's stack namespace (as the kernel target does after each script). */
export function killLabApps(name: string): void {
  const id = netnsId(labNames(name).stack);
  if (id !== null) killProcessesIn(id);
}

export interface LabRun {
  /** The remote target's flags for this lab. */
  iface: string; remoteIp: string; localIp: string;
  /** IN_STACK, APP, STACK_IP2, OUR_IP2. */
  defines: string[];
}

/**
 * `run --target remote --lab NAME`: renews the lab's stack namespace (freshStack), moves this
 * process's main thread into the tester namespace (setns(2)), where the remote target opens its
 * sockets and capture and starts shell lines, and returns its flags and defines.
 */
export function enterLab(name: string): LabRun {
  const status = labStatus(name);
  if (status.state !== 'up') {
    throw new LabError(status.state === 'down'
      ? `there is no lab ${name}: make it with mptcpdrill lab up --name ${name}`
      : `lab ${name} is half built (${status.problems[0]}): mptcpdrill lab down --name ${name}, then lab up`);
  }
  try {
    freshStack(status);
  } catch (err) {
    throw new LabError(`cannot renew lab ${name}'s stack namespace: ${String((err as { stderr?: string }).stderr ?? '').trim().split('\n')[0] || (err as Error).message}`);
  }
  const fd = call('open', netnsPath(status.tester), O_RDONLY | O_CLOEXEC, 0);
  if (fd.ret < 0) throw new LabError(`cannot open namespace ${status.tester}: ${errnoName(fd.errno)}`);
  const r = call('setns', fd.ret, CLONE_NEWNET);
  call('close', fd.ret);
  if (r.ret < 0) throw new LabError(`cannot enter namespace ${status.tester}: ${errnoName(r.errno)}`);
  return { iface: IFACE, remoteIp: LAB.stack, localIp: LAB.ours, defines: labDefines(`ip netns exec ${status.stack}`) };
}

/** True when `ip netns` can be used here (the lab's one outside requirement besides root). */
export function labToolsMissing(): string | null {
  try { ip(['-V']); } catch { return 'The lab needs the `ip` command: install iproute2.'; }
  if (!existsSync('/proc/sys/net/mptcp')) return 'This kernel has no MPTCP support (no /proc/sys/net/mptcp), so the lab has no stack to test.';
  return null;
}
