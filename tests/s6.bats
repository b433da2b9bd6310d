#!/usr/bin/env bats
# The s6 services, contrib/s6: conslog's, ready when conslog has the
# device (notification-fd), its log service, and conslet's under
# s6-tcpserver (tcpserver standing in); their run scripts pass shellcheck.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

# s6_service DIR NAME: copy the s6 service DIR as NAME under $T/s6, with
# the built programs and the test's directories (run, console, log and
# UUCP lock).
s6_service() {
	mkdir -p "$T/s6" "$T/log"
	cp -R "$TOP/contrib/s6/$1" "$T/s6/$2"
	rm -rf "$T/s6/$2/log"
	sed -i -e "s|/usr/local/sbin/conslog|$TOP/src/conslog -C $T/consoles -R $T/run -L $T/log -U $T/lock|" \
	    -e "s|/usr/local/bin/conslet|$CONSLET -C $T/consoles -R $T/run -U $T/lock|" \
	    "$T/s6/$2/run"
}

@test "s6: the conslog service is ready (notification-fd) once conslog has the device, and logs" {
	require s6-supervise s6-svwait s6-svc
	start_guest web
	s6_service conslog-pbx conslog-web
	[ "$(cat "$T/s6/conslog-web/notification-fd")" = 3 ]
	_spawn "$T/s6.out" "$T/s6.err" s6-supervise "$T/s6/conslog-web"
	# s6-svwait needs the status file s6-supervise makes as it starts
	wait_for test -e "$T/s6/conslog-web/supervise/status"
	timeout 20 s6-svwait -U -t 10000 "$T/s6/conslog-web"
	s6-svstat "$T/s6/conslog-web" | grep -q 'ready'
	guest_print web "logged-under-s6"
	wait_file_contains "$T/log/web.log" "logged-under-s6"
	s6-svc -wD -d -T 10000 "$T/s6/conslog-web"
	s6-svc -x "$T/s6/conslog-web"
}

@test "s6: the conslet service runs conslet for its console on each connection" {
	require tcpserver
	# s6-networking is not in Debian 12: stand in for s6-tcpserver
	# with tcpserver, which sets the same UCSPI variables.
	mkdir -p "$T/bin"
	cat >"$T/bin/s6-tcpserver" <<'EOF'
#!/bin/sh
# s6-tcpserver -c N -C N IP PORT PROG...: tcpserver on $SHIM_PORT
c=
while getopts c:C: o; do
	case $o in
	c) c=$OPTARG ;;
	C) ;;
	*) exit 100 ;;
	esac
done
shift $((OPTIND - 1))
ip=$1
shift 2
exec tcpserver -H -R -l 0 -c "$c" "$ip" "$SHIM_PORT" "$@"
EOF
	chmod 755 "$T/bin/s6-tcpserver"
	start_guest pbx
	s6_service conslet-pbx conslet-pbx
	PORT=$(free_port)
	(cd "$T/s6/conslet-pbx" && exec env PATH="$T/bin:$PATH" \
	    SHIM_PORT="$PORT" CONSLET_TESTDIR="$T" ./run </dev/null \
	    >"$T/s6run.out" 2>&1 3>&-) &
	track_pid $!
	wait_listen "$PORT"
	client_start c "$PORT"
	client_send c "through-s6"
	wait_file_contains "$T/pbx.rec" "through-s6"
}

@test "s6: the log service keeps conslog's messages in a directory named after the service" {
	require s6-log
	mkdir -p "$T/s6/conslog-web"
	cp -R "$TOP/contrib/s6/conslog-pbx/log" "$T/s6/conslog-web/log"
	sed -i "s|/var/log/conslet|$T/s6log|g" "$T/s6/conslog-web/log/run"
	(cd "$T/s6/conslog-web/log" && echo "conslog: web: a message" |
	    ./run 3>&-)
	grep -q "conslog: web: a message" "$T/s6log/s6-conslog-web/current"
}

@test "the s6 run scripts pass shellcheck as POSIX sh" {
	require shellcheck
	cd "$TOP"
	shellcheck -s sh contrib/s6/conslog-pbx/run \
	    contrib/s6/conslog-pbx/log/run contrib/s6/conslet-pbx/run
}
