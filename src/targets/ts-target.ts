// The bundled TypeScript stack as a Target: no root, virtual time, deterministic (seeded).
// Shell commands run in this process (src/shell/, with the world of ts-shell-host.ts): `sysctl`,
// `ip`, `tc`, `ethtool`, … are the stack's stand-ins, /proc/sys/net is the stack's, other programs
// run for real. What they ask of the stack is logged and applied after the command
// (src/stack/shell.ts). A command the in-process shell does not reproduce runs with /bin/sh,
// with the stand-in executables of scripts/stack-bin/ first on PATH, which read the stack's state
// from files this target writes and log the same way.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyShellLog, type ApplyResult } from '../stack/shell.js';
import { runCommandLine } from '../shell/run.js';
import { exitStatus } from '../sys/exit-status.js';
import { adoptGroup, endGroup, watchFolder } from './process-groups.js';
import { withoutShellStartupFiles } from './shell-startup.js';
import { isolation, TsShellHost, writeStandInFiles } from './ts-shell-host.js';
import { SysctlFile, type StandInFiles } from '../stack/shell-stand-ins.js';
import { Stack } from '../stack/socket-api.js';
import { isStackCounter, STACK_COUNTERS } from '../stack/mib.js';
import { PmCommands } from '../stack/mptcp/pm-commands.js';
import { PmEventLog } from '../stack/mptcp/pm-events.js';
import type { PmEvent, PmRequest, PmResult } from './pm.js';
import type { CounterRead, NetworkConfig, SentPacket, ShellResult, SyscallRequest, SyscallResult, Target, TargetCapabilities, Usecs } from './target.js';

let standIns: string | undefined;

/** scripts/stack-bin relative to this module (src/targets or dist/src/targets). */
function standInDir(): string {
  if (standIns === undefined) {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const up = here.includes(`${'dist'}/src/`) ? '../../../' : '../../';
    standIns = join(here, up, 'scripts', 'stack-bin');
  }
  return standIns;
}

export interface TsTargetOptions {
  seed?: number;
  /** Run shell commands in-process (default true; false: always /bin/sh, for comparison). */
  shellFastPath?: boolean;
  /**
   * Preview shell lines without side effects (check --target ts): other programs are not
   * started (taken to succeed silently), files are not written, lines the in-process shell does
   * not run are not run at all. The stack still takes what the stand-ins ask.
   */
  shellDryRun?: boolean;
}

export class TsTarget implements Target {
  readonly name = 'ts' as const;
  readonly stack: Stack;
  readonly capabilities: TargetCapabilities = {
    syscalls: true,
    mptcp: true,
    unsupportedSyscalls: new Set(),
  };
  private stateDir: string | undefined;
  /** Process groups of the /bin/sh lines this target started (killed at close). */
  private readonly groups = new Set<number>();
  private net: NetworkConfig | undefined;
  private readonly fastPath: boolean;
  private pmCommands: PmCommands | undefined;
  private readonly dryRun: boolean;
  /** Shell commands run so far: in-process, or by /bin/sh; and the real processes in-process lines started. */
  readonly shellRuns = { inProcess: 0, bash: 0, processes: 0 };

  constructor(opts: TsTargetOptions = {}) {
    this.stack = new Stack(opts.seed ?? 1);
    this.fastPath = opts.shellFastPath ?? true;
    this.dryRun = opts.shellDryRun ?? false;
  }

  get clock() {
    return this.stack.clock;
  }

  async open(net: NetworkConfig): Promise<void> {
    this.net = net;
    this.stack.host.configure(net);
  }

  syscall(req: SyscallRequest): Promise<SyscallResult> {
    return this.stack.syscall(req);
  }

  async inject(bytes: Uint8Array): Promise<void> {
    this.stack.inject(bytes);
  }

  async receive(deadline: Usecs): Promise<SentPacket | null> {
    const sent = this.stack.host.sent;
    await this.stack.clock.advance(deadline, () => sent.length > 0);
    return sent.shift() ?? null;
  }

  /**
   * The stack's state as the stand-ins read it, with an empty log. The listings are read from the
   * stack when a stand-in shows them, so each command sees what the ones before it left (rendering
   * them after every command was a fifth of an upstream setup script's time).
   */
  private standInFiles(): StandInFiles {
    const h = this.stack.host;
    const stack = this.stack;
    const addrs = (): string => this.addrsFile();
    return {
      sysctl: new SysctlFile({ get: (key) => h.sysctls.exact(key), dump: () => h.sysctls.dump() }),
      get endpoints() { return stack.pm.show(); },
      get limits() { return stack.pm.showLimits(); },
      get addrs() { return addrs(); },
      log: '',
    };
  }

  /** The folder of the state files the stand-in executables read, made on first use. */
  private stateFolder(): string {
    if (this.stateDir === undefined) {
      this.stateDir = mkdtempSync(join(tmpdir(), 'mptcpdrill-ts-'));
      watchFolder(this.stateDir);
    }
    return this.stateDir;
  }

  /** `ip addr show` as the stand-ins print it. */
  private addrsFile(): string {
    const h = this.stack.host;
    const dev = this.net?.device ?? 'tun0';
    return [...h.addresses].map((a) => `    inet${a.includes(':') ? '6' : ''} ${a} dev ${dev} mtu ${h.mtu}\n`).join('');
  }

  /** The stack's counters (src/stack/mib.ts); one Linux has and the stack does not keep is unmodelled. */
  readCounters(names: readonly string[]): CounterRead {
    const values = new Map<string, bigint>();
    const unmodelled = new Map<string, string>();
    for (const n of names) {
      if (isStackCounter(n)) values.set(n, this.stack.host.mib.get(n));
      else unmodelled.set(n, `the TypeScript stack does not keep the MIB counter ${n} (it keeps ${STACK_COUNTERS.join(', ')}).`);
    }
    return { values, unmodelled };
  }

