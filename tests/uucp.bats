#!/usr/bin/env bats
# UUCP locks: while conslet has write access (or conslog reads the
# device) it holds LCK..NAME, so cu, tip and minicom keep out, and picocom
# is kept out by flock(2); another program's live lock keeps conslet out.

setup() {
	load helpers
	load logger
	common_setup
	mkdir -p "$T/lock"
	chmod 1777 "$T/lock"
}

teardown() {
	common_teardown
	[ -z "${LOCKDIR:-}" ] || rm -rf "$LOCKDIR"
}

# lock_of TTY: the lock file for the device in the test's lock directory.
lock_of() {
	echo "$T/lock/LCK..${1##*/}"
}

# _lock_pid_is FILE PID: FILE holds PID the HDB way, ten columns wide.
_lock_pid_is() {
	[ -e "$1" ] && [ "$(cat "$1")" = "$(printf '%10d' "$2")" ]
}

# foreign_lock TTY: a live process (tracked) holds the lock of TTY.
foreign_lock() {
	sleep 2147483647 <&- >/dev/null 2>&1 3>&- &
	FOREIGN=$!
	track_pid "$FOREIGN"
	printf '%10d\n' "$FOREIGN" >"$(lock_of "$1")"
}

@test "a writer holds LCK..tty with its pid for as long as it has the console" {
	start_guest pbx
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	lock=$(lock_of "$GUEST_TTY")
	wait_for _lock_pid_is "$lock" "$pid"
	[ "$(stat -c %a "$lock")" = 644 ]
	client_send c "x"
	wait_file_contains "$T/pbx.rec" "x"
	client_close c
	[ "$(session_status 1)" = 0 ]
	[ ! -e "$lock" ]
	# nothing else left in the lock directory
	[ -z "$(ls -A "$T/lock")" ]
}

@test "cu and picocom are refused while a client has the console" {
	require cu picocom
	[ -d /var/lock ] || skip "no /var/lock"
	start_guest pbx
	serve pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	wait_for _lock_pid_is "/var/lock/LCK..${GUEST_TTY##*/}" "$pid"
	run timeout "$WAIT_TIMEOUT" cu -l "$GUEST_TTY" </dev/null
	echo "cu: $status $output"
	[ "$status" = 1 ]
	[[ $output == *"Line in use"* ]]
	run timeout "$WAIT_TIMEOUT" picocom -q "$GUEST_TTY" </dev/null
	echo "picocom: $status $output"
	[ "$status" = 1 ]
	[[ $output == *"cannot lock"* ]]
	# the client still has its console, and the lock is still its own
	client_send c "still mine"
	wait_file_contains "$T/pbx.rec" "still mine"
	_lock_pid_is "/var/lock/LCK..${GUEST_TTY##*/}" "$pid"
	client_close c
	wait_for not test -e "/var/lock/LCK..${GUEST_TTY##*/}"
}

@test "another program's live lock keeps conslet out, and says whose it is" {
	start_guest pbx
	foreign_lock "$GUEST_TTY"
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	client_wait_eof c
	cat -v "$T/c.recv"
	grep -q -a -x -F "[conslet: pbx is in use by pid $FOREIGN (UUCP lock in $T/lock)]"$'\r' "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
	_lock_pid_is "$(lock_of "$GUEST_TTY")" "$FOREIGN"
	# and conslet's own lock is free again: -l says so
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l | grep -q -E '^pbx +[^ ]+ +free$'
}

@test "a stale lock, of a dead pid or of no pid, is cleared" {
	start_guest pbx
	lock=$(lock_of "$GUEST_TTY")
	true &
	dead=$!
	wait "$dead"
	serve -U "$T/lock" pbx
	for content in "$(printf '%10d\n' "$dead")" "garbage" ""; do
		printf '%s' "$content" >"$lock"
		n=$(grep -c '^tcpserver: pid ' "$T/tcpserver.err" || true)
		client_start c "$PORT"
		pid=$(session_pid $((n + 1)))
		wait_for _lock_pid_is "$lock" "$pid"
		client_close c
		wait_for not test -e "$lock"
	done
}

