// The small collector every check writes to: one place that stamps the file name on each
// diagnostic, so the checks only say what is wrong and where.

import type { Diagnostic, Severity, SourceRange } from '../ast.js';

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly file: string) {}

  report(severity: Severity, code: string, range: SourceRange, message: string): void {
    this.diagnostics.push({ severity, code, range, message, file: this.file });
  }

  error(code: string, range: SourceRange, message: string): void {
    this.report('error', code, range, message);
  }

  warn(code: string, range: SourceRange, message: string): void {
    this.report('warning', code, range, message);
  }
}

/** Formats microseconds as upstream prints script times: seconds with six decimals. */
export function seconds(usecs: number): string {
  return (usecs / 1e6).toFixed(6);
}
