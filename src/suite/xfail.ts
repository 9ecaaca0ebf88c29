// The expected-failure list (`--xfail FILE`, and `xfail.txt` in a suite folder given on the
// command line). One entry a line; `#` starts a comment; blank lines are ignored:
//
//   PATH-GLOB  [QUALIFIER...]  [REASON...]
//
//   mptcp/join/bad-hmac.pkt          kernel >=6.12,<6.19  MP_JOIN HMAC check fixed in 6.19
//   tcp/options/*.pkt   ts  ipv6                          the bundled stack lacks IPv6 options
//   language/python-blocks.pkt  *  strict                 needs python3 in the namespace
//
// Qualifiers, in any order, until the first word that is none of them (the reason starts there):
//   kernel | ts | *          the target the entry applies to (default *: both)
//   ipv4 | ipv4-mapped-ipv6 | ipv6   only that IP variant (default: all)
//   >=6.12,<6.19             kernel versions (comparisons joined by commas, all must hold; with
//                            =, ==, <, <=, >, >=); an entry with a range only applies on the
//                            kernel target, whose version is the running kernel's (uname -r)
//   strict                   an unexpected pass (XPASS) counts as a failure (exit status 1);
//                            without it an XPASS is reported but does not fail the run
// The glob matches the script's path or any tail of it starting at a `/` (see glob.ts); entries of
// a folder's own xfail.txt only apply to scripts below that folder.
//
// Only scripts that *fail* become XFAIL: an error (the script cannot be run) or a skip stays what
// it is, because an expected-failure entry is about the stack's behaviour, not the set-up.

import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { IpVersionOption } from '../script/options.js';
import { displayPath } from './discover.js';
import { globMatches, globToRegExp } from './glob.js';
import type { SuiteTarget } from './types.js';

type Comparison = { op: '<' | '<=' | '>' | '>=' | '='; version: number[] };

export interface XfailEntry {
  glob: RegExp;
  pattern: string;
  target: SuiteTarget | '*';
  variant?: IpVersionOption;
  versions?: Comparison[];
  strict: boolean;
  reason: string;
  /** Display path of the folder the entry is limited to (a folder's own xfail.txt). */
  under?: string;
  /** `FILE:LINE` for messages. */
  source: string;
}

export interface XfailParse {
  entries: XfailEntry[];
  /** One sentence per bad line. */
  errors: string[];
}

const RANGE = /^(?:(?:<=|>=|==|=|<|>)\d+(?:\.\d+)*)(?:,(?:<=|>=|==|=|<|>)\d+(?:\.\d+)*)*$/;
const VARIANTS = new Set(['ipv4', 'ipv4-mapped-ipv6', 'ipv6']);

export function parseVersion(text: string): number[] {
  const m = /^(\d+(?:\.\d+)*)/.exec(text);
  return m ? m[1]!.split('.').map(Number) : [];
}

function parseRange(text: string): Comparison[] {
  return text.split(',').map((part) => {
    const m = /^(<=|>=|==|=|<|>)(.*)$/.exec(part)!;
    const op = m[1] === '==' ? '=' : (m[1] as Comparison['op']);
    return { op, version: parseVersion(m[2]!) };
  });
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionInRange(version: number[], range: readonly Comparison[]): boolean {
  return range.every(({ op, version: v }) => {
    const c = compareVersions(version, v);
    return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : c === 0;
  });
}

export function parseXfail(text: string, sourceName: string, under?: string): XfailParse {
  const entries: XfailEntry[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const source = `${sourceName}:${i + 1}`;
    const words = line.split(/\s+/);
    const pattern = words.shift()!;
    const entry: XfailEntry = { glob: globToRegExp(pattern), pattern, target: '*', strict: false, reason: '', source, ...(under !== undefined ? { under } : {}) };
    while (words.length > 0) {
      const w = words[0]!;
      if (w === 'kernel' || w === 'ts' || w === '*') entry.target = w;
      else if (VARIANTS.has(w)) entry.variant = w as IpVersionOption;
      else if (w === 'strict') entry.strict = true;
      else if (RANGE.test(w)) entry.versions = parseRange(w);
      else if (/^[<>=]/.test(w)) {
        errors.push(`${source}: '${w}' is not a kernel version range (write e.g. >=6.12,<6.19)`);
        return;
      } else break;
      words.shift();
    }
    entry.reason = words.join(' ') || 'expected failure';
    entries.push(entry);
  });
  return { entries, errors };
}

/** Reads a list; an unreadable file is one error sentence. */
export function loadXfail(file: string, scoped: boolean): XfailParse {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { entries: [], errors: [`cannot read the expected-failure list ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`] };
  }
  return parseXfail(text, displayPath(file), scoped ? displayPath(dirname(resolve(file))) : undefined);
}

export interface XfailContext {
  file: string;
  target: SuiteTarget;
  mode?: string;
  /** Running kernel version (uname -r), for ranges. */
  kernel: number[];
}

export function kernelVersion(): number[] {
  return parseVersion(release());
}

/** The first entry that applies to this run, if any. */
export function findXfail(entries: readonly XfailEntry[], ctx: XfailContext): XfailEntry | undefined {
  return entries.find((e) => {
    if (e.under !== undefined && e.under !== '.' && !ctx.file.startsWith(`${e.under}/`)) return false;
    if (e.target !== '*' && e.target !== ctx.target) return false;
    if (e.variant !== undefined && e.variant !== ctx.mode) return false;
    if (e.versions !== undefined && (ctx.target !== 'kernel' || !versionInRange(ctx.kernel, e.versions))) return false;
    return globMatches(e.glob, ctx.file);
  });
}
