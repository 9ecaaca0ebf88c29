// One long-lived Python process per interpreter runs the `%{ }%` blocks of every script this
// process runs (a suite in one Node process shares it): starting python3 costs tens of
// milliseconds, a script's blocks usually a fraction of one.
//
// Protocol. Node writes a request on the worker's stdin: a 4-byte big-endian length, then JSON
// {cwd, env, marker, blocks: [{preamble, code}]}. The worker runs the blocks as the one-shot driver
// did (each block with fresh globals, the first failure ends the request) and answers on fd 3,
// framed the same way. The blocks' own output (print, os.system children) goes to fds 1 and 2,
// pipes to Node as before; after a request the worker writes the request's `marker` to both, so
// Node knows where that request's output ends. Requests are serialised.
//
// Isolation between scripts: fresh globals per block; os.environ, the working folder, sys.path,
// sys.argv, std streams, fds 0-2, signal handlers, pending alarms, umask, recursion limit and
// warning filters are reset; modules imported from outside the interpreter's own installation
// (e.g. a helper next to the script) are forgotten. The state of the standard modules (random's
// seed, socket's default timeout...) is shared, as within one one-shot process.
//
// Lifetime: the worker never keeps Node alive (its handles are unref'ed between requests). It
// exits on EOF of its stdin, i.e. when Node exits or is killed (a reader thread watches stdin
// even while a block runs), and asks the kernel to SIGKILL it when its parent dies (for a block
// that holds the GIL). A worker that dies (a block calling os._exit, a crash, the timeout's
// kill) is replaced by a fresh one at the next request.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

/** Runs in the worker: `python3 -c DRIVER`. Python 3 only (as the one-shot driver was). */
const DRIVER = String.raw`
import json, os, struct, sys, threading
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
except Exception:
    pass
import queue, traceback

REQ = os.dup(0)
REP = os.dup(3)
os.close(3)
def _stdin_null():
    fd = os.open(os.devnull, os.O_RDONLY)
    if fd != 0:
        os.dup2(fd, 0)
        os.close(fd)
_stdin_null()
OUT = os.dup(1)
ERR = os.dup(2)
BASE_ENV = dict(os.environ)
BASE_PATH = list(sys.path)
BASE_ARGV = list(sys.argv)
UMASK = os.umask(0o22)
os.umask(UMASK)
RECURSION = sys.getrecursionlimit()
import signal, warnings
HANDLERS = {}
for _n in range(1, signal.NSIG):
    try:
        HANDLERS[_n] = signal.getsignal(_n)
    except (ValueError, OSError):
        pass
WARNINGS = list(warnings.filters)
HOME_DIRS = tuple(sorted(set(os.path.join(os.path.realpath(p), '') for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix))))
requests = queue.Queue()

def _read(n):
    buf = b''
    while len(buf) < n:
        try:
            chunk = os.read(REQ, n - len(buf))
        except InterruptedError:
            continue
        if not chunk:
            os._exit(0)
        buf += chunk
    return buf

def _reader():
    while True:
        (n,) = struct.unpack('>I', _read(4))
        requests.put(json.loads(_read(n).decode('utf-8')))

threading.Thread(target=_reader, daemon=True).start()

def _send(obj):
    data = json.dumps(obj).encode('utf-8')
    msg = struct.pack('>I', len(data)) + data
    while msg:
        msg = msg[os.write(REP, msg):]

def _run(req):
    try:
        os.chdir(req['cwd'])
    except OSError as e:
        return {'error': str(e)}
    os.environ.clear()
    os.environ.update(BASE_ENV)
    os.environ.update(req['env'])
    sys.path[:] = BASE_PATH
    sys.argv[:] = BASE_ARGV
    try:
        import importlib
        importlib.invalidate_caches()
    except Exception:
        pass
    for i, b in enumerate(req['blocks']):
        env = {}
        exec(b['preamble'], env)
        name = '<block %d>' % i
        try:
            code = compile(b['code'], name, 'exec')
        except SyntaxError as e:
            return {'index': i, 'kind': 'syntax', 'line': e.lineno or 1, 'message': '%s: %s' % (type(e).__name__, e.msg)}
        try:
            exec(code, env)
        except BaseException as e:
            frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == name]
            line = frames[-1].lineno if frames else 1
            kind = 'assert' if isinstance(e, AssertionError) else 'exception'
            text = str(e) if kind == 'assert' else '%s: %s' % (type(e).__name__, e)
            return {'index': i, 'kind': kind, 'line': line, 'message': text}
    return {'ok': True}

def _foreign(module):
    path = getattr(module, '__file__', None)
    if not path:
        return False
    try:
        path = os.path.realpath(path)
    except Exception:
        return True
    return not path.startswith(HOME_DIRS)

def _reset(before):
    for f in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            f.flush()
        except Exception:
            pass
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__
    os.dup2(OUT, 1)
    os.dup2(ERR, 2)
    _stdin_null()
    try:
        signal.alarm(0)
    except Exception:
        pass
    for n, handler in HANDLERS.items():
        try:
            if handler is not None and signal.getsignal(n) is not handler:
                signal.signal(n, handler)
        except (ValueError, OSError, RuntimeError, TypeError):
            pass
    os.umask(UMASK)
    sys.setrecursionlimit(RECURSION)
    warnings.filters[:] = WARNINGS
    for name in [n for n in list(sys.modules) if n not in before]:
        if _foreign(sys.modules.get(name)):
            sys.modules.pop(name, None)
    return not (sys.__stdout__ is None or sys.__stderr__ is None or sys.__stdout__.closed or sys.__stderr__.closed)

while True:
    req = requests.get()
    _send({'started': True})
    before = set(sys.modules)
    try:
        reply = _run(req)
    except BaseException as e:
        reply = {'error': '%s: %s' % (type(e).__name__, e)}
    healthy = _reset(before)
    marker = req['marker'].encode('utf-8')
    for fd in (1, 2):
        try:
            os.write(fd, marker)
        except OSError:
            healthy = False
            reply['noMarker'] = True
    if not healthy:
        reply['exiting'] = True
    _send(reply)
    if not healthy:
        os._exit(0)
`;

