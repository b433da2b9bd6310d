#!/usr/bin/env bats
# RFC 2217 (-t -p), src/comport.c: COM-PORT-OPTION agreed only where it
# may be, each command answered with what the device keeps, the modem
# state as clients expect it (told unasked, on change and when polled),
# pyserial with and without polling, with and without a logger, notices
# and log notes of what a client changed (none in an -E client's stream),
# a read-only client told why it is refused, what a client did to the
# line (BREAK, DTR, RTS) undone when it goes, hostile subnegotiations,
# and C-Kermit watching the carrier.
#
# A pty has no modem lines: tests/tools/modemshim.so gives it some. The
# test writes CD, RI, DSR and CTS into $T/lines (TIOCM_* bits, decimal);
# conslet's DTR, RTS and BREAK land in $T/out as words.

# shellcheck disable=SC2154
# (PORT_w, PORT_v and PORT_f are set by serve_as.)

setup() {
	load lib/helpers
	load lib/conslog
	load lib/telnet
	common_setup
	echo ' dtr rts' >"$T/out"	# as a serial port is after open
	set_lines 0
}

teardown() {
	common_teardown
}

# TIOCM_* bits of the lines a device drives toward us.
CD=64 RI=128 CTS=32 DSR=256

# set_lines BITS: the device's CD, RI, DSR and CTS from now on.
set_lines() {
	echo "$1" >"$T/lines.new" && mv "$T/lines.new" "$T/lines"
}

# start_serial_logger NAME [OPTIONS]: conslog seeing the pty as the serial
# port that the conslets of serve_lines see (the same device numbers, so
# the same lock names).
start_serial_logger() {
	with_shims serialshim start_logger "$@"
}

# serve_lines [serve_as ID] ARGS...: conslet ARGS under tcpserver on a
# device with modem lines and BREAK, as a serial port has (the shims).
serve_lines() {
	local how=serve
	if [ "$1" = serve_as ]; then
		how="serve_as $2"
		shift 2
	fi
	# shellcheck disable=SC2086
	MODEM_LINES=$T/lines MODEM_OUT=$T/out \
	    with_shims "modemshim serialshim" $how "$@"
}

# _out_is WORDS: the lines conslet drives are WORDS (" dtr rts break").
_out_is() {
	[ "$(cat "$T/out")" = "$1" ]
}

# wait_out WORDS: wait until the driven lines are WORDS; say what they are.
wait_out() {
	wait_for _out_is "$1" 2>/dev/null && return 0
	echo "wait_out: the device has \"$(cat "$T/out")\", wanted \"$1\"" >&2
	return 1
}

# _ctxt PID: how many times the process has gone to sleep (each poll()
# that waits is one).
_ctxt() {
	awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"
}

# _woke PID BEFORE N: it went to sleep at least N times since BEFORE.
_woke() {
	[ $(($(_ctxt "$1") - $2)) -ge "$3" ]
}

# pyserial_lines [logger] [URL OPTIONS]: pyserial's rfc2217:// reads CD,
# RI, DSR and CTS right at once, and sees each change within the deadline.
pyserial_lines() {
	local with=$1 opts=$2
	need_pyserial
	set_lines $((CD | CTS))
	start_guest pbx
	[ "$with" != logger ] || start_serial_logger pbx
	serve_lines -t -p pbx
	run py_run "$PORT" "$T/lines" "$opts" <<'EOF'
import logging, os, sys, time
import serial

port, path, opts = sys.argv[1], sys.argv[2], sys.argv[3]
LIMIT = float(os.environ.get("WAIT_TIMEOUT", "10"))
CD, RI, CTS, DSR = 64, 128, 32, 256

class Unanswered(logging.Handler):
    """pyserial's warning when a poll is not answered in 3 s."""
    count = 0
    def emit(self, record):
        if "poll for modem state failed" in record.getMessage():
            Unanswered.count += 1

def set_lines(bits):
    with open(path + ".new", "w") as f:
        f.write("%d\n" % bits)
    os.rename(path + ".new", path)

def lines(ser):
    return {"cts": ser.cts, "dsr": ser.dsr, "ri": ser.ri, "cd": ser.cd}

def expect(ser, want, limit):
    end = time.monotonic() + limit
    while True:
        got = lines(ser)
        if got == want:
            print("seen", got)
            return
        if time.monotonic() >= end:
            sys.exit("expected %r within %ss, got %r" % (want, limit, got))
        time.sleep(0.05)

url = "rfc2217://127.0.0.1:%s?logging=warning%s" % (port, opts)
ser = serial.serial_for_url(url, baudrate=115200, timeout=1)
logging.getLogger("pySerial.rfc2217").addHandler(Unanswered())
# told when the option was agreed: right at once, no waiting
expect(ser, {"cts": True, "dsr": False, "ri": False, "cd": True}, 0)
set_lines(DSR | RI)
expect(ser, {"cts": False, "dsr": True, "ri": True, "cd": False}, LIMIT)
set_lines(CD | DSR | CTS)
expect(ser, {"cts": True, "dsr": True, "ri": False, "cd": True}, LIMIT)
set_lines(0)
expect(ser, {"cts": False, "dsr": False, "ri": False, "cd": False}, LIMIT)
ser.close()
if Unanswered.count:
    sys.exit("%d modem state polls were not answered" % Unanswered.count)
print("ok")
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *ok ]]
}

