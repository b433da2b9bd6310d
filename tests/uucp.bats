#!/usr/bin/env bats
# UUCP locks: while conslet has write access (or conslog reads the
# device) it holds LCK..NAME under each name cu, minicom and lockdev give
# the device, so they keep out, and picocom is kept out by flock(2);
# another program's live lock or flock keeps conslet out. A lock is
# believed only when it is plausible: the attacks run as nobody in a
# lock directory anyone may write, as /run/lock is. The real minicom, cu
# and picocom run in a tmux of the test's own, on the system's lock
# directory (theirs is built in); what they leave there is removed by pid.

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
	mkdir -p "$T/lock"
	chmod 1777 "$T/lock"
}

teardown() {
	common_teardown
	[ -z "${LOCKDIR:-}" ] || rm -rf "$LOCKDIR"
	sys_locks_clean
}

# as_nobody CMD...: run CMD as the unprivileged user nobody.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# nobody_area: $U (see user_area) with a lock directory anyone may write,
# as /run/lock is; sets L.
nobody_area() {
	[ "$(id -u)" = 0 ] || skip "needs root, to be nobody"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	user_area
	L=$U/lock
	mkdir -m 1777 "$L"
}

# names_of TTY: the lock names of a pty, as the tools below make them:
# LCK..N (cu, tip), LCK..pts_N (minicom), LCK..pts:N (lockdev).
names_of() {
	local n=${1#/dev/}
	echo "LCK..${1##*/} LCK..${n//\//_} LCK..${n//\//:}"
}

# tool_start NAME CMD...: run the interactive CMD in a terminal of its own
# (tmux, on the test's socket), tracked; its pid in TOOL_PID. Its locks
# in the system's lock directory are removed at teardown, by that pid.
tool_start() {
	local name=$1
	shift
	local pids
	pids=$(env CONSLET_TESTDIR="$T" tmux -S "$T/tmux.sock" new-session \
	    -d -P -F '#{pane_pid} #{pid}' -s "$name" -x 80 -y 24 "$@" 3>&-) ||
	    return 1
	TOOL_PID=${pids% *}
	track_pid "$TOOL_PID"
	track_pid "${pids#* }"
	echo "$TOOL_PID" >>"$T/syslock.pids"
}

# tool_screen NAME: what the tool's terminal shows.
tool_screen() {
	tmux -S "$T/tmux.sock" capture-pane -p -t "$1"
}

# _screen_has NAME STRING: the tool's terminal shows STRING.
_screen_has() {
	tool_screen "$1" 2>/dev/null | grep -q -F -e "$2"
}

# sys_locks_clean: remove the locks in the system's lock directory that
# name a pid this test started (a tool killed before it could).
sys_locks_clean() {
	local f pid
	[ -f "${T:-}/syslock.pids" ] || return 0
	for f in "$SYSLOCK"/LCK..*; do
		if [ ! -f "$f" ] || [ -L "$f" ]; then
			continue
		fi
		pid=$(tr -dc '0-9' <"$f")
		[ -n "$pid" ] && grep -q -x -F "$pid" "$T/syslock.pids" &&
		    rm -f "$f"
	done
	return 0
}

# _runs_as PID UID: the process's real user is UID.
_runs_as() {
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$1/status")" = "$2" ]
}

# The system's lock directory, which minicom, cu and picocom use.
SYSLOCK=/var/lock

