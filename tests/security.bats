#!/usr/bin/env bats
# The run directory as root must be able to trust it: each test plays an
# attack an earlier version fell to, as the -u user or a member of the
# run directory's group would (setpriv), and checks that root's programs
# neither signal, truncate, chmod nor believe what that user wrote.

load lib/helpers
load lib/conslog

setup() {
	common_setup
	[ "$(id -u)" = 0 ] || skip "these play root against a user: run as root"
	require setpriv python3
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	getent group nogroup >/dev/null || skip "no group nogroup"
}

teardown() {
	common_teardown
}

# as_nobody CMD...: CMD as nobody:nogroup and nothing else.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env CONSLET_TESTDIR="$T" "$@"
}

# shared_run NAME: a console directory and a run directory in $U that
# nobody can reach; the run directory shared with group nogroup as the
# README says (root's, group-writable, sticky). Sets RUN and CONS.
shared_run() {
	user_area || return 1
	cp "$TOP/tests/tools/ctlclient.py" "$U/bin/" && chmod 755 "$U/bin/ctlclient.py"
	CONS=$U/consoles RUN=$U/run
	mkdir -m 755 "$CONS" && mkdir "$RUN" && mkdir -m 1777 "$U/tmp" || return 1
	chgrp nogroup "$RUN" && chmod 1770 "$RUN" || return 1
	start_guest "$1" || return 1
	ln -s "$GUEST_TTY" "$CONS/$1"
}

# key_of: the lock key of the guest's device, as conslet names it.
key_of() {
	local hex
	hex=$(stat -L -c '%t %T' "$GUEST_TTY") || return 1
	set -- $hex
	echo "dev.$((16#$1)).$((16#$2))"
}

# _has_read PID N: the process has read at least N bytes in all.
_has_read() {
	[ "$(sed -n 's/^rchar: //p' "/proc/$1/io")" -ge "$2" ]
}

# start_victim: a root process an attacker would like root to kill.
start_victim() {
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	VICTIM=$!
	track_pid "$VICTIM"
}

@test "after a -u session nothing in the run directory is the user's" {
	start_guest pbx
	serve -U none -u nobody pbx
	client_start a "$PORT"
	client_send a "hello"
	wait_file_contains "$T/pbx.rec" "hello"
	client_close a
	[ "$(session_status 1)" = 0 ]
	ls -lan "$T/run"
	[ -z "$(find "$T/run" ! -user root)" ]
	[ -z "$(find "$T/run" -perm -o+w)" ]
	# and nobody can write anything there
	run as_nobody sh -c 'echo x >"$1"/dev.1.1.w' sh "$T/run"
	[ "$status" -ne 0 ]
}

@test "-f never signals a pid from the lock record: a planted record kills nothing" {
	shared_run pbx
	start_victim
	serve_x() { start_tcpserver -C "$CONS" -R "$RUN" -U none "$@"; }
	serve_x -u nobody pbx
	client_start a "$PORT"
	client_send a "x"
	wait_file_contains "$T/pbx.rec" "x"
	client_close a
	session_status 1 >/dev/null
	key=$(key_of)
	# nobody, a member of the directory's group, holds the writer lock
	# and says in its record that the holder is root's process
	as_nobody python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.ftruncate(fd, 0)
os.write(fd, ("pid %s\npeer 192.0.2.1:1\nsince 1\n" % sys.argv[2]).encode())
open(sys.argv[3], "w").write("held\n")
time.sleep(60)' "$RUN/$key.w" "$VICTIM" "$U/tmp/held" 3>&- &
	track_pid $!
	wait_file_contains "$U/tmp/held" held
	serve_x -f -u nobody pbx
	client_start b "$PORT"
	client_wait_eof b
	cat "$T/b.recv"
	grep -q -F "cannot take write access from 192.0.2.1:1 (pid $VICTIM)" \
	    "$T/b.recv"
	_alive "$VICTIM"
}

