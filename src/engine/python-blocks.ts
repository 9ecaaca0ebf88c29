// Python blocks (docs/language.md §9): TCP_INFO (and MPTCP_INFO on MPTCP sockets, and the
// congestion-control info when the algorithm has one) is read at the block's time; when the
// script's events are done every block runs, in order, in the process's long-lived Python worker
// (python-worker.ts), each with fresh globals holding what was recorded for it and the symbolic
// constants.

import { accessSync, closeSync, constants, existsSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Target } from '../targets/target.js';
import { decodeStruct, type StructLayout } from '../sys/struct-layout.js';
import { TCP_BBR_INFO_LAYOUT, TCP_DCTCP_INFO_LAYOUT, TCP_INFO_LAYOUT, TCPVEGAS_INFO_LAYOUT } from '../sys/tcp-info.js';
import { MPTCP_INFO_LAYOUT } from '../sys/mptcp-structs.js';
import { pythonWorker } from './python-worker.js';
import { runnableSource } from './python-source.js';

export type PyValue = number | bigint | string;

export interface RecordedBlock {
  /** Script line of the block's first code line. */
  firstLine: number;
  code: string;
  values: Record<string, PyValue>;
}

const SOL_TCP = 6;
const TCP_INFO = 11;
const TCP_CONGESTION = 13;
const TCP_CC_INFO = 26;
const SOL_MPTCP = 284;
const MPTCP_INFO = 1;

/** Names every block sees (Linux values). */
export const PYTHON_CONSTANTS: Record<string, number> = {
  TCP_ESTABLISHED: 1, TCP_SYN_SENT: 2, TCP_SYN_RECV: 3, TCP_FIN_WAIT1: 4, TCP_FIN_WAIT2: 5, TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7, TCP_CLOSE_WAIT: 8, TCP_LAST_ACK: 9, TCP_LISTEN: 10, TCP_CLOSING: 11,
  TCP_CA_Open: 0, TCP_CA_Disorder: 1, TCP_CA_CWR: 2, TCP_CA_Recovery: 3, TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1, TCPI_OPT_SACK: 2, TCPI_OPT_WSCALE: 4, TCPI_OPT_ECN: 8, TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
};

const CC_LAYOUTS: Record<string, StructLayout> = { bbr: TCP_BBR_INFO_LAYOUT, vegas: TCPVEGAS_INFO_LAYOUT, dctcp: TCP_DCTCP_INFO_LAYOUT };

async function readOpt(target: Target, fd: number, level: number, optname: number, optlen: number): Promise<Uint8Array | undefined> {
  const r = await target.syscall({ name: 'getsockopt', fd, level, optname, optlen });
  return r.ret === 0 && r.out?.kind === 'opt' ? r.out.value.subarray(0, r.out.optlen) : undefined;
}

/** What a block at this moment sees of socket `fd` (target fd); empty when there is no socket. */
export async function recordSocketInfo(target: Target, fd: number | undefined, mptcp: boolean): Promise<Record<string, PyValue>> {
  const values: Record<string, PyValue> = {};
  if (fd === undefined) return values;
  const tcp = await readOpt(target, fd, SOL_TCP, TCP_INFO, TCP_INFO_LAYOUT.size);
  if (tcp) Object.assign(values, decodeStruct(TCP_INFO_LAYOUT, tcp));
  if (mptcp) {
    const info = await readOpt(target, fd, SOL_MPTCP, MPTCP_INFO, MPTCP_INFO_LAYOUT.size);
    if (info) Object.assign(values, decodeStruct(MPTCP_INFO_LAYOUT, info));
  }
  const cc = await readOpt(target, fd, SOL_TCP, TCP_CONGESTION, 16);
  const ccName = cc ? Buffer.from(cc).toString('latin1').replace(/\0.*$/s, '') : '';
  const layout = CC_LAYOUTS[ccName];
  if (layout) {
    const raw = await readOpt(target, fd, SOL_TCP, TCP_CC_INFO, layout.size);
    if (raw) {
      const d = decodeStruct(layout, raw);
      Object.assign(values, d);
      if (ccName === 'bbr') values['bbr_bw'] = (BigInt(d['bbr_bw_hi'] ?? 0) << 32n) | BigInt(d['bbr_bw_lo'] ?? 0);
    }
  }
  return values;
}

