// Per-script overhead of the kernel target: re-executing under `unshare --net`, bringing up the
// tun device, tearing down, exiting — with no script in between — and the real clock's sleep
// accuracy, and what one syscall costs inline and through a worker thread. Run as root. The same file is the namespaced child (`--netns-child`).
import { pathToFileURL, fileURLToPath } from 'node:url';
import { KernelTarget } from '../../src/targets/kernel/kernel-target.js';
import { reexecInFreshNetns } from '../../src/targets/kernel/netns.js';
import { RealClock } from '../../src/targets/kernel/real-clock.js';

const RUNS = 20;
const SLEEPS = 300;
const CALLS = 100;
const CHILD_FLAG = '--netns-child';
const SELF = fileURLToPath(import.meta.url);

const ms = (ns: bigint): number => Number(ns) / 1e6;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** In the namespace: open and close a target, report both durations in ms. */
async function child(): Promise<void> {
  const t = new KernelTarget();
  const t0 = process.hrtime.bigint();
  await t.open({
    ipVersion: 'ipv4', localIp: '192.168.0.2', remoteIp: '192.0.2.1', remotePrefix: 24, gatewayIp: '192.168.0.1',
    netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0',
  });
  const t1 = process.hrtime.bigint();
  const calls = await callLatency(t);
  const t2 = process.hrtime.bigint();
  await t.close();
  const t3 = process.hrtime.bigint();
  process.stdout.write(JSON.stringify({ open: ms(t1 - t0), close: ms(t3 - t2), ...calls }));
  process.exit(0);
}

/**
 * Cost of one syscall through the target: inline (fcntl) and through a worker thread (a write
 * on a blocking pipe, which the target must treat as possibly blocking). Median µs of CALLS.
 */
async function callLatency(t: KernelTarget): Promise<{ inlineUs: number; workerUs: number }> {
  const pipe = await t.syscall({ name: 'pipe', flags: 0 });
  const [r, w] = pipe.out?.kind === 'fds' ? pipe.out.fds : [-1, -1];
  const inline: number[] = [];
  const worker: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    let a = process.hrtime.bigint();
    await t.syscall({ name: 'fcntl', fd: w!, cmd: 3 });
    inline.push(Number(process.hrtime.bigint() - a) / 1000);
    a = process.hrtime.bigint();
    await t.syscall({ name: 'write', fd: w!, data: new Uint8Array(1), flags: 0 });
    worker.push(Number(process.hrtime.bigint() - a) / 1000);
    await t.syscall({ name: 'read', fd: r!, len: 1, flags: 0 });
  }
  return { inlineUs: pct(inline, 50), workerUs: pct(worker, 50) };
}

function spawnOnce(argv: string[]): Promise<{ wall: number; out: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const c = reexecInFreshNetns(argv, process.env, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve({ wall: ms(process.hrtime.bigint() - start), out }) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

async function sleepAccuracy(): Promise<number[]> {
  const clock = new RealClock();
  clock.start();
  const late: number[] = [];
  for (let i = 0; i < SLEEPS; i++) {
    const target = clock.now() + 1000 + Math.random() * 9000;
    await clock.sleepUntil(target);
    late.push(clock.now() - target);
  }
  return late;
}

export async function run(): Promise<Record<string, number | string>> {
  const bare: number[] = [];
  const wall: number[] = [];
  const open: number[] = [];
  const close: number[] = [];
  const inlineUs: number[] = [];
  const workerUs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push((await spawnOnce(['-e', '0'])).wall);
    const r = await spawnOnce([SELF, CHILD_FLAG]);
    const o = JSON.parse(r.out) as { open: number; close: number; inlineUs: number; workerUs: number };
    inlineUs.push(o.inlineUs);
    workerUs.push(o.workerUs);
    wall.push(r.wall);
    open.push(o.open);
    close.push(o.close);
  }
  const late = await sleepAccuracy();
  return {
    runs: RUNS,
    'bare unshare+node spawn p50 ms': round(pct(bare, 50)),
    'script overhead (spawn+open+close+exit) p50 ms': round(pct(wall, 50)),
    'script overhead p90 ms': round(pct(wall, 90)),
    'open() (tun + ip set-up + workers) p50 ms': round(pct(open, 50)),
    'open() p90 ms': round(pct(open, 90)),
    'close() p50 ms': round(pct(close, 50)),
    'close() p90 ms': round(pct(close, 90)),
    'inline syscall p50 us': round(pct(inlineUs, 50), 1),
    'syscall via worker thread p50 us': round(pct(workerUs, 50), 1),
    sleeps: SLEEPS,
    'sleep lateness p50 us': round(pct(late, 50), 1),
    'sleep lateness p99 us': round(pct(late, 99), 1),
    'sleep lateness max us': round(Math.max(...late), 1),
  };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] === CHILD_FLAG) await child();
  else console.log(await run());
}
