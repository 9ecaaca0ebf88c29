// Learns, while a capture is read in order, what --relative numbers are relative to: each
// subflow direction's ISN (from its SYN) and each MPTCP connection's IDSNs (from the keys in
// MP_CAPABLE; MP_JOIN subflows are tied to their connection by the token in the join SYN).

import { keyIdsn, keyToken } from '../../wire/crypto.js';
import { TcpFlag, type IpPacket, type MpCapable, type MpJoin } from '../../wire/packet.js';

export interface RelativeBases {
  /** ISN of the packet's direction (for seq). */
  seqIsn?: number;
  /** ISN of the reverse direction (for ack). */
  ackIsn?: number;
  /** IDSN of the packet sender's data (for DSN and MP_FAIL). */
  dsnIdsn?: bigint;
  /** IDSN of the packet receiver's data (for DATA_ACK). */
  dataAckIdsn?: bigint;
}

interface Connection {
  /** 0 = SHA-1 (RFC 6824), 1 = SHA-256 (RFC 8684). */
  version: 0 | 1;
  /** Keys of the two ends; side 0 is whichever end was seen sending MP_CAPABLE first. */
  keys: [bigint | undefined, bigint | undefined];
}

interface Membership {
  connection: Connection;
  side: 0 | 1;
}

function directionKey(pkt: IpPacket, reverse: boolean): string {
  const tcp = pkt.tcp!;
  const a = `${pkt.ip.src}|${tcp.srcPort}`;
  const b = `${pkt.ip.dst}|${tcp.dstPort}`;
  return reverse ? `${b}>${a}` : `${a}>${b}`;
}

export class RelativeTracker {
  private readonly isn = new Map<string, number>();
  private readonly membership = new Map<string, Membership>();
  private readonly tokens = new Map<number, Membership>();
  private readonly idsnCache = new Map<string, bigint>();

  /** Learns from `pkt` (call in capture order) and returns the bases to print it with. */
  observe(pkt: IpPacket): RelativeBases {
    const tcp = pkt.tcp;
    if (!tcp) return {};
    const forward = directionKey(pkt, false);
    const backward = directionKey(pkt, true);

    if (tcp.flags & TcpFlag.SYN) {
      const known = this.isn.get(forward);
      if (known !== undefined && known !== tcp.seq && !(tcp.flags & TcpFlag.ACK)) {
        // A new connection reusing the 4-tuple: forget what belonged to the old one.
        this.isn.delete(backward);
        this.membership.delete(forward);
        this.membership.delete(backward);
      }
      this.isn.set(forward, tcp.seq);
    }

    for (const option of tcp.options) {
      if (option.kind !== 'mptcp') continue;
      if (option.subtype === 'mp_capable') this.learnKeys(option, forward, backward);
      else if (option.subtype === 'mp_join' && option.form === 'syn') this.joinByToken(option, forward, backward);
    }

    const bases: RelativeBases = {};
    const seqIsn = this.isn.get(forward);
    const ackIsn = this.isn.get(backward);
    if (seqIsn !== undefined) bases.seqIsn = seqIsn;
    if (ackIsn !== undefined) bases.ackIsn = ackIsn;
    const member = this.membership.get(forward);
    if (member) {
      const { connection, side } = member;
      const own = connection.keys[side];
      const peer = connection.keys[side === 0 ? 1 : 0];
      if (own !== undefined) bases.dsnIdsn = this.idsn(own, connection.version);
      if (peer !== undefined) bases.dataAckIdsn = this.idsn(peer, connection.version);
    }
    return bases;
  }

  private learnKeys(option: MpCapable, forward: string, backward: string): void {
    let member = this.membership.get(forward);
    if (!member) {
      const reverse = this.membership.get(backward);
      member = reverse
        ? { connection: reverse.connection, side: reverse.side === 0 ? 1 : 0 }
        : { connection: { version: option.version === 0 ? 0 : 1, keys: [undefined, undefined] }, side: 0 };
      this.membership.set(forward, member);
      this.membership.set(backward, { connection: member.connection, side: member.side === 0 ? 1 : 0 });
    }
    const { connection, side } = member;
    if (option.senderKey !== undefined) connection.keys[side] = option.senderKey;
    if (option.receiverKey !== undefined) connection.keys[side === 0 ? 1 : 0] = option.receiverKey;
    for (const s of [0, 1] as const) {
      const key = connection.keys[s];
      if (key !== undefined) this.tokens.set(keyToken(key, connection.version), { connection, side: s });
    }
  }

  private joinByToken(option: MpJoin, forward: string, backward: string): void {
    if (option.token === undefined) return;
    // The join SYN carries the token of its receiver's key.
    const receiver = this.tokens.get(option.token);
    if (!receiver) return;
    this.membership.set(backward, receiver);
    this.membership.set(forward, { connection: receiver.connection, side: receiver.side === 0 ? 1 : 0 });
  }

  private idsn(key: bigint, version: 0 | 1): bigint {
    const id = `${version}:${key}`;
    let value = this.idsnCache.get(id);
    if (value === undefined) {
      value = keyIdsn(key, version);
      this.idsnCache.set(id, value);
    }
    return value;
  }
}
