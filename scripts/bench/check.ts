// Benchmark of `mptcpdrill check`: the corpus (test/scripts) replicated to 200 scripts in a temp
// directory (deleted afterwards), checked once by the CLI in a fresh process (start-up
// included) and once in-process (parse + options + checks), reported as lines per second.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findScripts, loadScript } from '../../src/script/load.js';

const SCRIPTS = 200;
const repo = new URL('../../../', import.meta.url).pathname;

export async function run(): Promise<Record<string, number | string>> {
  const corpus = findScripts(join(repo, 'test/scripts'));
  if (corpus.length === 0) throw new Error('no corpus scripts found under test/scripts');
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-check-'));
  try {
    const files: string[] = [];
    for (let i = 0; i < SCRIPTS; i++) {
      const sub = join(dir, `copy${Math.floor(i / corpus.length)}`);
      mkdirSync(sub, { recursive: true });
      const to = join(sub, `${i}.pkt`);
      copyFileSync(corpus[i % corpus.length]!, to);
      files.push(to);
    }
    const lines = files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length, 0);

    const cliStart = performance.now();
    const cli = spawnSync(process.execPath, [join(repo, 'bin/mptcpdrill.js'), 'check', dir], { encoding: 'utf8' });
    const cliMs = performance.now() - cliStart;
    if (cli.status !== 0) throw new Error(`check failed on the replicated corpus (exit ${cli.status}): ${cli.stderr.trim()}`);

    const inStart = performance.now();
    let diagnostics = 0;
    for (const f of files) diagnostics += loadScript(f).diagnostics.length;
    const inMs = performance.now() - inStart;

    return {
      scripts: SCRIPTS,
      lines,
      cli_wall_ms: Math.round(cliMs),
      cli_summary: cli.stderr.trim(),
      inprocess_ms: Math.round(inMs),
      inprocess_lines_per_s: Math.round((lines / inMs) * 1000),
      inprocess_scripts_per_s: Math.round((SCRIPTS / inMs) * 1000),
      diagnostics,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
