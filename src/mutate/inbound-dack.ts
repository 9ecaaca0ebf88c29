// Inbound DATA_ACKs whose loss nothing in the script can show: the DSS of a pure ACK that only
// carries a DATA_ACK, when the next inbound packet of the script repeats that DATA_ACK (or a
// higher one) and nothing in between could see the data level's acknowledged sequence. Linux acts
// on a DATA_ACK when it moves (protocol.c ack_update_msk): dropped, the next one moves it instead.
// Between the two only inbound packets and calls that read no data-level counter may come (no
// packet the stack sends, whose window or retransmission could follow snd_una), within 200 ms, the
// least retransmission timeout (protocol.c mptcp_set_timeout follows the subflows' RTO, never
// under TCP_RTO_MIN), so that no MPTCP-level retransmission can fire in between. Verified on 6.18
// with the corpus's join scripts (first-subflow-reset, endpoint-delete-initial, remove-initial-
// subflow, remove-join-subflow-count).
import type { Event, PacketAction, TcpOptionSpec } from '../script/ast.js';

type DssSpec = Extract<TcpOptionSpec, { kind: 'dss' }>;

/** The least retransmission timeout, in microseconds (TCP_RTO_MIN). */
const RTO_MIN_US = 200_000;

/** Data-level counters a call may read: a getsockopt naming one of these can see snd_una. */
const DATA_LEVEL_FIELDS = /mptcpi_(snd_una|bytes_acked|bytes_sent|retransmits|bytes_retrans)/;

function onlyDataAck(a: PacketAction): bigint | undefined {
  if (a.direction !== 'inbound' || a.body.kind !== 'tcp' || a.body.payloadLength > 0 || !Array.isArray(a.body.options)) return undefined;
  const dss = a.body.options.find((o): o is DssSpec => o.kind === 'dss');
  if (!dss || dss.dsn !== undefined || dss.fin || dss.dack?.value?.kind !== 'relative') return undefined;
  return dss.dack.value.value;
}

/**
 * Offsets of the inbound DSS options (by the option's start) whose drop is an equivalent mutant:
 * a later inbound packet repeats the DATA_ACK before anything could show it.
 */
export function supersededDataAcks(events: readonly Event[], text: string): Set<number> {
  const out = new Set<number>();
  events.forEach((ev, i) => {
    const a = ev.action;
    if (a.kind !== 'packet' || a.body.kind !== 'tcp') return;
    const dack = onlyDataAck(a);
    if (dack === undefined) return;
    let elapsed = 0;
    for (const next of events.slice(i + 1)) {
      if (next.time.kind !== 'point' || !next.time.relative) return;
      elapsed += next.time.usecs;
      if (elapsed >= RTO_MIN_US) return;
      const b = next.action;
      if (b.kind === 'packet') {
        if (b.direction === 'outbound') return;
        const later = b.body.kind === 'tcp' && Array.isArray(b.body.options) ? b.body.options.find((o): o is DssSpec => o.kind === 'dss') : undefined;
        const value = later?.dack?.value?.kind === 'relative' ? later.dack.value.value : undefined;
        if (value !== undefined && value >= dack) {
          const dss = (a.body as { options: TcpOptionSpec[] }).options.find((o) => o.kind === 'dss')!;
          out.add(dss.range.start.offset);
        }
        if (later?.dack !== undefined) return;
        continue;
      }
      if (b.kind !== 'syscall') return;
      if (b.name === 'write' || b.name === 'send' || b.name === 'sendto' || b.name === 'sendmsg' || b.name === 'writev' || b.name === 'close' || b.name === 'shutdown') return;
      if (DATA_LEVEL_FIELDS.test(text.slice(b.range.start.offset, b.range.end.offset))) return;
    }
  });
  return out;
}
