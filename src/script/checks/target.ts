// What each target can honour, as far as `check` can know without opening it: constructs that
// parse but a target cannot carry out become warnings (the run would be a skip), and MPTCP in a
// script for a target without MPTCP is an error.

import type { Script } from '../ast.js';
import type { TargetName } from '../../targets/target.js';
import { isMptcpOption } from './packets.js';
import type { Reporter } from './report.js';
import { isCounterCall } from '../build-syscalls.js';
import { STACK_COUNTERS } from '../../stack/mib.js';

export interface TargetFeatures {
  mptcp: boolean;
  syscalls: boolean;
  /** Calls the target cannot perform, with the reason. */
  unsupportedCalls: Readonly<Record<string, string>>;
  /** MIB counters the target keeps (docs/language.md §6.3); absent: all of Linux's. */
  counters?: ReadonlySet<string>;
}

const PSP = 'PSP is not supported';

/** What `check` assumes of each target (the targets' own capabilities decide at run time). */
export const TARGET_FEATURES: Readonly<Record<TargetName, TargetFeatures>> = {
  kernel: { mptcp: true, syscalls: true, unsupportedCalls: { psp_rx_assoc: PSP, psp_tx_assoc: PSP } },
  ts: {
    mptcp: true,
    syscalls: true,
    unsupportedCalls: {
      cap_set: 'capabilities only exist on the kernel target',
      psp_rx_assoc: PSP,
      psp_tx_assoc: PSP,
    },
    counters: new Set(STACK_COUNTERS),
  },
  remote: { mptcp: true, syscalls: false, unsupportedCalls: { psp_rx_assoc: PSP, psp_tx_assoc: PSP } },
};

export function checkTarget(script: Script, target: TargetName, features: TargetFeatures, r: Reporter): void {
  let mptcpReported = false;
  const noMptcp = (range: Script['range'], what: string): void => {
    if (mptcpReported) return;
    mptcpReported = true;
    r.error('target-lacks-mptcp', range, `${what}, but the ${target} target has no MPTCP`);
  };
  let noSyscallsReported = false;
  for (const event of script.events) {
    const a = event.action;
    if (a.kind === 'syscall') {
      const reason = features.unsupportedCalls[a.name];
      if (reason) r.warn('target-unsupported-call', a.nameRange, `${a.name} cannot run on the ${target} target (${reason}): the script will be skipped`);
      const counter = isCounterCall(a.name) && a.args[0]?.kind === 'symbol' ? a.args[0].name : undefined;
      if (counter && features.counters && !features.counters.has(counter)) {
        r.warn('target-unkept-counter', a.args[0]!.range, `the ${target} target does not keep the MIB counter ${counter}: the script will be skipped`);
      }
      if (!features.syscalls && !noSyscallsReported) {
        noSyscallsReported = true;
        r.warn('target-no-syscalls', a.nameRange, `the ${target} target performs no system calls: they are left to the remote stack`);
      }
      if (!features.mptcp && a.args.some((x) => x.kind === 'symbol' && (x.name === 'IPPROTO_MPTCP' || x.name === 'SOL_MPTCP'))) {
        noMptcp(a.range, 'the script opens MPTCP sockets');
      }
    } else if (a.kind === 'packet' && !features.mptcp && a.body.kind === 'tcp' && Array.isArray(a.body.options)) {
      const o = a.body.options.find(isMptcpOption);
      if (o) noMptcp(o.range, 'the script uses MPTCP options');
    }
  }
}

/** Calls no target can perform (with the first target's reason): warned about with or without --target. */
export function universallyUnsupported(): Readonly<Record<string, string>> {
  const all = Object.values(TARGET_FEATURES);
  const out: Record<string, string> = {};
  for (const [name, reason] of Object.entries(all[0]!.unsupportedCalls)) {
    if (all.every((f) => f.unsupportedCalls[name] !== undefined)) out[name] = reason;
  }
  return out;
}

/** Without a target: only what no target can honour. */
export function checkAnyTarget(script: Script, r: Reporter): void {
  const unsupported = universallyUnsupported();
  for (const event of script.events) {
    const a = event.action;
    if (a.kind === 'syscall' && unsupported[a.name]) {
      r.warn('unsupported-call', a.nameRange, `${a.name} is accepted but no target can run it (${unsupported[a.name]})`);
    }
  }
}