# --- Agreeing to RFC 2217 ----------------------------------------------------

@test "-t -p: COM-PORT-OPTION is agreed both ways, once" {
	session pbx -t -p
	wait_file_size "$T/c.recv" 15
	send_bytes c '\377\373\054\377\375\054\377\373\054\377\375\054'
	recv_sync c
	between "$T/c.recv" 15 >"$T/got"
	# DO, the modem state once it is agreed (a pty: no line up), WILL
	bytes "$T/expected" '\377\375\054\377\372\054\153\000\377\360\377\373\054'
	assert_same_bytes "$T/expected" "$T/got"
}

@test "-t without -p: COM-PORT-OPTION is refused, its commands are ignored" {
	session pbx -t
	wait_file_size "$T/c.recv" 15
	speed=$(stty -F "$GUEST_TTY" speed)
	# WILL/DO COM-PORT, then SET-BAUDRATE 115200 all the same
	send_bytes c '\377\373\054\377\375\054\377\372\054\001\000\001\302\000\377\360'
	recv_sync c
	between "$T/c.recv" 15 >"$T/got"
	bytes "$T/expected" '\377\376\054\377\374\054'
	assert_same_bytes "$T/expected" "$T/got"
	[ "$(stty -F "$GUEST_TTY" speed)" = "$speed" ]
}

@test "-t -p -r: a viewer is refused COM-PORT-OPTION" {
	start_guest pbx
	start_logger pbx
	serve_as v -t -p -r pbx
	client_start v "$PORT_v"
	wait_file_size "$T/v.recv" 15
	send_bytes v '\377\373\054\377\375\054'
	recv_sync v
	run python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(0 if b"\xff\xfe\x2c" in d and b"\xff\xfc\x2c" in d else 1)' "$T/v.recv"
	[ "$status" -eq 0 ]
	run python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(1 if b"\xff\xfd\x2c" in d or b"\xff\xfb\x2c" in d else 0)' "$T/v.recv"
	[ "$status" -eq 0 ]
}

@test "-t -p: a client that is read-only because another writes is refused COM-PORT-OPTION" {
	start_guest pbx
	start_logger pbx
	serve -t -p pbx
	client_start w "$PORT"
	wait_file_size "$T/w.recv" 15
	wait_who pbx 1
	client_start c "$PORT"
	wait_file_contains "$T/c.recv" "read-only:"
	speed=$(stty -F "$GUEST_TTY" speed)
	send_bytes c '\377\373\054\377\375\054\377\372\054\001\000\001\302\000\377\360'
	recv_sync c
	run python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(0 if b"\xff\xfe\x2c" in d and b"\xff\xfc\x2c" in d and
    b"\xff\xfa" not in d else 1)' "$T/c.recv"
	[ "$status" -eq 0 ]
	[ "$(stty -F "$GUEST_TTY" speed)" = "$speed" ]
}

@test "pyserial cannot open rfc2217:// on a -t port without -p" {
	need_pyserial
	start_guest pbx
	serve -t pbx
	run py_run "$PORT" <<'EOF'
import sys
import serial
try:
    serial.serial_for_url("rfc2217://127.0.0.1:%s" % sys.argv[1],
                          baudrate=9600, timeout=2)
except serial.SerialException as e:
    print("refused:", e)
    sys.exit(3)
sys.exit("opened")
EOF
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *RFC2217* ]]
}

# --- The settings, as the device keeps them ----------------------------------

