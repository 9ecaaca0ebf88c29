// TCP options the way Linux writes them (tcp_options_write order: MSS, SACK-permitted +
// timestamps, NOP+wscale, SACK blocks, the upper layer's (MPTCP's) last) and what a received SYN
// negotiated.
import { mptcpOptionLength, tcpOptionsLength } from '../../wire/codec.js';
import type { MptcpOption, TcpOption } from '../../wire/packet.js';

export interface SynChoices {
  mss: number;
  timestamps: boolean;
  sack: boolean;
  /** undefined = no window scale option. */
  wscale: number | undefined;
  tsVal: number;
  tsEcr: number;
}

export function synOptions(c: SynChoices, upper: TcpOption[]): TcpOption[] {
  const out: TcpOption[] = [{ kind: 'mss', mss: c.mss }];
  if (c.timestamps) {
    if (c.sack) out.push({ kind: 'sack_permitted' });
    else out.push({ kind: 'nop' }, { kind: 'nop' });
    out.push({ kind: 'timestamp', val: c.tsVal, ecr: c.tsEcr });
  } else if (c.sack) {
    out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_permitted' });
  }
  if (c.wscale !== undefined) out.push({ kind: 'nop' }, { kind: 'wscale', shift: c.wscale });
  return [...out, ...upper];
}

/** Options of a non-SYN segment: NOP NOP TS, SACK blocks (in what room is left), the upper layer's. */
export function segmentOptions(ts: { val: number; ecr: number } | undefined, sack: Array<[number, number]>, upper: TcpOption[]): TcpOption[] {
  const out: TcpOption[] = [];
  if (ts) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: ts.val, ecr: ts.ecr });
  const used = (ts ? 12 : 0) + optionBytes(upper);
  const room = Math.floor((40 - used - 4) / 8);
  const blocks = sack.slice(0, Math.max(0, room));
  if (blocks.length > 0) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks });
  return [...out, ...upper];
}

/** Size in bytes of an option list as written (for payload sizing). */
export const optionBytes = (opts: TcpOption[]): number => tcpOptionsLength(opts);

/** Appends an MPTCP option plus the NOPs Linux adds to reach a 32-bit boundary. */
export function padded(o: MptcpOption): TcpOption[] {
  const len = mptcpOptionLength(o);
  const pad = (4 - (len % 4)) % 4;
  return [o, ...Array.from({ length: pad }, (): TcpOption => ({ kind: 'nop' }))];
}

export interface PeerSynOptions {
  mss: number | undefined;
  wscale: number | undefined;
  sackOk: boolean;
  ts: { val: number; ecr: number } | undefined;
}

export function readSynOptions(opts: readonly TcpOption[]): PeerSynOptions {
  let mss: number | undefined;
  let wscale: number | undefined;
  let sackOk = false;
  let ts: { val: number; ecr: number } | undefined;
  for (const o of opts) {
    if (o.kind === 'mss') mss = o.mss;
    else if (o.kind === 'wscale') wscale = Math.min(o.shift, 14);
    else if (o.kind === 'sack_permitted') sackOk = true;
    else if (o.kind === 'timestamp') ts = { val: o.val, ecr: o.ecr };
  }
  return { mss, wscale, sackOk, ts };
}

export function findTimestamp(opts: readonly TcpOption[]): { val: number; ecr: number } | undefined {
  for (const o of opts) if (o.kind === 'timestamp') return { val: o.val, ecr: o.ecr };
  return undefined;
}

