// The bundled stack's MIB counters (docs/language.md §6.3), named as nstat names Linux's
// (net/mptcp/mib.c), each counted where Linux 6.18 counts it: the place is cited at every
// increment. A counter not listed here is not kept, and a script asserting one is a skip.

export const STACK_COUNTERS = [
  'MPTcpExtMPCapableSYNRX',
  'MPTcpExtMPCapableACKRX',
  'MPTcpExtMPJoinSynRx',
  'MPTcpExtMPJoinAckRx',
  'MPTcpExtAddAddr',
  'MPTcpExtEchoAdd',
] as const;

export type StackCounter = (typeof STACK_COUNTERS)[number];

const KEPT: ReadonlySet<string> = new Set(STACK_COUNTERS);

export function isStackCounter(name: string): name is StackCounter {
  return KEPT.has(name);
}

/** One namespace's counters (Linux keeps them per network namespace). */
export class Mib {
  private readonly counts = new Map<StackCounter, bigint>();

  inc(name: StackCounter): void {
    this.counts.set(name, (this.counts.get(name) ?? 0n) + 1n);
  }

  get(name: StackCounter): bigint {
    return this.counts.get(name) ?? 0n;
  }
}
