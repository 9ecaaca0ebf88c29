// libpcap capture (npm `cap`) of what the stack under test sends: a BPF filter keeps TCP and
// ICMP from the stack's address(es) only, so our own injected packets and the local kernel's
// traffic never reach the engine. Each packet is stamped on the real clock when libpcap hands
// it over (`cap` does not expose the pcap header's timestamp; the poll callback runs as soon
// as the packet is readable, so the stamp lags the wire by the event-loop latency only).
import type { CapHandle, CapModule } from './native.js';

const BUFFER_BYTES = 10 * 1024 * 1024;
const SNAPLEN = 65535;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;

export function captureFilter(stackIps: readonly string[]): string {
  const hosts = stackIps.map((ip) => `src host ${ip}`).join(' or ');
  return `(${hosts}) and (tcp or icmp or icmp6)`;
}

/** The IP packet inside one captured frame, or null for anything that is not IP. */
export function ipPayload(linkType: string, frame: Uint8Array): Uint8Array | null {
  let off: number;
  let type: number;
  if (linkType === 'ETHERNET') {
    off = 12;
    type = (frame[off]! << 8) | frame[off + 1]!;
    while (type === ETHERTYPE_VLAN && frame.length >= off + 6) { off += 4; type = (frame[off]! << 8) | frame[off + 1]!; }
    off += 2;
  } else if (linkType === 'LINUX_SLL') {
    off = 16;
    type = (frame[14]! << 8) | frame[15]!;
  } else if (linkType === 'RAW' || linkType === 'IPV4' || linkType === 'IPV6') {
    return frame.length > 0 ? frame : null;
  } else return null;
  if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6) return null;
  return frame.length > off ? trimToIpLength(frame.slice(off)) : null;
}

/** Drops Ethernet padding after the IP packet (short frames are padded to 60 bytes). */
function trimToIpLength(b: Uint8Array): Uint8Array {
  const v = b[0]! >> 4;
  const len = v === 4 ? ((b[2]! << 8) | b[3]!) : v === 6 ? 40 + ((b[4]! << 8) | b[5]!) : b.length;
  return len > 0 && len < b.length ? b.subarray(0, len) : b;
}

/**
 * Closed handles, kept alive for the life of the process: `cap`'s close() stops its uv_poll
 * handle without uv_close()-ing it, so once the object is garbage-collected libuv walks freed
 * memory and node crashes (seen after a few scripts in one process). A handle is a few hundred
 * bytes without its buffer, which we drop.
 */
const retired: CapHandle[] = [];

export class Capture {
  private readonly cap: CapHandle;
  private buffer = Buffer.alloc(SNAPLEN);
  private readonly linkType: string;

  constructor(mod: CapModule, iface: string, filter: string, onPacket: (ip: Uint8Array) => void) {
    this.cap = new mod.Cap();
    this.linkType = this.cap.open(iface, filter, BUFFER_BYTES, this.buffer);
    // Hand each packet over at once instead of waiting for the kernel buffer to fill.
    this.cap.setMinBytes?.(0);
    this.cap.on('packet', (n) => {
      const ip = ipPayload(this.linkType, new Uint8Array(this.buffer.subarray(0, n)));
      if (ip) onPacket(ip);
    });
  }

  close(): void {
    this.cap.close();
    retired.push(this.cap);
  }
}
