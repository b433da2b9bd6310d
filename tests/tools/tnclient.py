#!/usr/bin/env python3
"""tnclient: a raw TCP client for the telnet and RFC 2217 tests, imported
by the Python parts of tests/telnet.bats and tests/comport.bats (tn_python
in tests/lib/telnet.bash puts this folder on the module path).

Client keeps every byte received, and optionally acknowledges every
negotiation the server sends (agrees to all of it and always answers, as
a naive client does); session_pid, status, rchar and wait_rchar find the
conslet serving it and what it has read and holds.  WAIT_TIMEOUT in the
environment is the deadline of every wait, in seconds."""
import os, re, socket, threading, time

IAC, SB, SE, WILL, WONT, DO, DONT = 255, 250, 240, 251, 252, 253, 254
LIMIT = float(os.environ.get("WAIT_TIMEOUT", "10"))


class Client:
    def __init__(self, port, answer=False):
        self.sock = socket.create_connection(("127.0.0.1", int(port)),
                                             timeout=LIMIT * 3)
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.sending = threading.Lock()
        self.answer = answer
        self.answers = 0
        self.state = self.cmd = 0
        self.eof = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            # the answers go out before the bytes are seen: whoever
            # waits for what came after knows they are sent
            if self.answer:
                self._answer(data)
            with self.lock:
                self.buf += data
                self.eof = True

    def _answer(self, data):
        out = bytearray()
        for c in data:
            if self.state == 0:
                self.state = 1 if c == IAC else 0
            elif self.state == 1:
                if c in (WILL, WONT, DO, DONT):
                    self.state, self.cmd = 2, c
                else:
                    self.state = 0
            else:
                reply = {WILL: DO, WONT: DONT, DO: WILL, DONT: WONT}[self.cmd]
                out += bytes((IAC, reply, c))
                self.state = 0
        if out:
            self.answers += len(out) // 3
            self.send(bytes(out))

    def send(self, data):
        with self.sending:
            self.sock.sendall(data)

    def size(self):
        with self.lock:
            return len(self.buf)

    def data(self):
        with self.lock:
            return bytes(self.buf)

    def wait_for(self, what, after=0, limit=LIMIT):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if self.data().find(what, after) >= 0:
                return
            time.sleep(0.01)
        raise SystemExit("no %r after byte %d in %ds; got at the end: %r"
                         % (what, after, limit, self.data()[-200:]))

    def wait_size(self, n, limit=LIMIT):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if self.size() >= n:
                return
            time.sleep(0.01)
        raise SystemExit("wanted %d bytes, got %d in %ds"
                         % (n, self.size(), limit))

    def sync(self):
        """~w answered: all sent before it is handled (at line start)."""
        off = self.size()
        self.send(b"~w")
        self.wait_for(b"(you)]", off)


def session_pid(server_err, n=1):
    """The pid of the nth session of a tcpserver, from its log."""
    end = time.monotonic() + LIMIT
    while time.monotonic() < end:
        pids = re.findall(r"^tcpserver: pid (\d+) from",
                          open(server_err).read(), re.M)
        if len(pids) >= n:
            return int(pids[n - 1])
        time.sleep(0.01)
    raise SystemExit("no session %d in %s" % (n, server_err))


def status(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit("no %s for pid %d" % (field, pid))


def rchar(pid):
    for line in open("/proc/%d/io" % pid):
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise SystemExit("no rchar for pid %d" % pid)


def wait_rchar(pid, n, limit=LIMIT):
    """Wait until the process has read n bytes in all."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if rchar(pid) >= n:
            return
        time.sleep(0.005)
    raise SystemExit("pid %d read %d bytes, wanted %d" % (pid, rchar(pid), n))
