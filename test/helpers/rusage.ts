// Runs the CLI in a child process and reports its peak memory (maxRSS, from the child's own
// process.resourceUsage() at exit) with its output: memory bounds are measured, not timed.
import { spawn } from 'node:child_process';
import { cliPath } from './paths.js';

export interface MeasuredRun {
  status: number | null;
  stdout: string;
  /** stderr without the measurement line. */
  stderr: string;
  /** Peak resident set size of the CLI process, in bytes. */
  maxRssBytes: number;
  wallMs: number;
}

const REPORT = 'process.on("exit",()=>process.stderr.write("\\nMPTCPDRILL_MAXRSS="+process.resourceUsage().maxRSS+"\\n"))';

/** `node bin/mptcpdrill.js ...args`, measured. */
export function runCliMeasured(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<MeasuredRun> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REPORT)}`, cliPath, ...args], {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      const text = Buffer.concat(err).toString('utf8');
      const m = /\n?MPTCPDRILL_MAXRSS=(\d+)\n$/.exec(text);
      resolve({
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: m ? text.slice(0, m.index) : text,
        maxRssBytes: m ? Number(m[1]) * 1024 : Number.NaN,
        wallMs: performance.now() - began,
      });
    });
  });
}