@test "-U none: no lock is made, and none is looked at" {
	start_guest pbx
	foreign_lock "$GUEST_TTY"
	serve -U none pbx
	client_start c "$PORT"
	client_send c "through"
	wait_file_contains "$T/pbx.rec" "through"
	_lock_pid_is "$(lock_of "$GUEST_TTY")" "$FOREIGN"
	[ "$(ls -A "$T/lock")" = "LCK..${GUEST_TTY##*/}" ]
}

@test "conslog holds the lock while it reads, and its writers go through it" {
	start_guest pbx
	start_logger pbx -U "$T/lock"
	lock=$(lock_of "$GUEST_TTY")
	wait_for _lock_pid_is "$lock" "$LOGGER_PID"
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	client_send c "typed"
	wait_file_contains "$T/pbx.rec" "typed"
	_lock_pid_is "$lock" "$LOGGER_PID"
	client_close c
	[ "$(session_status 1)" = 0 ]
	# the writer left the logger's lock alone
	_lock_pid_is "$lock" "$LOGGER_PID"
	kill -TERM "$LOGGER_PID"
	logger_wait_exit "$LOGGER_PID"
	[ "$LOGGER_STATUS" = 0 ]
	[ ! -e "$lock" ]
}

@test "conslog waits while another program has the port, then attaches" {
	start_guest pbx
	foreign_lock "$GUEST_TTY"
	spawn_logger pbx -U "$T/lock"
	wait_file_contains "$LOGGER_ERR" "is in use by pid $FOREIGN (UUCP lock in $T/lock), waiting"
	[ ! -s "$LOGGER_READY" ]
	# said once, not at every retry
	wait_for _alive "$LOGGER_PID"
	kill -TERM "$FOREIGN"
	wait_pid_gone "$FOREIGN"
	logger_wait_ready -t 20
	wait_for _lock_pid_is "$(lock_of "$GUEST_TTY")" "$LOGGER_PID"
	[ "$(grep -c "UUCP lock" "$LOGGER_ERR")" = 1 ]
	guest_print pbx "logged now"
	wait_file_contains "$LOGGER_LOG" "logged now"
}

@test "conslog lets go of the lock when the guest goes, and takes the new one" {
	start_guest pbx
	start_logger pbx -U "$T/lock"
	old=$(lock_of "$GUEST_TTY")
	wait_for _lock_pid_is "$old" "$LOGGER_PID"
	guest_reboot pbx
	new=$(lock_of "$GUEST_TTY")
	wait_for _lock_pid_is "$new" "$LOGGER_PID"
	[ "$old" = "$new" ] || [ ! -e "$old" ]
}

@test "-f: the lock moves with write access to the new writer" {
	start_guest pbx
	serve_as a -U "$T/lock" pbx
	client_start a "$PORT_a"
	on_server a
	apid=$(session_pid 1)
	lock=$(lock_of "$GUEST_TTY")
	wait_for _lock_pid_is "$lock" "$apid"
	serve_as b -U "$T/lock" -f pbx
	client_start b "$PORT_b"
	on_server b
	bpid=$(session_pid 1)
	wait_for _lock_pid_is "$lock" "$bpid"
	client_wait_eof a
	grep -q -a -F "[conslet: write access taken by" "$T/a.recv"
	client_send b "b has it"
	wait_file_contains "$T/pbx.rec" "b has it"
}

@test "-u: the lock belongs to the user conslet becomes, who removes it" {
	[ "$(id -u)" = 0 ] || skip "-u needs root"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	# a lock directory the user can reach, as /var/lock is
	LOCKDIR=$(mktemp -d /tmp/conslet-lock.XXXXXX)
	chmod 1777 "$LOCKDIR"
	start_guest pbx
	serve -U "$LOCKDIR" -u nobody pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	lock=$LOCKDIR/LCK..${GUEST_TTY##*/}
	wait_for _lock_pid_is "$lock" "$pid"
	[ "$(stat -c %U "$lock")" = nobody ]
	[ "$(stat -c %U "/proc/$pid")" = nobody ]
	client_close c
	[ "$(session_status 1)" = 0 ]
	[ ! -e "$lock" ]
}

@test "-U takes an absolute path or none" {
	run "$CONSLET" -U lock pbx
	[ "$status" = 64 ]
	[[ $output == *"UUCP lock directory is invalid: lock: not an absolute path"* ]]
	run conslog_run -U lock pbx
	[ "$status" = 64 ]
	[[ $output == *"UUCP lock directory is invalid: lock: not an absolute path"* ]]
}
