// Sends engine-built IP packets as they are. An IPPROTO_RAW socket implies IP_HDRINCL (and
// IPV6_HDRINCL for AF_INET6 since Linux 4.5): the kernel routes the packet, resolves the
// next hop's MAC and fills in only the IPv4 header checksum/id when zero, so no Ethernet
// framing is needed (AF_PACKET would need our own ARP). Raw packets cross the netfilter OUTPUT
// hook, so each carries SO_MARK INJECT_MARK, which the RST guard lets through.
import { INJECT_MARK } from './rst-guard.js';
import type { RawSocket, RawSocketModule } from './native.js';
import { formatAddress } from '../../wire/addr.js';

const IPPROTO_RAW = 255;
const SO_MARK = 36;

export class Injector {
  private readonly sockets = new Map<4 | 6, RawSocket>();
  constructor(private readonly mod: RawSocketModule) {}

  private socket(version: 4 | 6): RawSocket {
    let s = this.sockets.get(version);
    if (!s) {
      s = this.mod.createSocket({ protocol: IPPROTO_RAW, addressFamily: version === 4 ? this.mod.AddressFamily.IPv4 : this.mod.AddressFamily.IPv6 });
      s.setOption(this.mod.SocketLevel.SOL_SOCKET, SO_MARK, INJECT_MARK);
      s.on('error', () => { /* sends report their own errors */ });
      // An IPPROTO_RAW socket never receives; do not keep polling it.
      s.pauseRecv();
      this.sockets.set(version, s);
    }
    return s;
  }

  /** Opens the sockets now, so a missing privilege shows at open() and not at the first packet. */
  prepare(version: 4 | 6): void { this.socket(version); }

  send(bytes: Uint8Array): Promise<void> {
    const version = bytes[0]! >> 4;
    if (version !== 4 && version !== 6) return Promise.reject(new Error(`Cannot inject a packet of IP version ${version}.`));
    const dst = version === 4 ? formatAddress(bytes, 16, 4) : formatAddress(bytes, 24, 16);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new Promise((resolve, reject) => {
      this.socket(version).send(buf, 0, buf.length, dst, (err) => (err ? reject(new Error(`Injecting a packet to ${dst} failed: ${err.message}`)) : resolve()));
    });
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}
