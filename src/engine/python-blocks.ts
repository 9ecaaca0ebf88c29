// Python blocks (pkt-language §9): TCP_INFO (and MPTCP_INFO on MPTCP sockets, and the
// congestion-control info when the algorithm has one) is read at the block's time; when the
// script's events are done every block runs, in order, in one Python process, preceded by
// assignments of what was recorded for it and the symbolic constants.

import { spawn, spawnSync } from 'node:child_process';
import type { Target } from '../targets/target.js';
import { decodeStruct, type StructLayout } from '../sys/struct-layout.js';
import { TCP_BBR_INFO_LAYOUT, TCP_DCTCP_INFO_LAYOUT, TCP_INFO_LAYOUT, TCPVEGAS_INFO_LAYOUT } from '../sys/tcp-info.js';
import { MPTCP_INFO_LAYOUT } from '../sys/mptcp-structs.js';

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

/** The driver: runs each block with its own namespace, reports the first failure as JSON on fd 3. */
const DRIVER = String.raw`
import json, sys, traceback
blocks = json.load(sys.stdin)
report = open(3, 'w')
def done(obj, code):
    report.write(json.dumps(obj)); report.flush(); sys.exit(code)
for i, b in enumerate(blocks):
    env = {}
    exec(b['preamble'], env)
    name = '<block %d>' % i
    try:
        code = compile(b['code'], name, 'exec')
    except SyntaxError as e:
        done({'index': i, 'kind': 'syntax', 'line': e.lineno or 1, 'message': '%s: %s' % (type(e).__name__, e.msg)}, 3)
    try:
        exec(code, env)
    except BaseException as e:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == name]
        line = frames[-1].lineno if frames else 1
        kind = 'assert' if isinstance(e, AssertionError) else 'exception'
        text = str(e) if kind == 'assert' else '%s: %s' % (type(e).__name__, e)
        done({'index': i, 'kind': kind, 'line': line, 'message': text}, 1)
done({'ok': True}, 0)
`;

function preamble(values: Record<string, PyValue>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(PYTHON_CONSTANTS)) lines.push(`${k} = ${v}`);
  for (const [k, v] of Object.entries(values)) lines.push(typeof v === 'string' ? `${k} = ${JSON.stringify(v)}` : `${k} = ${v}`);
  return lines.join('\n');
}

interface DriverReport { ok?: true; index?: number; kind?: 'assert' | 'syntax' | 'exception'; line?: number; message?: string }

/**
 * The interpreter `exe` really is, asked once per folder: `python3` on PATH may be a wrapper (a
 * pyenv shim is a bash script that costs ~100 ms per start), and a suite runs many scripts.
 * Keyed by folder too, because such wrappers pick the version from the folder.
 */
const resolvedInterpreters = new Map<string, string>();

function resolveInterpreter(exe: string, cwd: string): string {
  if (!/^python[\d.]*$/.test(exe)) return exe;
  const key = `${exe}\0${cwd}`;
  let real = resolvedInterpreters.get(key);
  if (real === undefined) {
    const r = spawnSync(exe, ['-c', 'import sys; print(sys.executable)'], { cwd, encoding: 'utf8', timeout: 10_000 });
    const path = r.status === 0 ? r.stdout.trim() : '';
    real = path.startsWith('/') ? path : exe;
    resolvedInterpreters.set(key, real);
  }
  return real;
}

/** Runs every block in one process (`command`, e.g. python3) in `cwd`. */
export function runBlocks(blocks: RecordedBlock[], command: string, cwd: string, timeoutMs = 60_000): Promise<BlocksOutcome> {
  const payload = JSON.stringify(blocks.map((b) => ({ preamble: preamble(b.values), code: b.code })));
  return new Promise((resolve) => {
    const [exe, ...extra] = command.trim().split(/\s+/);
    const child = spawn(resolveInterpreter(exe!, cwd), [...extra, '-c', DRIVER], { cwd, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    let report = '';
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => { report += d.toString(); });
    child.on('error', (err) => resolve({ ok: false, kind: 'interpreter', message: `cannot run ${exe}: ${err.message}`, output }));
    child.on('close', (code) => {
      let parsed: DriverReport | undefined;
      try { parsed = report ? (JSON.parse(report) as DriverReport) : undefined; } catch { parsed = undefined; }
      if (parsed?.ok && code === 0) return resolve({ ok: true, output });
      if (parsed?.index !== undefined && parsed.kind) {
        const block = blocks[parsed.index]!;
        return resolve({ ok: false, kind: parsed.kind, line: block.firstLine + (parsed.line ?? 1) - 1, message: parsed.message ?? '', output });
      }
      resolve({ ok: false, kind: 'interpreter', message: `${exe} exited with status ${code ?? 'killed'}`, output });
    });
    child.stdin!.on('error', () => { /* the interpreter died early; reported on close */ });
    child.stdin!.end(payload);
  });
}
