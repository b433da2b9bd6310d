#!/usr/bin/env bats
# Escapes: recognised only at the start of a line, from one table, split
# across reads; BREAK and its CR ~ ^B fallback; hostile input.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

@test "~. disconnects; what was typed before it reaches the guest" {
	session pbx
	client_send c $'ls\r~.'
	wait_file_contains "$T/c.recv" "[conslet: disconnected]"$'\r\n'
	[ "$(session_status)" = 0 ]
	client_wait_eof c
	guest_got pbx 'ls\r'
}

@test "~~ sends one ~, and any other ~x passes through as both bytes" {
	session pbx
	client_send c $'\r~~a\r~x\n~\002'
	guest_got pbx '\r~a\r~x\n~\002'
}

@test "FreeBSD's alternate break CR ~ ^B reaches the guest unchanged" {
	session pbx
	client_send c $'\r~\002'
	guest_got pbx '\r~\002'
}

@test "the escape character is plain inside a line" {
	session pbx
	client_send c $'a~.b~?c\r'
	guest_got pbx 'a~.b~?c\r'
	_alive "$(session_pid)"
	run grep -c -F "[conslet:" "$T/c.recv"
	[ "$output" = 0 ]
}

@test "an escape works as the very first bytes and after LF" {
	session pbx
	client_send c '~w'
	wait_file_contains "$T/c.recv" "(you)]"
	client_send c $'x\n~.'
	wait_file_contains "$T/c.recv" "[conslet: disconnected]"
	guest_got pbx 'x\n'
}

@test "escapes split across reads still work" {
	session pbx
	client_send c $'one\r~'
	wait_file_contains "$T/pbx.rec" $'one\r'
	client_send c 'x'
	wait_file_contains "$T/pbx.rec" $'one\r~x'
	client_send c $'\r~'
	wait_file_size "$T/pbx.rec" 7
	client_send c '.'
	wait_file_contains "$T/c.recv" "[conslet: disconnected]"
	guest_got pbx 'one\r~x\r'
}

@test "~w names the writer: address, pid, since when" {
	session pbx
	pid=$(session_pid)
	client_send c '~w'
	wait_file_contains "$T/c.recv" "(you)]"
	grep -q -E "^\[conslet: pbx: writer 127\.0\.0\.1:[0-9]+ \(pid $pid\) since [0-9]{2}:[0-9]{2}:[0-9]{2} \(you\)\]"$'\r'"\$" "$T/c.recv"
	[ ! -s "$T/pbx.rec" ]
}

@test "~? lists exactly the escapes of the manual, in its order" {
	session pbx
	client_send c '~?'
	wait_file_contains "$T/c.recv" "~~  "
	help=$(grep -a -o -E '^\[conslet: ~. ' "$T/c.recv" | cut -c11-12 | tr '\n' ' ')
	man=$(awk '/^\.Sh ESCAPES/,/^\.Sh ENVIRONMENT/' "$TOP/man/conslet.8" |
	    sed -n 's/^\.It Ic \(~.\)$/\1/p' | tr '\n' ' ')
	echo "help: $help"
	echo "manual: $man"
	[ -n "$help" ]
	[ "$help" = "$man" ]
	# every help line is a bracketed line of its own
	[ "$(grep -a -c -E '^\[conslet: ~. .*\]'$'\r''$' "$T/c.recv")" -eq "$(echo $man | wc -w)" ]
	[ ! -s "$T/pbx.rec" ]
}

@test "-e ^] makes ^] the escape character and ~ plain" {
	session pbx -e '^]'
	client_send c $'~.\r\035?'
	wait_file_contains "$T/c.recv" "[conslet: ^]^]  send the escape character]"
	client_send c $'\r\035\035\r\035.'
	wait_file_contains "$T/c.recv" "[conslet: disconnected]"
	guest_got pbx '~.\r\r\035\r'
}

@test "-E turns escapes off" {
	session pbx -E
	client_send c $'~.\r~?\r~~'
	guest_got pbx '~.\r~?\r~~'
	_alive "$(session_pid)"
	[ ! -s "$T/c.recv" ]
}

@test "~B calls tcsendbreak on a device that can break (a serial port)" {
	require strace
	start_guest pbx
	# LeakSanitizer cannot work under ptrace: no leak check here; the
	# shim shows the pty as a serial port
	CONSLET=$(command -v strace) \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
	    with_shims serialshim start_tcpserver -f -qq -o "$T/trace" \
	    -e trace=ioctl "$TOP/src/conslet" -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" pbx
	client_start c "$PORT"
	client_send c $'\r~B'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent]"$'\r\n'
	grep -E 'ioctl\([0-9]+, TCSBRK' "$T/trace"
	guest_got pbx '\r'
}

@test "-A sends CR ~ ^B instead of a BREAK" {
	start_guest pbx
	serve_nobreak -A pbx
	client_start c "$PORT"
	client_send c $'\r~B'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]"$'\r\n'
	guest_got pbx '\r\r~\002'
	[ ! -e "$T/breaks" ]
}

@test "where the device cannot break (ENOTTY, as on nmdm), CR ~ ^B is sent" {
	start_guest pbx
	# a serial port whose tcsendbreak fails as nmdm's does
	serve_nobreak -s pbx
	client_start c "$PORT"
	client_send c $'\r~B'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]"$'\r\n'
	guest_got pbx '\r\r~\002'
	grep -q -x tcsendbreak "$T/breaks"
}

@test "random bytes dense with escapes reach the guest as the model says" {
	session pbx
	seed=$RANDOM
	echo "seed $seed"
	python3 - "$seed" 200000 "$T/input" "$T/expected" <<'EOF'
import random, sys
seed, n, inp, exp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
rnd = random.Random(seed)
# everything but '.', so that only the final ~. ends the session
alphabet = b"\r\n~~~?Bwxa\x02\x00\x7f\xff"
data = bytes(rnd.choice(alphabet) for _ in range(n)) + b"\r~."
TILDE, CR, LF = 0x7e, 0x0d, 0x0a
BOL, MID, SEEN = 0, 1, 2
out, state = bytearray(), BOL
for c in data:
    if state == SEEN:
        state = MID
        if c == TILDE:
            out.append(c)
            continue
        if c in b".?Bw":
            state = BOL
            if c == ord("."):
                break
            if c == ord("B"):	# a pty cannot break: CR ~ ^B
                out += b"\r~\x02"
            continue
        out.append(TILDE)
    elif state == BOL and c == TILDE:
        state = SEEN
        continue
    out.append(c)
    state = BOL if c in (CR, LF) else MID
open(inp, "wb").write(data)
open(exp, "wb").write(out)
EOF
	client_send_file c "$T/input"
	[ "$(session_status)" = 0 ]
	assert_same_bytes "$T/expected" "$T/pbx.rec"
}
