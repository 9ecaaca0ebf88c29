// The kernel side of an interop run: a small python3 program using the kernel's MPTCP
// (socket(AF_INET, SOCK_STREAM, 262)). It either listens or connects, sends `bytes` pattern bytes
// (seed KERNEL_SEED) while reading everything the peer sends, checks what it read against the
// stack's pattern (seed STACK_SEED), closes, and prints one JSON line with what it saw.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { KERNEL_SEED, PERIOD, STACK_SEED } from './pattern.js';

const PROGRAM = String.raw`
import json, socket, sys, threading, time
role, host, port, nbytes, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
def pattern(seed, n):
    base = bytes((j + seed) % ${PERIOD} for j in range(${PERIOD}))
    return (base * (n // ${PERIOD} + 1))[:n]
out = pattern(${KERNEL_SEED}, nbytes)
expect = pattern(${STACK_SEED}, nbytes)
result = {"sent": 0, "received": 0, "mismatchAt": -1, "error": None, "mptcp": None}
try:
    if role == "listen":
        l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((host, port))
        l.listen(1)
        print("ready", flush=True)
        l.settimeout(timeout)
        s, _ = l.accept()
        # The listener stays open: MP_JOIN SYNs for this connection arrive through it.
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        s.settimeout(timeout)
        s.connect((host, port))
    s.settimeout(timeout)
    # MPTCP_INFO (SOL_MPTCP 284, optname 1) fails with EOPNOTSUPP once the socket fell back to TCP.
    try:
        s.getsockopt(284, 1, 64)
        result["mptcp"] = True
    except OSError:
        result["mptcp"] = False
    errors = []
    def sender():
        try:
            s.sendall(out)
            result["sent"] = len(out)
            s.shutdown(socket.SHUT_WR)
        except Exception as e:
            errors.append("send: %s" % e)
    t = threading.Thread(target=sender)
    t.start()
    got = bytearray()
    while True:
        b = s.recv(262144)
        if not b:
            break
        got += b
    t.join()
    s.close()
    if role == "listen":
        l.close()
    result["received"] = len(got)
    if bytes(got) != expect[:len(got)]:
        result["mismatchAt"] = next(i for i in range(len(got)) if got[i] != expect[i])
    if errors:
        result["error"] = errors[0]
except Exception as e:
    result["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(result), flush=True)
`;

export interface KernelAppResult {
  sent: number;
  received: number;
  /** Stream offset of the first wrong byte received, or -1. */
  mismatchAt: number;
  error: string | null;
  /** MPTCP_INFO answered on the kernel socket (false: it fell back to TCP). */
  mptcp: boolean | null;
}

export interface KernelApp {
  /** Resolves once a listening app is ready for connections (at once for a connecting app). */
  ready: Promise<void>;
  done: Promise<KernelAppResult>;
  child: ChildProcess;
}

/** Starts the python app: `listen` on or `connect` to host:port, exchanging `bytes` each way. */
export function startKernelApp(role: 'listen' | 'connect', host: string, port: number, bytes: number, timeoutSec: number): KernelApp {
  const child = spawn('python3', ['-c', PROGRAM, role, host, String(port), String(bytes), String(timeoutSec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  let markReady = (): void => {};
  const ready = role === 'connect' ? Promise.resolve() : new Promise<void>((r) => (markReady = r));
  const done = new Promise<KernelAppResult>((resolve) => {
    let result: KernelAppResult | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') { markReady(); return; }
      try { result = JSON.parse(line) as KernelAppResult; } catch { /* not ours */ }
    });
    const fail = (why: string): KernelAppResult => ({ sent: 0, received: 0, mismatchAt: -1, error: why, mptcp: null });
    child.on('error', (e) => { markReady(); resolve(fail(`cannot start python3: ${e.message}`)); });
    child.on('close', (code) => {
      markReady();
      resolve(result ?? fail(`the python app exited with status ${code} without a result${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    });
  });
  return { ready, done, child };
}
