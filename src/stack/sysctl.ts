// The stack's sysctl table: Linux 6.18 defaults for a fresh network namespace on a stock kernel
// (Linux net/mptcp/ctrl.c, net/mptcp/pm_kernel.c, net/ipv4/tcp_output.c). Every other net.* key 6.18 has (src/sys/linux-sysctls.ts) exists
// too, unmodelled: writing its current value, or a value of a key 6.18 no longer reads, is
// accepted; writing anything else makes the script a skip that names the key. A key 6.18 does not
// have fails as sysctl fails there.
import { parseCInteger } from '../sys/c-integer.js';
import { LINUX_NET_SYSCTLS } from '../sys/linux-sysctls.js';

type Kind = 'int' | 'ints' | 'string' | 'unmodelled';

/** Keys 6.18 still lists but no longer reads (kept for old scripts): any value is without effect. */
const OBSOLETE: Record<string, string> = {
  'net.ipv4.tcp_fack': 'Linux has ignored it since 4.15 (RACK replaced FACK)',
  'net.ipv4.tcp_low_latency': 'Linux has ignored it since 4.14',
};

interface Entry {
  kind: Kind;
  value: string;
  /** Accepted values (undefined = any string, or any number). */
  choices?: readonly string[];
}

const CONGESTION = ['reno', 'cubic', 'bbr'] as const;

const DEFAULTS: Record<string, [Kind, string, (readonly string[])?]> = {
  'net.ipv4.tcp_rmem': ['ints', '4096\t131072\t6291456'],
  'net.ipv4.tcp_wmem': ['ints', '4096\t16384\t4194304'],
  'net.ipv4.tcp_mem': ['ints', '94401\t125870\t188802'],
  'net.core.rmem_max': ['int', '212992'],
  'net.core.wmem_max': ['int', '212992'],
  'net.core.rmem_default': ['int', '212992'],
  'net.core.wmem_default': ['int', '212992'],
  'net.core.default_qdisc': ['string', 'fq_codel'],
  'net.core.somaxconn': ['int', '4096'],
  'net.core.optmem_max': ['int', '131072'],
  'net.ipv4.tcp_timestamps': ['int', '1'],
  'net.ipv4.tcp_sack': ['int', '1'],
  'net.ipv4.tcp_dsack': ['int', '1'],
  'net.ipv4.tcp_window_scaling': ['int', '1'],
  'net.ipv4.tcp_syn_retries': ['int', '6'],
  'net.ipv4.tcp_synack_retries': ['int', '5'],
  'net.ipv4.tcp_syn_linear_timeouts': ['int', '4'],
  'net.ipv4.tcp_retries1': ['int', '3'],
  'net.ipv4.tcp_retries2': ['int', '15'],
  'net.ipv4.tcp_orphan_retries': ['int', '0'],
  'net.ipv4.tcp_fin_timeout': ['int', '60'],
  'net.ipv4.tcp_congestion_control': ['string', 'cubic', CONGESTION],
  'net.ipv4.tcp_available_congestion_control': ['string', 'reno cubic bbr'],
  'net.ipv4.tcp_allowed_congestion_control': ['string', 'reno cubic bbr'],
  'net.ipv4.tcp_ecn': ['int', '2'],
  'net.ipv4.tcp_ecn_fallback': ['int', '1'],
  'net.ipv4.tcp_fastopen': ['int', '1'],
  'net.ipv4.tcp_fastopen_blackhole_timeout_sec': ['int', '0'],
  'net.ipv4.tcp_fastopen_key': ['string', '00000000-00000000-00000000-00000000'],
  'net.ipv4.tcp_syncookies': ['int', '1'],
  'net.ipv4.tcp_min_tso_segs': ['int', '2'],
  'net.ipv4.tcp_tso_win_divisor': ['int', '3'],
  'net.ipv4.tcp_no_metrics_save': ['int', '0'],
  'net.ipv4.tcp_early_retrans': ['int', '3'],
  'net.ipv4.tcp_recovery': ['int', '1'],
  'net.ipv4.tcp_reordering': ['int', '3'],
  'net.ipv4.tcp_max_reordering': ['int', '300'],
  'net.ipv4.tcp_mtu_probing': ['int', '0'],
  'net.ipv4.tcp_base_mss': ['int', '1024'],
  'net.ipv4.tcp_min_rtt_wlen': ['int', '300'],
  'net.ipv4.tcp_pacing_ss_ratio': ['int', '200'],
  'net.ipv4.tcp_pacing_ca_ratio': ['int', '120'],
  'net.ipv4.tcp_notsent_lowat': ['int', '4294967295'],
  'net.ipv4.tcp_autocorking': ['int', '1'],
  'net.ipv4.tcp_slow_start_after_idle': ['int', '1'],
  'net.ipv4.tcp_adv_win_scale': ['int', '1'],
  'net.ipv4.tcp_moderate_rcvbuf': ['int', '1'],
  'net.ipv4.tcp_rto_min_us': ['int', '200000'],
  'net.ipv4.tcp_rto_max_ms': ['int', '120000'],
  'net.ipv4.tcp_tw_reuse': ['int', '2'],
  'net.ipv4.tcp_abort_on_overflow': ['int', '0'],
  'net.ipv4.tcp_max_syn_backlog': ['int', '4096'],
  'net.ipv4.tcp_keepalive_time': ['int', '7200'],
  'net.ipv4.tcp_keepalive_intvl': ['int', '75'],
  'net.ipv4.tcp_keepalive_probes': ['int', '9'],
  'net.ipv4.tcp_limit_output_bytes': ['int', '1048576'],
  'net.ipv4.tcp_thin_linear_timeouts': ['int', '0'],
  'net.ipv4.tcp_frto': ['int', '2'],
  'net.ipv4.tcp_comp_sack_nr': ['int', '44'],
  'net.ipv4.tcp_comp_sack_delay_ns': ['int', '1000000'],
  'net.ipv4.tcp_comp_sack_slack_ns': ['int', '100000'],
  'net.ipv4.tcp_invalid_ratelimit': ['int', '500'],
  'net.ipv4.tcp_challenge_ack_limit': ['int', '2147483647'],
  'net.ipv4.tcp_shrink_window': ['int', '0'],
  'net.ipv4.tcp_workaround_signed_windows': ['int', '0'],
  'net.ipv4.tcp_rfc1337': ['int', '0'],
  'net.ipv4.tcp_fwmark_accept': ['int', '0'],
  'net.ipv4.tcp_l3mdev_accept': ['int', '0'],
  'net.ipv4.tcp_plb_enabled': ['int', '0'],
  'net.ipv4.ip_local_port_range': ['ints', '32768\t60999'],
  'net.ipv4.ip_no_pmtu_disc': ['int', '0'],
  'net.ipv4.ip_forward': ['int', '0'],
  'net.ipv6.conf.all.disable_ipv6': ['int', '0'],
  'net.ipv6.conf.default.accept_dad': ['int', '1'],
  'net.ipv6.conf.all.accept_dad': ['int', '0'],
  'net.mptcp.enabled': ['int', '1'],
  'net.mptcp.checksum_enabled': ['int', '0'],
  'net.mptcp.allow_join_initial_addr_port': ['int', '1'],
  'net.mptcp.add_addr_timeout': ['int', '120'],
  'net.mptcp.close_timeout': ['int', '60'],
  'net.mptcp.stale_loss_cnt': ['int', '4'],
  'net.mptcp.pm_type': ['int', '0'],
  'net.mptcp.path_manager': ['string', 'kernel', ['kernel', 'userspace']],
  'net.mptcp.available_path_managers': ['string', 'kernel userspace'],
  'net.mptcp.scheduler': ['string', 'default', ['default']],
  'net.mptcp.available_schedulers': ['string', 'default'],
  'net.mptcp.blackhole_timeout': ['int', '3600'],
  'net.mptcp.syn_retrans_before_tcp_fallback': ['int', '2'],
  // Not an upstream key: the out-of-tree multipath-tcp.org kernel's switch to RFC 6824 (v0). 0 makes
  // the stack open v0 connections and answer v0 SYNs; 1 (the default) is Linux 6.18's v1-only stack.
  'net.mptcp.mptcp_version': ['int', '1', ['0', '1']],
};