@test "-t -p: each RFC 2217 command is answered with code + 100 and the value in effect" {
	session pbx -t -p
	wait_file_size "$T/c.recv" 15
	send_bytes c '\377\373\054'
	recv_sync c
	off=$(_file_size "$T/c.recv")
	tn_python - "$PORT" "$T/c.recv" "$off" "$T/c.in" "$GUEST_TTY" <<'EOF'
import os, struct, subprocess, sys, time
recv, off, fifo, tty = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
IAC, SB, SE = 255, 250, 240

def sb(*body):
    b = bytes([44]) + bytes(body)
    return bytes([IAC, SB]) + b.replace(b"\xff", b"\xff\xff") + bytes([IAC, SE])

def answers():
    """The COM-PORT subnegotiations received after off: [(code, value)]."""
    d = open(recv, "rb").read()[off:]
    out, i = [], 0
    while True:
        i = d.find(bytes([IAC, SB, 44]), i)
        if i < 0:
            return out
        j = d.find(bytes([IAC, SE]), i)
        if j < 0:
            return out
        v = d[i + 3:j].replace(b"\xff\xff", b"\xff")
        out.append((v[0], v[1:]))
        i = j + 2

def ask(*body):
    n = len(answers())
    with open(fifo, "wb") as f:
        f.write(sb(*body))
    end = time.monotonic() + 10
    while time.monotonic() < end:
        a = answers()
        if len(a) > n:
            return a[n:]
        time.sleep(0.01)
    sys.exit("no answer to %r" % (body,))

def stty():
    return subprocess.run(["stty", "-F", tty, "-a"], check=True,
                          capture_output=True, text=True).stdout.split()

def check(body, code, value, also=None):
    got = ask(*body)
    if got[0] != (code, bytes(value)):
        sys.exit("%r: expected %r, got %r" % (body, (code, bytes(value)), got))
    print("%r -> %r" % (body, got))
    return got

check((0,), 100, b"conslet pbx")                     # SIGNATURE
check((1, 0, 1, 0xc2, 0), 101, (0, 1, 0xc2, 0))       # 115200
assert "115200" in stty()
check((1, 0, 0, 0, 0), 101, (0, 1, 0xc2, 0))         # query
check((1, 0, 0, 0x25, 0x80), 101, (0, 0, 0x25, 0x80))  # 9600
assert "9600" in stty()
check((1, 0, 0, 0, 7), 101, (0, 0, 0x25, 0x80))       # 7 bit/s: no such speed
check((2, 0), 102, (8,))                              # DATASIZE query
check((2, 7), 102, (8,))                              # a pty keeps CS8
check((3, 0), 103, (1,))                              # PARITY query: none
check((3, 3), 103, (1,))                              # even: a pty keeps none
check((3, 4), 103, (1,))                              # mark: unsupported
check((3, 5), 103, (1,))                              # space: unsupported
check((4, 2), 104, (2,))                              # STOPSIZE 2
assert "cstopb" in stty()
check((4, 3), 104, (2,))                              # 1.5: unsupported
check((4, 0), 104, (2,))                              # query
check((4, 1), 104, (1,))
assert "-cstopb" in stty()
check((5, 0), 105, (1,))                              # flow query: none
check((5, 2), 105, (2,))                              # XON/XOFF
assert "ixon" in stty()
check((5, 3), 105, (3,))                              # hardware
assert "crtscts" in stty()
check((5, 1), 105, (1,))
assert "-crtscts" in stty() and "-ixon" in stty()
check((5, 4), 105, (6,))                              # BREAK query: off
check((5, 7), 105, (8,))                              # DTR query
check((5, 10), 105, (11,))                            # RTS query
check((6,), 106, (0,))                                # line state poll
check((7,), 107, (0,))                                # modem state poll: none
check((10, 0x40), 110, (0x40,))                       # SET-LINESTATE-MASK
# SET-MODEMSTATE-MASK: the mask, then NOTIFY-MODEMSTATE (a pty: no lines)
got = ask(11, 0xff)
if got[0] != (111, b"\xff"):
    sys.exit("SET-MODEMSTATE-MASK: %r" % (got,))
print("(11, 255) -> %r" % (got,))
check((12, 1), 112, (1,))                             # PURGE receive
check((12, 2), 112, (2,))                             # PURGE transmit
check((12, 3), 112, (3,))                             # PURGE both
print("ok")
EOF
}

