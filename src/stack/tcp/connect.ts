// Opening (tcp_connect, tcp_conn_request / tcp_make_synack): the SYN with its options and
// Fast Open data, its linear-then-doubling retransmission timeout, and the passive side's SYN/ACK.
import type { TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import { fastOpenOption, synDataRoom, TFO_COOKIE_UNAVAILABLE, type ActiveFastOpen, type ServerVerdict } from '../fastopen.js';
import { optionBytes, readSynOptions, synOptions } from './options.js';
import { INITIAL_RTO_US, MAX_RTO_US } from './rtt.js';
import { seqAdd } from './seq.js';
import { initialReceiveWindow, synWindowField, windowScale } from './window.js';
import { DEFAULT_PEER_MSS, INITIAL_CWND } from './sock.js';
import { TcpOutput } from './output.js';

export abstract class TcpHandshake<Tag = unknown> extends TcpOutput<Tag> {
  protected localWscale(): number {
    const rmem = this.env.sysctls.ints('net.ipv4.tcp_rmem');
    return windowScale(rmem[2] ?? 0, this.env.sysctls.int('net.core.rmem_max'));
  }

  protected setupReceiveWindow(mss: number): void {
    this.rcvWnd = initialReceiveWindow(this.settings.rcvBuf, mss);
    this.rcvSsthresh = this.rcvWnd;
  }

  /**
   * Active open: sends the SYN. With Fast Open the SYN carries the FO option and, when a cookie
   * is known, as much of `data` as fits; `defer` (TCP_FASTOPEN_CONNECT with a cookie) holds the
   * SYN until the first write. Returns the bytes of `data` the SYN took.
   */
  connect(fastOpen?: ActiveFastOpen, data: Uint8Array = new Uint8Array(0), defer = false): number {
    const s = this.env.sysctls;
    this.tsOk = s.int('net.ipv4.tcp_timestamps') > 0;
    this.sackOk = s.int('net.ipv4.tcp_sack') > 0;
    this.wscaleOk = s.int('net.ipv4.tcp_window_scaling') > 0;
    this.rcvWscale = this.wscaleOk ? this.localWscale() : 0;
    this.setupReceiveWindow(this.advMss);
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndEnd = this.sndNxt;
    this.state = 'SYN_SENT';
    this.fastOpen = fastOpen;
    if (fastOpen && !fastOpen.withData) this.fastOpenClientFail = TFO_COOKIE_UNAVAILABLE;
    if (defer) { this.deferred = true; return 0; }
    return this.sendFirstSyn(data);
  }

  /** The first SYN (at connect, or at the first write of a deferred connect); returns the data bytes it took. */
  sendFirstSyn(data: Uint8Array): number {
    this.deferred = false;
    const fo = this.fastOpen;
    if (fo?.withData && data.length > 0) {
      const pathMss = (this.pmtu || this.env.mtu) - (this.tuple.family === 4 ? 40 : 60);
      const room = Math.min(synDataRoom(pathMss, fo.cachedMss, this.advMss, this.settings.userMss), this.settings.sndBuf);
      const piece = data.slice(0, room);
      // A chunk without a tag: data in a SYN is outside an upper layer's sequence space.
      this.chunks.push({ seq: this.sndEnd, data: piece, push: true, tag: undefined });
      this.sndEnd = seqAdd(this.sndEnd, piece.length);
      this.synData = piece.length;
    }
    this.sendSyn();
    return this.synData;
  }

  protected sendSyn(): void {
    const mp = this.ulp?.synOptions(this.synRetrans) ?? [];
    // Only the first SYN has Fast Open's option and data: retransmissions are plain SYNs.
    const first = this.synRetrans === 0;
    const choices = { mss: this.advMss, timestamps: this.tsOk, sack: this.sackOk, wscale: this.wscaleOk ? this.rcvWscale : undefined, tsVal: this.tsVal(), tsEcr: 0 };
    let opts = synOptions(choices, mp);
    const fo = first && this.fastOpen?.option ? synOptions(choices, [...fastOpenOption(this.fastOpen.option), ...mp]) : undefined;
    if (fo && optionBytes(fo) <= 40) { opts = fo; this.synFastOpen = true; }
    const payload = first && this.synData > 0 ? this.bytesAt(seqAdd(this.iss, 1), this.synData) : new Uint8Array(0);
    const s = this.env.sysctls;
    const ecn = this.ecn.synFlags(s.int('net.ipv4.tcp_ecn'), this.synRetrans > 0, s.int('net.ipv4.tcp_ecn_fallback') > 0);
    this.transmit({ flags: TcpFlag.SYN | ecn, seq: this.iss, ack: 0, window: synWindowField(this.rcvWnd), options: opts, payload });
    this.trackInFlight(this.iss, 0, true, false, this.synRetrans > 0);
    if (payload.length > 0) {
      this.trackInFlight(seqAdd(this.iss, 1), payload.length, false, false, false);
      this.sndNxt = seqAdd(this.iss, 1 + payload.length);
      this.dataSegsOut++;
      this.bytesSent += payload.length;
    }
    this.armRtx(this.synTimeout());
  }

  /** RTO of the SYN: linear for the first tcp_syn_linear_timeouts retries, then doubling. */
  protected synTimeout(): number {
    const linear = this.env.sysctls.int('net.ipv4.tcp_syn_linear_timeouts');
    if (this.synRetrans < linear) return INITIAL_RTO_US;
    return Math.min(MAX_RTO_US, INITIAL_RTO_US * 2 ** (this.synRetrans - linear + 1));
  }

  /**
   * Passive open: the listener accepted this SYN; answers with a SYN/ACK. A Fast Open child
   * (`fastOpen.child`) takes the SYN's data at once and the SYN/ACK acknowledges it.
   */
  acceptSyn(seg: TcpSegment, fastOpen?: ServerVerdict, ipEcn = 0): void {
    const s = this.env.sysctls;
    this.ecn.synReceived(seg.flags, ipEcn, s.int('net.ipv4.tcp_ecn'));
    const peer = readSynOptions(seg.options);
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvWup = this.rcvNxt;
    this.peerMss = peer.mss ?? DEFAULT_PEER_MSS;
    this.tsOk = peer.ts !== undefined && s.int('net.ipv4.tcp_timestamps') > 0;
    this.sackOk = peer.sackOk && s.int('net.ipv4.tcp_sack') > 0;
    this.wscaleOk = peer.wscale !== undefined && s.int('net.ipv4.tcp_window_scaling') > 0;
    this.sndWscale = this.wscaleOk ? peer.wscale! : 0;
    this.rcvWscale = this.wscaleOk ? this.localWscale() : 0;
    if (peer.ts) this.tsRecent = peer.ts.val;
    this.sndWnd = seg.window;
    this.maxSndWnd = this.sndWnd;
    this.setupReceiveWindow(this.advMss - (this.tsOk ? 12 : 0));
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndEnd = this.sndNxt;
    this.state = 'SYN_RECV';
    this.synAckFastOpen = fastOpen?.synAck;
    if (fastOpen?.child) {
      this.passiveFastOpen = true;
      this.sndSml = this.iss; // no small segment outstanding yet (Nagle), as tcp_create_openreq_child
      if (seg.payload.length > 0) {
        // tcp_fastopen_add_skb: the data goes straight to the receive queue; for MPTCP it is
        // read before the data stream and never data-acked (mptcp_fastopen_subflow_synack_set_params).
        this.rcvNxt = seqAdd(this.rcvNxt, seg.payload.length);
        this.rcvWup = this.rcvNxt;
        this.bytesReceived += seg.payload.length;
        this.dataSegsIn++;
        this.synDataIn = seg.payload.length;
        this.rcvQueue.push(seg.payload.slice());
        this.rcvQueued += seg.payload.length;
      }
    }
    this.sendSynAck();
  }

  protected sendSynAck(): void {
    const mp = this.ulp?.synAckOptions() ?? [];
    // A retransmitted SYN/ACK carries no cookie (tcp_rtx_synack passes none).
    const fo = this.synAckFastOpen && this.synRetrans === 0 ? fastOpenOption(this.synAckFastOpen) : [];
    const choices = { mss: this.advMss, timestamps: this.tsOk, sack: this.sackOk, wscale: this.wscaleOk ? this.rcvWscale : undefined, tsVal: this.tsVal(), tsEcr: this.tsRecent };
    let opts = synOptions(choices, [...fo, ...mp]);
    if (optionBytes(opts) > 40 && this.tsOk) {
      // A cookie and MP_CAPABLE with its key do not fit beside timestamps: 6.18 drops the
      // timestamps, for the whole connection (seen on the wire: nop nop sackOK instead).
      this.tsOk = false;
      opts = synOptions({ ...choices, timestamps: false }, [...fo, ...mp]);
    }
    this.transmit({ flags: TcpFlag.SYN | TcpFlag.ACK | this.ecn.synAckFlags(), seq: this.iss, ack: this.rcvNxt, window: synWindowField(this.rcvWnd), options: opts, payload: new Uint8Array(0) });
    this.trackInFlight(this.iss, 0, true, false, this.synRetrans > 0);
    this.armRtx(Math.min(MAX_RTO_US, INITIAL_RTO_US * 2 ** this.synRetrans));
  }

  /** tcp_sndbuf_expand(): room for two windows of the initial cwnd, each segment costing ~4 KB of memory. */
  protected expandSendBuffer(): void {
    if (this.settings.sndBufLocked) return;
    const max = this.env.sysctls.ints('net.ipv4.tcp_wmem')[2] ?? 4194304;
    this.settings.sndBuf = Math.max(this.settings.sndBuf, Math.min(2 * INITIAL_CWND * 4096, max));
  }
}
