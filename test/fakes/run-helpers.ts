// Running script text against the scripted target and the fake packet port, for runner tests.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkText, type LoadedScript } from '../../src/script/load.js';
import type { CliOptions } from '../../src/script/options.js';
import { runScript } from '../../src/engine/run.js';
import { engineSettings } from '../../src/engine/settings.js';
import type { RunOptions, RunResult } from '../../src/engine/types.js';
import { FakePackets } from './fake-packets.js';
import { ScriptedTarget, type ScriptedTargetConfig } from './scripted-target.js';

export interface FakeRun {
  result: RunResult;
  target: ScriptedTarget;
  packets: FakePackets;
  loaded: LoadedScript;
}

const made: string[] = [];
// Nothing is left behind: the folders go when the test process ends.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder holding `test.pkt` (shell lines run there; Python blocks too). */
export function scriptFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-run-'));
  mkdirSync(dir, { recursive: true });
  made.push(dir);
  return join(dir, 'test.pkt');
}

/** Lines joined with newlines, as a test writes a script. */
export const pkt = (...lines: string[]): string => lines.join('\n') + '\n';

export async function runFake(
  text: string,
  config: ScriptedTargetConfig = {},
  extra: Partial<RunOptions> & { cli?: CliOptions; packets?: FakePackets; target?: ScriptedTarget } = {},
): Promise<FakeRun> {
  const file = scriptFile();
  writeFileSync(file, text);
  const loaded = checkText(file, text, { cli: { local_ip: '192.168.0.2', ...extra.cli }, random: () => 0.5 });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`test script does not check: ${errors.map((d) => `${d.range.start.line}: ${d.message}`).join('; ')}`);
  const target = extra.target ?? new ScriptedTarget(config);
  const packets = extra.packets ?? new FakePackets();
  const result = await runScript(loaded, target, {
    settings: engineSettings(loaded.options!, 'ts'),
    packets,
    graceUs: 10_000,
    ...extra,
  });
  return { result, target, packets, loaded };
}