# pyserial's rfc2217:// against a pty.
@test "pyserial (rfc2217://): speed and stop bits reach the device, 8N1 is what a pty keeps, BREAK, 256 bytes both ways" {
	require strace
	need_pyserial
	start_guest pbx -e
	# LeakSanitizer cannot work under ptrace: no leak check there; the
	# shim shows the pty as a serial port, which holds a BREAK
	CONSLET=$(command -v strace) \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
	    with_shims serialshim start_tcpserver -f -qq -o "$T/trace" \
	    -e trace=ioctl "$TOP/src/conslet" -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" -t -p pbx
	run py_run "$PORT" "$GUEST_TTY" <<'EOF'
import subprocess, sys, time
import serial

port, tty = sys.argv[1], sys.argv[2]

def stty():
    return subprocess.run(["stty", "-F", tty, "-a"], check=True,
                          capture_output=True, text=True).stdout

def expect_in(what, text):
    if what not in text.split():
        sys.exit("expected %r in stty -a of %s:\n%s" % (what, tty, text))
    print("device has", what)

# No URL options: against a pty conslet answers every request pyserial
# makes on its own (speed, 8N1, no flow control, DTR and RTS on, the
# purges) with the value asked for, so the default strict checking of
# the answers holds. ign_set_control would be needed where an answer to
# SET-CONTROL differs from the request (turning DTR or RTS off on a pty,
# which has no modem lines and is answered "on"); none is made here.
ser = serial.serial_for_url("rfc2217://127.0.0.1:%s" % port,
                            baudrate=9600, timeout=5)
expect_in("9600", stty())
ser.baudrate = 115200
expect_in("115200", stty())
ser.stopbits = serial.STOPBITS_TWO
expect_in("cstopb", stty())
ser.stopbits = serial.STOPBITS_ONE
expect_in("-cstopb", stty())

# A Linux pty keeps 8 data bits and no parity whatever is asked
# (pty_set_termios): conslet answers the truth, pyserial calls that a
# rejection, and the device is unchanged.
for attr, value in (("bytesize", serial.SEVENBITS),
                    ("parity", serial.PARITY_EVEN)):
    try:
        setattr(ser, attr, value)
    except (ValueError, serial.SerialException) as e:
        print("%s %s refused as it should be: %s" % (attr, value, e))
    else:
        sys.exit("%s %s: the pty cannot, yet it was accepted" % (attr, value))
    # back to 8N1 in pyserial's own state: through the setters it would
    # send the refused value again with the next change
    ser._bytesize, ser._parity = serial.EIGHTBITS, serial.PARITY_NONE
text = stty()
expect_in("cs8", text)
expect_in("-parenb", text)

ser.send_break(0.25)

data = bytes(range(256))
ser.reset_input_buffer()
ser.write(data)
got = ser.read(256)
if got != data:
    sys.exit("echoed back %d bytes, not the 256 written: %r" % (len(got), got))
ser.close()
print("ok")
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	# the BREAK was held and let go on the device
	grep -E 'ioctl\([0-9]+, TIOCSBRK' "$T/trace"
	grep -E 'ioctl\([0-9]+, TIOCCBRK' "$T/trace"
	all_bytes "$T/all"
	assert_same_bytes "$T/all" "$T/pbx.rec"
}

@test "on a Linux pty an RFC 2217 BREAK (pyserial send_break) reaches the guest as CR ~ ^B" {
	need_pyserial
	start_guest pbx
	serve -t -p pbx
	run py_run "$PORT" <<'EOF'
import sys
import serial
ser = serial.serial_for_url(
    "rfc2217://127.0.0.1:%s?ign_set_control" % sys.argv[1],
    baudrate=115200, timeout=1)
ser.send_break(0.1)
ser.close()
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	guest_got pbx '\r~\002'
	grep -q "BREAK sent as CR ~ ^B by" "$SERVER_ERR"
}

# --- The modem state on the wire --------------------------------------------

@test "pyserial's opening on the wire: the modem state comes unasked once COM-PORT is agreed, a poll is answered, so is a mask" {
	set_lines $((CD | DSR | CTS))
	start_guest pbx
	serve_lines -t -p pbx
	client_start c "$PORT"
	wait_file_size "$T/c.recv" 15
	# DO ECHO, WILL SGA, DO SGA, DO COM-PORT, WILL COM-PORT
	send_bytes c '\377\375\001\377\373\003\377\375\003\377\375\054\377\373\054'
	# the offer; WILL COM-PORT, NOTIFY-MODEMSTATE CD DSR CTS, DO COM-PORT
	bytes "$T/expected" "$OFFER"'\377\373\054\377\372\054\153\260\377\360\377\375\054'
	wait_file_size "$T/c.recv" "$(_file_size "$T/expected")"
	assert_same_bytes "$T/expected" "$T/c.recv"
	# its poll (NOTIFY-MODEMSTATE from the client): the state now
	send_bytes c '\377\372\054\007\377\360'
	bytes "$T/more" '\377\372\054\153\260\377\360'
	cat "$T/more" >>"$T/expected"
	wait_file_size "$T/c.recv" "$(_file_size "$T/expected")"
	assert_same_bytes "$T/expected" "$T/c.recv"
	# SET-MODEMSTATE-MASK 255 (IAC doubled): the mask, then the state
	send_bytes c '\377\372\054\013\377\377\377\360'
	bytes "$T/more" '\377\372\054\157\377\377\377\360\377\372\054\153\260\377\360'
	cat "$T/more" >>"$T/expected"
	wait_file_size "$T/c.recv" "$(_file_size "$T/expected")"
	assert_same_bytes "$T/expected" "$T/c.recv"
	# a change: DCD drops, with its change bit (0x08) and the rest as is
	set_lines $((DSR | CTS))
	bytes "$T/more" '\377\372\054\153\070\377\360'
	cat "$T/more" >>"$T/expected"
	wait_file_size "$T/c.recv" "$(_file_size "$T/expected")"
	assert_same_bytes "$T/expected" "$T/c.recv"
}

