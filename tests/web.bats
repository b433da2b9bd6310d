#!/usr/bin/env bats
# The consoles in a browser: conslet -w behind websocketd, started with
# the command line of contrib/systemd/conslet-web.service, and the page of
# contrib/web with the system's xterm.js in a real headless Chromium; the
# same WebSockets from a plain client (tests/tools/wsclient.py).

setup() {
	load lib/helpers
	load lib/conslog
	load lib/web
	common_setup
}

teardown() {
	common_teardown
}

# web_run PATH_INFO [OPTIONS...]: conslet -w as websocketd starts it, on
# the test's directories; its stderr in $T/w.err.
web_run() {
	local p=$1
	shift
	env PATH_INFO="$p" "$CONSLET" -w -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" "$@" 2>"$T/w.err" </dev/null
}

# refused PATH_INFO SHOWN: conslet -w refuses the name, showing it so.
refused() {
	run web_run "$1"
	if [ "$status" != 64 ] || [ "$output" != "[conslet: invalid console name: \"$2\"]"$'\r' ]; then
		echo "PATH_INFO $(printf '%q' "$1"): status $status, output:" \
		    "$(printf '%q' "$output"), wanted the name shown as $2" >&2
		return 1
	fi
}

# writer_peer NAME: the writer's peer as conslet -l -H tells it.
writer_peer() {
	"$CONSLET" -l -H -C "$T/consoles" -R "$T/run" |
	    awk -F '\t' -v n="$1" '$1 == n { print $5 }'
}

# _writer_is NAME PEER: the console's writer is PEER.
_writer_is() {
	[ "$(writer_peer "$1")" = "$2" ]
}

