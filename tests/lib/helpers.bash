# shellcheck shell=bash disable=SC2016,SC2034
# (sh -c scripts are single-quoted on purpose; PORT, SERVER_*, GUEST_*,
# UUCP_OPTS are set for the tests that call these helpers.)
#
# Shared helpers for the conslet bats tests: load with `load lib/helpers`
# (`load ../lib/helpers` from a folder of tests/).
#
# Every test gets its own directory $T holding all state: consoles/ (the
# console directory), run/ (the run directory), lock/ (the UUCP lock
# directory), and per-process files NAME.out, NAME.err, ...  Nothing of
# the machine's (/var/lock, /run, /var/log) is used, except by the tests
# of the interop with it.  Every process started through these helpers is
# remembered and stopped by common_teardown, by pid, never by name.
#
# Background processes close fd 3 (3>&-): bats waits for every holder of
# fd 3 before it ends a run.  They never inherit a fifo's write end from
# the test shell either, so closing a client's input really means EOF.

# The top of the tree: this file is in tests/lib.
_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Seconds a wait_for gives up after unless told otherwise.
WAIT_TIMEOUT=${WAIT_TIMEOUT:-10}
INETD=${INETD:-/usr/sbin/inetd}

# Variables a super-server would set for its child; never inherited from the
# shell that runs the tests, so the peer is identified the way it would be
# under that super-server alone.
_PEER_VARS="PROTO TCPREMOTEIP TCPREMOTEPORT TCPREMOTEHOST TCPREMOTEINFO
TCPLOCALIP TCPLOCALPORT TCPLOCALHOST TCP6REMOTEIP TCP6REMOTEPORT
TCP6REMOTEHOST TCP6LOCALIP TCP6LOCALPORT TCP6LOCALHOST TCP6INTERFACE
REMOTE_ADDR REMOTE_PORT SSH_CLIENT SSH_CONNECTION SSH_ORIGINAL_COMMAND
SSH_TTY"

# common_setup: make $T with consoles/, run/ and lock/, export CONSLET and
# FAKEGUEST; set UUCP_OPTS.
common_setup() {
	T=${BATS_TEST_TMPDIR:-}
	[ -n "$T" ] || T=$(mktemp -d "${TMPDIR:-/tmp}/conslet-test.XXXXXX")
	mkdir -p "$T/consoles" "$T/run" "$T/lock" || return 1
	chmod 1777 "$T/lock"
	# The UUCP lock directory that serve, the logger helpers and the
	# tests give conslet and conslog: the test's own, so that a lock of
	# the machine's, or one an earlier test left for a pty number that
	# has come round again, never refuses a console.  A later -U among a
	# test's options wins.  uucp.bats tests the interop with the
	# system's directory (cu, picocom), and says -U where it wants its own.
	case ${BATS_TEST_FILENAME##*/} in
	uucp.bats) UUCP_OPTS=() ;;
	*) UUCP_OPTS=(-U "$T/lock") ;;
	esac
	: >"$T/pids"
	TOP=$_TOP
	CONSLET=${CONSLET:-$TOP/src/conslet}
	FAKEGUEST=${FAKEGUEST:-$TOP/tests/tools/fakeguest}
	export T TOP CONSLET FAKEGUEST
}

# common_teardown: stop every process the test started (TERM, then KILL).
common_teardown() {
	local _ pids left
	[ -n "${T:-}" ] && [ -f "$T/pids" ] || return 0
	[ -n "${BATS_TEST_COMPLETED:-}" ] || _dump_state >&2
	# Two rounds: a super-server may spawn a child while the first is sent.
	for _ in 1 2; do
		mapfile -t pids < <(_test_pids)
		[ "${#pids[@]}" -gt 0 ] || break
		kill -TERM "${pids[@]}" 2>/dev/null || true
		wait_for -t 5 _all_gone "${pids[@]}" 2>/dev/null && continue
		mapfile -t left < <(_alive_of "${pids[@]}")
		kill -KILL "${left[@]}" 2>/dev/null || true
		wait_for -t 5 _all_gone "${pids[@]}" 2>/dev/null ||
			echo "# teardown: still alive: $(_alive_of "${pids[@]}")" >&2
	done
	_remove_areas
	return 0
}

