// The path manager's events on the live kernel (docs/language.md §6.5): a generic netlink socket
// of the script's namespace joined to the `mptcp_pm_events` multicast group (include/uapi/linux/
// mptcp_pm.h; net/mptcp/pm_netlink.c mptcp_event), read every millisecond while the script runs
// and stamped with the script time it was read at.
import { formatAddress } from '../../wire/addr.js';
import { PacketQueue } from '../packet-queue.js';
import type { PmEvent } from '../pm.js';
import type { Clock } from '../target.js';
import { PM_EVENT_TYPES } from '../../script/pm-events.js';
import { GenlSocket, genlMessage } from './genl.js';
import { call, F_GETFL, F_SETFL, O_NONBLOCK } from './libc.js';
import { splitMessages } from './netlink.js';

const MSG_DONTWAIT = 0x40;
const EVENTS_GROUP = 'mptcp_pm_events';

/** MPTCP_ATTR_* (enum mptcp_event_attr) by number: the language's name and how to read it. */
const ATTRS: Readonly<Record<number, readonly [string, 'u8' | 'u16' | 'u32' | 'be16' | 'addr']>> = {
  1: ['token', 'u32'], 2: ['family', 'u16'], 3: ['loc_id', 'u8'], 4: ['rem_id', 'u8'],
  5: ['saddr', 'addr'], 6: ['saddr', 'addr'], 7: ['daddr', 'addr'], 8: ['daddr', 'addr'],
  9: ['sport', 'be16'], 10: ['dport', 'be16'], 11: ['backup', 'u8'], 12: ['error', 'u8'],
  13: ['flags', 'u16'], 14: ['timeout', 'u32'], 15: ['if_idx', 'u32'], 16: ['reset_reason', 'u32'],
  17: ['reset_flags', 'u32'], 18: ['server_side', 'u8'],
};

const NAMES = new Map<number, string>(Object.entries(PM_EVENT_TYPES).map(([n, v]) => [v, n]));

function attrValue(kind: 'u8' | 'u16' | 'u32' | 'be16' | 'addr', b: Uint8Array): number | string {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (kind) {
    case 'u8': return b[0] ?? 0;
    case 'u16': return b.byteLength >= 2 ? v.getUint16(0, true) : 0;
    case 'u32': return b.byteLength >= 4 ? v.getUint32(0, true) : 0;
    case 'be16': return b.byteLength >= 2 ? v.getUint16(0, false) : 0;
    case 'addr': return formatAddress(b);
  }
}

/** One notification's command (the event type) and attributes, by the language's names. */
export function decodePmEvent(cmd: number, attrs: Map<number, Uint8Array>): Omit<PmEvent, 'time'> {
  const out: Record<string, number | string> = {};
  for (const [type, bytes] of attrs) {
    const a = ATTRS[type];
    if (a) out[a[0]] = attrValue(a[1], bytes);
  }
  return { type: NAMES.get(cmd) ?? `event_${cmd}`, attrs: out };
}

export class KernelPmEvents {
  private socket: GenlSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly queue: PacketQueue<PmEvent>;

  constructor(private readonly clock: Clock) {
    this.queue = new PacketQueue<PmEvent>(clock);
  }

  /** Joins the events group in the calling thread's namespace and starts reading. */
  subscribe(): void {
    if (this.socket) return;
    const s = new GenlSocket();
    try {
      const group = s.family('mptcp_pm').groups.get(EVENTS_GROUP);
      if (group === undefined) throw new Error(`the mptcp_pm family has no ${EVENTS_GROUP} group`);
      s.join(group);
      const fl = call('fcntl', s.fd, F_GETFL, 0).ret;
      call('fcntl', s.fd, F_SETFL, fl | O_NONBLOCK);
    } catch (e) {
      s.close();
      throw e;
    }
    this.socket = s;
    this.timer = setInterval(() => this.drain(), 1);
  }

  /** Every notification waiting on the socket, into the queue. */
  drain(): void {
    if (!this.socket) return;
    const buf = new Uint8Array(16384);
    for (;;) {
      const r = call('recv', this.socket.fd, buf, buf.byteLength, MSG_DONTWAIT);
      if (r.ret <= 0) return;
      const time = this.clock.now();
      for (const m of splitMessages(buf.slice(0, r.ret))) {
        const g = genlMessage(m);
        this.queue.push({ ...decodePmEvent(g.cmd, g.attrs), time });
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.socket?.close();
    this.socket = undefined;
    this.queue.release();
  }
}