/** Keys that read fine but that a script may not write (Linux: read-only or not namespaced). */
const READ_ONLY = new Set(['net.ipv4.tcp_available_congestion_control', 'net.mptcp.available_path_managers', 'net.mptcp.available_schedulers']);

/** A number in C syntax (decimal, 0x hex, 0 octal) in decimal; undefined if it is none. */
function procNumber(w: string): string | undefined {
  const v = parseCInteger(w);
  return v === undefined ? undefined : String(v);
}

/** Accepts "net/ipv4/tcp_rmem" as well as dots, as sysctl(8) does. */
export function normalizeKey(key: string): string {
  // The stack's own lookups (every packet reads a few keys) are already in dotted form.
  if (key.indexOf('/') === -1 && key.charCodeAt(0) > 32 && key.charCodeAt(key.length - 1) > 32) return key;
  return key.trim().replace(/\//g, '.');
}

/** The table every stack starts from; entries are never changed in place (set() replaces them). */
let initial: Map<string, Readonly<Entry>> | undefined;

function initialTable(): Map<string, Readonly<Entry>> {
  if (initial) return initial;
  initial = new Map();
  for (const [k, [kind, value, choices]] of Object.entries(DEFAULTS)) initial.set(k, choices ? { kind, value, choices } : { kind, value });
  for (const [k, value] of Object.entries(LINUX_NET_SYSCTLS)) {
    if (value !== null && !initial.has(k)) initial.set(k, { kind: 'unmodelled', value });
  }
  return initial;
}

/** The entries a stack changed, over the shared initial table (a stack starts without copying it). */
class Overlay {
  private readonly changed = new Map<string, Readonly<Entry>>();
  constructor(private readonly base: ReadonlyMap<string, Readonly<Entry>>) {}
  get(k: string): Readonly<Entry> | undefined {
    return this.changed.get(k) ?? this.base.get(k);
  }
  has(k: string): boolean {
    return this.changed.has(k) || this.base.has(k);
  }
  set(k: string, e: Readonly<Entry>): void {
    this.changed.set(k, e);
  }
  /** In the initial table's order, then keys it lacks in the order they were set. */
  *[Symbol.iterator](): IterableIterator<[string, Readonly<Entry>]> {
    for (const [k, e] of this.base) yield [k, this.changed.get(k) ?? e];
    for (const [k, e] of this.changed) if (!this.base.has(k)) yield [k, e];
  }
}

export class Sysctls {
  private table = new Overlay(initialTable());
  private dumped: string | undefined;

  private put(k: string, e: Entry): void {
    this.table.set(k, e);
    this.dumped = undefined;
  }

  /** The value under exactly this key (no normalising), as the state file holds it. */
  exact(key: string): string | undefined {
    return this.table.get(key)?.value;
  }

  /** Whether the stack acts on the key (false: it only remembers the value). */
  modelled(key: string): boolean {
    const e = this.table.get(normalizeKey(key));
    return e !== undefined && e.kind !== 'unmodelled';
  }

  /** Why writing an unmodelled key changed nothing. */
  whyNoEffect(key: string): string {
    const k = normalizeKey(key);
    return OBSOLETE[k] ?? `${k} is not modelled by the TypeScript stack, and the value written is the one it has`;
  }

  has(key: string): boolean {
    return this.table.has(normalizeKey(key));
  }

  /** Value as `sysctl -n` prints it (tabs between the numbers of a vector). */
  get(key: string): string | undefined {
    return this.table.get(normalizeKey(key))?.value;
  }

  int(key: string): number {
    return Number(this.get(key) ?? '0');
  }

  ints(key: string): number[] {
    return (this.get(key) ?? '').split(/\s+/).filter(Boolean).map(Number);
  }

  /** Sets a value; returns a sentence saying why it cannot be set, or undefined on success. */
  set(key: string, raw: string): string | undefined {
    const k = normalizeKey(key);
    const e = this.table.get(k);
    if (!e) return `sysctl ${k} is not emulated by the TypeScript stack`;
    if (READ_ONLY.has(k)) return `sysctl ${k} is read-only`;
    const words = raw.trim().split(/\s+/).filter(Boolean);
    if (e.kind === 'unmodelled') {
      const same = words.map(procNumber).join('\t') === e.value.split(/\s+/).map(procNumber).join('\t') || words.join(' ') === e.value.trim().split(/\s+/).join(' ');
      if (!same && !OBSOLETE[k]) return `sysctl ${k}=${raw.trim()}: the TypeScript stack does not model ${k} (Linux 6.18 has it; its value here is ${e.value.replace(/\t/g, ' ')})`;
      this.put(k, { ...e, value: words.join('\t') });
      return undefined;
    }
    if (e.kind === 'string') {
      const v = raw.trim();
      if (e.choices && !e.choices.includes(v)) return `sysctl ${k}: value "${v}" is not one of ${e.choices.join(', ')}`;
      this.put(k, { ...e, value: v });
      if (k === 'net.mptcp.path_manager') this.put('net.mptcp.pm_type', { ...this.table.get('net.mptcp.pm_type')!, value: v === 'userspace' ? '1' : '0' });
      return undefined;
    }
    // As /proc/sys reads them (strtoul, base 0): "0x603" and "0755" too.
    const numbers = words.map(procNumber);
    if (words.length === 0 || numbers.some((n) => n === undefined)) return `sysctl ${k}: "${raw}" is not a number`;
    if (e.kind === 'int' && words.length !== 1) return `sysctl ${k}: expects one number, got "${raw}"`;
    if (e.choices && !e.choices.includes(numbers[0]!)) return `sysctl ${k}: value "${words[0]}" is not one of ${e.choices.join(', ')}`;
    this.put(k, { ...e, value: numbers.join('\t') });
    if (k === 'net.mptcp.pm_type') this.put('net.mptcp.path_manager', { ...this.table.get('net.mptcp.path_manager')!, value: words[0] === '1' ? 'userspace' : 'kernel' });
    return undefined;
  }

  /** "key=value" lines, the state file the shell stand-ins read. */
  dump(): string {
    this.dumped ??= [...this.table].map(([k, e]) => `${k}=${e.value}\n`).join('');
    return this.dumped;
  }
}
