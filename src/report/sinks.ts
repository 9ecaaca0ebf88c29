// Observers of a run's trace: `-v` prints each entry as it happens, `--pcap` writes every
// packet injected and observed to a RAW pcap file (times are script seconds).

import type { TraceEntry } from '../engine/types.js';
import { PcapWriter } from '../pcap/writer.js';
import { formatTraceEntry } from './trace-format.js';

export type TraceSink = (entry: TraceEntry) => void;

export function verboseSink(write: (line: string) => void): TraceSink {
  return (e) => write(formatTraceEntry(e));
}

export interface PcapSink {
  sink: TraceSink;
  close(): void;
}

/** Opens `path` (throws the fs error if it cannot) and records every packet of the trace. */
export function pcapSink(path: string): PcapSink {
  const writer = PcapWriter.open(path);
  return {
    sink: (e) => {
      if (e.kind === 'inbound' || e.kind === 'outbound') writer.append(e.bytes, e.time / 1e6);
    },
    close: () => writer.close(),
  };
}

/** Calls every sink given. */
export function fanOut(sinks: Array<TraceSink | undefined>): TraceSink | undefined {
  const live = sinks.filter((s): s is TraceSink => s !== undefined);
  if (live.length === 0) return undefined;
  return (e) => { for (const s of live) s(e); };
}
