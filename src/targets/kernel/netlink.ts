// A netlink socket of the calling thread's namespace (netlink(7)): messages with their header,
// attributes (struct nlattr / rtattr, the same layout) and requests that ask for an
// acknowledgement (NLM_F_ACK) and fail with the kernel's errno. rtnetlink.ts and genl.ts build on it.
import { errnoName } from '../../sys/symbols.js';
import { call } from './libc.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
export const NLMSG_HDRLEN = 16;
/** NLA_F_NESTED | NLA_F_NET_BYTEORDER: flags carried in an attribute's type. */
const NLA_TYPE_MASK = 0x3fff;

export const align4 = (n: number): number => (n + 3) & ~3;

export class NetlinkError extends Error {
  constructor(readonly errno: number, what: string) {
    super(`${what}: ${errnoName(errno)}`);
  }
}

/** One attribute (struct nlattr + payload, padded to 4 bytes). */
export function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + payload.byteLength));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.byteLength, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

function fixed(bytes: number, set: (v: DataView) => void): Uint8Array {
  const b = new Uint8Array(bytes);
  set(new DataView(b.buffer));
  return b;
}

export const u8 = (n: number): Uint8Array => Uint8Array.of(n);
export const u16 = (n: number): Uint8Array => fixed(2, (v) => v.setUint16(0, n, true));
export const u32 = (n: number): Uint8Array => fixed(4, (v) => v.setUint32(0, n, true));
/** A big-endian (network order) u16: ports in the MPTCP PM's address attributes. */
export const be16 = (n: number): Uint8Array => fixed(2, (v) => v.setUint16(0, n, false));

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** The attributes in `bytes`, by type (flag bits cleared); a repeated type keeps its first. */
export function parseAttrs(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 4 <= bytes.byteLength;) {
    const len = v.getUint16(at, true);
    if (len < 4 || at + len > bytes.byteLength) break;
    const type = v.getUint16(at + 2, true) & NLA_TYPE_MASK;
    if (!out.has(type)) out.set(type, bytes.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

/** Every attribute of a nested list (a list of nests, as CTRL_ATTR_MCAST_GROUPS), in order. */
export function attrList(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 4 <= bytes.byteLength;) {
    const len = v.getUint16(at, true);
    if (len < 4 || at + len > bytes.byteLength) break;
    out.push(bytes.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

/** One netlink message as read: its type and what follows the header. */
export interface NetlinkMessage {
  type: number;
  seq: number;
  payload: Uint8Array;
}

/** The messages in one datagram. */
export function splitMessages(buf: Uint8Array): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 0; at + NLMSG_HDRLEN <= buf.byteLength;) {
    const len = v.getUint32(at, true);
    if (len < NLMSG_HDRLEN || at + len > buf.byteLength) break;
    out.push({ type: v.getUint16(at + 4, true), seq: v.getUint32(at + 8, true), payload: buf.subarray(at + NLMSG_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

export class NetlinkSocket {
  readonly fd: number;
  private seq = 1;

  constructor(protocol: number) {
    const s = call('socket', AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (s.ret < 0) throw new NetlinkError(s.errno, `cannot open a netlink socket (protocol ${protocol})`);
    this.fd = s.ret;
  }

  close(): void {
    call('close', this.fd);
  }

  /**
   * Sends one request with NLM_F_ACK and reads until its acknowledgement: the replies that came
   * before it (a GET's answer), or a NetlinkError with the kernel's errno.
   */
  request(type: number, flags: number, body: Uint8Array[], what: string): NetlinkMessage[] {
    const payload = concat(body);
    const msg = new Uint8Array(NLMSG_HDRLEN + payload.byteLength);
    const v = new DataView(msg.buffer);
    const seq = this.seq++;
    v.setUint32(0, msg.byteLength, true);
    v.setUint16(4, type, true);
    v.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | flags, true);
    v.setUint32(8, seq, true);
    msg.set(payload, NLMSG_HDRLEN);
    const sent = call('send', this.fd, msg, msg.byteLength, 0);
    if (sent.ret < 0) throw new NetlinkError(sent.errno, what);
    return this.awaitAck(seq, what);
  }

  /** Reads until the acknowledgement of `seq` (an nlmsgerr; error 0 is success). */
  private awaitAck(seq: number, what: string): NetlinkMessage[] {
    const buf = new Uint8Array(16384);
    const replies: NetlinkMessage[] = [];
    for (;;) {
      const r = call('recv', this.fd, buf, buf.byteLength, 0);
      if (r.ret < 0) throw new NetlinkError(r.errno, what);
      for (const m of splitMessages(buf.slice(0, r.ret))) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const error = new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true);
          if (error !== 0) throw new NetlinkError(-error, what);
          return replies;
        }
        if (m.type !== NLMSG_DONE) replies.push(m);
      }
    }
  }
}
