// `mptcpdrill conformance [--target ts|kernel|ts,kernel] [--out DIR] [--write-docs]`: runs every
// script of the RFC 8684 clause index (test/conformance/rfc8684.tsv) on each target through the
// suite runner and writes conformance.md and conformance.json (a verdict per clause and target,
// totals per section, the deviations with their evidence); --write-docs also writes the committed
// docs/conformance.md, docs/conformance.json and docs/linux-deviations.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';
import { loadIndex, indexScripts } from '../../conformance/index-file.js';
import { CONFORMANCE_XFAIL, runScripts, type ScriptResult } from '../../conformance/run.js';
import { buildReport } from '../../conformance/report.js';
import { conformanceMarkdown, linuxDeviationsMarkdown } from '../../conformance/markdown.js';
import { kernelVersion, loadXfail } from '../../suite/xfail.js';
import type { SuiteTarget } from '../../suite/types.js';

const usage = `Usage: mptcpdrill conformance [--target ts|kernel|ts,kernel] [--out DIR] [--write-docs] [-j N]

Runs every script named in the RFC 8684 clause index (test/conformance/rfc8684.tsv, read from
the working directory: run it from the repository root) on each target, through the suite
runner with test/conformance/xfail.txt (RFC deviations) and test/scripts/xfail.txt (known
failures of a stack) as expected-failure lists, and writes DIR/conformance.md and
DIR/conformance.json: per clause its verdict on each target (conforms, deviates with the script
line and the observed packet or result, known failure, fails, not run, todo, untestable) and
the totals per section.

Options:
  --target T     ts (default), kernel (needs root), or both: ts,kernel
  --out DIR      where to write the two files (default: the working directory)
  --write-docs   also write docs/conformance.md, docs/conformance.json and
                 docs/linux-deviations.md (needs --target ts,kernel)
  -j, --jobs N   scripts at once (default 2)
  --seed N       the seed of every run (default 1)
  -h, --help     this text

Exit status: 0 every testable clause conforms or deviates as expected; 1 a script failed
unexpectedly; 2 bad usage or a broken index; 4 nothing could run.`;

interface Config { targets: SuiteTarget[]; out: string; writeDocs: boolean; jobs: number; seed: number }

function parseTargets(text: string | undefined): SuiteTarget[] {
  const words = (text ?? 'ts').split(',');
  const ok = words.length <= 2 && words.every((w) => w === 'ts' || w === 'kernel') && new Set(words).size === words.length;
  if (!ok) throw new UsageError(`--target takes ts, kernel or ts,kernel; not '${text}'`);
  return words as SuiteTarget[];
}

function whole(text: string | undefined, name: string, min: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${name} needs a whole number of at least ${min}, not '${text}'`);
  return n;
}

export function parseConformanceArgs(argv: string[]): Config {
  const { values, positionals } = parseCommandArgs(argv, {
    target: { type: 'string' },
    out: { type: 'string' },
    'write-docs': { type: 'boolean' },
    jobs: { type: 'string', short: 'j' },
    seed: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]} (the scripts come from the index)`);
  const targets = parseTargets(values.target);
  const writeDocs = values['write-docs'] ?? false;
  if (writeDocs && targets.length !== 2) throw new UsageError('--write-docs needs --target ts,kernel (the committed table has both columns)');
  return { targets, out: values.out ?? '.', writeDocs, jobs: whole(values.jobs, '-j', 1, 2), seed: whole(values.seed, '--seed', 0, 1) };
}

function write(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

async function run(argv: string[]): Promise<number> {
  const cfg = parseConformanceArgs(argv);
  const index = loadIndex(process.cwd());
  if (index.errors.length > 0) throw new CliError(`the clause index is broken:\n  ${index.errors.join('\n  ')}`);
  const xfail = loadXfail(CONFORMANCE_XFAIL, false);
  if (xfail.errors.length > 0) throw new CliError(xfail.errors.join('; '));
  const scripts = indexScripts(index.clauses);
  const results = new Map<SuiteTarget, Map<string, ScriptResult>>();
  let worst = 0;
  for (const target of cfg.targets) {
    process.stderr.write(`mptcpdrill conformance: ${scripts.length} scripts on ${target}\n`);
    const r = await runScripts(scripts, target, { jobs: cfg.jobs, seed: cfg.seed, err: (t) => process.stderr.write(t) });
    if (r.exitCode === 2 && r.results.size === 0) throw new CliError(`the ${target} run could not start (see above)`);
    results.set(target, r.results);
    worst = Math.max(worst, r.exitCode === 1 ? 1 : 0);
  }
  const report = buildReport({
    clauses: index.clauses, results, xfails: xfail.entries, kernelVersion: kernelVersion(),
    ...(cfg.targets.includes('kernel') ? { kernelRelease: release() } : {}),
  });
  const json = JSON.stringify(report, null, 2) + '\n';
  const md = conformanceMarkdown(report);
  try {
    mkdirSync(cfg.out, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create ${cfg.out}: ${(err as Error).message}`);
  }
  write(join(cfg.out, 'conformance.json'), json);
  write(join(cfg.out, 'conformance.md'), md);
  if (cfg.writeDocs) {
    write('docs/conformance.json', json);
    write('docs/conformance.md', md);
    write('docs/linux-deviations.md', linuxDeviationsMarkdown(report));
  }
  const all = report.clauses.flatMap((c) => cfg.targets.map((t) => c.verdicts[t]?.verdict));
  process.stdout.write(`${report.clauses.length} clauses; ${cfg.targets.map((t) => `${t}: ${['conforms', 'deviates', 'known failure', 'fails', 'not run'].map((v) => `${report.clauses.filter((c) => c.verdicts[t]?.verdict === v).length} ${v}`).join(', ')}`).join('; ')}\n`);
  if (all.length > 0 && all.every((v) => v === 'not run' || v === 'untestable' || v === 'todo')) return 4;
  return worst;
}

export const command: Command = {
  name: 'conformance',
  summary: 'run the RFC 8684 clause index and write the conformance table',
  usage,
  run,
};