@test "a hard link planted at a lock file's name is refused, its file untouched" {
	start_guest pbx
	key=$(key_of)
	# what FreeBSD lets any user do (security.bsd.hardlink_check_uid=0)
	printf 'root secret\n' >"$T/precious"
	chmod 600 "$T/precious"
	ln "$T/precious" "$T/run/$key.w"
	serve -U none -u nobody pbx
	client_start a "$PORT"
	client_wait_eof a
	cat "$T/a.recv"
	grep -q -F "run directory $T/run: $key.w: has 2 links" "$T/a.recv"
	[ "$(session_status 1)" = 71 ]
	[ "$(cat "$T/precious")" = "root secret" ]
	[ "$(stat -c '%U %a' "$T/precious")" = "root 600" ]
}

@test "conslog refuses a hard link at its name lock and a link for the directory" {
	start_guest pbx
	printf 'root secret\n' >"$T/precious"
	ln "$T/precious" "$T/run/pbx.logger"
	run conslog_run -L "$T/log" pbx
	echo "$output"
	[ "$status" = 71 ]
	[[ "$output" == *"pbx.logger: has 2 links"* ]]
	[ "$(cat "$T/precious")" = "root secret" ]
	rm "$T/run/pbx.logger"
	# a symbolic link for the run directory, or at a name in it
	mkdir "$T/elsewhere"
	ln -s "$T/elsewhere" "$T/runlink"
	run conslog_run -L "$T/log" -R "$T/runlink" pbx
	[ "$status" = 71 ]
	[[ "$output" == *"run directory $T/runlink: a symbolic link"* ]]
	ln -s "$T/precious" "$T/run/pbx.logger"
	run conslog_run -L "$T/log" pbx
	[ "$status" = 71 ]
	[[ "$output" == *"pbx.logger: a symbolic link"* ]]
	[ "$(cat "$T/precious")" = "root secret" ]
	[ -z "$(ls -A "$T/elsewhere")" ]
}

@test "links planted at the logger's socket and status file are replaced, their targets untouched" {
	start_guest pbx
	printf 'root secret\n' >"$T/precious"
	chmod 600 "$T/precious"
	for f in pbx.sock pbx.who pbx.who.tmp; do
		ln -s "$T/precious" "$T/run/$f"
	done
	start_logger pbx
	[ -S "$T/run/pbx.sock" ]
	[ -f "$T/run/pbx.who" ] && [ ! -h "$T/run/pbx.who" ]
	[ ! -e "$T/run/pbx.who.tmp" ]
	[ "$(cat "$T/precious")" = "root secret" ]
	[ "$(stat -c %a "$T/precious")" = 600 ]
}

@test "a run directory others can write, or that is not root's, is refused" {
	start_guest pbx
	for how in "chmod 777" "chmod 775" "chown nobody"; do
		rm -rf "$T/run2"
		mkdir -m 755 "$T/run2"
		$how "$T/run2"
		run env CONSLET_TESTDIR="$T" timeout "$WAIT_TIMEOUT" "$CONSLET" \
		    -C "$T/consoles" -R "$T/run2" -U none pbx </dev/null
		echo "$how: $status $output"
		[ "$status" = 71 ]
		[[ "$output" == *"run directory $T/run2: "* ]]
		[ -z "$(ls -A "$T/run2")" ]
	done
	# group-writable and sticky: shared with a group, and accepted
	chmod 1770 "$T/run2"
	chown root "$T/run2"
	printf 'shared' >"$T/input"
	run env CONSLET_TESTDIR="$T" timeout "$WAIT_TIMEOUT" "$CONSLET" \
	    -C "$T/consoles" -R "$T/run2" -U none pbx <"$T/input"
	echo "$output"
	[ "$status" = 0 ]
	wait_file_contains "$T/pbx.rec" shared
}

