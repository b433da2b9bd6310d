# shellcheck shell=bash disable=SC2034
# (WEB_*, BROWSER_* are set for the tests that call these helpers.)
#
# Helpers for the tests of the consoles in a browser (tests/web.bats): load
# with `load lib/web` after `load lib/helpers`.  websocketd runs conslet -w with the
# command line of contrib/systemd/conslet-web.service; a headless Chromium,
# driven through chromedriver by tests/tools/webdriver.py, loads the page.
# Every process is started through _spawn or track_pid, so
# common_teardown stops it by pid (Chromium's processes are the driver's
# descendants, and carry the test's marker in their environment).

# Where the system keeps xterm.js's modules (Debian: node-xterm).
XTERM_LIB=${XTERM_LIB:-/usr/share/nodejs/xterm/lib}
UNIT=contrib/systemd/conslet-web.service

# require_web [CMD...]: skip unless websocketd, xterm.js (and CMD) are
# installed.
require_web() {
	require websocketd "$@"
	[ -r "$XTERM_LIB/public/Terminal.js" ] ||
		skip "xterm.js is not installed ($XTERM_LIB; Debian: node-xterm)"
}

# _selenium_python: print a python3 that imports selenium (Debian's
# python3-selenium is for /usr/bin/python3, which need not be first on PATH).
_selenium_python() {
	local p
	for p in python3 /usr/bin/python3 /usr/local/bin/python3; do
		"$p" -c 'import selenium' >/dev/null 2>&1 && {
			command -v "$p"
			return 0
		}
	done
	return 1
}

# require_browser: skip, saying why, unless Chromium, chromedriver and
# selenium are installed.  contrib/quickstart/deps.sh check installs them where they
# can be had; where they cannot, these tests are skipped.
require_browser() {
	local why=
	command -v chromium >/dev/null 2>&1 ||
	    command -v chrome >/dev/null 2>&1 || why="$why chromium"
	command -v chromedriver >/dev/null 2>&1 || why="$why chromedriver"
	BROWSER_PYTHON=$(_selenium_python) || why="$why selenium"
	[ -z "$why" ] || skip "no browser to test with: not installed:$why (contrib/quickstart/deps.sh check installs chromium, chromium-driver and python3-selenium where they can be had)"
}

# web_page DIR: the page, with xterm.js from the system's modules.
web_page() {
	sh "$TOP/contrib/web/page.sh" "$1" "$XTERM_LIB"
}

# unit_command: the websocketd command line of the shipped unit, one word
# a line (systemd's quoting is the shell's for this line).
unit_command() {
	local line
	line=$(sed -n 's/^ExecStart=//p' "$TOP/$UNIT")
	eval "printf '%s\\n' $line"
}

# start_web [CONSLET-OPTIONS...]: websocketd as the shipped unit runs it,
# on a free port of 127.0.0.1 (WEB_ORIGIN, if set, the origin it lets
# in), the page in $T/www, conslet on the test's
# directories with OPTIONS more; sets WEB_PORT, WEB_PID, WEB_ERR, and WEB_LOG
# (its access log, on its standard output).
# websocketd takes no port 0 (it means its default, 80): a port taken
# meanwhile by another is tried again with another.
start_web() {
	local cmd=() w log try
	[ -e "$T/www/index.html" ] || web_page "$T/www" || return 1
	for try in 1 2 3; do
		WEB_PORT=$(free_port) || return 1
		cmd=()
		while read -r w; do
			case $w in
			*/websocketd)
				# the environment conslet is to keep under test
				w=$(command -v websocketd)
				cmd+=("$w" "--passenv=PATH,ASAN_OPTIONS,UBSAN_OPTIONS,CONSLET_TESTDIR")
				continue ;;
			--port=7080) w=--port=$WEB_PORT ;;
			--origin=*) w=--origin=${WEB_ORIGIN:-${w#--origin=}}
				w=${w//:7080/:$WEB_PORT} ;;
			--staticdir=*) w=--staticdir=$T/www ;;
			*/bin/conslet) w=$CONSLET ;;
			esac
			cmd+=("$w")
		done < <(unit_command)
		log=$(_next_log websocketd)
		WEB_ERR=$T/$log.err WEB_LOG=$T/$log.out
		_spawn "$T/$log.out" "$WEB_ERR" "${cmd[@]}" -C "$T/consoles" \
		    -R "$T/run" "${UUCP_OPTS[@]}" "$@"
		WEB_PID=$SPAWN_PID
		wait_for _web_up && _alive "$WEB_PID" && return 0
	done
	echo "start_web: websocketd did not listen:" >&2
	cat "$WEB_LOG" "$WEB_ERR" >&2
	return 1
}

# _web_up: websocketd listens on WEB_PORT, or has given up.
_web_up() {
	_listening "$WEB_PORT" "$WEB_PID" || ! _alive "$WEB_PID"
}

# web_sessions: the conslet processes websocketd runs now.
web_sessions() {
	pgrep -P "$WEB_PID" || true
}

