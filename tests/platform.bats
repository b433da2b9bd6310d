#!/usr/bin/env bats
# The platform files: shell scripts, systemd units, devd rules, the inetd
# sample, s6 services, and what make install puts where.

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	common_teardown
}

# expected_files PLATFORM: every file make install puts in PREFIX on
# that system (Linux, FreeBSD, or all), with its mode, sorted.
expected_files() {
	{
		cat <<'EOF'
644 etc/conslet/inetd.conf.sample
644 share/conslet/s6/conslog-pbx/notification-fd
644 share/conslet/tcpserver/rules.sample
644 share/man/man8/conslet.8
644 share/man/man8/conslog.8
755 bin/conslet
755 sbin/conslog
755 share/conslet/s6/conslet-pbx/run
755 share/conslet/s6/conslog-pbx/log/run
755 share/conslet/s6/conslog-pbx/run
EOF
		case $1 in FreeBSD | all)
			cat <<'EOF'
644 etc/devd/conslet.conf
644 etc/newsyslog.conf.d/conslog.conf
755 etc/rc.d/conslog
755 libexec/conslet/conslogctl
EOF
		esac
		case $1 in Linux | all)
			cat <<'EOF'
644 share/conslet/logrotate.d/conslog
644 share/conslet/systemd/conslet.socket
644 share/conslet/systemd/conslet@.service
644 share/conslet/systemd/conslog@.service
644 share/conslet/systemd/ports.sample
755 share/conslet/systemd/conslet-generator
EOF
		esac
	} | LC_ALL=C sort
}

# installed DIR: "mode path" of every file under DIR, sorted.
installed() {
	(cd "$1" && find . -type f -printf '%m %P\n' | LC_ALL=C sort)
}

# install_check MAKE [PLATFORM]: install into a DESTDIR, for the system
# it runs on or for PLATFORM, compare, uninstall.
install_check() {
	local d=$T/dest-$1 p=/opt/cs want=${2:-$(uname -s)} set=
	require "$1"
	[ -z "${2:-}" ] || set="PLATFORM=$2"
	# Under `make check` GNU make's MAKEFLAGS are in the environment;
	# bmake would read their letters as its own options and targets.
	[ "$1" = make ] || unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
	# shellcheck disable=SC2086
	"$1" -s -C "$TOP" install DESTDIR="$d" PREFIX="$p" $set \
	    >"$T/$1.out" 2>&1 || {
		cat "$T/$1.out"
		return 1
	}
	expected_files "$want" >"$T/want"
	installed "$d$p" >"$T/got"
	diff -u "$T/want" "$T/got"
	# nothing outside PREFIX
	[ "$(cd "$d" && find . -type f ! -path "./${p#/}/*")" = "" ]
	# this build's paths, not the defaults
	case $want in Linux | all)
		grep -q "^ExecStart=$p/sbin/conslog %i$" \
		    "$d$p/share/conslet/systemd/conslog@.service" ;;
	esac
	case $want in FreeBSD | all)
		grep -q "$p/libexec/conslet/conslogctl create" \
		    "$d$p/etc/devd/conslet.conf" ;;
	esac
	if grep -r -l /usr/local "$d$p/etc" "$d$p/share" \
	    "$d$p/libexec" 2>/dev/null; then
		echo "expected no /usr/local in the files installed under $p," \
		    "found it in those above" >&2
		return 1
	fi
	# shellcheck disable=SC2086
	"$1" -s -C "$TOP" uninstall DESTDIR="$d" PREFIX="$p" $set \
	    >"$T/$1.out" 2>&1 || {
		cat "$T/$1.out"
		return 1
	}
	[ "$(find "$d" -type f -o -type l)" = "" ]
	rm -rf "$d"
}

@test "make install puts exactly the files of the system it runs on, with their modes; uninstall removes them (GNU make)" {
	install_check make
}

@test "make install and uninstall with bmake, for the system it runs on" {
	install_check bmake
}

