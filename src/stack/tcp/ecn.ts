// Explicit Congestion Notification (RFC 3168) as Linux's classic ECN (net/ipv4/tcp_input.c
// tcp_ecn_*, tcp_output.c tcp_ecn_send_syn, tcp_ecn_make_synack, tcp_ecn_send): negotiated by a
// SYN with ECE and CWR and a SYN/ACK with ECE; then new data leaves ECT(0), a CE mark received
// is echoed by ECE on every segment until the peer's CWR, and the sender's window reduction on
// an ECE (recovery's CWR state) puts CWR on the next new data segment.
import { TcpFlag } from '../../wire/packet.js';

/** The IP header's ECN field (RFC 3168 §5). */
export const NOT_ECT = 0;
export const ECT0 = 2;
export const CE = 3;

export class TcpEcn {
  /** TCP_ECN_OK: both ends agreed. */
  ok = false;
  /** TCP_ECN_DEMAND_CWR: a CE mark is being echoed. */
  private demandCwr = false;
  /** TCP_ECN_QUEUE_CWR: the next new data segment carries CWR. */
  private queueCwr = false;
  /** TCP_ECN_SEEN: an ECT or CE mark arrived (tcpi_options' ECN_SEEN). */
  seen = false;

  /** tcp_ecn_send_syn: net.ipv4.tcp_ecn=1 asks; a retransmitted SYN gives up when ecn_fallback says so. */
  synFlags(sysctlEcn: number, retransmitted: boolean, fallback: boolean): number {
    if (retransmitted) return this.ok && !fallback ? TcpFlag.ECE | TcpFlag.CWR : 0;
    this.ok = sysctlEcn === 1;
    return this.ok ? TcpFlag.ECE | TcpFlag.CWR : 0;
  }

  /** tcp_ecn_rcv_synack: ECE without CWR agrees. */
  synAckReceived(flags: number): void {
    if (this.ok && (!(flags & TcpFlag.ECE) || (flags & TcpFlag.CWR) !== 0)) this.ok = false;
  }

  /** tcp_ecn_create_request: a SYN with ECE and CWR, not ECT-marked, while net.ipv4.tcp_ecn is on. */
  synReceived(flags: number, ipEcn: number, sysctlEcn: number): void {
    this.ok = (flags & TcpFlag.ECE) !== 0 && (flags & TcpFlag.CWR) !== 0 && ipEcn === NOT_ECT && sysctlEcn !== 0;
  }

  /** tcp_ecn_make_synack. */
  synAckFlags(): number {
    return this.ok ? TcpFlag.ECE : 0;
  }

  /** tcp_ecn_send: the flags to add to a segment and its IP ECN field; `newData`: not a resend. */
  send(newData: boolean): { flags: number; ipEcn: number } {
    if (!this.ok) return { flags: 0, ipEcn: NOT_ECT };
    let flags = this.demandCwr ? TcpFlag.ECE : 0;
    if (!newData) return { flags, ipEcn: NOT_ECT };
    if (this.queueCwr) { this.queueCwr = false; flags |= TcpFlag.CWR; }
    return { flags, ipEcn: ECT0 };
  }

  /** tcp_ecn_rcv_ecn_echo: an ACK's ECE counts once negotiated. */
  echoed(flags: number): boolean {
    return this.ok && (flags & TcpFlag.ECE) !== 0 && !(flags & TcpFlag.SYN);
  }

  /** tcp_ecn_queue_cwr, when a window reduction starts. */
  reduced(): void {
    if (this.ok) this.queueCwr = true;
  }

  /** tcp_ecn_withdraw_cwr: a reduction undone. */
  withdrawn(): void {
    this.queueCwr = false;
  }

  /** tcp_ecn_accept_cwr, for every ACK processed: CWR ends the echo; with data, ACK at once. */
  acceptCwr(flags: number, hasData: boolean): boolean {
    if (!(flags & TcpFlag.CWR)) return false;
    this.demandCwr = false;
    return hasData;
  }

  /**
   * tcp_ecn_check_ce, for data received: CE starts the echo; returns whether to enter quick-ACK
   * mode (a new CE, or an unmarked segment after marks were seen: probably a resend).
   */
  checkCe(ipEcn: number): boolean {
    if (!this.ok) return false;
    if (ipEcn === NOT_ECT) return this.seen;
    this.seen = true;
    if (ipEcn !== CE || this.demandCwr) return false;
    this.demandCwr = true;
    return true;
  }
}
