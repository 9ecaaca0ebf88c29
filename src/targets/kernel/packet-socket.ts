// A packet socket (packet(7): AF_PACKET, SOCK_DGRAM, every protocol) bound to the test's tun
// device: it sees every packet the kernel hands to the device, with the time it did (the capture
// thread reads that time back with SIOCGSTAMPNS), independently of the tun device's own queue.
// Opened on the calling thread, in the namespace of the device.
import { call } from './libc.js';

const AF_PACKET = 17;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;
/** htons(ETH_P_ALL) */
const ETH_P_ALL_BE = 0x0300;
const SIOCGSTAMPNS = 0x8907;

const SOL_PACKET = 263;
const PACKET_IGNORE_OUTGOING = 23;

/**
 * The socket's fd, or -1 when the kernel refuses one (the capture then stamps tun reads). With
 * `incomingOnly`, the packets the kernel sends are left out (PACKET_IGNORE_OUTGOING, Linux 4.20;
 * older kernels deliver them, which the reader must then skip): the injection thread reads the
 * kernel's receive stamps of the packets it writes from such a socket.
 */
export function openPacketSocket(ifindex: number, incomingOnly = false): number {
  const s = call('socket', AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, ETH_P_ALL_BE);
  if (s.ret < 0) return -1;
  if (incomingOnly) call('setsockopt', s.ret, SOL_PACKET, PACKET_IGNORE_OUTGOING, new Uint8Array([1, 0, 0, 0]), 4);
  const addr = new Uint8Array(20); // struct sockaddr_ll
  const v = new DataView(addr.buffer);
  v.setUint16(0, AF_PACKET, true);
  v.setUint16(2, ETH_P_ALL_BE, true);
  v.setInt32(4, ifindex, true);
  if (call('bind', s.ret, addr, addr.byteLength).ret < 0) {
    call('close', s.ret);
    return -1;
  }
  // The first SIOCGSTAMPNS turns time stamping on (it fails: nothing received yet), so that every
  // packet from now on is stamped when the device gets it.
  call('ioctl', s.ret, SIOCGSTAMPNS, new Uint8Array(16));
  return s.ret;
}
