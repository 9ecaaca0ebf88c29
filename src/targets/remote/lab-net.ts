// The remote target's lab network, one definition for its two users: `mptcpdrill lab` (named
// namespaces that outlive the command, src/targets/remote/lab.ts) and the tests' VethLab
// (scripts/remote/veth-lab.ts: anonymous namespaces that die with the test). The tester's side
// (namespace A) and the stack under test (namespace B) are joined by a veth pair created inside A
// with its peer moved straight into B, so the host's own namespace never sees a link or address.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabAddresses {
  /** Our (the script side's) address on vethA, and a second one for joins. */
  ours: string; ours2: string;
  /** The stack under test on vethB, and its second address. */
  stack: string; stack2: string;
}

export const LAB: LabAddresses = { ours: '10.77.0.1', ours2: '10.77.0.2', stack: '10.77.0.10', stack2: '10.77.0.11' };
/** The tester's end of the pair (in A) and the stack's end (in B). */
export const IFACE = 'vethA';
export const PEER_IFACE = 'vethB';
const PREFIX = 24;

/** scripts/remote/ of the package (the .py helpers are not compiled): this file is in dist/src/targets/remote/ or src/targets/remote/. */
export function helpersDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return join(here, here.includes(`${'dist'}/src/`) ? '../../../..' : '../../..', 'scripts', 'remote');
}

/** Runs `ip ARGS…` in one side's namespace; throws on failure. */
export type IpIn = (args: string[]) => void;

/**
 * Builds the pair and its addresses. `peerNetns` names B for `ip link … netns` (a name of
 * /run/netns or a pid of a process in B).
 */
export function buildVethPair(inA: IpIn, inB: IpIn, peerNetns: string): void {
  inA(['link', 'set', 'lo', 'up']);
  inA(['link', 'add', IFACE, 'type', 'veth', 'peer', 'name', PEER_IFACE, 'netns', peerNetns]);
  for (const a of [LAB.ours, LAB.ours2]) inA(['addr', 'add', `${a}/${PREFIX}`, 'dev', IFACE]);
  inA(['link', 'set', IFACE, 'up']);
  inB(['link', 'set', 'lo', 'up']);
  for (const a of [LAB.stack, LAB.stack2]) inB(['addr', 'add', `${a}/${PREFIX}`, 'dev', PEER_IFACE]);
  inB(['link', 'set', PEER_IFACE, 'up']);
}

/**
 * Script defines that tell a script how to reach the stack's side (exported to its shell lines
 * too): IN_STACK prefixes a command to run it in B, APP is the small MPTCP application
 * (scripts/remote/mptcp-app.py), STACK_IP2/OUR_IP2 the second addresses for joins.
 */
export function labDefines(inStack: string): string[] {
  return [
    `IN_STACK=${inStack}`,
    `APP=python3 ${join(helpersDir(), 'mptcp-app.py')}`,
    `STACK_IP2=${LAB.stack2}`,
    `OUR_IP2=${LAB.ours2}`,
  ];
}
