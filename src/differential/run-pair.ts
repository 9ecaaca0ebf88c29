// Runs one script on two stacks with the same seed (so the script's own random choices, ports,
// keys and nonces, are the same bytes on both) and judges the pair: the kernel run in a child
// process in a fresh network namespace (the suite's executor), the bundled stack in this
// process, both at once; each hands its trace back in its report.

import { decodeTrace } from './trace-wire.js';
import { compareEvents, type CompareOptions, type Disagreement } from './compare.js';
import { normalizeTrace, type NormEvent } from './normalize.js';
import { disagreementHeadline, formatDisagreement, type SideView } from './report.js';
import type { JobReport, JobSpec, SuiteTarget } from '../suite/types.js';

export type DiffPair = readonly [SuiteTarget, SuiteTarget];

/** `ts,kernel` or `kernel,ts` → the pair in that order; undefined for anything else. */
export function parseDiffTargets(value: string): DiffPair | undefined {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 2) return undefined;
  const [x, y] = parts;
  if ((x === 'ts' && y === 'kernel') || (x === 'kernel' && y === 'ts')) return [x, y] as DiffPair;
  return undefined;
}

export interface PairOptions {
  /** Per-run limit of the kernel child. */
  timeoutMs: number;
}

interface Started<T> {
  done: Promise<T>;
  stop(graceMs: number): void;
}

async function startSide(spec: JobSpec, opts: PairOptions): Promise<Started<JobReport>> {
  const { runInChild, runInProcess } = await import('../suite/executor.js');
  if (spec.target === 'ts') return runInProcess(spec);
  const { preflight } = await import('../targets/kernel/netns.js');
  const missing = preflight();
  if (missing) return { done: Promise.resolve({ status: 'skip', wallMs: 0, scriptEndUs: 0, warnings: [], skipReasons: [missing] }), stop: () => undefined };
  return runInChild(spec, opts);
}

/** Starts both runs of one script (`spec.target` is ignored: each side gets its own); stop() ends the kernel child. */
export function startPair(spec: JobSpec, pair: DiffPair, opts: PairOptions): Started<[JobReport, JobReport]> {
  // Each side its own capture (`x.pcap` → `x.ts.pcap`, `x.kernel.pcap`).
  const pcap = (target: SuiteTarget) => (spec.pcap === undefined ? {} : { pcap: spec.pcap.replace(/(\.pcap)?$/, `.${target}.pcap`) });
  const sides = pair.map((target) => startSide({ ...spec, target, trace: true, ...pcap(target) }, opts));
  let stopped: number | undefined;
  const done = (async (): Promise<[JobReport, JobReport]> => {
    const started = await Promise.all(sides);
    if (stopped !== undefined) for (const s of started) s.stop(stopped);
    const [a, b] = await Promise.all(started.map((s) => s.done));
    return [a!, b!];
  })();
  const stop = (graceMs: number): void => {
    stopped ??= graceMs;
    void Promise.all(sides).then((started) => { for (const s of started) s.stop(graceMs); });
  };
  return { done, stop };
}

export interface PairVerdict {
  /** The pair's status: pass only when both passed and their traces agree. */
  report: JobReport;
  disagreement?: Disagreement;
}

function verdictText(r: JobReport): string {
  if (r.status === 'pass') return 'pass';
  const why = r.failure?.headline ?? (r.skipReasons ?? []).join(' ');
  return why ? `${r.status} (${why})` : r.status;
}

function events(r: JobReport): NormEvent[] {
  return r.trace ? normalizeTrace(decodeTrace(r.trace)) : [];
}

/** Folds two reports into one: what the suite and `run` print for the pair. */
export function judgePair(file: string, text: string, pair: DiffPair, reports: readonly [JobReport, JobReport], opts: CompareOptions & { color: boolean }): PairVerdict {
  const [ra, rb] = reports;
  const [na, nb] = pair;
  const base = { wallMs: Math.max(ra.wallMs, rb.wallMs), scriptEndUs: Math.max(ra.scriptEndUs, rb.scriptEndUs), warnings: [...ra.warnings.map((w) => `${na}: ${w}`), ...rb.warnings.map((w) => `${nb}: ${w}`)], ...(ra.ipVersion ? { ipVersion: ra.ipVersion } : {}) };
  const sideDetail = (name: string, r: JobReport, color: boolean): string[] => {
    const d = color ? (r.detailColor ?? r.detail) : r.detail;
    return d ? [`${name}: ${d}`] : [];
  };
  // A side that could not run leaves nothing to compare.
  for (const [name, r] of [[na, ra], [nb, rb]] as const) {
    if (r.status === 'error') {
      return { report: { ...base, status: 'error', failure: { kind: r.failure?.kind ?? 'crash', headline: `${name}: ${r.failure?.headline ?? 'error'}` }, ...(r.detail ? { detail: r.detail } : {}) } };
    }
  }
  if (ra.status === 'skip' || rb.status === 'skip') {
    const reasons = [[na, ra], [nb, rb]].flatMap(([name, r]) => ((r as JobReport).status === 'skip' ? [`${name as string}: ${((r as JobReport).skipReasons ?? []).join(' ')}`] : []));
    return { report: { ...base, status: 'skip', skipReasons: reasons } };
  }
  const ea = events(ra);
  const eb = events(rb);
  const d = compareEvents(ea, eb, opts);
  const sides: [SideView, SideView] = [
    { name: na, verdict: verdictText(ra), events: ea },
    { name: nb, verdict: verdictText(rb), events: eb },
  ];
  const render = (color: boolean): string => {
    const parts = d ? [formatDisagreement(file, text, d, sides, { color })] : [`${file}: ${na} and ${nb} traces agree, verdicts differ: ${na} ${sides[0].verdict}; ${nb} ${sides[1].verdict}`];
    if (ra.status !== rb.status || d) parts.push(...sideDetail(na, ra, color), ...sideDetail(nb, rb, color));
    return parts.join('\n');
  };
  if (d || ra.status !== rb.status) {
    const headline = d ? disagreementHeadline(file, d, na, nb) : `${file}: ${na} and ${nb} disagree: ${na} ${sides[0].verdict}; ${nb} ${sides[1].verdict}`;
    return {
      report: { ...base, status: 'fail', failure: { kind: 'disagreement', headline }, detail: render(false), ...(opts.color ? { detailColor: render(true) } : {}) },
      ...(d ? { disagreement: d } : {}),
    };
  }
  if (ra.status === 'fail') {
    // Both failed, alike: the script (or both stacks) is wrong; report it as a failure.
    const detail = [`${file}: ${na} and ${nb} agree, and both fail:`, ...sideDetail(na, ra, false)].join('\n');
    return { report: { ...base, status: 'fail', failure: { kind: ra.failure?.kind ?? 'packet', headline: `${na} and ${nb} both fail: ${ra.failure?.headline ?? ''}` }, detail } };
  }
  return { report: { ...base, status: 'pass' } };
}
