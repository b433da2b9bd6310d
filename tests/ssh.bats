#!/usr/bin/env bats
# The ssh recipe of the manual, for real: sshd on 127.0.0.1 with
# ForceCommand conslet -m, and OpenSSH's ssh as the client.

setup() {
	load helpers
	common_setup
	SSHD=${SSHD:-/usr/sbin/sshd}
	[ -x "$SSHD" ] || skip "$SSHD is not installed"
	require ssh ssh-keygen unshare
	[ "$(id -u)" = 0 ] || skip "sshd needs root here"
}

teardown() {
	common_teardown
}

# start_sshd [CONSLET OPTIONS]: sshd whose every login runs conslet -m.
start_sshd() {
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$T/id"
	cp "$T/id.pub" "$T/authorized_keys"
	SSH_PORT=$(free_port)
	cat >"$T/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	Port $SSH_PORT
	HostKey $T/hostkey
	PidFile none
	AuthorizedKeysFile $T/authorized_keys
	StrictModes no
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	UseDNS no
	PermitUserEnvironment no
	AllowTcpForwarding no
	X11Forwarding no
	PrintMotd no
	PrintLastLog no
	ForceCommand $CONSLET -C $T/consoles -R $T/run -m $*
	EOF
	# sshd wants /run/sshd: a private /run, as the inetd tests do.
	mkdir -p "$T/sshd.run"
	_spawn "$T/sshd.out" "$T/sshd.err" unshare --mount --propagation \
	    private -- sh -c 'mount --bind "$1" /run && mkdir -p /run/sshd &&
	    shift && exec "$@"' sh "$T/sshd.run" "$SSHD" -D -e \
	    -f "$T/sshd_config"
	SSHD_PID=$SPAWN_PID
	wait_listen "$SSH_PORT" || {
		cat "$T/sshd.err" >&2
		return 1
	}
}

# ssh_start ID [ssh arguments]: a client with a terminal on the far side.
ssh_start() {
	local id=$1
	shift
	rm -f "$T/$id.in"
	mkfifo "$T/$id.in"
	sleep 2147483647 <&- >"$T/$id.in" 2>/dev/null 3>&- &
	echo $! >"$T/$id.holder"
	track_pid $!
	env CONSLET_TESTDIR="$T" ssh -tt -e none -i "$T/id" -p "$SSH_PORT" \
	    -o BatchMode=yes -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile="$T/known_hosts" -o LogLevel=ERROR \
	    root@127.0.0.1 "$@" <"$T/$id.in" >"$T/$id.recv" 2>"$T/$id.err" 3>&- &
	echo $! >"$T/$id.cpid"
	track_pid $!
}

@test "ssh -t console@host pbx: the console named on the command line" {
	start_guest pbx
	start_sshd
	ssh_start c pbx
	wait_for _alive "$(guest_pid pbx)"
	guest_print pbx "login: "
	wait_file_contains -t 20 "$T/c.recv" "login: "
	client_send c $'root\r'
	wait_file_contains "$T/pbx.rec" $'root\r'
	[ "$(cat "$T/pbx.rec")" = $'root\r' ]
	# conslet's own escape ends it, and ssh with it
	client_send c $'\r~.'
	wait_pid_gone -t 20 "$(client_pid c)"
	grep -q -a -F "[conslet: disconnected]" "$T/c.recv"
}

@test "ssh -t console@host: the prompt, then the console chosen there" {
	start_guest pbx
	start_sshd
	ssh_start c
	wait_file_contains -t 20 "$T/c.recv" "console (? for a list): "
	client_send c $'pbx\r'
	guest_print pbx "ready> "
	wait_file_contains -t 20 "$T/c.recv" "ready> "
	client_send c "abc"
	wait_file_contains "$T/pbx.rec" "abc"
	[ "$(cat "$T/pbx.rec")" = abc ]
}

@test "ssh: a path, an option or shell text as the command is refused" {
	start_guest pbx
	start_sshd
	for bad in /dev/pts/0 ../pbx '-f' 'pbx;id' '$(id)'; do
		run ssh -T -i "$T/id" -p "$SSH_PORT" -o BatchMode=yes \
		    -o StrictHostKeyChecking=no \
		    -o UserKnownHostsFile="$T/known_hosts" -o LogLevel=ERROR \
		    -- root@127.0.0.1 "$bad" </dev/null
		echo "$bad: $status: $output"
		[ "$status" = 64 ]
		# told once, on the connection, and not run by any shell
		[ "$output" = "[conslet: invalid console name: \"$bad\"]"$'\r' ]
	done
	[ ! -s "$T/pbx.rec" ]
}
