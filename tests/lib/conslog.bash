# shellcheck shell=bash disable=SC2034
# (LOGGER_*, PORT and SERVER_* are set for the tests that call these.)
#
# conslog for the tests, and the shared consoles it serves: start and wait
# for a logger, servers of their own for writers and viewers, who is
# attached, what each client's stream holds.  Load with `load lib/conslog`
# after `load lib/helpers`.  The logger of console NAME writes
# $T/log/NAME.log; its readiness (-n) goes to a file of its own; every
# process is started through _spawn or track_pid, so common_teardown
# stops it by pid.

# The conslog under test: src/conslog unless CONSLOG names another (as
# CONSLET does for conslet).
CONSLOG=${CONSLOG:-}

# _logger_paths: the conslog binary.
_logger_paths() {
	[ -n "$CONSLOG" ] || CONSLOG=$TOP/src/conslog
	_need_exec "$CONSLOG"
}

# spawn_logger NAME [OPTIONS]: start conslog for NAME in the background,
# without waiting for it; sets LOGGER_PID, LOGGER_ERR, LOGGER_READY and
# LOGGER_LOG (the log file when no -L is given among OPTIONS).
spawn_logger() {
	local name=$1 log
	shift
	_logger_paths || return 1
	mkdir -p "$T/log" || return 1
	log=$(_next_log conslog)
	LOGGER_ERR=$T/$log.err
	LOGGER_READY=$T/$log.ready
	LOGGER_LOG=$T/log/$name.log
	: >"$LOGGER_READY"
	# -n 4: a newline on fd 4 once it is ready.
	_spawn "$T/$log.out" "$LOGGER_ERR" "$CONSLOG" -C "$T/consoles" \
	    -R "$T/run" -L "$T/log" "${UUCP_OPTS[@]}" -n 4 "$@" "$name" \
	    4>"$LOGGER_READY"
	LOGGER_PID=$SPAWN_PID
}

# _logger_up: the last logger said it is ready, or it died.
_logger_up() {
	[ -s "$LOGGER_READY" ] || ! _alive "$LOGGER_PID"
}

# logger_wait_ready [-t S]: wait until the last logger is ready.
logger_wait_ready() {
	local t=$WAIT_TIMEOUT
	if [ "${1:-}" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _logger_up 2>/dev/null
	if [ -s "$LOGGER_READY" ] && _alive "$LOGGER_PID"; then
		return 0
	fi
	if _alive "$LOGGER_PID"; then
		echo "conslog (pid $LOGGER_PID) not ready after ${t}s" >&2
	else
		echo "conslog (pid $LOGGER_PID) exited before it was ready" >&2
	fi
	cat "$LOGGER_ERR" >&2
	return 1
}

# start_logger NAME [OPTIONS]: start conslog for NAME and wait until ready.
start_logger() {
	spawn_logger "$@" && logger_wait_ready -t "$WAIT_TIMEOUT"
}

# logger_wait_exit PID: wait for the logger to end; its exit status in
# LOGGER_STATUS.  Not in a $(...): a subshell cannot wait for it.
logger_wait_exit() {
	LOGGER_STATUS=
	wait_pid_gone "$1" || return 1
	LOGGER_STATUS=0
	wait "$1" 2>/dev/null || LOGGER_STATUS=$?
}

# conslog_run ARGS...: conslog in the foreground on the test's
# directories, stdin from /dev/null, bounded by a deadline (status 124).
conslog_run() {
	_logger_paths || return 1
	env CONSLET_TESTDIR="$T" timeout "$WAIT_TIMEOUT" "$CONSLOG" \
	    -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" "$@" </dev/null 3>&-
}

# serve_as ID [OPTIONS] NAME: conslet OPTIONS NAME under a tcpserver of
# its own, remembered as ID for on_server; sets PORT.
serve_as() {
	local id=$1
	shift
	start_tcpserver -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" "$@" ||
	    return 1
	printf '%s %s %s\n' "$PORT" "$SERVER_PID" "$SERVER_ERR" \
	    >"$T/server.$id"
	eval "PORT_$id=\$PORT"
}

# on_server ID: make server ID the one session_pid and session_status ask.
on_server() {
	read -r PORT SERVER_PID SERVER_ERR <"$T/server.$1" || return 1
	SERVER_KIND=tcpserver
}

# peer_of ID: how conslet names client ID: 127.0.0.1:PORT.
peer_of() {
	local p
	p=$(client_lport "$1") || return 1
	echo "127.0.0.1:$p"
}

# who_count NAME: how many conslets the logger lists as attached.
who_count() {
	if [ -e "$T/run/$1.who" ]; then
		grep -c . "$T/run/$1.who" || true
	else
		echo 0
	fi
}

# _who_is NAME N: exactly N conslets are attached to NAME's logger.
_who_is() {
	[ "$(who_count "$1")" -eq "$2" ]
}

# wait_who [-t S] NAME N: wait until N conslets are attached.
wait_who() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _who_is "$1" "$2" 2>/dev/null && return 0
	echo "wait_who: wanted $2 attached to $1, the logger lists" \
	    "$(who_count "$1"):" >&2
	cat "$T/run/$1.who" >&2 2>/dev/null
	return 1
}

