#!/usr/bin/env bats
# Log rotation on Linux: the real logrotate(8) on contrib/logrotate/conslog,
# with a real conslog writing the log while the guest prints.

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
	LOGROTATE=${LOGROTATE:-/usr/sbin/logrotate}
	[ -x "$LOGROTATE" ] || skip "$LOGROTATE is not installed"
}

teardown() {
	common_teardown
}

# rotate_conf: contrib/logrotate/conslog as $T/logrotate.conf, for the test's
# log directory and logger.  The real postrotate asks systemd to send
# SIGHUP to the main process of every conslog@ unit; there is no systemd
# to ask here, so it sends SIGHUP to the test's conslog by its pid.
rotate_conf() {
	sed -e "s|^/var/log/conslet/\*\.log {\$|$T/log/*.log {|" \
	    -e "s|^\([[:space:]]*\)systemctl kill --kill-who=main -s HUP 'conslog@\*\.service' .*\$|\1kill -HUP $LOGGER_PID|" \
	    "$TOP/contrib/logrotate/conslog" >"$T/logrotate.conf"
	[ "$(grep -c -x -E "$(re_quote "$T/log/*.log") \{|[[:space:]]*kill -HUP $LOGGER_PID" \
	    "$T/logrotate.conf")" = 2 ] || {
		echo "contrib/logrotate/conslog: the log path or the systemctl line" \
		    "was not found to rewrite; the copy is:" >&2
		cat "$T/logrotate.conf" >&2
		return 1
	}
}

# rotate: logrotate -f on the copy, with a state file of the test's.
rotate() {
	"$LOGROTATE" -f -s "$T/logrotate.state" "$T/logrotate.conf"
}

# slow_print NAME FILE: in the background, the guest prints FILE a line
# every 2 ms; sets WRITER_PID.
slow_print() {
	# shellcheck disable=SC2016
	_spawn "$T/writer.out" "$T/writer.err" python3 -c 'import sys, time
with open(sys.argv[1], "wb", buffering=0) as out:
    for line in open(sys.argv[2], "rb").read().splitlines(keepends=True):
        out.write(line)
        time.sleep(0.002)' "$T/$1.out" "$2"
	WRITER_PID=$SPAWN_PID
}

@test "logrotate.d/conslog: logrotate rotates a log conslog is writing; the bytes are all there, old then new" {
	start_guest web
	start_logger web
	rotate_conf
	numbered_lines "$T/A" 100 A
	numbered_lines "$T/B" 1000 B
	numbered_lines "$T/C" 100 C
	cat "$T/A" "$T/B" "$T/C" >"$T/want"

	guest_print_file web "$T/A"
	wait_file_size "$LOGGER_LOG" "$(_file_size "$T/A")"
	# rotate while the guest goes on printing: B is still coming in
	slow_print web "$T/B"
	wait_file_contains "$LOGGER_LOG" "B line 0200 "
	rotate
	if ! _alive "$WRITER_PID"; then
		echo "expected the rotation to fall amid B; B was all printed" \
		    "before logrotate was done" >&2
		return 1
	fi
	wait_pid_gone -t 30 "$WRITER_PID"
	guest_print_file web "$T/C"
	wait_file_contains "$LOGGER_LOG" "C line 0100 "

	# the old log is web.log.1 (delaycompress: not compressed yet), and
	# holds the earlier bytes; the new output is in a fresh web.log
	[ -f "$LOGGER_LOG.1" ]
	[ "$(ls "$T/log")" = "$(printf '%s\n' web.log web.log.1)" ]
	cmp -s -n "$(_file_size "$T/A")" "$T/A" "$LOGGER_LOG.1" ||
	    { echo "expected web.log.1 to begin with A" >&2; return 1; }
	grep -q -a -F "B line 0200 " "$LOGGER_LOG.1"
	grep -q -a -F "C line 0100 " "$LOGGER_LOG"
	if grep -q -a -F "A line " "$LOGGER_LOG"; then
		echo "expected nothing of A in the fresh web.log" >&2
		return 1
	fi
	# nothing lost or repeated at the seam
	cat "$LOGGER_LOG.1" "$LOGGER_LOG" >"$T/got"
	echo "seam at byte $(_file_size "$LOGGER_LOG.1") of $(_file_size "$T/want")"
	assert_same_bytes "$T/want" "$T/got"

	# a second rotation compresses the first one's file (once conslog has
	# let go of it) and starts another
	guest_print web "D"$'\r\n'
	wait_file_contains "$LOGGER_LOG" "D"$'\r\n'
	rotate
	wait_for test -e "$LOGGER_LOG"
	guest_print web "E"$'\r\n'
	wait_file_contains "$LOGGER_LOG" "E"$'\r\n'
	[ "$(ls "$T/log")" = "$(printf '%s\n' web.log web.log.1 web.log.2.gz)" ]
	{ gzip -dc "$LOGGER_LOG.2.gz"; cat "$LOGGER_LOG.1" "$LOGGER_LOG"; } >"$T/got"
	printf 'D\r\nE\r\n' >>"$T/want"
	assert_same_bytes "$T/want" "$T/got"
	_alive "$LOGGER_PID"
}

@test "logrotate.d/conslog: logrotate -d reads the file as it is installed without an error" {
	local st=0
	"$LOGROTATE" -d -s "$T/logrotate.state" "$TOP/contrib/logrotate/conslog" \
	    >"$T/lr.out" 2>&1 || st=$?
	if [ "$st" != 0 ] || grep -q -i '^error' "$T/lr.out"; then
		echo "expected logrotate -d to exit 0 without an error;" \
		    "it exited $st, saying:" >&2
		cat "$T/lr.out" >&2
		return 1
	fi
	# it read the entry: the pattern, weekly, 8 kept
	grep -q -F 'rotating pattern: /var/log/conslet/*.log  weekly (8 rotations)' \
	    "$T/lr.out"
}
