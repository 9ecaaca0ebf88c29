// Link-layer framings the readers understand, and how to find the IP packet inside each.

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_BSD12: 12,
  RAW_BSD14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;

/** Address families a NULL/LOOP header may carry for IPv4 and IPv6 (Linux, the BSDs, macOS). */
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);

export type IpExtraction = { ip: Uint8Array } | { notIp: string };

function hex16(n: number): string {
  return '0x' + n.toString(16).padStart(4, '0');
}

function fromEthertype(frame: Uint8Array, ethertype: number, offset: number, what: string): IpExtraction {
  if (ethertype === ETHERTYPE_IPV4 || ethertype === ETHERTYPE_IPV6) return { ip: frame.subarray(offset) };
  return { notIp: `${what} ${hex16(ethertype)} is not IPv4 or IPv6` };
}

function tooShort(name: string, need: number, got: number): IpExtraction {
  return { notIp: `${name} frame of ${got} bytes is shorter than its ${need}-byte header` };
}

function raw(frame: Uint8Array): IpExtraction {
  if (frame.length === 0) return { notIp: 'empty raw IP frame' };
  const version = frame[0]! >> 4;
  if (version === 4 || version === 6) return { ip: frame };
  return { notIp: `raw frame with IP version ${version}` };
}

function ethernet(frame: Uint8Array): IpExtraction {
  if (frame.length < 14) return tooShort('Ethernet', 14, frame.length);
  const ethertype = (frame[12]! << 8) | frame[13]!;
  if (ethertype === ETHERTYPE_VLAN || ethertype === ETHERTYPE_QINQ) {
    if (frame.length < 18) return tooShort('802.1Q-tagged Ethernet', 18, frame.length);
    return fromEthertype(frame, (frame[16]! << 8) | frame[17]!, 18, 'Ethernet (802.1Q) ethertype');
  }
  return fromEthertype(frame, ethertype, 14, 'Ethernet ethertype');
}

function loopback(frame: Uint8Array): IpExtraction {
  if (frame.length < 4) return tooShort('loopback', 4, frame.length);
  // The family is in the capturing host's byte order (NULL) or network order (LOOP); small
  // numbers tell which: whichever reading is below 256 is the real one.
  const big = ((frame[0]! << 24) | (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!) >>> 0;
  const little = ((frame[3]! << 24) | (frame[2]! << 16) | (frame[1]! << 8) | frame[0]!) >>> 0;
  const family = big < 256 ? big : little;
  if (family === AF_INET || AF_INET6.has(family)) return { ip: frame.subarray(4) };
  return { notIp: `loopback address family ${family} is not IPv4 or IPv6` };
}

function sll(frame: Uint8Array): IpExtraction {
  if (frame.length < 16) return tooShort('Linux cooked (SLL)', 16, frame.length);
  return fromEthertype(frame, (frame[14]! << 8) | frame[15]!, 16, 'Linux cooked (SLL) protocol');
}

function sll2(frame: Uint8Array): IpExtraction {
  if (frame.length < 20) return tooShort('Linux cooked (SLL2)', 20, frame.length);
  return fromEthertype(frame, (frame[0]! << 8) | frame[1]!, 20, 'Linux cooked (SLL2) protocol');
}

const SUPPORTED = new Set<number>(Object.values(LinkType));

/** Whether extractIp knows the framing of `linktype`. */
export function linkTypeSupported(linktype: number): boolean {
  return SUPPORTED.has(linktype);
}

/** The link types read, for messages: "Ethernet (1), raw IP (101, 228, 229, 12, 14), ...". */
export const SUPPORTED_LINK_TYPES = 'Ethernet (1), raw IP (101, 228, 229, 12, 14), BSD loopback (0, 108) and Linux cooked capture (113, 276)';

/** Finds the IP packet inside one captured frame of the given link type. */
export function extractIp(linktype: number, frame: Uint8Array): IpExtraction {
  switch (linktype) {
    case LinkType.RAW:
    case LinkType.RAW_BSD12:
    case LinkType.RAW_BSD14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return raw(frame);
    case LinkType.ETHERNET:
      return ethernet(frame);
    case LinkType.NULL:
    case LinkType.LOOP:
      return loopback(frame);
    case LinkType.LINUX_SLL:
      return sll(frame);
    case LinkType.LINUX_SLL2:
      return sll2(frame);
    default:
      return { notIp: `link type ${linktype} is not supported` };
  }
}