# user_area: a directory other users can reach ($U, mode 0755, removed at
# teardown) with a copy of the programs in $U/bin, so that tests that run
# them as another user do not depend on where the checkout lives (a
# checkout in root's home is mode 0700). Sets U, U_CONSLET, U_CONSLOG.
user_area() {
	U=$(mktemp -d /tmp/conslet-user.XXXXXX) || return 1
	echo "$U" >>"$T/cleanup"
	chmod 755 "$U" && mkdir -m 755 "$U/bin" || return 1
	cp "$CONSLET" "$U/bin/conslet" &&
	    cp "${CONSLOG:-$TOP/src/conslog}" "$U/bin/conslog" ||
		return 1
	chmod 755 "$U/bin/conslet" "$U/bin/conslog"
	U_CONSLET=$U/bin/conslet U_CONSLOG=$U/bin/conslog
	export U U_CONSLET U_CONSLOG
}

# _remove_areas: remove what user_area made (teardown).
_remove_areas() {
	local d
	[ -f "$T/cleanup" ] || return 0
	while read -r d; do
		case $d in /tmp/conslet-user.*) rm -rf "$d" ;; esac
	done <"$T/cleanup"
}

# require CMD...: skip the test unless every command is installed.
require() {
	local c
	for c; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

# not CMD...: succeed when CMD fails (for wait_for: wait_for not _alive
# PID).  In a test, where a bare `! CMD` fails the test only as its last
# command (bats checks no other for it), `not CMD` fails it anywhere.
not() {
	! "$@"
}

# _need_exec FILE: FILE is an executable, else say what is missing.
_need_exec() {
	[ -x "$1" ] && return 0
	echo "$1 is not built or not executable" >&2
	return 1
}

# track_pid PID: remember a process for common_teardown.
track_pid() {
	echo "$1" >>"$T/pids"
}

# _dump_state: on failure, show where the files are and the error logs.
_dump_state() {
	local f
	echo "# test directory: $T (keep it with bats --no-tempdir-cleanup)"
	for f in "$T"/*.err; do
		[ -s "$f" ] || continue
		echo "# --- ${f##*/} (last lines)"
		tail -n 15 "$f" | sed 's/^/#   /'
	done
}

# _alive PID: true if the process exists and is not a zombie.
_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# _alive_of PID...: print those of the pids that are alive.
_alive_of() {
	local p
	for p; do
		_alive "$p" && echo "$p"
	done
	return 0
}

# _all_gone PID...: true when none of the pids is alive.
_all_gone() {
	[ -z "$(_alive_of "$@")" ]
}

# _test_pids: the tracked pids, their descendants, and strays marked with $T.
_test_pids() {
	local roots self=$$ me=$BASHPID
	roots=$(cat "$T/pids")
	{
		echo "$roots"
		ps -e -o pid= -o ppid= | awk -v roots="$roots" '
		    BEGIN { n = split(roots, r); for (i = 1; i <= n; i++) k[r[i]] = 1 }
		    { pid[NR] = $1; pp[$1] = $2 }
		    END {
			do {
				more = 0
				for (i in pid)
					if (!(pid[i] in k) && (pp[pid[i]] in k)) {
						k[pid[i]] = 1; more = 1
					}
			} while (more)
			for (p in k) print p
		    }'
		# Orphans (their parent gone) still carry the marker in environ.
		grep -l -s -z -x -F "CONSLET_TESTDIR=$T" /proc/[0-9]*/environ |
		    cut -d/ -f3
	} | sort -un | while read -r p; do
		[ "$p" = "$self" ] || [ "$p" = "$me" ] || _alive_of "$p"
	done
}

