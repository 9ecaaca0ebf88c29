// For people at a terminal: one line per script as it is reported, a live progress line on a
// TTY (rewritten in place, cleared before any other output), every failure in full at the end,
// and a one-line summary. Colours only when asked (TTY and NO_COLOR unset).

import { Chalk } from 'chalk';
import { OUTCOMES, type Outcome, type SuiteResult, type SuiteSummary } from '../../suite/types.js';
import { explanation, needsExplanation, scriptCount, seconds } from './common.js';
import type { FormatIo, ProgressState, SuiteFormatter, SuitePlan } from './types.js';

const LABEL: Record<Outcome, string> = { pass: 'PASS ', fail: 'FAIL ', xfail: 'XFAIL', xpass: 'XPASS', skip: 'SKIP ', error: 'ERROR' };

export function summaryLine(summary: SuiteSummary, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const paint: Record<Outcome, (s: string) => string> = { pass: c.green, fail: c.red, xfail: c.cyan, xpass: c.magenta, skip: c.yellow, error: c.red };
  const counts = OUTCOMES.map((o) => {
    const text = `${summary.totals[o]} ${o}`;
    return summary.totals[o] > 0 ? paint[o](text) : text;
  }).join(', ');
  const head = summary.interrupted ? `interrupted: ${summary.ran} of ${scriptCount(summary.planned)}` : scriptCount(summary.ran);
  return `${head}: ${counts} in ${seconds(summary.wallMs)} s`;
}

export function prettyFormatter(io: FormatIo): SuiteFormatter {
  const c = new Chalk({ level: io.color ? 1 : 0 });
  const paint: Record<Outcome, (s: string) => string> = { pass: c.green, fail: c.red.bold, xfail: c.cyan, xpass: c.magenta, skip: c.yellow, error: c.red.bold };
  let progressShown = false;
  const clearProgress = (): void => {
    if (progressShown) io.write('\r\x1b[2K');
    progressShown = false;
  };
  const say = (line: string): void => {
    clearProgress();
    io.write(line + '\n');
  };
  return {
    begin(plan: SuitePlan) {
      say(c.bold(`Running ${plan.total} script${plan.total === 1 ? '' : 's'} on the ${plan.target} target`) + (plan.notes.length ? ` (${plan.notes.join('; ')})` : ''));
    },
    result(r: SuiteResult) {
      const extra = r.outcome === 'pass' ? '' : r.reason ? `: ${r.reason.split('\n')[0]}` : '';
      const runs = r.runs > 1 ? ` [${r.passes}/${r.runs} passed]` : '';
      say(`${paint[r.outcome](LABEL[r.outcome])} ${r.name}${runs} ${c.dim(`(${Math.round(r.wallMs)} ms)`)}${extra}`);
    },
    progress(state: ProgressState) {
      if (!io.tty) return;
      const running = state.running.length > 0 ? ` ${c.dim(state.running.join(', '))}` : '';
      const fails = state.totals.fail + state.totals.error;
      const line = `[${state.done}/${state.total}] ${c.green(`${state.totals.pass + state.totals.xfail} ok`)} ${fails > 0 ? c.red(`${fails} failed`) : '0 failed'}${running}`;
      io.write(`\r\x1b[2K${line.slice(0, 400)}`);
      progressShown = true;
    },
    end(summary: SuiteSummary, results: readonly SuiteResult[]) {
      const bad = results.filter(needsExplanation);
      if (bad.length > 0) {
        say('');
        say(c.bold(`${bad.length} not passed:`));
        for (const r of bad) {
          say('');
          say(`${paint[r.outcome](LABEL[r.outcome])} ${c.bold(r.name)} on ${r.target}`);
          for (const l of explanation(r, io.color)) say(`  ${l}`.trimEnd());
        }
      }
      say('');
      say(summaryLine(summary, io.color));
    },
  };
}