@test "make install PLATFORM=FreeBSD, Linux or all: that system's files and no others (GNU make and bmake)" {
	install_check make FreeBSD
	install_check bmake Linux
	install_check make all
	install_check bmake all
}

@test "the shell scripts pass shellcheck as POSIX sh" {
	require shellcheck
	cd "$TOP"
	shellcheck -s sh contrib/freebsd/libexec/conslogctl \
	    contrib/freebsd/rc.d/conslog contrib/systemd/conslet-generator \
	    contrib/s6/conslog-pbx/run contrib/s6/conslog-pbx/log/run \
	    contrib/s6/conslet-pbx/run
}

# verify_clean FILE: systemd-analyze verify says nothing about FILE.
verify_clean() {
	local out st=0
	out=$(systemd-analyze verify --man=no "$1" 2>&1) || st=$?
	if [ "$st" != 0 ] || [ -n "$out" ]; then
		echo "systemd-analyze verify $1: status $st" >&2
		echo "$out" >&2
		return 1
	fi
}

@test "the systemd units, installed and generated, pass systemd-analyze verify" {
	require systemd-analyze
	local r=$T/root u=$T/units f
	make -s -C "$TOP" install PREFIX="$r" >"$T/make.out" 2>&1 ||
	    { cat "$T/make.out"; return 1; }
	mkdir -p "$u" "$T/gen"
	cp "$r/share/conslet/systemd/conslog@.service" "$u/conslog@pbx.service"
	verify_clean "$u/conslog@pbx.service"
	CONSLET_PORTS=$r/share/conslet/systemd/ports.sample \
	    "$r/share/conslet/systemd/conslet-generator" "$T/gen" "$T" "$T"
	[ "$(cd "$T/gen" && ls | tr '\n' ' ')" = "conslet-pbx-7001.socket conslet-pbx-7001@.service conslet-pbx-7101.socket conslet-pbx-7101@.service conslet-pbx-7201.socket conslet-pbx-7201@.service sockets.target.wants " ]
	[ "$(readlink "$T/gen/sockets.target.wants/conslet-pbx-7101.socket")" = ../conslet-pbx-7101.socket ]
	grep -q -x "ExecStart=$r/bin/conslet -r -u nobody pbx" \
	    "$T/gen/conslet-pbx-7101@.service"
	grep -q -x "ListenStream=127.0.0.1:7101" "$T/gen/conslet-pbx-7101.socket"
	for f in "$T"/gen/*.socket; do
		verify_clean "$f"
	done
	# A connection's service is NAME@N-LOCAL-REMOTE.service: check the
	# template under an instance name (without the colons, which
	# systemd-analyze takes for something else in a path).
	for f in "$T"/gen/*@.service; do
		f=${f##*/}
		cp "$T/gen/$f" "$u/${f%@.service}@1-127.0.0.1-40000.service"
		verify_clean "$u/${f%@.service}@1-127.0.0.1-40000.service"
	done
}

# unit_value FILE KEY: the value of KEY= in a unit file (the last one).
unit_value() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