# _spawn OUT ERR CMD...: run CMD in the background, clean environment, tracked.
_spawn() {
	local out=$1 err=$2 v unset=
	shift 2
	for v in $_PEER_VARS; do
		unset="$unset -u $v"
	done
	# shellcheck disable=SC2086
	env $unset CONSLET_TESTDIR="$T" "$@" </dev/null >"$out" 2>"$err" 3>&- &
	SPAWN_PID=$!
	track_pid "$SPAWN_PID"
}

# _now_us: wall clock in microseconds.
_now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		echo "${EPOCHREALTIME//[!0-9]/}"
	else
		echo "$(date +%s)000000"
	fi
}

# _us SECONDS: seconds (may have a fraction, e.g. 0.5) in microseconds.
_us() {
	local i=${1%%.*} f=
	case $1 in *.*) f=${1#*.} ;; esac
	f="${f}000000"
	echo $((10#${i:-0} * 1000000 + 10#${f:0:6}))
}

# wait_for [-t SECONDS] CMD...: retry CMD until it succeeds or time runs out.
wait_for() {
	local t=$WAIT_TIMEOUT end
	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	end=$(($(_now_us) + $(_us "$t")))
	while :; do
		"$@" && return 0
		[ "$(_now_us)" -lt "$end" ] || break
		sleep 0.02
	done
	echo "wait_for: gave up after ${t}s waiting for: $*" >&2
	return 1
}

# _file_size FILE: size in bytes (0 if missing).
_file_size() {
	if [ -e "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi
}

# _size_at_least FILE BYTES: true when FILE holds at least BYTES bytes.
_size_at_least() {
	[ "$(_file_size "$1")" -ge "$2" ]
}

# wait_file_size [-t S] FILE BYTES: wait until FILE holds at least BYTES bytes.
wait_file_size() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _size_at_least "$1" "$2" 2>/dev/null && return 0
	echo "wait_file_size: $1 has $(_file_size "$1") bytes, wanted $2" >&2
	return 1
}

# _bytes_re STRING: a Perl regular expression that matches the bytes of
# STRING and nothing else.
_bytes_re() {
	local LC_ALL=C s=$1 i c re=
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '\\x%02x' "'${s:i:1}"
		re+=$c
	done
	printf '%s' "$re"
}

# has_bytes STRING: standard input (text or binary) holds the bytes of
# STRING, CR and LF included.  Not grep -F, which takes each line of its
# pattern for a pattern of its own: with STRING ending in CR LF, the empty
# last one would match any input at all.
has_bytes() {
	LC_ALL=C grep -q -a -z -P -e "$(_bytes_re "$1")"
}

# _contains FILE STRING: FILE (text or binary) holds the bytes of STRING.
_contains() {
	[ -e "$1" ] && has_bytes "$2" <"$1"
}

# lacks FILE STRING: FILE does not hold the bytes of STRING; else say
# where it does.
lacks() {
	_contains "$1" "$2" || return 0
	echo "expected no \"$2\" in $1; it has:" >&2
	grep -a -n -F -e "$2" -- "$1" | head -n 5 >&2
	return 1
}

# wait_file_contains [-t S] FILE STRING: wait until FILE contains STRING.
wait_file_contains() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _contains "$1" "$2" 2>/dev/null && return 0
	echo "wait_file_contains: no \"$2\" in $1 after ${t}s; it holds:" >&2
	[ -e "$1" ] && tail -c 600 "$1" | od -c | tail -n 12 >&2
	return 1
}

# wait_pid_gone [-t S] PID: wait until the process has exited.
wait_pid_gone() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _all_gone "$1" 2>/dev/null && return 0
	echo "wait_pid_gone: pid $1 still alive after ${t}s:" \
	    "$(ps -o args= -p "$1")" >&2
	return 1
}

