// From a path to a checked script: read the file (an unreadable file is one diagnostic, never a
// throw), parse it, resolve its options, run the semantic checks, and return every diagnostic
// sorted by position. `checkPaths` does the same for files and whole directories of `*.pkt`.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckedScript, Diagnostic, SourceRange } from './ast.js';
import { checkScript } from './check.js';
import { compareDiagnostics } from './diagnostics.js';
import { resolveOptions, type CliOptions, type ScriptOptions } from './options.js';
import { clipMessage, fileTooLarge } from './limits.js';
import { parseScript } from './parse.js';
import type { TargetName } from '../targets/target.js';

export interface LoadOptions {
  target?: TargetName;
  /** Command-line option flags (they override the script's lines; `define` feeds the parser). */
  cli?: CliOptions;
  /** Random source for the default local address. */
  random?: () => number;
}

export interface LoadedScript extends CheckedScript {
  /** Resolved options, when the script parsed. */
  options?: ScriptOptions;
}

const FILE_START: SourceRange = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

function readProblem(file: string, err: unknown): Diagnostic {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : err instanceof Error ? err.message : String(err);
  return { severity: 'error', code: 'unreadable-file', file, range: FILE_START, message: `cannot read ${file}: ${why}` };
}

function definesOf(cli: CliOptions | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = cli?.['define'] ?? cli?.['D'];
  for (const d of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
    const eq = d.indexOf('=');
    if (eq > 0) out[d.slice(0, eq)] = d.slice(eq + 1);
  }
  return out;
}

const factKey = (d: Diagnostic): string => `${d.range.start.offset}:${d.code}`;

/** The checker's diagnostics minus facts the parser already reported (same code, same place). */
function notYetReported(parsed: readonly Diagnostic[], checked: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set(parsed.map(factKey));
  return checked.filter((d) => !seen.has(factKey(d)));
}

/** Parses and checks `text` as the contents of `file`. */
export function checkText(file: string, text: string, opts: LoadOptions = {}): LoadedScript {
  const parsed = parseScript(text, file, { defines: definesOf(opts.cli) });
  const checked: Diagnostic[] = [];
  let options: ScriptOptions | undefined;
  if (parsed.script) {
    options = resolveOptions(parsed.script.options, opts.cli ?? {}, (d) => checked.push(d), { file, random: opts.random });
    checked.push(...checkScript(parsed.script, { target: opts.target, ipVersion: options.ipVersion }));
  }
  for (const d of checked) d.message = clipMessage(d.message);
  const diagnostics = [...parsed.diagnostics, ...notYetReported(parsed.diagnostics, checked)].sort(compareDiagnostics);
  return { file, text, script: parsed.script, options, diagnostics };
}

/** Reads, parses and checks one file. */
export function loadScript(file: string, opts: LoadOptions = {}): LoadedScript {
  let text: string;
  try {
    // A file too large to be a script is refused by its size, before it is read into memory.
    const tooLarge = fileTooLarge(file, statSync(file).size);
    if (tooLarge) return { file, text: '', diagnostics: [tooLarge] };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, text: '', diagnostics: [readProblem(file, err)] };
  }
  return checkText(file, text, opts);
}

/** `*.pkt` files under `dir`, recursively, sorted. */
export function findScripts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.pkt')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Checks every path: a file as given, a directory as all `*.pkt` below it; sorted by path. */
export function checkPaths(paths: readonly string[], opts: LoadOptions = {}): LoadedScript[] {
  const files: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // Unreadable path: loadScript reports it as one diagnostic.
    }
    if (isDir) files.push(...findScripts(p));
    else files.push(p);
  }
  return [...new Set(files)].sort().map((f) => loadScript(f, opts));
}
