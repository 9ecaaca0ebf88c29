// The few rtnetlink requests the test namespace needs (rtnetlink(7), include/uapi/linux/rtnetlink.h,
// if_link.h, if_addr.h), made in-process on the calling thread's namespace instead of starting
// `ip` four or five times per script (each start costs milliseconds, tens on a loaded machine).
// Each request asks for an acknowledgement (NLM_F_ACK) and fails with the kernel's errno.
import { attr, NetlinkSocket, u32 } from './netlink.js';

export { NetlinkError } from './netlink.js';

const NETLINK_ROUTE = 0;

const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
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

/** An rtnetlink socket of the calling thread's namespace, for a few requests. */
export class RtNetlink {
  private readonly socket = new NetlinkSocket(NETLINK_ROUTE);

  close(): void {
    this.socket.close();
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
    this.socket.request(type, flags, body, what);
  }
}
