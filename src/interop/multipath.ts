// The second path of an interop run. Whoever is the server announces a second address of its own
// (ADD_ADDR from a `signal` endpoint) and the client, allowed by its limits to accept one
// announcement, joins it with MP_JOIN. `--remove-path` then withdraws that endpoint mid-transfer
// (REMOVE_ADDR), closing the joined subflow while the data goes on over the first one.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Stack } from '../stack/socket-api.js';

const run = promisify(execFile);

/** The server's second address: the stack's when it serves, the kernel's when the kernel does. */
export const STACK_SECOND_IP = '192.0.2.2';
export const KERNEL_SECOND_IP = '192.0.2.253';
const ENDPOINT_ID = 1;

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

/** True when the bundled stack can join and announce (it has a path manager that answers MP_JOIN). */
export function stackSupportsJoins(stack: Stack): boolean {
  const pm: unknown = stack.pm;
  return typeof (pm as { acceptJoin?: unknown }).acceptJoin === 'function' && typeof (pm as { removeEndpoint?: unknown }).removeEndpoint === 'function';
}

/** Sets up the second path before the connection opens. `device`: the tun, for the kernel's address. */
export async function setUpSecondPath(stack: Stack, role: 'server' | 'client', device: string): Promise<void> {
  if (role === 'server') {
    stack.host.addresses.add(STACK_SECOND_IP);
    const err = stack.pm.add({ address: STACK_SECOND_IP, port: undefined, flags: ['signal'], dev: undefined, id: ENDPOINT_ID });
    if (err) throw new Error(`The bundled stack refused its signal endpoint: ${err}`);
    await ip(['mptcp', 'limits', 'set', 'add_addr_accepted', '1', 'subflows', '1']);
  } else {
    await ip(['addr', 'add', `${KERNEL_SECOND_IP}/24`, 'dev', device]);
    await ip(['mptcp', 'endpoint', 'add', KERNEL_SECOND_IP, 'dev', device, 'signal', 'id', String(ENDPOINT_ID)]);
    await ip(['mptcp', 'limits', 'set', 'add_addr_accepted', '1', 'subflows', '1']);
    stack.pm.addAddrAccepted = 1;
    stack.pm.subflows = 1;
  }
}

/** Withdraws the announced endpoint (the server's): REMOVE_ADDR, and the joined subflow closes. */
export async function removeSecondPath(stack: Stack, role: 'server' | 'client'): Promise<void> {
  if (role === 'server') {
    const err = stack.pm.removeEndpoint(ENDPOINT_ID, undefined);
    if (err) throw new Error(`The bundled stack could not remove its endpoint: ${err}`);
  } else {
    await ip(['mptcp', 'endpoint', 'del', 'id', String(ENDPOINT_ID)]);
  }
}
