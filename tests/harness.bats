#!/usr/bin/env bats
# Checks of the test harness itself (fakeguest and helpers.bash), with
# stand-in programs where conslet would be served.

# shellcheck disable=SC2016
load lib/helpers

setup() {
	common_setup
	[ -x "$FAKEGUEST" ] || cc -Wall -Wextra -O2 -o "$FAKEGUEST" \
	    "$TOP/tests/tools/fakeguest.c"
}

teardown() {
	common_teardown
}

# reader_start ID TTY: read the tty as it is (no termios change) into $T/ID.recv.
reader_start() {
	_spawn "$T/$1.recv" "$T/$1.err" socat -u "OPEN:$2,noctty" -
	READER_PID=$SPAWN_PID
	wait_for _has_open "$READER_PID" "$2"
}

# _has_open PID PATH: the process has PATH open.
_has_open() {
	find "/proc/$1/fd" -lname "$2" 2>/dev/null | grep -q .
}

# script FILE TEXT: an executable sh script.
script() {
	printf '#!/bin/sh\n%s\n' "$2" >"$1"
	chmod +x "$1"
}

@test "fakeguest: link, pidfile and ready line" {
	start_guest g
	[ -L "$T/consoles/g" ]
	[ "$(readlink "$T/consoles/g")" = "$GUEST_TTY" ]
	[ -c "$GUEST_TTY" ]
	[ "$(cat "$T/g.pid")" = "$GUEST_PID" ]
	[ -p "$T/g.out" ]
	# The temporary link name is gone and hidden names only.
	[ "$(ls -A "$T/consoles")" = g ]
	run "$FAKEGUEST" -l "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == usage:* ]]
}

@test "fakeguest: fifo to slave, all 256 byte values, unconfigured line" {
	start_guest g
	all_bytes "$T/all"
	reader_start r "$GUEST_TTY"
	guest_print_file g "$T/all"
	wait_file_size "$T/r.recv" 256
	assert_same_bytes "$T/all" "$T/r.recv"
	# Nothing came back: the line is raw, no echo.
	[ "$(_file_size "$T/g.rec")" -eq 0 ]
}

@test "fakeguest: 1 MiB through the fifo with back-pressure, nothing lost" {
	start_guest g
	random_bytes "$T/big" 1048576
	# Written before anybody reads: the fifo, the guest and the pty fill up.
	guest_print_file g "$T/big" >"$T/print.err" 2>&1 3>&- &
	track_pid $!
	reader_start r "$GUEST_TTY"
	wait_file_size -t 30 "$T/r.recv" 1048576
	assert_same_bytes "$T/big" "$T/r.recv"
}

@test "fakeguest: slave to record file, byte-exact" {
	start_guest g
	all_bytes "$T/all"
	random_bytes "$T/big" 1048576
	cat "$T/all" "$T/big" >"$T/want"
	cat "$T/all" >"$GUEST_TTY"
	cat "$T/big" >"$GUEST_TTY"
	wait_file_size "$T/g.rec" $((1048576 + 256))
	assert_same_bytes "$T/want" "$T/g.rec"
}

@test "fakeguest -e: echoes what it receives, after recording it" {
	start_guest g -e
	reader_start r "$GUEST_TTY"
	random_bytes "$T/big" 300000
	cat "$T/big" >"$GUEST_TTY"
	wait_file_size -t 30 "$T/r.recv" 300000
	assert_same_bytes "$T/big" "$T/r.recv"
	assert_same_bytes "$T/big" "$T/g.rec"
}

@test "fakeguest: SIGUSR1 hangs up, SIGHUP comes back with the held bytes" {
	start_guest g
	old=$GUEST_TTY
	reader_start r "$old"
	guest_print g "before"
	wait_file_contains "$T/r.recv" before
	guest_hangup g
	wait_pid_gone "$READER_PID"		# the reader saw EOF or EIO
	[ "$(readlink "$T/consoles/g")" = "$old" ]	# dangling now
	_alive "$GUEST_PID"
	guest_print g "during"			# kept until the rebirth
	guest_reboot g
	[ "$(readlink "$T/consoles/g")" = "$GUEST_TTY" ]
	reader_start r2 "$GUEST_TTY"
	wait_file_contains "$T/r2.recv" during
	[ "$(grep -c '^ready ' "$T/g.stdout")" -eq 2 ]
}

