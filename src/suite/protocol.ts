// The child → parent protocol: a child runs exactly one job and prints its JobReport as one
// line `RESULT_PREFIX<json>` on stdout. Anything else the child prints (a crash, stray output)
// is kept as the detail of an error when no result line arrives.

import type { JobReport, JobSpec } from './types.js';

export const RESULT_PREFIX = '@mptcpdrill-result ';

export function encodeResult(report: JobReport): string {
  return RESULT_PREFIX + JSON.stringify(report);
}

/** The report in a child's whole stdout (its last result line), or null when it printed none. */
export function decodeResult(stdout: string): JobReport | null {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) return null;
  try {
    return JSON.parse(line.slice(RESULT_PREFIX.length)) as JobReport;
  } catch {
    return null;
  }
}

/** The spec travels as one argument: base64 keeps it clear of any quoting. */
export function encodeSpec(spec: JobSpec): string {
  return Buffer.from(JSON.stringify(spec)).toString('base64');
}

export function decodeSpec(arg: string): JobSpec {
  return JSON.parse(Buffer.from(arg, 'base64').toString('utf8')) as JobSpec;
}
