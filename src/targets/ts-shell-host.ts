// The world the in-process shell (src/shell/) sees on the ts target: the stack's stand-ins for
// the tools that configure a network stack (sysctl, ip, tc, ethtool, … — src/stack/shell-stand-ins.ts),
// /proc/sys/net as the stack's sysctls, the real file system for everything else, and real
// processes for other programs, which find the stand-in executables first on PATH and the stack's
// state in $MPTCPDRILL_STACK_STATE, so a Python helper calling `sysctl` reaches the stack too.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandContext, ShellHost, SpawnResult } from '../shell/host.js';
import type { Sink, Streams } from '../shell/io.js';
import { RealHost } from '../shell/real-host.js';
import { parentDeathPrefix, withDefaultStopSignals } from './process-groups.js';
import { isStandIn, runStandIn, SysctlFile, type StandInFiles } from '../stack/shell-stand-ins.js';

const PROC_SYS_NET = '/proc/sys/net/';

/** Writes the state files the stand-in executables read into `dir`. */
export function writeStandInFiles(dir: string, files: StandInFiles): void {
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), value instanceof SysctlFile ? value.text() : value);
}

/** Files whose contents are the stack's and that it does not keep as Linux does. */
const UNMODELLED_READS: Record<string, string> = {
  '/proc/net/': 'the TypeScript stack keeps no /proc/net tables or MIB counters',
};

function lookupSysctl(files: StandInFiles, key: string): string | undefined {
  return files.sysctl.get(key);
}

const sysctlKey = (path: string): string => path.slice('/proc/sys/'.length).replaceAll('/', '.');

/** As root, other programs run in a private network namespace, so they cannot change the host's network. */
export function isolation(): string[] {
  return process.getuid?.() === 0 && existsSync('/usr/bin/unshare') ? ['/usr/bin/unshare', '--net', '--'] : [];
}

const SUPERVISE = existsSync('/usr/bin/setpriv') && existsSync('/usr/bin/setsid');

/**
 * A supervisor in /bin/sh: starts the program in a process group of its own (setsid) and, when
 * it gets SIGTERM (the time limit of spawnSync, or the parent-death signal setpriv sets: this
 * process died, however) or SIGINT (Ctrl-C reaches it, as it stays in this process's group),
 * kills that whole group; when the program ends, what it left in its group too, so no child of it
 * keeps the output pipes open. Standard input is passed on (an asynchronous list's would be
 * /dev/null).
 */
const SUPERVISOR = `exec 3<&0
setsid -w "$@" <&3 3<&- &
c=$!
exec 3<&-
trap 'kill -9 -$c 2>/dev/null; exit 143' TERM HUP
trap 'kill -9 -$c 2>/dev/null; exit 130' INT
wait $c
s=$?
kill -9 -$c 2>/dev/null
exit $s`;

/**
 * The prefix that makes a program the in-process shell starts (synchronously) end with all it
 * started, at the time limit, on Ctrl-C, and when this process dies. Without setpriv and setsid,
 * only the program itself is killed at the limit, and the call waits for its children.
 */
export function supervised(): string[] {
  if (!SUPERVISE) return [];
  return [...parentDeathPrefix('TERM'), '/bin/sh', '-c', SUPERVISOR, 'mptcpdrill-supervisor'];
}

export class TsShellHost extends RealHost {

  /** Whether anything was applied to the stack (a command that then turns out unsupported cannot be rerun). */
  applied = false;

  /**
   * `files`: the stack's state the stand-ins read and log to; `standInDir`: scripts/stack-bin;
   * `stateDir`: the target's folder for the state files real processes read (made on first use);
   * `apply`: applies log lines to the stack at once (so a later command of the same line sees
   * their effect, as on Linux), returning the error output they cause, and refreshes `files`.
   */
  constructor(private readonly files: StandInFiles, private readonly standInDir: string, private readonly stateDir: () => string, deadline: number, private readonly apply: (log: string) => string, private readonly dryRun = false) {
    super(deadline);
  }

  /** Applies what is left in the log (what file reads and writes recorded); returns its error output. */
  flush(): string {
    return this.settle(0);
  }

  /** Applies what the stand-ins logged since `from` and takes it out of the log. */
  private settle(from: number, io?: Streams): string {
    const added = this.files.log.slice(from);
    if (added === '') return '';
    this.files.log = this.files.log.slice(0, from);
    this.applied = true;
    const errors = this.apply(added);
    io?.stderr.write(errors);
    return errors;
  }