@test "fakeguest: SIGHUP without a hang-up moves the link to a new pty" {
	start_guest g
	old=$GUEST_TTY
	reader_start r "$old"
	guest_reboot g
	[ "$GUEST_TTY" != "$old" ]
	[ "$(readlink "$T/consoles/g")" = "$GUEST_TTY" ]
	wait_pid_gone "$READER_PID"		# the old pty was closed
}

@test "fakeguest: a session leader taking the slave as ctty does no harm" {
	start_guest g
	setsid sh -c 'exec 5<>"$1"; tty <&5' sh "$GUEST_TTY" >"$T/ctty" 3>&-
	guest_print g "still here"
	reader_start r "$GUEST_TTY"
	wait_file_contains "$T/r.recv" "still here"
}

@test "fakeguest: a vhangup of the line is survived, line stays raw" {
	[ "$(id -u)" = 0 ] || skip "vhangup needs root"
	printf '%s\n' '#include <fcntl.h>' '#include <unistd.h>' \
	    'int main(int c, char **v) { (void)c;' \
	    'return open(v[1], O_RDWR) == -1 || vhangup() == -1; }' >"$T/vh.c"
	cc -o "$T/vh" "$T/vh.c"
	start_guest g
	# Session leader, the slave its controlling tty, hangs it up (and
	# gets SIGHUP itself).
	setsid "$T/vh" "$GUEST_TTY" 3>&- || true
	guest_print g "after"
	reader_start r "$GUEST_TTY"
	wait_file_contains "$T/r.recv" after
	[ "$(_file_size "$T/g.rec")" -eq 0 ]	# no echo: still raw
}

@test "fakeguest: SIGTERM removes link and pidfile and exits 0" {
	start_guest g
	kill -TERM "$GUEST_PID"
	st=0
	wait "$GUEST_PID" || st=$?	# not under run: a subshell cannot wait
	[ "$st" -eq 0 ]
	[ ! -e "$T/consoles/g" ]
	[ ! -L "$T/consoles/g" ]
	[ ! -e "$T/g.pid" ]
}

@test "fakeguest -d: login, commands, backspace, exit" {
	start_guest demo -d
	reader_start r "$GUEST_TTY"
	wait_file_contains "$T/r.recv" "demo login: "
	printf 'root\r' >"$GUEST_TTY"
	wait_file_contains "$T/r.recv" "Password:"
	printf 'secret\r' >"$GUEST_TTY"
	wait_file_contains "$T/r.recv" '$ '
	run grep -c secret "$T/r.recv"
	[ "$output" = 0 ]
	printf 'unamx\177e\r' >"$GUEST_TTY"
	wait_file_contains "$T/r.recv" "FakeOS demo"
	printf 'whoami\n' >"$GUEST_TTY"
	wait_file_contains "$T/r.recv" $'root\r\n$ '
	printf 'reboot\r' >"$GUEST_TTY"
	wait_file_contains "$T/r.recv" "reboot: not found"
	printf 'exit\r' >"$GUEST_TTY"
	wait_file_contains "$T/r.recv" $'logout\r\n\r\ndemo login: '
}

@test "wait_for: gives up after its deadline and says so" {
	start=$(_now_us)
	run wait_for -t 0.3 false
	[ "$status" -eq 1 ]
	[[ "$output" == *"gave up after 0.3s waiting for: false"* ]]
	[ $(($(_now_us) - start)) -lt 2000000 ]
	run wait_listen -t 0.2 "$(free_port)"
	[ "$status" -eq 1 ]
	run wait_file_contains -t 0.2 /dev/null x
	[ "$status" -eq 1 ]
}

@test "client_start: a refused connection fails at once and says why" {
	start=$(_now_us)
	run client_start c1 "$(free_port)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"to port"*"failed (status 1)"* ]]
	[ $(($(_now_us) - start)) -lt 3000000 ]
}