@test "a member of the run directory's group uses the console; nobody else can" {
	shared_run pbx
	chmod 666 "$GUEST_TTY"
	start_tcpserver -C "$CONS" -R "$RUN" -U none -u nobody pbx
	client_start a "$PORT"
	client_send a "as root"
	wait_file_contains "$T/pbx.rec" "as root"
	client_close a
	[ "$(session_status 1)" = 0 ]
	[ -z "$(find "$RUN" -mindepth 1 ! -user root)" ]
	[ -z "$(find "$RUN" -mindepth 1 ! -group nogroup)" ]
	printf 'as nobody' >"$T/input"
	run as_nobody timeout "$WAIT_TIMEOUT" "$U_CONSLET" -C "$CONS" -R "$RUN" \
	    -U none pbx <"$T/input"
	echo "$status: $output"
	[ "$status" = 0 ]
	wait_file_contains "$T/pbx.rec" "as nobody"
	# outside the group: refused, and told why
	run setpriv --reuid=nobody --regid=daemon --clear-groups \
	    env CONSLET_TESTDIR="$T" timeout "$WAIT_TIMEOUT" "$U_CONSLET" \
	    -C "$CONS" -R "$RUN" -U none pbx </dev/null
	echo "$status: $output"
	[ "$status" = 71 ]
	[[ "$output" == *"run directory $RUN: Permission denied"* ]]
}

@test "forged requests on the logger's socket: no false takeover, no false note" {
	shared_run pbx
	start_logger pbx -C "$CONS" -R "$RUN"
	start_tcpserver -C "$CONS" -R "$RUN" -U none -u nobody pbx
	client_start w "$PORT"
	client_send w "w"
	wait_file_contains "$T/pbx.rec" "w"
	wait_for test -s "$RUN/pbx.who"
	# nobody, in the directory's group, connects as any program could
	as_nobody timeout 20 python3 "$U/bin/ctlclient.py" --hold 15 \
	    --out "$U/tmp/forger.out" "$RUN/pbx.sock" \
	    "join w 0 192.0.2.66:666" "mode w" "note BREAK by 192.0.2.7:1" \
	    >"$U/forger.ans" 2>&1 3>&- &
	track_pid $!
	wait_file_contains "$U/forger.ans" "ok "
	wait_file_contains "$T/w.recv" "192.0.2.66:666 joined (read-only)"
	client_send w $'\r~w'
	wait_file_contains "$T/w.recv" "viewer 192.0.2.66:666"
	grep -q -E "pbx: writer 127\.0\.0\.1:[0-9]+ \(pid [0-9]+\) since .* \(you\)" \
	    "$T/w.recv"
	cat "$T/w.recv"
	not grep -q -F "write access taken" "$T/w.recv"
	not grep -q -F "BREAK by 192.0.2.7" "$T/w.recv"
	not grep -q -a -F "BREAK by 192.0.2.7" "$LOGGER_LOG"
	grep -q "refused a claim of write access from pid [0-9]* uid $(id -u nobody)" \
	    "$LOGGER_ERR"
	# a malformed request is refused, the logger goes on
	run as_nobody timeout 5 python3 "$U/bin/ctlclient.py" "$RUN/pbx.sock" \
	    "join x 0 peer" "join r 99999999999 p" "$(printf 'join r 0 a\033[2Jb')"
	guest_print pbx $'still here\r\n'
	wait_file_contains "$T/w.recv" "still here"
	_alive "$LOGGER_PID"
}

