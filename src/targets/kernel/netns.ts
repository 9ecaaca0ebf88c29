// The kernel target's namespaces. A script runs in an anonymous network namespace that the kernel
// deletes, together with the tun device, when its last reference goes (the last thread in it, the
// last socket or tun fd opened in it) — even on SIGKILL. Two ways to get one:
// - enterFreshNetns(): unshare(CLONE_NEWNET) on the calling (main) thread, in-process, no process
//   start. Namespaces are per thread (unshare(2): "unshare the network namespace" applies to the
//   caller): threads that existed before stay where they were, threads started afterwards inherit
//   the new one. The kernel target makes every namespace-dependent call on the main thread
//   (socket(), opening /dev/net/tun and /proc/sys, starting shell lines and python3); its own
//   threads only use descriptors, which belong to the namespace they were opened in.
//   `mptcpdrill run --target kernel FILE` (enterFreshNetnsForThisRun) and each script of a suite's
//   kernel worker (src/suite/kernel-worker.ts) run so.
// - reexecInFreshNetns(): a child process under `unshare --net` (every thread of it inside): the
//   kernel workers themselves, `interop`, and suite children with MPTCPDRILL_KERNEL_WORKERS=0.
// The host namespace is never configured: KernelTarget.open() refuses unless inPrivateNetns().
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { errnoName } from '../../sys/symbols.js';
import { call, CLONE_NEWNET, O_CLOEXEC, O_RDONLY, PR_SET_PDEATHSIG, SIGKILL } from './libc.js';

/** Environment marker set on the re-executed child; its value is the parent's netns id ("net:[4026531833]"). */
export const NETNS_ENV = 'MPTCPDRILL_NETNS';

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

function findInPath(cmd: string): string | null {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const p = join(dir, cmd);
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

const hasCap = (caps: bigint, bit: number): boolean => ((caps >> BigInt(bit)) & 1n) === 1n;

/**
 * Checks that the kernel target can run here. Returns null when it can, else one sentence saying
 * what is missing and how to fix it (the caller prints it and exits with 4, the kselftest skip).
 */
export function preflight(): string | null {
  if (process.platform !== 'linux') return 'The kernel target needs Linux: use --target=ts on this system.';
  const caps = effectiveCaps();
  if (!hasCap(caps, CAP_NET_ADMIN) || !hasCap(caps, CAP_SYS_ADMIN)) {
    return 'The kernel target needs root to create a network namespace and a tun device: run as root or with CAP_NET_ADMIN and CAP_SYS_ADMIN.';
  }
  if (!existsSync('/dev/net/tun')) return 'There is no /dev/net/tun: load the tun driver with `modprobe tun`.';
  if (!existsSync('/proc/sys/net/mptcp')) {
    return 'This kernel has no MPTCP support (no /proc/sys/net/mptcp): boot a kernel built with CONFIG_MPTCP=y.';
  }
  if (!findInPath('unshare')) return 'The `unshare` command is missing: install util-linux.';
  if (!findInPath('ip')) return 'The `ip` command is missing: install iproute2.';
  return null;
}

const netnsOf = (pid: string): string | null => {
  try { return readlinkSync(`/proc/${pid}/ns/net`); } catch { return null; }
};

/** The calling thread's network namespace (threads may differ: see the top of this file). */
const threadNetns = (): string | null => netnsOf('thread-self');

/** The namespace enterFreshNetns() made and the descriptor of the one it left, while inside. */
let entered: { fresh: string; origin: string; originFd: number } | null = null;

/**
 * True when the calling thread sits in a namespace of its own: one enterFreshNetns() made (and
 * the thread has not left), or, in a process re-executed by reexecInFreshNetns, another namespace
 * than the one it was launched from (the marker holds that namespace's id, and the parent's and
 * PID 1's namespaces are compared too when readable: in some containers /proc/1/ns is not). A
 * marker copied into the environment by hand therefore does not pass.
 */
export function inPrivateNetns(): boolean {
  const mine = threadNetns();
  if (mine === null) return false;
  if (entered) return mine === entered.fresh && mine !== entered.origin;
  const launchedFrom = process.env[NETNS_ENV];
  if (!launchedFrom || !/^net:\[\d+\]$/.test(launchedFrom)) return false;
  if (mine === launchedFrom) return false;
  return [netnsOf(String(process.ppid)), netnsOf('1')].every((other) => other === null || other !== mine);
}

/**
 * Moves the calling thread into a new, empty network namespace (only loopback, down) and returns
 * its id. Keeps a descriptor of the namespace it left, for leaveFreshNetns(). Throws with the
 * errno when the kernel refuses (EPERM without CAP_SYS_ADMIN).
 */
export function enterFreshNetns(): string {
  if (entered) throw new Error('enterFreshNetns(): already inside a fresh namespace');
  const origin = threadNetns();
  const fd = call('open', '/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC, 0);
  if (origin === null || fd.ret < 0) throw new Error(`cannot open this thread's network namespace: ${errnoName(fd.errno)}`);
  const r = call('unshare', CLONE_NEWNET);
  const fresh = threadNetns();
  if (r.ret < 0 || fresh === null || fresh === origin) {
    call('close', fd.ret);
    throw new Error(`unshare(CLONE_NEWNET) failed: ${errnoName(r.errno)}`);
  }
  entered = { fresh, origin, originFd: fd.ret };
  return fresh;
}

/**
 * Moves the calling thread back to the namespace enterFreshNetns() left (setns(2)), so that the
 * fresh one dies once its sockets, tun device and processes are gone. No-op when not inside.
 */
export function leaveFreshNetns(): void {
  if (!entered) return;
  const { originFd } = entered;
  const r = call('setns', originFd, CLONE_NEWNET);
  if (r.ret < 0) throw new Error(`setns() back to the original network namespace failed: ${errnoName(r.errno)}`);
  call('close', originFd);
  entered = null;
}

/** The network namespace a thread started by enterFreshNetns() is in, or null when none. */
export function enteredNetns(): string | null {
  return entered?.fresh ?? null;
}

/** Pids of the processes (other than this one) whose main thread sits in network namespace `id`. */
export function processesInNetns(id: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    if (netnsOf(pid) === id) out.push(Number(pid));
  }
  return out;
}

/** Ids of this process's threads that sit in network namespace `id`. */
export function threadsInNetns(id: string): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    if (netnsOf(`self/task/${tid}`) === id) out.push(Number(tid));
  }
  return out;
}

