#!/usr/bin/env bats
# conslog: every byte in the log; replay then live for each new client;
# fan-out that a stalled viewer cannot hold up; one logger per console and
# one reader per device; the console going and coming back; log rotation,
# timestamps and a full file system; bad options.

# PORT_ID variables come from serve_as ID.
# shellcheck disable=SC2154

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	common_teardown
	# after the processes: a logger holding a file keeps its mount busy
	if [ -n "${LOGFS:-}" ] && mountpoint -q "$LOGFS"; then
		umount "$LOGFS" || umount -l "$LOGFS"
	fi
}

@test "every byte the guest prints is in the log, byte-exact, with nobody attached" {
	umask 022	# the log is 0640 less the umask
	start_guest pbx
	start_logger pbx
	all_bytes "$T/all"
	random_bytes "$T/rand" 1048576
	cat "$T/all" "$T/rand" >"$T/want"
	guest_print_file pbx "$T/all"
	guest_print_file pbx "$T/rand"
	wait_file_size -t 30 "$LOGGER_LOG" 1048832
	assert_same_bytes "$T/want" "$LOGGER_LOG"
	[ "$(who_count pbx)" -eq 0 ]
	mode=$(stat -c %a "$LOGGER_LOG")
	echo "log mode: expected 640, got $mode"
	[ "$mode" = 640 ]
}

@test "a new client gets the recent output from a line start, then the live output" {
	start_guest pbx
	start_logger pbx
	serve_as c pbx
	numbered_lines "$T/A" 100 before
	guest_print_file pbx "$T/A"
	wait_file_size "$LOGGER_LOG" 6100
	# the default replay: 2048 bytes, from a line start: the last 33 lines
	replay_of "$T/A" 2048 "$T/want"
	[ "$(_file_size "$T/want")" -eq 2013 ]
	client_start c "$PORT"
	wait_file_contains "$T/c.recv" "before line 0100 "
	numbered_lines "$T/B" 20 after
	guest_print_file pbx "$T/B"
	cat "$T/B" >>"$T/want"
	wait_file_size "$T/c.recv" "$(_file_size "$T/want")"
	assert_same_bytes "$T/want" "$T/c.recv"
}

@test "-h 0 replays nothing; -h N about the last N bytes, from a line start" {
	start_guest pbx
	start_logger pbx
	numbered_lines "$T/A" 100 before
	guest_print_file pbx "$T/A"
	wait_file_size "$LOGGER_LOG" 6100
	serve_as none -r -h 0 pbx
	serve_as some -r -h 500 pbx
	client_start n "$PORT_none"
	client_start s "$PORT_some"
	wait_file_contains "$T/s.recv" "before line 0100 "
	wait_who pbx 2
	guest_print pbx $'live\r\n'
	wait_file_contains "$T/n.recv" $'live\r\n'
	wait_file_contains "$T/s.recv" $'live\r\n'
	printf 'live\r\n' >"$T/want-n"
	check_stream "$T/want-n" "$T/n.recv"
	# 500 bytes from a line start: the last 8 lines (488 bytes)
	replay_of "$T/A" 500 "$T/want-s"
	[ "$(_file_size "$T/want-s")" -eq 488 ]
	printf 'live\r\n' >>"$T/want-s"
	check_stream "$T/want-s" "$T/s.recv"
}

