#!/usr/bin/env bats
# What the README promises, held to it: nothing added to the stream of a
# client that asked for none (-E; conserver in front of conslet; pyserial
# is in comport.bats), a BREAK that says what reached the guest, a viewer
# told what it is, the demo's and the manual's commands as they work for
# a person.

# shellcheck disable=SC2154
# (PORT_w, PORT_v, PORT_f and PORT_q are set by serve_as.)

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	common_teardown
}

# --- Notices: none for a client that asked for none -----------------------

@test "-E: joins, leaves, takeovers and a read-only start add nothing to the stream" {
	start_guest pbx
	start_logger pbx
	serve_as w -E pbx
	serve_as v -r pbx
	serve_as f -f pbx
	client_start a "$PORT_w"
	wait_who pbx 1
	# a second client of the -E port: read-only, and not told so
	client_start b "$PORT_w"
	wait_who pbx 2
	client_start v "$PORT_v"
	wait_who pbx 3
	client_close v
	wait_who pbx 2
	# a takeover: a is read-only now, and not told either
	client_start f "$PORT_f"
	wait_listed pbx "in use by $(re_quote "$(peer_of f)") .*"
	printf 'the guest, after all that\r\n' >"$T/expected"
	guest_print_file pbx "$T/expected"
	wait_file_contains "$T/f.recv" "the guest, after all that"
	wait_file_size "$T/a.recv" 27
	wait_file_size "$T/b.recv" 27
	assert_same_bytes "$T/expected" "$T/a.recv"
	assert_same_bytes "$T/expected" "$T/b.recv"
	# a client without -E hears what it did
	grep -a -q -F "[conslet: write access taken by" "$T/f.recv"
	# what a was typing goes nowhere now: it is read-only
	client_send a 'typed by a'
	client_send f $'typed by f\r'
	guest_got pbx 'typed by f\r'
}

