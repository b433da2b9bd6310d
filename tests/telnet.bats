#!/usr/bin/env bats
# Telnet mode (-t), src/telnet.c: real clients (telnet under expect,
# socat, nc), the bytes on the wire, hostile input, and the findings of
# the fuzz targets in tests/fuzz.  RFC 2217 (-p) is in comport.bats.

setup() {
	load lib/helpers
	load lib/conslog
	load lib/telnet
	common_setup
}

teardown() {
	common_teardown
}

# stty_of TTY: the device's settings as stty -a shows them.
stty_of() {
	stty -F "$1" -a
}

# --- What is on the wire -------------------------------------------------

@test "-t offers WILL ECHO, WILL SGA, DO SGA, WILL BINARY, DO BINARY, in that order" {
	session pbx -t
	recv_sync c
	bytes "$T/offer" "$OFFER"
	head -c 15 "$T/c.recv" >"$T/got"
	assert_same_bytes "$T/offer" "$T/got"
	# nothing else before the notice
	between "$T/c.recv" 15 >"$T/rest"
	[ ! -s "$T/rest" ]
	[ ! -s "$T/pbx.rec" ]
}

@test "a raw port sends no telnet byte: the guest's 256 bytes arrive exact, 0xff passes both ways" {
	session pbx
	all_bytes "$T/all"
	guest_print_file pbx "$T/all"
	wait_file_size "$T/c.recv" 256
	send_bytes c '\377\r'
	recv_sync c
	head -c 256 "$T/c.recv" >"$T/got"
	assert_same_bytes "$T/all" "$T/got"
	# after the 256 bytes only the notice: CR LF [conslet: ...] CR LF
	run grep -c -a $'\377' <(tail -c +257 "$T/c.recv")
	[ "$output" = 0 ]
	guest_got pbx '\377\r'
}

@test "-t, a client that negotiates nothing (nc): IAC doubled, a lone CR sent as CR NUL" {
	session pbx -t
	wait_file_size "$T/c.recv" 15
	python3 - "$T/all" "$T/expected.out" <<'EOF'
import sys
data = bytes(range(256)) + b"a\r\nb\r\r\0c\r"
out = bytearray()
for i, c in enumerate(data):
    out.append(c)
    if c == 0xff:
        out.append(0xff)
    elif c == 0x0d and data[i + 1:i + 2] != b"\n":
        out.append(0)
open(sys.argv[1], "wb").write(data)
open(sys.argv[2], "wb").write(out[:-1])	# the last CR: its NUL comes later
EOF
	guest_print_file pbx "$T/all"
	wait_file_size "$T/c.recv" $((15 + $(_file_size "$T/expected.out")))
	tail -c +16 "$T/c.recv" >"$T/got"
	assert_same_bytes "$T/expected.out" "$T/got"
}

@test "-t, a client in binary mode both ways (socat): only IAC doubled, data byte-exact" {
	start_guest pbx
	serve -t pbx
	client_start c "$PORT" socat
	send_bytes c "$ACCEPT"
	# all five were the server's own requests: not one is answered
	recv_sync c
	between "$T/c.recv" 0 >"$T/got"
	bytes "$T/offer" "$OFFER"
	assert_same_bytes "$T/offer" "$T/got"
	off=$(_file_size "$T/c.recv")

	all_bytes "$T/all"
	guest_print_file pbx "$T/all"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)).replace(b"\xff", b"\xff\xff"))' >"$T/expected.out"
	wait_file_size "$T/c.recv" $((off + 257))
	tail -c +$((off + 1)) "$T/c.recv" >"$T/got"
	assert_same_bytes "$T/expected.out" "$T/got"

	# from the client: no CR mapping in binary mode, IAC IAC is 0xff
	cp "$T/expected.out" "$T/c.send"
	printf '\r\000\r\n' >>"$T/c.send"
	client_send_file c "$T/c.send"
	cat "$T/all" >"$T/expected"
	printf '\r\000\r\n' >>"$T/expected"
	wait_file_size "$T/pbx.rec" 260
	assert_same_bytes "$T/expected" "$T/pbx.rec"
}

@test "-t, not binary: CR NUL and CR LF reach the guest as one CR, IAC IAC as one 0xff" {
	session pbx -t
	send_bytes c 'a\r\000b\r\nc\rd\377\377e\r\000'
	recv_sync c
	guest_got pbx 'a\rb\rc\rd\377e\r'
}

@test "-t: IP, EC and EL become ^C, DEL and ^U; AO, NOP, DM and GA are ignored; AYT is answered" {
	session pbx -t
	send_bytes c 'a\377\364b\377\367c\377\370d\377\365\377\361\377\362\377\371e\377\366'
	wait_file_contains "$T/c.recv" "[conslet: yes, pbx is here]"$'\r\n'
	guest_got pbx 'a\003b\177c\025de'
}

