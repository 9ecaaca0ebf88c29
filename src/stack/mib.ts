// The bundled stack's MIB counters (docs/language.md §6.3), named as nstat names Linux's
// (net/mptcp/mib.c), each counted where Linux 6.18 counts it: the place is cited at every
// increment. A counter not listed here is not kept, and a script asserting one is a skip.

import type { TcpSegment } from '../wire/packet.js';
import type { TcpState } from './tcp/state.js';

export const STACK_COUNTERS = [
  'MPTcpExtMPCapableSYNRX',
  'MPTcpExtMPCapableACKRX',
  'MPTcpExtMPCapableSYNACKRX',
  'MPTcpExtMPCapableFallbackACK',
  'MPTcpExtMPCapableFallbackSYNACK',
  'MPTcpExtMPJoinSynRx',
  'MPTcpExtMPJoinSynAckRx',
  'MPTcpExtMPJoinAckRx',
  'MPTcpExtAddAddr',
  'MPTcpExtAddAddrTx',
  'MPTcpExtAddAddrDrop',
  'MPTcpExtEchoAdd',
  'MPTcpExtEchoAddTx',
  'MPTcpExtRmAddr',
  'MPTcpExtRmAddrTx',
  'MPTcpExtRmSubflow',
  'MPTcpExtMPPrioTx',
  'MPTcpExtMPPrioRx',
  'MPTcpExtMPFailTx',
  'MPTcpExtMPFailRx',
  'MPTcpExtMPFastcloseTx',
  'MPTcpExtMPFastcloseRx',
  'MPTcpExtMPRstTx',
  'MPTcpExtMPRstRx',
  'MPTcpExtInfiniteMapTx',
  'MPTcpExtInfiniteMapRx',
  'MPTcpExtDataCsumErr',
  'MPTcpExtDSSNoMatchTCP',
] as const;

export type StackCounter = (typeof STACK_COUNTERS)[number];

const KEPT: ReadonlySet<string> = new Set(STACK_COUNTERS);

export function isStackCounter(name: string): name is StackCounter {
  return KEPT.has(name);
}

/** One namespace's counters (Linux keeps them per network namespace). */
export class Mib {
  private readonly counts = new Map<StackCounter, bigint>();

  inc(name: StackCounter, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0n) + BigInt(by));
  }

  get(name: StackCounter): bigint {
    return this.counts.get(name) ?? 0n;
  }
}

/**
 * The options a connection wrote on a segment it sent. Linux counts them as it writes them
 * (net/mptcp/options.c mptcp_established_options_*, mptcp_write_options), which only full
 * sockets do: the reset of a join refused at its third ACK, sent for a request socket, counts
 * none; a joining client's reset of a SYN/ACK without MP_JOIN counts.
 */
export function countSentOptions(mib: Mib, seg: TcpSegment, state: TcpState): void {
  if (state === 'SYN_RECV') return;
  for (const o of seg.options) {
    if (o.kind !== 'mptcp') continue;
    switch (o.subtype) {
      case 'mp_tcprst': mib.inc('MPTcpExtMPRstTx'); break;
      case 'mp_fastclose': mib.inc('MPTcpExtMPFastcloseTx'); break;
      case 'mp_fail': mib.inc('MPTcpExtMPFailTx'); break;
      case 'mp_prio': mib.inc('MPTcpExtMPPrioTx'); break;
      case 'add_addr': mib.inc(o.echo ? 'MPTcpExtEchoAddTx' : 'MPTcpExtAddAddrTx'); break;
      case 'remove_addr': mib.inc('MPTcpExtRmAddrTx', o.addressIds.length); break;
      default: break;
    }
  }
}
