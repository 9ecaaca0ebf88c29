// Keeps this host's own RSTs for the spoofed connections off the wire. mptcpdrill plays the
// script's side with raw packets, so the local kernel owns no socket for them: when the stack
// under test answers (SYN/ACK, data), the local kernel would reply with a RST and kill the
// connection. An nftables table of our own drops outgoing TCP RSTs towards the stack's address,
// except the ones mptcpdrill injects itself (they carry socket mark INJECT_MARK, see inject.ts).
//
// Undoing it: the table (one per process, named after the pid) is deleted by remove(), which
// the target's close() calls, and by the SIGINT/SIGTERM/exit handlers installed here. A SIGKILL
// cannot be caught: the next install() deletes tables of processes that no longer run. In CI the
// tester runs in its own network namespace, so the table dies with the namespace anyway.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** SO_MARK value of injected packets ("mptc"). */
export const INJECT_MARK = 0x6d707463;
const TABLE_PREFIX = 'mptcpdrill_remote_';

/**
 * The nftables binary from the system directories: a bare `nft` can resolve to another tool
 * (npm's node_modules/.bin/nft is @vercel/nft when run through npx).
 */
export function nftPath(): string | undefined {
  return ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft', '/bin/nft', '/usr/local/sbin/nft'].find((p) => {
    try { accessSync(p, constants.X_OK); return true; } catch { return false; }
  });
}

export function nft(args: string[], input?: string): string {
  const bin = nftPath();
  if (!bin) throw new Error('nft (nftables) is not installed');
  return execFileSync(bin, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function nftAvailable(): boolean {
  try { return /nftables/.test(nft(['--version'])); } catch { return false; }
}

/** Names of our tables in this namespace (any pid). */
export function guardTables(): string[] {
  let out = '';
  try { out = nft(['list', 'tables', 'inet']); } catch { return []; }
  return [...out.matchAll(new RegExp(`table inet (${TABLE_PREFIX}\\d+)`, 'g'))].map((m) => m[1]!);
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

export class RstGuard {
  readonly table = `${TABLE_PREFIX}${process.pid}`;
  private installed = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.remove();
    // Re-raise with the default action so the process still ends as the signal asks.
    process.off(signal, this.onSignal);
    process.kill(process.pid, signal);
  };
  private readonly onExit = (): void => this.remove();

  /** Installs the drop rule for RSTs from this host to `stackIp` leaving through `iface`. */
  install(iface: string, stackIp: string): void {
    for (const t of guardTables()) {
      const pid = Number(t.slice(TABLE_PREFIX.length));
      if (pid !== process.pid && !alive(pid)) { try { nft(['delete', 'table', 'inet', t]); } catch { /* raced */ } }
    }
    const family = stackIp.includes(':') ? 'ip6' : 'ip';
    nft(['-f', '-'], [
      `table inet ${this.table} {`,
      '  chain out {',
      '    type filter hook output priority 0; policy accept;',
      `    oifname "${iface}" ${family} daddr ${stackIp} tcp flags & rst == rst meta mark != ${INJECT_MARK} drop`,
      '  }',
      '}',
    ].join('\n'));
    this.installed = true;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
  }

  remove(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
    if (!this.installed) return;
    this.installed = false;
    try { nft(['delete', 'table', 'inet', this.table]); } catch { /* already gone */ }
  }
}