# _contains_after FILE OFFSET STRING: STRING occurs in FILE past OFFSET.
_contains_after() {
	[ -e "$1" ] && tail -c +"$(($2 + 1))" "$1" | has_bytes "$3"
}

# wait_contains_after [-t S] FILE OFFSET STRING: wait until STRING comes
# in FILE after its first OFFSET bytes.
wait_contains_after() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _contains_after "$1" "$2" "$3" 2>/dev/null && return 0
	echo "wait_contains_after: no \"$3\" in $1 past byte $2 after ${t}s;" \
	    "what came after it:" >&2
	tail -c +"$(($2 + 1))" "$1" | od -c | tail -n 12 >&2
	return 1
}

# count_of FILE STRING: how many times the fixed STRING occurs in FILE.
count_of() {
	python3 - "$1" "$2" <<'EOF'
import sys
print(open(sys.argv[1], "rb").read().count(sys.argv[2].encode()))
EOF
}

# numbered_lines FILE COUNT TAG: COUNT lines of 61 bytes (CR LF included),
# "TAG line 0001 ...", so that no round byte count falls on a line start.
numbered_lines() {
	python3 - "$@" <<'EOF'
import sys
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "wb") as f:
    for i in range(1, n + 1):
        head = "%s line %04d " % (tag, i)
        f.write((head + "." * (59 - len(head)) + "\r\n").encode())
EOF
}

# replay_of FILE N OUT: what a replay of N bytes of the output FILE is
# (the longest tail of at most N bytes that starts at a line start).
replay_of() {
	python3 - "$@" <<'EOF'
import sys
data, n, out = open(sys.argv[1], "rb").read(), int(sys.argv[2]), sys.argv[3]
if n == 0:
    tail = b""
elif len(data) <= n:
    tail = data
elif data[-n - 1:-n] == b"\n":
    tail = data[-n:]
else:
    w = data[-n:]
    i = w.find(b"\n")
    tail = w[i + 1:] if i >= 0 else b""
open(out, "wb").write(tail)
EOF
}

# check_stream [-s] DATA RECV: RECV is the printed DATA as a client gets
# it: in order, with the logger's notices ("[conslet: ...]" CR LF, after a
# CR LF of their own when they come in mid-line) in between.  Without -s
# every byte must be there; with -s (a viewer that fell behind) each
# "[conslet: N bytes skipped]" stands for the N bytes of DATA missing at
# that point, there is at least one, nothing is missing anywhere else, and
# the last 64 KiB are all there.  Prints the notices it met.
check_stream() {
	local skips=0
	if [ "$1" = -s ]; then skips=1; shift; fi
	python3 - "$skips" "$@" <<'PY'
import re, sys
skips, data = sys.argv[1] == "1", open(sys.argv[2], "rb").read()
recv = open(sys.argv[3], "rb").read()
pat = re.compile(rb"\[conslet: ([^\]\r\n]*)\]\r\n")
pos = p = got = skipped = nskips = 0
ok = True
kept = []

def take(seg, before_notice):
    global p, got, ok
    if before_notice and data[p:p + len(seg)] != seg and \
            seg.endswith(b"\r\n") and data[p:p + len(seg) - 2] == seg[:-2]:
        seg = seg[:-2]		# the CR LF that puts a notice on its own line
    if ok and data[p:p + len(seg)] != seg:
        i = next((k for k in range(len(seg))
            if p + k >= len(data) or data[p + k] != seg[k]), len(seg))
        print("received byte %d is not printed byte %d: a byte lost, "
            "repeated or out of order, or a wrong skip count" % (pos + i, p + i))
        print("  printed: %r" % data[p + i:p + i + 24])
        print("  got:     %r" % seg[i:i + 24])
        ok = False
    p += len(seg)
    got += len(seg)
    kept.append(seg)

for m in pat.finditer(recv):
    take(recv[pos:m.start()], True)
    text = m.group(1)
    s = re.fullmatch(rb"(\d+) bytes skipped", text)
    print("notice at received byte %d (printed byte %d): [conslet: %s]"
        % (m.start(), p, text.decode("latin-1")))
    if s:
        skipped += int(s.group(1))
        nskips += 1
        p += int(s.group(1))
    pos = m.end()
take(recv[pos:], False)
print("received %d + skipped %d = %d bytes; printed %d"
    % (got, skipped, got + skipped, len(data)))
if got + skipped != len(data):
    print("expected received + skipped == printed")
    ok = False
if skips:
    if nskips == 0:
        print("expected at least one skip notice, got none")
        ok = False
    if b"".join(kept)[-65536:] != data[-65536:]:
        print("expected the last 64 KiB received to be the last 64 KiB printed")
        ok = False
elif nskips:
    print("expected every byte, got %d skip notices" % nskips)
    ok = False
sys.exit(0 if ok else 1)
PY
}

