// Generic netlink (include/uapi/linux/genetlink.h): a family named by string, resolved to its
// id and multicast groups with CTRL_CMD_GETFAMILY, and requests carrying a genlmsghdr. Used for
// the MPTCP path manager's family "mptcp_pm" (mptcp-pm.ts).
import { call } from './libc.js';
import { attr, attrList, concat, NetlinkError, NetlinkSocket, parseAttrs, type NetlinkMessage } from './netlink.js';

const NETLINK_GENERIC = 16;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_MCAST_GROUPS = 7;
const CTRL_ATTR_MCAST_GRP_NAME = 1;
const CTRL_ATTR_MCAST_GRP_ID = 2;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
export const GENL_HDRLEN = 4;

export interface GenlFamily {
  id: number;
  /** Multicast group ids by name. */
  groups: ReadonlyMap<string, number>;
}

/** struct genlmsghdr: command and version. */
function genlHeader(cmd: number, version: number): Uint8Array {
  return Uint8Array.of(cmd, version, 0, 0);
}

/** A C string attribute (NUL-terminated). */
const cstring = (s: string): Uint8Array => concat([new TextEncoder().encode(s), Uint8Array.of(0)]);

/** A generic netlink message's command and attributes. */
export interface GenlMessage {
  cmd: number;
  attrs: Map<number, Uint8Array>;
}

export function genlMessage(m: NetlinkMessage): GenlMessage {
  return { cmd: m.payload[0] ?? 0, attrs: parseAttrs(m.payload.subarray(GENL_HDRLEN)) };
}

export class GenlSocket {
  private readonly socket = new NetlinkSocket(NETLINK_GENERIC);

  get fd(): number {
    return this.socket.fd;
  }

  close(): void {
    this.socket.close();
  }

  /** The family `name`; a NetlinkError (ENOENT) when the kernel has none by that name. */
  family(name: string): GenlFamily {
    const replies = this.socket.request(GENL_ID_CTRL, 0, [genlHeader(CTRL_CMD_GETFAMILY, 1), attr(CTRL_ATTR_FAMILY_NAME, cstring(name))], `resolving the generic netlink family ${name}`);
    const reply = replies[0];
    if (!reply) throw new NetlinkError(2, `resolving the generic netlink family ${name}`);
    const attrs = genlMessage(reply).attrs;
    const id = attrs.get(CTRL_ATTR_FAMILY_ID);
    const groups = new Map<string, number>();
    for (const g of attrList(attrs.get(CTRL_ATTR_MCAST_GROUPS) ?? new Uint8Array())) {
      const ga = parseAttrs(g);
      const gname = ga.get(CTRL_ATTR_MCAST_GRP_NAME);
      const gid = ga.get(CTRL_ATTR_MCAST_GRP_ID);
      if (gname && gid) groups.set(new TextDecoder().decode(gname).replace(/\0.*$/s, ''), new DataView(gid.buffer, gid.byteOffset, 4).getUint32(0, true));
    }
    return { id: id ? new DataView(id.buffer, id.byteOffset, 2).getUint16(0, true) : 0, groups };
  }

  /** Joins multicast group `group` (its id from `family`). */
  join(group: number): void {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, group, true);
    const r = call('setsockopt', this.socket.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, v, 4);
    if (r.ret < 0) throw new NetlinkError(r.errno, `joining multicast group ${group}`);
  }

  /** Command `cmd` of family `family` with `attrs`; its replies, or a NetlinkError with the errno. */
  request(family: number, cmd: number, version: number, attrs: Uint8Array[], what: string): GenlMessage[] {
    return this.socket.request(family, 0, [genlHeader(cmd, version), ...attrs], what).map(genlMessage);
  }
}