@test "a forged reader record cannot send a client to another console's logger" {
	start_guest pbx
	start_guest web
	start_logger pbx
	PBX_LOGGER=$LOGGER_PID
	start_logger web
	key=$(stat -L -c '%t %T' "$T/consoles/pbx")
	set -- $key
	key=dev.$((16#$1)).$((16#$2))
	# the record of pbx's reader lock (written in place, as whoever may
	# write the file could) names web's logger
	python3 -c '
import sys
f = open(sys.argv[1], "r+b")
d = f.read().replace(b"\nconsole pbx\n", b"\nconsole web\n")
f.seek(0); f.truncate(); f.write(d)' "$T/run/$key.r"
	grep -q '^console web$' "$T/run/$key.r"
	guest_print web $'web output\r\n'
	wait_file_contains "$T/log/web.log" "web output"
	serve -U none pbx
	client_start a "$PORT"
	client_wait_eof a
	cat "$T/a.recv"
	grep -q -F "pbx: cannot attach to its logger: it logs another device" \
	    "$T/a.recv"
	not grep -q -F "web output" "$T/a.recv"
	_alive "$PBX_LOGGER"
}

@test "a logger out of descriptors refuses a client with a reason, not silence" {
	require prlimit
	start_guest pbx
	start_logger pbx
	serve -U none -r pbx
	client_start a "$PORT"
	wait_who pbx 1
	# as many descriptors as it has now: none left for a pipe
	n=$(ls "/proc/$LOGGER_PID/fd" | wc -l)
	prlimit --pid "$LOGGER_PID" --nofile="$n:"
	client_start b "$PORT"
	client_wait_eof b
	cat "$T/b.recv"
	grep -q -E "pbx: cannot attach to its logger: (cannot make a pipe: Too many open files|out of file descriptors)" \
	    "$T/b.recv"
	[ "$(session_status 2)" = 75 ]
	# and once there are, the next one attaches
	prlimit --pid "$LOGGER_PID" --nofile=1024:
	client_start c "$PORT"
	guest_print pbx $'after\r\n'
	wait_file_contains "$T/c.recv" after
}

@test "a connection that never joins is dropped after a while" {
	start_guest pbx
	start_logger pbx
	python3 "$TOP/tests/tools/ctlclient.py" --hold 20 "$T/run/pbx.sock" \
	    >"$T/idle.ans" 2>&1 3>&- &
	idle=$!
	track_pid "$idle"
	wait_for -t 15 not _alive "$idle"
	grep -q "refused a connection that never joined" "$LOGGER_ERR"
}

@test "-f while the holder still joins its logger: it is asked, not killed" {
	start_guest pbx
	start_logger pbx
	serve_as w -U none pbx
	serve_as f -U none -f pbx
	# the logger is stopped: the holder waits in its join
	kill -STOP "$LOGGER_PID"
	client_start a "$PORT_w"
	on_server w
	wait_for not _no_children "$SERVER_PID"
	hold=$(server_children)
	client_start b "$PORT_f"
	on_server f
	wait_for not _no_children "$SERVER_PID"
	kill -CONT "$LOGGER_PID"
	wait_file_contains "$T/a.recv" "write access taken by 127.0.0.1:"
	client_send b "from b"
	wait_file_contains "$T/pbx.rec" "from b"
	_alive "$hold"
	client_send a "from a"
	client_send b "|again b"
	wait_file_contains "$T/pbx.rec" "again b"
	not grep -q -F "from a" "$T/pbx.rec"
}

@test "after a takeover nothing the old writer typed reaches the guest" {
	start_guest pbx
	start_logger pbx
	serve_as w -U none pbx
	serve_as f -U none -f pbx
	client_start a "$PORT_w"
	client_send a "a-first"
	wait_file_contains "$T/pbx.rec" "a-first"
	# the guest stops reading; a keeps typing until it is held up
	kill -STOP "$(guest_pid pbx)"
	head -c 300000 /dev/zero | tr '\0' 'z' >"$T/flood"
	client_send_file a "$T/flood" &
	track_pid $!
	# a's conslet has read more than the pty takes (about 13 KiB): the
	# rest waits in its buffer (16 KiB) for the guest
	on_server w
	wait_for _has_read "$(session_pid 1)" 24000
	client_start b "$PORT_f"
	wait_file_contains "$T/a.recv" "write access taken by"
	client_send b "B-FIRST"
	kill -CONT "$(guest_pid pbx)"
	wait_file_contains "$T/pbx.rec" "B-FIRST"
	client_send b "B-LAST"
	wait_file_contains "$T/pbx.rec" "B-LAST"
	after=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
print(d[d.index(b"B-FIRST"):].count(b"z"))' "$T/pbx.rec")
	echo "bytes of a's after b's first: $after"
	[ "$after" = 0 ]
}

@test "the status file is readable whatever conslog's umask; a viewer is told it is one" {
	start_guest pbx
	umask 077
	start_logger pbx
	umask 022
	[ "$(stat -c %a "$T/run/pbx.who")" = 644 ]
	[ "$(stat -c %a "$T/run/pbx.sock")" = 660 ]
	serve_as w -U none -u nobody pbx
	serve_as v -U none -u nobody -r pbx
	client_start a "$PORT_w"
	client_start b "$PORT_v"
	wait_who pbx 2
	client_send b $'~w'
	wait_file_contains "$T/b.recv" "(you)"
	grep -q -E "viewer 127\.0\.0\.1:[0-9]+ \(pid [0-9]+\) since [0-9:]+ \(you\)" \
	    "$T/b.recv"
	not grep -q -E "writer .*\(you\)" "$T/b.recv"
}

@test "a flood of notes from the writer is bounded in the log" {
	start_guest pbx
	start_logger pbx
	key=$(key_of)
	: >"$T/run/$key.w"
	notes=()
	for i in $(seq 1 30); do
		notes+=("note BREAK by flooder")
	done
	python3 "$TOP/tests/tools/ctlclient.py" --lock "$T/run/$key.w" --hold 1 \
	    "$T/run/pbx.sock" "join w 0 flooder" "${notes[@]}" >"$T/flood.ans"
	cat "$T/flood.ans"
	grep -q "^ok $key" "$T/flood.ans"
	wait_file_contains "$LOGGER_LOG" "BREAK by flooder"
	n=$(grep -a -c "BREAK by flooder" "$LOGGER_LOG" || true)
	echo "notes in the log: $n"
	[ "$n" -ge 10 ]
	[ "$n" -le 12 ]
	# and the log says how many were dropped, once the client is gone
	wait_file_contains "$LOGGER_LOG" "notes by flooder dropped"
}

@test "a console link switched between its stat and its open is refused" {
	start_guest pbx
	start_guest web
	WEB_TTY=$GUEST_TTY
	# web's writer holds web's device
	serve -U none web
	client_start w "$PORT"
	client_send w "web writer"
	wait_file_contains "$T/web.rec" "web writer"
	# pbx's link is made to point at web's device right as it is opened
	printf 'second writer' >"$T/input"
	run with_shims swaplink env CONSLET_TESTDIR="$T" \
	    SWAPLINK_PATH="$T/consoles/pbx" SWAPLINK_TO="$WEB_TTY" \
	    timeout "$WAIT_TIMEOUT" "$CONSLET" -C "$T/consoles" -R "$T/run" \
	    -U none pbx <"$T/input"
	echo "$status: $output"
	[ "$(readlink "$T/consoles/pbx")" = "$WEB_TTY" ]
	[ "$status" = 75 ]
	[[ "$output" == *"pbx: "*" changed while it was opened"* ]]
	not grep -q -F "second writer" "$T/web.rec"
}

@test "conslet -l by a user who cannot read the run directory says unknown, not free" {
	user_area
	mkdir -m 755 "$U/consoles"
	start_guest pbx
	ln -s "$GUEST_TTY" "$U/consoles/pbx"
	start_tcpserver -C "$U/consoles" -R "$T/run" -U none pbx
	client_start a "$PORT"
	client_send a "x"
	wait_file_contains "$T/pbx.rec" "x"
	mkdir -m 755 "$U/run"
	cp -a "$T/run/." "$U/run/"
	# the same files, in a run directory nobody can reach but not read
	run as_nobody "$U_CONSLET" -C "$U/consoles" -R "$U/run" -l -H
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == "pbx"$'\t'*$'\t'"unknown"$'\t'* ]]
}
