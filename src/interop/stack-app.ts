// The bundled stack's side of an interop run, written against its system-call surface as an
// application would be: listen+accept or connect, then send `bytes` pattern bytes (seed
// STACK_SEED) and a shutdown(SHUT_WR) while reading to EOF and checking the kernel's pattern.
import * as K from '../stack/constants.js';
import type { Stack } from '../stack/socket-api.js';
import type { SyscallRequest, SyscallResult } from '../targets/target.js';
import { firstMismatch, KERNEL_SEED, patternChunk, STACK_SEED } from './pattern.js';

/**
 * Bytes per send() call. Below 64 KiB on purpose: the stack cuts one mapping per write of up to
 * 65536 bytes, and a 65536-byte mapping's DLL does not fit the 16-bit field (it goes out as 0, an
 * infinite mapping, and the kernel falls back to TCP) — reported to the stack's owner.
 */
export const DEFAULT_WRITE_SIZE = 32768;
const RECV_SIZE = 65536;

export interface StackAppResult {
  sent: number;
  received: number;
  /** Stream offset of the first wrong byte received, or -1. */
  mismatchAt: number;
  error: string | null;
}

class CallFailed extends Error {}

async function sys(stack: Stack, req: SyscallRequest): Promise<SyscallResult> {
  const r = await stack.syscall(req);
  if (r.ret < 0) throw new CallFailed(`${req.name}() on the bundled stack failed with ${r.errno ?? 'an error'}`);
  return r;
}

export interface StackAppPlan {
  role: 'server' | 'client';
  /** Server: address and port to listen on. Client: the kernel's address and port to connect to. */
  address: string;
  port: number;
  bytes: number;
  /** Client only: resolves when the kernel's listener is ready. */
  peerReady?: Promise<void>;
  /** Pattern seeds of what this app sends and what it expects (default: the stack's, the kernel's). */
  sendSeed?: number;
  expectSeed?: number;
  /** Bytes per send() call (default DEFAULT_WRITE_SIZE). */
  writeSize?: number;
}

export function newStackAppResult(): StackAppResult {
  return { sent: 0, received: 0, mismatchAt: -1, error: null };
}

/** Runs the app; `res` is updated as it goes, so a caller that gives up still sees the progress. */
export async function runStackApp(stack: Stack, plan: StackAppPlan, res: StackAppResult = newStackAppResult()): Promise<StackAppResult> {
  try {
    const addr = { family: 'inet' as const, address: plan.address, port: plan.port };
    const sock = (await sys(stack, { name: 'socket', domain: K.AF_INET, type: K.SOCK_STREAM, protocol: K.IPPROTO_MPTCP })).ret;
    let fd = sock;
    if (plan.role === 'server') {
      await sys(stack, { name: 'bind', fd: sock, addr, addrLen: 16 });
      await sys(stack, { name: 'listen', fd: sock, backlog: 4 });
      // The listener stays open until the end: MP_JOIN SYNs for this connection arrive through it.
      fd = (await sys(stack, { name: 'accept', fd: sock, flags: 0, wantAddr: false })).ret;
    } else {
      await plan.peerReady;
      await sys(stack, { name: 'connect', fd: sock, addr, addrLen: 16 });
    }
    const sender = (async () => {
      while (res.sent < plan.bytes) {
        const n = Math.min(plan.writeSize ?? DEFAULT_WRITE_SIZE, plan.bytes - res.sent);
        const r = await sys(stack, { name: 'send', fd, data: patternChunk(plan.sendSeed ?? STACK_SEED, res.sent, n), flags: 0 });
        res.sent += r.ret;
      }
      await sys(stack, { name: 'shutdown', fd, how: K.SHUT_WR });
    })();
    const receiver = (async () => {
      for (;;) {
        const r = await sys(stack, { name: 'recv', fd, len: RECV_SIZE, flags: 0 });
        if (r.ret === 0) break;
        const data = r.out?.kind === 'data' ? r.out.data : new Uint8Array(0);
        const bad = firstMismatch(plan.expectSeed ?? KERNEL_SEED, res.received, data);
        if (bad >= 0 && res.mismatchAt < 0) res.mismatchAt = res.received + bad;
        res.received += data.length;
      }
    })();
    await Promise.all([sender, receiver]);
    await sys(stack, { name: 'close', fd });
    if (fd !== sock) await sys(stack, { name: 'close', fd: sock });
  } catch (e) {
    res.error = e instanceof CallFailed ? e.message : `the bundled stack's app failed: ${(e as Error).message}`;
  }
  return res;
}
