// Bytes the application wrote on a multipath connection that no subflow has taken yet (Linux's
// msk send queue beyond first_pending): they get their DSN only when the scheduler hands them to
// a subflow, and never beyond the peer's data-level window (mptcp_check_allowed_size), so the
// receiver always has room for every DSN it is sent and cannot stall on a hole it dropped.

export class PendingTx {
  private parts: Uint8Array[] = [];
  bytes = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.parts.push(data.slice());
    this.bytes += data.length;
  }

  /** The next `n` bytes (fewer when less is pending), removed from the queue. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.bytes));
    let at = 0;
    while (at < out.length) {
      const p = this.parts[0]!;
      const k = Math.min(p.length, out.length - at);
      out.set(p.subarray(0, k), at);
      at += k;
      if (k === p.length) this.parts.shift();
      else this.parts[0] = p.subarray(k);
    }
    this.bytes -= out.length;
    return out;
  }
}
