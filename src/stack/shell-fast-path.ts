// The ts target's in-process fast path for shell commands. Nearly every corpus script starts with
// `../common/defaults.sh`: a /bin/sh file of `sysctl -q key=value` lines. Run for real that is a
// bash, an unshare, a dash and one bash per sysctl call (~65 ms), against ~1 ms for the rest of
// the script. When a command is provably nothing but stand-in calls, this runs the TypeScript
// stand-ins (shell-stand-ins.ts) instead and yields exactly what the shell would have.
//
// What it accepts (everything else is left to the real shell):
// - a command line of stand-in calls and script files joined by `;`, `&&`, `||`, with the words
//   shell-words.ts accepts (literals, `$OPT_…` variables, $(dirname "$0") in scripts);
// - script files (by path, no arguments) that are regular, readable, executable files outside
//   noexec mounts, starting with `#!/bin/sh` or `#!/bin/bash`, whose lines are blank, comments,
//   `set -e`, or such command lines;
// - an environment without variables that bash or dash read at start-up (environmentIsInert).
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isStandIn, runStandIn, type StandInFiles, type StandInOutput } from './shell-stand-ins.js';
import { tokenize, type Expansions, type Token } from './shell-words.js';

/** A command: a stand-in call, or a script file run as a child shell. */
export type Command = { kind: 'run'; name: string; args: string[] } | { kind: 'script'; path: string; steps: Step[] };

/** One step of a plan: `set -e`, or an and-or list (`a && b || c`). */
export type Step = { kind: 'errexit' } | { kind: 'andor'; first: Command; rest: { op: '&&' | '||'; command: Command }[] };

/** Printable ASCII and tabs: no byte whose meaning depends on the locale, no \r (comments may hold any). */
const PRINTABLE = /^[\x20-\x7e\t]*$/;

interface Context extends Expansions {
  cwd: string;
  /** The folder of the stand-in executables, first on PATH. */
  standIns: string;
  depth: number;
}

