#!/usr/bin/env python3
"""Clients for the endurance tests (endurance.bats), where nc per
connection would be too slow or too coarse:

  churn   connect and disconnect many times, SIGKILLing the conslet of
          about half the sessions (and optionally the logger) at
          pseudo-random moments, from a seed that replays the plan
  flood   open many connections at once to one console: one wins, every
          other is told who has it and is let go
  hog     one client that may send a file (when told to) without
          reading, or stay silent, until told to read

conslet's pid for a connection comes from tcpserver -v's log, whose
"ok PID ...::PORT" line names the client's port.  Every process started
here is written to $T/pids, so the tests' teardown stops it by pid.
"""

import argparse
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import time

WAIT = float(os.environ.get("WAIT_TIMEOUT", "10"))


class ServerLog:
    """tcpserver -v's log, read as it grows: pids by client port, ends."""

    OK = re.compile(r"^tcpserver: ok (\d+) \S+ :127\.0\.0\.1::(\d+)$")
    END = re.compile(r"^tcpserver: end (\d+) status (\d+)$")

    def __init__(self, path):
        # from its end: the sessions of an earlier run on the same server
        # are not this run's (their client ports come round again)
        self.f = open(path, "r")
        self.f.seek(0, os.SEEK_END)
        self.part = ""
        self.pid_of = {}	# client port -> pid
        self.status = {}	# pid -> raw wait status

    def poll(self):
        data = self.f.read()
        if not data:
            return
        data = self.part + data
        lines = data.split("\n")
        self.part = lines.pop()
        for line in lines:
            m = self.OK.match(line)
            if m:
                self.pid_of[int(m.group(2))] = int(m.group(1))
                continue
            m = self.END.match(line)
            if m:
                self.status[int(m.group(1))] = int(m.group(2))

    def wait(self, what, cond, timeout=WAIT):
        end = time.monotonic() + timeout
        while True:
            self.poll()
            v = cond()
            if v is not None:
                return v
            if time.monotonic() > end:
                sys.exit("gave up after %gs waiting for %s" % (timeout, what))
            time.sleep(0.001)

    def pid(self, port):
        # taken once: a later connection may get the same client port
        return self.wait("the session of client port %d" % port,
            lambda: self.pid_of.pop(port, None))

    def end(self, pid):
        return self.wait("pid %d to end" % pid,
            lambda: self.status.get(pid))


def describe(raw):
    if raw & 127:
        return "signal %d" % (raw & 127)
    return "%d" % (raw >> 8)


def track(pid):
    with open(os.path.join(os.environ["T"], "pids"), "a") as f:
        f.write("%d\n" % pid)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pid, what):
    end = time.monotonic() + WAIT
    while alive(pid):
        if time.monotonic() > end:
            sys.exit("%s (pid %d) still alive after %gs" % (what, pid, WAIT))
        time.sleep(0.001)


def connect(port, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s, s.getsockname()[1]


def recv_until(s, token, timeout=WAIT):
    """Read until token came (True) or the connection ended (False)."""
    got = b""
    s.settimeout(timeout)
    try:
        while token not in got:
            b = s.recv(65536)
            if not b:
                return False
            got += b
    except socket.timeout:
        sys.exit("no %r within %gs; got %r" % (token, timeout, got[-200:]))
    return True


def drain(s, timeout=WAIT):
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        sys.exit("the connection did not end within %gs" % timeout)


class Logger:
    """The conslog to kill and start again (churn --logger)."""

    def __init__(self, pidfile, cmd, errfile):
        self.pidfile, self.cmd, self.errfile = pidfile, cmd, errfile
        self.proc = None
        with open(pidfile) as f:
            self.pid = int(f.read())

    def kill_and_restart(self):
        os.kill(self.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        else:
            wait_gone(self.pid, "the killed conslog")
        with open(self.errfile, "ab") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                stdout=err, stderr=err, close_fds=True)
        self.pid = self.proc.pid
        track(self.pid)
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % self.pid)


def churn(a):
    rng = random.Random(a.seed)
    log = ServerLog(a.server_log)
    logger = Logger(a.logger_pidfile, a.logger_cmd, a.logger_err) \
        if a.logger_cmd else None
    # which cycles kill the logger, and at which step of the cycle
    lkills = set(rng.sample(range(a.cycles), a.logger_kills)) \
        if logger else set()
    seen, kills, ends = [], 0, {}
    for i in range(a.cycles):
        kill = rng.random() < 0.5
        # the step after which the conslet (or logger) is killed:
        # 0 as soon as its pid is known (maybe before it runs), 1 after
        # 0-5 ms more, 2 after sending, 3 after the echo came back
        step = rng.randrange(4)
        delay = rng.random() * 0.005
        lstep = rng.randrange(4) if i in lkills else -1
        token = b"cycle %d " % i
        s, port = connect(a.port)
        pid = log.pid(port)
        seen.append(pid)
        ok = True
        for at in range(4):
            if at == lstep:
                logger.kill_and_restart()
                ok = False	# the session may end with its logger
            if kill and at == step:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    if lstep < 0:
                        raise	# it had no reason to end
                break
            if at == 1:
                time.sleep(delay)
            elif at == 2:
                try:
                    s.sendall(token + b"\r")
                except OSError:
                    ok = False
                    break
            elif at == 3 and ok and not recv_until(s, token):
                if lstep < 0:
                    sys.exit("cycle %d: the session ended without the "
                        "echo of what was sent" % i)
        if kill:
            kills += 1
            s.close()
        else:
            try:
                # half leave with ~., half by closing their side (which
                # conslet answers for half a second more)
                if rng.random() < 0.5:
                    s.sendall(b"\r~.")
                else:
                    s.shutdown(socket.SHUT_WR)
                drain(s)
            except OSError:
                if lstep < 0:
                    raise
            s.close()
        raw = log.end(pid)
        st = describe(raw)
        ends[st] = ends.get(st, 0) + 1
        if lstep < 0:
            want = "signal 9" if kill else "0"
            if st != want:
                sys.exit("cycle %d (%s at step %d): conslet pid %d ended "
                    "with %s, wanted %s" % (i, "kill" if kill else "close",
                    step, pid, st, want))
    with open(a.pids_out, "w") as f:
        f.write("".join("%d\n" % p for p in seen))
    print("churn: %d cycles, %d conslets killed, %d loggers killed; "
        "statuses %s" % (a.cycles, kills, len(lkills), ends))


