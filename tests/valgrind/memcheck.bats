#!/usr/bin/env bats
# valgrind's memcheck on a whole session of each program: conslet under
# tcpserver (keystrokes, escapes, output, the client closing) and conslog
# (a client attached through it, the guest going and coming back, log
# rotation, clients leaving together, SIGTERM).  Any memcheck error or
# definite leak fails, and so does a descriptor left open at exit other
# than the inherited ones and those a program holds by design until it
# ends (its locks, its log).
# Run by `make valgrind`, on a build without sanitizers.

setup() {
	load ../lib/helpers
	load ../lib/conslog
	common_setup
	require valgrind python3
	VG_LOGS=$T/vg
	mkdir -p "$VG_LOGS"
	export VG_LOGS
	# one executable per program, as a super-server wants it
	for p in conslet conslog; do
		printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' \
		    "$TOP/tests/valgrind/vg" "$TOP/src/$p" >"$T/vg-$p"
		chmod +x "$T/vg-$p"
	done
	# valgrind starts slowly and runs slowly (read by the helpers)
	# shellcheck disable=SC2034
	WAIT_TIMEOUT=60
}

teardown() {
	common_teardown
}

# vg_clean PROGRAM HELD: every report of PROGRAM says no error and no
# leak, and every descriptor open at exit was inherited, or is one the
# program holds by design until it ends: its path, or for a pipe the
# function that made it, matches the extended regular expression HELD,
# and it is the only one of its kind (a pipe: one pair).
vg_clean() {
	local f n=0
	for f in "$VG_LOGS/$1".*.log; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		echo "--- $f"
		cat "$f"
		python3 - "$f" "$2" <<'PY' || return 1
import re, sys
text = re.sub(r"(?m)^==\d+== ?", "", open(sys.argv[1]).read())
held = re.compile(sys.argv[2])
bad = []
if not re.search(r"ERROR SUMMARY: 0 errors", text):
    bad.append("memcheck errors (or no summary)")
if re.search(r"definitely lost: [1-9]", text):
    bad.append("a definite leak")
if "FILE DESCRIPTORS:" not in text:
    bad.append("no descriptor report")
kinds = {}
# each open descriptor: its line, then "<inherited from parent>" or the
# stack of the call that opened it
for m in re.finditer(r"(?m)^Open (.*)\n((?: +.*\n)*)", text):
    what, stack = m.group(1), m.group(2)
    if "<inherited from parent>" in stack:
        continue
    path = re.match(r"file descriptor \d+: (.+)", what)
    if path:
        kind, most = path.group(1), 1
    else:
        made = re.findall(r"by 0x[0-9A-F]+: (\w+) \(", stack)
        kind, most = "made by " + (made[0] if made else "?"), 2
    kinds[kind] = kinds.get(kind, 0) + 1
    if not held.search(kind):
        bad.append("left open: %s (%s)" % (what, kind))
    elif kinds[kind] > most:
        bad.append("more than %d open: %s" % (most, kind))
if bad:
    sys.exit("; ".join(bad))
PY
	done
	[ "$n" -gt 0 ] || {
		echo "no report of $1 in $VG_LOGS" >&2
		return 1
	}
}

@test "memcheck: a conslet session under tcpserver" {
	start_guest pbx -e
	CONSLET=$T/vg-conslet serve pbx
	client_start c "$PORT"
	client_send c $'hello\r'
	wait_file_contains "$T/c.recv" "hello"
	client_send c "~?"
	wait_file_contains "$T/c.recv" "show this help"
	client_send c $'\r~w'
	wait_file_contains "$T/c.recv" "(you)]"
	client_send c $'\r~B'
	guest_print pbx $'output from the guest\r\n'
	wait_file_contains "$T/c.recv" "output from the guest"
	client_send c $'bye\r'
	wait_file_contains "$T/pbx.rec" $'bye\r'
	client_close c
	[ "$(session_status)" = 0 ]
	# by design open to the end: the device, the run and UUCP lock
	# directories, the writer and reader locks and the force fifo
	# (opened relative to the directory, so named without it), the
	# signal pipe
	vg_clean conslet \
	    '/consoles/pbx$|/run$|/lock$|^dev\.[0-9]+\.[0-9]+\.[wrf]$|by signals_catch$'
}

@test "memcheck: conslog through clients, the guest going and coming back, rotation and SIGTERM" {
	start_guest pbx
	CONSLOG=$T/vg-conslog start_logger pbx
	# a writer types and leaves; a viewer stays through the gap
	serve_as w pbx
	client_start w "$PORT"
	wait_who pbx 1
	client_send w $'typed\r'
	wait_file_contains "$T/pbx.rec" "typed"
	client_close w
	serve_as v -r pbx
	client_start v "$PORT"
	wait_who pbx 1
	guest_print pbx $'before\r\n'
	wait_file_contains "$T/v.recv" "before"
	guest_hangup pbx
	wait_file_contains "$LOGGER_LOG" "[conslog: console closed]"
	guest_reboot pbx
	wait_file_contains "$LOGGER_LOG" "[conslog: console reopened]"
	guest_print pbx $'after\r\n'
	wait_file_contains "$T/v.recv" "after"
	mv "$LOGGER_LOG" "$LOGGER_LOG.1"
	kill -HUP "$LOGGER_PID"
	wait_for test -e "$LOGGER_LOG"
	guest_print pbx $'rotated\r\n'
	wait_file_contains "$LOGGER_LOG" "rotated"
	wait_file_contains "$T/v.recv" "rotated"
	# viewers gone in one round: the logger, stopped meanwhile, hears
	# of all three at once, and tells the one that stays
	serve_as m -r pbx
	for i in 1 2 3; do
		client_start "m$i" "$PORT_m"
	done
	wait_who pbx 4
	on_server m
	gone="$(session_pid 1) $(session_pid 2) $(session_pid 3)"
	kill -STOP "$LOGGER_PID"
	# shellcheck disable=SC2086
	kill -KILL $gone
	for p in $gone; do
		wait_pid_gone "$p"
	done
	kill -CONT "$LOGGER_PID"
	wait_who pbx 1
	client_close v
	wait_who pbx 0
	kill -TERM "$LOGGER_PID"
	logger_wait_exit "$LOGGER_PID"
	echo "conslog exit status: $LOGGER_STATUS"
	[ "$LOGGER_STATUS" = 0 ]
	# by design open to the end: the run and UUCP lock directories, its
	# name lock and the device's reader lock (named without the
	# directory), the log, the signal pipe
	vg_clean conslog \
	    '/run$|/lock$|^(pbx\.logger|dev\.[0-9]+\.[0-9]+\.r)$|/log/pbx\.log$|by signals_catch$'
}
