// One MP_JOIN subflow's handshake state (RFC 8684 §3.2; Linux net/mptcp/subflow.c), for either role and
// the connection's version: the joiner (A) sends the SYN with the peer's token and checks the
// SYN/ACK's truncated HMAC; the responder (B) answers with its own truncated HMAC and checks the
// third ACK's 160 bits. The TCP state machine of the subflow asks this object for its options.
import { joinHmac } from '../../wire/crypto.js';
import { bytesEqual } from '../../wire/codec.js';
import type { MpJoin, MptcpOption } from '../../wire/packet.js';
import type { MptcpConnection } from './connection.js';

/** MP_TCPRST reasons Linux uses when refusing a join (RFC 8684 §3.6: 0 unspecified error, 1 MPTCP-specific error, 3 lack of resources). */
export const RESET_EUNSPEC = 0;
export const RESET_UNSPECIFIED = 1;
export const RESET_NO_RESOURCES = 3;

export const findJoin = (opts: readonly MptcpOption[]): MpJoin | undefined =>
  opts.find((o): o is MpJoin => o.subtype === 'mp_join');

/**
 * The joiner's fourth ACK: the first in-sequence segment after its third ACK makes the subflow
 * fully established when it carries a DATA_ACK or an ADD_ADDR; anything else resets the subflow
 * (options.c check_fully_established; 6.18 sends the RST with MP_TCPRST 0).
 */
export function fourthAckVerdict(opts: readonly MptcpOption[]): 'established' | 'reset' {
  return opts.some((o) => (o.subtype === 'dss' && o.dataAck !== undefined) || o.subtype === 'add_addr') ? 'established' : 'reset';
}

export class JoinSubflow {
  peerNonce = 0;
  /** Joiner: the fourth ACK arrived (data may flow); responder: the third ACK was verified. */
  established = false;
  /** The peer's address id for this subflow (its SYN or SYN/ACK). */
  remoteAddressId = 0;
  /** The peer asked (SYN/ACK, SYN or MP_PRIO) that we send here only when nothing else is usable. */
  peerBackup = false;

  constructor(
    readonly conn: MptcpConnection,
    readonly role: 'joiner' | 'responder',
    readonly nonce: number,
    /** Our address id for this subflow (0 = the connection's initial address). */
    readonly addressId: number,
    /** Our endpoint's backup flag (not an echo of the peer's). */
    public backup: boolean,
  ) {}

  private hmac(senderIsUs: boolean): Uint8Array {
    const local = this.conn.local.key;
    const remote = this.conn.remote!.key;
    const v = this.conn.version; // HMAC-SHA256 in v1, HMAC-SHA1 in v0 (its 20 bytes fill the ACK)
    return senderIsUs ? joinHmac(local, remote, this.nonce, this.peerNonce, v) : joinHmac(remote, local, this.peerNonce, this.nonce, v);
  }

  synOption(): MpJoin {
    return { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: this.backup, addressId: this.addressId, token: this.conn.remote!.token, nonce: this.nonce };
  }

  /** Responder: the SYN's nonce, address id and backup flag. */
  onSyn(join: MpJoin): void {
    this.peerNonce = join.nonce ?? 0;
    this.remoteAddressId = join.addressId ?? 0;
    this.peerBackup = join.backup;
  }

  synAckOption(): MpJoin {
    return { kind: 'mptcp', subtype: 'mp_join', form: 'syn_ack', backup: this.backup, addressId: this.addressId, hmac: this.hmac(true).slice(0, 8), nonce: this.nonce };
  }

  /** Joiner: a SYN/ACK whose truncated HMAC is right (else the subflow is reset, reason 1). */
  onSynAck(opts: readonly MptcpOption[]): boolean {
    const j = findJoin(opts);
    if (!j || j.form !== 'syn_ack' || !j.hmac) return false;
    this.peerNonce = j.nonce ?? 0;
    this.remoteAddressId = j.addressId ?? 0;
    this.peerBackup = j.backup;
    const valid = bytesEqual(j.hmac, this.hmac(false).slice(0, 8));
    // subflow.c subflow_finish_connect counts a SYN/ACK whose HMAC checks out.
    if (valid) this.conn.mib?.inc('MPTcpExtMPJoinSynAckRx');
    return valid;
  }

  ackOption(): MpJoin {
    return { kind: 'mptcp', subtype: 'mp_join', form: 'ack', backup: false, hmac: this.hmac(true).slice(0, 20) };
  }

  /** Responder: the third ACK's HMAC checks out. */
  thirdAckValid(opts: readonly MptcpOption[]): boolean {
    const j = findJoin(opts);
    return j?.form === 'ack' && j.hmac !== undefined && bytesEqual(j.hmac, this.hmac(false).slice(0, 20));
  }
}
