#!/usr/bin/env python3
"""netns-holder.py PARENT_PID: holds a fresh network namespace (the remote stack's, in tests) for as long as its parent
lives: it dies with SIGKILL when the parent does (PR_SET_PDEATHSIG) or when stdin closes, and
the namespace goes with it unless a process started in it still runs. Prints 'ready' once in.
A line 'offload-off IF' on stdin turns off TSO, scatter-gather and TX checksum offload of IF
(there is no ethtool here): a veth peer otherwise hands partial checksums and super-segments to
pcap on the other side, which a real wire never shows."""
import ctypes
import fcntl
import os
import socket
import struct
import sys

PR_SET_PDEATHSIG = 1
CLONE_NEWNET = 0x40000000
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
ETHTOOL_SSG = 0x19
ETHTOOL_STSO = 0x1f

libc = ctypes.CDLL(None, use_errno=True)


def ethtool_set(ifname, cmd, value):
    buf = ctypes.create_string_buffer(struct.pack('II', cmd, value))
    ifr = struct.pack('16sP', ifname.encode(), ctypes.addressof(buf))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)


def main():
    libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    # The parent passes its pid: if it differs now, the parent died before PDEATHSIG was set.
    if len(sys.argv) > 1 and os.getppid() != int(sys.argv[1]):
        return 1
    if libc.unshare(CLONE_NEWNET) != 0:
        print(f'unshare: {os.strerror(ctypes.get_errno())}', flush=True)
        return 1
    print('ready', flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) == 2 and words[0] == 'offload-off':
            try:
                for cmd in (ETHTOOL_STSO, ETHTOOL_SSG, ETHTOOL_STXCSUM):
                    ethtool_set(words[1], cmd, 0)
                print('ok', flush=True)
            except OSError as e:
                print(f'error {e}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
