// The plain world of a shell: the real file system and real processes. The ts target's host
// (src/targets/ts-shell-host.ts) builds on it; tests use it to compare the interpreter with dash.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exitStatus } from '../sys/exit-status.js';
import type { CommandContext, ShellHost, SpawnResult } from './host.js';
import type { Sink, Streams } from './io.js';

export function errnoText(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTDIR': return 'Not a directory';
    default: return (e as Error).message;
  }
}

/** dirname(1): the path without its last component. */
export function dirname(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  const cut = trimmed.lastIndexOf('/');
  if (cut < 0) return '.';
  const dir = trimmed.slice(0, cut).replace(/\/+$/, '');
  return dir === '' ? '/' : dir;
}

/** basename(1): the last component, without `suffix` unless that is all of it. */
export function basename(path: string, suffix?: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '' : '/';
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

/** What an integer sysctl (proc_dointvec and kin) reads as: numbers separated by white space. */
export const INTEGER_SYSCTL = /^\s*-?\d+(\s+-?\d+)*\s*$/;

export class RealHost implements ShellHost {
  /** Real processes started. */
  processes = 0;

  /** Deadline for real processes, ms since the epoch. */
  constructor(protected readonly deadline = Date.now() + 180_000) {}

  /**
   * Programs whose output is a function of their arguments and files, run here as coreutils runs
   * them (cat without options, dirname and basename of one path): the common ones in setup
   * scripts, which then start no process.
   */
  command(name: string, args: string[], io: Streams, ctx: CommandContext): number | undefined {
    if (args.some((a) => a.startsWith('-') && a !== '-')) return undefined;
    if (name === 'cat') return this.cat(args, io, ctx.cwd);
    if (name === 'dirname' && args.length === 1) { io.stdout.write(`${dirname(args[0]!)}\n`); return 0; }
    if (name === 'basename' && (args.length === 1 || args.length === 2)) { io.stdout.write(`${basename(args[0]!, args[1])}\n`); return 0; }
    return undefined;
  }

  private cat(args: string[], io: Streams, cwd: string): number {
    let status = 0;
    for (const a of args.length === 0 ? ['-'] : args) {
      if (a === '-') { io.stdout.write(io.stdin.readAll()); continue; }
      const text = this.readFile(resolve(cwd, a));
      if (typeof text === 'string') io.stdout.write(text);
      else { io.stderr.write(`cat: ${a}: ${text.error}\n`); status = 1; }
    }
    return status;
  }

  readFile(path: string): string | { error: string } {
    try {
      if (statSync(path).isDirectory()) return { error: 'Is a directory' };
      return readFileSync(path, 'latin1');
    } catch (e) {
      return { error: errnoText(e) };
    }
  }

  readsOneByteOnly(path: string): boolean {
    if (!path.startsWith('/proc/sys/')) return false;
    const text = this.readFile(path);
    return typeof text === 'string' && INTEGER_SYSCTL.test(text);
  }

  openWrite(path: string, append: boolean): Sink | { error: string } {
    try {
      if (append) appendFileSync(path, '');
      else writeFileSync(path, '');
    } catch (e) {
      const why = errnoText(e);
      return { error: why === 'No such file or directory' ? 'Directory nonexistent' : why };
    }
    return { write: (t) => appendFileSync(path, t, 'latin1') };
  }

  stat(path: string): ReturnType<ShellHost['stat']> {
    try {
      const st = statSync(path);
      const can = (mode: number): boolean => { try { accessSync(path, mode); return true; } catch { return false; } };
      // access(2) only for the permission a caller asks about (a PATH lookup asks one; `test -r` one).
      return {
        file: st.isFile(), dir: st.isDirectory(), size: st.size,
        get executable() { return can(constants.X_OK); },
        get readable() { return can(constants.R_OK); },
        get writable() { return can(constants.W_OK); },
      };
    } catch {
      return undefined;
    }
  }

  list(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  }

  spawn(argv: string[], stdin: string, ctx: CommandContext): SpawnResult {
    return this.spawnWith(argv, stdin, ctx.cwd, ctx.env);
  }

  protected spawnWith(argv: string[], stdin: string, cwd: string, env: Record<string, string>): SpawnResult {
    this.processes++;
    const [exe, ...args] = argv;
    // Standard input from a file, not spawnSync's `input` (a socket pair in libuv): bash -c with a
    // socket on its standard input takes itself for a command of rshd and reads ~/.bashrc.
    const input = stdinFile(stdin);
    let r: SpawnSyncReturns<string>;
    try {
      r = spawnSync(exe!, args, { cwd, env, stdio: [input ?? 'ignore', 'pipe', 'pipe'], encoding: 'latin1', timeout: Math.max(1, this.deadline - Date.now()), maxBuffer: 16 * 1024 * 1024 });
    } finally {
      if (input !== undefined) closeSync(input);
    }
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { status: 124, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${argv[0]}: timed out\n` };
    if (r.error) return { status: 126, stdout: '', stderr: `${argv[0]}: ${r.error.message}\n` };
    return { status: exitStatus(r.status, r.signal), stdout: r.stdout, stderr: r.stderr };
  }
}

let stdinFiles = 0;

/**
 * A descriptor of an unlinked temporary file holding `text` (latin1), read from its start; none
 * for an empty input (the program gets /dev/null).
 */
function stdinFile(text: string): number | undefined {
  if (text === '') return undefined;
  const path = join(tmpdir(), `mptcpdrill-stdin-${process.pid}-${++stdinFiles}`);
  const fd = openSync(path, 'wx+', 0o600);
  try {
    unlinkSync(path);
    const bytes = Buffer.from(text, 'latin1');
    // Written at an explicit position (pwrite): the descriptor's offset stays at 0 for the reader.
    writeSync(fd, bytes, 0, bytes.length, 0);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}