# _tcp_sockets: "localport remoteport state inode" (hex) of each TCP socket.
_tcp_sockets() {
	awk 'FNR > 1 { split($2, l, ":"); split($3, r, ":");
	    print l[2], r[2], $4, $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# _socket_inodes PID: inodes of the sockets the process has open.
_socket_inodes() {
	find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
	    tr -dc '0-9\n'
}

# _listening PORT [PID]: a LISTEN socket on PORT exists (owned by PID).
_listening() {
	local hex inodes=any
	printf -v hex '%04X' "$1"
	[ -z "${2:-}" ] || inodes=$(_socket_inodes "$2" | tr '\n' ' ')
	_tcp_sockets | awk -v p="$hex" -v ino=" $inodes " '
	    $1 == p && $3 == "0A" && (ino == " any " || index(ino, " " $4 " ")) {
		f = 1 }
	    END { exit !f }'
}

# wait_listen [-t S] PORT [PID]: wait for a listener, without connecting.
wait_listen() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _listening "$@" 2>/dev/null && return 0
	echo "wait_listen: nothing listens on port $1${2:+ in pid $2}" >&2
	return 1
}

# _port_used PORT: some TCP socket on this host uses PORT locally.
_port_used() {
	local hex
	printf -v hex '%04X' "$1"
	_tcp_sockets | awk -v p="$hex" '$1 == p { f = 1 } END { exit !f }'
}

# free_port: print a TCP port on 127.0.0.1 that nothing uses right now.
free_port() {
	local i p
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 41000))
		_port_used "$p" && continue
		if command -v python3 >/dev/null 2>&1; then
			python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))' "$p" 2>/dev/null || continue
		fi
		echo "$p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

# _next_log BASE: BASE, then BASE2, BASE3... for the nth server of a kind.
_next_log() {
	local n=1 name=$1
	while [ -e "$T/$name.err" ]; do
		n=$((n + 1))
		name=$1$n
	done
	echo "$name"
}

# start_tcpserver ARGS...: serve "$CONSLET ARGS" with tcpserver; sets PORT.
start_tcpserver() {
	local log
	require tcpserver
	_need_exec "$CONSLET" || return 1
	log=$(_next_log tcpserver)
	# -1 print the port, -H -R -l 0 no DNS or ident, -v log pids and status;
	# TCPSERVER_OPTS adds more (e.g. -c 300 -b 300 for a flood)
	# shellcheck disable=SC2086
	_spawn "$T/$log.out" "$T/$log.err" tcpserver -1 -v -H -R -l 0 \
	    ${TCPSERVER_OPTS:-} 127.0.0.1 0 "$CONSLET" "$@"
	SERVER_PID=$SPAWN_PID SERVER_KIND=tcpserver SERVER_ERR=$T/$log.err
	wait_for _first_line_is_port "$T/$log.out" || {
		cat "$SERVER_ERR" >&2
		return 1
	}
	PORT=$(head -n 1 "$T/$log.out")
	wait_listen "$PORT" "$SERVER_PID"
}

# _first_line_is_port FILE: the first line of FILE is a complete number.
_first_line_is_port() {
	[ -e "$1" ] && head -n 1 "$1" | grep -q -x '[0-9][0-9]*'
}

# serve ARGS...: conslet ARGS under tcpserver, on the test's console, run
# and UUCP lock directories; sets PORT.
serve() {
	start_tcpserver -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" "$@"
}

# with_shims SHIMS CMD...: CMD (a program or a helper) with the LD_PRELOAD
# shims of tests/tools named in SHIMS ("serialshim nobreak": blank
# separated, without .so, in the order given), which AddressSanitizer
# then does not insist on preceding.
with_shims() {
	local s libs=
	for s in $1; do
		libs="$libs${libs:+ }$TOP/tests/tools/$s.so"
	done
	shift
	LD_PRELOAD=$libs \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
}

# serve_nobreak [-s] [serve_as ID] ARGS...: conslet ARGS served by serve
# (or serve_as ID) on a device whose tcsendbreak(3) fails with ENOTTY, as
# an nmdm(4) device's does; each call is noted in $T/breaks.  With -s the
# pty also passes for a serial port (serialshim), one that conslet
# believes can send a BREAK, so that it tries.
serve_nobreak() {
	local shims=nobreak how=serve
	if [ "$1" = -s ]; then
		shims="serialshim nobreak"
		shift
	fi
	if [ "$1" = serve_as ]; then
		how="serve_as $2"
		shift 2
	fi
	# shellcheck disable=SC2086
	NOBREAK_LOG=$T/breaks with_shims "$shims" $how "$@"
}

