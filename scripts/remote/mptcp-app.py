#!/usr/bin/env python3
"""A small MPTCP application for the remote target's tests: the other side of a script.

  mptcp-app.py listen PORT MODE [--bind ADDR]
  mptcp-app.py connect ADDR PORT MODE

MODE: echo (send back what arrives, close at EOF), sink (read until EOF, then close),
close (close at once after the connection is up), hold (keep the connection open).
With --daemon the command returns once the socket listens (listen) or at once (connect),
so a script's shell line does not block; the application ends by itself after --life seconds.
"""
import argparse
import os
import signal
import socket
import sys

IPPROTO_MPTCP = 262


def serve(conn, mode):
    if mode == 'close':
        conn.close()
        return
    while True:
        data = conn.recv(65536)
        if not data:
            break
        if mode == 'echo':
            conn.sendall(data)
    if mode == 'hold':
        signal.pause()
    conn.close()


def family_of(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def main():
    p = argparse.ArgumentParser()
    p.add_argument('role', choices=['listen', 'connect'])
    p.add_argument('args', nargs='+')
    p.add_argument('--bind', default='')
    p.add_argument('--daemon', action='store_true')
    p.add_argument('--life', type=float, default=10.0)
    a = p.parse_args()
    if a.role == 'listen':
        port, mode = int(a.args[0]), a.args[1]
        fam = family_of(a.bind) if a.bind else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM, IPPROTO_MPTCP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.bind, port))
        s.listen(4)
    else:
        addr, port, mode = a.args[0], int(a.args[1]), a.args[2]
    if a.daemon and os.fork() > 0:
        os._exit(0)  # the listener is already listening: the caller may go on
    if a.daemon:
        os.setsid()
        for fd in (0, 1, 2):
            os.dup2(os.open(os.devnull, os.O_RDWR), fd)
    signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
    signal.setitimer(signal.ITIMER_REAL, a.life)
    if a.role == 'listen':
        conn, _ = s.accept()
    else:
        conn = socket.socket(family_of(addr), socket.SOCK_STREAM, IPPROTO_MPTCP)
        conn.connect((addr, port))
    serve(conn, mode)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except OSError as e:
        print(f'mptcp-app: {e}', file=sys.stderr)
        sys.exit(1)