@test "conslet.socket and conslet@.service: one port for all, as systemd runs them" {
	require systemd-analyze systemd-socket-activate
	local r=$T/root u=$T/units sock svc exec listen
	make -s -C "$TOP" install PREFIX="$r" >"$T/make.out" 2>&1 ||
	    { cat "$T/make.out"; return 1; }
	sock=$r/share/conslet/systemd/conslet.socket
	svc=$r/share/conslet/systemd/conslet@.service
	mkdir -p "$u"
	cp "$sock" "$u/conslet.socket"
	cp "$svc" "$u/conslet@.service"
	cp "$svc" "$u/conslet@1-127.0.0.1-40000.service"
	verify_clean "$u/conslet.socket"
	verify_clean "$u/conslet@1-127.0.0.1-40000.service"
	[ "$(unit_value "$sock" Accept)" = yes ]
	listen=$(unit_value "$sock" ListenStream)
	[ "$listen" = 127.0.0.1:7000 ]
	[ "$(unit_value "$svc" StandardInput)" = socket ]
	[ "$(unit_value "$svc" StandardError)" = journal ]
	exec=$(unit_value "$svc" ExecStart)
	[ "$exec" = "$r/bin/conslet -m -u nobody" ]

	# Run the service's command line the way the socket has systemd run
	# it, on a free port instead of 7000, with this test's directories.
	start_guest pbx
	start_guest util
	read -r -a cmd <<<"$exec"
	[ "$(id -u)" = 0 ] || cmd=("${cmd[@]/-u/}") cmd=("${cmd[@]/nobody/}")
	PORT=$(free_port)
	_spawn "$T/sa.out" "$T/sa.err" systemd-socket-activate --inetd -a \
	    -l "127.0.0.1:$PORT" -E CONSLET_TESTDIR="$T" \
	    "${cmd[0]}" -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" \
	    "${cmd[@]:1}"
	SERVER_PID=$SPAWN_PID SERVER_KIND=socket-activate SERVER_ERR=$T/sa.err
	wait_listen "$PORT" "$SERVER_PID"
	client_start c "$PORT"
	wait_file_contains "$T/c.recv" "console (? for a list): "
	client_send c $'util\n'
	wait_for _alive "$(guest_pid util)"
	guest_print util "util login: "
	wait_file_contains "$T/c.recv" "util login: "
	client_send c "root"
	wait_file_contains "$T/util.rec" "root"
	[ "$(cat "$T/util.rec")" = root ]
	[ ! -s "$T/pbx.rec" ]
}

@test "the generator skips lines it cannot put into a unit" {
	cat >"$T/ports" <<'EOF'
# a comment
ok	127.0.0.1:7001	-u nobody
../x	127.0.0.1:7002
bad	127.0.0.1:7003	-u $USER
bad2	127.0.0.1:70x4
bad3	127.0.0.1:7005	-h %i
v6	[::1]:7006
EOF
	mkdir "$T/gen"
	CONSLET_PORTS=$T/ports "$TOP/contrib/systemd/conslet-generator" "$T/gen" \
	    2>"$T/gen.err"
	cat "$T/gen.err"
	[ "$(cd "$T/gen" && ls -d conslet-*.socket | tr '\n' ' ')" = "conslet-ok-7001.socket conslet-v6-7006.socket " ]
	[ "$(grep -c 'line skipped' "$T/gen.err")" = 4 ]
}

# devd_regexes: the regular expressions matched against cdev.
devd_regexes() {
	sed -n 's/^[[:space:]]*match[[:space:]]*"cdev"[[:space:]]*"\(.*\)";$/\1/p' \
	    "$TOP/devd/conslet.conf"
}

@test "devd rules: statements end with ';', braces balance, each notify has its matches and an action" {
	local f=$TOP/devd/conslet.conf
	# comments and blank lines aside, every line ends a statement or
	# opens a block
	if grep -n -v -E '^[[:space:]]*(#|$)' "$f" |
	    grep -v -E '(;|\{)[[:space:]]*$'; then
		echo "expected every line to end with ';' or '{';" \
		    "those above do not" >&2
		return 1
	fi
	[ "$(grep -c '{' "$f")" = "$(grep -c '^};$' "$f")" ]
	[ "$(grep -c -E '^notify [0-9]+ \{$' "$f")" = 2 ]
	# each block: system DEVFS, subsystem CDEV, type CREATE or DESTROY,
	# a cdev, one action, in that order
	awk '
	    /^notify / { inb = 1; n = 0; s = ""; next }
	    inb && /^};$/ {
		if (s != "system subsystem type cdev action") {
			print "block ending at line " NR ": " s; bad = 1 }
		inb = 0; next }
	    inb && /^[[:space:]]*match/ { split($0, a, "\""); s = s (s ? " " : "") a[2] }
	    inb && /^[[:space:]]*action/ { s = s (s ? " " : "") "action" }
	    END { exit bad }' "$f"
	grep -q -E 'match "system"[[:space:]]+"DEVFS";' "$f"
	grep -q -E 'match "subsystem"[[:space:]]+"CDEV";' "$f"
	grep -q -E 'match "type"[[:space:]]+"CREATE";' "$f"
	grep -q -E 'match "type"[[:space:]]+"DESTROY";' "$f"
	grep -q -E 'action ".*/conslogctl create \$cdev";' "$f"
	grep -q -E 'action ".*/conslogctl destroy \$cdev";' "$f"
}

