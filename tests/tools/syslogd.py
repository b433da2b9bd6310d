#!/usr/bin/env python3
# syslogd.py SOCKET OUT: a stand-in for the local syslog daemon: binds a
# unix datagram socket at SOCKET and appends each datagram it receives to
# OUT, as it came, followed by a newline.  "ready" on stdout once bound.
# SIGSTOP stops its reading as it would a real daemon's.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