@test "-t -p: changes of the modem lines are told as the mask asks" {
	start_guest pbx
	serve_lines -t -p pbx
	client_start c "$PORT"
	wait_file_size "$T/c.recv" 15
	send_bytes c '\377\373\054'
	# agreed: the state, all of it, no line up
	wait_for _hex_seen "$T/c.recv" fffa2c6b00fff0
	# SET-MODEMSTATE-MASK: CD and CTS, and their deltas (0x99)
	send_bytes c '\377\372\054\013\231\377\360'
	wait_for _hex_seen "$T/c.recv" fffa2c6f99fff0	# the mask, 111
	wait_for _hex_seen "$T/c.recv" fffa2c6b00fff0 2	# NOTIFY 107: none
	# CD and CTS come up: both, with their deltas
	set_lines $((CD | CTS))
	wait_for _hex_seen "$T/c.recv" fffa2c6b99fff0
	# CTS drops, DSR comes up: CD, delta CTS; DSR is not in the mask
	set_lines $((CD | DSR))
	wait_for _hex_seen "$T/c.recv" fffa2c6b81fff0
	# CD drops: only its delta is left to tell
	set_lines $((DSR))
	wait_for _hex_seen "$T/c.recv" fffa2c6b08fff0
	# RI rings and stops (not in the mask): nothing is told
	set_lines $((DSR | RI))
	set_lines $((DSR))
	set_lines $((DSR | CD))
	wait_for _hex_seen "$T/c.recv" fffa2c6b88fff0	# CD up again
	# one notification per change in the mask, none for the rest
	[ "$(_hex_count "$T/c.recv" fffa2c6b)" -eq 6 ]
}

@test "a pty (no modem lines): the state says no line is up, when agreed and to every poll" {
	session pbx -t -p
	wait_file_size "$T/c.recv" 15
	send_bytes c '\377\375\054\377\373\054'
	# WILL, the state (none), DO; then a poll, and the line state poll
	send_bytes c '\377\372\054\007\377\360\377\372\054\006\377\360'
	recv_sync c
	between "$T/c.recv" 15 >"$T/got"
	bytes "$T/expected" '\377\373\054\377\372\054\153\000\377\360\377\375\054\377\372\054\153\000\377\360\377\372\054\152\000\377\360'
	assert_same_bytes "$T/expected" "$T/got"
}

@test "the modem lines are looked at only for a client that agreed to RFC 2217, on a device that has them" {
	# a telnet client that never asks for COM-PORT: never woken
	start_guest pbx
	serve_lines -t -p pbx
	client_start a "$PORT"
	wait_file_size "$T/a.recv" 15
	a=$(session_pid)
	recv_sync a
	before=$(_ctxt "$a")
	run wait_for -t 3 _woke "$a" "$before" 2
	[ "$status" -ne 0 ]
	# one that agreed: once a second
	start_guest sw
	serve_lines -t -p sw
	client_start b "$PORT"
	wait_file_size "$T/b.recv" 15
	b=$(session_pid)
	send_bytes b '\377\373\054'
	recv_sync b
	before=$(_ctxt "$b")
	wait_for -t 5 _woke "$b" "$before" 3
	# and one that agreed on a pty, which has no modem lines: never
	start_guest pty
	serve -t -p pty
	client_start c "$PORT"
	wait_file_size "$T/c.recv" 15
	c=$(session_pid)
	send_bytes c '\377\373\054'
	recv_sync c
	before=$(_ctxt "$c")
	run wait_for -t 3 _woke "$c" "$before" 2
	[ "$status" -ne 0 ]
}

# --- pyserial reads the modem lines ------------------------------------------

@test "pyserial rfc2217://: .cts .dsr .ri .cd, told on change" {
	pyserial_lines direct ""
}

@test "pyserial rfc2217://?poll_modem: .cts .dsr .ri .cd, every poll answered" {
	pyserial_lines direct "&poll_modem"
}

@test "pyserial rfc2217:// through conslog: .cts .dsr .ri .cd, told on change" {
	pyserial_lines logger ""
}

@test "pyserial rfc2217://?poll_modem through conslog: .cts .dsr .ri .cd, every poll answered" {
	pyserial_lines logger "&poll_modem"
}

@test "pyserial on a pty, with and without ?poll_modem: the lines read as down, no error" {
	need_pyserial
	start_guest pbx
	serve -t -p pbx
	run py_run "$PORT" <<'EOF'
import sys, time
import serial
for opts in ("", "?poll_modem"):
    # the last session holds the console while it lingers (half a second):
    # refused, or the connection closed under pyserial's first write
    for tries in range(30):
        try:
            ser = serial.serial_for_url("rfc2217://127.0.0.1:%s%s" %
                                        (sys.argv[1], opts),
                                        baudrate=115200, timeout=1)
            break
        except (serial.SerialException, OSError):
            time.sleep(0.1)
    got = (ser.cts, ser.dsr, ser.ri, ser.cd)
    ser.close()
    if got != (False, False, False, False):
        sys.exit("%r: cts dsr ri cd %r" % (opts, got))
    print(repr(opts), "cts dsr ri cd", got)
print("ok")
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *ok ]]
}

