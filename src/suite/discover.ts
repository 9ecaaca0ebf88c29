// Which scripts a suite run covers: files and folders from the command line (folders searched
// recursively for `*.pkt`), sorted, de-duplicated, then --filter, then the --shard slice.

import { statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { findScripts } from '../script/load.js';
import { pathFilter } from './glob.js';

export interface Discovered {
  files: string[];
  /** Paths that do not exist: a usage error. */
  missing: string[];
  /** Folders given on the command line (where a default xfail.txt may live). */
  roots: string[];
}

/** A path for people: relative to the working directory when below it, else absolute. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  return rel.startsWith('..') || rel.startsWith(sep) ? abs : rel.split(sep).join('/');
}

export function discover(paths: readonly string[], cwd: string = process.cwd()): Discovered {
  const files: string[] = [];
  const missing: string[] = [];
  const roots: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(resolve(cwd, p)).isDirectory();
    } catch {
      missing.push(p);
      continue;
    }
    if (isDir) {
      roots.push(p);
      files.push(...findScripts(resolve(cwd, p)));
    } else files.push(resolve(cwd, p));
  }
  const shown = [...new Set(files.map((f) => displayPath(f, cwd)))].sort();
  return { files: shown, missing, roots };
}

export function applyFilter(files: readonly string[], pattern: string | undefined): string[] {
  if (pattern === undefined) return [...files];
  const keep = pathFilter(pattern);
  return files.filter(keep);
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `I/N` with 1 <= I <= N; null when malformed. */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return null;
  return { index, count };
}

/** Round-robin by sorted position: every file lands in exactly one shard, sizes differ by at most one. */
export function applyShard<T>(files: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...files];
  return files.filter((_, i) => i % shard.count === shard.index - 1);
}
