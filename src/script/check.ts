// Semantic checks of a parsed script (docs/language.md §3, §5, §6, §7, §8.4): everything that can be
// known wrong before running it. Each diagnostic has a stable `code`; the checks themselves
// live in ./checks/, one file per area.

import type { Diagnostic, Script } from './ast.js';
import type { TargetName } from '../targets/target.js';
import type { IpVersionOption } from './options.js';
import { Reporter } from './checks/report.js';
import { checkTimes } from './checks/time.js';
import { checkPmEvent } from './checks/pm.js';
import { checkSyscall } from './checks/syscalls.js';
import { checkPackets } from './checks/packets.js';
import { checkAnyTarget, checkTarget, TARGET_FEATURES, type TargetFeatures } from './checks/target.js';

export interface CheckOptions {
  /** Target the script is meant for; target-specific checks are skipped when absent. */
  target?: TargetName;
  /** Override of what the target can do (tests; a target's own capabilities). */
  features?: TargetFeatures;
  /** Effective ip_version (decides the family of unbound ADD_ADDR names); default: the script's line. */
  ipVersion?: IpVersionOption;
}

function scriptIpVersion(script: Script): IpVersionOption {
  const line = [...script.options].reverse().find((o) => o.name.replace(/-/g, '_') === 'ip_version');
  return line?.value === 'ipv6' ? 'ipv6' : line?.value === 'ipv4-mapped-ipv6' ? 'ipv4-mapped-ipv6' : 'ipv4';
}

export function checkScript(script: Script, opts: CheckOptions = {}): Diagnostic[] {
  const r = new Reporter(script.file);
  if (script.events.length === 0) {
    r.error('no-events', script.range, 'the script has no events');
  }
  checkTimes(script, r);
  for (const event of script.events) {
    if (event.action.kind === 'syscall') checkSyscall(event.action, r);
    if (event.action.kind === 'pmEvent') checkPmEvent(event.action, r);
  }
  checkPackets(script, opts.ipVersion ?? scriptIpVersion(script), r);
  if (opts.target) checkTarget(script, opts.target, opts.features ?? TARGET_FEATURES[opts.target], r);
  else checkAnyTarget(script, r);
  return r.diagnostics;
}