# --- Notices and notes -------------------------------------------------------

@test "with a logger: a BREAK and a speed change are noted in the log, with who, and the viewers are told" {
	start_guest pbx
	start_logger pbx
	serve_as w -t -p pbx
	serve_as v -r pbx
	client_start v "$PORT_v"
	wait_who pbx 1
	client_start c "$PORT_w"
	wait_who pbx 2
	wait_file_size "$T/c.recv" 15
	peer=$(peer_of c)
	# COM-PORT, IAC BRK, SET-BAUDRATE 115200
	send_bytes c '\377\373\054\377\363\377\372\054\001\000\001\302\000\377\360'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]"
	wait_file_contains "$LOGGER_LOG" "115200"
	wait_file_contains "$T/v.recv" "115200"
	grep -a -E "\[conslog: .*BREAK.*$(re_quote "$peer").*\]\$" "$LOGGER_LOG"
	grep -a -E "\[conslog: .*115200.*$(re_quote "$peer").*\]\$" "$LOGGER_LOG"
	grep -a -E "^\[conslet: .*BREAK.*\]"$'\r'"\$" "$T/v.recv"
	grep -a -E "^\[conslet: .*115200.*\]"$'\r'"\$" "$T/v.recv"
}

# The pyserial session of the notice tests: open at 9600, set the speed to
# 115200, set it again, the stop bits to 2 and back (each a whole
# reconfiguration: pyserial sends every setting again), a BREAK, a viewer
# that joins and leaves, a line from the guest; then 256 bytes echoed.
# Everything read goes to $T/py.read. BASE: how many others are attached.
_pyserial_session() {
	py_run "$PORT_w" "$PORT_v" "$T/run/pbx.who" "$T/pbx.out" \
	    "$T/py.read" "${1:-0}" <<'EOF'
import os, socket, sys, time
import serial

port, vport, who, guest, out = sys.argv[1:6]
base = int(sys.argv[6])
limit = float(os.environ["WAIT_TIMEOUT"])
got = bytearray()

def attached():
    try:
        return sum(1 for l in open(who) if l.strip())
    except OSError:
        return 0

def wait(what, cond):
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            sys.exit("gave up waiting for " + what)
        time.sleep(0.01)

def read_until(marker):
    end = time.monotonic() + limit
    while marker not in got:
        if time.monotonic() > end:
            sys.exit("no %r in what was read: %r" % (marker, bytes(got[-300:])))
        got.extend(ser.read(ser.in_waiting or 1))

# ign_set_control: a pty cannot hold a BREAK; it is sent as CR ~ ^B and
# the line is answered not in BREAK, which pyserial would call a refusal
ser = serial.serial_for_url("rfc2217://127.0.0.1:%s?ign_set_control" % port,
                            baudrate=9600, timeout=0.2)
ser.baudrate = 115200
ser.baudrate = 115200
ser.stopbits = serial.STOPBITS_TWO
ser.stopbits = serial.STOPBITS_ONE
ser.send_break(0.1)
v = socket.create_connection(("127.0.0.1", int(vport)))
wait("the viewer to attach", lambda: attached() == base + 2)
v.close()
wait("the viewer to leave", lambda: attached() == base + 1)
# notices are due where they were made: all are before this line
with open(guest, "wb") as g:
    g.write(b"guest line after all that\r\n")
read_until(b"guest line after all that\r\n")
data = bytes(range(256))
ser.write(data)
n = len(got)
read_until(data)
ser.close()
open(out, "wb").write(got)
print("read %d bytes" % len(got))
EOF
}

@test "pyserial through conslog on a -t -p -E port reads not one notice byte; the log keeps its notes, one per change" {
	need_pyserial
	start_guest pbx -e
	start_logger pbx
	serve_as w -t -p -E pbx
	serve_as v -r pbx
	run _pyserial_session
	echo "$output"
	[ "$status" -eq 0 ]
	echo "pyserial read:"
	od -c "$T/py.read" | head -n 20
	lacks "$T/py.read" 'conslet'
	lacks "$T/py.read" '[conslog'
	# what it read is the guest's: a line, the echo of CR ~ ^B, the data
	grep -a -q -F "guest line after all that" "$T/py.read"
	cat "$LOGGER_LOG"
	# the log has each change once: settings that did not change are
	# not noted, however often pyserial sends them
	[ "$(count_of "$LOGGER_LOG" "speed 115200 by")" -eq 1 ]
	[ "$(count_of "$LOGGER_LOG" "stop bits 2 by")" -eq 1 ]
	[ "$(count_of "$LOGGER_LOG" "stop bits 1 by")" -eq 1 ]
	[ "$(count_of "$LOGGER_LOG" "data bits")" -eq 0 ]
	[ "$(count_of "$LOGGER_LOG" "parity")" -eq 0 ]
	[ "$(count_of "$LOGGER_LOG" "flow control")" -eq 0 ]
	grep -a -q -F "BREAK sent as CR ~ ^B by" "$LOGGER_LOG"
}