# session NAME [OPTIONS]: guest NAME, conslet OPTIONS NAME under tcpserver,
# and a client c connected to it.
session() {
	local name=$1
	shift
	start_guest "$name"
	serve "$@" "$name"
	client_start c "$PORT"
}

# start_inetd ARGS...: serve "$CONSLET ARGS" with openbsd-inetd; sets PORT.
start_inetd() {
	local a log user=root
	# inetd splits its line at blanks, knows no quoting, and silently
	# drops arguments past the 20th (argv[0] included).
	for a in "$CONSLET" "$@"; do
		case $a in
		'' | *[[:space:]]*)
			echo "start_inetd: inetd cannot pass \"$a\"" >&2
			return 1 ;;
		esac
	done
	if [ $# -gt 19 ]; then
		echo "start_inetd: inetd passes at most 19 arguments" >&2
		return 1
	fi
	[ -x "$INETD" ] || skip "$INETD is not installed"
	_need_exec "$CONSLET" || return 1
	[ "$(id -u)" = 0 ] || user=$(id -un)
	log=$(_next_log inetd)
	PORT=$(free_port) || return 1
	printf '127.0.0.1:%s stream tcp nowait %s %s %s %s\n' "$PORT" "$user" \
	    "$CONSLET" "${CONSLET##*/}" "$*" >"$T/$log.conf"
	run_inetd "$T/$log.conf"
}

# run_inetd CONF: start openbsd-inetd on CONF, whose one line listens on
# $PORT, and wait for it to listen; sets SERVER_*.
run_inetd() {
	local log=${1%.conf}
	log=${log##*/}
	SERVER_KIND=inetd SERVER_ERR=$T/$log.err
	if [ "$(id -u)" = 0 ]; then
		# As root, inetd writes /run/inetd.pid (no lock, removed at
		# exit): give it a private /run so the system's inetd, if any,
		# keeps its pid file.  Its children share that view of /run.
		mkdir -p "$T/$log.run"
		unshare --mount --propagation private true 2>/dev/null ||
		    skip "inetd: cannot make a private /run (unshare)"
		_spawn "$T/$log.out" "$SERVER_ERR" unshare --mount \
		    --propagation private -- sh -c \
		    'mount --bind "$1" /run && shift && exec "$@"' sh \
		    "$T/$log.run" "$INETD" -i -d -R 10000 "$1"
	else
		_spawn "$T/$log.out" "$SERVER_ERR" \
		    "$INETD" -i -d -R 10000 "$1"
	fi
	SERVER_PID=$SPAWN_PID
	wait_listen "$PORT" "$SERVER_PID" || {
		cat "$SERVER_ERR" >&2
		return 1
	}
}

# start_socket_activate ARGS...: serve "$CONSLET ARGS" the systemd way.
start_socket_activate() {
	local log
	require systemd-socket-activate
	_need_exec "$CONSLET" || return 1
	log=$(_next_log socket-activate)
	PORT=$(free_port) || return 1
	# It hands the child only TERM, PATH, HOME and what -E names.
	_spawn "$T/$log.out" "$T/$log.err" systemd-socket-activate --inetd -a \
	    -l "127.0.0.1:$PORT" -E CONSLET_TESTDIR="$T" "$CONSLET" "$@"
	SERVER_PID=$SPAWN_PID SERVER_KIND=socket-activate
	SERVER_ERR=$T/$log.err
	wait_listen "$PORT" "$SERVER_PID" || {
		cat "$SERVER_ERR" >&2
		return 1
	}
}

# _session_pid N: print the pid of the Nth program the last server started.
_session_pid() {
	local p
	p=$(case $SERVER_KIND in
	tcpserver) sed -n 's/^tcpserver: pid \([0-9]*\) from .*/\1/p' ;;
	inetd) sed -n 's/^\([0-9]*\) execv .*/\1/p' ;;
	socket-activate) sed -n 's/^Spawned .* as PID \([0-9]*\)\.$/\1/p' ;;
	esac <"$SERVER_ERR" | sed -n "${1}p")
	[ -n "$p" ] && echo "$p"
}

