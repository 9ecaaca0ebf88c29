// Applies what the shell stand-ins (scripts/stack-bin/) recorded during a command: sysctl writes,
// `ip mptcp endpoint|limits`, `ip addr|link|route`, `tc`, `ethtool`. Each line is a tool name and
// its arguments, tab-separated. What the stack cannot honour comes back as a sentence.
import type { EndpointFlag } from './mptcp/pm.js';
import { MAX_LIMIT } from './mptcp/pm.js';
import type { Stack } from './socket-api.js';

export interface ApplyResult {
  unsupported: string[];
  warnings: string[];
  /** Error output an `ip` command would have printed (the command still "succeeded"). */
  errors: string[];
  /** Settings accepted without effect on the model, for `-v`. */
  notes: string[];
}

const ENDPOINT_FLAGS = new Set<string>(['signal', 'subflow', 'backup', 'fullmesh']);

export function applyShellLog(stack: Stack, log: string): ApplyResult {
  const r: ApplyResult = { unsupported: [], warnings: [], errors: [], notes: [] };
  for (const line of log.split('\n')) {
    if (!line) continue;
    const [tool, ...args] = line.split('\t');
    switch (tool) {
      case 'sysctl': {
        const key = args[0] ?? '';
        const value = args.slice(1).join('\t');
        const why = stack.host.sysctls.set(key, value);
        if (why) r.unsupported.push(why);
        else if (!stack.host.sysctls.modelled(key)) r.notes.push(`sysctl ${key}=${value}: accepted; ${stack.host.sysctls.whyNoEffect(key)}`);
        break;
      }
      case 'sysctl-unknown':
        // Linux 6.18 has no such key: sysctl failed (or was told to ignore it) as it does there.
        r.notes.push(`sysctl ${args[0]}: Linux 6.18 has no such key${args[1] === '1' ? ' (ignored with -e)' : ''}`);
        break;
      case 'unsupported':
        r.unsupported.push(args.join(' '));
        break;
      case 'note':
        r.notes.push(args.join(' '));
        break;
      case 'ip':
        applyIp(stack, args, r);
        break;
      case 'tc':
        applyTc(args, r);
        break;
      case 'ethtool':
        if (args[0] === '-K' || args[0] === '--offload' || args[0] === '--features') {
          r.notes.push(`ethtool ${args.join(' ')}: the TypeScript stack never offloads segmentation; nothing to change`);
        } else r.unsupported.push(`ethtool ${args.join(' ')} is not emulated by the TypeScript stack`);
        break;
      default:
        r.unsupported.push(`${tool} ${args.join(' ')} is not emulated by the TypeScript stack`);
    }
  }
  return r;
}

function applyIp(stack: Stack, args: string[], r: ApplyResult): void {
  const text = `ip ${args.join(' ')}`;
  const [obj, cmd, ...rest] = args;
  if (obj === 'mptcp') { applyMptcp(stack, cmd, rest, text, r); return; }
  if (obj === 'addr' || obj === 'address' || obj === 'a') {
    const addr = rest.find((a) => /^[0-9a-fA-F:.]+(\/\d+)?$/.test(a))?.replace(/\/\d+$/, '');
    if ((cmd === 'add' || cmd === 'replace') && addr) { stack.host.addresses.add(addr); return; }
    if ((cmd === 'del' || cmd === 'delete') && addr) { stack.host.addresses.delete(addr); return; }
    if (cmd === 'flush') return;
    r.unsupported.push(`${text} is not emulated by the TypeScript stack`);
    return;
  }
  if (obj === 'link' && cmd === 'set') {
    const mtuAt = rest.indexOf('mtu');
    if (mtuAt >= 0) {
      const mtu = Number(rest[mtuAt + 1]);
      if (!Number.isInteger(mtu) || mtu < 68) { r.errors.push(`Error: invalid MTU "${rest[mtuAt + 1]}".`); return; }
      stack.host.mtu = mtu;
    }
    if (rest.includes('down')) r.unsupported.push(`${text}: taking the interface down is not emulated by the TypeScript stack`);
    return;
  }
  if (obj === 'tcp_metrics' || obj === 'tcpmetrics') {
    if (cmd === 'flush' || cmd === 'delete' || cmd === 'del') { r.notes.push(`${text}: the TypeScript stack keeps no TCP metrics cache; nothing to flush`); return; }
    r.unsupported.push(`${text}: the TCP metrics cache is not modelled by the TypeScript stack`);
    return;
  }
  if (obj === 'route' || obj === 'r' || obj === 'rule') {
    r.warnings.push(`${text}: the TypeScript stack sends everything through its one interface; routing commands have no effect`);
    return;
  }
  r.unsupported.push(`${text} is not emulated by the TypeScript stack`);
}

