// Which packets read from the tun device belong to the test. The kernel also sends its own
// housekeeping on a fresh interface (IPv6 router solicitations, MLD reports, neighbour discovery);
// those are set aside, not matched against the script.

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
/** ICMPv6 types of MLD (130-132, 143) and neighbour discovery (133-137). */
const ICMPV6_HOUSEKEEPING = new Set([130, 131, 132, 133, 134, 135, 136, 137, 143]);

/** Returns null when the packet is part of the test, or a short reason why it is ignored. */
export function ignoreReason(b: Uint8Array): string | null {
  if (b.byteLength < 1) return 'empty packet';
  const version = b[0] >> 4;
  if (version === 4) {
    if (b.byteLength < 20) return 'truncated IPv4 header';
    const proto = b[9];
    if (proto !== PROTO_TCP && proto !== PROTO_UDP && proto !== PROTO_ICMP) return `IPv4 protocol ${proto}`;
    if (b[16] >= 224) return 'IPv4 multicast/broadcast destination';
    return null;
  }
  if (version === 6) {
    if (b.byteLength < 40) return 'truncated IPv6 header';
    const next = b[6];
    if (next !== PROTO_TCP && next !== PROTO_UDP && next !== PROTO_ICMPV6) {
      // Hop-by-hop (0) with MLD inside is the usual case; anything else is not ours either.
      return `IPv6 next header ${next}`;
    }
    if (b[24] === 0xff) return 'IPv6 multicast destination';
    if (b[8] === 0xfe && (b[9] & 0xc0) === 0x80) return 'IPv6 link-local source';
    if (next === PROTO_ICMPV6 && b.byteLength > 40 && ICMPV6_HOUSEKEEPING.has(b[40])) return `ICMPv6 type ${b[40]} (neighbour discovery / MLD)`;
    return null;
  }
  return `IP version ${version}`;
}