@test "-t: refuses every option but ECHO, SGA, BINARY and COM-PORT; answers no agreement in effect (RFC 1143)" {
	session pbx -t
	wait_file_size "$T/c.recv" 15
	# DO TTYPE, WILL TTYPE, DONT TTYPE, WONT TTYPE, WILL ECHO, DO ECHO,
	# DO ECHO, DONT ECHO, DONT ECHO, DO ECHO, WILL COM-PORT, DO COM-PORT
	# (no -p), DO 99, WILL 255, DO SGA, WILL SGA, WILL SGA
	send_bytes c '\377\375\030\377\373\030\377\376\030\377\374\030\377\373\001\377\375\001\377\375\001\377\376\001\377\376\001\377\375\001\377\373\054\377\375\054\377\375\143\377\373\377\377\375\003\377\373\003\377\373\003'
	recv_sync c
	between "$T/c.recv" 15 >"$T/got"
	# WONT TTYPE, DONT TTYPE, DONT ECHO (the client must not echo),
	# WONT ECHO, WILL ECHO, DONT COM-PORT, WONT COM-PORT, WONT 99, DONT 255
	bytes "$T/expected" '\377\374\030\377\376\030\377\376\001\377\374\001\377\373\001\377\376\054\377\374\054\377\374\143\377\376\377'
	assert_same_bytes "$T/expected" "$T/got"
}

@test "-t: the escapes work after telnet decoding" {
	session pbx -t
	# ~w with an IAC NOP inside; CR NUL and CR LF are line ends for the
	# escapes too; ~. after an IAC NOP at the start of a line
	send_bytes c '~\377\361w'
	wait_file_contains "$T/c.recv" "(you)]"
	send_bytes c 'x\r\000~~y\r\n\377\361~.'
	wait_file_contains "$T/c.recv" "[conslet: disconnected]"
	[ "$(session_status)" = 0 ]
	guest_got pbx 'x\r~y\r'
}

@test "-t: IAC BRK calls tcsendbreak on a serial port and says so; nothing reaches the guest" {
	require strace
	start_guest pbx
	# LeakSanitizer cannot work under ptrace: no leak check there; the
	# shim shows the pty as a serial port
	CONSLET=$(command -v strace) \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
	    with_shims serialshim start_tcpserver -f -qq -o "$T/trace" \
	    -e trace=ioctl "$TOP/src/conslet" -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" -t pbx
	client_start c "$PORT"
	send_bytes c 'a\377\363b'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent]"$'\r\n'
	grep -E 'ioctl\([0-9]+, TCSBRK' "$T/trace"
	guest_got pbx 'ab'
}

@test "-t -A: IAC BRK sends CR ~ ^B" {
	session pbx -t -A
	send_bytes c '\377\363'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]"$'\r\n'
	guest_got pbx '\r~\002'
}

@test "-t: where the device cannot break (ENOTTY), IAC BRK sends CR ~ ^B" {
	start_guest pbx
	# a serial port whose tcsendbreak fails as nmdm's does
	serve_nobreak -s -t pbx
	client_start c "$PORT"
	send_bytes c '\377\363'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]"$'\r\n'
	guest_got pbx '\r~\002'
	grep -q -x tcsendbreak "$T/breaks"
}

# --- Real clients ----------------------------------------------------------

