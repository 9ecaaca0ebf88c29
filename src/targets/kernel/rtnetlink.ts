// The few rtnetlink requests the test namespace needs (rtnetlink(7), include/uapi/linux/rtnetlink.h,
// if_link.h, if_addr.h), made in-process on the calling thread's namespace instead of starting
// `ip` four or five times per script (each start costs milliseconds, tens on a loaded machine).
// Each request asks for an acknowledgement (NLM_F_ACK) and fails with the kernel's errno.
import { errnoName } from '../../sys/symbols.js';
import { call } from './libc.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const NETLINK_ROUTE = 0;

const NLMSG_ERROR = 2;
const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

const IFF_UP = 0x1;
const IFLA_MTU = 4;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
const IFA_F_NODAD = 0x02;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;
export const AF_INET = 2;
export const AF_INET6 = 10;

const NLMSG_HDRLEN = 16;
const align4 = (n: number): number => (n + 3) & ~3;

export class NetlinkError extends Error {
  constructor(readonly errno: number, what: string) {
    super(`${what}: ${errnoName(errno)}`);
  }
}

/** One route attribute (struct rtattr + payload, padded to 4 bytes). */
function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + payload.byteLength));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.byteLength, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** An rtnetlink socket of the calling thread's namespace, for a few requests. */
export class RtNetlink {
  private readonly fd: number;
  private seq = 1;

  constructor() {
    const s = call('socket', AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s.ret < 0) throw new NetlinkError(s.errno, 'cannot open an rtnetlink socket');
    this.fd = s.ret;
  }

  close(): void {
    call('close', this.fd);
  }

  /** `ip link set dev IF [mtu N] up`. */
  setLinkUp(ifindex: number, mtu?: number): void {
    const info = new Uint8Array(16); // struct ifinfomsg
    const v = new DataView(info.buffer);
    v.setInt32(4, ifindex, true);
    v.setUint32(8, IFF_UP, true);
    v.setUint32(12, IFF_UP, true);
    this.request(RTM_NEWLINK, 0, [info, ...(mtu === undefined ? [] : [attr(IFLA_MTU, u32(mtu))])], `setting link ${ifindex} up`);
  }

  /** `ip addr add ADDR/PREFIX dev IF [nodad]`. */
  addAddress(ifindex: number, family: number, address: Uint8Array, prefix: number, noDad: boolean): void {
    const msg = new Uint8Array(8); // struct ifaddrmsg
    msg[0] = family;
    msg[1] = prefix;
    msg[2] = noDad ? IFA_F_NODAD : 0;
    new DataView(msg.buffer).setUint32(4, ifindex, true);
    const attrs = [attr(IFA_LOCAL, address), attr(IFA_ADDRESS, address), ...(noDad ? [attr(IFA_FLAGS, u32(IFA_F_NODAD))] : [])];
    this.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, [msg, ...attrs], 'adding the address');
  }

  /** `ip route replace DST/PREFIX [via GW onlink] dev IF`. */
  replaceRoute(ifindex: number, family: number, dst: Uint8Array, prefix: number, gateway?: Uint8Array): void {
    const msg = new Uint8Array(12); // struct rtmsg
    msg[0] = family;
    msg[1] = prefix;
    msg[4] = RT_TABLE_MAIN;
    msg[5] = RTPROT_BOOT;
    msg[6] = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    msg[7] = RTN_UNICAST;
    if (gateway) new DataView(msg.buffer).setUint32(8, RTNH_F_ONLINK, true);
    const attrs = [attr(RTA_DST, dst), attr(RTA_OIF, u32(ifindex)), ...(gateway ? [attr(RTA_GATEWAY, gateway)] : [])];
    this.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, [msg, ...attrs], 'adding the route');
  }

  private request(type: number, flags: number, body: Uint8Array[], what: string): void {
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
    this.awaitAck(seq, what);
  }

  /** Reads until the acknowledgement of `seq` (an nlmsgerr; error 0 is success). */
  private awaitAck(seq: number, what: string): void {
    const buf = new Uint8Array(8192);
    for (;;) {
      const r = call('recv', this.fd, buf, buf.byteLength, 0);
      if (r.ret < 0) throw new NetlinkError(r.errno, what);
      const v = new DataView(buf.buffer, 0, r.ret);
      for (let at = 0; at + NLMSG_HDRLEN <= r.ret;) {
        const len = v.getUint32(at, true);
        if (len < NLMSG_HDRLEN) break;
        if (v.getUint16(at + 4, true) === NLMSG_ERROR && v.getUint32(at + 8, true) === seq) {
          const error = v.getInt32(at + NLMSG_HDRLEN, true);
          if (error !== 0) throw new NetlinkError(-error, what);
          return;
        }
        at += align4(len);
      }
    }
  }
}