# browser_start: Chromium under tests/tools/webdriver.py, commands on
# $T/browser.in, answers in $T/browser.out; waits until it is up.
browser_start() {
	require_browser
	# Chromium's temporary files go into the test's directory, not /tmp
	mkdir -p "$T/browser/tmp"
	rm -f "$T/browser.in"
	mkfifo "$T/browser.in" || return 1
	sleep 2147483647 <&- >"$T/browser.in" 2>/dev/null 3>&- &
	echo $! >"$T/browser.holder"
	track_pid $!
	env CONSLET_TESTDIR="$T" TMPDIR="$T/browser/tmp" "$BROWSER_PYTHON" \
	    "$TOP/tests/tools/webdriver.py" "$T/browser" <"$T/browser.in" \
	    >"$T/browser.out" 2>"$T/browser.err" 3>&- &
	BROWSER_PID=$!
	track_pid "$BROWSER_PID"
	BROWSER_SEQ=0
	wait_for -t 30 _browser_up 2>/dev/null
	_contains "$T/browser.out" ready || {
		echo "the browser did not start:" >&2
		tail -n 20 "$T/browser.err" >&2
		return 1
	}
}

# _browser_up: the driver said it is ready, or died.
_browser_up() {
	_contains "$T/browser.out" ready || ! _alive "$BROWSER_PID"
}

# _browser_answered N: the driver answered command N (or died).
_browser_answered() {
	grep -q "^$1 " "$T/browser.out" || ! _alive "$BROWSER_PID"
}

# _field TEXT: TEXT as a field of a command: \, tab, LF and CR escaped.
_field() {
	local s=${1//\\/\\\\}
	s=${s//$'\t'/\\t}
	s=${s//$'\n'/\\n}
	printf '%s' "${s//$'\r'/\\r}"
}

# browser CMD TAB [ARGS...]: one command (see tests/tools/webdriver.py);
# its value in BROWSER_VALUE.  Not in a $(...): the count must carry on.
browser() {
	local line a answer
	BROWSER_SEQ=$((BROWSER_SEQ + 1))
	line=$BROWSER_SEQ
	for a; do
		line="$line"$'\t'"$(_field "$a")"
	done
	_to_fifo "$T/browser.in" printf '%s\n' "$line" || return 1
	wait_for -t 40 _browser_answered "$BROWSER_SEQ" 2>/dev/null
	answer=$(grep -m 1 "^$BROWSER_SEQ " "$T/browser.out")
	case $answer in
	"$BROWSER_SEQ ok"*)
		BROWSER_VALUE=${answer#"$BROWSER_SEQ ok"}
		BROWSER_VALUE=${BROWSER_VALUE# }
		return 0 ;;
	esac
	echo "browser $1 ${2:-}: ${answer#"$BROWSER_SEQ error "}" >&2
	[ -n "$answer" ] || tail -n 20 "$T/browser.err" >&2
	return 1
}

# browser_stop: close Chromium and wait for the driver to end.
browser_stop() {
	browser quit - || true
	wait_pid_gone -t 15 "$BROWSER_PID"
}

# page_bytes TAB FILE MIN: wait until the page has received at least MIN
# bytes on its console's WebSocket; they are in FILE.
page_bytes() {
	wait_for _page_has "$@"
}

_page_has() {
	browser received "$1" "$2" && _size_at_least "$2" "$3"
}

# nginx_front: nginx on 127.0.0.1:NGINX_PORT with TLS (a certificate made
# here), as contrib/nginx/conslet-web.conf.sample has it, in front of the last
# websocketd; the password of alice is secret.
nginx_front() {
	local d=$T/nginx
	require openssl
	[ -x /usr/sbin/nginx ] || skip "nginx is not installed (Debian: nginx-light)"
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	    -keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/openssl.err" ||
		return 1
	printf 'alice:%s\n' "$(openssl passwd -apr1 secret)" >"$d/htpasswd"
	sed -e "s|listen 443 ssl;|listen 127.0.0.1:$NGINX_PORT ssl;|" \
	    -e "s|/etc/ssl/vmhost.example.org.pem|$d/cert.pem|" \
	    -e "s|/etc/ssl/vmhost.example.org.key|$d/key.pem|" \
	    -e "s|/etc/nginx/conslet.htpasswd|$d/htpasswd|" \
	    -e "s|http://127.0.0.1:7080/|http://127.0.0.1:$WEB_PORT/|" \
	    "$TOP/contrib/nginx/conslet-web.conf.sample" >"$d/site.conf"
	# the snippet's http block, with everything else in the test's place
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
pid $d/nginx.pid;
error_log $d/error.log;
events {
}
http {
	access_log $d/access.log;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	include $d/site.conf;
}
EOF
	/usr/sbin/nginx -t -q -e "$d/error.log" -p "$d" -c "$d/nginx.conf" || {
		cat "$d/error.log" >&2
		return 1
	}
	_spawn "$T/nginx.out" "$T/nginx.err" /usr/sbin/nginx -e "$d/error.log" \
	    -p "$d" -c "$d/nginx.conf"
	wait_listen "$NGINX_PORT" "$SPAWN_PID" || {
		cat "$d/error.log" >&2
		return 1
	}
}