@test "devd rules: the cdev regular expressions take B sides only, vm-bhyve names included" {
	local re n=0 dev
	while read -r re; do
		n=$((n + 1))
		# devd anchors its expressions at both ends: grep -x
		for dev in nmdm0B nmdm12B nmdm-vm1.1B nmdm-web_2.2B; do
			printf '%s\n' "$dev" | grep -q -x -E "$re" ||
			    { echo "$re does not match $dev"; return 1; }
		done
		for dev in nmdm0A nmdm-vm1.1A nmdmB nmdm0B0 xnmdm0B \
		    'nmdm-a b.1B' nmdm-vm1B ttyu0; do
			! printf '%s\n' "$dev" | grep -q -x -E "$re" ||
			    { echo "$re matches $dev"; return 1; }
		done
	done < <(devd_regexes)
	[ "$n" = 2 ]
}

# ctl ARGS...: conslogctl on the test's directories; the supervisor is a
# recorder that writes its arguments to $T/daemon.args.
ctl() {
	cat >"$T/recorder" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$DAEMON_ARGS"
EOF
	chmod 755 "$T/recorder"
	mkdir -p "$T/dev" "$T/pid"
	env CONSLET_CONSDIR="$T/consoles" CONSLET_DEVDIR="$T/dev" \
	    CONSLET_PIDDIR="$T/pid" CONSLET_DAEMON="$T/recorder" \
	    DAEMON_ARGS="$T/daemon.args" CONSLOG=/sbin/conslog \
	    "$TOP/contrib/freebsd/libexec/conslogctl" "$@"
}

@test "conslogctl name: the console link that points at the node, else the node" {
	mkdir -p "$T/dev"
	ln -s "$T/dev/nmdm0B" "$T/consoles/pbx"
	ln -s "$T/dev/nmdm-vm1.1B" "$T/consoles/vm1"
	ln -s "$T/dev/nmdm3B" "$T/consoles/.hidden"
	[ "$(ctl name nmdm0B)" = pbx ]
	[ "$(ctl name nmdm-vm1.1B)" = vm1 ]
	[ "$(ctl name nmdm5B)" = nmdm5B ]
	[ "$(ctl name nmdm-vm2.1B)" = nmdm-vm2.1B ]
	# a hidden name is not a console name, nor one that looks an option
	[ "$(ctl name nmdm3B)" = nmdm3B ]
	ln -s "$T/dev/nmdm4B" "$T/consoles/-x"
	[ "$(ctl name nmdm4B)" = nmdm4B ]
	# links relative to the console directory, or through other links
	ln -s ../dev/nmdm7B "$T/consoles/web"
	ln -s "$T/dev" "$T/devlink"
	ln -s "$T/devlink/./nmdm8B" "$T/consoles/db"
	[ "$(ctl name nmdm7B)" = web ]
	[ "$(ctl name nmdm8B)" = db ]
	local bad st
	for bad in ../x 'nmdm0 B' '' .nmdm0B -nmdm0B 'a/b' 'x;y' \
	    "$(printf 'a\nb')"; do
		st=0
		ctl name "$bad" >"$T/out" 2>"$T/err" || st=$?
		[ "$st" = 64 ] || { echo "\"$bad\": status $st"; return 1; }
		[ ! -s "$T/out" ]
		grep -q refusing "$T/err"
	done
}

