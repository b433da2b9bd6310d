#!/usr/bin/env python3
"""wsclient.py [-s SOURCE] [-H 'Name: value']... ORIGIN ws[s]://HOST:PORT/PATH

A WebSocket client that is to a WebSocket what nc is to TCP: what comes
on standard input goes out as binary messages, the payload of every
message that comes in goes to standard output.  At the end of input it
sends a close and reads on until the server closes.  The path is sent as
given, unchecked (hostile ones included); ORIGIN "-" sends no Origin
header; -s connects from the address SOURCE (another of 127.0.0.0/8, to
stand for a browser elsewhere).  wss: speaks TLS and takes any
certificate.  The handshake's status line goes to standard error; exit
status 0 after a session, 2 when the upgrade was refused, 1 on other
errors.
"""

import base64
import os
import select
import socket
import ssl
import struct
import sys


def handshake(sock, host, path, origin, headers):
    key = base64.b64encode(os.urandom(16)).decode()
    req = ["GET %s HTTP/1.1" % path, "Host: %s" % host,
           "Upgrade: websocket", "Connection: Upgrade",
           "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
    if origin != "-":
        req.append("Origin: " + origin)
    req += headers
    sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode("latin-1"))
    head = b""
    while b"\r\n\r\n" not in head:
        d = sock.recv(1)
        if not d:
            break
        head += d
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    sys.stderr.write(status + "\n")
    return status.split(" ")[1:2] == ["101"]


def frame(opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Reader:
    """Frames from the server, unmasked, as they complete."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            at = 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, at = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
            if len(self.buf) < at + n:
                break
            out.append((op, self.buf[at:at + n]))
            self.buf = self.buf[at + n:]
        return out


def main():
    args, headers, source = sys.argv[1:], [], None
    while len(args) >= 2 and args[0] in ("-H", "-s"):
        if args[0] == "-H":
            headers.append(args[1])
        else:
            source = (args[1], 0)
        args = args[2:]
    scheme = args[1].partition("://")[0] if len(args) == 2 else ""
    if scheme not in ("ws", "wss"):
        sys.exit("usage: wsclient.py [-s source] [-H header]... ORIGIN "
                 "ws[s]://host:port/path")
    origin, rest = args[0], args[1][len(scheme) + 3:]
    host, _, path = rest.partition("/")
    addr, _, port = host.rpartition(":")
    sock = socket.create_connection((addr, int(port)),
                                    source_address=source)
    if scheme == "wss":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=addr)
    if not handshake(sock, host, "/" + path, origin, headers):
        sys.exit(2)
    out = sys.stdout.buffer
    reader, stdin_open = Reader(), True
    while True:
        fds = [sock] + ([sys.stdin] if stdin_open else [])
        # TLS may hold decrypted bytes that select() does not see
        if scheme == "wss" and sock.pending() > 0:
            ready = [sock]
        else:
            ready, _, _ = select.select(fds, [], [])
        if sys.stdin in ready:
            data = os.read(0, 65536)
            if data:
                sock.sendall(frame(2, data))
            else:
                stdin_open = False
                sock.sendall(frame(8, struct.pack("!H", 1000)))
        if sock in ready:
            data = sock.recv(65536)
            if not data:
                break
            for op, payload in reader.feed(data):
                if op in (0, 1, 2):
                    out.write(payload)
                    out.flush()
                elif op == 9:
                    sock.sendall(frame(10, payload))
                elif op == 8:
                    if stdin_open:
                        sock.sendall(frame(8, payload[:2]))
                    stdin_open = False
    sock.close()


if __name__ == "__main__":
    main()
