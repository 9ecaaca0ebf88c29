// The one way an upper layer (MPTCP) reaches a TCP connection, and the only upcalls TCP makes.
// TCP knows nothing of subflows, data sequence numbers or DATA_FIN: as Linux's tcp_* code calls
// mptcp_* only through the ULP hooks — mptcp_established_options / mptcp_syn_options /
// mptcp_synack_options (options to write, net/mptcp/options.c), mptcp_incoming_options (options
// read), subflow_state_change and subflow_data_ready (net/mptcp/subflow.c), tcp_send_ack — so here
// a connection calls these methods of its `ulp` and nothing else. Each has a TCP-only default that
// applies when there is no upper layer.
import type { TcpOption, TcpSegment } from '../../wire/packet.js';

/** What an upper layer sees of one outgoing segment, to choose its options (mptcp_established_options). */
export interface OutgoingSegment<Tag> {
  /** The upper layer's tag of the bytes the segment carries (undefined: none, or no payload). */
  tag: Tag | undefined;
  payloadLen: number;
  fin: boolean;
  /** Sequence number of the segment's first byte. */
  seq: number;
}

export interface SubflowHooks<Tag> {
  // ---- options to write (mptcp_syn_options, mptcp_synack_options, mptcp_established_options)
  /** Options of the SYN sent for the (`synRetrans`+1)-th time. */
  synOptions(synRetrans: number): TcpOption[];
  synAckOptions(): TcpOption[];
  /** Options of a segment after the handshake: data, pure ACK, FIN, keepalive or window probe. */
  txOptions(seg: OutgoingSegment<Tag>): TcpOption[];
  /** Options of an RST: `abort` when the application ended the connection (close with unread data, SO_LINGER 0). */
  rstOptions(abort: boolean): TcpOption[];

  // ---- options read (mptcp_incoming_options) and state changes (subflow_state_change)
  /** An acceptable SYN/ACK in SYN_SENT; false: the upper layer refused it and ended the connection itself. */
  synAckReceived(seg: TcpSegment): boolean;
  /** The ACK completing a passive open; false: the upper layer refused it and ended the connection itself. */
  thirdAckReceived(seg: TcpSegment): boolean;
  /** The handshake completed and its last ACK went (active) or the listener heard of it (passive). */
  established(active: boolean): void;
  /** An RST in window; true: the upper layer took it (the connection may live on without this one). */
  resetReceived(seg: TcpSegment): boolean;
  /** An acceptable segment after the ACK processing; false: the upper layer ended the connection. */
  incoming(seg: TcpSegment, inOrder: boolean): boolean;
  /**
   * The segment's data was processed (before new data goes out); true: the upper layer consumed
   * the end of its stream with it, and when a FIN of ours went meanwhile an ACK still follows.
   */
  afterData(seg: TcpSegment): boolean;
  /** Input processing sent what it could: the upper layer may hand out more (mptcp_push_pending). */
  afterInput(): void;
  /** Retransmissions ran out (the RST went); true: the upper layer lives on without this connection. */
  retriesExhausted(): boolean;
  /** The connection is reaching CLOSED (its timers stop; the env hears of it next). */
  closing(): void;

  // ---- data
  /** In-order bytes acknowledged at TCP level (subflow_data_ready): the upper layer queues them. */
  receive(data: Uint8Array): void;
  /** What the advertised window is computed from: the receive buffer and what waits in it. */
  receiveSpace(): { rcvBuf: number; queued: number };
  /** Reading opened the window: announce it (on every connection that shares the window). */
  windowUpdate(): void;
  /** Largest piece one write is queued in (one tag each); Infinity: no limit. */
  writePiece(): number;
  /** The tag of bytes written by the application at the end of the send queue. */
  tagWrite(piece: Uint8Array): Tag | undefined;
  /** The tag still applies to outgoing segments (a segment never crosses a tagged piece's end). */
  liveTag(tag: Tag | undefined): Tag | undefined;
  /** A segment with `len` bytes of the piece tagged `tag` went out. */
  dataSent(tag: Tag | undefined, len: number, retrans: boolean): void;
  /** The send loop ended (the upper layer may send its own signals, e.g. DATA_FIN). */
  afterOutput(): void;
  /** shutdown(SHUT_WR); true: the upper layer ends its stream itself and no FIN is queued now. */
  shutdown(): boolean;
  /** close() reset the connection (unread data or SO_LINGER 0): the upper layer ends the rest. */
  abortedByClose(): void;
}
