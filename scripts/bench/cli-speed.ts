// How fast `mptcpdrill run --target ts` gets through a corpus, start-up included (issue 14), and
// where the time goes:
//  - whole command: the summed timelines of the scripts that ran (script time at their end)
//    divided by the wall time of ONE spawned `node bin/mptcpdrill.js run --target ts DIR`
//    (target: >= 30x);
//  - CLI start-up alone: `--help`, `--version`, `check` and `run` of a trivial script (a
//    handshake: no shell line, no Python; issue 16 asks <= 150 ms for the first two), each with the bundle (dist/bundle/, see scripts/bundle.ts) and without it
//    (MPTCPDRILL_BUNDLE=0: the ~850 modules of dist/src and node_modules);
//  - in this process, start-up excluded: each script's in-runner time (load = parse + checks,
//    then runScript) as a fraction of its own timeline (target: median <= 1/100), and that time
//    split by kind: parse(+check), stack/engine, shell (the target's shell() calls, timed by
//    wrapping the method) and Python (Runner.runPython, wrapped).
// Wall times are the median of a few runs (min in brackets): the machine is shared.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { prepareRun } from '../../src/engine/prepare.js';
import { runScript } from '../../src/engine/run.js';
import { Runner } from '../../src/engine/runner.js';
import { findScripts, loadScript } from '../../src/script/load.js';
import { createTsTarget } from '../../src/targets/ts-target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/mptcpdrill.js');
const CORPORA = ['test/scripts', 'test/v0-scripts'];
const COMMAND_RUNS = 3;
const STARTUP_RUNS = 5;

const TRIVIAL = `// cli-speed benchmark: a handshake and nothing else (no shell line, no Python).
0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S  0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>
+0    > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 200 ecr 100, nop, wscale 7>
+0.01 < .  1:1(0) ack 1 win 256 <nop, nop, TS val 101 ecr 200>
+0    accept(3, ..., ...) = 4
`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall ms of `node bin/mptcpdrill.js ...args`, `runs` times; the last run's stdout. */
function timeCli(args: string[], runs: number, env: NodeJS.ProcessEnv = {}): { walls: number[]; stdout: string; status: number | null } {
  const walls: number[] = [];
  let stdout = '';
  let status: number | null = null;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
    walls.push(performance.now() - t0);
    stdout = r.stdout;
    status = r.status;
  }
  return { walls, stdout, status };
}

function ms(walls: number[]): string {
  return `${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)})`;
}

/** Whether bin/mptcpdrill.js will run the bundle (the launcher's own test, repeated here). */
function bundleState(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'dist/bundle/manifest.json'), 'utf8')) as { inputs: Record<string, number> };
    const stale = Object.entries(manifest.inputs).filter(([f, m]) => statSync(join(ROOT, f)).mtimeMs !== m);
    return stale.length === 0 ? `fresh (${Object.keys(manifest.inputs).length} modules in it)` : `stale (${stale.length} compiled files newer): the CLI runs unbundled; npm run build`;
  } catch {
    return 'absent: the CLI runs unbundled; npm run build';
  }
}

