#!/usr/bin/env bats
# Hostile and careless clients: one that floods the -m prompt and never
# reads, one that half-closes, a terminal that stops reading, a flood of
# BREAKs; and a log that outgrows the file size limit.

# shellcheck disable=SC2016
# (sh -c and python3 -c scripts are single-quoted on purpose.)

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	common_teardown
}

# elapsed_ms START_US: milliseconds since START_US (from _now_us).
elapsed_ms() {
	echo $((($(_now_us) - $1) / 1000))
}

# pty_client ID CMD...: run CMD on a terminal of its own
# (tests/tools/ptyclient.py), typed into through $T/ID.in, output in
# $T/ID.recv; sets PTY_PID (the client) and CMD_PID (the command).
pty_client() {
	local id=$1
	shift
	require python3
	mkfifo "$T/$id.in" || return 1
	_spawn "$T/$id.out" "$T/$id.err" python3 "$TOP/tests/tools/ptyclient.py" \
	    "$T/$id.in" "$T/$id.recv" "$T/$id.pid" "$@"
	PTY_PID=$SPAWN_PID
	wait_for test -s "$T/$id.pid" || return 1
	CMD_PID=$(cat "$T/$id.pid")
}

# pty_pause ID: the terminal client stops reading, for good.
pty_pause() {
	kill -USR1 "$PTY_PID" && wait_file_contains "$T/$1.out" paused
}

# many_consoles N: N more consoles (missing ones), so that the -m list is long.
many_consoles() {
	local i
	for i in $(seq 1 "$1"); do
		ln -s /nonexistent "$T/consoles/$(printf 'spare%03d' "$i")" ||
		    return 1
	done
}

# guest_flood NAME: the guest prints without end (until teardown).
guest_flood() {
	_spawn "$T/flood.out" "$T/flood.err" sh -c 'exec yes flood >"$1"' sh \
	    "$T/$1.out"
}

@test "-m: a client that floods empty lines and never reads is let go at the deadline" {
	require socat
	start_guest pbx
	# each empty line brings 300 lines of list: the socket buffers on
	# the way fill long before the deadline
	many_consoles 300
	serve -m -i 2
	start=$(_now_us)
	# -u: socat only sends; what conslet writes back is never read, and
	# its small window (rcvbuf) fills after a few lines
	_spawn "$T/flood.out" "$T/flood.err" sh -c \
	    'yes "" | exec socat -u - "TCP:127.0.0.1:$1,rcvbuf=4096"' sh "$PORT"
	pid=$(session_pid 1)
	# the deadline is 2 s (-i 2); give the machine 3 s more
	wait_for -t 5 _session_status "$pid" || {
		echo "the menu still runs after $(elapsed_ms "$start") ms;" \
		    "expected it gone 2 s after the connection" >&2
		return 1
	}
	echo "ended after $(elapsed_ms "$start") ms"
	[ "$(_session_status "$pid")" = 75 ]
	grep -q -F "no console chosen in 2 s" "$SERVER_ERR"
}

@test "-m: a burst of empty lines typed ahead is also held to the deadline" {
	require socat
	start_guest pbx
	# each empty line brings 300 lines of list: the socket buffers on
	# the way fill long before the deadline
	many_consoles 300
	serve -m -i 2
	# 1 MB of empty lines at once, then the connection stays open, unread
	head -c 1000000 /dev/zero | tr '\0' '\n' >"$T/lines"
	start=$(_now_us)
	_spawn "$T/burst.out" "$T/burst.err" sh -c \
	    '{ cat "$2"; exec sleep 2147483647; } | exec socat -u - \
	    "TCP:127.0.0.1:$1,rcvbuf=4096"' sh "$PORT" "$T/lines"
	pid=$(session_pid 1)
	wait_for -t 5 _session_status "$pid" || {
		echo "the menu still runs after $(elapsed_ms "$start") ms" >&2
		return 1
	}
	[ "$(_session_status "$pid")" = 75 ]
}

@test "half-close: a command piped into nc -N gets the guest's answer" {
	start_guest pbx -e
	serve pbx
	run timeout 10 sh -c 'printf "uname\r" | nc -n -N 127.0.0.1 "$1"' sh \
	    "$PORT"
	echo "status $status, output: $output"
	[ "$status" = 0 ]
	[[ $output == *uname* ]]
	[ "$(session_status)" = 0 ]
	wait_file_size "$T/pbx.rec" 6
	guest_got pbx 'uname\r'
}