# _sys_locked NAME PID: the system's lock NAME names PID.
_sys_locked() {
	[ -f "$SYSLOCK/$1" ] && [ "$(tr -dc '0-9' <"$SYSLOCK/$1")" = "$2" ]
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
	# Taylor cu opens the line as uucp: let it, so that only the lock
	# can keep it out ("Line in use" follows a failed open too)
	chmod 666 "$GUEST_TTY"
	serve pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	echo "$pid" >>"$T/syslock.pids"
	wait_for _lock_pid_is "/var/lock/LCK..${GUEST_TTY##*/}" "$pid"
	run timeout "$WAIT_TIMEOUT" cu -l "$GUEST_TTY" </dev/null
	echo "cu: $status $output"
	[ "$status" = 1 ]
	[[ $output == *"Line in use"* ]]
	[[ $output != *"open ("* ]]
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
	grep -q -a -x -F "[conslet: pbx is in use by sleep, pid $FOREIGN, uid 0 (UUCP lock LCK..${GUEST_TTY##*/} in $T/lock)]"$'\r' "$T/c.recv"
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
	wait_file_contains "$LOGGER_ERR" "is in use by sleep, pid $FOREIGN, uid 0 (UUCP lock LCK..${GUEST_TTY##*/} in $T/lock), waiting"
	[ ! -s "$LOGGER_READY" ]
	# said once, not at every retry
	wait_for _alive "$LOGGER_PID"
	kill -TERM "$FOREIGN"
	wait_pid_gone "$FOREIGN"
	logger_wait_ready -t 20
	wait_for _lock_pid_is "$(lock_of "$GUEST_TTY")" "$LOGGER_PID"
	[ "$(grep -c "waiting" "$LOGGER_ERR")" = 1 ]
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

@test "a lock nobody wrote naming pid 1 is not believed: removed, logged, conslet gets in" {
	nobody_area
	start_guest pbx
	lock=$L/LCK..${GUEST_TTY##*/}
	as_nobody sh -c 'printf "%10d\n" 1 >"$1"' sh "$lock"
	[ "$(stat -c %U "$lock")" = nobody ]
	serve -U "$L" pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	wait_for _lock_pid_is "$lock" "$pid"
	[ "$(stat -c %u "$lock")" = 0 ]
	wait_file_contains "$SERVER_ERR" "removed stale UUCP lock $lock: owned by uid $(id -u nobody), and pid 1 runs as uid 0"
	client_send c "in"
	wait_file_contains "$T/pbx.rec" "in"
}

@test "conslog does not wait for a lock nobody wrote naming pid 1" {
	nobody_area
	start_guest pbx
	lock=$L/LCK..${GUEST_TTY##*/}
	as_nobody sh -c 'printf "%10d\n" 1 >"$1"' sh "$lock"
	start_logger pbx -U "$L"
	wait_for _lock_pid_is "$lock" "$LOGGER_PID"
	grep -q -F "removed stale UUCP lock $lock" "$LOGGER_ERR"
	not grep -F "waiting" "$LOGGER_ERR"
}

@test "a user's own lock of a live process of theirs is respected, and named" {
	nobody_area
	start_guest pbx
	lock=$L/LCK..${GUEST_TTY##*/}
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    sleep 2147483647 <&- >/dev/null 2>&1 3>&- &
	mine=$!
	track_pid "$mine"
	wait_for _runs_as "$mine" "$(id -u nobody)"
	as_nobody sh -c 'printf "%10d\n" "$2" >"$1"' sh "$lock" "$mine"
	serve -U "$L" pbx
	client_start c "$PORT"
	client_wait_eof c
	cat -v "$T/c.recv"
	grep -q -a -F "[conslet: pbx is in use by sleep, pid $mine, uid $(id -u nobody) (UUCP lock LCK..${GUEST_TTY##*/} in $L)]" "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
	_lock_pid_is "$lock" "$mine"
}

@test "a lock in 4 ASCII bytes (\"976\\n\", no padding) of a live process is believed" {
	start_guest pbx
	lock=$(lock_of "$GUEST_TTY")
	# pid 1 lives; four bytes, the way HDB tools without padding write
	# a three-digit pid
	printf '  1\n' >"$lock"
	[ "$(wc -c <"$lock")" = 4 ]
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	client_wait_eof c
	cat -v "$T/c.recv"
	grep -q -a -F "pbx is in use by" "$T/c.recv"
	grep -q -a -F ", pid 1, uid 0 (UUCP lock LCK..${GUEST_TTY##*/} in $T/lock)]" "$T/c.recv"
	[ "$(cat "$lock")" = "  1" ]
}

@test "a 4-byte binary pid (V2 lock) of a live process is still believed" {
	start_guest pbx
	foreign_lock "$GUEST_TTY"
	lock=$(lock_of "$GUEST_TTY")
	python3 -c 'import struct, sys
sys.stdout.buffer.write(struct.pack("=i", int(sys.argv[1])))' "$FOREIGN" >"$lock"
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	client_wait_eof c
	grep -q -a -F "[conslet: pbx is in use by sleep, pid $FOREIGN, uid 0 (UUCP lock LCK..${GUEST_TTY##*/} in $T/lock)]" "$T/c.recv"
}

@test "LTMP.pid left by a dead process is removed; a live one's, and links, are not" {
	start_guest pbx
	true &
	dead=$!
	wait "$dead"
	sleep 2147483647 <&- >/dev/null 2>&1 3>&- &
	live=$!
	track_pid "$live"
	printf '%10d\n' "$dead" >"$T/lock/LTMP.$dead"
	printf '%10d\n' "$live" >"$T/lock/LTMP.$live"
	echo precious >"$T/precious"
	ln -s "$T/precious" "$T/lock/LTMP.1999999999"
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	wait_for _lock_pid_is "$(lock_of "$GUEST_TTY")" "$pid"
	[ ! -e "$T/lock/LTMP.$dead" ]
	[ -e "$T/lock/LTMP.$live" ]
	[ -L "$T/lock/LTMP.1999999999" ]
	[ "$(cat "$T/precious")" = precious ]
	wait_file_contains "$SERVER_ERR" "removed $T/lock/LTMP.$dead: pid $dead died making a UUCP lock"
}

@test "killed while it links its lock in, conslet leaves no temporary file" {
	require strace
	start_guest pbx
	# SIGKILL at the first link(2) or linkat(2): between making the
	# temporary file and linking it in
	run timeout "$WAIT_TIMEOUT" strace -f -o /dev/null \
	    -e trace=link,linkat -e inject=link,linkat:signal=KILL:when=1 \
	    "$CONSLET" -C "$T/consoles" -R "$T/run" -U "$T/lock" pbx </dev/null
	echo "status $status: $output"
	[ "$status" = 137 ]	# strace ends as its tracee did
	ls -A "$T/lock"
	not has_bytes LTMP < <(ls -A "$T/lock")
}

@test "a symbolic link or a hard link as the lock is not believed, and its target is untouched" {
	start_guest pbx
	lock=$(lock_of "$GUEST_TTY")
	# root's own file, naming a live pid: believable, but not through
	# a link
	printf '%10d\n' 1 >"$T/target"
	serve -U "$T/lock" pbx
	n=0
	for how in "ln -s" "ln"; do
		$how "$T/target" "$lock"
		client_start c "$PORT"
		n=$((n + 1))
		pid=$(session_pid "$n")
		wait_for _lock_pid_is "$lock" "$pid"
		client_close c
		wait_for not test -e "$lock"
		[ "$(cat "$T/target")" = "$(printf '%10d' 1)" ]
	done
	grep -q -F "removed stale UUCP lock $lock: a symbolic link" "$SERVER_ERR"
	grep -q -F "removed stale UUCP lock $lock: 2 links to it" "$SERVER_ERR"
}

@test "conslet takes the lock under the names cu, minicom and lockdev give a pty, and any keeps it out" {
	start_guest pbx
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	for name in $(names_of "$GUEST_TTY"); do
		wait_for _lock_pid_is "$T/lock/$name" "$pid"
	done
	client_close c
	[ "$(session_status 1)" = 0 ]
	[ -z "$(ls -A "$T/lock")" ]
	n=1
	for name in $(names_of "$GUEST_TTY"); do
		foreign_lock "$GUEST_TTY"
		[ "$(lock_of "$GUEST_TTY")" = "$T/lock/$name" ] ||
		    mv "$(lock_of "$GUEST_TTY")" "$T/lock/$name"
		client_start c "$PORT"
		n=$((n + 1))
		client_wait_eof c
		grep -q -a -F "[conslet: pbx is in use by sleep, pid $FOREIGN, uid 0 (UUCP lock $name in $T/lock)]" "$T/c.recv"
		[ "$(session_status "$n")" = 75 ]
		_lock_pid_is "$T/lock/$name" "$FOREIGN"
		rm "$T/lock/$name"
		# the names it took before it met this one are gone again
		[ -z "$(ls -A "$T/lock")" ]
	done
}

@test "minicom has the console: conslet is refused and says it is minicom" {
	require minicom tmux
	[ -d "$SYSLOCK" ] || skip "no $SYSLOCK"
	start_guest pbx
	n=${GUEST_TTY#/dev/}
	tool_start mc minicom -D "$GUEST_TTY"
	wait_for _sys_locked "LCK..${n//\//_}" "$TOOL_PID"
	serve pbx
	client_start c "$PORT"
	client_wait_eof c
	cat -v "$T/c.recv"
	grep -q -a -F "[conslet: pbx is in use by minicom, pid $TOOL_PID, uid 0 (UUCP lock LCK..${n//\//_} in $SYSLOCK)]" "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
	_sys_locked "LCK..${n//\//_}" "$TOOL_PID"
}

@test "a client has the console: minicom is refused" {
	require minicom tmux
	[ -d "$SYSLOCK" ] || skip "no $SYSLOCK"
	start_guest pbx
	serve pbx
	client_start c "$PORT"
	pid=$(session_pid 1)
	echo "$pid" >>"$T/syslock.pids"
	n=${GUEST_TTY#/dev/}
	wait_for _sys_locked "LCK..${n//\//_}" "$pid"
	tool_start mc sh -c 'minicom -D "$1" >"$2" 2>&1; echo "status $?" >>"$2"' \
	    sh "$GUEST_TTY" "$T/minicom.out"
	wait_file_contains "$T/minicom.out" "status"
	cat "$T/minicom.out"
	grep -q -F "Device $GUEST_TTY is locked." "$T/minicom.out"
	client_send c "still mine"
	wait_file_contains "$T/pbx.rec" "still mine"
	client_close c
	[ "$(session_status 1)" = 0 ]
	not _sys_locked "LCK..${n//\//_}" "$pid"
}

@test "cu has the console: conslet is refused and says it is cu" {
	require cu tmux
	[ -d "$SYSLOCK" ] || skip "no $SYSLOCK"
	start_guest pbx
	# Taylor cu opens the line as uucp
	chmod 666 "$GUEST_TTY"
	tool_start cu cu -l "$GUEST_TTY"
	wait_for _screen_has cu "Connected."
	wait_for _sys_locked "LCK..${GUEST_TTY##*/}" "$TOOL_PID"
	serve pbx
	client_start c "$PORT"
	client_wait_eof c
	cat -v "$T/c.recv"
	grep -q -a -F "[conslet: pbx is in use by cu, pid $TOOL_PID, uid $(id -u uucp) (UUCP lock LCK..${GUEST_TTY##*/} in $SYSLOCK)]" "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
}

@test "picocom has the console (flock): conslet is refused and says it is picocom" {
	require picocom tmux
	start_guest pbx
	tool_start pc picocom "$GUEST_TTY"
	wait_for _screen_has pc "Terminal ready"
	serve -U "$T/lock" pbx
	client_start c "$PORT"
	client_wait_eof c
	cat -v "$T/c.recv"
	grep -q -a -F "[conslet: pbx is in use by picocom, pid $TOOL_PID, uid 0 (flock on $GUEST_TTY)]" "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
	# refused before any UUCP lock was made
	[ -z "$(ls -A "$T/lock")" ]
}

@test "conslog waits while picocom has the console, says so once, then attaches" {
	require picocom tmux
	start_guest pbx
	tool_start pc picocom "$GUEST_TTY"
	wait_for _screen_has pc "Terminal ready"
	spawn_logger pbx -U "$T/lock"
	wait_file_contains "$LOGGER_ERR" "pbx: $GUEST_TTY is in use by picocom, pid $TOOL_PID, uid 0 (flock), waiting"
	[ ! -s "$LOGGER_READY" ]
	# it let go of the UUCP locks while it waits
	[ -z "$(ls -A "$T/lock")" ]
	kill -TERM "$TOOL_PID"
	wait_pid_gone "$TOOL_PID"
	logger_wait_ready -t 20
	wait_for _lock_pid_is "$(lock_of "$GUEST_TTY")" "$LOGGER_PID"
	[ "$(grep -c "(flock)" "$LOGGER_ERR")" = 1 ]
	guest_print pbx "logged now"
	wait_file_contains "$LOGGER_LOG" "logged now"
}
