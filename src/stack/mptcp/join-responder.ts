// The responder side of an MP_JOIN handshake, as far as this single-path stack goes: a valid
// token gets the SYN/ACK Linux sends (truncated HMAC, nonce, address ID); the third ACK then
// gets the RST Linux sends when it cannot take another subflow (MP_TCPRST reason 3), or reason 1
// for a wrong HMAC. Joined subflows themselves (multipath) are not implemented yet.
import { joinHmac } from '../../wire/crypto.js';
import { bytesEqual } from '../../wire/codec.js';
import type { MpJoin, TcpOption, TcpSegment } from '../../wire/packet.js';
import { TcpFlag } from '../../wire/packet.js';
import type { Prng } from '../prng.js';
import type { Sysctls } from '../sysctl.js';
import { synOptions, readSynOptions } from '../tcp/options.js';
import { seqAdd } from '../tcp/seq.js';
import { initialReceiveWindow, synWindowField, windowScale } from '../tcp/window.js';
import type { MptcpConnection } from './connection.js';

export interface JoinReply {
  flags: number;
  seq: number;
  ack: number;
  window: number;
  options: TcpOption[];
}

export class JoinResponder {
  private readonly iss: number;
  private readonly nonce: number;
  private readonly peerNonce: number;

  constructor(
    private readonly conn: MptcpConnection,
    syn: TcpSegment,
    join: MpJoin,
    prng: Prng,
  ) {
    this.iss = prng.next32();
    this.nonce = prng.next32();
    this.peerNonce = join.nonce ?? 0;
    this.irs = syn.seq;
  }

  private readonly irs: number;

  synAck(syn: TcpSegment, sysctls: Sysctls, mtu: number, addressId: number, nowMs: number, tsOffset: number): JoinReply {
    const peer = readSynOptions(syn.options);
    const ts = peer.ts !== undefined && sysctls.int('net.ipv4.tcp_timestamps') > 0;
    const sack = peer.sackOk && sysctls.int('net.ipv4.tcp_sack') > 0;
    const rmem = sysctls.ints('net.ipv4.tcp_rmem');
    const wscale = peer.wscale !== undefined && sysctls.int('net.ipv4.tcp_window_scaling') > 0 ? windowScale(rmem[2] ?? 0, sysctls.int('net.core.rmem_max')) : undefined;
    const advMss = mtu - 40;
    const remote = this.conn.remote!;
    const thmac = joinHmac(this.conn.local.key, remote.key, this.nonce, this.peerNonce, 1).slice(0, 8);
    const opt: MpJoin = { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: false, addressId, hmac: thmac, nonce: this.nonce };
    return {
      flags: TcpFlag.SYN | TcpFlag.ACK,
      seq: this.iss,
      ack: seqAdd(this.irs, 1),
      window: synWindowField(initialReceiveWindow(rmem[1] ?? 131072, advMss - (ts ? 12 : 0))),
      options: synOptions({ mss: advMss, timestamps: ts, sack, wscale, tsVal: (nowMs + tsOffset) >>> 0, tsEcr: peer.ts?.val ?? 0 }, [opt]),
    };
  }

  /** Third ACK: reason 1 for a missing or wrong HMAC, else 3 (no room for another subflow). */
  thirdAck(seg: TcpSegment): JoinReply | undefined {
    if (!(seg.flags & TcpFlag.ACK) || seg.ack !== seqAdd(this.iss, 1)) return undefined;
    const join = seg.options.find((o): o is MpJoin => o.kind === 'mptcp' && o.subtype === 'mp_join' && o.form === 'ack');
    const want = joinHmac(this.conn.remote!.key, this.conn.local.key, this.peerNonce, this.nonce, 1).slice(0, 20);
    const reason = join?.hmac && bytesEqual(join.hmac, want) ? 3 : 1;
    return { flags: TcpFlag.RST, seq: seqAdd(this.iss, 1), ack: 0, window: 0, options: [{ kind: 'mptcp', subtype: 'mp_tcprst', flags: 0, reason }] };
  }
}
