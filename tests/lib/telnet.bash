# shellcheck shell=bash disable=SC2034
# (OFFER and ACCEPT are for the test files that load this.)
# Helpers for the telnet and RFC 2217 tests: load with `load lib/telnet`
# after `load lib/helpers`.  What the wire carries is written as printf
# formats with octal escapes, so that a test reads as the bytes it sends
# and expects.

# The server's offer on connect: WILL ECHO, WILL SGA, DO SGA, WILL BINARY,
# DO BINARY.
OFFER='\377\373\001\377\373\003\377\375\003\377\373\000\377\375\000'
# A client's yes to all of it: DO ECHO, DO SGA, WILL SGA, DO/WILL BINARY.
ACCEPT='\377\375\001\377\375\003\377\373\003\377\375\000\377\373\000'

# bytes FILE FORMAT: write the printf FORMAT (octal escapes) into FILE.
bytes() {
	# shellcheck disable=SC2059
	printf "$2" >"$1"
}

# send_bytes ID FORMAT: send the bytes of a printf FORMAT (NUL included).
send_bytes() {
	bytes "$T/$1.send" "$2" && client_send_file "$1" "$T/$1.send"
}

# recv_sync ID: a ~w from client ID is answered; all it sent before is
# handled. For a client at the start of a line (escape-wise).
recv_sync() {
	local off
	off=$(_file_size "$T/$1.recv")
	client_send "$1" '~w' &&
	    wait_contains_after "$T/$1.recv" "$off" "(you)]"
}

# between FILE START: the bytes of FILE after its first START bytes, up
# to (not including) the first "[conslet:" after them, or to its end.
between() {
	python3 - "$@" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()[int(sys.argv[2]):]
i = data.find(b"[conslet:")
sys.stdout.buffer.write(data if i < 0 else data[:i])
EOF
}

# pyserial_python: a python3 that has pyserial (python3-serial); Debian's
# module is for /usr/bin/python3, which a pyenv or venv may hide.
pyserial_python() {
	local p
	for p in python3 /usr/bin/python3; do
		command -v "$p" >/dev/null 2>&1 || continue
		"$p" -c 'import serial.rfc2217' 2>/dev/null || continue
		echo "$p"
		return 0
	done
	return 1
}

# need_pyserial: skip the test unless a python3 has pyserial; sets PY.
need_pyserial() {
	PY=$(pyserial_python) || skip "pyserial (python3-serial) is not installed"
}

# py_run ARGS...: $PY on the script on standard input, with ARGS and the
# test's deadline in WAIT_TIMEOUT; stopped if it takes 12 times that.
py_run() {
	env WAIT_TIMEOUT="$WAIT_TIMEOUT" timeout $((WAIT_TIMEOUT * 12)) \
	    "$PY" - "$@" 3>&-
}

# _hex_count FILE HEX: how many times the bytes HEX (lower case, no
# spaces) occur in FILE.
_hex_count() {
	od -An -tx1 -v "$1" | tr -d ' \n' | grep -o "$2" | wc -l
}

# _hex_seen FILE HEX N: the bytes HEX occur at least N times in FILE.
_hex_seen() {
	[ "$(_hex_count "$1" "$2")" -ge "${3:-1}" ]
}

# tn_python ARGS...: python3 with tests/tools/tnclient.py importable (as
# tnclient) and the test's limits.
tn_python() {
	env PYTHONPATH="$TOP/tests/tools" PYTHONDONTWRITEBYTECODE=1 \
	    WAIT_TIMEOUT="$WAIT_TIMEOUT" \
	    timeout $((WAIT_TIMEOUT * 12)) python3 "$@" 3>&-
}
