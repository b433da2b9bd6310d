#!/bin/sh
# demo.sh: serve a simulated guest's console on a local TCP port, with its
# logger, to try conslet and conslog by hand.  Run by `make demo` once
# src/conslet, src/conslog and tests/tools/fakeguest are built; stops on
# Ctrl-C (or SIGTERM), removing what it made.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
conslet=${CONSLET:-$top/src/conslet}
conslog=${CONSLOG:-$top/src/conslog}
fakeguest=$top/tests/tools/fakeguest
for f in "$conslet" "$conslog" "$fakeguest"; do
	[ -x "$f" ] || { echo "demo: $f is not built (run make)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/conslet-demo.XXXXXX") || exit 1
mkdir "$tmp/consoles" "$tmp/run" "$tmp/log"
guest='' logger='' server='' tserver='' web=''

cleanup() {
	trap - EXIT INT TERM
	# The sessions first: conslet processes the tcpservers started.
	for s in $server $tserver $web; do
		kill $(pgrep -P "$s") "$s" 2>/dev/null
	done
	[ -z "$logger" ] || kill "$logger" 2>/dev/null
	[ -z "$guest" ] || kill "$guest" 2>/dev/null
	wait
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# waitfile FILE PATTERN: poll until a line of FILE matches, 10 s at most.
waitfile() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 200 ] || { echo "demo: timed out" >&2; exit 1; }
		sleep 0.05
	done
}

"$fakeguest" -d -l "$tmp/consoles/demo" -r "$tmp/demo.rec" \
    -o "$tmp/demo.out" >"$tmp/guest" </dev/null &
guest=$!
waitfile "$tmp/guest" '^ready '

# The logger: every byte to demo.log, recent output kept for replay; -n 3
# says when it is ready.
"$conslog" -C "$tmp/consoles" -R "$tmp/run" -L "$tmp/log" -n 3 demo \
    3>"$tmp/ready" </dev/null &
logger=$!
waitfile "$tmp/ready" '^$'

# Two ports: raw, and telnet (-t) for a person at a terminal.  -1 prints
# the port the kernel chose; -H -R -l 0: no DNS or ident lookups.
tcpserver -1 -H -R -l 0 127.0.0.1 0 "$conslet" -C "$tmp/consoles" \
    -R "$tmp/run" demo >"$tmp/port" </dev/null &
server=$!
tcpserver -1 -H -R -l 0 127.0.0.1 0 "$conslet" -C "$tmp/consoles" \
    -R "$tmp/run" -t demo >"$tmp/tport" </dev/null &
tserver=$!
waitfile "$tmp/port" '^[0-9][0-9]*$'
waitfile "$tmp/tport" '^[0-9][0-9]*$'
port=$(head -n 1 "$tmp/port")
tport=$(head -n 1 "$tmp/tport")

# The page, where websocketd and xterm.js are (contrib/web): websocketd
# takes no port 0, so the first of 7080-7099 that nothing listens on.
url='none: it needs websocketd and xterm.js (Debian: node-xterm)'
if command -v websocketd >/dev/null 2>&1 &&
    sh "$top/contrib/web/page.sh" "$tmp/www" 2>/dev/null; then
	wport=7080
	while nc -z 127.0.0.1 "$wport" && [ "$wport" -lt 7099 ]; do
		wport=$((wport + 1))
	done
	websocketd --address=127.0.0.1 --port="$wport" --binary \
	    --origin="127.0.0.1:$wport,localhost:$wport" --staticdir="$tmp/www" \
	    "$conslet" -w -C "$tmp/consoles" -R "$tmp/run" >"$tmp/web" 2>&1 </dev/null &
	web=$!
	waitfile "$tmp/web" 'Starting WebSocket server'
	url="http://127.0.0.1:$wport/#demo"
fi

cat <<EOF
The console "demo" (a simulated guest on $(sed -n 's/^ready //p' "$tmp/guest"))
is served on 127.0.0.1, port $tport (telnet) and port $port (raw).
Log in with any name and password. From a terminal:

    telnet 127.0.0.1 $tport
    socat -,raw,echo=0,escape=0x1d TCP:127.0.0.1:$port

In a browser: $url

Keys go to the guest as typed, Ctrl-C included. At the start of a line
~. leaves and ~? lists the other escapes. (Plain nc on the raw port is
for scripts: in a terminal it echoes twice, shows the password and dies
on Ctrl-C; there use: stty raw -echo; nc 127.0.0.1 $port; stty sane.)

The guest's boot messages were printed before anyone connected: the logger
kept them, so you see them first. A second client meanwhile joins
read-only, with the recent output replayed; ~f there takes write access.
Everything the guest prints is in $tmp/log/demo.log.
Ctrl-C stops the demo.
EOF

# Until a signal comes (or both processes are gone).
wait