@test "joining while the guest prints: no gap and no repeat between replay and live" {
	start_guest pbx
	# a ring that holds seconds of this output: joining takes the client
	# a while, and it must not fall the ring behind meanwhile
	start_logger pbx -b 4194304
	serve_as v -r pbx
	# numbered lines until told to stop, at about 1 MB/s, and once the
	# client has its first bytes no more than 2000 lines ahead of it
	_spawn "$T/producer.out" "$T/producer.err" python3 -c '
import os, re, sys, time
fifo, stop, recv = sys.argv[1:4]
n = 0

def seen():
    try:
        with open(recv, "rb") as f:
            f.seek(max(0, os.path.getsize(recv) - 64))
            got = re.findall(rb"seam (\d{8})\r\n", f.read())
    except OSError:
        return None
    return int(got[-1]) if got else None

with open(fifo, "wb") as f:
    while not os.path.exists(stop):
        f.write(b"".join(b"seam %08d\r\n" % (n + i) for i in range(1, 65)))
        f.flush()
        n += 64
        time.sleep(0.001)
        end = time.monotonic() + 20
        while (seen() or n) < n - 2000 and time.monotonic() < end:
            time.sleep(0.002)
    f.write(b"seam end\r\n")
' "$T/pbx.out" "$T/stop" "$T/v.recv"
	producer=$SPAWN_PID
	wait_file_size -t 20 "$LOGGER_LOG" 200000
	client_start v "$PORT"
	# it joined while the lines flowed, and they go on flowing to it
	wait_file_size -t 20 "$T/v.recv" 200000
	: >"$T/stop"
	wait_pid_gone -t 20 "$producer"
	wait_file_contains -t 20 "$T/v.recv" $'seam end\r\n'
	# first what the viewer is told, then the lines
	head -n 1 "$T/v.recv" | grep -q -F \
	    "[conslet: read-only: nobody has write access to pbx]"
	tail -n +2 "$T/v.recv" >"$T/v.lines"
	first=$(check_seam "$T/v.lines" seam)
	echo "the client's first line: $first"
	[ "$first" -gt 1 ]
	[ "$(check_seam "$LOGGER_LOG" seam)" -eq 1 ]
}

@test "~r replays the recent output again (2048 bytes when -h is 0)" {
	start_guest pbx
	start_logger pbx
	numbered_lines "$T/A" 100 before
	guest_print_file pbx "$T/A"
	wait_file_size "$LOGGER_LOG" 6100
	replay_of "$T/A" 300 "$T/r300"
	serve_as h300 -h 300 pbx
	client_start a "$PORT_h300"
	wait_file_size "$T/a.recv" "$(_file_size "$T/r300")"
	client_send a '~r'
	cat "$T/r300" "$T/r300" >"$T/want"
	wait_file_size "$T/a.recv" "$(_file_size "$T/want")"
	assert_same_bytes "$T/want" "$T/a.recv"
	client_close a
	[ "$(session_status 1)" = 0 ]
	serve_as h0 -h 0 pbx
	client_start b "$PORT_h0"
	client_send b '~r'
	replay_of "$T/A" 2048 "$T/want0"
	wait_file_size "$T/b.recv" "$(_file_size "$T/want0")"
	assert_same_bytes "$T/want0" "$T/b.recv"
	# the escapes stayed with conslet
	[ ! -s "$T/pbx.rec" ]
}

@test "20 clients at once each get every byte, in order" {
	start_guest pbx
	start_logger pbx
	serve_as w -h 0 pbx
	serve_as v -r -h 0 pbx
	client_start c0 "$PORT_w"
	for i in $(seq 1 19); do
		client_start "c$i" "$PORT_v"
	done
	wait_who -t 30 pbx 20
	random_bytes "$T/data" 262144
	guest_print_paced pbx "$T/data" "$T"/c*.recv
	for i in $(seq 0 19); do
		wait_ends_like -t 30 "$T/c$i.recv" "$T/data"
		check_stream "$T/data" "$T/c$i.recv"
	done
	assert_same_bytes "$T/data" "$LOGGER_LOG"
}

