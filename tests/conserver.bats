#!/usr/bin/env bats
# conserver as the fleet's front end: contrib/conserver/conslet-cf turns
# conslet -l -H and the list of ports into conserver.cf entries, and two
# conservers (Debian's conserver-server), each the master of one host's
# consoles, send console -M to whichever manages the console asked for.
#
# The hosts are loopback addresses: host A is 127.0.0.2, host B 127.0.0.3,
# each with its conslet ports, its logger and its conserver there.
# conserver is the master of a console when the console's master names an
# address of its own machine's interfaces; on one machine both addresses
# are on lo, so each conserver and the client get an /etc/hosts of their
# own (a private mount namespace) in which its own host's name is
# 127.0.0.1 and the other's its address: the same conserver.cf then
# serves both, as it would on two machines.

# shellcheck disable=SC2154,SC2016
# (PORT_a and PORT_b are set by serve_on; sh -c scripts are single-quoted
# on purpose.)

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
	GEN=$TOP/contrib/conserver/conslet-cf
}

teardown() {
	common_teardown
}

# serve_on ADDRESS ID ARGS...: conslet ARGS under tcpserver on ADDRESS
# (host A or B); sets PORT_ID.
serve_on() {
	local addr=$1 id=$2 log
	shift 2
	require tcpserver
	log=$(_next_log tcpserver)
	_spawn "$T/$log.out" "$T/$log.err" tcpserver -1 -v -H -R -l 0 \
	    "$addr" 0 "$CONSLET" -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" "$@"
	wait_for _first_line_is_port "$T/$log.out" || {
		cat "$T/$log.err" >&2
		return 1
	}
	eval "PORT_$id=\$(head -n 1 \"\$T/\$log.out\")"
}

# as_host NAME CMD...: CMD with /etc/hosts of $T/NAME.hosts and a /run of
# its own (conserver writes there as root), in a private mount namespace.
as_host() {
	local name=$1
	shift
	mkdir -p "$T/$name.run"
	unshare --mount --propagation private -- sh -c \
	    'mount --bind "$1" /etc/hosts && mount --bind "$2" /run &&
	    shift 2 && exec "$@"' sh "$T/$name.hosts" "$T/$name.run" "$@"
}

# start_conserver_on NAME ADDRESS: conserver on ADDRESS:$CS_PORT with
# $T/cs/conserver.cf, as host NAME; sets CS_PID_NAME.
start_conserver_on() {
	local name=$1 addr=$2
	mkdir -p "$T/$name.run/conserver"
	_spawn "$T/conserver-$name.out" "$T/conserver-$name.err" \
	    unshare --mount --propagation private -- sh -c \
	    'mount --bind "$1" /etc/hosts && mount --bind "$2" /run &&
	    shift 2 && exec "$@"' sh "$T/$name.hosts" "$T/$name.run" \
	    conserver -C "$T/cs/conserver.cf" -P "$T/cs/conserver.passwd" \
	    -M "$addr" -p "$CS_PORT"
	eval "CS_PID_$name=\$SPAWN_PID"
}