@test "-t -p without -E: pyserial's own changes are answered in the protocol, not in its stream; a viewer hears of them" {
	need_pyserial
	start_guest pbx -e
	start_logger pbx
	serve_as w -t -p pbx
	serve_as v -r pbx
	serve_as q -r pbx
	client_start watch "$PORT_q"
	wait_who pbx 1
	run _pyserial_session 1
	echo "$output"
	[ "$status" -eq 0 ]
	od -c "$T/py.read" | head -n 20
	# its own: none; the viewer's join and leave: told (no -E)
	lacks "$T/py.read" 'speed'
	lacks "$T/py.read" 'stop bits'
	lacks "$T/py.read" 'BREAK'
	lacks "$T/py.read" " by 127.0.0.1:"
	grep -a -q -F ' joined (read-only)]' "$T/py.read"
	# a person watching hears of each change, once
	wait_file_contains "$T/watch.recv" "guest line after all that"
	cat "$T/watch.recv"
	[ "$(count_of "$T/watch.recv" "speed 115200 by")" -eq 1 ]
	[ "$(count_of "$T/watch.recv" "stop bits 2 by")" -eq 1 ]
	[ "$(count_of "$T/watch.recv" "data bits")" -eq 0 ]
}

# --- A refused client is told why -------------------------------------------

# The opening pyserial makes, then its first setting and a poll: each a
# request a read-only client is refused.
PYSERIAL_OPENING='\377\375\001\377\373\003\377\375\003\377\375\054\377\373\054\377\372\054\001\000\001\302\000\377\360\377\372\054\002\010\377\360\377\372\054\007\377\360'

@test "a client read-only because another writes, and a viewer, are told once why RFC 2217 is refused" {
	start_guest pbx
	start_logger pbx
	serve_as w -t -p pbx
	serve_as v -t -p -r pbx
	client_start w "$PORT_w"
	wait_file_size "$T/w.recv" 15
	wait_who pbx 1
	client_start c "$PORT_w"
	wait_file_contains "$T/c.recv" "read-only:"
	send_bytes c "$PYSERIAL_OPENING"
	send_bytes c "$PYSERIAL_OPENING"
	recv_sync c
	grep -a -F "[conslet: read-only: pbx is in use by another client, RFC 2217 port control is refused]" "$T/c.recv"
	[ "$(grep -a -c -F "RFC 2217" "$T/c.recv")" -eq 1 ]
	# refused, and no answer to any of its requests
	python3 -c 'import sys
sys.exit(b"\xff\xfa" in open(sys.argv[1], "rb").read())' "$T/c.recv"

	client_start v "$PORT_v"
	wait_file_size "$T/v.recv" 15
	send_bytes v "$PYSERIAL_OPENING"
	send_bytes v "$PYSERIAL_OPENING"
	recv_sync v
	grep -a -F "[conslet: read-only: this port is for viewers, RFC 2217 port control is refused]" "$T/v.recv"
	[ "$(grep -a -c -F "RFC 2217" "$T/v.recv")" -eq 1 ]
}

# --- What a client did to the line is undone --------------------------------

# COM-PORT, then SET-CONTROL: BREAK on, DTR off, RTS off.
HOLD='\377\373\054\377\372\054\005\005\377\360\377\372\054\005\011\377\360\377\372\054\005\014\377\360'

@test "a BREAK left on, DTR and RTS dropped: all put back when the client goes" {
	start_guest pbx
	serve_lines -t -p pbx
	client_start c "$PORT"
	wait_file_size "$T/c.recv" 15
	send_bytes c "$HOLD"
	wait_out " break"
	client_close c
	[ "$(session_status)" = 0 ]
	wait_out " dtr rts"
}

@test "with a logger: the BREAK a client left on is let go, and the log says so after its BREAK on" {
	start_guest pbx
	start_serial_logger pbx
	serve_lines -t -p pbx
	client_start c "$PORT"
	wait_file_size "$T/c.recv" 15
	wait_who pbx 1
	peer=$(peer_of c)
	send_bytes c "$HOLD"
	wait_file_contains "$LOGGER_LOG" "BREAK on by $peer"
	wait_out " break"
	client_close c
	wait_file_contains "$LOGGER_LOG" "BREAK off, DTR on, RTS on, as before the session of $peer]"
	wait_out " dtr rts"
	on=$(grep -a -n -F "BREAK on by $peer" "$LOGGER_LOG" | cut -d: -f1)
	off=$(grep -a -n -F "BREAK off," "$LOGGER_LOG" | cut -d: -f1)
	[ "$on" -lt "$off" ]
}