@test "telnet (Debian's, driven by expect): character mode, Enter is CR, send brk, send ayt, ~." {
	require telnet expect
	start_guest pbx
	serve -t pbx
	# Debian 12's telnet package is GNU inetutils' client (netkit's is
	# gone); -8 asks for an 8-bit data path. Every wait has a timeout
	# that fails the script with the step's name, never a hang.
	cat >"$T/telnet.exp" <<'EOF'
set port [lindex $argv 0]
set rec [lindex $argv 1]
set fifo [lindex $argv 2]
set timeout 10
log_file -noappend [lindex $argv 3]

proc fail {what} {
	puts "\nFAILED: $what"
	exit 1
}
proc see {pattern what} {
	expect {
		-ex $pattern {}
		timeout { fail "$what: no \"$pattern\" in 10s" }
		eof { fail "$what: telnet ended" }
	}
}
proc file_has {path text} {
	for {set i 0} {$i < 500} {incr i} {
		if {[file exists $path]} {
			set f [open $path rb]
			set data [read $f]
			close $f
			if {[string first $text $data] >= 0} { return }
		}
		after 20
	}
	fail "no [list $text] in $path"
}

spawn -noecho telnet -8 127.0.0.1 $port
see "Escape character is" "connect"
# Character mode: the server will echo and suppress go-ahead. telnet's
# own status says when it is in; until then it would buffer lines.
set mode ""
for {set i 0} {$i < 50} {incr i} {
	send "\035"
	see "telnet> " "escape to the telnet prompt"
	send "status\r"
	expect {
		-re "Operating in (\[^\r\n]*)" { set mode $expect_out(1,string) }
		timeout { fail "status: no mode" }
	}
	see "\n" "status"
	if {[string match "*character*" $mode]} { break }
	after 100
}
if {![string match "*character*" $mode]} { fail "not character mode: $mode" }
# In character mode a key goes out when it is typed, before Enter.
send "abc"
file_has $rec "abc"
send "\r"
file_has $rec "abc\r"
# The guest's output reaches the screen.
exec sh -c {printf 'hello from the guest\r\n' >"$1"} sh $fifo
see "hello from the guest" "guest output"
send "\035"
see "telnet> " "escape for send brk"
send "send brk\r"
see {[conslet: BREAK sent as CR ~ ^B]} "send brk"
send "\035"
see "telnet> " "escape for send ayt"
send "send ayt\r"
see {[conslet: yes, pbx is here]} "send ayt"
send "~."
see {[conslet: disconnected]} "~."
expect {
	eof {}
	timeout { fail "telnet still connected after ~." }
}
exit 0
EOF
	run env CONSLET_TESTDIR="$T" timeout 120 expect -f "$T/telnet.exp" \
	    "$PORT" "$T/pbx.rec" "$T/pbx.out" "$T/telnet.log" 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(session_status)" = 0 ]
	# Enter is one CR; a pty cannot break: the BREAK is CR ~ ^B; the
	# AYT sent the guest nothing
	guest_got pbx 'abc\r\r~\002'
}

# --- Hostile input ---------------------------------------------------------

@test "-t -p: 1 MiB of random bytes: no crash, the session still works" {
	session pbx -t -p
	pid=$(session_pid)
	seed=$RANDOM
	echo "seed $seed"
	python3 - "$seed" "$T/random" <<'EOF'
import random, sys
rnd = random.Random(int(sys.argv[1]))
# no '.': only the test ends the session; COM-PORT agreed first
data = bytes(rnd.choice(range(256)) for _ in range(1 << 20)).replace(b".", b",")
open(sys.argv[2], "wb").write(b"\xff\xfb\x2c" + data)
EOF
	client_send_file c "$T/random"
	# Whatever state the decoder is in: end an SB, a pending command, a
	# suspended flow, then a line.
	send_bytes c 'x\377\360x\377\360\377\372\054\011\377\360\rhello\r'
	recv_sync c
	_alive "$pid"
	[ "$(tail -c 7 "$T/pbx.rec" | od -An -c | tr -d ' ')" = '\rhello\r' ]
}

@test "-t -p: every telnet sequence split at every byte, each part read on its own" {
	session pbx -t -p
	pid=$(session_pid)
	wait_file_size "$T/c.recv" 15
	send_bytes c '\377\373\054'
	recv_sync c
	tn_python - "$pid" "$T/c.in" "$T/c.recv" "$T/expected" <<'EOF'
import sys
from tnclient import rchar, wait_rchar
pid, fifo, recv, exp = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
IAC = b"\xff"
# (sequence, what the guest gets, what the client gets or None)
cases = [
    (b"a\xff\xffb", b"a\xffb", None),
    (b"\xff\xf4", b"\x03", None),                   # IP
    (b"\xff\xf7", b"\x7f", None),                   # EC
    (b"\xff\xf8", b"\x15", None),                   # EL
    (b"\xff\xf1\xff\xf2\xff\xf5\xff\xf9", b"", None),   # NOP DM AO GA
    (b"\xff\xf6", b"", b"[conslet: yes, pbx is here]\r\n"),
    (b"\xff\xfd\x63", b"", b"\xff\xfc\x63"),        # DO 99
    (b"\xff\xfb\x63", b"", b"\xff\xfe\x63"),        # WILL 99
    (b"\xff\xfa\x18\x01\xff\xf0z", b"z", None),     # SB TTYPE SEND
    (b"\xff\xfa\x18\xff\xff\x01\xff\xf0y", b"y", None),
    (b"x\r\x00", b"x\r", None),
    (b"y\r\n", b"y\r", None),
    (b"\rw", b"\rw", None),
    (b"\xff\xfa\x2c\x01\x00\x01\xc2\x00\xff\xf0", b"",
     b"\xff\xfa\x2c\x65\x00\x01\xc2\x00\xff\xf0"),  # SET-BAUDRATE 115200
    (b"\xff\xfa\x2c\x05\x04\xff\xf0", b"",
     b"\xff\xfa\x2c\x69\x06\xff\xf0"),              # BREAK state query
    (b"\r~w", b"\r", b"(you)]\r\n"),
    (b"\r\xff\xf1~w", b"\r", b"(you)]\r\n"),
]
want = bytearray()
for seq, guest, client in cases:
    for k in range(1, len(seq)):
        before = len(open(recv, "rb").read())
        start = rchar(pid)
        with open(fifo, "wb") as f:
            f.write(seq[:k])
        wait_rchar(pid, start + k)
        with open(fifo, "wb") as f:
            f.write(seq[k:])
        wait_rchar(pid, start + len(seq))
        want += guest
        if client is not None:
            import time
            end = time.monotonic() + 10
            while client not in open(recv, "rb").read()[before:]:
                if time.monotonic() > end:
                    sys.exit("%r split at %d: no %r for the client"
                             % (seq, k, client))
                time.sleep(0.01)
open(exp, "wb").write(want)
EOF
	recv_sync c
	wait_file_size "$T/pbx.rec" "$(_file_size "$T/expected")"
	assert_same_bytes "$T/expected" "$T/pbx.rec"
	_alive "$pid"
}

