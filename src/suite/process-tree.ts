// Ending a job's whole process tree. A script's shell commands (bash, and whatever it starts)
// are children of the process running the script; when that process is stopped they would be
// left running (and, on the kernel target, keep its network namespace alive), so the tree is
// ended from the bottom up. Linux only (/proc), like the kernel target itself.

import { readdirSync, readFileSync } from 'node:fs';

/** Parent of every live process, from /proc/PID/stat (the field after the `(comm)`). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return map;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(pid), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  return map;
}

/** Every descendant of `root`, deepest first. */
export function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const child of byParent.get(pid) ?? []) {
      walk(child);
      out.push(child);
    }
  };
  walk(root);
  return out;
}

/** Sends `signal` to every descendant of `root` (not to root itself). */
export function killDescendants(root: number, signal: NodeJS.Signals = 'SIGKILL'): number {
  const pids = descendants(root);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}
