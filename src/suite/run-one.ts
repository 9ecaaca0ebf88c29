// One job, start to finish, in this process: load the script with the job's flags, prepare the
// run, drive it through runScript, and fold the outcome into a JobReport (plain JSON, so the same
// report comes back whether the job ran here or in a child process).

import { formatDiagnostic } from '../script/diagnostics.js';
import { checkText, loadScript } from '../script/load.js';
import { prepareRun } from '../engine/prepare.js';
import { runScript } from '../engine/run.js';
import type { RunResult } from '../engine/types.js';
import { failureHeadline, formatFailure } from '../report/failure-report.js';
import { pcapSink, type PcapSink } from '../report/sinks.js';
import type { Target } from '../targets/target.js';
import type { JobReport, JobSpec } from './types.js';
import { encodeTrace } from '../differential/trace-wire.js';
import { Prng } from '../stack/prng.js';

/** Keeps the address stream apart from the stack's own stream of the same seed. */
const LOCAL_ADDRESS_STREAM = 0x5eed1a;

async function makeTarget(spec: JobSpec): Promise<Target> {
  if (spec.target === 'ts') {
    const { createTsTarget } = await import('../targets/ts-target.js');
    return createTsTarget({ seed: spec.seed });
  }
  const { KernelTarget } = await import('../targets/kernel/kernel-target.js');
  return new KernelTarget();
}

function toReport(result: RunResult, text: string, spec: JobSpec, ipVersion: JobReport['ipVersion']): JobReport {
  const report: JobReport = {
    status: result.status,
    wallMs: result.wallMs,
    scriptEndUs: result.scriptEndUs,
    warnings: result.warnings,
    ...(ipVersion ? { ipVersion } : {}),
    ...(spec.trace ? { trace: encodeTrace(result.trace) } : {}),
  };
  if (result.skipReasons) report.skipReasons = result.skipReasons;
  if (result.failure) {
    report.failure = { kind: result.failure.kind, headline: failureHeadline(result.file, result.failure) };
    if (result.failure.testerLateUs !== undefined) report.failure.testerLateUs = result.failure.testerLateUs;
    report.detail = formatFailure(result, text, { color: false });
    if (spec.color) report.detailColor = formatFailure(result, text, { color: true });
  }
  return report;
}

export async function runJob(spec: JobSpec): Promise<JobReport> {
  const began = performance.now();
  // The seed decides the script's random local address too, so a seed reproduces the whole trace
  // wherever the job runs (this thread, a runner thread, a child process).
  const addresses = new Prng(spec.seed ^ LOCAL_ADDRESS_STREAM);
  const loadOptions = { target: spec.target, cli: spec.cli, random: () => addresses.next32() / 2 ** 32 };
  const loaded = spec.text !== undefined ? checkText(spec.file, spec.text, loadOptions) : loadScript(spec.file, loadOptions);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.script || !loaded.options || errors.length > 0) {
    const first = errors[0];
    return {
      status: 'error',
      wallMs: performance.now() - began,
      scriptEndUs: 0,
      warnings: [],
      failure: { kind: 'script', headline: first ? `${first.file}:${first.range.start.line}:${first.range.start.column}: ${first.message}` : `${spec.file}: the script could not be parsed` },
      detail: errors.map((d) => formatDiagnostic(d, loaded.text, { color: false })).join('\n'),
      ...(spec.color ? { detailColor: errors.map((d) => formatDiagnostic(d, loaded.text, { color: true })).join('\n') } : {}),
    };
  }
  let pcap: PcapSink | undefined;
  if (spec.pcap !== undefined) {
    try {
      pcap = pcapSink(spec.pcap);
    } catch (err) {
      return { status: 'error', wallMs: 0, scriptEndUs: 0, warnings: [], failure: { kind: 'target', headline: `cannot write ${spec.pcap}: ${(err as Error).message}` } };
    }
  }
  const opts = prepareRun(loaded.options, spec.target, {
    seed: spec.seed,
    toleranceScale: spec.toleranceScale,
    graceUs: spec.graceMs === undefined ? undefined : spec.graceMs * 1000,
    strictTail: spec.strictTail ?? false,
    onTrace: pcap?.sink,
  });
  // --timeout bounds each shell command, so an in-process run (the bundled stack, in virtual
  // time, spends wall time only there) stops at it too.
  if (spec.shellTimeoutMs !== undefined) opts.shellTimeoutMs = spec.shellTimeoutMs;
  try {
    const target = await makeTarget(spec);
    const result = await runScript(loaded, target, opts);
    return toReport(result, loaded.text, spec, loaded.options.ipVersion);
  } finally {
    pcap?.close();
  }
}