@test "half-close: a command piped into socat gets the guest's answer" {
	require socat
	start_guest pbx -e
	serve pbx
	start=$(_now_us)
	run timeout 10 sh -c 'printf "uptime\r" | socat -t 10 - \
	    "TCP:127.0.0.1:$1"' sh "$PORT"
	ms=$(elapsed_ms "$start")
	echo "status $status after $ms ms, output: $output"
	[ "$status" = 0 ]
	[[ $output == *uptime* ]]
	# socat waits 10 s for the rest: conslet ended it, soon after the
	# console went quiet
	[ "$ms" -lt 5000 ]
	[ "$(session_status)" = 0 ]
}

@test "half-close: a console that never goes quiet is heard out for 5 s at most" {
	start_guest pbx
	serve pbx
	# a line every 100 ms: never quiet for long
	_spawn "$T/ticker.out" "$T/ticker.err" python3 -c '
import sys, time
with open(sys.argv[1], "w") as f:
    for i in range(600):
        f.write("tick %d\n" % i)
        f.flush()
        time.sleep(0.1)' "$T/pbx.out"
	start=$(_now_us)
	run timeout 20 sh -c 'printf x | nc -n -N 127.0.0.1 "$1"' sh "$PORT"
	ms=$(elapsed_ms "$start")
	echo "status $status after $ms ms; $(grep -c tick <<<"$output") ticks"
	[ "$status" = 0 ]
	[[ $output == *tick* ]]
	# FLUSH_MS is 5 s; a loaded machine may add a little
	[ "$ms" -lt 8000 ]
	[ "$(session_status)" = 0 ]
}

@test "half-close: a client that then goes away for good is let go at once" {
	start_guest pbx
	serve pbx
	client_start c "$PORT"
	_spawn "$T/ticker.out" "$T/ticker.err" python3 -c '
import sys, time
with open(sys.argv[1], "w") as f:
    for i in range(600):
        f.write("tick %d\n" % i)
        f.flush()
        time.sleep(0.1)' "$T/pbx.out"
	wait_file_contains "$T/c.recv" "tick 1"
	client_close c
	n=$(_file_size "$T/c.recv")
	# still heard after the half-close
	wait_contains_after "$T/c.recv" "$n" tick
	pid=$(session_pid)
	start=$(_now_us)
	kill -KILL "$(client_pid c)"
	wait_pid_gone -t 10 "$pid"
	ms=$(elapsed_ms "$start")
	echo "ended $ms ms after the client was killed"
	# the next writes fail: no 5 s (FLUSH_MS) of lingering
	[ "$ms" -lt 2500 ]
	[ "$(session_status)" = 0 ]
}

@test "a terminal that stops reading: ~. still ends the session" {
	start_guest pbx
	pty_client p "$CONSLET" -C "$T/consoles" -R "$T/run" pbx
	guest_print pbx "hello"
	wait_file_contains "$T/p.recv" hello
	pty_pause p
	guest_flood pbx
	# conslet holds the guest back: it cannot write to the terminal
	wait_for -t 30 _pty_queue_full "$(guest_tty pbx)"
	_to_fifo "$T/p.in" printf '\r~.'
	start=$(_now_us)
	# 5 s (FLUSH_MS) for what is pending, and some slack
	wait_pid_gone -t 10 "$CMD_PID"
	echo "ended $(elapsed_ms "$start") ms after ~."
	wait_for test -s "$T/p.pid.status"
	[ "$(cat "$T/p.pid.status")" = 0 ]
	grep -q -F "pbx: detached by" "$T/p.err"
	grep -q -F "(escape)" "$T/p.err"
}

@test "a terminal that stops reading: -i still ends the session" {
	start_guest pbx
	pty_client p "$CONSLET" -C "$T/consoles" -R "$T/run" -i 1 pbx
	guest_print pbx "hello"
	wait_file_contains "$T/p.recv" hello
	pty_pause p
	guest_flood pbx
	wait_for -t 30 _pty_queue_full "$(guest_tty pbx)"
	# 1 s idle, 5 s (FLUSH_MS) for what is pending, and some slack
	wait_pid_gone -t 10 "$CMD_PID"
	wait_for test -s "$T/p.pid.status"
	[ "$(cat "$T/p.pid.status")" = 0 ]
	grep -q -F "(idle)" "$T/p.err"
}