# session_pid [N]: wait for and print the pid of the Nth session (default 1).
session_pid() {
	wait_for _session_pid "${1:-1}" >/dev/null || return 1
	_session_pid "${1:-1}"
}

# _session_status PID: exit status of a finished session: "N" or "signal N".
_session_status() {
	local raw
	case $SERVER_KIND in
	tcpserver)
		raw=$(sed -n "s/^tcpserver: end $1 status \([0-9]*\)$/\1/p" \
		    "$SERVER_ERR") ;;
	inetd)
		raw=$(sed -n "s/^$1 reaped, status \([0-9a-f]*\)$/\1/p" \
		    "$SERVER_ERR")
		[ -z "$raw" ] || raw=$((16#$raw)) ;;
	socket-activate)
		# Exit code or signal number: this log does not tell which.
		raw=$(sed -n "s/^Child $1 died with code \([0-9]*\)$/\1/p" \
		    "$SERVER_ERR")
		[ -n "$raw" ] && echo "$raw"
		return ;;
	esac
	[ -n "$raw" ] || return 1
	if [ $((raw & 127)) = 0 ]; then
		echo $((raw >> 8))
	else
		echo "signal $((raw & 127))"
	fi
}

# session_status [N]: wait for the Nth session to end and print its status.
session_status() {
	local pid
	pid=$(session_pid "${1:-1}") || return 1
	wait_for _session_status "$pid" >/dev/null || return 1
	_session_status "$pid"
}

# server_children: pids of the programs the last server is running now.
server_children() {
	pgrep -P "$SERVER_PID" || true
}

# _no_children PID: the process has no children.
_no_children() {
	! pgrep -P "$1" >/dev/null
}

# wait_server_idle: wait until the last server runs no session any more.
wait_server_idle() {
	wait_for _no_children "$SERVER_PID"
}

# start_guest NAME [OPTIONS]: start a fakeguest for console NAME.
start_guest() {
	local name=$1
	shift
	_need_exec "$FAKEGUEST" || return 1
	_spawn "$T/$name.stdout" "$T/$name.err" "$FAKEGUEST" "$@" \
	    -p "$T/$name.pid" -l "$T/consoles/$name" -r "$T/$name.rec" \
	    -o "$T/$name.out"
	GUEST_PID=$SPAWN_PID
	echo "$GUEST_PID" >"$T/$name.gpid"
	wait_file_contains "$T/$name.stdout" "ready " || {
		cat "$T/$name.err" >&2
		return 1
	}
	GUEST_TTY=$(guest_tty "$name")
}

# guest_pid NAME: pid of the fakeguest of console NAME.
guest_pid() {
	cat "$T/$1.gpid"
}

# guest_tty NAME: the slave device of the guest's current pty.
guest_tty() {
	sed -n 's/^ready //p' "$T/$1.stdout" | tail -n 1
}

# _lines FILE PREFIX: count the lines of FILE starting with PREFIX.
_lines() {
	grep -c "^$2" "$1" 2>/dev/null || true
}

# _more_lines FILE PREFIX N: FILE has more than N lines starting with PREFIX.
_more_lines() {
	[ "$(_lines "$1" "$2")" -gt "$3" ]
}

# guest_got NAME BYTES: the guest has received exactly BYTES, a printf
# format (octal escapes for bytes such as NUL): it waits until as many
# have come, then compares them all.
guest_got() {
	# shellcheck disable=SC2059
	printf "$2" >"$T/$1.rec.expected" || return 1
	wait_file_size "$T/$1.rec" "$(_file_size "$T/$1.rec.expected")" &&
	    assert_same_bytes "$T/$1.rec.expected" "$T/$1.rec"
}

# guest_hangup NAME: hang the console up (SIGUSR1) and wait until it is.
guest_hangup() {
	local n
	n=$(_lines "$T/$1.stdout" hangup)
	kill -USR1 "$(guest_pid "$1")" &&
	    wait_for _more_lines "$T/$1.stdout" hangup "$n"
}

