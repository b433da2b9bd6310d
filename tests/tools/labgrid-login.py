#!/usr/bin/python3
# labgrid-login.py ENV TARGET TTY: labgrid (Debian's python3-labgrid)
# takes TARGET of the environment file ENV, activates its SerialDriver on
# its NetworkSerialPort, and logs in to the simulated guest (fakeguest
# -d) as a test would: the login prompt, a user, a password, then uname
# and its answer.  It prints what it saw, and the speed of TTY (the
# guest's device) while the driver has the port.  Exits 1 on a timeout.
import subprocess
import sys

from labgrid import Environment

env_file, target_name, tty = sys.argv[1:4]
target = Environment(env_file).get_target(target_name)
port = target.get_resource("NetworkSerialPort")
print("resource: %s:%d %s speed %d" % (port.host, port.port, port.protocol,
    port.speed))
serial = target.get_driver("SerialDriver")
serial.sendline("")
serial.expect("demo login: ", timeout=10)
print("saw the login prompt")
serial.sendline("labgrid")
serial.expect("Password:", timeout=10)
serial.sendline("secret")
serial.expect(r"\$ ", timeout=10)
serial.sendline("uname")
index, before, match, after = serial.expect(r"FakeOS demo [^\r]*\r\n",
    timeout=10)
print("answer: %s" % match.group(0).decode().rstrip())
speed = subprocess.run(["stty", "-F", tty, "speed"], capture_output=True,
    text=True, check=True).stdout.strip()
print("device speed: %s" % speed)
target.deactivate(serial)