const SIOCGSKNS = 0x894c;

/**
 * This process's descriptors that hold network namespace `id`: its sockets (every socket keeps
 * its namespace alive) and tun devices, asked with SIOCGSKNS (Linux 4.9+), and namespace files.
 */
export function descriptorsInNetns(id: string): number[] {
  const out: number[] = [];
  let fds: string[];
  try { fds = readdirSync('/proc/self/fd'); } catch { return out; }
  for (const name of fds) {
    const fd = Number(name);
    let link: string;
    try { link = readlinkSync(`/proc/self/fd/${name}`); } catch { continue; }
    if (link === id) { out.push(fd); continue; }
    if (!link.startsWith('socket:') && link !== '/dev/net/tun') continue;
    const ns = call('ioctl', fd, SIOCGSKNS, null);
    if (ns.ret < 0) continue;
    const nsLink = (() => { try { return readlinkSync(`/proc/self/fd/${ns.ret}`); } catch { return null; } })();
    call('close', ns.ret);
    if (nsLink === id) out.push(fd);
  }
  return out;
}

const WATCHDOG = `trap '' INT TERM HUP PIPE
cur=-
while IFS= read -r line; do
  exec 3<&-
  cur=$line
  [ "$cur" = - ] && continue
  exec 3</proc/$PPID/ns/net 2>/dev/null || { cur=-; continue; }
  [ "$(readlink /proc/$PPID/ns/net)" = "$cur" ] || { exec 3<&-; cur=-; }
done
[ "$cur" = - ] && exit 0
for i in 1 2 3 4 5 6 7 8 9 10; do
  pids=$(ls -l /proc/[0-9]*/ns/net 2>/dev/null | grep -F -- "-> $cur" | sed 's|.* /proc/\\([0-9]*\\)/ns/net .*|\\1|')
  [ -z "$pids" ] && exit 0
  kill -9 $pids 2>/dev/null
  sleep 0.1
done`;

