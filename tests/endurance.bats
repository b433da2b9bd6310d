#!/usr/bin/env bats
# Endurance and faults: many sessions, SIGKILLed at random moments, with
# and without a logger that is SIGKILLed too; the guest going and coming
# back many times under a viewer; a flood of connections; a client that
# sends without reading, and one that neither sends nor reads.  Afterwards
# nothing may be left behind: no lock, no fifo, no process, no descriptor,
# no memory; and a fresh client still works.
#
# The random moments come from a seed, printed by every test that uses
# one: ENDURANCE_SEED=N bats tests/endurance.bats plays that plan again.

# PORT_ID variables come from serve_as ID.
# shellcheck disable=SC2154

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
	require python3 flock
	SEED=${ENDURANCE_SEED:-$RANDOM}
	RANDOM=$SEED
}

teardown() {
	common_teardown
}

# endure SUBCOMMAND ARGS...: the clients of tests/tools/endurance.py.
endure() {
	env T="$T" WAIT_TIMEOUT="$WAIT_TIMEOUT" \
	    python3 "$TOP/tests/tools/endurance.py" "$@" 3>&-
}

# all_ended PIDFILE: every pid listed in the file is gone.
all_ended() {
	local left pids
	mapfile -t pids <"$1"
	left=$(_alive_of "${pids[@]}")
	[ -z "$left" ] && return 0
	echo "still alive: $left" >&2
	return 1
}

