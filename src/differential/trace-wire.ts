// A run's trace as plain JSON, so a kernel run in a child process (its own network namespace)
// can hand it back on its one result line (src/suite/protocol.ts): packet bytes travel as base64,
// everything else as it is.

import type { TraceEntry } from '../engine/types.js';

type PacketEntry = Extract<TraceEntry, { kind: 'inbound' | 'outbound' }>;
/** Distributes over the two packet kinds (a plain Omit would merge them). */
type WithBase64<E> = E extends PacketEntry ? Omit<E, 'bytes'> & { bytes: string } : never;
type WirePacketEntry = WithBase64<PacketEntry>;

export type WireTraceEntry = Exclude<TraceEntry, PacketEntry> | WirePacketEntry;

export function encodeTrace(trace: readonly TraceEntry[]): WireTraceEntry[] {
  return trace.map((e) => (e.kind === 'inbound' || e.kind === 'outbound' ? { ...e, bytes: Buffer.from(e.bytes).toString('base64') } : e));
}

export function decodeTrace(wire: readonly WireTraceEntry[]): TraceEntry[] {
  return wire.map((e): TraceEntry => {
    if (e.kind === 'inbound') return { ...e, bytes: new Uint8Array(Buffer.from(e.bytes, 'base64')) };
    if (e.kind === 'outbound') return { ...e, bytes: new Uint8Array(Buffer.from(e.bytes, 'base64')) };
    return e;
  });
}