/** What the driver reports for a request (index/kind/line/message for the first failing block). */
export interface DriverReport {
  ok?: true;
  index?: number;
  kind?: 'assert' | 'syntax' | 'exception';
  line?: number;
  message?: string;
  /** The worker could not run the request at all (e.g. the folder is gone). */
  error?: string;
}

export interface WorkerRequest {
  cwd: string;
  env: Record<string, string>;
  blocks: { preamble: string; code: string }[];
}

export type WorkerOutcome =
  | { kind: 'reply'; report: DriverReport; output: string }
  /** The worker died during the request (exit code, or undefined when killed by a signal). */
  | { kind: 'exit'; code: number | undefined; output: string }
  | { kind: 'spawn-error'; error: Error; output: string };

interface Pending {
  child: ChildProcess;
  /** The framed request, kept to send it again to a fresh worker. */
  frame: Buffer;
  cwd: string;
  /** The worker took the request: if it dies now, the request is what killed it. */
  started: boolean;
  retried?: boolean;
  marker: string;
  output: string;
  /** Per stream: text that may hold the start of the marker; whether the marker came. */
  held: { out: string; err: string };
  seen: { out: boolean; err: boolean };
  report?: DriverReport;
  timer?: NodeJS.Timeout;
  resolve: (o: WorkerOutcome) => void;
}