export type BlocksOutcome =
  | { ok: true; output: string }
  | { ok: false; kind: 'assert' | 'syntax' | 'exception' | 'interpreter'; line?: number; message: string; output: string };

function preamble(values: Record<string, PyValue>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(PYTHON_CONSTANTS)) lines.push(`${k} = ${v}`);
  for (const [k, v] of Object.entries(values)) lines.push(typeof v === 'string' ? `${k} = ${JSON.stringify(v)}` : `${k} = ${v}`);
  return lines.join('\n');
}

/** Files by which version managers (pyenv, asdf) pick a version for a folder and its subfolders. */
const VERSION_FILES = ['.python-version', '.tool-versions'];

/** What can make `exe` mean another interpreter in `cwd`: the nearest version files, and the variables managers read. */
function versionContext(cwd: string): string {
  const found: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of VERSION_FILES) if (existsSync(join(dir, name))) found.push(join(dir, name));
    if (found.length > 0 || dir === dirname(dir)) break;
  }
  return [...found, process.env['PYENV_VERSION'] ?? '', process.env['ASDF_PYTHON_VERSION'] ?? ''].join('\0');
}

/** `exe` on PATH when it is a compiled program (no wrapper to ask); undefined otherwise. */
function compiledOnPath(exe: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (!dir.startsWith('/')) return undefined;
    const file = join(dir, exe);
    try {
      accessSync(file, constants.X_OK);
      const fd = openSync(file, 'r');
      try {
        const head = Buffer.alloc(4);
        readSync(fd, head, 0, 4, 0);
        return head.toString('latin1') === '\x7fELF' ? realpathSync(file) : undefined;
      } finally {
        closeSync(fd);
      }
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * The interpreter to start for `exe` in `cwd`: a compiled python3 first on PATH as it is;
 * otherwise (a wrapper such as pyenv's shim, which costs ~100 ms or more per start and picks the
 * version by folder) the name itself, with the context that decides what it means, so that one
 * worker serves every folder of one context and the wrapper runs once per context.
 */
function resolveInterpreter(exe: string, cwd: string): { exe: string; context: string } {
  if (!/^python[\d.]*$/.test(exe)) return { exe, context: '' };
  const compiled = compiledOnPath(exe);
  return compiled ? { exe: compiled, context: '' } : { exe, context: versionContext(cwd) };
}

export interface RunBlocksOptions {
  /** Environment the blocks see on top of this process's own (os.environ): the shell lines'. */
  env?: Record<string, string>;
  /** Limit for all the blocks together; past it the interpreter is killed. Default 60 s. */
  timeoutMs?: number;
}

/**
 * Runs every block, in order, in the long-lived Python worker of `command` (e.g. python3), in
 * `cwd`. Each block runs as packetdrill writes it (runnableSource).
 */
export async function runBlocks(blocks: RecordedBlock[], command: string, cwd: string, opts: RunBlocksOptions = {}): Promise<BlocksOutcome> {
  const [exe, ...extra] = command.trim().split(/\s+/);
  const interpreter = resolveInterpreter(exe!, cwd);
  const worker = pythonWorker(interpreter.exe, extra, interpreter.context);
  // The worker moves from folder to folder: a relative one would be taken from the last.
  const request = { cwd: resolve(cwd), env: opts.env ?? {}, blocks: blocks.map((b) => ({ preamble: preamble(b.values), code: runnableSource(b.code) })) };
  const r = await worker.run(request, opts.timeoutMs ?? 60_000);
  if (r.kind === 'spawn-error') return { ok: false, kind: 'interpreter', message: `cannot run ${exe}: ${r.error.message}`, output: r.output };
  if (r.kind === 'exit') return { ok: false, kind: 'interpreter', message: `${exe} exited with status ${r.code ?? 'killed'}`, output: r.output };
  const report = r.report;
  if (report.ok) return { ok: true, output: r.output };
  if (report.index !== undefined && report.kind) {
    const block = blocks[report.index]!;
    return { ok: false, kind: report.kind, line: block.firstLine + (report.line ?? 1) - 1, message: report.message ?? '', output: r.output };
  }
  return { ok: false, kind: 'interpreter', message: `cannot run ${exe}: ${report.error ?? 'no report'}`, output: r.output };
}
