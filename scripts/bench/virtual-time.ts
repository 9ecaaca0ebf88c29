// Virtual-time speed-up of the bundled stack over every corpus that runs on it (test/scripts,
// test/v0-scripts when present; the mutated twins apart): each script's timeline (script time at
// its end) summed, against the wall time to run them all on the bundled stack in this one
// process. Scripts that skip (file calls, PSP) are left out, since they never run their timeline.
// Measured twice: with shell lines run in-process (the default, src/shell/ on the ts target's
// host) and with every line run by /bin/sh and the stand-in executables (`before`), since the
// per-script cost of the corpus used to be mostly its shell lines (defaults.sh).
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { prepareRun } from '../../src/engine/prepare.js';
import { runScript } from '../../src/engine/run.js';
import { findScripts, loadScript } from '../../src/script/load.js';
import { TsTarget } from '../../src/targets/ts-target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPORA = ['test/scripts', 'test/v0-scripts'];
const TWINS = 'test/twins';

/** `python`: the script has Python blocks; `bash`: a shell line went to /bin/sh. */
interface ScriptRun { file: string; status: string; timelineUs: number; wallMs: number; loadMs: number; python: boolean; bash: boolean }
interface Pass { runs: ScriptRun[]; inProcess: number; bash: number; cpuS: number }

/**
 * CPU seconds of this process and of the children it has waited for (bash, python3), from
 * /proc/self/stat (utime, stime, cutime, cstime in 1/100 s): on a loaded machine a steadier
 * measure of the work than wall time.
 */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  return [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i]), 0) / 100;
}

async function runAll(files: string[], shellFastPath: boolean): Promise<Pass> {
  const pass: Pass = { runs: [], inProcess: 0, bash: 0, cpuS: 0 };
  const cpuStart = cpuSeconds();
  for (const file of files) {
    const t0 = performance.now();
    const loaded = loadScript(file, { target: 'ts', cli: {} });
    const loadMs = performance.now() - t0;
    if (!loaded.script || !loaded.options) continue;
    const target = new TsTarget({ seed: 1, shellFastPath });
    const start = performance.now();
    const result = await runScript(loaded, target, prepareRun(loaded.options, 'ts', { seed: 1 }));
    const python = result.trace.some((e) => e.kind === 'code');
    pass.runs.push({ file: file.slice(ROOT.length), status: result.status, timelineUs: result.scriptEndUs, wallMs: performance.now() - start, loadMs, python, bash: target.shellRuns.bash > 0 });
    pass.inProcess += target.shellRuns.inProcess;
    pass.bash += target.shellRuns.bash;
  }
  pass.cpuS = cpuSeconds() - cpuStart;
  return pass;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function share(what: string, runs: ScriptRun[]): string {
  return `${runs.length} ${what}: ${(runs.reduce((s, r) => s + r.wallMs, 0) / 1000).toFixed(2)} s`;
}

/** The figures of one pass; `prefix` names the mode. */
function figures(pass: Pass, prefix: string): Record<string, number | string> {
  const ran = pass.runs.filter((r) => r.status !== 'skip');
  const timelineUs = ran.reduce((s, r) => s + r.timelineUs, 0);
  const wallMs = ran.reduce((s, r) => s + r.wallMs, 0);
  const walls = ran.map((r) => r.wallMs).sort((a, b) => a - b);
  const longest = ran.reduce((a, b) => (b.timelineUs > a.timelineUs ? b : a));
  return {
    [`${prefix}wall_s`]: wallMs / 1000,
    [`${prefix}cpu_s_with_children`]: pass.cpuS,
    [`${prefix}virtual_time_speedup`]: timelineUs / 1000 / wallMs,
    [`${prefix}scripts_per_s`]: ran.length / (wallMs / 1000),
    [`${prefix}wall_ms_per_script_mean`]: wallMs / ran.length,
    [`${prefix}wall_ms_per_script_p50`]: quantile(walls, 0.5),
    [`${prefix}wall_ms_per_script_p90`]: quantile(walls, 0.9),
    [`${prefix}longest_timeline`]: `${longest.file}: ${(longest.timelineUs / 1e6).toFixed(2)} s in ${longest.wallMs.toFixed(1)} ms`,
    [`${prefix}longest_timeline_speedup`]: longest.timelineUs / 1000 / longest.wallMs,
    [`${prefix}shell_commands`]: `${pass.inProcess} in-process, ${pass.bash} by bash`,
    [`${prefix}wall_split`]: [
      share('with Python blocks', ran.filter((r) => r.python)),
      share('with a command run by bash', ran.filter((r) => !r.python && r.bash)),
      share('others', ran.filter((r) => !r.python && !r.bash)),
    ].join('; '),
  };
}

export async function run(): Promise<Record<string, number | string>> {
  const corpora = CORPORA.filter((c) => existsSync(`${ROOT}${c}`));
  const files = corpora.flatMap((c) => findScripts(`${ROOT}${c}`));
  await runAll(files, true); // warm-up: the first pass pays for compiling the engine and the stack
  const before = await runAll(files, false);
  const after = await runAll(files, true);
  const ran = after.runs.filter((r) => r.status !== 'skip');
  const outcomes = new Map<string, number>();
  for (const r of after.runs) outcomes.set(r.status, (outcomes.get(r.status) ?? 0) + 1);
  const twins = existsSync(`${ROOT}${TWINS}`) ? await runAll(findScripts(`${ROOT}${TWINS}`), true) : undefined;
  const twinWallMs = twins?.runs.reduce((s, r) => s + r.wallMs, 0) ?? 0;
  return {
    corpora: corpora.join(', '),
    scripts_run: ran.length,
    outcomes: [...outcomes].map(([k, v]) => `${v} ${k}`).join(', '),
    timelines_summed_s: ran.reduce((s, r) => s + r.timelineUs, 0) / 1e6,
    timeline_ms_per_script_mean: ran.reduce((s, r) => s + r.timelineUs, 0) / 1000 / ran.length,
    load_ms_per_script_mean: after.runs.reduce((s, r) => s + r.loadMs, 0) / after.runs.length,
    ...figures(after, ''),
    ...figures(before, 'before_all_bash_'),
    twins: twins ? `${twins.runs.length} scripts (expected to fail) in ${(twinWallMs / 1000).toFixed(2)} s, ${(twinWallMs / twins.runs.length).toFixed(1)} ms each` : 'none',
  };
}
