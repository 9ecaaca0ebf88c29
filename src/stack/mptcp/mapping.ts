// Whether a received DSS mapping covers the subflow bytes it arrived with, as Linux 6.18 checks
// it when the bytes reach the head of the subflow (subflow.c get_mapping_status and
// validate_mapping): the first byte must lie inside the mapping's subflow span, and no byte of
// the segment may lie past it (the part past it would have no mapping: MAPPING_INVALID). A
// DATA_FIN in the mapping takes its last sequence number, not a byte (RFC 8684 §3.3.3), so the
// data span is one shorter. Bytes still inside the previous mapping are read under it (Linux
// keeps a valid mapping until it is consumed and takes a different new one only afterwards).

/** A mapping's span in subflow sequence numbers (relative to the peer's ISN): [start, end). */
export interface SubflowSpan {
  start: number;
  end: number;
}

/** The subflow bytes a mapping carries data for: its DLL less the DATA_FIN's number. */
export function dataSpan(ssn: number, dll: number, dataFin: boolean): SubflowSpan {
  return { start: ssn, end: ssn + dll - (dataFin ? 1 : 0) };
}

/**
 * True when the in-order segment [seqRel, seqRel + len) may be read under `mapping`, given the
 * span of the mapping received before it on this subflow (`previous`).
 */
export function mappingCoversSegment(mapping: SubflowSpan, previous: SubflowSpan | undefined, seqRel: number, len: number): boolean {
  const inside = (span: SubflowSpan, at: number): boolean => at >= span.start && at < span.end;
  const end = seqRel + len;
  const underPrevious = previous !== undefined && inside(previous, seqRel);
  if (!underPrevious && !inside(mapping, seqRel)) return false;
  return end <= mapping.end || (underPrevious && end <= previous.end);
}
