#!/usr/bin/env bats
# RFC 2217 (-t -p) beyond the settings: the modem state as clients expect
# it (told unasked, on change and when polled), the client pyserial with
# and without polling, with and without a logger, a read-only client told
# why it is refused, and what a client did to the line (BREAK, DTR, RTS)
# undone when it goes.
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
	local with=$1 opts=$2 py
	py=$(pyserial_python) || skip "pyserial (python3-serial) is not installed"
	set_lines $((CD | CTS))
	start_guest pbx
	[ "$with" != logger ] || start_serial_logger pbx
	serve_lines -t -p pbx
	run env WAIT_TIMEOUT="$WAIT_TIMEOUT" timeout 120 "$py" - "$PORT" \
	    "$T/lines" "$opts" 3>&- <<'EOF'
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
	py=$(pyserial_python) || skip "pyserial (python3-serial) is not installed"
	start_guest pbx
	serve -t -p pbx
	run env WAIT_TIMEOUT="$WAIT_TIMEOUT" timeout 120 "$py" - "$PORT" 3>&- <<'EOF'
import sys, time
import serial
for opts in ("", "?poll_modem"):
    # the last session holds the console while it lingers (half a second)
    for tries in range(30):
        try:
            ser = serial.serial_for_url("rfc2217://127.0.0.1:%s%s" %
                                        (sys.argv[1], opts),
                                        baudrate=115200, timeout=1)
            break
        except serial.SerialException:
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
