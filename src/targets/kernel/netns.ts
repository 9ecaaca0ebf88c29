// The kernel target's process model: the engine re-executes itself under `unshare --net`, so the
// whole run (engine + target) lives in an anonymous network namespace that the kernel deletes,
// together with the tun device, when that process exits — even on SIGKILL. The host namespace is
// never configured: KernelTarget.open() refuses to run unless inPrivateNetns() is true.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { call, PR_SET_PDEATHSIG, SIGKILL } from './libc.js';

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

/**
 * True when this process was re-executed by reexecInFreshNetns and really sits in another network
 * namespace than the one it was launched from: the marker holds that namespace's id, and the
 * parent's and PID 1's namespaces are compared too when readable (in some containers /proc/1/ns
 * is not). A marker copied into the environment by hand therefore does not pass.
 */
export function inPrivateNetns(): boolean {
  const launchedFrom = process.env[NETNS_ENV];
  if (!launchedFrom || !/^net:\[\d+\]$/.test(launchedFrom)) return false;
  const mine = netnsOf('self');
  if (mine === null || mine === launchedFrom) return false;
  return [netnsOf(String(process.ppid)), netnsOf('1')].every((other) => other === null || other !== mine);
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
