#!/usr/bin/env bats
# What goes wrong before a session: bad names, missing or non-tty consoles,
# bad option values, an unusable run directory. Each gets a clear message
# and its documented exit status, and leaves nothing behind.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

# conslet ARGS...: run conslet on the test's directories, stdin from
# /dev/null (bats' run merges stdout and stderr).
conslet() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" "$@" </dev/null
}

# nothing_left: no lock file, no process of ours.
nothing_left() {
	[ -z "$(ls -A "$T/run")" ] || { ls -la "$T/run"; return 1; }
}

@test "invalid console names are refused with status 64" {
	long=$(printf 'a%.0s' $(seq 65))
	for name in "../x" "a/b" "" "$long" ".hidden" "pbx " $'pb\033x' "pbx;ls"; do
		run conslet -- "$name"
		echo "name [$name]: status $status: $output"
		[ "$status" -eq 64 ]
		[[ "$output" == *"invalid console name: \""* ]]
	done
	# 64 bytes is the longest name
	run conslet "$(printf 'a%.0s' $(seq 64))"
	[ "$status" -eq 66 ]
	nothing_left
}

@test "names are shown safely: control bytes come back encoded" {
	run conslet $'bad\033[2Jname'
	[ "$status" -eq 64 ]
	[[ "$output" == *'invalid console name: "bad\033[2Jname"'* ]]
	[[ "$output" != *$'\033'* ]]
}

@test "a refusal reaches a TCP client as a bracketed line" {
	serve "../etc"
	client_start c "$PORT"
	client_wait_eof c
	[ "$(cat "$T/c.recv")" = "[conslet: invalid console name: \"../etc\"]"$'\r' ]
	[ "$(session_status)" = 64 ]
	# stderr is tcpserver's log here, so it has the message too
	grep -q -F 'conslet: invalid console name: "../etc"' "$SERVER_ERR"
	nothing_left
}

@test "a missing console is refused with status 66" {
	run conslet nope
	[ "$status" -eq 66 ]
	[[ "$output" == *"no such console: nope"* ]]
	ln -s "$T/nowhere" "$T/consoles/dangling"
	run conslet dangling
	[ "$status" -eq 66 ]
	[[ "$output" == *"no such console: dangling"* ]]
	run conslet /dev/no-such-device
	[ "$status" -eq 66 ]
	nothing_left
}

@test "a console that is not a terminal is refused with status 74" {
	: >"$T/plain"
	ln -s "$T/plain" "$T/consoles/file"
	ln -s /dev/null "$T/consoles/null"
	run conslet file
	[ "$status" -eq 74 ]
	[[ "$output" == *"file: $T/plain is not a terminal device"* ]]
	run conslet null
	[ "$status" -eq 74 ]
	[[ "$output" == *"null: /dev/null is not a terminal device"* ]]
	run conslet /dev/null
	[ "$status" -eq 74 ]
	nothing_left
}

@test "bad option values are refused with status 64, naming the value" {
	start_guest pbx
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run conslet $args pbx
		echo "conslet $args: status $status: $output"
		[ "$status" -eq 64 ]
		[[ "$output" == *"$want"* ]]
	done <<'EOF'
-s abc|speed is invalid: abc
-s 12345|speed is invalid: 12345: not a speed the terminal driver knows
-s 0|speed is invalid: 0: too small
-s 99999999|speed is invalid: 99999999: too large
-c 9N1|format is invalid: 9N1: data bits must be 5 to 8
-c 8X1|format is invalid: 8X1: parity must be N, E or O
-c 8N3|format is invalid: 8N3: stop bits must be 1 or 2
-c 8N|format is invalid: 8N: not of the form 8N1
-x hardware|flow control is invalid: hardware
-i -1|idle timeout is too small: -1
-i 2592001|idle timeout is too large: 2592001
-i 1x|idle timeout is invalid: 1x
-e ab|escape character is invalid: ab
-e ^1|escape character is invalid: ^1
-u no-such-user|no such user: no-such-user
-u root:no-such-group|no such group: no-such-group
-z|unknown option -z
EOF
	run "$CONSLET" -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" pbx -s
	[ "$status" -eq 64 ]
	run conslet -s
	[ "$status" -eq 64 ]
	[[ "$output" == *"option -s needs a value"* ]]
	run conslet
	[ "$status" -eq 64 ]
	[[ "$output" == *"usage: conslet"* ]]
	run conslet pbx util
	[ "$status" -eq 64 ]
	run conslet -l pbx
	[ "$status" -eq 64 ]
	nothing_left
}