  /** A path-manager command on the stack's path manager (src/stack/mptcp/pm-commands.ts). */
  pmCommand(req: PmRequest): PmResult {
    this.pmCommands ??= new PmCommands(this.stack.pm, (a) => this.stack.host.addresses.add(a));
    const r = this.pmCommands.run(req, (fd) => this.stack.connectionOf(fd));
    this.stack.kick();
    return r;
  }

  /** From now on the stack's path manager records its events (src/stack/mptcp/pm-events.ts). */
  subscribePmEvents(): void {
    this.stack.pm.events ??= new PmEventLog(this.stack.host);
  }

  /** The next event, looking every virtual millisecond (which runs the stack's timers) until `deadline`. */
  async nextPmEvent(deadline: Usecs): Promise<PmEvent | null> {
    const log = this.stack.pm.events;
    if (!log) return null;
    for (;;) {
      this.stack.pm.scanEvents();
      const e = log.queue.shift();
      if (e) return e;
      const now = this.clock.now();
      if (now >= deadline) return null;
      await this.clock.sleepUntil(Math.min(deadline, now + 1000));
    }
  }

  connectionToken(fd: number): number | undefined {
    return this.stack.pm.connectionOf(this.stack.connectionOf(fd))?.mptcp?.local.token;
  }

  async shell(command: string, opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ShellResult> {
    const applied: ApplyResult = { unsupported: [], warnings: [], errors: [], notes: [] };
    const apply = (log: string): string => {
      const r = applyShellLog(this.stack, log);
      applied.unsupported.push(...r.unsupported);
      applied.warnings.push(...r.warnings);
      applied.notes.push(...r.notes);
      return r.errors.map((e) => `${e}\n`).join('');
    };
    let out: { code: number; stdout: string; stderr: string } | undefined;
    let fallback: string | undefined;
    opts = { ...opts, env: withoutShellStartupFiles(opts.env) };
    if (this.fastPath) {
      const files = this.standInFiles();
      const host = new TsShellHost(files, standInDir(), () => this.stateFolder(), Date.now() + opts.timeoutMs, (log) => {
        // Later commands of the line read the state this one left (standInFiles' getters).
        return apply(log);
      }, this.dryRun);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env };
      const r = await runCommandLine({ text: command, cwd: opts.cwd, env, pid: process.pid, ppid: process.pid }, host);
      this.shellRuns.processes += host.processes;
      if (!('unsupported' in r)) {
        out = { code: r.status, stdout: r.stdout, stderr: r.stderr + host.flush() };
        this.shellRuns.inProcess++;
      } else if (host.applied) {
        // Part of the line already changed the stack: running it again would apply that twice.
        return { code: 0, stdout: '', stderr: '', unsupported: [`the in-process shell stopped at ${r.unsupported}, after the line had changed the stack`] };
      } else fallback = r.unsupported;
    }
    if (!out && this.dryRun) return { code: 0, stdout: '', stderr: '', notes: [`not previewed: /bin/sh would run it (${fallback})`] };
    if (!out) {
      this.shellRuns.bash++;
      const dir = this.stateFolder();
      writeStandInFiles(dir, this.standInFiles());
      const path = `${standInDir()}:${opts.env.PATH ?? process.env.PATH ?? '/usr/bin:/bin'}`;
      out = await run(command, opts.cwd, { ...opts.env, PATH: path, MPTCPDRILL_STACK_STATE: dir }, opts.timeoutMs, this.groups);
      out.stderr += apply(readFileSync(join(dir, 'log'), 'utf8'));
    }
    const result: ShellResult = { code: out.code, stdout: out.stdout, stderr: out.stderr };
    if (applied.unsupported.length > 0) result.unsupported = applied.unsupported;
    if (applied.warnings.length > 0) result.warnings = applied.warnings;
    const notes = [...applied.notes, ...(fallback ? [`run by /bin/sh, not in-process: ${fallback}`] : [])];
    if (notes.length > 0) result.notes = notes;
    return result;
  }

  async close(): Promise<void> {
    // What the script's shells left running (`cmd &`) ends with the script.
    for (const g of this.groups) endGroup(g);
    this.groups.clear();
    if (this.stateDir) rmSync(this.stateDir, { recursive: true, force: true });
    this.stateDir = undefined;
  }
}

function run(command: string, cwd: string, env: Record<string, string>, timeoutMs: number, groups: Set<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [exe, ...args] = [...isolation(), '/bin/sh', '-c', command];
    // A process group of its own: the time limit, the target's close and this process's end kill
    // the shell with everything it started (src/targets/process-groups.ts).
    const child = spawn(exe!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) {
      groups.add(child.pid);
      adoptGroup(child.pid);
    }
    let stdout = '';
    let stderr = '';
    let settled = false;
    // Decoded as a stream: a character split across two reads stays whole.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => { stdout += d; });
    child.stderr.on('data', (d: string) => { stderr += d; });
    const finish = (code: number, extra = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr + extra });
    };
    const timer = setTimeout(() => {
      if (child.pid !== undefined) endGroup(child.pid);
      stderr += `command timed out after ${timeoutMs} ms\n`;
    }, Math.max(1, timeoutMs));
    child.on('error', (e) => finish(127, `${e.message}\n`));
    child.on('close', (code, signal) => finish(exitStatus(code, signal)));
    // A child the shell left running in the background may hold the output pipes open: the line
    // ends with the shell (what was read by then is its output).
    child.on('exit', (code, signal) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(exitStatus(code, signal));
      }, 200).unref();
    });
  });
}

export function createTsTarget(opts: TsTargetOptions = {}): Target {
  return new TsTarget(opts);
}