@test "-t -p: a storm of 100000 option negotiations: one answer at most each, none to an answer, memory bounded" {
	start_guest pbx
	serve -t -p pbx
	tn_python - "$PORT" "$SERVER_ERR" <<'EOF'
import random, sys
from tnclient import Client, session_pid, status
port, err = sys.argv[1], sys.argv[2]
c = Client(port)
c.wait_size(15)
pid = session_pid(err)
c.sync()
before = status(pid, "VmHWM")
seed = random.randrange(1 << 30)
print("seed", seed)
rnd = random.Random(seed)
verbs = (251, 252, 253, 254)

# 1. 100000 requests from a client that answers nothing: the server
# answers each at most once, and then is silent (a ~w comes next).
start = c.size()
storm = bytearray()
for _ in range(100000):
    storm += bytes((0xff, rnd.choice(verbs),
                    rnd.choice((0, 1, 3, 44, rnd.randrange(256)))))
c.send(bytes(storm))
c.sync()
replies = c.data()[start:].find(b"[conslet:")
print("storm: %d bytes of answers to 100000 requests" % replies)
if replies > 3 * 100000:
    sys.exit("more answers than requests")

# 2. A client that acknowledges every answer (agrees to all of it, as a
# naive client would): RFC 1143 leaves none of those acknowledgements
# answered, so nothing comes between two ~w answers. One request per
# option at a time: two opposite ones in flight would be the client's
# own loop, whatever the server does.
c.answer = True
for batch in range(20):
    opts = list(range(256))
    rnd.shuffle(opts)
    c.send(b"".join(bytes((0xff, rnd.choice(verbs), o)) for o in opts))
    c.sync()		# answered; the client has acknowledged them all
    off = c.size()
    c.sync()		# the acknowledgements are handled
    extra = c.data()[off:]
    extra = extra[:extra.find(b"[conslet:")]
    if extra:
        sys.exit("batch %d: answers to acknowledgements: %r" % (batch, extra))
print("naive client: %d acknowledgements, none answered" % c.answers)

after = status(pid, "VmHWM")
print("VmHWM before %d kB, after %d kB" % (before, after))
if after - before >= 4096:
    sys.exit("memory grew by %d kB" % (after - before))
EOF
}

# --- Findings of the fuzz targets (tests/fuzz) ------------------------------

# fuzz_escape: several escapes in one read can give the device more bytes
# than the read had, past the 4 the relay keeps free: none may be lost.
@test "-A: ~B many times in one read: every CR ~ ^B reaches the guest" {
	session pbx -A
	python3 -c 'import sys; sys.stdout.buffer.write(b"\r~B" * 40000)' >"$T/in"
	python3 -c 'import sys; sys.stdout.buffer.write(b"\r\r~\x02" * 40000)' >"$T/expected"
	client_send_file c "$T/in"
	wait_file_size "$T/pbx.rec" 160000
	assert_same_bytes "$T/expected" "$T/pbx.rec"
}

# fuzz_telnet: the same with IAC BRK, 2 bytes in and CR ~ ^B out.
@test "-t -A: IAC BRK many times in one read: every CR ~ ^B reaches the guest" {
	session pbx -t -A
	python3 -c 'import sys; sys.stdout.buffer.write(b"\xff\xf3" * 40000)' >"$T/in"
	python3 -c 'import sys; sys.stdout.buffer.write(b"\r~\x02" * 40000)' >"$T/expected"
	client_send_file c "$T/in"
	wait_file_size "$T/pbx.rec" 120000
	assert_same_bytes "$T/expected" "$T/pbx.rec"
}
