#!/usr/bin/env bats
# The relay: bytes both ways, byte-exact, through tcpserver with nc and
# socat; how sessions end; back-pressure toward a client that stops reading.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

@test "all 256 byte values pass both ways unchanged with -E (nc)" {
	start_guest pbx
	serve -E pbx
	client_start c "$PORT"
	all_bytes "$T/all"
	client_send_file c "$T/all"
	wait_file_size "$T/pbx.rec" 256
	assert_same_bytes "$T/all" "$T/pbx.rec"
	guest_print_file pbx "$T/all"
	wait_file_size "$T/c.recv" 256
	assert_same_bytes "$T/all" "$T/c.recv"
}

@test "1 MiB passes each way byte-exact (socat)" {
	start_guest pbx
	serve -E pbx
	client_start c "$PORT" socat
	random_bytes "$T/up" 1048576
	random_bytes "$T/down" 1048576
	client_send_file c "$T/up"
	guest_print_file pbx "$T/down"
	wait_file_size -t 30 "$T/pbx.rec" 1048576
	wait_file_size -t 30 "$T/c.recv" 1048576
	assert_same_bytes "$T/up" "$T/pbx.rec"
	assert_same_bytes "$T/down" "$T/c.recv"
}

@test "no greeting: the first bytes a client sees are the guest's" {
	start_guest pbx
	serve pbx
	client_start c "$PORT"
	guest_print pbx "login: "
	wait_file_size "$T/c.recv" 7
	[ "$(cat "$T/c.recv")" = "login: " ]
}

@test "keystrokes sent just before the client closes still reach the guest" {
	start_guest pbx
	serve -E pbx
	client_start c "$PORT"
	random_bytes "$T/up" 200000
	client_send_file c "$T/up"
	client_close c
	[ "$(session_status)" = 0 ]
	assert_same_bytes "$T/up" "$T/pbx.rec"
}

@test "the guest vanishing ends the session with a notice and status 74" {
	start_guest pbx
	serve pbx
	client_start c "$PORT"
	guest_print pbx "bye"
	wait_file_contains "$T/c.recv" "bye"
	guest_hangup pbx
	wait_file_contains "$T/c.recv" "[conslet: console closed]"$'\r\n'
	[ "$(session_status)" = 74 ]
	client_wait_eof c
	# the lock went with it
	run "$CONSLET" -C "$T/consoles" -R "$T/run" -l
	[[ "$output" == *"pbx "*" missing"* ]] || [[ "$output" == *" free"* ]]
}

@test "SIGTERM ends the session with a notice and status 0" {
	start_guest pbx
	serve pbx
	client_start c "$PORT"
	pid=$(session_pid)
	kill -TERM "$pid"
	wait_file_contains "$T/c.recv" "[conslet: terminated]"
	[ "$(session_status)" = 0 ]
}

@test "-i ends a session whose client stays silent" {
	start_guest pbx
	serve -i 1 pbx
	client_start c "$PORT"
	wait_file_contains "$T/c.recv" "[conslet: idle timeout]"$'\r\n'
	[ "$(session_status)" = 0 ]
}

@test "console output does not count as activity for -i" {
	start_guest pbx
	serve -i 1 pbx
	client_start c "$PORT"
	guest_print pbx "tick"
	wait_file_contains "$T/c.recv" "tick"
	wait_file_contains "$T/c.recv" "[conslet: idle timeout]"
	[ "$(session_status)" = 0 ]
}

@test "a client that stops reading holds the guest back; memory stays bounded" {
	start_guest pbx
	serve -E pbx
	client_start c "$PORT"
	cpid=$(client_pid c)
	spid=$(session_pid)
	hwm_start=$(_vm_hwm "$spid")
	kill -STOP "$cpid"
	# 16 MiB: more than every kernel buffer on the way can take
	random_bytes "$T/down" 16777216
	cat "$T/down" >"$T/pbx.out" 3>&- &
	writer=$!
	track_pid "$writer"
	# conslet stops reading the device, so the pty's queue fills up and
	# stays full while the guest still has output to give
	wait_for -t 30 _pty_queue_full "$(guest_tty pbx)"
	_alive "$writer"
	kill -CONT "$cpid"
	wait_file_size -t 60 "$T/c.recv" 16777216
	assert_same_bytes "$T/down" "$T/c.recv"
	hwm_end=$(_vm_hwm "$spid")
	echo "peak RSS: $hwm_start kB at the start, $hwm_end kB at the end"
	# a relay that buffered what the client did not read would have grown
	# by several MiB; this one holds 64 KiB each way
	[ $((hwm_end - hwm_start)) -lt 4096 ]
}

# _io PID FIELD: a counter of the process's /proc/PID/io (rchar, wchar).
_io() {
	sed -n "s/^$2: //p" "/proc/$1/io"
}

# _reads_settled PID: its read count has not moved for half a second
# (since the first call that saw it where it is).
_reads_settled() {
	local r now
	r=$(_io "$1" rchar)
	now=$(_now_us)
	if [ "$r" != "$(cat "$T/settle.r" 2>/dev/null)" ]; then
		echo "$r" >"$T/settle.r"
		echo "$now" >"$T/settle.t"
		return 1
	fi
	[ $((now - $(cat "$T/settle.t"))) -ge 500000 ]
}

@test "a guest that stops reading holds the client back; conslet holds 16 KiB of its bytes at most" {
	start_guest pbx
	serve -E pbx
	client_start c "$PORT"
	client_send c "first"
	wait_file_contains "$T/pbx.rec" "first"
	spid=$(session_pid)
	# counted from here: what it read of its own before (the time zone,
	# /proc for the locks' pids, a sanitizer's maps) is not the client's
	r0=$(_io "$spid" rchar)
	w0=$(_io "$spid" wchar)
	random_bytes "$T/up" 1048576
	kill -STOP "$(guest_pid pbx)"
	client_send_file c "$T/up" &
	track_pid $!
	wait_for -t 30 _reads_settled "$spid"
	# what it read since and did not write: the client's bytes it holds
	# (64 KiB toward the device would be four times the bound)
	r=$(($(_io "$spid" rchar) - r0))
	w=$(($(_io "$spid" wchar) - w0))
	echo "conslet read $r bytes and wrote $w since: it holds $((r - w))"
	[ $((r - w)) -le $((16384 + 1024)) ]
	kill -CONT "$(guest_pid pbx)"
	wait_file_size -t 60 "$T/pbx.rec" $((1048576 + 5))
	printf first | cat - "$T/up" >"$T/want"
	assert_same_bytes "$T/want" "$T/pbx.rec"
}
