// Runs in a worker thread of the suite's thread pool (thread-pool.ts): bundled-stack jobs, one
// message each, answered with their JobReport. The bundled stack is virtual-time and keeps no
// state between scripts outside its target object, so a thread runs script after script as the
// main thread would in-process, on a core of its own.

import { parentPort } from 'node:worker_threads';
import { runJob } from './run-one.js';
import type { JobReport, JobSpec } from './types.js';

export interface ThreadRequest {
  id: number;
  spec: JobSpec;
}

export interface ThreadReply {
  id: number;
  report: JobReport;
}

function crash(message: string): JobReport {
  return { status: 'error', wallMs: 0, scriptEndUs: 0, warnings: [], failure: { kind: 'crash', headline: message } };
}

/** Answers job requests until the pool closes the port. */
export function serveSuiteJobs(): void {
  const port = parentPort;
  if (!port) throw new Error('serveSuiteJobs() runs in a worker thread only');
  port.on('message', (request: ThreadRequest) => {
    void runJob(request.spec)
      .catch((err: unknown) => crash(`${request.spec.file}: internal error: ${err instanceof Error ? err.message : String(err)}`))
      .then((report) => port.postMessage({ id: request.id, report } satisfies ThreadReply));
  });
}