@test "write access taken: the BREAK, DTR and RTS the writer set are undone, and it is told why RFC 2217 is refused now" {
	start_guest pbx
	start_serial_logger pbx
	serve_lines serve_as w -t -p pbx
	serve_lines serve_as f -f pbx
	client_start w "$PORT_w"
	wait_file_size "$T/w.recv" 15
	peer=$(peer_of w)
	send_bytes w "$HOLD"
	wait_out " break"
	client_start f "$PORT_f"
	wait_file_contains "$T/w.recv" "write access taken by"
	wait_out " dtr rts"
	# made while it still writes: in the log, and in syslog
	wait_file_contains "$LOGGER_LOG" "BREAK off, DTR on, RTS on, as before $peer had write access"
	read -r _ _ err <"$T/server.w"
	wait_file_contains "$err" "BREAK off, DTR on, RTS on, as before $peer had write access"
	# still attached, read-only: its next request is refused, with why
	send_bytes w '\377\372\054\005\005\377\360\377\372\054\005\005\377\360'
	recv_sync w
	[ "$(grep -a -c -F "RFC 2217 port control is refused" "$T/w.recv")" -eq 1 ]
	_out_is " dtr rts"
}

# --- Hostile input -----------------------------------------------------------

@test "-t -p: an endless subnegotiation (1 MiB before IAC SE) is dropped whole, the session goes on" {
	session pbx -t -p
	pid=$(session_pid)
	wait_file_size "$T/c.recv" 15
	send_bytes c '\377\373\054'
	recv_sync c
	off=$(_file_size "$T/c.recv")
	hwm=$(sed -n 's/^VmHWM: *\([0-9]*\) kB/\1/p' "/proc/$pid/status")
	python3 - "$T/sb" <<'EOF'
import os, sys
# IAC SB COM-PORT SET-BAUDRATE, then 1 MiB without an IAC, then IAC SE
body = bytes(b for b in os.urandom(1 << 21) if b != 0xff)[:1 << 20]
open(sys.argv[1], "wb").write(b"\xff\xfa\x2c\x01" + body + b"\xff\xf0")
EOF
	client_send_file c "$T/sb"
	send_bytes c 'hello\r'
	guest_got pbx 'hello\r'
	recv_sync c
	_alive "$pid"
	# no answer to it: nothing but the notice came
	between "$T/c.recv" "$off" >"$T/got"
	[ ! -s "$T/got" ]
	now=$(sed -n 's/^VmHWM: *\([0-9]*\) kB/\1/p' "/proc/$pid/status")
	echo "VmHWM before ${hwm} kB, after ${now} kB"
	[ $((now - hwm)) -lt 4096 ]
}

# --- C-Kermit watches the carrier ---------------------------------------------

# kermit_hello PORT [COMMAND]: C-Kermit, with COMMAND first if given,
# connects to PORT with telnet (and so RFC 2217) and sends "hello" CR.
kermit_hello() {
	local pre=
	[ -z "${2:-}" ] || pre="$2, "
	timeout 60 kermit -Y -C "${pre}set host 127.0.0.1 $1 /telnet, output hello\\13, exit 0" \
	    </dev/null 3>&-
}

@test "C-Kermit: carrier up on the device is carrier for it; on a pty it needs SET CARRIER-WATCH OFF, as the manual and README say" {
	grep -q 'SET CARRIER-WATCH OFF' "$TOP/README.md"
	grep -q 'SET CARRIER-WATCH OFF' "$TOP/man/conslet.8"
	require kermit
	# a device with CD up: told so, C-Kermit goes ahead
	set_lines $((CD | DSR | CTS))
	start_guest pbx
	serve_lines -t -p pbx
	run kermit_hello "$PORT"
	echo "$output"
	[[ $output != *"Carrier detect failure"* ]]
	wait_file_contains "$T/pbx.rec" $'hello\r'
	# a pty: no carrier, C-Kermit will not send ("Carrier detect
	# failure", or before that "not open or not functioning")...
	start_guest pty
	serve -t -p pty
	run kermit_hello "$PORT"
	echo "$output"
	[[ $output == *"?Connection to 127.0.0.1:$PORT is not open"* ||
	    $output == *"Carrier detect failure"* ]]
	# ...until told not to watch it; then one hello, not two
	wait_server_idle
	run kermit_hello "$PORT" "set carrier-watch off"
	echo "$output"
	[[ $output != *"Carrier detect failure"* ]]
	wait_file_contains "$T/pty.rec" $'hello\r'
	[ "$(cat "$T/pty.rec")" = $'hello\r' ]
}