@test "a stalled viewer is told what it skipped; nobody else waits for it" {
	start_guest pbx
	start_logger pbx
	serve_as v -r -h 0 pbx
	client_start a "$PORT_v"
	client_start s "$PORT_v"
	wait_who pbx 2
	stalled=$(client_pid s)
	kill -STOP "$stalled"
	size=8388608
	marker="==end of the stream $RANDOM$RANDOM=="
	random_bytes "$T/data" $((size - ${#marker}))
	printf '%s' "$marker" >>"$T/data"
	# as fast as the active viewer takes it
	guest_print_paced pbx "$T/data" "$T/a.recv" 3>&- &
	writer=$!
	track_pid "$writer"
	# the guest got rid of all of it while the viewer was stopped
	wait_pid_gone -t 120 "$writer"
	st=0
	wait "$writer" || st=$?
	[ "$st" -eq 0 ]
	wait_file_size -t 60 "$LOGGER_LOG" "$size"
	state=$(proc_state "$stalled")
	echo "stalled viewer's state: expected T, got $state"
	[ "$state" = T ]
	assert_same_bytes "$T/data" "$LOGGER_LOG"
	wait_file_contains -t 60 "$T/a.recv" "$marker"
	check_stream "$T/data" "$T/a.recv"
	kill -CONT "$stalled"
	wait_file_contains -t 60 "$T/s.recv" "$marker"
	check_stream -s "$T/data" "$T/s.recv"
}

@test "a viewer that reads, paused while the guest prints 288 KiB, loses nothing: the ring stretches for it" {
	start_guest pbx
	# the default ring, 64 KiB, and the pipe, 64 KiB, would skip 160 KiB
	start_logger pbx
	serve_as v -r -E -h 0 pbx
	client_start c "$PORT_v"
	wait_who pbx 1
	on_server v
	viewer=$(session_pid 1)
	# it reads: the ring waits for it while its pipe took something
	# within the last second (STALL_MS)
	random_bytes "$T/data" 131072
	guest_print_file pbx "$T/data"
	wait_file_size -t 60 "$T/c.recv" 131072
	random_bytes "$T/more" 294912
	kill -STOP "$viewer"
	guest_print_file pbx "$T/more"
	wait_file_size -t 60 "$LOGGER_LOG" 425984
	state=$(proc_state "$viewer")
	echo "paused viewer's state: expected T, got $state"
	[ "$state" = T ]
	kill -CONT "$viewer"
	cat "$T/more" >>"$T/data"
	wait_file_size -t 60 "$T/c.recv" 425984
	assert_same_bytes "$T/data" "$T/c.recv"
}

# _rss_below PID KB: the process's resident set is under KB kB.
_rss_below() {
	[ "$(_vm_rss "$1")" -lt "$2" ]
}

@test "the ring stretched for a viewer that was behind goes back to its size once it has caught up" {
	start_guest pbx
	start_logger pbx
	serve_as v -r -E -h 0 pbx
	client_start c "$PORT_v"
	wait_who pbx 1
	on_server v
	viewer=$(session_pid 1)
	rss0=$(_vm_rss "$LOGGER_PID")
	# 2 MiB: printed well within the second (STALL_MS) after which a
	# viewer whose pipe takes nothing is no longer waited for
	random_bytes "$T/data" 2097152
	kill -STOP "$viewer"
	guest_print_file pbx "$T/data"
	wait_file_size -t 60 "$LOGGER_LOG" 2097152
	rss1=$(_vm_rss "$LOGGER_PID")
	kill -CONT "$viewer"
	wait_file_size -t 60 "$T/c.recv" 2097152
	assert_same_bytes "$T/data" "$T/c.recv"
	# every reader near the end for RING_REST (2 s): the pages go back
	wait_for -t 20 _rss_below "$LOGGER_PID" $((rss0 + 1024))
	echo "conslog's RSS: $rss0 kB, $rss1 kB behind, $(_vm_rss "$LOGGER_PID") kB after"
	[ "$rss1" -gt $((rss0 + 1536)) ]
	not grep -q "skipped" "$LOGGER_LOG"
}

@test "a viewer (-r) runs at a nice value 10 above the writer's; both get the guest's bytes" {
	start_guest pbx
	start_logger pbx
	serve_as w -h 0 pbx
	serve_as v -r -h 0 pbx
	client_start a "$PORT_w"
	client_start b "$PORT_v"
	wait_who pbx 2
	on_server w
	writer=$(session_pid 1)
	on_server v
	viewer=$(session_pid 1)
	wn=$(ps -o ni= -p "$writer" | tr -d ' ')
	vn=$(ps -o ni= -p "$viewer" | tr -d ' ')
	echo "nice: writer $wn, viewer $vn, conslog $(ps -o ni= -p "$LOGGER_PID")"
	[ "$vn" -eq $((wn + 10)) ]
	guest_print pbx $'both\r\n'
	wait_file_contains "$T/a.recv" "both"
	wait_file_contains "$T/b.recv" "both"
}

@test "a second conslog for the same console is refused with status 75" {
	start_guest pbx
	start_logger pbx
	run conslog_run -L "$T/log" pbx
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"pbx is already logged by pid $LOGGER_PID"* ]]
	# the first one goes on
	guest_print pbx $'still logged\r\n'
	wait_file_contains "$LOGGER_LOG" "still logged"
}

@test "SIGTERM: exit 0, files removed, and the device is free for a direct client" {
	start_guest pbx
	start_logger pbx -p "$T/conslog.pid"
	[ -S "$T/run/pbx.sock" ]
	[ -e "$T/run/pbx.who" ]
	[ "$(cat "$T/conslog.pid")" = "$LOGGER_PID" ]
	guest_print pbx $'logged\r\n'
	wait_file_contains "$LOGGER_LOG" $'logged\r\n'
	kill -TERM "$LOGGER_PID"
	logger_wait_exit "$LOGGER_PID"
	echo "exit status: expected 0, got $LOGGER_STATUS"
	[ "$LOGGER_STATUS" = 0 ]
	ls -lA "$T/run"
	[ ! -e "$T/run/pbx.sock" ]
	[ ! -e "$T/run/pbx.who" ]
	[ ! -e "$T/conslog.pid" ]
	# no "(logged)" any more
	wait_listed pbx free
	size=$(_file_size "$LOGGER_LOG")
	serve_as d pbx
	client_start d "$PORT"
	guest_print pbx $'direct now\r\n'
	wait_file_contains "$T/d.recv" $'direct now\r\n'
	printf 'direct now\r\n' >"$T/want"
	assert_same_bytes "$T/want" "$T/d.recv"
	[ "$(_file_size "$LOGGER_LOG")" -eq "$size" ]
}

@test "a logger killed with SIGKILL: clients are told and end; a new one cleans up" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	serve_as v -r pbx
	client_start w "$PORT_w"
	client_start v "$PORT_v"
	client_start x "$PORT_v"
	wait_who pbx 3
	guest_print pbx $'before the kill\r\n'
	wait_file_contains "$T/w.recv" "before the kill"
	wait_file_contains "$T/x.recv" "before the kill"
	kill -KILL "$LOGGER_PID"
	for c in w v x; do
		wait_file_contains "$T/$c.recv" "[conslet: logger stopped]"$'\r\n'
		client_wait_eof "$c"
	done
	on_server w
	[ "$(session_status 1)" = 74 ]
	on_server v
	[ "$(session_status 1)" = 74 ]
	[ "$(session_status 2)" = 74 ]
	# what the dead logger left: its list of clients and its socket
	[ "$(who_count pbx)" -eq 3 ]
	[ -S "$T/run/pbx.sock" ]
	start_logger pbx
	ls -lA "$T/run"
	[ "$(who_count pbx)" -eq 0 ]
	guest_print pbx $'after the restart\r\n'
	wait_file_contains "$LOGGER_LOG" "after the restart"
	client_start n "$PORT_w"
	wait_file_contains "$T/n.recv" "after the restart"
	guest_print pbx $'live again\r\n'
	wait_file_contains "$T/n.recv" "live again"
	printf 'after the restart\r\nlive again\r\n' >"$T/want"
	assert_same_bytes "$T/want" "$T/n.recv"
	# appended to, not truncated
	grep -q -a -F "before the kill" "$LOGGER_LOG"
}