/** A python process that runs requests one after another; respawned when it has died. */
export class PythonWorker {
  private child: ChildProcess | undefined;
  private pending: Pending | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly exe: string, private readonly args: string[]) {}

  /** Pid of the live process, if any (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs one request after those already queued; `timeoutMs` counts from its own start. */
  run(req: WorkerRequest, timeoutMs: number): Promise<WorkerOutcome> {
    const result = this.tail.then(() => this.runNow(req, timeoutMs));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private runNow(req: WorkerRequest, timeoutMs: number): Promise<WorkerOutcome> {
    return new Promise((resolve) => {
      const marker = `\0mptcpdrill-python-done-${randomBytes(8).toString('hex')}\0`;
      const body = Buffer.from(JSON.stringify({ ...req, marker }), 'utf8');
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      const child = this.child ?? this.start(req.cwd);
      const p: Pending = { child, frame: Buffer.concat([head, body]), cwd: req.cwd, started: false, marker, output: '', held: { out: '', err: '' }, seen: { out: false, err: false }, resolve };
      this.pending = p;
      p.timer = setTimeout(() => this.kill(p.child), Math.max(1, timeoutMs));
      this.send(p, child);
    });
  }

  private send(p: Pending, child: ChildProcess): void {
    p.child = child;
    this.setRef(child, true);
    child.stdin?.write(p.frame);
  }

  private start(cwd: string): ChildProcess {
    const child = spawn(this.exe, [...this.args, '-c', DRIVER], { cwd, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    let reply = Buffer.alloc(0);
    child.on('error', (err) => {
      if (this.child === child) this.child = undefined;
      const p = this.pending;
      if (p?.child === child) this.finish(p, { kind: 'spawn-error', error: err, output: p.output });
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.onOutput(child, 'out', d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.onOutput(child, 'err', d));
    (child.stdio[3] as Socket | null)?.on('data', (d: Buffer) => {
      reply = Buffer.concat([reply, d]);
      while (reply.length >= 4 && reply.length >= 4 + reply.readUInt32BE(0)) {
        const n = reply.readUInt32BE(0);
        const text = reply.subarray(4, 4 + n).toString('utf8');
        reply = reply.subarray(4 + n);
        let report: DriverReport & { started?: true; noMarker?: true; exiting?: true };
        try { report = JSON.parse(text) as DriverReport; } catch { report = { error: 'unreadable reply from the Python worker' }; }
        // A worker that ends itself after this reply takes no more requests.
        if (report.exiting && this.child === child) this.child = undefined;
        const p = this.pending;
        if (p?.child !== child) continue;
        if (report.started) {
          p.started = true;
          continue;
        }
        p.report = report;
        if (report.noMarker) p.seen = { out: true, err: true };
        this.maybeDone(p);
      }
    });
    for (const s of [child.stdin, child.stdout, child.stderr, child.stdio[3] as Socket | null]) s?.on('error', () => { /* the worker died: reported on exit */ });
    child.on('exit', (code) => {
      if (this.child === child) this.child = undefined;
      const p = this.pending;
      if (p?.child !== child) return;
      // It died before taking the request (killed while idle): the request goes to a fresh one.
      if (!p.started && !p.retried) {
        p.retried = true;
        this.send(p, this.start(p.cwd));
        return;
      }
      // Output written just before the end may still be in the pipes: take it, briefly (a
      // process the block started may hold them open).
      const streams = [child.stdout, child.stderr].filter((s): s is NonNullable<typeof s> => !!s && !s.readableEnded);
      let open = streams.length;
      const done = (): void => {
        if (this.pending !== p) return;
        p.output += p.held.out + p.held.err;
        p.held = { out: '', err: '' };
        this.finish(p, p.report ? { kind: 'reply', report: p.report, output: p.output } : { kind: 'exit', code: code ?? undefined, output: p.output });
      };
      if (open === 0) return done();
      const grace = setTimeout(done, 200);
      for (const s of streams) s.once('end', () => { if (--open === 0) { clearTimeout(grace); done(); } });
    });
    this.setRef(child, false);
    return child;
  }

  /** Output of the request running (output between requests is dropped). */
  private onOutput(child: ChildProcess, which: 'out' | 'err', text: string): void {
    const p = this.pending;
    if (p?.child !== child || p.seen[which]) return;
    const held = p.held[which] + text;
    const at = held.indexOf(p.marker);
    if (at >= 0) {
      p.output += held.slice(0, at);
      p.held[which] = '';
      p.seen[which] = true;
      this.maybeDone(p);
      return;
    }
    // Keep back what could be the start of the marker.
    const keep = Math.min(held.length, p.marker.length - 1);
    p.output += held.slice(0, held.length - keep);
    p.held[which] = held.slice(held.length - keep);
  }

  private maybeDone(p: Pending): void {
    if (p.report && p.seen.out && p.seen.err) this.finish(p, { kind: 'reply', report: p.report, output: p.output });
  }

  private finish(p: Pending, outcome: WorkerOutcome): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    if (p.timer) clearTimeout(p.timer);
    this.setRef(p.child, false);
    p.resolve(outcome);
  }

  /** The block ran too long: the whole process group goes (os.system children too). */
  private kill(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    // Should the process not even die, the request ends all the same.
    const p = this.pending;
    if (p?.child === child) p.timer = setTimeout(() => this.finish(p, { kind: 'exit', code: undefined, output: p.output + p.held.out + p.held.err }), 5000);
    if (child.pid === undefined) return;
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }

  /** While a request runs the worker keeps Node alive; otherwise never. */
  private setRef(child: ChildProcess, on: boolean): void {
    const handles = [child, child.stdin, child.stdout, child.stderr, child.stdio[3]] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
    for (const h of handles) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }
}

const workers = new Map<string, PythonWorker>();

/**
 * The worker for interpreter `exe` with extra arguments `args`; `context` tells apart what one
 * name means in different folders (a version manager's choice), so each gets its own worker.
 */
export function pythonWorker(exe: string, args: string[], context = ''): PythonWorker {
  const key = [exe, ...args, context].join('\0');
  let w = workers.get(key);
  if (!w) {
    w = new PythonWorker(exe, args);
    workers.set(key, w);
  }
  return w;
}

/** Pids of the live workers (tests). */
export function pythonWorkerPids(): number[] {
  return [...workers.values()].map((w) => w.pid).filter((p): p is number => p !== undefined);
}
