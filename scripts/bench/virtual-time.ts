// Virtual-time speed-up of the bundled stack: every corpus script's timeline (script time at its
// end, summed) divided by the wall time to run them all on the bundled stack in this one
// process, and scripts per second. Scripts that skip (file calls, PSP) are left out of both
// sums, since they never run their timeline. The corpus's timelines are short (tens of ms), so
// the summed ratio mostly measures the fixed cost per script (bash running defaults.sh); the
// longest timeline's own ratio shows what virtual time buys once a script waits on timers.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { prepareRun } from '../../src/engine/prepare.js';
import { runScript } from '../../src/engine/run.js';
import { findScripts, loadScript } from '../../src/script/load.js';
import { createTsTarget } from '../../src/targets/ts-target.js';

const CORPUS = fileURLToPath(new URL('../../../test/scripts', import.meta.url));

export async function run(): Promise<Record<string, number | string>> {
  const files = findScripts(CORPUS);
  let ran = 0;
  let timelineUs = 0;
  let wallMs = 0;
  let longest = { file: '', timelineUs: 0, wallMs: 0 };
  const outcomes = new Map<string, number>();
  for (const file of files) {
    const loaded = loadScript(file, { target: 'ts', cli: {} });
    if (!loaded.script || !loaded.options) continue;
    const start = performance.now();
    const result = await runScript(loaded, createTsTarget({ seed: 1 }), prepareRun(loaded.options, 'ts', { seed: 1 }));
    const elapsed = performance.now() - start;
    outcomes.set(result.status, (outcomes.get(result.status) ?? 0) + 1);
    if (result.status === 'skip') continue;
    ran++;
    timelineUs += result.scriptEndUs;
    wallMs += elapsed;
    if (result.scriptEndUs > longest.timelineUs) longest = { file, timelineUs: result.scriptEndUs, wallMs: elapsed };
  }
  return {
    scripts_run: ran,
    outcomes: [...outcomes].map(([k, v]) => `${v} ${k}`).join(', '),
    timelines_summed_s: timelineUs / 1e6,
    wall_s: wallMs / 1000,
    virtual_time_speedup: timelineUs / 1000 / wallMs,
    scripts_per_s: ran / (wallMs / 1000),
    mean_wall_ms_per_script: wallMs / ran,
    longest_timeline: `${longest.file.replace(`${CORPUS}/`, '')}: ${(longest.timelineUs / 1e6).toFixed(2)} s in ${longest.wallMs.toFixed(0)} ms`,
    longest_timeline_speedup: longest.timelineUs / 1000 / longest.wallMs,
  };
}
