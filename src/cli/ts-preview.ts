// `check --target ts`: which shell lines would make the script a skip on the bundled stack,
// found before running it. Every shell line (init command, timed lines, cleanup command) runs in
// order through the ts target's in-process shell in dry-run mode: the stand-ins act on a scratch
// stack, no program starts and no file is written, so a setup script's `sysctl -q net.x=…` or
// `tc qdisc … netem` is judged exactly as a run would judge it.
import { dirname } from 'node:path';
import { engineSettings } from '../engine/settings.js';
import type { Diagnostic, ShellAction } from '../script/ast.js';
import type { LoadedScript } from '../script/load.js';
import { TsTarget } from '../targets/ts-target.js';

export async function previewTsSkips(loaded: LoadedScript): Promise<Diagnostic[]> {
  const script = loaded.script;
  if (!script || !loaded.options || loaded.diagnostics.some((d) => d.severity === 'error')) return [];
  const lines: ShellAction[] = [
    ...(script.initCommand ? [script.initCommand] : []),
    ...script.events.flatMap((e) => (e.action.kind === 'shell' ? [e.action] : [])),
    ...(script.cleanupCommand ? [script.cleanupCommand] : []),
  ];
  if (lines.length === 0) return [];
  const settings = engineSettings(loaded.options, 'ts');
  const target = new TsTarget({ seed: 1, shellDryRun: true });
  const out: Diagnostic[] = [];
  try {
    await target.open(settings.net);
    for (const line of lines) {
      const r = await target.shell(line.command, { cwd: dirname(script.file), env: settings.shellEnv, timeoutMs: 10_000 });
      for (const why of r.unsupported ?? []) {
        out.push({ severity: 'warning', code: 'ts-skip', file: loaded.file, range: line.range, message: `on the ts target this line makes the script a skip: ${why}` });
      }
    }
  } finally {
    await target.close();
  }
  return out;
}