/** The whole-command figure for one corpus folder. */
function wholeCommand(dir: string): Record<string, number | string> {
  const json = timeCli(['run', '--target', 'ts', '--format', 'json', dir], 1);
  const results = json.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; status?: string; outcome?: string; scriptEndUs?: number });
  const ran = results.filter((r) => r.type === 'result' && r.status !== 'skip');
  const timelineS = ran.reduce((s, r) => s + (r.scriptEndUs ?? 0), 0) / 1e6;
  const outcomes = new Map<string, number>();
  for (const r of results) if (r.type === 'result') outcomes.set(r.outcome!, (outcomes.get(r.outcome!) ?? 0) + 1);
  const plain = timeCli(['run', '--target', 'ts', dir], COMMAND_RUNS);
  const wallS = median(plain.walls) / 1000;
  const key = dir.replace(/^test\//, '').replace(/[^a-z0-9]+/gi, '_');
  // The same command on this thread only and on two runner threads, interleaved with nothing
  // else: the default picks threads by the load average (src/suite/cli.ts runnerThreads).
  const serial = timeCli(['run', '--target', 'ts', '-j', '2', dir], COMMAND_RUNS, { MPTCPDRILL_THREADS: '0' });
  const threads = timeCli(['run', '--target', 'ts', '-j', '2', dir], COMMAND_RUNS, { MPTCPDRILL_THREADS: '2' });
  const speedup = (walls: number[]): string => `${(timelineS / (median(walls) / 1000)).toFixed(1)}x`;
  return {
    [`${key}_command`]: `node bin/mptcpdrill.js run --target ts ${dir}: ${ran.length} scripts ran (${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')})`,
    [`${key}_timelines_summed_s`]: timelineS,
    [`${key}_command_wall`]: ms(plain.walls),
    [`${key}_command_speedup`]: `${(timelineS / wallS).toFixed(1)}x (min-wall ${(timelineS / (Math.min(...plain.walls) / 1000)).toFixed(1)}x; target >= 30x, start-up included)`,
    [`${key}_command_one_thread_vs_two_threads`]: `${ms(serial.walls)} (${speedup(serial.walls)}) vs ${ms(threads.walls)} (${speedup(threads.walls)}); load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  };
}

interface Split { load: number; run: number; shell: number; python: number }

/** Python time of the script being run (Runner.runPython, wrapped once). */
let pythonMs = 0;
function wrapPython(): void {
  const proto = Runner.prototype as unknown as { runPython?: (...a: unknown[]) => Promise<void>; __timed?: boolean };
  if (!proto.runPython || proto.__timed) return;
  const original = proto.runPython;
  proto.runPython = async function (this: unknown, ...a: unknown[]): Promise<void> {
    const t0 = performance.now();
    try {
      return await original.apply(this, a);
    } finally {
      pythonMs += performance.now() - t0;
    }
  };
  proto.__timed = true;
}

/** Every script of the corpora in this process, one at a time; per script: timeline and split. */
async function inRunner(files: string[]): Promise<Array<{ file: string; timelineUs: number; split: Split }>> {
  wrapPython();
  const out: Array<{ file: string; timelineUs: number; split: Split }> = [];
  for (const file of files) {
    const t0 = performance.now();
    const loaded = loadScript(file, { target: 'ts', cli: {} });
    const load = performance.now() - t0;
    if (!loaded.script || !loaded.options) continue;
    const target = createTsTarget({ seed: 1 });
    let shell = 0;
    const original = target.shell.bind(target);
    target.shell = async (...a: Parameters<typeof target.shell>) => {
      const s0 = performance.now();
      try {
        return await original(...a);
      } finally {
        shell += performance.now() - s0;
      }
    };
    pythonMs = 0;
    const r0 = performance.now();
    const result = await runScript(loaded, target, prepareRun(loaded.options, 'ts', { seed: 1 }));
    const run = performance.now() - r0;
    if (result.status === 'skip') continue;
    out.push({ file: file.slice(ROOT.length), timelineUs: result.scriptEndUs, split: { load, run, shell, python: pythonMs } });
  }
  return out;
}

export async function run(): Promise<Record<string, number | string>> {
  const corpora = CORPORA.filter((c) => existsSync(join(ROOT, c)));
  const figures: Record<string, number | string> = { bundle: bundleState() };

  // CLI start-up alone.
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-'));
  try {
    const trivial = join(dir, 'trivial.pkt');
    writeFileSync(trivial, TRIVIAL);
    for (const [label, env] of [['bundle', {}], ['modules', { MPTCPDRILL_BUNDLE: '0' }]] as const) {
      figures[`startup_help_${label}`] = ms(timeCli(['--help'], STARTUP_RUNS, env).walls);
      figures[`startup_version_${label}`] = ms(timeCli(['--version'], STARTUP_RUNS, env).walls);
      figures[`startup_check_trivial_${label}`] = ms(timeCli(['check', trivial], STARTUP_RUNS, env).walls);
      const one = timeCli(['run', '--target', 'ts', trivial], STARTUP_RUNS, env);
      figures[`startup_run_trivial_${label}`] = `${ms(one.walls)}${one.status === 0 ? '' : ` (exit ${one.status}!)`}`;
    }
    figures['startup_node_alone'] = ms(Array.from({ length: STARTUP_RUNS }, () => {
      const t0 = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - t0;
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // The whole command, start-up included, per corpus.
  for (const c of corpora) Object.assign(figures, wholeCommand(c));

  // In this process, start-up excluded: a warm-up pass, then the measured one.
  const files = corpora.flatMap((c) => findScripts(join(ROOT, c)));
  await inRunner(files);
  const runs = await inRunner(files);
  const timed = runs.filter((r) => r.timelineUs > 0);
  const fraction = (r: (typeof runs)[number]): number => (r.split.load + r.split.run) / (r.timelineUs / 1000);
  const fractions = timed.map(fraction);
  const sum = (f: (s: Split) => number): number => runs.reduce((s, r) => s + f(r.split), 0);
  const total = sum((s) => s.load + s.run);
  const parts: Array<[string, number]> = [
    ['parse+check', sum((s) => s.load)],
    ['stack/engine', sum((s) => s.run - s.shell - s.python)],
    ['shell', sum((s) => s.shell)],
    ['python', sum((s) => s.python)],
  ];
  Object.assign(figures, {
    in_runner_scripts: `${runs.length} scripts of ${corpora.join(', ')} (skips left out)`,
    in_runner_total_ms: total,
    in_runner_ms_per_script_median: median(runs.map((r) => r.split.load + r.split.run)),
    in_runner_fraction_of_timeline_median: `${median(fractions).toFixed(4)} = 1/${(1 / median(fractions)).toFixed(1)} (target <= 1/100)`,
    in_runner_fraction_of_timeline_p90: [...fractions].sort((a, b) => a - b)[Math.floor(0.9 * fractions.length)]!,
    in_runner_split: parts.map(([k, v]) => `${k} ${v.toFixed(0)} ms (${((100 * v) / total).toFixed(0)}%)`).join('; '),
    in_runner_split_median_ms: `parse+check ${median(runs.map((r) => r.split.load)).toFixed(2)}; stack/engine ${median(runs.map((r) => r.split.run - r.split.shell - r.split.python)).toFixed(2)}; shell ${median(runs.map((r) => r.split.shell)).toFixed(2)}; python ${median(runs.map((r) => r.split.python)).toFixed(2)}`,
    in_runner_fraction_median_without_shell_python: `${median(timed.map((r) => (r.split.load + r.split.run - r.split.shell - r.split.python) / (r.timelineUs / 1000))).toFixed(4)} (parse+check and stack/engine only, every script)`,
  });
  return figures;
}
