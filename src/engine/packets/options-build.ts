// Inbound TCP options: the script's `<...>` as wire options. SACK blocks acknowledge the
// stack's data and are remapped by its ISN; TS ecr is remapped to the TS val the stack really
// sent (docs/language.md §7.2); MPTCP options go to mptcp-build.ts.

import type { MptcpOptionSpec, TcpOptionSpec } from '../../script/ast.js';
import type { TcpOption } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { decodeTcpOptions } from '../../wire/tcp-options.js';
import type { Line } from './line.js';
import { buildMptcpOption } from './mptcp-build.js';
import { PacketLineError } from './types.js';

export function buildTcpOptions(line: Line): TcpOption[] {
  const opts = line.body.options;
  if (opts === 'none') return [];
  if (opts === 'any') throw new PacketLineError('`<...>` (any options) is only allowed on outbound packets', line.body.optionsRange ?? line.body.range);
  return opts.map((spec) => buildTcpOption(line, spec));
}

/** Options whose wire form is the spec itself (no remapping, no state): undefined otherwise. */
export function plainTcpOption(spec: TcpOptionSpec): TcpOption | undefined {
  switch (spec.kind) {
    case 'nop':
    case 'eol':
    case 'sack_permitted':
      return { kind: spec.kind };
    case 'mss':
      return { kind: 'mss', mss: spec.mss };
    case 'wscale':
      return { kind: 'wscale', shift: spec.shift };
    case 'fastopen':
      return { kind: 'fastopen', experimental: spec.experimental, cookie: spec.cookie ?? new Uint8Array(0) };
    case 'md5':
      return { kind: 'md5', digest: spec.digest ?? new Uint8Array(16) };
    case 'accecn': {
      // AccECN0 (172) starts with e0b, AccECN1 (174) with e1b: 24-bit counters in order.
      const code = spec.fields[0]?.name === 'e1b' ? 174 : 172;
      const data = new Uint8Array(spec.fields.length * 3);
      spec.fields.forEach((f, i) => {
        data[i * 3] = (f.value >>> 16) & 0xff;
        data[i * 3 + 1] = (f.value >>> 8) & 0xff;
        data[i * 3 + 2] = f.value & 0xff;
      });
      return { kind: 'unknown', code, data };
    }
    case 'raw': {
      // Decoded from its bytes, so a receiving stack sees what the wire says (an MP_CAPABLE of
      // version 2, an MPTCP option of an unassigned subtype) and the bytes go out unchanged.
      const bytes = Uint8Array.of(spec.code, 2 + spec.data.length, ...spec.data);
      return decodeTcpOptions(bytes)[0];
    }
    default:
      return undefined;
  }
}

function buildTcpOption(line: Line, spec: TcpOptionSpec): TcpOption {
  switch (spec.kind) {
    case 'sack': {
      const off = line.sub.stackOffset();
      return { kind: 'sack', blocks: spec.blocks.map(([l, r]) => [(l + off) >>> 0, (r + off) >>> 0] as [number, number]) };
    }
    case 'timestamp': {
      const ecr = line.body.flags & TcpFlag.ACK ? liveTsEcr(line, spec.ecr) : spec.ecr;
      return { kind: 'timestamp', val: spec.val >>> 0, ecr };
    }
    default:
      return plainTcpOption(spec) ?? buildMptcpOption(line, spec as MptcpOptionSpec);
  }
}

/**
 * The live TS ecr for a script TS ecr on an inbound ACK: the live TS val of the outbound line
 * that wrote the same value; with tcp_ts_ecr_scaled, interpolated from the first such pair.
 */
export function liveTsEcr(line: Line, scriptEcr: number): number {
  const pairs = line.sub.ts;
  for (let i = pairs.length - 1; i >= 0; i--) if (pairs[i]!.script === scriptEcr) return pairs[i]!.live;
  const first = pairs[0];
  if (line.env.ctx.tsEcrScaled && first) return (first.live + (scriptEcr - first.script)) >>> 0;
  throw new PacketLineError(
    `unable to infer live TS ecr for script TS ecr ${scriptEcr}; no matching or preceding outbound TS val`,
    line.body.optionsRange ?? line.body.range,
  );
}