# guest_reboot NAME: give the console a new pty (SIGHUP); sets GUEST_TTY.
guest_reboot() {
	local n
	n=$(_lines "$T/$1.stdout" ready)
	kill -HUP "$(guest_pid "$1")" &&
	    wait_for _more_lines "$T/$1.stdout" ready "$n" || return 1
	GUEST_TTY=$(guest_tty "$1")
}

# guest_stop NAME: stop the guest (SIGTERM), which removes its link.
guest_stop() {
	local pid
	pid=$(guest_pid "$1")
	kill -TERM "$pid" && wait_pid_gone "$pid"
}

# _to_fifo FIFO CMD...: run CMD with stdout on FIFO, giving up if it blocks.
_to_fifo() {
	local fifo=$1
	shift
	# The open happens inside timeout: a fifo nobody reads would hang it.
	timeout "$WAIT_TIMEOUT" sh -c 'f=$1; shift; exec "$@" >"$f"' sh \
	    "$fifo" "$@" 3>&- && return 0
	echo "could not write to $fifo within ${WAIT_TIMEOUT}s" >&2
	return 1
}

# guest_print NAME STRING: the guest prints STRING on its console.
guest_print() {
	_to_fifo "$T/$1.out" printf '%s' "$2"
}

# guest_print_file NAME FILE: the guest prints the bytes of FILE.
guest_print_file() {
	_to_fifo "$T/$1.out" cat "$2"
}

