#!/usr/bin/env python3
"""A client on a terminal, as sshd -t gives one: run a command with a new
pty as its stdin, stdout and controlling terminal (its stderr stays the
caller's), and be the other end of it.

  ptyclient.py IN RECV PIDFILE CMD...

Bytes written into the fifo IN are typed on the terminal; what the command
writes is appended to RECV.  SIGUSR1 makes the client stop reading the
terminal for good ("paused" on stdout once it has), as a terminal whose
user pressed ^S, or an ssh client that stopped reading, would.  PIDFILE
gets the command's pid once it runs, and PIDFILE.status its exit status
("N", or "signal N") once it ends; then the client ends too.
"""

import os
import pty
import select
import signal
import sys

if len(sys.argv) < 5:
    sys.exit("usage: ptyclient.py IN RECV PIDFILE CMD...")
inpath, recvpath, pidpath, cmd = sys.argv[1], sys.argv[2], sys.argv[3], \
    sys.argv[4:]

paused = False


def on_usr1(sig, frame):
    global paused
    paused = True


signal.signal(signal.SIGUSR1, on_usr1)
err = os.dup(2)
pid, master = pty.fork()
if pid == 0:
    os.dup2(err, 2)
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
os.close(err)


def put(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


put(pidpath, "%d\n" % pid)
# read and write: the fifo never reaches end of file between writers
fin = os.open(inpath, os.O_RDWR | os.O_NONBLOCK)
recv = open(recvpath, "ab", buffering=0)
told = False
status = None
while status is None:
    if paused and not told:
        print("paused", flush=True)
        told = True
    fds = [fin] if paused else [fin, master]
    try:
        ready, _, _ = select.select(fds, [], [], 0.05)
    except InterruptedError:
        ready = []
    if fin in ready:
        data = os.read(fin, 4096)
        while data:
            try:
                n = os.write(master, data)
            except OSError:
                break
            data = data[n:]
    if master in ready and not paused:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        recv.write(data)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done == pid:
        if os.WIFSIGNALED(st):
            status = "signal %d" % os.WTERMSIG(st)
        else:
            status = "%d" % os.WEXITSTATUS(st)
put(pidpath + ".status", status + "\n")