# guest_print_paced NAME FILE RECV...: the guest prints FILE 16 KiB at a
# time, each piece once every RECV holds as many bytes as were printed
# before it: a guest no faster than its viewers, so that none of them
# falls the ring behind however the machine schedules them.
guest_print_paced() {
	python3 - "$T/$1.out" "$2" "$WAIT_TIMEOUT" "${@:3}" <<'PY'
import os, sys, time
fifo, data, limit = sys.argv[1], open(sys.argv[2], "rb").read(), float(sys.argv[3])
recvs, piece = sys.argv[4:], 16384

def size(f):
    try:
        return os.path.getsize(f)
    except OSError:
        return 0

with open(fifo, "wb") as out:
    for off in range(0, len(data), piece):
        end = time.monotonic() + limit
        while True:
            behind = [r for r in recvs if size(r) < off]
            if not behind:
                break
            if time.monotonic() > end:
                sys.exit("guest_print_paced: after %d bytes, %s still had "
                    "less after %gs" % (off, " ".join(behind), limit))
            time.sleep(0.005)
        out.write(data[off:off + piece])
        out.flush()
PY
}

# proc_state PID: the one-letter state of the process (T when stopped).
proc_state() {
	local stat
	read -r stat <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	echo "${stat%% *}"
}

# list: conslet -l for the test's directories.
list() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l
}

# _listed NAME PATTERN: conslet -l shows NAME with a state matching the
# extended regular expression PATTERN.
_listed() {
	list | grep -q -E "^$1 +[^ ]+ +$2\$"
}

# wait_listed NAME PATTERN: wait until conslet -l shows it so.
wait_listed() {
	wait_for _listed "$1" "$2" 2>/dev/null && return 0
	echo "wait_listed: wanted $1 as /$2/; conslet -l says:" >&2
	list >&2
	return 1
}

# _ends_like FILE EXPECTED: FILE ends with the last 64 bytes of EXPECTED.
_ends_like() {
	[ -e "$1" ] && cmp -s <(tail -c 64 "$1") <(tail -c 64 "$2")
}

# wait_ends_like [-t S] FILE EXPECTED: wait until FILE ends as EXPECTED does
# (for a stream that has notices among its data).
wait_ends_like() {
	local t=$WAIT_TIMEOUT
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	wait_for -t "$t" _ends_like "$1" "$2" 2>/dev/null && return 0
	echo "wait_ends_like: $1 ($(_file_size "$1") bytes) does not end" \
	    "as $2 does after ${t}s; it ends:" >&2
	tail -c 64 "$1" | od -c | tail -n 6 >&2
	return 1
}

# check_seam FILE TAG: FILE is a run of consecutive lines "TAG NNNNNNNN"
# CR LF, starting at a line start, ending with "TAG end" CR LF; prints the
# first number.
check_seam() {
	python3 - "$@" <<'PY'
import re, sys
data, tag = open(sys.argv[1], "rb").read(), sys.argv[2].encode()
lines = data.split(b"\r\n")
if lines[-1] != b"" or lines[-2] != tag + b" end":
    sys.exit("expected the stream to end with %r, it ends %r"
        % (tag + b" end\r\n", data[-40:]))
prev = None
for i, line in enumerate(lines[:-2]):
    m = re.fullmatch(re.escape(tag) + rb" (\d{8})", line)
    if not m:
        sys.exit("line %d is not a whole line %r: %r" % (i + 1, tag, line))
    n = int(m.group(1))
    if prev is not None and n != prev + 1:
        sys.exit("line %d: %d follows %d (%s)" % (i + 1, n, prev,
            "a repeat" if n <= prev else "a gap"))
    if prev is None:
        first = n
    prev = n
if prev is None:
    sys.exit("no numbered lines at all")
print(first)
PY
}

# type_sync ID TEXT: the client types TEXT, CR, then ~w; once the answer to
# ~w is back, its conslet has handled (passed on or dropped) all of TEXT.
type_sync() {
	local off
	off=$(_file_size "$T/$1.recv")
	client_send "$1" "$2"$'\r~w' &&
	    wait_contains_after "$T/$1.recv" "$off" "(you)]"
}

# has_line FILE ERE: FILE has a line matching ERE (CR LF line ends).
has_line() {
	grep -a -q -E "^$2"$'\r''$' "$1" && return 0
	printf 'no line /^%s\\r$/ in %s; its notices:\n' "$2" "$1" >&2
	grep -a -F '[conslet: ' "$1" >&2
	return 1
}

# re_quote STRING: STRING as an extended regular expression matching itself.
re_quote() {
	# shellcheck disable=SC2016
	printf '%s' "$1" | sed 's/[][\.*^$(){}?+|/]/\\&/g'
}

# _count_is FILE STRING N: the fixed STRING occurs N times in FILE.
_count_is() {
	[ "$(count_of "$1" "$2")" -eq "$3" ]
}