/**
 * A process that outlives this one to clean up after it: told the namespace a script runs in
 * (watch), it kills every process left in that namespace when this process dies without saying
 * the script is over (watch(null)): SIGKILL, a crash. A script's shell commands run in process
 * groups of their own and nothing else would end them, so they would keep the namespace alive.
 * It is `sh` in a process group of its own (Ctrl-C does not reach it), reading its stdin until
 * EOF, which comes when this process dies (nobody else holds the pipe: libuv's are close-on-exec).
 * While a script runs it holds the namespace open (fd 3, from this process's main thread, which
 * sits in it): a namespace's id is an inode number the kernel gives to the next namespace once
 * the last reference goes, so without that hold the clean-up after a death could find, by the
 * same id, a namespace another script has just made, and kill that script.
 */
export class NetnsWatchdog {
  private constructor(private readonly dog: ChildProcess) {}

  static start(): NetnsWatchdog {
    const dog = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    dog.on('error', () => undefined);
    dog.stdin?.on('error', () => undefined);
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return new NetnsWatchdog(dog);
  }

  get pid(): number | undefined {
    return this.dog.pid;
  }

  /** The namespace to clean up should this process die now; null: none (between scripts). */
  watch(ns: string | null): void {
    this.dog.stdin?.write(`${ns ?? '-'}\n`);
  }

  /** This process is ending cleanly: the watchdog ends too. */
  end(): void {
    this.watch(null);
    this.dog.stdin?.end();
  }
}

/**
 * One run in this very process (`mptcpdrill run --target kernel FILE`): its main thread enters a
 * fresh namespace, with a watchdog started first (from the namespace it leaves: it must not sit in
 * the one it cleans up), so that no second Node process is started for a single script.
 */
export function enterFreshNetnsForThisRun(): string {
  const dog = NetnsWatchdog.start();
  let ns: string;
  try {
    ns = enterFreshNetns();
  } catch (err) {
    dog.end();
    throw err;
  }
  dog.watch(ns);
  process.once('exit', () => dog.end());
  runDog = dog;
  return ns;
}

let runDog: NetnsWatchdog | null = null;

/**
 * A fresh namespace again for this run's main thread (`run --retry-timing`): the one it is in is
 * left (to die with its last descriptor) and the watchdog told.
 */
export function renewFreshNetnsForThisRun(): string {
  if (entered) leaveFreshNetns();
  const ns = enterFreshNetns();
  runDog?.watch(ns);
  return ns;
}

/** Interfaces of this process's network namespace (from /proc/self/net/dev, which follows the namespace). */
export function netnsInterfaces(): string[] {
  try {
    return readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2)
      .map((l) => l.split(':')[0]!.trim()).filter((n) => n !== '');
  } catch {
    return [];
  }
}


/**
 * Runs `process.execPath ...argv` in a fresh anonymous network namespace (`unshare --net`, which
 * execs node directly: the returned child *is* the namespaced node process, so killing it frees
 * the namespace). `env` is passed with the NETNS_ENV marker added. stdio defaults to 'inherit'.
 */
export function reexecInFreshNetns(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  opts: { stdio?: StdioOptions; cwd?: string } = {},
): ChildProcess {
  const unshare = findInPath('unshare') ?? 'unshare';
  return spawn(unshare, ['--net', '--', process.execPath, ...argv], {
    env: { ...env, [NETNS_ENV]: netnsOf('self') ?? 'unknown' },
    stdio: opts.stdio ?? 'inherit',
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
}

/**
 * Re-runs this CLI's `command` with `argv` in a fresh network namespace and resolves to the
 * child's exit status (128 + signal number when it was killed), forwarding Ctrl-C and SIGTERM
 * to it meanwhile. Used by every command that needs a namespace of its own (run, interop).
 */
export async function runCommandInFreshNetns(command: string, argv: string[]): Promise<number> {
  const child = reexecInFreshNetns([process.argv[1]!, command, ...argv]);
  const forward = (signal: NodeJS.Signals) => (): void => { child.kill(signal); };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        process.stderr.write(`mptcpdrill ${command}: cannot start the test namespace: ${err.message}\n`);
        resolve(2);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 2)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/**
 * Makes this (namespaced) process die when its parent does, so an engine that is killed never
 * leaves a namespace with a live test behind. Exits at once if the parent is already gone.
 */
export function dieWithParent(): void {
  const ppid = process.ppid;
  call('prctl', PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (process.ppid !== ppid || process.ppid === 1) process.exit(1);
}