@test "a terminal shared with a shell is blocking again after the session" {
	start_guest pbx
	# after conslet, the shell looks at the terminal's O_NONBLOCK
	pty_client p sh -c '"$@"; python3 -c "import fcntl, os
print(\"nonblock\", fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK != 0)" >&2' \
	    sh "$CONSLET" -C "$T/consoles" -R "$T/run" pbx
	guest_print pbx "hello"
	wait_file_contains "$T/p.recv" hello
	_to_fifo "$T/p.in" printf '\r~.'
	wait_file_contains "$T/p.err" "nonblock"
	grep -q -F "nonblock False" "$T/p.err"
}

@test "10,000 ~B: the BREAKs are sent, their notes are few and counted" {
	start_guest pbx
	start_logger pbx
	serve pbx
	client_start c "$PORT"
	wait_who pbx 1
	peer=$(peer_of c)
	printf '~B%.0s' $(seq 1 10000) >"$T/breaks"
	client_send_file c "$T/breaks"
	type_sync c ""
	# the BREAKs themselves (on a pty, CR ~ ^B) were all sent: more than
	# the notes allow
	sent=$(count_of "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]")
	echo "$sent BREAK sent notices came back"
	[ "$sent" -gt 100 ]
	client_close c
	[ "$(session_status)" = 0 ]
	# the last note: how many were left out
	wait_file_contains "$LOGGER_LOG" "more notes by $peer"
	logged=$(grep -c -F "[conslog: BREAK sent as CR ~ ^B by $peer]" "$LOGGER_LOG")
	told=$(grep -c -F "CR ~ ^B by $peer" "$SERVER_ERR")
	echo "log: $logged BREAK notes; conslet's log: $told"
	grep -F "more notes by" "$LOGGER_LOG"
	# a burst of 5, then 1 a second for the few seconds the flood took
	[ "$logged" -ge 5 ] && [ "$logged" -le 30 ]
	[ "$told" -ge 5 ] && [ "$told" -le 30 ]
	# what was left out is counted: together, every BREAK
	left=$(sed -n 's/.*\[conslog: \([0-9]*\) more notes by .*/\1/p' \
	    "$LOGGER_LOG" | awk '{ n += $1 } END { print n + 0 }')
	[ $((logged + left)) = 10000 ]
}

# _nudge_and_find ID FILE STRING: the client types a byte (the session
# wakes up), then FILE is looked at for STRING.
_nudge_and_find() {
	client_send "$1" x && _contains "$2" "$3"
}

@test "notes left out are counted in the log once the limit allows, before the end" {
	start_guest pbx
	start_logger pbx
	serve pbx
	client_start c "$PORT"
	wait_who pbx 1
	peer=$(peer_of c)
	printf '~B%.0s' $(seq 1 20) >"$T/breaks"
	client_send_file c "$T/breaks"
	type_sync c ""
	# a second later one more note is allowed: the count of the 15
	wait_for _nudge_and_find c "$LOGGER_LOG" "[conslog: 15 more notes by $peer left out, the last: BREAK sent as CR ~ ^B by $peer]"
	[ "$(grep -c -F "[conslog: BREAK sent as CR ~ ^B by $peer]" "$LOGGER_LOG")" = 5 ]
	_alive "$(session_pid)"
}

@test "conslog survives a log past the file size limit, and counts the loss" {
	require prlimit
	start_guest pbx
	start_logger pbx
	prlimit --pid "$LOGGER_PID" --fsize=65536
	before=$(_file_size "$LOGGER_LOG")
	numbered_lines "$T/big" 2000 big	# 122,000 bytes
	guest_print_file pbx "$T/big"
	wait_file_contains "$LOGGER_ERR" "File too large"
	_alive "$LOGGER_PID"
	[ "$(_file_size "$LOGGER_LOG")" = 65536 ]
	# once the log is rotated, the new one says what the old one missed
	mv "$LOGGER_LOG" "$LOGGER_LOG.0"
	kill -HUP "$LOGGER_PID"
	wait_for test -e "$LOGGER_LOG"
	guest_print pbx "after"
	wait_file_contains "$LOGGER_LOG" "after"
	lost=$((before + 122000 - 65536))
	grep -q -F "[conslog: $lost bytes lost: File too large]" "$LOGGER_LOG"
	_alive "$LOGGER_PID"
}
