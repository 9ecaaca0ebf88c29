// Two normalized traces side by side: the first event where the stacks disagree. Events are
// compared in order, field by field (by name, so a field one side lacks counts too), and the
// stack's reaction delay or a call's duration within the script's timing tolerance.

import { CALL_OUTPUT_FIELDS, STRUCT_FIELDS } from './call-fields.js';
import type { NormEvent } from './normalize.js';

/**
 * Left out unless asked for (`--diff-check`): values both stacks may legitimately choose
 * differently. README lists them with the reason.
 *  - ts-val: each stack's clock ticks on its own (the kernel's jiffies in real time, the bundled
 *    stack's in virtual time), so later values drift by a tick or two from the first one.
 *  - win (not syn-win): after the handshake Linux sizes the receive window from the memory its
 *    buffers really take (skb truesize, the scaling ratio learnt from received segments), which
 *    depends on the device and allocator; the bundled stack models it, a few units apart.
 *    Whether the window is closed (win-zero) is still compared.
 */
export const BASE_IGNORED: readonly string[] = ['ts-val', 'win'];

/**
 * The struct fields (tcp_info, mptcp_info, the SOL_MPTCP arrays' headers and elements) compared
 * by default: the ones that follow from the connection's state and negotiation alone. The rest
 * (rtt, cwnd, pacing, byte and segment counters, last_* times, tokens, sequence numbers) move
 * with timing, memory or per-run randomness. README "Differential runs" gives the reasons.
 */
export const STRUCT_STABLE: readonly string[] = [
  'tcpi_state', 'tcpi_options', 'tcpi_snd_wscale', 'tcpi_rcv_wscale', 'tcpi_snd_mss', 'tcpi_rcv_mss', 'tcpi_advmss', 'tcpi_pmtu',
  'mptcpi_subflows', 'mptcpi_add_addr_signal', 'mptcpi_add_addr_accepted', 'mptcpi_subflows_max', 'mptcpi_add_addr_signal_max',
  'mptcpi_add_addr_accepted_max', 'mptcpi_flags', 'mptcpi_local_addr_used', 'mptcpi_local_addr_max', 'mptcpi_csum_enabled',
  'mptcpi_subflows_total',
  'size_subflow_data', 'num_subflows', 'size_kernel', 'size_user', 'size_tcpinfo_kernel', 'size_tcpinfo_user', 'size_sfinfo_kernel',
  'size_sfinfo_user', 'size_arrays_user', 'id',
];

/** Struct fields left out by default: all but the stable ones. */
export const STRUCT_IGNORED: readonly string[] = STRUCT_FIELDS.filter((n) => !STRUCT_STABLE.includes(n));

export const DEFAULT_IGNORED: readonly string[] = [...BASE_IGNORED, ...STRUCT_IGNORED];

/** Every name `--diff-ignore` / `--diff-check` accept. */
export const FIELD_NAMES: readonly string[] = [
  'ip', 'tos', 'ttl', 'df', 'transport', 'tuple', 'flags', 'seq', 'ack', 'len', 'win', 'win-zero', 'syn-win', 'urg', 'options',
  'mss', 'wscale', 'sack', 'ts-val', 'ts-ecr', 'fastopen', 'md5', 'unknown-option', 'malformed',
  'mp-capable', 'mp-join', 'dss', 'add-addr', 'remove-addr', 'mp-prio', 'mp-fail', 'mp-fastclose', 'mp-tcprst', 'mptcp-unknown',
  'payload', 'packet', 'call', 'ret', 'errno', 'status', 'timing',
  ...CALL_OUTPUT_FIELDS, ...STRUCT_FIELDS,
];

export interface CompareOptions {
  /** Field names left out of the comparison (`#N` repeats of a field follow their base name). */
  ignore: ReadonlySet<string>;
  /** How far two reaction delays (or call durations) may differ, in µs. */
  toleranceUs: number;
}

export interface FieldDiff {
  name: string;
  a: string;
  b: string;
}

export interface Disagreement {
  /** Position in both event lists. */
  index: number;
  /** The two events there; one is missing when that run had no more events. */
  a?: NormEvent;
  b?: NormEvent;
  /** The fields that differ (empty when the events are of different kinds or lines). */
  diffs: FieldDiff[];
  /** One sentence, with A and B standing for the two sides' names. */
  summary: string;
}

export function ignoreSet(ignore: readonly string[], check: readonly string[]): Set<string> {
  const set = new Set([...DEFAULT_IGNORED, ...ignore]);
  for (const c of check) set.delete(c);
  return set;
}

