#!/usr/bin/env bats
# The writer lock: one writer per device, a busy console names its holder,
# nothing stale after the holder leaves or is killed; conslet -l.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

# list: conslet -l for the test's directories.
list() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l
}

# _listed NAME PATTERN: conslet -l shows NAME with a state matching PATTERN.
_listed() {
	list | grep -q -E "^$1 +[^ ]+ +$2\$"
}

@test "a second client is told who has the console, and leaves" {
	start_guest pbx
	serve pbx
	client_start a "$PORT"
	holder=$(session_pid 1)
	hport=$(client_lport a)
	client_start b "$PORT"
	client_wait_eof b
	echo "got: $(cat "$T/b.recv")"
	grep -q -E "^\[conslet: pbx is in use by 127\.0\.0\.1:$hport \(pid $holder\) since [0-9]{2}:[0-9]{2}:[0-9]{2}\]"$'\r'"\$" "$T/b.recv"
	[ "$(session_status 2)" = 75 ]
	# and the holder was not disturbed
	client_send a "still here"
	wait_file_contains "$T/pbx.rec" "still here"
}

@test "the lock is free as soon as the holder disconnects" {
	start_guest pbx -e
	serve pbx
	client_start a "$PORT"
	wait_for _listed pbx "in use by 127\.0\.0\.1:[0-9]+ \(pid [0-9]+\) since .*"
	client_close a
	wait_for _listed pbx free
	client_start b "$PORT"
	client_send b "next"
	wait_file_contains "$T/b.recv" "next"
}

@test "a holder killed with SIGKILL leaves no lock behind" {
	start_guest pbx -e
	serve pbx
	client_start a "$PORT"
	holder=$(session_pid 1)
	wait_for _listed pbx "in use by .*"
	kill -KILL "$holder"
	wait_pid_gone "$holder"
	wait_for _listed pbx free
	client_start b "$PORT"
	client_send b "after the kill"
	wait_file_contains "$T/b.recv" "after the kill"
}

@test "two names, and a name and a path, for one device share one lock" {
	start_guest pbx
	ln -s "$GUEST_TTY" "$T/consoles/alias"
	serve pbx
	first=$PORT
	serve alias
	second=$PORT
	serve "$GUEST_TTY"
	third=$PORT
	client_start a "$first"
	wait_for _listed pbx "in use by .*"
	client_start b "$second"
	client_wait_eof b
	grep -q -F "[conslet: alias is in use by 127.0.0.1:" "$T/b.recv"
	client_start c "$third"
	client_wait_eof c
	grep -q -F "[conslet: $GUEST_TTY is in use by 127.0.0.1:" "$T/c.recv"
}

@test "conslet -l shows each console's device and state" {
	start_guest pbx
	start_guest util
	ln -s "$T/nowhere" "$T/consoles/gone"
	: >"$T/plain"
	ln -s "$T/plain" "$T/consoles/file"
	ln -s "$GUEST_TTY" "$T/consoles/.hidden"
	serve pbx
	client_start a "$PORT"
	hport=$(client_lport a)
	wait_for _listed pbx "in use by .*"
	run list
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "NAME             DEVICE                   STATE" ]
	[[ "${lines[1]}" =~ ^file\ +$T/plain\ +not\ a\ terminal\ device$ ]]
	[[ "${lines[2]}" =~ ^gone\ +$T/nowhere\ +missing$ ]]
	[[ "${lines[3]}" =~ ^pbx\ +/dev/pts/[0-9]+\ +in\ use\ by\ 127\.0\.0\.1:$hport\ \(pid\ [0-9]+\)\ since\ [0-9:]{8}$ ]]
	[[ "${lines[4]}" =~ ^util\ +/dev/pts/[0-9]+\ +free$ ]]
	[ "${#lines[@]}" -eq 5 ]
}

@test "conslet -l on a missing console directory fails with status 66" {
	run "$CONSLET" -C "$T/no-such-dir" -R "$T/run" -l
	[ "$status" -eq 66 ]
	[[ "$output" == *"console directory $T/no-such-dir: No such file or directory"* ]]
}

@test "lock files are opened without following symbolic links" {
	start_guest pbx
	# stat prints major and minor in hex
	key="dev.$((16#$(stat -L -c %t "$GUEST_TTY"))).$((16#$(stat -L -c %T "$GUEST_TTY")))"
	: >"$T/victim"
	ln -s "$T/victim" "$T/run/$key.w"
	serve pbx
	client_start a "$PORT"
	client_wait_eof a
	grep -q -F "[conslet: run directory $T/run: " "$T/a.recv"
	[ "$(session_status)" = 71 ]
	[ ! -s "$T/victim" ]
}
