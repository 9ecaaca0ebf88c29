// The MPTCP path manager's commands on the live kernel (docs/language.md §6.4): generic netlink
// family "mptcp_pm" of the script's namespace (include/uapi/linux/mptcp_pm.h; the policy in
// net/mptcp/mptcp_pm_gen.c), one request per command, the kernel's errno as the result. A
// connection named by its socket (`conn=FD`) is sent with the token MPTCP_INFO reports for it.
import { AF_INET, AF_INET6 } from '../../sys/structs.js';
import { decodeStruct } from '../../sys/struct-layout.js';
import { MPTCP_INFO_LAYOUT } from '../../sys/mptcp-structs.js';
import { errnoName } from '../../sys/symbols.js';
import { parseAddress } from '../../wire/addr.js';
import type { PmAddress, PmCommandName, PmRequest, PmResult } from '../pm.js';
import { GenlSocket } from './genl.js';
import { call } from './libc.js';
import { attr, concat, NetlinkError, u16, u32, u8 } from './netlink.js';

const MPTCP_PM_NAME = 'mptcp_pm';
const MPTCP_PM_VER = 1;
const COMMANDS: Readonly<Record<PmCommandName, number>> = {
  add_addr: 1, del_addr: 2, flush_addrs: 4, set_limits: 5, set_flags: 7,
  announce: 8, remove: 9, subflow_create: 10, subflow_destroy: 11,
};
const ATTR_ADDR = 1;
const ATTR_RCV_ADD_ADDRS = 2;
const ATTR_SUBFLOWS = 3;
const ATTR_TOKEN = 4;
const ATTR_LOC_ID = 5;
const ATTR_ADDR_REMOTE = 6;
const ADDR_FAMILY = 1;
const ADDR_ID = 2;
const ADDR_ADDR4 = 3;
const ADDR_ADDR6 = 4;
const ADDR_PORT = 5;
const ADDR_FLAGS = 6;
const ADDR_IF_IDX = 7;
const NLA_F_NESTED = 0x8000;
const SOL_MPTCP = 284;
const MPTCP_INFO = 1;

/** A nested MPTCP_PM_ADDR_ATTR_* list with what the script wrote. */
function addressAttr(type: number, a: PmAddress): Uint8Array {
  const parts: Uint8Array[] = [];
  // The engine checked the text (src/engine/pm.ts): an address always parses here.
  const parsed = a.address !== undefined ? parseAddress(a.address) : undefined;
  if (parsed) {
    const v6 = parsed.family === 6;
    parts.push(attr(ADDR_FAMILY, u16(v6 ? AF_INET6 : AF_INET)), attr(v6 ? ADDR_ADDR6 : ADDR_ADDR4, parsed.bytes));
  }
  if (a.id !== undefined) parts.push(attr(ADDR_ID, u8(a.id)));
  // Host order: pm_netlink.c mptcp_pm_parse_pm_addr_attr takes htons(nla_get_u16(...)).
  if (a.port !== undefined) parts.push(attr(ADDR_PORT, u16(a.port)));
  if (a.flags !== undefined) parts.push(attr(ADDR_FLAGS, u32(a.flags)));
  if (a.ifindex !== undefined) parts.push(attr(ADDR_IF_IDX, u32(a.ifindex)));
  return attr(type | NLA_F_NESTED, concat(parts));
}

/** The token MPTCP_INFO reports for socket `fd` (0 when it has none: not MPTCP, or closed). */
export function tokenOf(fd: number): number {
  const buf = new Uint8Array(MPTCP_INFO_LAYOUT.size);
  const len = u32(MPTCP_INFO_LAYOUT.size);
  if (call('getsockopt', fd, SOL_MPTCP, MPTCP_INFO, buf, len).ret < 0) return 0;
  return Number(decodeStruct(MPTCP_INFO_LAYOUT, buf).mptcpi_token ?? 0);
}

export class KernelPathManager {
  private socket: GenlSocket | undefined;
  private family = 0;

  /** Performs `req` in the calling thread's namespace. */
  run(req: PmRequest): PmResult {
    try {
      const s = this.open();
      s.request(this.family, COMMANDS[req.command], MPTCP_PM_VER, this.attrs(req), `mptcp_pm ${req.command}`);
      return { ret: 0 };
    } catch (e) {
      if (e instanceof NetlinkError) return { ret: -1, errno: errnoName(e.errno) };
      throw e;
    }
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private open(): GenlSocket {
    if (this.socket) return this.socket;
    const s = new GenlSocket();
    try {
      this.family = s.family(MPTCP_PM_NAME).id;
    } catch (e) {
      s.close();
      throw e;
    }
    this.socket = s;
    return s;
  }

  private attrs(req: PmRequest): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (req.local) out.push(addressAttr(ATTR_ADDR, req.local));
    if (req.remote) out.push(addressAttr(ATTR_ADDR_REMOTE, req.remote));
    const token = req.conn !== undefined ? tokenOf(req.conn) : req.token;
    if (token !== undefined) out.push(attr(ATTR_TOKEN, u32(token)));
    if (req.locId !== undefined) out.push(attr(ATTR_LOC_ID, u8(req.locId)));
    if (req.addAddrAccepted !== undefined) out.push(attr(ATTR_RCV_ADD_ADDRS, u32(req.addAddrAccepted)));
    if (req.subflows !== undefined) out.push(attr(ATTR_SUBFLOWS, u32(req.subflows)));
    return out;
  }
}