const baseName = (name: string): string => name.replace(/#\d+$/, '');

function describe(e: NormEvent): string {
  const where = e.line === undefined ? 'after the last line' : e.line === 0 ? 'at the end-of-run reset' : `at line ${e.line}`;
  const what = e.kind === 'inbound' ? 'injected packet' : e.kind === 'outbound' ? 'packet sent by the stack' : e.kind === 'syscall' ? 'system call' : e.kind === 'event' ? 'path-manager event' : 'shell command';
  return `${what} ${where}`;
}

/** `a packet…`, `an injected packet…`. */
function article(text: string): string {
  return `${/^[aeiou]/.test(text) ? 'an' : 'a'} ${text}`;
}

/** The fields of `a` and `b` that differ, in `a`'s order then `b`'s extra ones. */
export function fieldDiffs(a: NormEvent, b: NormEvent, opts: CompareOptions): FieldDiff[] {
  // An injected packet is the script's: it can only differ where it echoes the stack (compared
  // on the stack's own packets already) or computes from the stack's random values (a DATA_ACK
  // written as trunc_r64_hmac_sha256(7) is relative to a different IDSN in each run).
  if (a.kind === 'inbound' && b.kind === 'inbound') return [];
  const out: FieldDiff[] = [];
  const bv = new Map(b.fields.map((f) => [f.name, f.value]));
  const av = new Map(a.fields.map((f) => [f.name, f.value]));
  for (const f of a.fields) {
    if (opts.ignore.has(baseName(f.name))) continue;
    const other = bv.get(f.name);
    if (other !== f.value) out.push({ name: f.name, a: f.value, b: other ?? 'absent' });
  }
  for (const f of b.fields) {
    if (opts.ignore.has(baseName(f.name)) || av.has(f.name)) continue;
    out.push({ name: f.name, a: 'absent', b: f.value });
  }
  if (!opts.ignore.has('timing') && a.delay !== undefined && b.delay !== undefined && Math.abs(a.delay - b.delay) > opts.toleranceUs) {
    const label = a.kind === 'syscall' ? 'returned after' : 'sent after';
    out.push({ name: 'timing', a: `${label} ${ms(a.delay)}`, b: `${label} ${ms(b.delay)}` });
  }
  return out;
}

function ms(us: number): string {
  return `${(us / 1000).toFixed(3)} ms`;
}

/** Packets (both ways) keep their order; calls and commands keep theirs; the two streams interleave
 * by timing (a blocking call is recorded when it returns), so each stream is compared on its own. */
function streamOf(e: NormEvent): 'packets' | 'calls' {
  return e.kind === 'inbound' || e.kind === 'outbound' ? 'packets' : 'calls';
}

function compareStream(a: readonly NormEvent[], b: readonly NormEvent[], opts: CompareOptions): Omit<Disagreement, 'index'> | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ea = a[i];
    const eb = b[i];
    if (!ea || !eb) {
      const present = (ea ?? eb)!;
      return { ...(ea ? { a: ea } : {}), ...(eb ? { b: eb } : {}), diffs: [], summary: `${ea ? 'A' : 'B'} has ${article(describe(present))} that ${ea ? 'B' : 'A'} does not have` };
    }
    if (ea.kind !== eb.kind || ea.line !== eb.line) {
      return { a: ea, b: eb, diffs: [], summary: `A has ${article(describe(ea))} where B has ${article(describe(eb))}` };
    }
    const diffs = fieldDiffs(ea, eb, opts);
    if (diffs.length > 0) return { a: ea, b: eb, diffs, summary: `the ${describe(ea)} differs in ${diffs.map((d) => d.name).join(', ')}` };
  }
  return undefined;
}

/** The first disagreement of two traces, or undefined when they agree event for event. */
export function compareEvents(a: readonly NormEvent[], b: readonly NormEvent[], opts: CompareOptions): Disagreement | undefined {
  let first: Disagreement | undefined;
  for (const stream of ['packets', 'calls'] as const) {
    const d = compareStream(a.filter((e) => streamOf(e) === stream), b.filter((e) => streamOf(e) === stream), opts);
    if (!d) continue;
    // Where it happened in A's trace (or past A's end when A lacks the event).
    const at = d.a ? a.indexOf(d.a) : d.b ? Math.min(a.length, b.indexOf(d.b)) : a.length;
    if (!first || at < first.index) first = { ...d, index: at };
  }
  return first;
}
