// The ts target's in-process fast path for shell commands. Nearly every corpus script starts with
// `../common/defaults.sh`: a /bin/sh file of `sysctl -q key=value` lines. Run for real that is a
// bash, an unshare, a dash and one bash per sysctl call (~65 ms), against ~1 ms for the rest of
// the script. When a command is provably nothing but stand-in calls, this runs the TypeScript
// stand-ins (shell-stand-ins.ts) instead and yields exactly what the shell would have.
//
// What it accepts (everything else is left to the real shell):
// - a command line that is one stand-in called with literal words, or the path of a script file;
// - a script file that is a regular, readable, executable file outside noexec mounts, starting
//   with `#!/bin/sh` or `#!/bin/bash`, whose lines are blank, comments, `set -e`, stand-in calls
//   with literal words, or other such script files (by path, no arguments);
// - literal words: plain characters, '…', "…" without `$`, backquote, backslash or `!`, and the
//   one expansion `"$(dirname "$0")"` (the folder of the running script, as the suites write it),
//   when `dirname` on PATH is coreutils';
// - an environment without variables that bash or dash read at start-up (environmentIsInert).
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isStandIn, runStandIn, type StandInFiles, type StandInOutput } from './shell-stand-ins.js';

/** One step of a plan: a stand-in call, `set -e`, or a script file run as a child shell. */
export type Step =
  | { kind: 'run'; name: string; args: string[] }
  | { kind: 'errexit' }
  | { kind: 'script'; path: string; steps: Step[] };

/** Characters that mean themselves unquoted in both bash and dash, anywhere in a word. */
const PLAIN = /[A-Za-z0-9_.\/:=,+@%-]/;

/** Printable ASCII and tabs: no byte whose meaning depends on the locale, no \r (comments may hold any). */
const PRINTABLE = /^[\x20-\x7e\t]*$/;

/** The folder of the running script, as the suites spell it. */
const SCRIPT_DIR = '"$(dirname "$0")"';

/** What words may expand: `$0`, the path the running script was started by (none at the command line). */
interface Context {
  cwd: string;
  /** PATH as the command sees it (where `dirname` is looked up). */
  path: string;
  dollarZero?: string;
  depth: number;
}

/**
 * Splits one line into words, removing quotes, or returns undefined when the line uses anything
 * but plain characters, '…', "…" without `$`, backquote, backslash or `!`, and, inside a script
 * whose `dirname` is coreutils', "$(dirname "$0")".
 */
export function splitWords(line: string, ctx?: Pick<Context, 'dollarZero' | 'path'>): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '"' && line.startsWith(SCRIPT_DIR, i) && ctx?.dollarZero !== undefined && !ctx.dollarZero.startsWith('-') && dirnameIsCoreutils(ctx.path)) {
      word = (word ?? '') + dirname(ctx.dollarZero);
      i += SCRIPT_DIR.length - 1;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const inner = line.slice(i + 1, end);
      if (c === '"' && /[$`\\!]/.test(inner)) return undefined;
      word = (word ?? '') + inner;
      i = end;
    } else if (PLAIN.test(c)) {
      word = (word ?? '') + c;
    } else return undefined;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** What `$(dirname PATH)` gives with coreutils: dirname(1)'s answer without its newline. */
export function dirname(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  const cut = trimmed.lastIndexOf('/');
  if (cut < 0) return '.';
  const dir = trimmed.slice(0, cut).replace(/\/+$/, '');
  return dir === '' ? '/' : dir;
}

const dirnameCache = new Map<string, boolean>();

/** Whether the first `dirname` on `path` is coreutils' (the one dirname() reproduces). */
function dirnameIsCoreutils(path: string): boolean {
  let known = dirnameCache.get(path);
  if (known === undefined) {
    known = false;
    for (const dir of path.split(':')) {
      // An empty PATH entry is the current folder: leave that to the shell.
      if (!dir.startsWith('/')) break;
      const candidate = join(dir, 'dirname');
      try {
        accessSync(candidate, constants.X_OK);
        if (!statSync(candidate).isFile()) continue;
      } catch {
        continue;
      }
      known = realpathSync(candidate) === '/usr/bin/dirname';
      break;
    }
    dirnameCache.set(path, known);
  }
  return known;
}

/** Interpreters whose way of running a file of simple commands the fast path reproduces. */
const SHEBANGS = new Set(['#!/bin/sh', '#!/bin/bash']);

/** How deep script files may call script files before the real shell is left to it. */
const MAX_DEPTH = 8;

/** A step for one line's words: a stand-in call or a script file; undefined otherwise. */
function commandStep(words: string[], ctx: Context): Step | undefined {
  const [name, ...args] = words;
  if (name === undefined) return undefined;
  if (name.includes('/')) return args.length === 0 ? planFile(name, ctx) : undefined;
  return isStandIn(name) ? { kind: 'run', name, args } : undefined;
}

/** The steps of the script file `path` (as invoked, relative to cwd), or undefined. */
function planFile(path: string, ctx: Context): Step | undefined {
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
export function planScript(text: string, ctx: Context): Step[] | undefined {
  const [first, ...rest] = text.split('\n');
  if (first === undefined || !SHEBANGS.has(first)) return undefined;
  const steps: Step[] = [];
  for (const line of rest) {
    const trimmed = line.replace(/^[ \t]+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!PRINTABLE.test(trimmed)) return undefined;
    const words = splitWords(trimmed, ctx);
    if (!words) return undefined;
    if (words.length === 2 && words[0] === 'set' && words[1] === '-e') { steps.push({ kind: 'errexit' }); continue; }
    const step = commandStep(words, ctx);
    if (!step) return undefined;
    steps.push(step);
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
 * The steps `bash -c command` would take in `cwd` with `path` as PATH, or undefined when the fast
 * path cannot prove them.
 */
export function planCommand(command: string, cwd: string, path: string): Step[] | undefined {
  if (!PRINTABLE.test(command)) return undefined;
  try {
    if (!statSync(cwd).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const words = splitWords(command.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (!words) return undefined;
  const step = commandStep(words, { cwd, path, depth: 0 });
  return step ? [step] : undefined;
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

/** Runs planned steps as sh does: outputs in order; under `set -e` the first failure ends it. */
export function runSteps(steps: readonly Step[], files: StandInFiles): StandInOutput {
  const out: StandInOutput = { stdout: '', stderr: '', code: 0 };
  let errexit = false;
  for (const step of steps) {
    if (step.kind === 'errexit') { errexit = true; out.code = 0; continue; }
    const r = step.kind === 'script' ? runSteps(step.steps, files) : runStandIn(step.name, step.args, files);
    out.stdout += r.stdout;
    out.stderr += r.stderr;
    out.code = r.code;
    if (errexit && r.code !== 0) break;
  }
  return out;
}