# no_stale_locks: no writer lock is held; any reader lock is held by the
# logger in $T/logger.pid; a record left in a lock file names a process
# that is gone (a dead holder's record is ignored) or the logger.
no_stale_locks() {
	local f pid logger=
	[ -e "$T/logger.pid" ] && logger=$(cat "$T/logger.pid")
	for f in "$T"/run/*.w "$T"/run/*.r; do
		[ -e "$f" ] || continue
		pid=$(sed -n 's/^pid //p' "$f")
		if [ -n "$logger" ] && [ "${f##*.}" = r ]; then
			[ "$pid" = "$logger" ] || {
				echo "$f names pid $pid, not the logger $logger" >&2
				return 1
			}
			continue
		fi
		flock -n -x "$f" true || {
			echo "$f is still locked: $(cat "$f")" >&2
			return 1
		}
		[ -z "$pid" ] || not _alive "$pid" || {
			echo "$f names pid $pid, which lives" >&2
			return 1
		}
	done
}

# no_fifos NAME: nothing but the console's own files is left in the run
# directory (its locks, force fifo, logger lock, socket, status file and
# counters).
no_fifos() {
	local left
	left=$(find "$T/run" -mindepth 1 ! -name 'dev.*.[wr]' ! -name 'dev.*.f' \
	    ! -name "$1.logger" ! -name "$1.sock" ! -name "$1.who" \
	    ! -name "$1.stat" 2>/dev/null)
	[ -z "$left" ] && return 0
	echo "left in $T/run: $left" >&2
	return 1
}

# fresh_client NAME: a new client through a new conslet -E gets the
# console and passes the 256 byte values unchanged both ways (the guest
# echoes); what older sessions left in the device's queue comes first.
fresh_client() {
	local off rec
	serve_as fresh -E "$1"
	client_start f "$PORT"
	client_send f "sync"
	wait_file_contains "$T/f.recv" "sync"
	wait_file_contains "$T/$1.rec" "sync"
	off=$(_file_size "$T/f.recv")
	rec=$(_file_size "$T/$1.rec")
	all_bytes "$T/all"
	client_send_file f "$T/all"
	wait_file_size "$T/$1.rec" $((rec + 256))
	tail -c +$((rec + 1)) "$T/$1.rec" >"$T/rec.tail"
	assert_same_bytes "$T/all" "$T/rec.tail"
	wait_file_size "$T/f.recv" $((off + 256))
	tail -c +$((off + 1)) "$T/f.recv" >"$T/recv.tail"
	assert_same_bytes "$T/all" "$T/recv.tail"
	client_close f
}

@test "500 sessions, half SIGKILLed at random moments: no lock, process or stale record left" {
	echo "seed $SEED"
	start_guest pbx -e
	serve pbx
	endure churn --port "$PORT" --server-log "$SERVER_ERR" --seed "$SEED" \
	    --cycles 500 --pids-out "$T/churn.pids"
	[ "$(wc -l <"$T/churn.pids")" -eq 500 ]
	all_ended "$T/churn.pids"
	wait_server_idle
	no_stale_locks
	wait_listed pbx free
	fresh_client pbx
}

@test "sessions through a logger SIGKILLed and restarted at random moments: no fifo, lock, process or descriptor left" {
	echo "seed $SEED"
	# under AddressSanitizer: no quarantine of freed memory, which would
	# count as growth here (its leak check runs at exit)
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	start_guest pbx -e
	start_logger pbx
	echo "$LOGGER_PID" >"$T/logger.pid"
	serve pbx
	# 150 sessions, half of their conslets and 6 loggers SIGKILLed
	endure churn --port "$PORT" --server-log "$SERVER_ERR" --seed "$SEED" \
	    --cycles 150 --pids-out "$T/churn1.pids" --logger-kills 6 \
	    --logger-pidfile "$T/logger.pid" --logger-err "$LOGGER_ERR" -- \
	    env CONSLET_TESTDIR="$T" "$CONSLOG" -C "$T/consoles" \
	    -R "$T/run" -L "$T/log" "${UUCP_OPTS[@]}" pbx
	all_ended "$T/churn1.pids"
	wait_server_idle
	lpid=$(cat "$T/logger.pid")
	# the last logger gets the device (after its backoff)
	wait_listed pbx 'free \(logged\)'
	no_stale_locks
	no_fifos pbx
	fds=$(fd_count "$lpid")
	rss=$(_vm_rss "$lpid")
	# 150 more through that logger, half of them SIGKILLed
	endure churn --port "$PORT" --server-log "$SERVER_ERR" \
	    --seed "$((SEED + 1))" --cycles 150 --pids-out "$T/churn2.pids"
	all_ended "$T/churn2.pids"
	wait_server_idle
	wait_who pbx 0
	no_stale_locks
	# a fifo of a conslet killed before it asked to join goes at the
	# next join: this client's
	fresh_client pbx
	wait_server_idle
	wait_who pbx 0
	no_fifos pbx
	no_stale_locks
	[ "$(cat "$T/logger.pid")" = "$lpid" ]
	_alive "$lpid"
	echo "conslog pid $lpid: $fds descriptors before, $(fd_count "$lpid") after"
	[ "$(fd_count "$lpid")" -eq "$fds" ]
	echo "conslog RSS: $rss kB before, $(_vm_rss "$lpid") kB after"
	[ $(($(_vm_rss "$lpid") - rss)) -lt 4096 ]
}

# _reopened_is N: the log has N "console reopened" markers.
_reopened_is() {
	[ "$(grep -c -x -F '[conslog: console reopened]' "$LOGGER_LOG")" -eq "$1" ]
}

@test "50 guest restarts under a viewer: every cycle once, in order, between the markers" {
	start_guest pbx
	start_logger pbx
	serve_as v -r pbx
	client_start v "$PORT"
	vpid=$(session_pid)
	wait_who pbx 1
	: >"$T/want"
	# a viewer is told first what it is
	printf '[conslet: read-only: nobody has write access to pbx]\r\n' \
	    >"$T/want-v"
	for i in $(seq 1 50); do
		line="cycle $i of 50: the guest prints this once"
		guest_print pbx "$line"$'\r\n'
		wait_file_contains "$LOGGER_LOG" "$line"
		# a new pty, then the old one goes: never a dangling link,
		# whose pty number another process could be given meanwhile
		guest_reboot pbx
		wait_for _reopened_is "$i"
		printf '%s\r\n[conslog: console closed]\n[conslog: console reopened]\n' \
		    "$line" >>"$T/want"
		printf '%s\r\n[conslet: console closed]\r\n[conslet: console reopened]\r\n' \
		    "$line" >>"$T/want-v"
	done
	guest_print pbx $'the end\r\n'
	printf 'the end\r\n' >>"$T/want"
	printf 'the end\r\n' >>"$T/want-v"
	wait_file_contains "$LOGGER_LOG" "the end"
	assert_same_bytes "$T/want" "$LOGGER_LOG"
	wait_file_contains "$T/v.recv" "the end"
	assert_same_bytes "$T/want-v" "$T/v.recv"
	# the same viewer saw it all
	_alive "$vpid"
	[ "$(who_count pbx)" -eq 1 ]
	[ "$(grep -c '^tcpserver: pid ' "$SERVER_ERR")" -eq 1 ]
}

@test "200 connections at once, no logger: one wins, the others are told, leave with 75, and the winner relays" {
	start_guest pbx -e
	TCPSERVER_OPTS="-c 250 -b 250" serve pbx
	endure flood --port "$PORT" --server-log "$SERVER_ERR" --count 200 \
	    --name pbx --sent-out "$T/sent"
	# nothing but the winner's keystrokes reached the guest
	assert_same_bytes "$T/sent" "$T/pbx.rec"
	[ "$(grep -c '^tcpserver: pid ' "$SERVER_ERR")" -eq 200 ]
	[ "$(grep -c '^tcpserver: end ' "$SERVER_ERR")" -eq 200 ]
	wait_server_idle
	no_stale_locks
	wait_listed pbx free
}

# hog ID [ARGS...]: a client of endurance.py that reads nothing until
# $T/ID.go exists, then writes what it gets to $T/ID.recv.
hog() {
	local id=$1
	shift
	_spawn "$T/$id.out" "$T/$id.err" env T="$T" python3 \
	    "$TOP/tests/tools/endurance.py" hog --port "$PORT" \
	    --port-out "$T/$id.port" --sent-out "$T/$id.sent" \
	    --go "$T/$id.go" --recv "$T/$id.recv" "$@"
	wait_for test -s "$T/$id.port"
}

@test "a client that sends without reading: its keystrokes flow, the guest is held back, memory stays bounded" {
	start_guest pbx
	serve -E pbx
	random_bytes "$T/up" 4194304
	# 16 MiB: more than every kernel buffer on the way can take
	random_bytes "$T/down" 16777216
	hog h --rcvbuf 65536 --send "$T/up" --send-go "$T/h.send"
	spid=$(session_pid)
	wait_listed pbx 'in use by .*'
	hwm=$(_vm_hwm "$spid")
	cat "$T/down" >"$T/pbx.out" 3>&- &
	writer=$!
	track_pid "$writer"
	# conslet stops reading the device: its queue is full while the guest
	# still has output to give
	wait_for -t 30 _pty_queue_full "$(guest_tty pbx)"
	_alive "$writer"
	# and still reads the client: every keystroke reaches the guest
	touch "$T/h.send"
	wait_file_size -t 60 "$T/pbx.rec" 4194304
	wait_file_contains "$T/h.sent" sent
	assert_same_bytes "$T/up" "$T/pbx.rec"
	_pty_queue_full "$(guest_tty pbx)"
	_alive "$writer"
	echo "peak RSS of conslet: $hwm kB at the start, $(_vm_hwm "$spid") kB while held back"
	[ $(($(_vm_hwm "$spid") - hwm)) -lt 4096 ]
	touch "$T/h.go"
	wait_file_size -t 60 "$T/h.recv" 16777216
	assert_same_bytes "$T/down" "$T/h.recv"
	echo "peak RSS of conslet: $hwm kB at the start, $(_vm_hwm "$spid") kB at the end"
	[ $(($(_vm_hwm "$spid") - hwm)) -lt 4096 ]
}

@test "a client that sends and reads nothing through the logger: memory stays bounded, it is told what it skipped" {
	start_guest pbx
	start_logger pbx
	serve pbx
	# 32 MiB: more than the ring stretches to (16 MiB) and the socket
	# buffers on the way hold
	random_bytes "$T/down" 33554432
	hog h --rcvbuf 65536
	wait_who pbx 1
	spid=$(session_pid)
	lhwm=$(_vm_hwm "$LOGGER_PID")
	shwm=$(_vm_hwm "$spid")
	guest_print_file pbx "$T/down"
	wait_file_size -t 60 "$LOGGER_LOG" 33554432
	assert_same_bytes "$T/down" "$LOGGER_LOG"
	echo "peak RSS of conslog: $lhwm kB at the start, $(_vm_hwm "$LOGGER_PID") kB after"
	echo "peak RSS of conslet: $shwm kB at the start, $(_vm_hwm "$spid") kB after"
	# conslet read into its socket's buffer until that was full: for a
	# second after, the ring stretched for it, 16 MiB at most
	[ $(($(_vm_hwm "$LOGGER_PID") - lhwm)) -lt 20480 ]
	[ $(($(_vm_hwm "$spid") - shwm)) -lt 4096 ]
	[ "$(who_count pbx)" -eq 1 ]
	touch "$T/h.go"
	wait_ends_like -t 60 "$T/h.recv" "$T/down"
	check_stream -s "$T/down" "$T/h.recv"
	[ $(($(_vm_hwm "$spid") - shwm)) -lt 4096 ]
}
