#!/usr/bin/env bats
# conslet under each real super-server, and who it says the peer is.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

# both_ways: all 256 byte values and 64 KiB of random bytes, each way.
both_ways() {
	all_bytes "$T/all"
	random_bytes "$T/rand" 65536
	cat "$T/all" "$T/rand" >"$T/payload"
	client_send_file c "$T/payload"
	guest_print_file pbx "$T/payload"
	wait_file_size "$T/pbx.rec" 65792
	wait_file_size "$T/c.recv" 65792
	assert_same_bytes "$T/payload" "$T/pbx.rec"
	assert_same_bytes "$T/payload" "$T/c.recv"
}

# busy_names_peer: a second client hears who holds the console.
busy_names_peer() {
	client_start d "$PORT" socat
	client_wait_eof d
	cat "$T/d.recv"
	grep -q -E '^\[conslet: pbx is in use by 127\.0\.0\.1:[0-9]+ \(pid [0-9]+\) since [0-9:]{8}\]'$'\r''$' "$T/d.recv"
}

@test "openbsd-inetd: bytes both ways, busy, and nothing on the socket but the console" {
	start_guest pbx
	start_inetd -E -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" pbx
	client_start c "$PORT"
	both_ways
	busy_names_peer
	guest_hangup pbx
	client_wait_eof c
	# stderr is the socket under inetd: only the console's bytes, and
	# with -E not even the notice that it closed
	assert_same_bytes "$T/payload" "$T/c.recv"
}

@test "openbsd-inetd: a refusal reaches the client once, as a bracketed line" {
	start_inetd -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" nope
	client_start c "$PORT"
	client_wait_eof c
	[ "$(cat "$T/c.recv")" = "[conslet: no such console: nope]"$'\r' ]
}

@test "systemd-socket-activate --inetd -a: bytes both ways and busy" {
	start_guest pbx
	start_socket_activate -E -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" pbx
	client_start c "$PORT"
	both_ways
	busy_names_peer
}

@test "tcpserver with socat as the client: bytes both ways and busy" {
	start_guest pbx
	start_tcpserver -E -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" pbx
	client_start c "$PORT" socat
	both_ways
	busy_names_peer
}

# direct VAR=VALUE...: run conslet on console pbx with only these
# variables, its input a fifo held open; sets DIRECT_PID.
direct() {
	mkfifo "$T/direct.in"
	sleep 2147483647 >"$T/direct.in" 3>&- &
	track_pid $!
	env -i PATH="$PATH" CONSLET_TESTDIR="$T" "$@" "$CONSLET" \
	    -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" pbx <"$T/direct.in" \
	    >"$T/direct.out" 2>"$T/direct.err" 3>&- &
	DIRECT_PID=$!
	track_pid "$DIRECT_PID"
}

# _peer_is PEER: conslet -l says pbx is in use by PEER.
_peer_is() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l |
	    grep -q -F " in use by $1 (pid $DIRECT_PID) since "
}

# peer VAR=VALUE... -- EXPECTED: conslet started with those variables
# records EXPECTED as its peer.
peer() {
	local want
	want=${*: -1}
	start_guest pbx
	direct "${@:1:$(($# - 1))}"
	wait_for _peer_is "$want" || {
		"$CONSLET" -C "$T/consoles" -R "$T/run" -l
		cat "$T/direct.err"
		return 1
	}
}

@test "peer from UCSPI: TCPREMOTEIP and TCPREMOTEPORT" {
	peer TCPREMOTEIP=192.0.2.7 TCPREMOTEPORT=51234 "192.0.2.7:51234"
}

@test "peer from UCSPI over IPv6: PROTO=TCP6" {
	peer PROTO=TCP6 TCP6REMOTEIP=2001:db8::1 TCP6REMOTEPORT=7 "[2001:db8::1]:7"
}

@test "peer from systemd: REMOTE_ADDR, a v4-mapped address shown as v4" {
	peer REMOTE_ADDR=::ffff:198.51.100.3 REMOTE_PORT=9 "198.51.100.3:9"
}

@test "peer from sshd: SSH_CLIENT, with the user" {
	peer "SSH_CLIENT=203.0.113.5 4444 22" "$(id -un)@203.0.113.5:4444"
}

@test "hostile peer variables are ignored" {
	peer "TCPREMOTEIP=1.2.3.4; rm -rf /" TCPREMOTEPORT=1 \
	    REMOTE_ADDR=192.0.2.1 REMOTE_PORT=99999 \
	    "SSH_CLIENT=192.0.2.2 22 22 extra" \
	    "unknown"
}

@test "UCSPI variables come before systemd's, systemd's before sshd's" {
	peer TCPREMOTEIP=192.0.2.1 TCPREMOTEPORT=1 REMOTE_ADDR=192.0.2.2 \
	    REMOTE_PORT=2 "SSH_CLIENT=192.0.2.3 3 22" "192.0.2.1:1"
}