  private unsupported(text: string): void {
    this.files.log += `unsupported\t${text}\n`;
  }

  override command(name: string, args: string[], io: Streams, ctx: CommandContext): number | undefined {
    const done = super.command(name, args, io, ctx);
    if (done !== undefined) return done;
    // Virtual time: a shell line takes no script time on the bundled stack.
    if (name === 'sleep' && args.length > 0 && args.every((a) => /^\d*\.?\d+[smhd]?$/.test(a))) return 0;
    if (name === 'nstat') return this.nstat(args);
    if (!isStandIn(name)) return undefined;
    const from = this.files.log.length;
    const r = runStandIn(name, args, this.files);
    io.stdout.write(r.stdout);
    io.stderr.write(r.stderr);
    this.settle(from, io);
    return r.code;
  }

  /** `nstat -n` (and -r, -z with it) only moves nstat's history file; anything that prints counters needs MIB counters. */
  private nstat(args: string[]): number {
    const flags = args.join('');
    if (args.every((a) => /^-[nrzs]+$/.test(a) || a === '--reset' || a === '--nooutput') && /n|--nooutput/.test(flags)) {
      this.files.log += `note\tnstat ${args.join(' ')}: prints nothing; the TypeScript stack keeps no MIB counters to reset\n`;
      this.settle(0);
      return 0;
    }
    this.unsupported(`${['nstat', ...args].join(' ')}: MIB counters are not modelled by the TypeScript stack`);
    return 0;
  }

  override readFile(path: string): string | { error: string } {
    if (path.startsWith(PROC_SYS_NET)) {
      const value = lookupSysctl(this.files, sysctlKey(path));
      return value === undefined ? { error: 'No such file or directory' } : `${value}\n`;
    }
    for (const [prefix, why] of Object.entries(UNMODELLED_READS)) {
      if (path.startsWith(prefix)) { this.unsupported(`reading ${path}: ${why}`); return ''; }
    }
    return super.readFile(path);
  }

  override openWrite(path: string, append: boolean): Sink | { error: string } {
    if (path.startsWith(PROC_SYS_NET)) {
      const key = sysctlKey(path);
      if (lookupSysctl(this.files, key) === undefined) return { error: 'Directory nonexistent' };
      let text = '';
      return {
        write: (t) => { text += t; },
        // The kernel takes the value when it is written; here, when the redirection ends.
        close: () => {
          if (text === '') return undefined;
          const from = this.files.log.length;
          const r = runStandIn('sysctl', ['-q', `${key}=${text.replace(/\n$/, '')}`], this.files);
          const errors = this.settle(from);
          return r.code === 0 && errors === '' ? undefined : `${r.stderr}${errors}`.trim();
        },
      };
    }
    if (path.startsWith('/proc/') || path.startsWith('/sys/')) {
      this.unsupported(`writing ${path}: only /proc/sys/net is the TypeScript stack's`);
      return { write: () => undefined };
    }
    if (this.dryRun) return { write: () => undefined };
    return super.openWrite(path, append);
  }

  override stat(path: string): ReturnType<ShellHost['stat']> {
    if (path.startsWith(PROC_SYS_NET) && lookupSysctl(this.files, sysctlKey(path)) !== undefined) {
      return { file: true, dir: false, size: 0, executable: false, readable: true, writable: true };
    }
    return super.stat(path);
  }

  override spawn(argv: string[], stdin: string, ctx: CommandContext): SpawnResult {
    // A preview (check --target ts) starts nothing: the program is taken to succeed silently.
    if (this.dryRun) { this.processes++; return { status: 0, stdout: '', stderr: '' }; }
    // The stand-in executables read and log the stack's state through files.
    const dir = this.stateDir();
    writeStandInFiles(dir, { ...this.files, log: '' });
    const env = { ...ctx.env, PATH: `${this.standInDir}:${ctx.env['PATH'] ?? '/usr/bin:/bin'}`, MPTCPDRILL_STACK_STATE: dir };
    // Stopped meanwhile (SIGINT, SIGTERM), this process ends at once, and the supervisor with it.
    const r = withDefaultStopSignals(() => this.spawnWith([...supervised(), ...isolation(), ...argv], stdin, ctx.cwd, env));
    const from = this.files.log.length;
    this.files.log += readFileSync(join(dir, 'log'), 'utf8');
    this.files.sysctl = new SysctlFile(readFileSync(join(dir, 'sysctl'), 'utf8'));
    return { ...r, stderr: r.stderr + this.settle(from) };
  }
}