function applyMptcp(stack: Stack, cmd: string | undefined, rest: string[], text: string, r: ApplyResult): void {
  const pm = stack.pm;
  if (cmd === 'endpoint' || cmd === 'endp') {
    const [op, ...a] = rest;
    const num = (k: string): number | undefined => { const i = a.indexOf(k); return i >= 0 ? Number(a[i + 1]) : undefined; };
    const addr = a.find((x) => /^[0-9a-fA-F]*[:.][0-9a-fA-F:.]*$/.test(x) && !/^\d+$/.test(x));
    if (op === 'add') {
      if (!addr) { r.errors.push('Error: address is required.'); return; }
      const flags = a.filter((x) => ENDPOINT_FLAGS.has(x)) as EndpointFlag[];
      const devAt = a.indexOf('dev');
      const err = pm.add({ id: num('id'), address: addr, port: num('port'), flags, dev: devAt >= 0 ? a[devAt + 1] : undefined });
      if (err) { r.errors.push(err); return; }
      // The endpoint's address is one of the host's (Linux needs it configured on an interface).
      stack.host.addresses.add(addr);
      pm.work();
      return;
    }
    if (op === 'del' || op === 'delete') { const err = pm.removeEndpoint(num('id'), addr); if (err) r.errors.push(err); return; }
    if (op === 'flush') { pm.flushEndpoints(); return; }
    if (op === 'change') {
      const backup = a.includes('backup') ? true : a.includes('nobackup') ? false : undefined;
      if (backup === undefined) { r.unsupported.push(`${text}: only backup/nobackup changes are emulated by the TypeScript stack`); return; }
      const err = pm.changeBackup(num('id'), backup);
      if (err) r.errors.push(err);
      return;
    }
  }
  if (cmd === 'limits' && rest[0] === 'set') {
    const a = rest.slice(1);
    for (let i = 0; i < a.length; i += 2) {
      const v = Number(a[i + 1]);
      if (!Number.isInteger(v) || v < 0 || v > MAX_LIMIT) { r.errors.push(`Error: limit ${a[i]} out of range (0-${MAX_LIMIT}).`); continue; }
      if (a[i] === 'subflows' || a[i] === 'subflow') pm.subflows = v;
      else if (a[i] === 'add_addr_accepted') {
        pm.addAddrAccepted = v;
      }
      else r.errors.push(`Error: unknown limit "${a[i]}".`);
    }
    return;
  }
  if (cmd === 'monitor') { r.unsupported.push(`${text}: MPTCP event monitoring is not emulated by the TypeScript stack`); return; }
  r.unsupported.push(`${text} is not emulated by the TypeScript stack`);
}

/** Queueing disciplines that only queue: on a stack that sends at once and never paces they change nothing. */
const PLAIN_QDISCS = new Set(['pfifo', 'pfifo_fast', 'bfifo', 'noqueue', 'fq_codel', 'codel', 'pfifo_head_drop']);

function applyTc(args: string[], r: ApplyResult): void {
  const text = `tc ${args.join(' ')}`;
  if (args.includes('netem')) { r.unsupported.push(`${text}: netem (delay, loss) is not emulated by the TypeScript stack`); return; }
  if (args[0] === 'qdisc') {
    const kind = args.find((a) => PLAIN_QDISCS.has(a) || a === 'fq' || a === 'mq' || a === 'tbf' || a === 'htb');
    if (['del', 'delete'].includes(args[1] ?? '') || (kind !== undefined && PLAIN_QDISCS.has(kind))) {
      r.notes.push(`${text}: the TypeScript stack has no qdisc and no pacing; accepted without effect`);
      return;
    }
    r.unsupported.push(`${text}: the ${kind ?? 'queueing discipline'} (pacing, shaping) is not modelled by the TypeScript stack`);
    return;
  }
  r.unsupported.push(`${text} is not emulated by the TypeScript stack`);
}