# writer_by_header ID HEADER PEER: a client to pbx that sends HEADER is
# its writer, named PEER, where @ stands for the client's own port.
writer_by_header() {
	local peer WS_OPTS=(-H "$2")
	client_start "$1" "$WEB_PORT" ws:/pbx || return 1
	peer=${3//@/$(client_lport "$1")}
	wait_for _writer_is pbx "$peer" 2>/dev/null || {
		echo "the writer is \"$(writer_peer pbx)\", not \"$peer\"" >&2
		return 1
	}
}

# browser_demo: the guest demo (-d, a login) with its logger, websocketd
# as the unit runs it (WEB_PORT), and Chromium.
browser_demo() {
	require_web
	require_browser
	start_guest demo -d
	start_logger demo
	start_web
	browser_start
}

# _writer_like NAME REGEX: the console's writer matches the whole REGEX.
_writer_like() {
	writer_peer "$1" | grep -q -E -x "$2"
}

# leave ID: ~. ends the client's session, and conslet says so.
leave() {
	client_send "$1" $'\r~.' &&
	    wait_file_contains "$T/$1.recv" "[conslet: disconnected]" &&
	    client_wait_eof "$1"
}

@test "conslet -w: the console is the path websocketd passes, names only; the bare path lists the consoles" {
	start_guest pbx
	run web_run /
	[ "$status" = 0 ]
	[[ "$output" == "  pbx"*" free"$'\r' ]]
	refused /../x ../x
	refused /.. ..
	refused /%2e%2e %2e%2e
	refused /-l -l
	refused /a/b a/b
	refused //pbx /pbx
	refused "/$(printf 'a%.0s' $(seq 65))" "$(printf 'a%.0s' $(seq 65))"
	refused $'/a\001b' 'a\001b'
	refused $'/a\nb' 'a\nb'
	refused $'/pbx\r' 'pbx\r'
	run env -u PATH_INFO "$CONSLET" -w -C "$T/consoles" -R "$T/run"
	[ "$status" = 64 ]
	[[ "$output" == *"-w: no PATH_INFO: not started by websocketd"* ]]
	run web_run /pbx pbx
	[ "$status" = 64 ]
	[[ "$output" == *"usage: conslet"* ]]
	run web_run /pbx -m
	[ "$status" = 64 ]
	run web_run /pbx -W 192.0.2
	[ "$status" = 64 ]
	[[ "$output" == "[conslet: proxy address is invalid: 192.0.2]"* ]]
}

@test "websocketd as the unit runs it: every byte value both ways in binary messages, the list, ~., and no WebSocket from another origin" {
	require_web
	start_guest pbx
	start_logger pbx
	start_web
	client_start c "$WEB_PORT" ws:/pbx
	all_bytes "$T/all"
	random_bytes "$T/rand" 65536
	cat "$T/all" "$T/rand" >"$T/out"
	# escapes are on: the client sends the 256 values, the guest more
	client_send_file c "$T/all"
	guest_print_file pbx "$T/out"
	wait_file_size "$T/pbx.rec" 256
	wait_file_size "$T/c.recv" 65792
	assert_same_bytes "$T/all" "$T/pbx.rec"
	assert_same_bytes "$T/out" "$T/c.recv"

	# the bare path: the list, as the -m prompt gives it
	client_start l "$WEB_PORT" ws:/
	client_wait_eof l
	grep -q -E "^  pbx +in use by 127\.0\.0\.1:$(client_lport c) \(pid [0-9]+\) since [0-9:]{8} \(logged\)"$'\r$' "$T/l.recv"

	# a page of another site, or no page at all, is refused: no conslet
	run python3 "$TOP/tests/tools/wsclient.py" http://evil.example \
	    "ws://127.0.0.1:$WEB_PORT/pbx"
	[ "$status" = 2 ]
	[[ "$output" == "HTTP/1.1 403 Forbidden"* ]]
	run python3 "$TOP/tests/tools/wsclient.py" - \
	    "ws://127.0.0.1:$WEB_PORT/pbx"
	[ "$status" = 2 ]
	grep -q "origin:'http://evil.example' | Origin is not listed" "$WEB_LOG"
	[ "$(web_sessions | wc -l)" = 1 ]

	# the page, with a policy that lets it load from this host alone
	python3 -c 'import sys, urllib.request as u
r = u.build_opener(u.ProxyHandler({})).open(sys.argv[1])
print(r.headers["Content-Security-Policy"])' \
	    "http://127.0.0.1:$WEB_PORT/" >"$T/csp"
	[ "$(cat "$T/csp")" = "default-src 'self'; frame-ancestors 'none'" ]

	leave c
	wait_for _no_children "$WEB_PID"
}

@test "the demo serves the page too, and its banner gives the address" {
	require_web tcpserver
	_spawn "$T/demo.out" "$T/demo.err" env TMPDIR="$T" \
	    CONSLOG="${CONSLOG:-$TOP/src/conslog}" sh "$TOP/contrib/quickstart/demo.sh"
	wait_file_contains "$T/demo.out" "Ctrl-C stops the demo."
	url=$(sed -n 's|^In a browser: \(http://127\.0\.0\.1:[0-9]*/\)#demo$|\1|p' \
	    "$T/demo.out")
	[ -n "$url" ]
	python3 -c 'import sys, urllib.request as u
sys.stdout.write(u.build_opener(u.ProxyHandler({})).open(sys.argv[1]).read().decode())' \
	    "$url" >"$T/page"
	grep -q '<script src="conslet.js"' "$T/page"
	port=${url#http://127.0.0.1:}
	client_start l "${port%/}" ws:/
	client_wait_eof l
	grep -q "^  demo  *free (logged)"$'\r$' "$T/l.recv"
}

@test "-W: the browser's address from X-Forwarded-For, and only when the connection comes from that proxy" {
	require_web
	start_guest pbx
	start_logger pbx
	# without -W the header is the client's own word
	start_web
	writer_by_header a 'X-Forwarded-For: 198.51.100.7' '127.0.0.1:@'
	leave a
	# from the proxy named: the last address, the one it added
	start_web -W 127.0.0.1
	writer_by_header b 'X-Forwarded-For: 203.0.113.9, 198.51.100.7' \
	    '198.51.100.7 via 127.0.0.1:@'
	# and the others hear it by that name
	client_start v "$WEB_PORT" ws:/pbx
	wait_file_contains "$T/v.recv" "[conslet: read-only: pbx is in use by 198.51.100.7 via 127.0.0.1:$(client_lport b) (pid "
	leave v
	leave b
	# something else than an address there: the proxy's own
	writer_by_header c 'X-Forwarded-For: 198.51.100.7 x' '127.0.0.1:@'
	leave c
	# a proxy of another address: the header is ignored
	start_web -W 127.0.0.2
	writer_by_header d 'X-Forwarded-For: 198.51.100.7' '127.0.0.1:@'
	leave d
}

@test "behind nginx as its snippet has it: TLS, a password, and the browser's address believed through -W" {
	local auth WS_OPTS
	require_web openssl
	start_guest pbx
	start_logger pbx
	NGINX_PORT=$(free_port)
	WEB_ORIGIN=127.0.0.1:$NGINX_PORT start_web -W 127.0.0.1
	nginx_front
	url=wss://127.0.0.1:$NGINX_PORT/consoles/pbx
	# no password, or a wrong one: nginx says no, and conslet never runs
	run python3 "$TOP/tests/tools/wsclient.py" "https://127.0.0.1:$NGINX_PORT" "$url"
	[ "$status" = 2 ]
	[[ "$output" == "HTTP/1.1 401 Unauthorized"* ]]
	run python3 "$TOP/tests/tools/wsclient.py" -H "Authorization: Basic $(printf alice:wrong | base64)" \
	    "https://127.0.0.1:$NGINX_PORT" "$url"
	[ "$status" = 2 ]
	[[ "$output" == "HTTP/1.1 401 Unauthorized"* ]]
	[ -z "$(web_sessions)" ]

	# the page, the list and a session, with the password
	auth="Authorization: Basic $(printf alice:secret | base64)"
	python3 -c 'import ssl, sys, urllib.request as u
r = u.Request(sys.argv[1], headers={"Authorization": sys.argv[2].split(": ", 1)[1]})
h = u.build_opener(u.ProxyHandler({}), u.HTTPSHandler(context=ssl._create_unverified_context())).open(r)
print(h.headers["Content-Security-Policy"]); print(h.read().decode())' \
	    "https://127.0.0.1:$NGINX_PORT/consoles/" "$auth" >"$T/page"
	head -n 1 "$T/page" | grep -q -x "default-src 'self'; frame-ancestors 'none'"
	grep -q '<script src="conslet.js"' "$T/page"
	WS_OPTS=(-H "$auth")
	client_start l "$NGINX_PORT" wss:/consoles/
	client_wait_eof l
	grep -q "^  pbx  *free (logged)"$'\r$' "$T/l.recv"
	# from a browser elsewhere (127.0.0.2), which also claims to be
	# another: the proxy's word counts
	WS_OPTS=(-s 127.0.0.2 -H "$auth" -H 'X-Forwarded-For: 198.51.100.66')
	client_start c "$NGINX_PORT" wss:/consoles/pbx
	wait_for _writer_like pbx '127\.0\.0\.2 via 127\.0\.0\.1:[0-9]+'
	client_send c 'uname'
	wait_file_contains "$T/pbx.rec" uname
	guest_print pbx 'FakeOS'
	wait_file_contains "$T/c.recv" FakeOS
	leave c
}

@test "in Chromium: the list with states, a console picked; the replay, root reaching the guest, its answer, all 256 byte values as sent, ~. ends it" {
	browser_demo
	browser open a "http://127.0.0.1:$WEB_PORT/"
	browser waitlist a "demo"
	browser list a "$T/list"
	grep -q -x $'demo\tfree (logged)' "$T/list"
	browser click a demo

	# the boot messages and the login prompt, replayed by the logger
	browser wait a "demo login:"
	browser wait a "Starting syslogd."
	browser type a $'root\r'
	wait_file_contains "$T/demo.rec" "root"$'\r'
	browser wait a "Password:"

	# what the page received from its WebSocket, not what xterm drew
	all_bytes "$T/all"
	browser received a "$T/before"
	guest_print_file demo "$T/all"
	page_bytes a "$T/got" $(($(_file_size "$T/before") + 256))
	tail -c 256 "$T/got" >"$T/got.tail"
	assert_same_bytes "$T/all" "$T/got.tail"

	# nothing from another site: the page, its script, xterm.js
	browser loaded a "$T/loaded"
	cat "$T/loaded"
	if grep -v "^http://127\.0\.0\.1:$WEB_PORT/" "$T/loaded"; then false; fi
	grep -q "/xterm/xterm.js$" "$T/loaded"
	browser shot a "$T/web-console.png"

	browser type a $'\r~.'
	browser wait a "[conslet: disconnected]"
	browser wait a "[connection closed]"
	wait_for _no_children "$WEB_PID"
	browser_stop
}

@test "in Chromium: a second tab joins read-only, told who writes, its keys dropped; ~f takes over; the viewers' port (-r) never writes" {
	browser_demo
	port=$WEB_PORT
	start_web -r
	vport=$WEB_PORT
	browser open a "http://127.0.0.1:$port/#demo"
	browser wait a "demo login:"
	browser open b "http://127.0.0.1:$port/#demo"
	browser wait b "[conslet: read-only: demo is in use by 127.0.0.1:"
	browser wait a "joined (read-only)]"
	browser type b $'evil\r'
	# the page sent them: conslet is what drops them
	browser sent b
	echo "tab b sent $BROWSER_VALUE bytes"
	[ "$BROWSER_VALUE" -ge 5 ]
	browser type a $'root\r'
	wait_file_contains "$T/demo.rec" "root"$'\r'
	browser wait b "Password:"
	if grep -q evil "$T/demo.rec"; then false; fi

	# ~f: b writes, a is read-only and told so
	browser type b $'\r~f'
	browser wait a "[conslet: write access taken by 127.0.0.1:"
	browser type b 'secret'
	browser sent a
	before=$BROWSER_VALUE
	browser type a 'nope'
	browser sent a
	[ "$BROWSER_VALUE" -ge $((before + 4)) ]
	browser type b $'\r'
	wait_file_contains "$T/demo.rec" "secret"$'\r'
	if grep -q nope "$T/demo.rec"; then false; fi

	# the viewers' port: told who writes, ~f refused, keys dropped
	browser open c "http://127.0.0.1:$vport/#demo"
	browser wait c "[conslet: read-only: demo is in use by 127.0.0.1:"
	browser type c $'\r~f'
	browser wait c "[conslet: read-only: this port is for viewers]"
	browser sent c
	before=$BROWSER_VALUE
	browser type c 'viewer'
	browser sent c
	[ "$BROWSER_VALUE" -ge $((before + 6)) ]
	browser type b $'help\r'
	browser wait c "commands: help"
	if grep -q viewer "$T/demo.rec"; then false; fi
	browser shot c "$T/web-viewer.png"
	browser_stop
}

@test "in Chromium: names in the page's URL that are not names are refused in the terminal, also past the page; a page of another site gets no console" {
	browser_demo
	long=$(printf 'a%.0s' $(seq 65))
	browser open a "http://127.0.0.1:$WEB_PORT/#../x"
	browser wait a '[conslet: invalid console name: "../x"]'
	browser open a "http://127.0.0.1:$WEB_PORT/#%2e%2e"
	browser wait a '[conslet: invalid console name: "%2e%2e"]'
	browser open a "http://127.0.0.1:$WEB_PORT/#-l"
	browser wait a '[conslet: invalid console name: "-l"]'
	browser open a "http://127.0.0.1:$WEB_PORT/#$long"
	browser wait a "[conslet: invalid console name: \"$long\"]"
	browser open a "http://127.0.0.1:$WEB_PORT/#a%01b"
	browser wait a '[conslet: invalid console name: "a%01b"]'
	browser opened a
	[ "$BROWSER_VALUE" = 0 ]

	# WebSockets opened by script, past the page's own check: conslet's
	url=ws://127.0.0.1:$WEB_PORT
	browser rawws a "$url/-l" "$T/r1"
	[ "$(cat "$T/r1")" = '[conslet: invalid console name: "-l"]'$'\r' ]
	browser rawws a "$url/$long" "$T/r2"
	[ "$(cat "$T/r2")" = "[conslet: invalid console name: \"$long\"]"$'\r' ]
	browser rawws a "$url/a%01b" "$T/r3"
	[ "$(cat "$T/r3")" = '[conslet: invalid console name: "a\001b"]'$'\r' ]
	browser rawws a "$url/%252e%252e" "$T/r4"
	[ "$(cat "$T/r4")" = '[conslet: invalid console name: "%2e%2e"]'$'\r' ]
	browser rawws a "$url/a%2Fb" "$T/r5"
	[ "$(cat "$T/r5")" = '[conslet: invalid console name: "a/b"]'$'\r' ]
	# websocketd itself sends a path with a dot segment elsewhere
	browser rawws a "$url/..%2Fx" "$T/r6"
	[[ "$BROWSER_VALUE" == refused* ]]
	[ ! -s "$T/r6" ]
	browser shot a "$T/web-refused.png"

	# evil.example leads to this host (as a rebound DNS name would): its
	# page is served, but no WebSocket of it is let through.  (One of it
	# to 127.0.0.1 Chromium itself holds back, for a permission to reach
	# the local network; the plain client's test sends that one.)
	browser open e "http://evil.example:$WEB_PORT/"
	browser waitlist e "[the server refused the connection]"
	browser rawws e "ws://evil.example:$WEB_PORT/demo" "$T/e1"
	[[ "$BROWSER_VALUE" == refused* ]]
	grep -q "origin:'http://evil.example:$WEB_PORT' | Origin is not listed" "$WEB_LOG"
	[ ! -s "$T/demo.rec" ]
	if grep -q "attached by" "$WEB_ERR"; then false; fi
	browser_stop
}

# websocketd_lines FILE: each websocketd command line of FILE, joined
# where it goes on past a backslash, comment signs and prompts taken off.
websocketd_lines() {
	sed -e 's/^[#[:space:]]*//' -e 's/^\$ //' "$1" |
	    awk '/\\$/ { sub(/\\$/, ""); line = line $0; next }
		{ print line $0; line = "" }' |
	    grep -E '(^|[ /=])websocketd --' || true
}

@test "every websocketd line shipped listens on loopback and checks the origin; the unit verifies; the scripts pass shellcheck" {
	local f n=0 l
	require mandoc
	cd "$TOP"
	mandoc -T ascii man/conslet.8 | sed 's/.\x08//g' >"$T/conslet.8.txt"
	for f in README.md "$T/conslet.8.txt" contrib/quickstart/demo.sh \
	    contrib/systemd/conslet-web.service contrib/freebsd/rc.d/conslet_web \
	    contrib/nginx/conslet-web.conf.sample; do
		while IFS= read -r l; do
			n=$((n + 1))
			case $l in *--address=127.0.0.1*) ;; *)
				echo "$f: no --address=127.0.0.1: $l" >&2
				return 1 ;;
			esac
			case $l in *--origin=*) ;; *)
				echo "$f: no --origin: $l" >&2
				return 1 ;;
			esac
		done < <(websocketd_lines "$f")
	done
	[ "$n" -ge 7 ]
	if command -v systemd-analyze >/dev/null && command -v websocketd >/dev/null; then
		out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
		[ -z "$out" ] || { echo "$out" >&2; return 1; }
	fi
	if command -v shellcheck >/dev/null; then
		shellcheck -s sh contrib/freebsd/rc.d/conslet_web contrib/web/page.sh
	fi
}