/** Whether the shell would find the stand-in executable `name` in `dir` (PATH's first entry). */
function standInReady(dir: string, name: string): boolean {
  const file = join(dir, name);
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Interpreters whose way of running a file of simple commands the fast path reproduces. */
const SHEBANGS = new Set(['#!/bin/sh', '#!/bin/bash']);

/** How deep script files may call script files before the real shell is left to it. */
const MAX_DEPTH = 8;

/** A command from its words: a stand-in call or a script file; undefined otherwise. */
function planWords(words: string[], ctx: Context): Command | undefined {
  const [name, ...args] = words;
  // A first word with "=" may be an assignment.
  if (name === undefined || name.includes('=')) return undefined;
  if (name.includes('/')) return args.length === 0 ? planFile(name, ctx) : undefined;
  return isStandIn(name) && standInReady(ctx.standIns, name) ? { kind: 'run', name, args } : undefined;
}

/** The steps of one line: and-or lists separated by `;` (one may end the line). */
function planLine(line: string, ctx: Context): Step[] | undefined {
  if (!PRINTABLE.test(line)) return undefined;
  const tokens = tokenize(line, ctx);
  if (!tokens) return undefined;
  const lists: Token[][] = [[]];
  for (const t of tokens) {
    if ('op' in t && t.op === ';') lists.push([]);
    else lists.at(-1)!.push(t);
  }
  if (lists.length > 1 && lists.at(-1)!.length === 0) lists.pop();
  const steps: Step[] = [];
  for (const list of lists) {
    const words = list.map((t) => ('word' in t ? t.word : undefined));
    if (words.length === 2 && words[0] === 'set' && words[1] === '-e') { steps.push({ kind: 'errexit' }); continue; }
    // Commands between the operators.
    const commands: Command[] = [];
    const ops: ('&&' | '||')[] = [];
    let current: string[] = [];
    for (const t of [...list, { op: '&&' as const }]) {
      if ('word' in t) { current.push(t.word); continue; }
      const command = planWords(current, ctx);
      if (!command || t.op === ';') return undefined; // (no ';' here: the lists were split on it)
      commands.push(command);
      ops.push(t.op);
      current = [];
    }
    const [first, ...rest] = commands;
    if (!first) return undefined;
    steps.push({ kind: 'andor', first, rest: rest.map((command, i) => ({ op: ops[i]!, command })) });
  }
  return steps;
}

/** The script file `path` (as invoked, relative to cwd), or undefined. */
function planFile(path: string, ctx: Context): Command | undefined {
  if (ctx.depth >= MAX_DEPTH) return undefined;
  // Joined, not normalised: the kernel resolves `dir/..` through the file system (symbolic links).
  const file = path.startsWith('/') ? path : `${ctx.cwd}/${path}`;
  let text: string;
  try {
    if (!statSync(file).isFile()) return undefined;
    accessSync(file, constants.R_OK | constants.X_OK);
    if (onNoexecMount(realpathSync(file))) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const steps = planScript(text, { ...ctx, dollarZero: path, depth: ctx.depth + 1 });
  return steps ? { kind: 'script', path, steps } : undefined;
}

/** The steps of a script file's text, or undefined when a line is outside the fast path. */
function planScript(text: string, ctx: Context): Step[] | undefined {
  const [first, ...rest] = text.split('\n');
  if (first === undefined || !SHEBANGS.has(first)) return undefined;
  const steps: Step[] = [];
  for (const line of rest) {
    const trimmed = line.replace(/^[ \t]+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const more = planLine(trimmed, ctx);
    if (!more) return undefined;
    steps.push(...more);
  }
  return steps;
}

/**
 * Environment variables that bash or dash read at start-up or that change how a program loads or
 * speaks (BASH_ENV runs a file, SHELLOPTS=xtrace writes to stderr, exported functions replace
 * commands, LD_PRELOAD replaces code): with any of them set the real shell runs.
 */
const SHELL_READS = /^(BASH_ENV|ENV|SHELLOPTS|BASHOPTS|BASH_XTRACEFD|BASH_COMPAT|PS4|IFS|POSIXLY_CORRECT|GLOBIGNORE|CDPATH|LANG|LANGUAGE|NLSPATH|LC_.*|LD_.*|GCONV_PATH|BASH_FUNC_.*)$/;

export function environmentIsInert(env: Record<string, string>): boolean {
  return Object.keys(env).every((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !SHELL_READS.test(k));
}

/**
 * The steps `bash -c command` would take in `cwd` with `env`, whose PATH starts with the folder
 * of the stand-in executables `standIns`, or undefined when the fast path cannot prove them.
 */
export function planCommand(command: string, cwd: string, env: Record<string, string>, standIns: string): Step[] | undefined {
  const path = env['PATH'] ?? '';
  if (!environmentIsInert(env) || path.split(':')[0] !== standIns) return undefined;
  try {
    if (!statSync(cwd).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return planLine(command.replace(/^[ \t]+|[ \t]+$/g, ''), { cwd, env, path, standIns, depth: 0 });
}

let mounts: { point: string; noexec: boolean }[] | undefined;

/** Whether `file` (a real path) lies on a noexec mount, where exec fails with "Permission denied". */
function onNoexecMount(file: string): boolean {
  mounts ??= readFileSync('/proc/self/mounts', 'utf8').split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    return { point: (f[1] ?? '').replace(/\\040/g, ' '), noexec: (f[3] ?? '').split(',').includes('noexec') };
  });
  // The mount holding the file is the one with the longest point; of mounts stacked on one point, the last.
  let holder: { point: string; noexec: boolean } | undefined;
  for (const m of mounts) {
    const inside = m.point === '/' || file === m.point || file.startsWith(`${m.point}/`);
    if (inside && m.point.length >= (holder?.point.length ?? 0)) holder = m;
  }
  return holder?.noexec ?? false;
}

/** Runs planned steps as sh does: outputs in order; under `set -e` a failing list ends it. */
export function runSteps(steps: readonly Step[], files: StandInFiles): StandInOutput {
  const out: StandInOutput = { stdout: '', stderr: '', code: 0 };
  const exec = (c: Command): number => {
    const r = c.kind === 'script' ? runSteps(c.steps, files) : runStandIn(c.name, c.args, files);
    out.stdout += r.stdout;
    out.stderr += r.stderr;
    return r.code;
  };
  let errexit = false;
  for (const step of steps) {
    if (step.kind === 'errexit') { errexit = true; out.code = 0; continue; }
    let status = exec(step.first);
    let last = step.rest.length === 0;
    for (const [i, { op, command }] of step.rest.entries()) {
      if ((op === '&&') !== (status === 0)) continue;
      status = exec(command);
      last = i === step.rest.length - 1;
    }
    out.code = status;
    // `set -e` ignores a failure of any command of an and-or list but the last.
    if (errexit && status !== 0 && last) break;
  }
  return out;
}