@test "free_port: in range and unused" {
	p=$(free_port)
	[ "$p" -ge 20000 ]
	[ "$p" -le 60999 ]
	run _port_used "$p"
	[ "$status" -eq 1 ]
}

@test "tcpserver: port readback, a cat session, exit status" {
	CONSLET=/bin/cat start_tcpserver
	[ -n "$PORT" ]
	client_start c1 "$PORT"
	client_send c1 "ping"
	wait_file_contains "$T/c1.recv" ping
	pid=$(session_pid 1)
	[ "$(server_children)" = "$pid" ]
	client_close c1
	[ "$(session_status 1)" = 0 ]
	wait_server_idle
	wait_pid_gone "$(client_pid c1)"
}

@test "tcpserver: 1 MiB round trip through a socat client" {
	CONSLET=/bin/cat start_tcpserver
	random_bytes "$T/big" 1048576
	client_start c1 "$PORT" socat
	client_send_file c1 "$T/big"
	wait_file_size -t 30 "$T/c1.recv" 1048576
	assert_same_bytes "$T/big" "$T/c1.recv"
}

@test "clients: closing one client's input is EOF for it alone" {
	CONSLET=/bin/cat start_tcpserver
	client_start c1 "$PORT"
	client_start c2 "$PORT" socat
	client_close c1
	wait_pid_gone "$(client_pid c1)"
	[ "$(session_status 1)" = 0 ]
	_alive "$(client_pid c2)"
	client_send c2 "two"
	wait_file_contains "$T/c2.recv" two
}

@test "client_wait_eof: sees the server close while nc still runs" {
	CONSLET=/bin/echo start_tcpserver hello
	client_start c1 "$PORT"
	wait_file_contains "$T/c1.recv" hello
	client_wait_eof c1
	_alive "$(client_pid c1)"		# nc waits for its input to end
	client_close c1
	wait_pid_gone "$(client_pid c1)"
}

@test "inetd: port, private /run, arguments, a session" {
	CONSLET=/bin/echo start_inetd hello world
	if [ "$(id -u)" = 0 ]; then
		[ "$(cat "$T/inetd.run/inetd.pid")" = "$SERVER_PID" ]
	fi
	nc -n 127.0.0.1 "$PORT" </dev/null >"$T/recv"
	[ "$(cat "$T/recv")" = "hello world" ]
	[ "$(session_status 1)" = 0 ]
	run start_inetd "two words"
	[ "$status" -eq 1 ]
}

@test "systemd-socket-activate: a cat session with nc" {
	CONSLET=/bin/cat start_socket_activate
	client_start c1 "$PORT"
	client_send c1 "ping"
	wait_file_contains "$T/c1.recv" ping
	client_close c1
	[ "$(session_status 1)" = 0 ]
}

@test "session_status: exit codes and signals under every super-server" {
	script "$T/x75" 'exit 75'
	script "$T/sig" 'kill -TERM $$'
	for start in start_tcpserver start_inetd start_socket_activate; do
		CONSLET=$T/x75 $start
		nc -n 127.0.0.1 "$PORT" </dev/null
		[ "$(session_status 1)" = 75 ]
		CONSLET=$T/sig $start
		nc -n 127.0.0.1 "$PORT" </dev/null
		case $start in
		start_socket_activate) want=15 ;;	# its log cannot tell
		*) want="signal 15" ;;
		esac
		[ "$(session_status 1)" = "$want" ]
	done
}

@test "teardown: stops guests, servers, sessions and clients" {
	start_guest g
	CONSLET=/bin/cat start_tcpserver
	client_start c1 "$PORT"
	session=$(session_pid 1)
	CONSLET=/bin/cat start_inetd
	client_start c2 "$PORT"
	CONSLET=/bin/cat start_socket_activate
	client_start c3 "$PORT" socat
	pids="$(cat "$T/pids") $session $(server_children)"
	for p in $pids; do _alive "$p"; done
	common_teardown
	for p in $pids; do
		if _alive "$p"; then
			ps -o pid,args -p "$p"
			false
		fi
	done
	[ -z "$(_test_pids)" ]
}
