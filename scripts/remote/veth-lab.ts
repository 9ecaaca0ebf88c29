// The remote target's test bed on one machine: this process's namespace (A, the tester, made
// by `unshare --net` around it) and a second namespace B holding the kernel under test, joined
// by a veth pair. B is held by netns-holder.py, which dies with this process (PDEATHSIG), so
// nothing outlives a SIGKILL; processes started in B are killed by pid in close().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { processesInNetns } from '../../src/targets/kernel/netns.js';
import { buildVethPair, helpersDir, IFACE, PEER_IFACE } from '../../src/targets/remote/lab-net.js';

export { IFACE, LAB } from '../../src/targets/remote/lab-net.js';

/** scripts/remote/ in the source tree (the .py helpers are not compiled). */
export const HELPERS_DIR = helpersDir();

export { processesInNetns };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export class VethLab {
  private constructor(private readonly holder: ChildProcess, private readonly lines: AsyncIterator<string>, readonly pid: number) {}

  /** The prefix that runs a command in B. */
  get execInB(): string { return `nsenter --net=/proc/${this.pid}/ns/net`; }
  get netnsPath(): string { return `/proc/${this.pid}/ns/net`; }

  static async create(): Promise<VethLab> {
    const holder = spawn('python3', [join(HELPERS_DIR, 'netns-holder.py'), String(process.pid)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: holder.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.value !== 'ready') throw new Error(`the namespace holder failed: ${String(first.value)}`);
    const lab = new VethLab(holder, lines, holder.pid!);
    buildVethPair((args) => sh('ip', args), (args) => sh('nsenter', [`--net=${lab.netnsPath}`, 'ip', ...args]), String(lab.pid));
    return lab.finish();
  }

  private async finish(): Promise<VethLab> {
    this.holder.stdin!.write(`offload-off ${PEER_IFACE}\n`);
    const r = await this.lines.next();
    if (r.value !== 'ok') throw new Error(`cannot turn off offloads on ${PEER_IFACE}: ${String(r.value)}`);
    // Both ends up means carrier; IPv4 needs no address settling (no DAD).
    for (let i = 0; i < 200 && !/\bUP\b/.test(sh('ip', ['-br', 'link', 'show', 'dev', IFACE])); i++) await sleep(10);
    return this;
  }

  /** Pids of processes in B other than the holder (applications the scripts started). */
  pidsInB(): number[] {
    let ns: string;
    try { ns = readlinkSync(this.netnsPath); } catch { return []; }
    return processesInNetns(ns).filter((p) => p !== this.pid);
  }

  /** Ends the applications left in B (each by its pid). */
  killApps(): void {
    for (const pid of this.pidsInB()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }

  close(): void {
    this.killApps();
    // Deleting one end deletes the pair now, rather than when B's namespace is reaped.
    try { sh('ip', ['link', 'del', IFACE]); } catch { /* already gone */ }
    this.holder.stdin?.end();
    this.holder.kill('SIGKILL');
  }
}
