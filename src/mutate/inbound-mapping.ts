// Inbound DSS mappings as the script writes them, per subflow, so that the mutant generator can
// tell which changes of a mapping Linux 6.18 cannot show (equivalent mutants):
// - a DLL one longer on a mapping whose extra byte is either never sent or sent under the next
//   mapping at the very DSN the longer one gives it: Linux reads that byte under the old mapping
//   (subflow.c get_mapping_status keeps a valid mapping until it is consumed), at the same DSN;
//   or sent in a longer segment without any mapping, whose rest makes the connection fall back;
// - any change that leaves a mapping not covering its segment (subflow.c validate_mapping):
//   the connection falls back (or the subflow resets) whatever the mapping says;
// - the SSN of a bare DATA_FIN (DLL 1, no payload): Linux takes the DATA_FIN before it reads it;
// - a DLL one longer or a DATA_FIN added when the next segment without a DSS runs past the
//   mapping's end either way: its rest is unmapped and the connection falls back the same.
import type { PacketAction, SeqValue, TcpBody, TcpOptionSpec } from '../script/ast.js';

type DssSpec = Extract<TcpOptionSpec, { kind: 'dss' }>;
type CapableSpec = Extract<TcpOptionSpec, { kind: 'mp_capable' }>;

export interface WrittenMapping {
  /** Offset of the DSS option in the script. */
  at: number;
  ssn: number;
  dll: number;
  /** The DSN relative to the peer's IDSN, when the script writes it as a number. */
  dsn: bigint | undefined;
  fin: boolean;
  /** How its DSS checksum is written: `nocs`, a literal, or computed (an MP_CAPABLE's: computed unless literal). */
  checksum: 'none' | 'literal' | 'computed';
  /** The segment's subflow sequence number (relative) and payload length. */
  seq: number;
  payload: number;
}

/** A DSN written relative to the IDSN of the key it belongs to (`trunc_r64_hmac(NAME)+N` is N). */
function relativeDsn(v: SeqValue | undefined): bigint | undefined {
  if (v?.kind === 'relative') return v.value;
  if (v?.kind === 'idsn_of_name') return v.plus;
  return undefined;
}

/** The mapping's data span covers [seq, seq + payload) (validate_mapping, and no byte past its end). */
export function covers(m: Pick<WrittenMapping, 'ssn' | 'dll' | 'fin' | 'seq' | 'payload'>): boolean {
  const end = dataEnd(m);
  return m.payload === 0 || (m.seq >= m.ssn && m.seq < end && m.seq + m.payload <= end);
}

/** The end of a mapping's data span (a DATA_FIN takes the last number, not a byte). */
function dataEnd(m: Pick<WrittenMapping, 'ssn' | 'dll' | 'fin'>): number {
  return m.ssn + m.dll - (m.fin ? 1 : 0);
}

/**
 * The inbound data segments of the script in order, per subflow (the endpoints written on the
 * line, '' when none), each with the DSS mapping it carries, if any.
 */
export class InboundMappings {
  private readonly bySubflow = new Map<string, Array<{ mapping: WrittenMapping | undefined; seq: number; payload: number }>>();
  private readonly byOffset = new Map<number, { subflow: string; index: number }>();

  add(a: PacketAction, body: TcpBody, subflow: string): void {
    if (a.direction !== 'inbound') return;
    const dss = Array.isArray(body.options) ? body.options.find((o): o is DssSpec => o.kind === 'dss') : undefined;
    const list = this.bySubflow.get(subflow) ?? [];
    this.bySubflow.set(subflow, list);
    // An MP_CAPABLE with data maps it from the first DSN and subflow byte (RFC 8684 §3.1).
    const mpc = Array.isArray(body.options) ? body.options.find((o): o is CapableSpec => o.kind === 'mp_capable' && o.dataLen !== undefined) : undefined;
    const seg = { seq: body.seqStart, payload: body.payloadLength };
    let mapping: WrittenMapping | undefined;
    if (dss && !dss.bare && dss.ssn !== undefined && dss.dll !== undefined) {
      mapping = { at: dss.range.start.offset, ssn: dss.ssn, dll: dss.dll, dsn: relativeDsn(dss.dsn?.value), fin: dss.fin, checksum: dss.checksum.kind, ...seg };
    } else if (mpc?.dataLen !== undefined) {
      mapping = { at: mpc.range.start.offset, ssn: 1, dll: mpc.dataLen, dsn: 1n, fin: false, checksum: mpc.checksum !== undefined ? 'literal' : 'computed', ...seg };
    }
    if (mapping) this.byOffset.set(mapping.at, { subflow, index: list.length });
    if (mapping || body.payloadLength > 0) list.push({ mapping, seq: body.seqStart, payload: body.payloadLength });
  }