@test "conslogctl create: daemon(8) runs conslog under the console's name, with two pid files" {
	ln -s "$T/dev/nmdm0B" "$T/consoles/pbx"
	ctl create nmdm0B
	[ "$(cat "$T/daemon.args")" = "-r -R 5 -f -P $T/pid/conslog.pbx.pid -p $T/pid/conslog.pbx.child.pid -t conslog pbx /sbin/conslog pbx" ]
	# a node without a link gets one named after it
	ctl create nmdm-vm1.1B
	[ "$(readlink "$T/consoles/nmdm-vm1.1B")" = "$T/dev/nmdm-vm1.1B" ]
	tail -n 1 "$T/daemon.args" | grep -q -x -- "-r -R 5 -f -P $T/pid/conslog.nmdm-vm1.1B.pid .* /sbin/conslog nmdm-vm1.1B"
	# a link of that name to another device: nothing is started
	ln -s /dev/null "$T/consoles/nmdm7B"
	run ctl create nmdm7B
	[ "$status" = 66 ]
	[ "$(wc -l <"$T/daemon.args")" = 2 ]
	# hostile names start nothing
	run ctl create ../x
	[ "$status" = 64 ]
	[ ! -e "$T/consoles/../x" ]
	[ "$(wc -l <"$T/daemon.args")" = 2 ]
}

@test "conslogctl: a running logger is not started twice; stop, status and signal use the pid files" {
	ln -s "$T/dev/nmdm0B" "$T/consoles/pbx"
	sleep 2147483647 3>&- &
	local sup=$!
	track_pid "$sup"
	sleep 2147483647 3>&- &
	local child=$!
	track_pid "$child"
	mkdir -p "$T/pid"
	echo "$sup" >"$T/pid/conslog.pbx.pid"
	echo "$child" >"$T/pid/conslog.pbx.child.pid"
	run ctl create nmdm0B
	[ "$status" = 0 ]
	[[ $output == *"already running (pid $sup)"* ]]
	[ ! -e "$T/daemon.args" ]
	run ctl status pbx
	[ "$status" = 0 ]
	[[ $output == *"running as pid $child"* ]]
	# newsyslog's R flag: "conslogctl 1" sends SIGHUP to conslog, not
	# to its supervisor
	trap '' HUP
	ctl 1
	wait_pid_gone "$child"
	_alive "$sup"
	ctl destroy nmdm0B
	wait_pid_gone "$sup"
	run ctl status pbx
	[ "$status" = 1 ]
}

