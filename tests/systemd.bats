#!/usr/bin/env bats
# The systemd files, contrib/systemd: the units pass systemd-analyze
# verify as installed and as the generator writes them, conslet.socket
# and conslet@.service serve as systemd runs them (systemd-socket-activate),
# the generator skips what it cannot put into a unit, and the generator
# passes shellcheck.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
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

@test "conslet-generator passes shellcheck as POSIX sh" {
	require shellcheck
	cd "$TOP"
	shellcheck -s sh contrib/systemd/conslet-generator
}