def flood(a):
    log = ServerLog(a.server_log)
    socks = []
    for _ in range(a.count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", a.port))
        socks.append(s)
    got = {s: b"" for s in socks}
    open_ = set(socks)
    end = time.monotonic() + a.timeout
    # every connection but one is told and closed by the server
    while len(open_) > 1 and time.monotonic() < end:
        r, _, _ = select.select(list(open_), [], [], 0.5)
        for s in r:
            try:
                b = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                b = b""
            if b:
                got[s] += b
            else:
                open_.discard(s)
    if len(open_) != 1:
        sys.exit("flood: %d of %d connections still open after %gs, wanted "
            "1" % (len(open_), a.count, a.timeout))
    winner = open_.pop()
    wport = winner.getsockname()[1]
    wpid = log.pid(wport)
    busy = re.compile(rb"\[conslet: %s is in use( by 127\.0\.0\.1:%d "
        rb"\(pid %d\) since \d\d:\d\d:\d\d)?\]\r\n" %
        (a.name.encode(), wport, wpid))
    named = 0
    for s in socks:
        if s is winner:
            continue
        m = busy.fullmatch(got[s])
        if not m:
            sys.exit("flood: a losing client got %r, wanted the busy "
                "notice naming 127.0.0.1:%d (pid %d)" % (got[s], wport, wpid))
        named += m.group(1) is not None
    statuses = {}
    for s in socks:
        if s is winner:
            continue
        pid = log.pid(s.getsockname()[1])
        st = describe(log.end(pid))
        statuses[st] = statuses.get(st, 0) + 1
        if st != "75":
            sys.exit("flood: losing conslet pid %d ended with %s, wanted 75"
                % (pid, st))
        if alive(pid):
            sys.exit("flood: losing conslet pid %d is still alive" % pid)
    if log.status.get(wpid) is not None or not alive(wpid):
        sys.exit("flood: the winning conslet pid %d is gone" % wpid)
    # the winner still relays both ways (the guest echoes)
    winner.setblocking(True)
    payload = b"the winner of %d types this\r" % a.count
    winner.sendall(payload)
    if not recv_until(winner, payload.rstrip(b"\r")):
        sys.exit("flood: the winner's echo did not come back")
    winner.shutdown(socket.SHUT_WR)
    drain(winner)
    st = describe(log.end(wpid))
    if st != "0":
        sys.exit("flood: the winner pid %d ended with %s" % (wpid, st))
    with open(a.sent_out, "wb") as f:
        f.write(payload)
    print("flood: %d connections, winner 127.0.0.1:%d pid %d; %d losers "
        "told (%d naming the winner), statuses %s" % (a.count, wport, wpid,
        a.count - 1, named, statuses))


def hog(a):
    s, port = connect(a.port, a.rcvbuf)
    with open(a.port_out, "w") as f:
        f.write("%d\n" % port)
    if a.send:
        while a.send_go and not os.path.exists(a.send_go):
            time.sleep(0.01)
        with open(a.send, "rb") as f:
            s.sendall(f.read())		# reads nothing meanwhile
    with open(a.sent_out, "w") as f:
        f.write("sent\n")
    while not os.path.exists(a.go):
        time.sleep(0.01)
    with open(a.recv, "wb") as out:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out.write(b)
            out.flush()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("churn")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--server-log", required=True)
    c.add_argument("--seed", type=int, required=True)
    c.add_argument("--cycles", type=int, required=True)
    c.add_argument("--pids-out", required=True)
    c.add_argument("--logger-kills", type=int, default=0)
    c.add_argument("--logger-pidfile")
    c.add_argument("--logger-err")
    c.add_argument("logger_cmd", nargs="*")
    f = sub.add_parser("flood")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--server-log", required=True)
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--name", required=True)
    f.add_argument("--sent-out", required=True)
    f.add_argument("--timeout", type=float, default=60)
    h = sub.add_parser("hog")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--rcvbuf", type=int, default=0)
    h.add_argument("--send")
    h.add_argument("--send-go")
    h.add_argument("--port-out", required=True)
    h.add_argument("--sent-out", required=True)
    h.add_argument("--go", required=True)
    h.add_argument("--recv", required=True)
    a = p.parse_args()
    {"churn": churn, "flood": flood, "hog": hog}[a.cmd](a)


if __name__ == "__main__":
    main()