@test "a logger waits for a direct session to end before it reads the device" {
	start_guest pbx
	serve_as d pbx
	client_start d "$PORT"
	guest_print pbx $'direct one\r\n'
	wait_file_contains "$T/d.recv" "direct one"
	spawn_logger pbx
	# it is up, and waits for the device
	wait_for test -S "$T/run/pbx.sock"
	guest_print pbx $'direct two\r\n'
	wait_file_contains "$T/d.recv" "direct two"
	printf 'direct one\r\ndirect two\r\n' >"$T/want"
	assert_same_bytes "$T/want" "$T/d.recv"
	_alive "$LOGGER_PID"
	not grep -q -a -F direct "$LOGGER_LOG"
	client_close d
	[ "$(session_status 1)" = 0 ]
	logger_wait_ready
	guest_print pbx $'logged three\r\n'
	wait_file_contains "$LOGGER_LOG" $'logged three\r\n'
	not grep -q -a -F direct "$LOGGER_LOG"
}

@test "the console going away and coming back is noted; viewers stay" {
	start_guest pbx
	start_logger pbx
	serve_as v -r pbx
	client_start v "$PORT"
	wait_who pbx 1
	guest_print pbx $'before the hangup\r\n'
	wait_file_contains "$LOGGER_LOG" "before the hangup"
	guest_hangup pbx
	wait_file_contains "$LOGGER_LOG" "[conslog: console closed]"
	wait_file_contains "$T/v.recv" "[conslet: console closed]"$'\r\n'
	guest_reboot pbx
	wait_file_contains -t 20 "$LOGGER_LOG" "[conslog: console reopened]"
	wait_file_contains "$T/v.recv" "[conslet: console reopened]"$'\r\n'
	guest_print pbx $'after the reboot\r\n'
	wait_file_contains "$LOGGER_LOG" "after the reboot"
	wait_file_contains "$T/v.recv" "after the reboot"
	cat -A "$LOGGER_LOG"
	# in this order, each notice on a line of its own
	grep -a -x -E $'before the hangup\r|\\[conslog: console (closed|reopened)\\]\r?|after the reboot\r' \
	    "$LOGGER_LOG" | tr -d '\r' >"$T/order"
	printf '%s\n' "before the hangup" "[conslog: console closed]" \
	    "[conslog: console reopened]" "after the reboot" >"$T/want"
	diff "$T/want" "$T/order"
	grep -a -x -E $'before the hangup\r|\\[conslet: console (closed|reopened)\\]\r|after the reboot\r' \
	    "$T/v.recv" | tr -d '\r' >"$T/order-v"
	printf '%s\n' "before the hangup" "[conslet: console closed]" \
	    "[conslet: console reopened]" "after the reboot" >"$T/want-v"
	diff "$T/want-v" "$T/order-v"
	_alive "$(client_pid v)"
}

