// What the shell needs from the world around it. The interpreter never touches the file system
// or starts a process itself: the host decides (the ts target maps /proc/sys to the stack and
// runs the stack's stand-ins in-process).
import type { Sink, Streams } from './io.js';

export interface SpawnResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CommandContext {
  cwd: string;
  /** The exported environment. */
  env: Record<string, string>;
}

export interface ShellHost {
  /** Runs `name` in-process when the host provides it (a stand-in); undefined: not a host command. */
  command(name: string, args: string[], io: Streams, ctx: CommandContext): number | undefined;
  /** A file's text (absolute path), or the error as `cat` words it (`No such file or directory`). */
  readFile(path: string): string | { error: string };
  /** Whether byte-at-a-time reads of the file end after its first byte (Linux's integer sysctls). */
  readsOneByteOnly(path: string): boolean;
  /** Opens a file for output (absolute path), or the error as sh words it (`Directory nonexistent`). */
  openWrite(path: string, append: boolean): Sink | { error: string };
  /** Metadata for test(1) and command lookup; undefined when the path does not exist. */
  stat(path: string): { file: boolean; dir: boolean; size: number; executable: boolean; readable: boolean; writable: boolean } | undefined;
  /** Directory entries, for pathname expansion. */
  list(dir: string): string[];
  /** A real process: argv[0] is a path. */
  spawn(argv: string[], stdin: string, ctx: CommandContext): SpawnResult;
}
