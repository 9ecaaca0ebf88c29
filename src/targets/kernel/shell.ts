// Shell commands of a script, run with /bin/sh -c inside the namespace (the whole process is in
// it, so children are too). Each command gets its own process group so a timeout, or the
// target's close(), kills the command together with whatever it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { exitStatus } from '../../sys/exit-status.js';
import type { ShellResult } from '../target.js';

export interface ShellOptions { cwd: string; env: Record<string, string>; timeoutMs: number }

/** Exit status reported for a command killed by its timeout (as timeout(1) does). */
export const TIMEOUT_STATUS = 124;

export class ShellRunner {
  private readonly running = new Set<ChildProcess>();

  run(command: string, opts: ShellOptions): Promise<ShellResult> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      this.running.add(child);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timer = setTimeout(() => { timedOut = true; killGroup(child); }, opts.timeoutMs);
      const finish = (code: number, extra = '') => {
        clearTimeout(timer);
        this.running.delete(child);
        const result: ShellResult = { code, stdout, stderr: stderr + extra };
        const warnings = congestionControlWarnings(command, stderr);
        resolve(warnings.length ? { ...result, warnings } : result);
      };
      child.on('error', (e) => finish(127, `${e.message}\n`));
      child.on('close', (code, signal) => {
        if (timedOut) finish(TIMEOUT_STATUS, `command timed out after ${opts.timeoutMs} ms and was killed\n`);
        else finish(exitStatus(code, signal));
      });
    });
  }

  /** Kills every command still running (their whole process groups). */
  killAll(): void {
    for (const c of this.running) killGroup(c);
    this.running.clear();
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

const readProc = (key: string): string => {
  try { return readFileSync(`/proc/sys/net/ipv4/${key}`, 'utf8').trim(); } catch { return ''; }
};

/**
 * A namespace may only pick a default congestion control from tcp_allowed_congestion_control
 * (here: reno bbr), so `sysctl net.ipv4.tcp_congestion_control=cubic` (as the MPTCP suite's
 * defaults.sh does) fails or leaves another algorithm in place. Say so, never silently.
 */
export function congestionControlWarnings(command: string, stderr: string): string[] {
  const asked = /tcp_congestion_control\s*=\s*"?([A-Za-z0-9_]+)/.exec(command)?.[1]
    ?? /echo\s+"?([A-Za-z0-9_]+)"?\s*>\s*\/proc\/sys\/net\/ipv4\/tcp_congestion_control/.exec(command)?.[1];
  const refused = /tcp_congestion_control/.test(stderr);
  const current = readProc('tcp_congestion_control');
  if (!refused && (!asked || asked === current)) return [];
  const allowed = readProc('tcp_allowed_congestion_control');
  const available = readProc('tcp_available_congestion_control');
  const what = asked ? `congestion control "${asked}"` : 'another default congestion control (net.ipv4.tcp_congestion_control)';
  return [
    `The command asked for ${what} but a network namespace may only use the allowed ones (${allowed}; ` +
    `available: ${available}), so connections use "${current}" instead; allow it on the host ` +
    `(net.ipv4.tcp_allowed_congestion_control) or set it per socket with TCP_CONGESTION.`,
  ];
}
