#!/usr/bin/env python3
"""offload.py IF: turns off TSO, scatter-gather and TX checksum offload of interface IF in the
caller's network namespace (there is no ethtool here). A veth peer otherwise hands partial
checksums and super-segments to pcap on the other side, which a real wire never shows.
Also imported by netns-holder.py."""
import fcntl
import socket
import struct
import sys
import ctypes

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
ETHTOOL_SSG = 0x19
ETHTOOL_STSO = 0x1f


def ethtool_set(ifname, cmd, value):
    buf = ctypes.create_string_buffer(struct.pack('II', cmd, value))
    ifr = struct.pack('16sP', ifname.encode(), ctypes.addressof(buf))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)


def offload_off(ifname):
    for cmd in (ETHTOOL_STSO, ETHTOOL_SSG, ETHTOOL_STXCSUM):
        ethtool_set(ifname, cmd, 0)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: offload.py IF', file=sys.stderr)
        sys.exit(2)
    try:
        offload_off(sys.argv[1])
    except OSError as e:
        print(f'offload.py: {sys.argv[1]}: {e.strerror}', file=sys.stderr)
        sys.exit(1)
