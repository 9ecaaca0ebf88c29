#!/usr/bin/env python3
"""netns-holder.py PARENT_PID: holds a fresh network namespace (the remote stack's, in tests) for as long as its parent
lives: it dies with SIGKILL when the parent does (PR_SET_PDEATHSIG) or when stdin closes, and
the namespace goes with it unless a process started in it still runs. Prints 'ready' once in.
A line 'offload-off IF' on stdin turns off IF's offloads (offload.py says why)."""
import ctypes
import os
import sys

from offload import offload_off

PR_SET_PDEATHSIG = 1
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


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
                offload_off(words[1])
                print('ok', flush=True)
            except OSError as e:
                print(f'error {e}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