# client_start ID PORT [nc|socat|ws:/PATH|wss:/PATH]: connect a client,
# input $T/ID.in, output $T/ID.recv; returns once the connection is
# established.
client_start() {
	local id=$1 port=$2 kind=${3:-nc} scheme
	rm -f "$T/$id.in"
	mkfifo "$T/$id.in" || return 1
	case $kind in
	nc)	# -n numeric only; -N shutdown(SHUT_WR) on input EOF.
		# It stays until its input ends, even after the server closes.
		set -- nc -n -N 127.0.0.1 "$port" ;;
	socat)	# -t 30: after one direction's EOF keep the other 30s.
		set -- socat -t 30 - "TCP:127.0.0.1:$port" ;;
	ws:/* | wss:/*)	# conslet -w behind websocketd (wss: a proxy with
		# TLS): a WebSocket to the path after the colon, as the page
		# on the port would open it; WS_OPTS adds wsclient.py's -s, -H.
		scheme=${kind%%:*}
		set -- python3 "$TOP/tests/tools/wsclient.py" "${WS_OPTS[@]}" \
		    "http${scheme#ws}://127.0.0.1:$port" \
		    "$scheme://127.0.0.1:$port${kind#*:}" ;;
	*)	echo "client_start: unknown client $kind" >&2
		return 1 ;;
	esac
	# The holder keeps the fifo's write end open until client_close;
	# nobody else ever has it, so closing it is EOF for the client.
	# No output of it may stay on a pipe someone reads (run's capture).
	sleep 2147483647 <&- >"$T/$id.in" 2>/dev/null 3>&- &
	echo $! >"$T/$id.holder"
	track_pid $!
	env CONSLET_TESTDIR="$T" "$@" <"$T/$id.in" >"$T/$id.recv" \
	    2>"$T/$id.err" 3>&- &
	echo $! >"$T/$id.cpid"
	echo "$port" >"$T/$id.port"
	track_pid $!
	wait_for _client_up "$id" || return 1
	# Gone already: fine if it succeeded (a short session).
	local pid st=0
	pid=$(client_pid "$id")
	_alive "$pid" && return 0
	wait "$pid" 2>/dev/null || st=$?
	[ "$st" -eq 0 ] && return 0
	echo "client_start: $kind to port $port failed (status $st)" \
	    "$(cat "$T/$id.err")" >&2
	return 1
}

# client_lport ID: the local port of the client's connection, which is
# the port conslet names the peer by.
client_lport() {
	local pid hex inodes lport
	pid=$(client_pid "$1")
	printf -v hex '%04X' "$(cat "$T/$1.port")"
	inodes=" $(_socket_inodes "$pid" | tr '\n' ' ') "
	lport=$(_tcp_sockets | awk -v p="$hex" -v ino="$inodes" '
	    $2 == p && index(ino, " " $4 " ") { print $1; exit }')
	[ -n "$lport" ] && echo $((16#$lport))
}

# client_pid ID: pid of the client process.
client_pid() {
	cat "$T/$1.cpid"
}

# _client_state ID: TCP state (hex, e.g. 01 ESTABLISHED) of the client.
_client_state() {
	local pid hex inodes
	pid=$(client_pid "$1")
	printf -v hex '%04X' "$(cat "$T/$1.port")"
	inodes=" $(_socket_inodes "$pid" | tr '\n' ' ') "
	[ "$inodes" != "  " ] || return 1
	_tcp_sockets | awk -v p="$hex" -v ino="$inodes" '
	    $2 == p && index(ino, " " $4 " ") { print $3; exit }'
}

# _client_up ID: the client got connected (maybe closed since), or exited.
_client_up() {
	local st
	_alive "$(client_pid "$1")" || return 0
	st=$(_client_state "$1")
	[ -n "$st" ] && [ "$st" != 02 ]	# 02: SYN_SENT
}

# _client_eof ID: the server closed the client's connection, or it exited.
_client_eof() {
	_alive "$(client_pid "$1")" || return 0
	case $(_client_state "$1") in
	01 | 02 | 03 | 04 | 05) return 1 ;;	# open, or closed by us only
	*) return 0 ;;
	esac
}

# client_wait_eof ID: wait until the server side has closed the connection.
client_wait_eof() {
	wait_for _client_eof "$1"
}

# client_send ID STRING: send STRING on the client's connection.
client_send() {
	_alive "$(client_pid "$1")" || {
		echo "client_send: client $1 is gone" >&2
		return 1
	}
	_to_fifo "$T/$1.in" printf '%s' "$2"
}

# client_send_file ID FILE: send the bytes of FILE.
client_send_file() {
	_alive "$(client_pid "$1")" || {
		echo "client_send_file: client $1 is gone" >&2
		return 1
	}
	_to_fifo "$T/$1.in" cat "$2"
}

# client_close ID: end the client's input (nc then half-closes the socket).
client_close() {
	local holder
	holder=$(cat "$T/$1.holder")
	kill -TERM "$holder" 2>/dev/null || true
	wait_pid_gone "$holder"
}

# all_bytes FILE: write the 256 byte values 0..255 into FILE.
all_bytes() {
	local i
	for i in $(seq 0 255); do
		printf '%b' "\\0$(printf '%o' "$i")"
	done >"$1"
}

# random_bytes FILE SIZE: write SIZE random bytes into FILE.
random_bytes() {
	head -c "$2" /dev/urandom >"$1"
}

# assert_same_bytes EXPECTED ACTUAL: byte-exact, else say where they differ.
assert_same_bytes() {
	cmp -s -- "$1" "$2" && return 0
	echo "bytes differ: expected $1 ($(_file_size "$1") bytes)," \
	    "got $2 ($(_file_size "$2") bytes)" >&2
	cmp -- "$1" "$2" >&2 || true
	echo "expected (tail):" >&2
	tail -c 64 "$1" | od -c | head -n 5 >&2
	echo "got (tail):" >&2
	tail -c 64 "$2" | od -c | head -n 5 >&2
	return 1
}

# _vm_hwm PID: peak resident set of the process, in kB.
_vm_hwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# _vm_rss PID: resident set of the process now, in kB.
_vm_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# fd_count PID: how many descriptors the process has open.
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# _pty_queue_full TTY: the terminal's input queue (what its reader has not
# read yet) is full: the line discipline holds at most 4 KiB.
_pty_queue_full() {
	local q
	q=$(python3 -c 'import fcntl, os, sys, termios, struct
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
print(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0])' "$1")
	[ "$q" -ge 4000 ]
}