@test "SIGHUP reopens the log: rotation keeps every byte, old and new apart" {
	start_guest pbx
	start_logger pbx
	guest_print pbx $'first\n'
	wait_file_contains "$LOGGER_LOG" $'first\n'
	mv "$LOGGER_LOG" "$LOGGER_LOG.1"
	kill -HUP "$LOGGER_PID"
	wait_for test -e "$LOGGER_LOG"
	guest_print pbx $'second\n'
	wait_file_contains "$LOGGER_LOG" $'second\n'
	[ "$(cat "$LOGGER_LOG.1")" = first ]
	[ "$(cat "$LOGGER_LOG")" = second ]
	_alive "$LOGGER_PID"
}

@test "-T starts each line of the log with the date and time" {
	start_guest pbx
	start_logger pbx -T
	guest_print pbx $'one\n'
	wait_file_contains "$LOGGER_LOG" $'one\n'
	guest_print pbx $'two\nthr'
	wait_file_contains "$LOGGER_LOG" 'thr'
	guest_print pbx $'ee\n'
	wait_file_contains "$LOGGER_LOG" $'ee\n'
	cat -A "$LOGGER_LOG"
	[ "$(wc -l <"$LOGGER_LOG")" -eq 3 ]
	[ "$(grep -c -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} (one|two|three)$' "$LOGGER_LOG")" -eq 3 ]
	[ "$(sed 's/^[^ ]* [^ ]* //' "$LOGGER_LOG" | tr '\n' ' ')" = "one two three " ]
}

