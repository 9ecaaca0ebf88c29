// The data level's retransmission queue (Linux's msk->rtx_queue): every byte written keeps its
// DSN and the subflow it was mapped on until the peer's DATA_ACK covers it. A subflow that
// closes sends the whole queue again on the others (reinjection, __mptcp_retransmit_pending_data);
// the MPTCP-level timer resends the head (__mptcp_retrans). Data acknowledged by a subflow's TCP
// ACK but not by a DATA_ACK stays here: the receiver may still have dropped it at the data level.

export interface TxEntry<Owner> {
  dsn: bigint;
  data: Uint8Array;
  /** The subflow the bytes are mapped on (the last one, after a reinjection). */
  owner: Owner;
}

export class DataTxQueue<Owner> {
  private entries: Array<TxEntry<Owner>> = [];
  /** Bytes written and not yet DATA_ACKed. */
  bytes = 0;

  get size(): number {
    return this.entries.length;
  }

  push(dsn: bigint, data: Uint8Array, owner: Owner): void {
    if (data.length === 0) return;
    this.entries.push({ dsn, data, owner });
    this.bytes += data.length;
  }

  /** The peer's DATA_ACK reached `una`: drop what it covers (the head entry may be cut). */
  trim(una: bigint): void {
    while (this.entries.length > 0) {
      const e = this.entries[0]!;
      const end = e.dsn + BigInt(e.data.length);
      if (end <= una) { this.entries.shift(); this.bytes -= e.data.length; continue; }
      if (e.dsn < una) { this.bytes -= Number(una - e.dsn); e.data = e.data.subarray(Number(una - e.dsn)); e.dsn = una; }
      break;
    }
  }

  /** The oldest unacknowledged stretch (the MPTCP-level retransmission candidate). */
  head(): TxEntry<Owner> | undefined {
    return this.entries[0];
  }

  /** The queue as contiguous stretches of DSNs (each with the entries it joins), oldest first. */
  runs(): Array<{ dsn: bigint; data: Uint8Array; entries: Array<TxEntry<Owner>> }> {
    const out: Array<{ dsn: bigint; data: Uint8Array; entries: Array<TxEntry<Owner>> }> = [];
    let cur: { dsn: bigint; parts: Uint8Array[]; len: number; entries: Array<TxEntry<Owner>> } | undefined;
    const flush = (): void => {
      if (!cur) return;
      const data = new Uint8Array(cur.len);
      let at = 0;
      for (const p of cur.parts) { data.set(p, at); at += p.length; }
      out.push({ dsn: cur.dsn, data, entries: cur.entries });
    };
    for (const e of this.entries) {
      if (cur && cur.dsn + BigInt(cur.len) === e.dsn) { cur.parts.push(e.data); cur.len += e.data.length; cur.entries.push(e); continue; }
      flush();
      cur = { dsn: e.dsn, parts: [e.data], len: e.data.length, entries: [e] };
    }
    flush();
    return out;
  }
}
