// One interop run, inside a private network namespace: the bundled stack on the far side of a
// tun device, the kernel's MPTCP in a python app on this side, data both ways, every packet
// validated. Returns what both apps saw and the validator's tally; formatting is report.ts's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PcapWriter } from '../pcap/writer.js';
import { Stack } from '../stack/socket-api.js';
import { writeSysctl } from '../targets/kernel/net-setup.js';
import { startKernelApp, type KernelAppResult } from './kernel-app.js';
import { removeSecondPath, setUpSecondPath } from './multipath.js';
import { KERNEL_SEED, STACK_SEED } from './pattern.js';
import { newStackAppResult, runStackApp, type StackAppResult } from './stack-app.js';
import { TunBridge } from './tun-bridge.js';
import { WireValidator } from './wire-validator.js';
import type { Checks } from './checks.js';

const run = promisify(execFile);

export const DEVICE = 'mpinterop0';
/** The bundled stack's address and the kernel's (second addresses: multipath.ts). */
export const STACK_IPS = ['192.0.2.1'] as const;
export const KERNEL_IP = '192.0.2.254';
/** Listeners take every address, so that a join towards a second address finds them. */
const ANY = '0.0.0.0';
const PORT = 8080;
/** After both apps are done, how long the closing handshakes may take on the wire. */
const CLOSE_GRACE_MS = 3000;

export interface InteropOptions {
  role: 'server' | 'client';
  paths: 1 | 2;
  bytes: number;
  pcap: string;
  removePath: boolean;
  /** The kernel asks for DSS checksums (net.mptcp.checksum_enabled=1): every mapping then carries one. */
  checksum: boolean;
  /** Bytes per send() call of the bundled stack's app. */
  writeSize: number;
  /** Whole-run limit. */
  timeoutMs: number;
}

export interface InteropResult {
  options: InteropOptions;
  stackApp: StackAppResult;
  kernelApp: KernelAppResult;
  checks: Checks;
  packets: number;
  wireBytes: number;
  /** Seconds from the first packet (the SYN) to both apps done (their last byte read, closed). */
  duration: number;
  /** Payload bytes per subflow ("a:p|b:p" → bytes, both directions, retransmissions included). */
  subflows: Array<{ tuple: string; payload: number; join: boolean }>;
  /** Sentences for what went wrong outside the checks (tun errors, timeouts). */
  errors: string[];
}

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

async function configure(o: InteropOptions): Promise<void> {
  writeSysctl('net/mptcp/enabled', '1');
  writeSysctl('net/mptcp/checksum_enabled', o.checksum ? '1' : '0');
  writeSysctl('net/ipv6/conf/all/disable_ipv6', '1');
  writeSysctl('net/ipv6/conf/default/disable_ipv6', '1');
  await ip(['link', 'set', 'dev', 'lo', 'up']);
  await ip(['link', 'set', 'dev', DEVICE, 'mtu', '1500', 'up']);
  await ip(['addr', 'add', `${KERNEL_IP}/24`, 'dev', DEVICE]);
}

export async function runInterop(o: InteropOptions): Promise<InteropResult> {
  const stack = new Stack(Number(process.hrtime.bigint() & 0xffffffn));
  stack.host.mtu = 1500;
  stack.host.addresses.add(STACK_IPS[0]);
  const validator = new WireValidator({ seedOf: (a) => (stack.host.addresses.has(a) ? STACK_SEED : KERNEL_SEED) });
  const pcap = PcapWriter.open(o.pcap);
  const errors: string[] = [];
  // --remove-path: halfway through (half the bytes of both directions seen on the wire), the path
  // is withdrawn, decided on the packet that crosses the half: a timer polling for it ran late on
  // a busy event loop, after a short transfer had already ended (no REMOVE_ADDR was ever sent).
  let removal: 'pending' | 'done' = 'pending';
  const observe = (b: Uint8Array): void => {
    validator.observe(b);
    if (!o.removePath || removal === 'done' || validator.payloadBytes < o.bytes) return;
    removal = 'done';
    // After the packet in hand is handled: the stack is never entered from inside itself.
    queueMicrotask(() => { removeSecondPath(stack, o.role).catch((e: Error) => errors.push(e.message)); });
  };
  const bridge = new TunBridge(stack, DEVICE, observe, pcap);
  let stackApp: StackAppResult = newStackAppResult();
  let kernelApp: KernelAppResult = { sent: 0, received: 0, mismatchAt: -1, error: 'did not run', mptcp: null };
  let ended = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    bridge.open();
    await configure(o);
    if (o.paths === 2) await setUpSecondPath(stack, o.role, DEVICE);
    await bridge.start();
    const timeoutSec = o.timeoutMs / 1000;
    const kernel = o.role === 'server'
      ? startKernelApp('connect', STACK_IPS[0], PORT, o.bytes, timeoutSec)
      : startKernelApp('listen', ANY, PORT, o.bytes, timeoutSec);
    const stackDone = runStackApp(stack, o.role === 'server'
      ? { role: 'server', address: ANY, port: PORT, bytes: o.bytes, writeSize: o.writeSize }
      : { role: 'client', address: KERNEL_IP, port: PORT, bytes: o.bytes, writeSize: o.writeSize, peerReady: kernel.ready }, stackApp);
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), o.timeoutMs); });
    const both = Promise.all([stackDone, kernel.done]);
    const outcome = await Promise.race([both, timeout]);
    ended = bridge.nowUs();
    if (outcome === 'timeout') {
      errors.push(`The transfer did not finish within ${o.timeoutMs / 1000} s.`);
      kernel.child.kill('SIGKILL');
      kernelApp = await kernel.done;
      stackApp.error ??= 'did not finish (timed out)';
    } else [stackApp, kernelApp] = outcome;
    clearTimeout(timer);
    await waitForClose(validator);
  } catch (e) {
    errors.push((e as Error).message);
  } finally {
    clearTimeout(timer);
    await bridge.close();
    pcap.close();
  }
  if (bridge.error) errors.push(bridge.error);
  validator.finish(o.bytes, { paths: o.paths, removed: o.removePath });
  const subflows = validator.conns.flatMap((c) => c.subflows.map((sf) => ({
    tuple: [...sf.flows.keys()].join(' ⇄ ') || sf.initiator, payload: sf.payload, join: sf.join !== undefined,
  })));
  return {
    options: o, stackApp, kernelApp, checks: validator.checks, subflows, packets: validator.packets, wireBytes: validator.wireBytes,
    duration: Math.max(0, ended - (bridge.firstPacketUs ?? ended)) / 1e6, errors,
  };
}

/** Waits (a bounded time) until the wire shows both DATA_FINs acked and every subflow FIN. */
async function waitForClose(v: WireValidator): Promise<void> {
  const deadline = Date.now() + CLOSE_GRACE_MS;
  while (Date.now() < deadline) {
    // The last ACK (of the last FIN) follows the last FIN at once: give it a moment to cross.
    if (v.allClosed()) { await new Promise((r) => setTimeout(r, 50)); return; }
    await new Promise((r) => setTimeout(r, 20));
  }
}