# start_inetd_line LINE: run openbsd-inetd on one inetd.conf line; sets
# PORT from the line.
start_inetd_line() {
	local log
	[ -x "$INETD" ] || skip "$INETD is not installed"
	log=$(_next_log inetd)
	printf '%s\n' "$1" >"$T/$log.conf"
	PORT=${1%%[[:space:]]*}
	PORT=${PORT##*:}
	run_inetd "$T/$log.conf"
}

# sample_line N: the Nth Debian line of inetd.conf.sample, uncommented,
# on a free port, with the built conslet and the test's directories
# (run, console and UUCP lock).
sample_line() {
	local line port
	line=$(sed -n '/^# --- Debian/,$s/^#127\.0\.0\.1:/127.0.0.1:/p' \
	    "$TOP/inetd.conf.sample" | sed -n "${1}p")
	[ -n "$line" ] || return 1
	port=$(free_port) || return 1
	printf '%s\n' "$line" | tr '\t' ' ' | sed -e "s|^127\.0\.0\.1:[0-9]*|127.0.0.1:$port|" \
	    -e "s|/usr/local/bin/conslet\([[:space:]]*\)conslet|$CONSLET\1conslet -C $T/consoles -R $T/run -U $T/lock|"
}

@test "inetd.conf.sample: each Debian line serves the console through openbsd-inetd" {
	[ "$(id -u)" = 0 ] || skip "the sample's lines run conslet as root"
	local line
	[ "$(sed -n '/^# --- Debian/,$p' "$TOP/inetd.conf.sample" | grep -c '^#127')" = 4 ]
	start_guest pbx

	# every console: the client names it at the prompt
	line=$(sample_line 1)
	echo "$line"
	[[ $line == *" nowait root $CONSLET conslet -C $T/consoles -R $T/run -U $T/lock -m -u nobody" ]]
	start_inetd_line "$line"
	client_start m "$PORT"
	wait_file_contains "$T/m.recv" "console (? for a list): "
	client_send m $'pbx\ntyped-at-menu'
	wait_file_contains "$T/pbx.rec" "typed-at-menu"
	client_close m
	client_wait_eof m

	# the console: writer
	line=$(sample_line 2)
	echo "$line"
	[[ $line == *" nowait root $CONSLET conslet -C $T/consoles -R $T/run -U $T/lock -u nobody pbx" ]]
	start_inetd_line "$line"
	client_start c "$PORT"
	client_send c "typed-by-writer"
	wait_file_contains "$T/pbx.rec" "typed-by-writer"
	guest_print pbx "seen-by-writer"
	wait_file_contains "$T/c.recv" "seen-by-writer"
	client_close c
	client_wait_eof c

	# read-only, with a logger
	start_logger pbx
	line=$(sample_line 3)
	echo "$line"
	[[ $line == *" conslet -C $T/consoles -R $T/run -U $T/lock -r -u nobody pbx" ]]
	start_inetd_line "$line"
	client_start v "$PORT"
	wait_who pbx 1
	guest_print pbx "seen-by-viewer"
	wait_file_contains "$T/v.recv" "seen-by-viewer"
	client_close v
	client_wait_eof v

	# telnet with RFC 2217: it opens with telnet negotiation
	line=$(sample_line 4)
	echo "$line"
	[[ $line == *" conslet -C $T/consoles -R $T/run -U $T/lock -t -p -u nobody pbx" ]]
	start_inetd_line "$line"
	client_start t "$PORT"
	wait_file_size "$T/t.recv" 3
	[ "$(head -c 1 "$T/t.recv" | od -An -tu1 | tr -d ' ')" = 255 ]
	guest_print pbx "seen-by-telnet"
	wait_file_contains "$T/t.recv" "seen-by-telnet"
}

@test "inetd.conf.sample: the FreeBSD lines have their /etc/services names" {
	local f=$TOP/inetd.conf.sample svc line
	[ "$(grep -c '^#conslet' "$f")" = 4 ]
	while read -r line; do
		svc=${line%%[[:space:]]*}
		svc=${svc#\#}
		grep -q -E "^#[[:space:]]+$svc[[:space:]]+[0-9]+/tcp" "$f" ||
		    { echo "no /etc/services line for $svc"; return 1; }
		[[ $line == *"nowait/8/20/4"*"root"*"/usr/local/bin/conslet"* ]]
	done < <(grep '^#conslet' "$f")
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

@test "the tcpserver rules sample builds with tcprules, and tcpserver applies it" {
	require tcprules tcpserver
	grep -v -E '^(#|$)' "$TOP/contrib/tcpserver/rules.sample" >"$T/rules"
	[ "$(wc -l <"$T/rules")" = 5 ]
	tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
	# 127.0.0.1 is allowed: the console answers
	start_guest pbx
	_spawn "$T/ts.out" "$T/ts.err" tcpserver -1 -v -x "$T/rules.cdb" \
	    -H -R -l 0 127.0.0.1 0 "$CONSLET" -C "$T/consoles" -R "$T/run" \
	    "${UUCP_OPTS[@]}" pbx
	SERVER_PID=$SPAWN_PID SERVER_ERR=$T/ts.err
	wait_for _first_line_is_port "$T/ts.out"
	PORT=$(head -n 1 "$T/ts.out")
	wait_listen "$PORT" "$SERVER_PID"
	client_start c "$PORT"
	client_send c "allowed"
	wait_file_contains "$T/pbx.rec" "allowed"
	# with 127.0.0.1 taken out, the catch-all deny closes at once
	grep -v '^127' "$T/rules" >"$T/rules2"
	tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules2"
	client_start d "$PORT"
	client_wait_eof d
	grep -q 'deny' "$SERVER_ERR"
}

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
