// Runs one command line (`sh -c TEXT`) in-process, or says why it cannot.
import { resolve } from 'node:path';
import { ShellLimit, Unsupported } from './errors.js';
import type { ShellHost } from './host.js';
import { BufferSink, Input, OutputLimit } from './io.js';
import { assertSupported, initialState, newSession, Shell } from './interpreter.js';
import { loadShellParser, parseShell } from './parse.js';

export interface CommandLine {
  text: string;
  cwd: string;
  env: Record<string, string>;
  /** $$ and $PPID as the line sees them. */
  pid: number;
  ppid: number;
}

export type LineResult = { status: number; stdout: string; stderr: string } | { unsupported: string };

/** Why the text cannot run in-process (before anything ran), or undefined when it can. */
export async function inProcessBlocker(text: string): Promise<string | undefined> {
  await loadShellParser();
  const parsed = parseShell(text);
  if ('error' in parsed) return `the in-process shell cannot parse it (${parsed.error})`;
  // just-bash reads $'…' as bash does; dash prints it literally.
  if (/\$'/.test(text)) return "$'…' quoting";
  try {
    assertSupported(parsed.ast, 'sh');
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
  return undefined;
}

/** Runs the line as `/bin/sh -c` would (dash), with `host` providing files, stand-ins and programs. */
export async function runCommandLine(line: CommandLine, host: ShellHost): Promise<LineResult> {
  const blocker = await inProcessBlocker(line.text);
  if (blocker) return { unsupported: blocker };
  const parsed = parseShell(line.text);
  if ('error' in parsed) return { unsupported: parsed.error };
  const session = newSession(host, line.pid, line.ppid);
  const shell = new Shell(initialState(line.env, resolve(line.cwd), 'sh', '/bin/sh'), session);
  const stdout = new BufferSink(session.output);
  const stderr = new BufferSink(session.output);
  try {
    const status = shell.runTop(parsed.ast.statements, { stdin: new Input(''), stdout, stderr });
    return { status, stdout: stdout.text, stderr: stderr.text };
  } catch (e) {
    if (e instanceof Unsupported) return { unsupported: e.message };
    if (e instanceof ShellLimit || e instanceof OutputLimit) {
      return { status: 2, stdout: stdout.text.slice(0, 65536), stderr: `${stderr.text.slice(0, 65536)}sh: ${e.message}: stopped\n` };
    }
    throw e;
  }
}
