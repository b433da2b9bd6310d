#!/usr/bin/env bats
# Hostile and careless clients: one that floods the -m prompt and never
# reads, one that half-closes, a terminal that stops reading, a flood of
# BREAKs; and a log that outgrows the file size limit.

setup() {
	load helpers
	load logger
	common_setup
}

teardown() {
	common_teardown
}

# elapsed_ms START_US: milliseconds since START_US (from _now_us).
elapsed_ms() {
	echo $((($(_now_us) - $1) / 1000))
}

@test "-m: a client that floods empty lines and never reads is let go at the deadline" {
	require socat
	start_guest pbx
	serve -m -i 2
	start=$(_now_us)
	# -u: socat only sends; what conslet writes back is never read
	_spawn "$T/flood.out" "$T/flood.err" sh -c \
	    'yes "" | exec socat -u - "TCP:127.0.0.1:$1"' sh "$PORT"
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
	serve -m -i 2
	# 1 MB of empty lines at once, then the connection stays open, unread
	head -c 1000000 /dev/zero | tr '\0' '\n' >"$T/lines"
	start=$(_now_us)
	_spawn "$T/burst.out" "$T/burst.err" sh -c \
	    '{ cat "$2"; exec sleep 2147483647; } | exec socat -u - \
	    "TCP:127.0.0.1:$1"' sh "$PORT" "$T/lines"
	pid=$(session_pid 1)
	wait_for -t 5 _session_status "$pid" || {
		echo "the menu still runs after $(elapsed_ms "$start") ms" >&2
		return 1
	}
	[ "$(_session_status "$pid")" = 75 ]
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