@test "-E: a viewer that falls the ring behind is not told in its stream; conslog logs the skip" {
	start_guest pbx
	start_logger pbx
	serve_as v -r -h 0 pbx
	serve_as q -r -E -h 0 pbx
	client_start a "$PORT_v"
	client_start s "$PORT_q"
	wait_who pbx 2
	stalled=$(client_pid s)
	kill -STOP "$stalled"
	size=8388608
	marker="==end of the stream $RANDOM$RANDOM=="
	random_bytes "$T/data" $((size - ${#marker}))
	printf '%s' "$marker" >>"$T/data"
	guest_print_paced pbx "$T/data" "$T/a.recv" 3>&- &
	writer=$!
	track_pid "$writer"
	wait_pid_gone -t 120 "$writer"
	wait_file_contains -t 60 "$T/a.recv" "$marker"
	kill -CONT "$stalled"
	wait_file_contains -t 60 "$T/s.recv" "$marker"
	# the stalled one missed bytes, and its stream says nothing of it
	[ "$(_file_size "$T/s.recv")" -lt "$size" ]
	lacks "$T/s.recv" "[conslet:"
	lacks "$T/s.recv" "bytes skipped"
	grep -E "bytes skipped for 127\.0\.0\.1:[0-9]+, pid [0-9]+" "$LOGGER_ERR"
	# the one that kept up got it all
	check_stream "$T/data" "$T/a.recv"
}

# --- BREAK: what reached the guest -----------------------------------------

@test "on a Linux pty ~B sends CR ~ ^B and says so; tcsendbreak, which a pty ignores, is not called" {
	require strace
	start_guest pbx
	# LeakSanitizer cannot work under ptrace: no leak check here
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
	    CONSLET=$(command -v strace) start_tcpserver -f -qq -o "$T/trace" \
	    -e trace=ioctl "$CONSLET" -C "$T/consoles" -R "$T/run" pbx
	client_start c "$PORT"
	client_send c $'\r~B'
	wait_file_contains "$T/c.recv" "[conslet: BREAK sent as CR ~ ^B]"
	lacks "$T/c.recv" "[conslet: BREAK sent]"
	if grep -E 'ioctl\([0-9]+, TCSBRK' "$T/trace"; then false; fi
	guest_got pbx '\r\r~\002'
}

# --- A viewer knows it is one ----------------------------------------------

@test "a -r viewer is told on attach that it is read-only and who writes" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	serve_as v -r pbx
	# nobody writes yet
	client_start v1 "$PORT_v"
	wait_file_contains "$T/v1.recv" \
	    "[conslet: read-only: nobody has write access to pbx]"
	client_start a "$PORT_w"
	wait_who pbx 2
	peer=$(peer_of a)
	client_start v2 "$PORT_v"
	wait_file_contains "$T/v2.recv" "[conslet: read-only: pbx is in use by"
	has_line "$T/v2.recv" "\[conslet: read-only: pbx is in use by $(re_quote "$peer") \(pid [0-9]+\) since [0-9:]+\]"
	# the notice comes first, before the replay
	head -c 20 "$T/v2.recv" | grep -q -F "[conslet: read-only"
	# with -E, not a byte
	serve_as q -r -E pbx
	client_start q "$PORT_q"
	wait_who pbx 4
	guest_print pbx $'after the viewers came\r\n'
	wait_file_contains "$T/q.recv" "after the viewers came"
	lacks "$T/q.recv" "[conslet:"
}

# --- The manuals: lint, and the examples as they render ----------------------

@test "the manual pages pass mandoc -T lint -W warning" {
	require mandoc
	local out st=0
	cd "$TOP"
	out=$(mandoc -T lint -W warning man/conslet.8 man/conslog.8 2>&1) || st=$?
	if [ "$st" != 0 ] || [ -n "$out" ]; then
		echo "expected no output and status 0 from mandoc -T lint;" \
		    "got status $st:" >&2
		echo "$out" >&2
		return 1
	fi
}

@test "the manuals' examples render as they are written (mandoc -T ascii), which lint does not check" {
	require mandoc
	run python3 "$TOP/tests/tools/mancheck.py" "$TOP/man/conslet.8" \
	    "$TOP/man/conslog.8"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the tcprules example, as conslet.8 renders it, makes the rules it shows" {
	require mandoc tcprules
	mandoc -T ascii "$TOP/man/conslet.8" | sed 's/.\x08//g' |
	    sed -n "s/^ *# \(printf '127\.0\.0\.1:allow.*\)\$/\1/p" >"$T/example"
	cat "$T/example"
	[ "$(wc -l <"$T/example")" -eq 1 ]
	(cd "$T" && sh "$T/example")
	printf '127.0.0.1:allow\n192.0.2.:allow\n:deny\n' >"$T/expected"
	assert_same_bytes "$T/expected" "$T/rules"
	tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
	[ -s "$T/rules.cdb" ]
}

# --- The demo, as a person uses it -----------------------------------------

# start_demo: contrib/quickstart/demo.sh, its banner in $T/demo.out once
# it is up.
start_demo() {
	require tcpserver
	_spawn "$T/demo.out" "$T/demo.err" env TMPDIR="$T" \
	    CONSLOG="${CONSLOG:-$TOP/src/conslog}" \
	    sh "$TOP/contrib/quickstart/demo.sh"
	wait_file_contains "$T/demo.out" "Ctrl-C stops the demo." || {
		cat "$T/demo.err" >&2
		return 1
	}
	cat "$T/demo.out"
}

# banner_command WORD: the command line of the banner that starts with WORD.
banner_command() {
	sed -n "s/^ *\($1 .*\)\$/\1/p" "$T/demo.out" | head -n 1 | grep .
}

# login_as_person COMMAND: tests/tools/demo-login.exp on COMMAND.
login_as_person() {
	run env CONSLET_TESTDIR="$T" timeout 60 expect -f \
	    "$TOP/tests/tools/demo-login.exp" "$1" "$T/terminal.log" 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "demo: the banner's telnet command logs a person in: one echo, no password shown, Ctrl-C to the guest, ~. ends telnet" {
	require telnet expect
	start_demo
	cmd=$(banner_command telnet)
	echo "banner: $cmd"
	login_as_person "$cmd"
}

@test "demo: the banner's socat command on the raw port works the same for a person" {
	require socat expect
	start_demo
	cmd=$(banner_command socat)
	echo "banner: $cmd"
	case $cmd in *,raw,*echo=0*) ;; *) false ;; esac
	login_as_person "$cmd"
}

@test "demo-login.exp fails plain nc in a terminal: the name echoed twice" {
	require expect
	start_demo
	port=$(sed -n 's/.*port \([0-9]*\) (raw).*/\1/p' "$T/demo.out")
	run env CONSLET_TESTDIR="$T" timeout 60 expect -f \
	    "$TOP/tests/tools/demo-login.exp" "nc 127.0.0.1 $port" \
	    "$T/terminal.log" 3>&-
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAILED: the name echoed other than once"* ]]
}

@test "demo: the banner names no bare nc command for a terminal" {
	start_demo
	if grep -E '^ +nc ' "$T/demo.out"; then false; fi
}

# --- conserver in front of conslet -------------------------------------------

# start_conserver PROTOCOL PORT: conserver (Debian's conserver-server) with
# one console, pbx, of type host on 127.0.0.1:PORT speaking PROTOCOL (raw
# or telnet), keeping its own log, $T/cs/pbx.log; it listens on
# 127.0.0.1:$CS_PORT.  As root it would write /run/conserver: it gets a
# /run of its own.
start_conserver() {
	require conserver console unshare
	[ "$(id -u)" = 0 ] || skip "conserver's test runs it as root"
	mkdir -p "$T/cs" "$T/cs.run"
	CS_PORT=$(free_port) || return 1
	cat >"$T/cs/conserver.cf" <<CF
config * {
	defaultaccess rejected;
}
default * {
	logfile $T/cs/&.log;
	timestamp "";
	rw *;
	master 127.0.0.1;
}
console pbx {
	type host;
	host 127.0.0.1;
	port $2;
	protocol $1;
}
access * {
	trusted 127.0.0.1;
}
CF
	: >"$T/cs/conserver.passwd"
	conserver -S -C "$T/cs/conserver.cf" -P "$T/cs/conserver.passwd" \
	    >"$T/conserver-check.out" 2>&1 || {
		cat "$T/conserver-check.out" >&2
		return 1
	}
	_spawn "$T/conserver.out" "$T/conserver.err" unshare --mount \
	    --propagation private -- sh -c \
	    'mount --bind "$1" /run && shift && exec "$@"' sh "$T/cs.run" \
	    conserver -C "$T/cs/conserver.cf" -P "$T/cs/conserver.passwd" \
	    -M 127.0.0.1 -p "$CS_PORT"
	CS_PID=$SPAWN_PID
	wait_listen "$CS_PORT" || {
		cat "$T/conserver.err" >&2
		return 1
	}
}

# console_types TEXT: conserver's client, console, attaches to pbx, types
# TEXT and Return, and leaves with its escape, ^Ec.
console_types() {
	run env CONSLET_TESTDIR="$T" timeout 30 expect -f \
	    "$TOP/tests/tools/console-types" 127.0.0.1 "$CS_PORT" pbx "$1" 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
}

# conserver_recipe PROTOCOL CONSLET-OPTIONS...: the README's recipe: the
# guest prints its banner, logged; conslet OPTIONS serves the console
# through conslog, with conserver in front speaking PROTOCOL; a viewer
# comes and goes, conserver's session is cut and it reconnects, and a
# person types through conserver's console.
conserver_recipe() {
	local proto=$1
	shift
	start_guest pbx
	start_logger pbx
	guest_print pbx $'boot banner of the guest\r\n'
	wait_file_contains "$LOGGER_LOG" "boot banner of the guest"
	serve_as w "$@" pbx
	serve_as v -r pbx
	start_conserver "$proto" "$PORT_w"
	wait_who pbx 1
	guest_print pbx $'first line live\r\n'
	wait_file_contains "$T/cs/pbx.log" "first line live"
	# a viewer comes and goes
	client_start v "$PORT_v"
	wait_who pbx 2
	client_close v
	wait_who pbx 1
	# conserver's session ends, as when a network drops; it reconnects
	on_server w
	kill -TERM "$(session_pid 1)"
	session_pid 2 >/dev/null
	wait_who pbx 1
	guest_print pbx $'second line live\r\n'
	wait_file_contains "$T/cs/pbx.log" "second line live"
	console_types "typed through conserver"
	wait_file_size "$T/pbx.rec" 24
	# console sends Return as the terminal gives it (LF under expect)
	[ "$(head -c 23 "$T/pbx.rec")" = "typed through conserver" ]
	case $(tail -c 1 "$T/pbx.rec" | od -An -tx1 | tr -d ' ') in
	0d | 0a) ;;
	*) false ;;
	esac
	echo "conserver's log:"
	od -c "$T/cs/pbx.log" | tail -n 20
}

@test "conserver (type host, protocol raw) on a raw -E -h 0 port through conslog: its log has each live line once and nothing of conslet's" {
	conserver_recipe raw -E -h 0
	lacks "$T/cs/pbx.log" "[conslet"
	lacks "$T/cs/pbx.log" "boot banner of the guest"
	[ "$(count_of "$T/cs/pbx.log" "first line live")" -eq 1 ]
	[ "$(count_of "$T/cs/pbx.log" "second line live")" -eq 1 ]
}

@test "conserver (type host, protocol telnet) on a -t -E -h 0 port through conslog: the same, through telnet" {
	conserver_recipe telnet -t -E -h 0
	lacks "$T/cs/pbx.log" "[conslet"
	lacks "$T/cs/pbx.log" "boot banner of the guest"
	[ "$(count_of "$T/cs/pbx.log" "first line live")" -eq 1 ]
	[ "$(count_of "$T/cs/pbx.log" "second line live")" -eq 1 ]
}
