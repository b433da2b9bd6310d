#!/usr/bin/env bats
# A real guest: a Debian cloud kernel with a busybox initramfs under QEMU
# (TCG), its serial console on a pty, logged by conslog from the first
# byte on and served by conslet under tcpserver.  `make guest` fetches
# the kernel (tests/guest/kernel.sh), builds the initramfs
# (tests/guest/initramfs.sh) and runs this file; GUEST_KERNEL and
# GUEST_INITRD name them, otherwise they are made in tests/guest/cache.
# shellcheck disable=SC2016
# (what the guest's shell is to expand is single-quoted on purpose)

load ../lib/helpers
load ../lib/conslog

# Seconds for what the guest does: TCG on a busy machine can be slow.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-60}

setup() {
	local root
	root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	CONSLET=${CONSLET:-$root/src/conslet}
	CONSLOG=${CONSLOG:-$root/src/conslog}
	common_setup
	export TOP=$root
	[ "$(uname -s)" = Linux ] || skip "the guest test runs on Linux only"
	require qemu-system-x86_64 socat tcpserver nc
	if [ -z "${GUEST_KERNEL:-}" ]; then
		GUEST_KERNEL=$(sh "$BATS_TEST_DIRNAME/kernel.sh" \
		    "$BATS_TEST_DIRNAME/cache") || return 1
	fi
	if [ -z "${GUEST_INITRD:-}" ]; then
		GUEST_INITRD=$(sh "$BATS_TEST_DIRNAME/initramfs.sh" \
		    "$BATS_TEST_DIRNAME/cache") || return 1
	fi
	# vmlinuz-6.1.0-56-cloud-amd64: what uname -r says in the guest
	KVER=${GUEST_KERNEL##*/vmlinuz-}
}

teardown() {
	common_teardown
}

# _pty_of_qemu: the pty QEMU put the console on, as it says it (on its
# standard output, in QEMU 7.2).
_pty_of_qemu() {
	cat "$T/qemu.out" "$T/qemu.err" 2>/dev/null | sed -n \
	    's|^char device redirected to \(/dev/pts/[0-9]*\) (label c0)$|\1|p' |
	    head -n 1
}

# _has_pty: QEMU said which pty it chose, or it exited.
_has_pty() {
	[ -n "$(_pty_of_qemu)" ] || ! _alive "$QEMU_PID"
}

# boot NAME: start QEMU stopped (-S), link console NAME to its pty, start
# conslog on it, and only once the logger has the pty open let the guest
# run (QMP cont): QEMU drops console output while nobody has the pty
# open, so the log gets every byte from the first on.  Sets QEMU_PID.
boot() {
	local name=$1 pty
	_spawn "$T/qemu.out" "$T/qemu.err" qemu-system-x86_64 -accel tcg \
	    -m 256 -nodefaults -display none -monitor none -no-reboot -S \
	    -qmp "unix:$T/qmp.sock,server=on,wait=off" \
	    -chardev pty,id=c0 -serial chardev:c0 \
	    -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
	    -append "console=ttyS0 panic=-1"
	QEMU_PID=$SPAWN_PID
	wait_for -t "$GUEST_TIMEOUT" _has_pty
	pty=$(_pty_of_qemu)
	[ -n "$pty" ] || {
		echo "qemu gave no pty:" >&2
		cat "$T/qemu.out" "$T/qemu.err" >&2
		return 1
	}
	wait_for -t "$GUEST_TIMEOUT" test -S "$T/qmp.sock"
	ln -s "$pty" "$T/consoles/$name"
	spawn_logger "$name" && logger_wait_ready -t "$GUEST_TIMEOUT" ||
	    return 1
	timeout "$GUEST_TIMEOUT" socat "UNIX-CONNECT:$T/qmp.sock" \
	    EXEC:"sh $BATS_TEST_DIRNAME/qmp.sh cont" 2>"$T/qmp.err" 3>&-
	grep -q '^qmp: cont: {"return"' "$T/qmp.err" || {
		echo "QMP cont failed:" >&2
		cat "$T/qmp.err" >&2
		return 1
	}
	BOOT_START=$(_now_us)
}

# wait_prompt: wait until the guest's shell has prompted in the log; say
# how long the boot took.
wait_prompt() {
	local us
	wait_file_contains -t "$GUEST_TIMEOUT" "$LOGGER_LOG" "guest# " ||
	    return 1
	us=$(($(_now_us) - BOOT_START))
	printf '# booted to a prompt in %d.%02d s\n' $((us / 1000000)) \
	    $((us % 1000000 / 10000)) >&3
}

# The kernel's line as it powers off: "[    3.617800] reboot: Power down".
POWERDOWN='(\[ *[0-9]+\.[0-9]+\] reboot: Power down\r\n)?'
# What a writer attached through conslog sees of it: the writer's session
# ends when its own descriptor of the device hangs up, and the end of that
# line may still be on its way from the logger (conslet(8), CAVEATS); the
# notice then starts a line of its own.
POWERDOWN_W='(\[[^\r\n]*\r\n)?'

# ends_like_re FILE REGEX: FILE ends with a match of the Python regular
# expression REGEX (on bytes).
ends_like_re() {
	python3 - "$1" "$2" <<'PY' && return 0
import re, sys
data = open(sys.argv[1], "rb").read()
sys.exit(0 if re.search(sys.argv[2].encode() + rb"\Z", data) else 1)
PY
	echo "$1 does not end like /$2/; it ends:" >&2
	tail -c 200 "$1" | od -c | tail -n 14 >&2
	return 1
}

# run_in ID COMMAND EXPECTED: client ID types COMMAND and Enter; wait until
# EXPECTED comes back after what it had received before.
run_in() {
	local off
	off=$(_file_size "$T/$1.recv")
	client_send "$1" "$2"$'\r'
	wait_contains_after -t "$GUEST_TIMEOUT" "$T/$1.recv" "$off" "$3"
}

@test "guest: the log has the boot from its first byte; a client gets the replay and a shell" {
	boot vm
	wait_prompt
	# every byte, the kernel's first line included
	head -n 1 "$LOGGER_LOG" |
	    grep -q -E "^\[ +0\.000000\] Linux version $(re_quote "$KVER") "
	grep -q -a -F "Command line: console=ttyS0 panic=-1" "$LOGGER_LOG"
	grep -q -a -F "Run /init as init process" "$LOGGER_LOG"
	grep -q -a -F "conslet guest: init up, kernel $KVER"$'\r' "$LOGGER_LOG"

	# After the boot: the replay, the last 2048 bytes from a line start,
	# up to the prompt, and nothing else.
	serve vm
	client_start c "$PORT"
	wait_file_contains -t "$GUEST_TIMEOUT" "$T/c.recv" "guest# "
	replay_of "$LOGGER_LOG" 2048 "$T/want"
	wait_ends_like "$T/c.recv" "$T/want"
	assert_same_bytes "$T/want" "$T/c.recv"
	grep -q -a -F "conslet guest: init up" "$T/c.recv"

	# commands typed through conslet run in the guest
	run_in c 'echo $((6*7))' $'\r\n42\r\n'
	run_in c 'uname -r' $'\r\n'"$KVER"$'\r\n'
	run_in c 'cat /proc/cmdline' $'\r\nconsole=ttyS0 panic=-1\r\n'
	# and the log has them too
	grep -q -a -F $'\r\n42\r\n' "$LOGGER_LOG"
}

@test "guest: poweroff ends the writer's session, the viewer stays, the log notes it" {
	boot vm
	wait_prompt
	serve_as w vm
	client_start w "$PORT"
	wait_file_contains -t "$GUEST_TIMEOUT" "$T/w.recv" "guest# "
	serve_as v -r vm
	client_start v "$PORT"
	wait_who vm 2
	run_in w 'echo still $((6*7))' $'\r\nstill 42\r\n'
	wait_file_contains "$T/v.recv" $'\r\nstill 42\r\n'

	wpeer=$(peer_of w)
	# The link goes first: QEMU's pty number is free once it exits, the
	# next pty anyone opens may get it, and conslog, trying the link
	# again at once, would open that one.
	rm "$T/consoles/vm"

	# The kernel's last word, "reboot: Power down", is there when it was
	# read before QEMU closed the pty: a hung-up pty reads end of file,
	# whatever it still held.
	client_send w $'poweroff -f\r'
	wait_pid_gone -t "$GUEST_TIMEOUT" "$QEMU_PID"
	wait_file_contains "$LOGGER_LOG" "[conslog: console closed]"

	# The writer is told, once, and its session ends (EX_IOERR).
	on_server w
	[ "$(session_status 1)" = 74 ]
	client_wait_eof w
	ends_like_re "$T/w.recv" \
	    '\r\nguest# \x1b\[6npoweroff -f\r\n'"$POWERDOWN_W"'\[conslet: console closed\]\r\n'
	[ "$(count_of "$T/w.recv" "[conslet: console closed]")" = 1 ]

	# The viewer is told, then that the writer left, and stays.
	wait_file_contains "$T/v.recv" "[conslet: $wpeer left]"$'\r\n'
	ends_like_re "$T/v.recv" \
	    '\r\nguest# \x1b\[6npoweroff -f\r\n'"$POWERDOWN"'\[conslet: console closed\]\r\n\[conslet: '"$(re_quote "$wpeer")"' left\]\r\n'
	wait_who vm 1
	_alive "$(client_pid v)"
	on_server v
	_alive "$(session_pid 1)"

	# The log: the poweroff, then the logger's marker, on a line of its own.
	ends_like_re "$LOGGER_LOG" \
	    '\r\nguest# \x1b\[6npoweroff -f\r\n'"$POWERDOWN"'\[conslog: console closed\]\n'
}
