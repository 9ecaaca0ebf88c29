// Splits a shell line into words and list operators for the ts target's fast path
// (shell-fast-path.ts), accepting only what means the same in bash and dash and can be expanded
// here exactly; for anything else it returns undefined and the real shell runs the command.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type Token = { word: string } | { op: ';' | '&&' | '||' };

/** What words may expand to. */
export interface Expansions {
  /** The command's environment: `$OPT_…` (the harness's variables) read from it. */
  env: Record<string, string>;
  /** PATH as the command sees it (where `dirname` is looked up). */
  path: string;
  /** `$0` of the running script file; none at the command line. */
  dollarZero?: string;
}

/** Characters that mean themselves unquoted in both bash and dash, anywhere in a word. */
const PLAIN = /[A-Za-z0-9_.\/:=,+@%-]/;
const PLAIN_WORD = /^[A-Za-z0-9_.\/:=,+@%-]+$/;

/** The folder of the running script, as the suites spell it (inside "…"). */
const SCRIPT_DIR = '$(dirname "$0")';

/**
 * Words and operators (`;`, `&&`, `||`) of one line, quotes removed, or undefined when the line
 * holds anything else than: plain characters; '…'; "…" without backquote, backslash or `!`;
 * `$OPT_NAME` / `${OPT_NAME}` of a variable the environment sets (unquoted only when its value
 * is one plain word, so that no splitting or globbing happens); inside "…" in a script file
 * whose `dirname` is coreutils', $(dirname "$0").
 */
export function tokenize(line: string, x: Expansions): Token[] | undefined {
  const tokens: Token[] = [];
  let word: string | undefined;
  const end = (): void => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') end();
    else if (c === ';') { end(); tokens.push({ op: ';' }); }
    else if ((c === '&' || c === '|') && line[i + 1] === c) { end(); tokens.push({ op: c === '&' ? '&&' : '||' }); i++; }
    else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      word ??= '';
      for (i++; ; i++) {
        if (i >= line.length) return undefined;
        const d = line[i]!;
        if (d === '"') break;
        if (d === '$') {
          const dir = line.startsWith(SCRIPT_DIR, i) ? scriptDir(x) : undefined;
          if (dir !== undefined) { word += dir; i += SCRIPT_DIR.length - 1; continue; }
          const v = variable(line, i, x);
          if (!v) return undefined;
          word += v.value;
          i = v.end - 1;
        } else if (d === '`' || d === '\\' || d === '!') return undefined;
        else word += d;
      }
    } else if (c === '$') {
      const v = variable(line, i, x);
      if (!v || !PLAIN_WORD.test(v.value)) return undefined;
      word = (word ?? '') + v.value;
      i = v.end - 1;
    } else if (PLAIN.test(c)) word = (word ?? '') + c;
    else return undefined;
  }
  end();
  return tokens;
}

/** `$OPT_NAME` or `${OPT_NAME}` at `at`, when the environment sets it; `end` is the index after it. */
function variable(line: string, at: number, x: Expansions): { value: string; end: number } | undefined {
  const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(at));
  const name = m?.[1] ?? m?.[2];
  if (!m || !name || !/^OPT_/.test(name)) return undefined;
  const value = x.env[name];
  return value === undefined ? undefined : { value, end: at + m[0].length };
}

/** What $(dirname "$0") gives in the running script, when that can be known here. */
function scriptDir(x: Expansions): string | undefined {
  return x.dollarZero !== undefined && !x.dollarZero.startsWith('-') && dirnameIsCoreutils(x.path) ? dirname(x.dollarZero) : undefined;
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

/** Whether the first `dirname` on `path` is coreutils' (the one dirname() reproduces). */
function dirnameIsCoreutils(path: string): boolean {
  for (const dir of path.split(':')) {
    // A relative PATH entry depends on the current folder: leave that to the shell.
    if (!dir.startsWith('/')) return false;
    const candidate = join(dir, 'dirname');
    try {
      accessSync(candidate, constants.X_OK);
      if (!statSync(candidate).isFile()) continue;
    } catch {
      continue;
    }
    return realpathSync(candidate) === '/usr/bin/dirname';
  }
  return false;
}