@test "the console name ends the options, whatever follows it" {
	start_guest pbx
	# GNU getopt would otherwise take the -l after the name as an option
	run conslet pbx -l
	[ "$status" -eq 64 ]
	[[ "$output" == *"usage: conslet"* ]]
}

@test "good line settings are applied to the device" {
	start_guest pbx
	serve -s 19200 -c 7E2 -x rtscts pbx
	client_start c "$PORT"
	wait_for _settings_seen "$GUEST_TTY" "19200"
	settings=$(stty -F "$GUEST_TTY" -a)
	echo "$settings"
	[[ "$settings" == *"speed 19200 baud"* ]]
	[[ "$settings" == *" cstopb"* ]]
	[[ "$settings" == *" crtscts"* ]]
	[[ "$settings" == *" clocal"* ]]
	[[ "$settings" == *" -icanon"* ]]
}

# _settings_seen TTY SPEED: the session has set the device's speed.
_settings_seen() {
	stty -F "$1" speed 2>/dev/null | grep -q -x "$2"
}

@test "an unusable run directory is refused with status 71" {
	start_guest pbx
	: >"$T/runfile"
	run "$CONSLET" -C "$T/consoles" -R "$T/runfile" pbx </dev/null
	[ "$status" -eq 71 ]
	[[ "$output" == *"run directory $T/runfile: Not a directory"* ]]
	run "$CONSLET" -C "$T/consoles" -R "$T/no/such/dir" pbx </dev/null
	[ "$status" -eq 71 ]
	[[ "$output" == *"run directory $T/no/such/dir: No such file or directory"* ]]
}

@test "a run directory the user cannot write is refused with status 71" {
	[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
	require setpriv
	start_guest pbx
	chmod 666 "$GUEST_TTY"
	user_area
	# somewhere nobody can reach, but not write
	ro=$U/ro
	mkdir -m 0555 "$ro"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$U_CONSLET" -R "$ro" "$GUEST_TTY" </dev/null
	left=$(ls -A "$ro")
	echo "$output"
	[ "$status" -eq 71 ]
	[[ "$output" == *"run directory $ro: Permission denied"* ]]
	[ -z "$left" ]
}

@test "-u needs root" {
	[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
	require setpriv
	start_guest pbx
	user_area
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$U_CONSLET" -C "$T/consoles" -R "$T/run" -u daemon pbx </dev/null
	[ "$status" -eq 64 ]
	[[ "$output" == *"-u daemon: only root can change user"* ]]
}

@test "-u drops root once the device and locks are open" {
	[ "$(id -u)" = 0 ] || skip "needs root to change user"
	start_guest pbx -e
	serve -u nobody:nogroup pbx
	client_start c "$PORT"
	client_send c "hi"
	wait_file_contains "$T/c.recv" "hi"
	pid=$(session_pid)
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status")
	nobody=$(id -u nobody)
	nogroup=$(getent group nogroup | cut -d: -f3)
	[ "$uids" = "$nobody $nobody $nobody $nobody" ]
	[ "$gids" = "$nogroup $nogroup $nogroup $nogroup" ]
	[ "$groups" = " $nogroup" ] || [ "$groups" = " $nogroup " ]
}
