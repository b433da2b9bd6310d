#!/usr/bin/python3
"""ctlclient: speak to a conslog socket as any local program could.

    ctlclient.py [--lock FILE] [--hold SECONDS] [--out FILE] SOCKET MSG...

Connects to SOCKET (a unix SOCK_SEQPACKET socket), sends each MSG as one
message (after a join, waiting up to 2 s for the answer) and prints every
answer on a line of its own ("ok KEY" or "no REASON").  With --lock, first takes a POSIX write lock on FILE (as the
writer lock is taken) and holds it.  With --hold, stays connected up to
SECONDS (until SIGTERM), copying the console's output from the pipe the
logger passed into --out.  For tests that play a hostile local client.
"""

import argparse
import array
import fcntl
import os
import select
import signal
import socket
import sys
import time


def recv_answer(sock, timeout):
    """One message and the descriptor it carried, or (None, None)."""
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return None, None
    fds = array.array("i")
    msg, anc, _, _ = sock.recvmsg(1024, socket.CMSG_SPACE(4 * fds.itemsize))
    fd = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            for extra in fds[1:]:
                os.close(extra)
            if fds:
                fd = fds[0]
    return msg, fd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lock")
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--out")
    ap.add_argument("socket")
    ap.add_argument("msgs", nargs="*")
    a = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.lock:
        lockfd = os.open(a.lock, os.O_RDWR)
        fcntl.lockf(lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.connect(a.socket)
    pipe = None
    for m in a.msgs:
        sock.sendmsg([m.encode("latin-1")])
        msg, fd = recv_answer(sock, 2 if m.startswith("join ") else 0)
        if msg is not None:
            print(msg.decode("latin-1"), flush=True)
        if fd is not None:
            pipe = fd
    out = open(a.out, "ab") if a.out else None
    end = time.monotonic() + a.hold
    while time.monotonic() < end:
        fds = [sock] + ([pipe] if pipe is not None else [])
        r, _, _ = select.select(fds, [], [], max(0, end - time.monotonic()))
        if sock in r:
            msg, fd = recv_answer(sock, 0)
            if not msg:
                break
            print(msg.decode("latin-1"), flush=True)
        if pipe is not None and pipe in r:
            data = os.read(pipe, 65536)
            if not data:
                break
            if out:
                out.write(data)
                out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