@test "a full file system: viewers get everything, the log says how much it lost" {
	[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"
	LOGFS=$T/logfs
	mkdir "$LOGFS"
	mount -t tmpfs -o size=64k tmpfs "$LOGFS" 2>"$T/mount.err" ||
	    skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
	# fill it up before the logger comes: its log gets no byte in
	dd if=/dev/zero of="$LOGFS/filler" bs=4096 2>/dev/null || true
	not dd if=/dev/zero of="$LOGFS/probe" bs=1 count=1 2>/dev/null
	rm -f "$LOGFS/probe"
	start_guest pbx
	start_logger pbx -L "$LOGFS"
	log=$LOGFS/pbx.log
	serve_as v -r -h 0 pbx
	client_start v "$PORT"
	wait_who pbx 1
	numbered_lines "$T/P1" 1700 full
	size1=$(_file_size "$T/P1")
	guest_print_paced pbx "$T/P1" "$T/v.recv"
	wait_ends_like -t 30 "$T/v.recv" "$T/P1"
	check_stream "$T/P1" "$T/v.recv"
	[ "$(_file_size "$log")" -eq 0 ]
	rm "$LOGFS/filler"
	guest_print pbx $'room again\r\n'
	wait_file_contains "$log" "room again"
	wait_file_contains "$T/v.recv" "room again"
	cat -A "$log"
	python3 - "$log" "$size1" <<'EOF'
import re, sys
log, lost = open(sys.argv[1], "rb").read(), int(sys.argv[2])
want = re.compile(rb"\[conslog: (\d+) bytes lost: No space left on device\]\r?\nroom again\r\n")
m = want.fullmatch(log)
if not m:
    sys.exit("expected the lost-bytes notice then 'room again', got %r" % log)
if int(m.group(1)) != lost:
    sys.exit("expected %d bytes lost, the notice says %s" % (lost, m.group(1).decode()))
EOF
}

@test "bad options and consoles are refused with clear messages and statuses" {
	start_guest pbx
	mkdir -p "$T/log"
	while IFS='|' read -r st args want; do
		# shellcheck disable=SC2086
		run conslog_run $args
		echo "conslog $args: status $status (expected $st): $output"
		[ "$status" -eq "$st" ]
		[[ "$output" == *"$want"* ]]
	done <<EOF
64|-L $T/log -b 10 pbx|ring size
64|-L $T/log -b 10 pbx|10
64|-L $T/log -b 67108865 pbx|67108865
64|-L $T/log -b abc pbx|abc
64|-L $T/log ../x|invalid console name: "../x"
64|-L $T/log $GUEST_TTY|invalid console name
64|-L $T/log -z pbx|unknown option -z
64|-L $T/log|usage: conslog
66|-L $T/log nope|no such console: nope
71|-L $T/no/such/dir pbx|$T/no/such/dir: No such file or directory
EOF
	ls -A "$T/run"
	[ -z "$(find "$T/run" -mindepth 1 \( -name '*.sock' -o -name '*.who' \))" ]
	[ -z "$(ls -A "$T/log")" ]
	# and the bounds are bounds: the smallest ring works
	start_logger pbx -b 4096
	guest_print pbx $'small ring\r\n'
	wait_file_contains "$LOGGER_LOG" "small ring"
}