  /** The subflow key (`stack>script` endpoints as written) of the mapping at `at`. */
  subflowOf(at: number): string | undefined {
    return this.byOffset.get(at)?.subflow;
  }

  /** True when `at` is the first mapping of the script (no checksum could be seen valid before it). */
  isFirst(at: number): boolean {
    return [...this.byOffset.keys()].every((k) => k >= at);
  }

  get(at: number): WrittenMapping | undefined {
    const where = this.byOffset.get(at);
    return where ? this.bySubflow.get(where.subflow)![where.index]!.mapping : undefined;
  }

  /**
   * A change of the mapping at `at` (a DLL one longer, or a DATA_FIN taking its last number) that
   * leaves the first segment without a DSS of its own that does not fit in the mapping running
   * past its end, while every segment before it still fits: Linux finds that segment's rest
   * unmapped either way and reacts the same: falls back with no other subflow, resets with one
   * (subflow.c get_mapping_status; measured on 6.18 with fallback/segment-past-mapping.pkt and
   * join-segment-past-mapping.pkt). The caller excludes mappings whose data another subflow may
   * have delivered already: Linux discards such old data whole, past the mapping too.
   */
  restUnmappedEither(at: number, change: { dll?: number; fin?: boolean }): boolean {
    const where = this.byOffset.get(at);
    if (!where) return false;
    const list = this.bySubflow.get(where.subflow)!;
    const m = list[where.index]!.mapping!;
    if (!covers(m)) return false;
    const changed = { ...m, ...change };
    for (const x of list.slice(where.index + 1)) {
      if (x.mapping) return false;
      if (x.payload === 0) continue;
      const end = x.seq + x.payload;
      const fitsOld = x.seq >= m.ssn && end <= dataEnd(m);
      const fitsNew = x.seq >= changed.ssn && end <= dataEnd(changed);
      if (fitsOld !== fitsNew) return false;
      if (!fitsOld) return x.seq < dataEnd(m) && x.seq < dataEnd(changed);
    }
    return false;
  }

  /**
   * A DLL one longer changes nothing Linux shows: the mapping carries no DATA_FIN, and the next
   * data on its subflow past the segments it maps is none, or comes under a mapping that starts where the longer one ends
   * and gives that byte the same DSN.
   */
  longerDllEquivalent(at: number, noJoin: boolean): boolean {
    const where = this.byOffset.get(at);
    if (!where) return false;
    const list = this.bySubflow.get(where.subflow)!;
    const m = list[where.index]!.mapping!;
    if (m.fin || m.dsn === undefined || !covers(m)) return false;
    // Segments without a DSS inside the mapping as written are read under it either way.
    const next = list.slice(where.index + 1).find((x) => x.payload > 0 && !(x.mapping === undefined && x.seq >= m.ssn && x.seq + x.payload <= m.ssn + m.dll));
    if (!next) return true;
    const n = next.mapping;
    // Next data with no mapping at all (a stripped DSS) and more than the one byte: the rest stays
    // unmapped, so the connection falls back just the same (with a join the reset reason could differ).
    if (n === undefined) return noJoin && next.seq === m.ssn + m.dll && next.payload > 1;
    return n.ssn === m.ssn + m.dll && next.seq === n.ssn && n.dsn === m.dsn + BigInt(m.dll);
  }
}
