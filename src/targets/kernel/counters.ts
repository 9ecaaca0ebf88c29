// MIB counters of the script's namespace, read where nstat reads them. /proc/thread-self/net is
// the calling thread's namespace (the kernel target's namespace-dependent work runs on the thread
// that entered it, see kernel-target.ts), where /proc/net would follow the process's first thread.

import { readFileSync } from 'node:fs';
import { parseMibText } from '../../sys/mib-text.js';
import type { CounterRead } from '../target.js';

const FILES = ['netstat', 'snmp', 'snmp6'];

export function readKernelCounters(names: readonly string[]): CounterRead {
  let text = '';
  for (const f of FILES) {
    try {
      text += readFileSync(`/proc/thread-self/net/${f}`, 'utf8');
    } catch {
      // snmp6 is missing without IPv6: its counters are then absent, and asserting one fails.
    }
  }
  const all = parseMibText(text);
  const values = new Map<string, bigint>();
  for (const n of names) {
    const v = all.get(n);
    if (v !== undefined) values.set(n, v);
  }
  return { values };
}
