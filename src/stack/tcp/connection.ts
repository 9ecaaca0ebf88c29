// One TCP connection: a state machine fed with parsed segments and the current virtual time,
// emitting parsed segments. Its visible behaviour follows Linux: option order, window scale,
// quick-ACK then delayed ACKs, RTO with backoff, SYN retransmission with linear timeouts, every
// FIN state, RST on close with unread data. This file holds the socket's calls on it (read,
// shutdown, close); the rest is split by concern (sock.ts says where). An upper layer (MPTCP,
// src/stack/mptcp/subflow.ts) reaches it only through the hooks of hooks.ts, as Linux's ULP.
import { TcpInput } from './input.js';

export { DELACK_US, MS, type ConnEnv, type SocketSettings } from './sock.js';

export class TcpConnection<Tag = unknown> extends TcpInput<Tag> {
  read(max: number, peek = false): Uint8Array {
    const n = Math.min(max, this.rcvQueued);
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.rcvQueue[i]!;
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (peek) { i++; continue; }
      if (take === c.length) this.rcvQueue.shift();
      else this.rcvQueue[0] = c.subarray(take);
    }
    if (!peek && n > 0) {
      const before = this.advertisedWindow();
      this.rcvQueued -= n;
      // Linux sends a window update when reading opened the window a lot (tcp_cleanup_rbuf).
      if (this.state !== 'CLOSED' && before < this.rcvWnd / 2 && this.advertisedWindow() >= 2 * before + this.rcvMss) {
        if (this.ulp) this.ulp.windowUpdate();
        else this.sendAck();
      }
    }
    return out;
  }

  /** shutdown(SHUT_WR) / close(): FIN after the queued data (an upper layer may end its stream first). */
  shutdownWrite(): void {
    if (this.shutWr) return;
    this.shutWr = true;
    if (this.state === 'SYN_SENT') { this.becomeClosed(); return; }
    if (this.ulp?.shutdown()) return;
    this.queueFin();
  }

  /**
   * close(): with unread data (or SO_LINGER 0) Linux resets (with MP_FASTCLOSE on MPTCP);
   * otherwise it closes gracefully and the connection lives on as an orphan.
   */
  close(abort: boolean): void {
    this.orphaned = true;
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.state === 'SYN_SENT') { this.becomeClosed(); return; }
    if (abort || this.rcvQueued > 0 || this.ooo.size > 0) {
      if (this.state !== 'SYN_RECV') this.sendReset(this.sndNxt, true, this.ulp?.rstOptions(true) ?? []);
      this.becomeClosed();
      this.ulp?.abortedByClose();
      return;
    }
    this.shutdownWrite();
  }

}
