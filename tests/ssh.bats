#!/usr/bin/env bats
# The ssh recipe of the manual, for real: sshd on 127.0.0.1 with the
# README's "Match User console" block (ForceCommand conslet -m), a
# dedicated account console, and OpenSSH's ssh as the client.  The account
# exists only for the test's sshd: it runs in a mount namespace of its own
# where copies of /etc/passwd, /etc/shadow and /etc/group that add it are
# mounted over the real ones, which are never changed.

setup() {
	load lib/helpers
	common_setup
	SSHD=${SSHD:-/usr/sbin/sshd}
	[ -x "$SSHD" ] || skip "$SSHD is not installed"
	require ssh ssh-keygen unshare
	[ "$(id -u)" = 0 ] || skip "sshd needs root here"
}

teardown() {
	common_teardown
}

# _free_id: a number that is neither a uid in /etc/passwd nor a gid in
# /etc/group.
_free_id() {
	local i
	for i in $(seq 64100 64999); do
		awk -F: -v i="$i" '$3 == i { f = 1 } END { exit f }' \
		    /etc/passwd /etc/group && { echo "$i"; return 0; }
	done
	echo "_free_id: no free uid" >&2
	return 1
}

# console_account: $T/etc/{passwd,shadow,group}, the system's with the
# account console added, its home $T/home with the client's key; sets
# CONSOLE_UID.  The login shell is /bin/sh: sshd runs the forced command
# with it, so the README asks for a real shell.
console_account() {
	CONSOLE_UID=$(_free_id) || return 1
	mkdir -p "$T/etc" "$T/home/.ssh"
	cp -p /etc/passwd /etc/shadow /etc/group "$T/etc/" || return 1
	echo "console:x:$CONSOLE_UID:$CONSOLE_UID:conslet:$T/home:/bin/sh" \
	    >>"$T/etc/passwd"
	# "*": no password, but not locked ("!"), which sshd would refuse
	echo "console:*:20000:0:99999:7:::" >>"$T/etc/shadow"
	echo "console:x:$CONSOLE_UID:" >>"$T/etc/group"
	cp "$T/id.pub" "$T/home/.ssh/authorized_keys"
	chmod 755 "$T/home"
	chmod 700 "$T/home/.ssh"
	chmod 600 "$T/home/.ssh/authorized_keys"
	chown -R "$CONSOLE_UID:$CONSOLE_UID" "$T/home"
	# The account reaches $T (the test's temporary directories are 0700),
	# uses the shared run directory, and, as the README says it must, has
	# read and write access to the devices: here the guests' ptys.
	local d=$T l
	chmod o+x "$T" || return 1
	case $T in
	"${BATS_RUN_TMPDIR:-/nonexistent}"/*)
		while [ "$d" != "$BATS_RUN_TMPDIR" ]; do
			d=$(dirname "$d")
			chmod o+x "$d" || return 1
		done ;;
	esac
	d=$T
	while [ "$d" != / ]; do
		[ $((8#$(stat -c %a "$d") & 1)) = 1 ] ||
		    skip "an account other than root cannot reach $T ($d)"
		d=$(dirname "$d")
	done
	# the run directory shared with the account's group, as README says:
	# root's, group-writable and sticky
	chown "root:$CONSOLE_UID" "$T/run" && chmod 1770 "$T/run" || return 1
	for l in "$T"/consoles/*; do
		[ -h "$l" ] && chown "$CONSOLE_UID" "$(readlink "$l")"
	done
	return 0
}

# readme_match_block: the README's sshd_config lines for the account.
readme_match_block() {
	sed -n '/^    # \/etc\/ssh\/sshd_config$/,/^$/p' "$TOP/README.md" |
	    sed -e '1d' -e '/^$/d' -e 's/^    //'
}

# start_sshd [CONSLET OPTIONS]: sshd whose every login as console runs
# conslet -m, by the README's Match block.
start_sshd() {
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$T/id"
	console_account || return 1
	SSH_PORT=$(free_port)
	cat >"$T/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	Port $SSH_PORT
	HostKey $T/hostkey
	PidFile none
	PermitRootLogin no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	UseDNS no
	PermitUserEnvironment no
	PrintMotd no
	PrintLastLog no
	EOF
	# The README's block, for the built conslet (a copy the account can
	# reach wherever the checkout is) on the test's directories.
	user_area || return 1
	readme_match_block >"$T/match"
	grep -q -x 'Match User console' "$T/match" &&
	    grep -q -x '    ForceCommand /usr/local/bin/conslet -m' "$T/match" || {
		echo "README.md: no Match User console block with" \
		    "ForceCommand /usr/local/bin/conslet -m; found:" >&2
		cat "$T/match" >&2
		return 1
	}
	sed "s|^\( *ForceCommand \)/usr/local/bin/conslet -m\$|\1$U_CONSLET -C $T/consoles -R $T/run -U $T/lock -m $*|" \
	    "$T/match" >>"$T/sshd_config"
	# Not in the recipe: root has the key too, in a /root of the test's
	# mounted over the real one for sshd alone, so that it is
	# PermitRootLogin no that turns root away.
	mkdir -p "$T/roothome/.ssh"
	cp "$T/id.pub" "$T/roothome/.ssh/authorized_keys"
	chmod 700 "$T/roothome" "$T/roothome/.ssh"
	chmod 600 "$T/roothome/.ssh/authorized_keys"
	# sshd wants /run/sshd: a private /run, as the inetd tests do; then
	# the account files with console in them, and root's home.
	mkdir -p "$T/sshd.run/sshd"
	_spawn "$T/sshd.out" "$T/sshd.err" unshare --mount --propagation \
	    private -- sh -c 'mount --bind "$1/sshd.run" /run &&
	    for f in passwd shadow group; do
		mount --bind "$1/etc/$f" "/etc/$f" || exit 1
	    done && mount --bind "$1/roothome" /root &&
	    shift && exec "$@"' sh "$T" "$SSHD" -D -e -f "$T/sshd_config"
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
	    console@127.0.0.1 "$@" <"$T/$id.in" >"$T/$id.recv" 2>"$T/$id.err" 3>&- &
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
		ssh_T console "$bad"
		echo "$bad: $status: $output"
		[ "$status" = 64 ]
		# told once, on the connection, and not run by any shell
		[ "$output" = "[conslet: invalid console name: \"$bad\"]"$'\r' ]
	done
	[ ! -s "$T/pbx.rec" ]
}

# ssh_T USER [COMMAND]: ssh -T as USER, no input; run's output and status.
ssh_T() {
	local user=$1
	shift
	run ssh -T -i "$T/id" -p "$SSH_PORT" -o BatchMode=yes \
	    -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile="$T/known_hosts" -o LogLevel=ERROR \
	    -- "$user@127.0.0.1" "$@" </dev/null
}

@test "ssh: conslet runs as the account console; root, with the same key, is turned away" {
	start_guest pbx
	start_sshd
	ssh_start c pbx
	guest_print pbx "login: "
	wait_file_contains -t 20 "$T/c.recv" "login: "
	# the conslet sshd started runs as the account
	ps -e -o pid=,ppid=,uid=,comm= | awk -v top="$SSHD_PID" '
	    { pp[$1] = $2; uid[$1] = $3; comm[$1] = $4 }
	    END {
		for (p in pp)
			if (comm[p] == "conslet")
				for (q = pp[p]; q in pp; q = pp[q])
					if (q == top) { print uid[p]; break }
	    }' >"$T/uids"
	echo "$CONSOLE_UID" >"$T/want"
	if ! cmp -s "$T/want" "$T/uids"; then
		echo "expected one conslet under sshd, as uid $CONSOLE_UID" \
		    "(console); found: $(tr '\n' ' ' <"$T/uids")" >&2
		return 1
	fi
	ssh_T console '?'
	echo "console: $status: $output"
	[ "$status" = 0 ]
	[[ $output == *"  pbx "* ]]
	ssh_T root '?'
	echo "root: $status: $output"
	[ "$status" = 255 ]
	[[ $output != *"  pbx "* ]]
	wait_file_contains "$T/sshd.err" "ROOT LOGIN REFUSED FROM 127.0.0.1"
}