# _cs_listening ADDRESS: something listens on ADDRESS:$CS_PORT.
_cs_listening() {
	local hex a b c d
	IFS=. read -r a b c d <<<"$1"
	printf -v hex '%02X%02X%02X%02X' "$d" "$c" "$b" "$a"
	awk -v a="$hex:$(printf '%04X' "$CS_PORT")" \
	    '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}

# console_on HOSTS MASTER NAME TEXT: conserver's client, as HOSTS, asks
# MASTER for console NAME, types TEXT and Return, and leaves with ^Ec.
console_on() {
	run env CONSLET_TESTDIR="$T" timeout 30 unshare --mount \
	    --propagation private -- sh -c \
	    'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh \
	    "$T/$1.hosts" expect -f "$TOP/tests/tools/console-types" "$2" \
	    "$CS_PORT" "$3" "$4" 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "conslet-cf: a console entry for each console's -E -h 0 port, telnet for -t; the others named and left out" {
	printf '%s\n' '# NAME	ADDRESS:PORT	conslet options' \
	    'pbx	192.0.2.7:7001		-u nobody' \
	    'pbx	192.0.2.7:7101		-r -E -h 0 -u nobody' \
	    'pbx	192.0.2.7:7021		-E -h 0 -u nobody' \
	    'web	0.0.0.0:7022		-t -p -E -h 0' \
	    'spare	192.0.2.7:7023		-E -u nobody' >"$T/ports"
	printf '%s\t%s\t%s\t-\t-\t-\t%s\t0\n' pbx /dev/nmdm0B free 812 \
	    spare /dev/nmdm2B missing - web /dev/pts/3 busy 900 >"$T/list"
	run sh "$GEN" -m cs1.example.net "$T/ports" <"$T/list"
	echo "$output"
	[ "$status" -eq 0 ]
	cat >"$T/want" <<'EOF'
conslet-cf: spare: no port with -E -h 0 in PORTS
# pbx: /dev/nmdm0B, free
console pbx {
	type host;
	host 192.0.2.7;
	port 7021;
	protocol raw;
	master cs1.example.net;
}
# web: /dev/pts/3, busy
console web {
	type host;
	host 0.0.0.0;
	port 7022;
	protocol telnet;
	master cs1.example.net;
}
EOF
	diff -u <(sed "s|PORTS|$T/ports|" "$T/want") <(printf '%s\n' "$output")
	# -h for a port on every address; the master is the host by default
	run sh -c 'sh "$1" -h vm2.example.net "$2" <"$3" 2>/dev/null' sh \
	    "$GEN" "$T/ports" "$T/list"
	[[ "$output" == *$'\thost vm2.example.net;\n\tport 7022;\n\tprotocol telnet;\n\tmaster vm2.example.net;'* ]]
	run sh "$GEN" -h 'a;b' "$T/ports" </dev/null
	[ "$status" -eq 64 ]
	run sh "$GEN" "$T/nonesuch" </dev/null
	[ "$status" -eq 66 ]
}

@test "two hosts, two conservers: console -M either master reaches a console on either host through conslet -E -h 0 ports, raw and telnet" {
	require conserver console unshare expect
	[ "$(id -u)" = 0 ] || skip "conserver's test runs it as root"
	unshare --mount --propagation private true 2>/dev/null ||
	    skip "no private mount namespace (unshare)"
	# host A has pbx on a raw port, host B web on a telnet port
	start_guest pbx
	start_guest web
	start_logger pbx
	start_logger web
	guest_print pbx $'boot banner of pbx\r\n'
	wait_file_contains "$T/log/pbx.log" "boot banner of pbx"
	serve_on 127.0.0.2 a -E -h 0 pbx
	serve_on 127.0.0.3 b -t -E -h 0 web
	printf 'pbx\t127.0.0.2:%s\t-E -h 0\n' "$PORT_a" >"$T/ports.a"
	printf 'web\t127.0.0.3:%s\t-t -E -h 0\n' "$PORT_b" >"$T/ports.b"
	# the generator, on each host, from what conslet -l -H says there
	mkdir -p "$T/cs"
	{
		printf 'config * {\n\tdefaultaccess rejected;\n}\n'
		printf 'default * {\n\tlogfile %s/cs/&.log;\n\ttimestamp "";\n\trw *;\n}\n' "$T"
		"$CONSLET" -C "$T/consoles" -R "$T/run" -l -H | grep '^pbx' |
		    sh "$GEN" -m hosta "$T/ports.a"
		"$CONSLET" -C "$T/consoles" -R "$T/run" -l -H | grep '^web' |
		    sh "$GEN" -m hostb "$T/ports.b"
		printf 'access * {\n\ttrusted 127.0.0.0/8;\n}\n'
	} >"$T/cs/conserver.cf"
	cat "$T/cs/conserver.cf"
	: >"$T/cs/conserver.passwd"
	printf '127.0.0.1 localhost hosta\n127.0.0.3 hostb\n' >"$T/a.hosts"
	printf '127.0.0.1 localhost hostb\n127.0.0.2 hosta\n' >"$T/b.hosts"
	printf '127.0.0.1 localhost\n127.0.0.2 hosta\n127.0.0.3 hostb\n' \
	    >"$T/client.hosts"
	as_host a conserver -S -C "$T/cs/conserver.cf" \
	    -P "$T/cs/conserver.passwd"
	CS_PORT=$(free_port)
	start_conserver_on a 127.0.0.2
	start_conserver_on b 127.0.0.3
	wait_for _cs_listening 127.0.0.2
	wait_for _cs_listening 127.0.0.3
	# each conserver connects to its own host's console only
	wait_who pbx 1
	wait_who web 1
	guest_print pbx $'pbx is live\r\n'
	guest_print web $'web is live\r\n'
	wait_file_contains "$T/cs/pbx.log" "pbx is live"
	wait_file_contains "$T/cs/web.log" "web is live"
	# asked of A, web is on B: console follows the redirect, and back
	console_on client 127.0.0.2 web "typed at web through hosta"
	wait_file_contains "$T/web.rec" "typed at web through hosta"
	console_on client 127.0.0.3 pbx "typed at pbx through hostb"
	wait_file_contains "$T/pbx.rec" "typed at pbx through hostb"
	console_on client 127.0.0.2 pbx "typed at pbx through hosta"
	wait_file_contains "$T/pbx.rec" "typed at pbx through hosta"
	# one connection to each console, its master's: web was reached
	# through hosta by the redirect, not by a connection of A's own
	[ "$(grep -c '^tcpserver: ok ' "$T/tcpserver.err")" -eq 1 ]
	[ "$(grep -c '^tcpserver: ok ' "$T/tcpserver2.err")" -eq 1 ]
	# conserver's logs: the consoles' bytes alone, no replay, no notice
	if grep -a -F -e '[conslet' -e 'boot banner' "$T/cs/pbx.log" \
	    "$T/cs/web.log"; then
		false
	fi
}
