#!/usr/bin/env bats
# conslet under each real super-server, and who it says the peer is; the
# samples for them: inetd.conf.sample's lines under openbsd-inetd, and
# contrib/tcpserver's rules under tcpserver.

setup() {
	load lib/helpers
	load lib/conslog
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

# --- The samples: inetd.conf.sample, contrib/tcpserver -----------------------

# start_inetd_line LINE: run openbsd-inetd on one inetd.conf line; sets
# PORT from the line.
start_inetd_line() {
	local log
	[ -x "$INETD" ] || skip "$INETD is not installed"
	log=$(_next_log inetd)
	printf '%s\n' "$1" >"$T/$log.conf"
	PORT=${1%%[[:space:]]*}
	PORT=${PORT##*:}
	run_inetd "$T/$log.conf"
}

# sample_line N: the Nth Debian line of inetd.conf.sample, uncommented,
# on a free port, with the built conslet and the test's directories
# (run, console and UUCP lock).
sample_line() {
	local line port
	line=$(sed -n '/^# --- Debian/,$s/^#127\.0\.0\.1:/127.0.0.1:/p' \
	    "$TOP/inetd.conf.sample" | sed -n "${1}p")
	[ -n "$line" ] || return 1
	port=$(free_port) || return 1
	printf '%s\n' "$line" | tr '\t' ' ' | sed -e "s|^127\.0\.0\.1:[0-9]*|127.0.0.1:$port|" \
	    -e "s|/usr/local/bin/conslet\([[:space:]]*\)conslet|$CONSLET\1conslet -C $T/consoles -R $T/run -U $T/lock|"
}

@test "inetd.conf.sample: each Debian line serves the console through openbsd-inetd" {
	[ "$(id -u)" = 0 ] || skip "the sample's lines run conslet as root"
	local line
	[ "$(sed -n '/^# --- Debian/,$p' "$TOP/inetd.conf.sample" | grep -c '^#127')" = 4 ]
	start_guest pbx

	# every console: the client names it at the prompt
	line=$(sample_line 1)
	echo "$line"
	[[ $line == *" nowait root $CONSLET conslet -C $T/consoles -R $T/run -U $T/lock -m -u nobody" ]]
	start_inetd_line "$line"
	client_start m "$PORT"
	wait_file_contains "$T/m.recv" "console (? for a list): "
	client_send m $'pbx\ntyped-at-menu'
	wait_file_contains "$T/pbx.rec" "typed-at-menu"
	client_close m
	client_wait_eof m

	# the console: writer
	line=$(sample_line 2)
	echo "$line"
	[[ $line == *" nowait root $CONSLET conslet -C $T/consoles -R $T/run -U $T/lock -u nobody pbx" ]]
	start_inetd_line "$line"
	client_start c "$PORT"
	client_send c "typed-by-writer"
	wait_file_contains "$T/pbx.rec" "typed-by-writer"
	guest_print pbx "seen-by-writer"
	wait_file_contains "$T/c.recv" "seen-by-writer"
	client_close c
	client_wait_eof c

	# read-only, with a logger
	start_logger pbx
	line=$(sample_line 3)
	echo "$line"
	[[ $line == *" conslet -C $T/consoles -R $T/run -U $T/lock -r -u nobody pbx" ]]
	start_inetd_line "$line"
	client_start v "$PORT"
	wait_who pbx 1
	guest_print pbx "seen-by-viewer"
	wait_file_contains "$T/v.recv" "seen-by-viewer"
	client_close v
	client_wait_eof v

	# telnet with RFC 2217: it opens with telnet negotiation
	line=$(sample_line 4)
	echo "$line"
	[[ $line == *" conslet -C $T/consoles -R $T/run -U $T/lock -t -p -u nobody pbx" ]]
	start_inetd_line "$line"
	client_start t "$PORT"
	wait_file_size "$T/t.recv" 3
	[ "$(head -c 1 "$T/t.recv" | od -An -tu1 | tr -d ' ')" = 255 ]
	guest_print pbx "seen-by-telnet"
	wait_file_contains "$T/t.recv" "seen-by-telnet"
}

@test "inetd.conf.sample: the FreeBSD lines have their /etc/services names" {
	local f=$TOP/inetd.conf.sample svc line
	[ "$(grep -c '^#conslet' "$f")" = 4 ]
	while read -r line; do
		svc=${line%%[[:space:]]*}
		svc=${svc#\#}
		grep -q -E "^#[[:space:]]+$svc[[:space:]]+[0-9]+/tcp" "$f" ||
		    { echo "no /etc/services line for $svc"; return 1; }
		[[ $line == *"nowait/8/20/4"*"root"*"/usr/local/bin/conslet"* ]]
	done < <(grep '^#conslet' "$f")
}

@test "the tcpserver rules sample builds with tcprules, and tcpserver applies it" {
	require tcprules tcpserver
	grep -v -E '^(#|$)' "$TOP/contrib/tcpserver/rules.sample" >"$T/rules"
	[ "$(wc -l <"$T/rules")" = 5 ]
	tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
	# 127.0.0.1 is allowed: the console answers
	start_guest pbx
	_spawn "$T/ts.out" "$T/ts.err" tcpserver -1 -v -x "$T/rules.cdb" \
	    -H -R -l 0 127.0.0.1 0 "$CONSLET" -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" pbx
	SERVER_PID=$SPAWN_PID SERVER_ERR=$T/ts.err
	wait_for _first_line_is_port "$T/ts.out"
	PORT=$(head -n 1 "$T/ts.out")
	wait_listen "$PORT" "$SERVER_PID"
	client_start c "$PORT"
	client_send c "allowed"
	wait_file_contains "$T/pbx.rec" "allowed"
	# with 127.0.0.1 taken out, the catch-all deny closes at once
	grep -v '^127' "$T/rules" >"$T/rules2"
	tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules2"
	client_start d "$PORT"
	client_wait_eof d
	grep -q 'deny' "$SERVER_ERR"
}
