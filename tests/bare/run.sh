#!/bin/sh
# shellcheck disable=SC2317,SC2012
# (functions called through wait_until; ls -lA only shows what is left)
# run.sh [CACHE]: the README's quick start on a bare Debian 12, as root.
#
# A `debootstrap --variant=minbase bookworm` root, made once and kept in
# CACHE (default tests/bare/cache) and never changed, is the lower layer
# of an overlay mounted in a private mount namespace, so that its root is
# a mount point as a machine's is; proc, sys, dev, a fresh /tmp and /run
# (with /run/lock, as a booted Debian has) are mounted in it and all go
# away with the namespace.  As nobody, in a copy of the tree in /tmp,
# both commands must print the command to run as root and install
# nothing.  The tree is copied to /root/conslet, where root would put it
# (a directory no other user can reach).  There the two commands of the
# README's quick start, read from it as it gives them, run:
#
#   ... demo    runs until a client connected to the raw port its banner
#               names sees the guest's login prompt, then gets SIGINT, as
#               Ctrl-C would send; nothing of it may be left: no process,
#               no file in /tmp, no listener on its port;
#   ... check   the whole suite; no process may be left, no file in /tmp,
#               no lock in /run/lock, and nothing in /run/conslet or
#               /var/log/conslet.
#
# Both install what they need with apt-get from Debian's mirror; the
# packages it downloads are kept in CACHE/archives for the next run.
# Exit status: 0 passed, 1 failed, 77 skipped (the reason on stderr).

set -u
MIRROR=${BARE_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() {
	echo "bare: $*"
}

skip() {
	echo "bare: skipped: $*" >&2
	exit 77
}

# since: seconds since the start.
since() {
	echo $(($(date +%s) - t0))
}

# wait_until SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_until() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}

# in_root CMD...: CMD in the root, in the environment a root login has.
in_root() {
	chroot "$R" /usr/bin/env -i HOME=/root PATH="$PATH_IN" USER=root \
	    LOGNAME=root SHELL=/bin/sh "$@"
}

# root_pids: the processes whose root directory is the bare root.
root_pids() {
	for _p in /proc/[0-9]*; do
		[ "$(readlink "$_p/root" 2>/dev/null)" = "$R" ] &&
		    echo "${_p#/proc/}"
	done
	return 0
}

# nothing_runs: no process in the root; else list them.
nothing_runs() {
	_left=$(root_pids)
	[ -z "$_left" ] && return 0
	for _p in $_left; do
		echo "  left running: $_p $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null)"
	done
	return 1
}

# listening PORT: some socket listens on the TCP port.
listening() {
	_hex=$(printf '%04X' "$1")
	awk -v p="$_hex" 'FNR > 1 { split($2, l, ":");
	    if (l[2] == p && $4 == "0A") f = 1 } END { exit !f }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# gone PID: the process has exited (it may still be a zombie of ours).
gone() {
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# stop_left: end what is still running in the root, by pid.
stop_left() {
	_left=$(root_pids)
	[ -n "$_left" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $_left 2>/dev/null
	for _p in $_left; do
		wait_until 5 gone "$_p" || kill -KILL "$_p" 2>/dev/null
	done
}

# quickstart WORD: the README's quick-start command that ends in WORD
# (demo or check), as it is written there.
quickstart() {
	sed -n '/^## Quick start$/,/^## /s/^    \(sh [^#]*[^ #]\)  *#.*$/\1/p' \
	    "$top/README.md" | awk -v w="$1" '$NF == w' | head -n 1
}

# inside WORK CACHE TREE DEMO CHECK: the part that runs in the private
# namespace; DEMO and CHECK are the README's two commands.
inside() {
	work=$1 cache=$2 tree=$3 demo_cmd=$4 check_cmd=$5 rc=0
	R=$work/root
	mkdir "$work/upper" "$work/ovl" "$R" || return 1
	if ! mount -t overlay overlay -o "lowerdir=$cache/$SUITE,upperdir=$work/upper,workdir=$work/ovl" "$R" 2>/dev/null; then
		say "no overlayfs here: a copy of the root instead"
		cp -a "$cache/$SUITE/." "$R" && mount --bind "$R" "$R" || return 1
	fi
	mount -t proc proc "$R/proc" &&
	    mount --rbind /sys "$R/sys" &&
	    mount --rbind /dev "$R/dev" &&
	    mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" &&
	    mount -t tmpfs -o mode=755 tmpfs "$R/run" &&
	    mkdir -m 1777 "$R/run/lock" &&
	    mount --bind "$cache/archives" "$R/var/cache/apt/archives" ||
	    return 1
	[ ! -e /etc/resolv.conf ] || cat /etc/resolv.conf >"$R/etc/resolv.conf"
	mkdir "$R/root/conslet" && tar -xf "$tree" -C "$R/root/conslet" ||
	    return 1
	say "root ready at $(since) s; /root/conslet holds" \
	    "$(find "$R/root/conslet" -type f | wc -l) files"

	# As another user, in a checkout of its own, both commands print
	# the command to run as root, and install nothing.
	mkdir -m 755 "$R/tmp/user" && tar -xf "$tree" -C "$R/tmp/user" ||
	    return 1
	for t in "$demo_cmd" "$check_cmd"; do
		in_root setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    sh -c "cd /tmp/user && exec $t" \
		    >"$work/user.log" 2>&1 </dev/null
		st=$?
		cmd=$(sed -n 's/^deps\.sh: as root, run: //p' "$work/user.log")
		case $st:$cmd in
		1:"apt-get update && "*" install "*" make gcc libc6-dev "*)
			say "as nobody, $t says to run: $cmd" ;;
		*)	say "FAIL: as nobody, $t: status $st:"
			sed 's/^/  | /' "$work/user.log"
			rc=1 ;;
		esac
	done
	rm -rf "$R/tmp/user"
	if [ -e "$R/usr/bin/make" ]; then
		say "FAIL: make was installed for nobody"
		rc=1
	fi

	# The demo, from nothing, in a process group of its own to send
	# Ctrl-C's SIGINT to (which a command started with & ignores: env
	# gives it back its default action).
	say "$demo_cmd"
	setsid env --default-signal=INT chroot "$R" /usr/bin/env -i \
	    HOME=/root PATH="$PATH_IN" USER=root LOGNAME=root SHELL=/bin/sh \
	    sh -c "cd /root/conslet && exec $demo_cmd" \
	    </dev/null >"$work/demo.log" 2>&1 &
	demo=$!
	wait_until 1200 demo_up
	if ! demo_printed; then
		say "FAIL: the demo printed no command for its raw port; it said:"
		sed 's/^/  | /' "$work/demo.log"
		kill -INT "-$demo" 2>/dev/null
		wait_until 10 gone "$demo"
		stop_left
		return 1
	fi
	port=$(sed -n 's/^ *socat .* TCP:127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
	    "$work/demo.log" | head -n 1)
	grep '^deps\.sh: ' "$work/demo.log" | sed 's/^/  | /'
	say "the demo is up at $(since) s; it printed:"
	sed -n '/^The console/,/^Ctrl-C/p' "$work/demo.log" | sed 's/^/  | /'
	# The command it printed, its input held open, until the prompt.
	mkfifo "$R/tmp/bare.in"
	sleep 3600 >"$R/tmp/bare.in" &
	holder=$!
	chroot "$R" nc 127.0.0.1 "$port" <"$R/tmp/bare.in" >"$work/nc.out" \
	    2>&1 &
	nc=$!
	if wait_until 30 grep -q 'demo login: ' "$work/nc.out"; then
		say "nc 127.0.0.1 $port sees the guest's login prompt:"
		tr -d '\r' <"$work/nc.out" | tail -n 3 |
		    awk '{ print "  | " $0 }'
	else
		say "FAIL: no login prompt through nc 127.0.0.1 $port; it got:"
		od -c "$work/nc.out" | tail -n 8 | sed 's/^/  | /'
		rc=1
	fi
	kill -TERM "$nc" "$holder" 2>/dev/null
	wait "$nc" "$holder" 2>/dev/null
	rm -f "$R/tmp/bare.in"
	kill -INT "-$demo" 2>/dev/null
	if wait_until 30 gone "$demo"; then
		wait "$demo"
		say "the demo ended on SIGINT with status $?"
	else
		say "FAIL: the demo still runs 30 s after SIGINT"
		rc=1
	fi
	if ! wait_until 10 nothing_runs >/dev/null; then
		say "FAIL: the demo left processes behind:"
		nothing_runs
		stop_left
		rc=1
	fi
	if [ -n "$(ls -A "$R/tmp")" ]; then
		say "FAIL: the demo left files in /tmp:"
		ls -lA "$R/tmp" | sed 's/^/  | /'
		rc=1
	fi
	if listening "$port"; then
		say "FAIL: something still listens on port $port"
		rc=1
	fi
	[ "$rc" = 0 ] && say "demo: passed, nothing left behind ($(since) s)"

	# The suite, as the README says to run it.
	say "$check_cmd"
	in_root sh -c "cd /root/conslet && exec $check_cmd" \
	    </dev/null >"$work/check.log" 2>&1 &
	check=$!
	tail -n +1 -f --pid="$check" "$work/check.log"
	wait "$check"
	crc=$?
	pass=$(grep -c '^ok ' "$work/check.log")
	fail=$(grep -c '^not ok ' "$work/check.log")
	say "check: status $crc, $pass passed, $fail failed ($(since) s)"
	[ "$crc" = 0 ] || rc=1
	if ! wait_until 10 nothing_runs >/dev/null; then
		say "FAIL: the suite left processes behind:"
		nothing_runs
		stop_left
		rc=1
	fi
	# Nothing in /tmp, no UUCP lock in the machine's directory, no run
	# or log directory where the programs' defaults would put them.
	if [ -n "$(ls -A "$R/tmp")" ]; then
		say "FAIL: the suite left files in /tmp:"
		ls -lA "$R/tmp" | sed 's/^/  | /'
		rc=1
	fi
	if [ -n "$(find "$R/run/lock" -name 'LCK..*')" ]; then
		say "FAIL: the suite left UUCP locks in /run/lock (/var/lock):"
		ls -lA "$R/run/lock" | sed 's/^/  | /'
		rc=1
	fi
	for d in /run/conslet /var/log/conslet; do
		[ -e "$R$d" ] || continue
		say "FAIL: the suite made $d"
		rc=1
	done
	return "$rc"
}

# demo_printed: the demo printed the command for its raw port.
demo_printed() {
	grep -q '^ *socat .* TCP:127\.0\.0\.1:[0-9][0-9]*$' "$work/demo.log"
}

# demo_up: the demo printed the command for its raw port, or it is gone.
demo_up() {
	demo_printed || gone "$demo"
}

t0=${BARE_T0:-$(date +%s)}
if [ "${1:-}" = --inside ]; then
	shift
	inside "$@"
	exit $?
fi

top=$(cd "$(dirname "$0")/../.." && pwd)
demo_cmd=$(quickstart demo)
check_cmd=$(quickstart check)
if [ -z "$demo_cmd" ] || [ -z "$check_cmd" ]; then
	say "FAIL: README.md has no quick start commands ending in demo and" \
	    "check (four spaces in, a comment after)"
	exit 1
fi
say "the README's quick start: $demo_cmd; $check_cmd"
cache=${1:-$top/tests/bare/cache}
mkdir -p "$cache" && cache=$(cd "$cache" && pwd) || exit 1

[ "$(id -u)" = 0 ] || skip "it needs root (debootstrap, mounts, chroot)"
[ "$(uname -s)" = Linux ] || skip "debootstrap and chroot are Linux's here"
command -v unshare >/dev/null 2>&1 || skip "no unshare (util-linux)"
if ! command -v debootstrap >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || skip "no debootstrap, no apt-get"
	say "installing debootstrap"
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install \
	    -y --no-install-recommends debootstrap; } >"$cache/apt.log" 2>&1 ||
	    skip "debootstrap could not be installed: $(tail -n 1 "$cache/apt.log")"
fi
# debootstrap fetches with wget, which it depends on.
wget -q -T 20 -t 2 -O /dev/null "$MIRROR/dists/$SUITE/InRelease" ||
    skip "no network to the package mirror $MIRROR (wget failed)"

if [ ! -d "$cache/$SUITE" ]; then
	say "debootstrap --variant=minbase $SUITE (kept in $cache)"
	rm -rf "$cache/$SUITE.new"
	debootstrap --variant=minbase "$SUITE" "$cache/$SUITE.new" "$MIRROR" \
	    >"$cache/debootstrap.log" 2>&1 || {
		say "FAIL: debootstrap failed:"
		tail -n 20 "$cache/debootstrap.log" | sed 's/^/  | /'
		exit 1
	}
	# What debootstrap downloaded is not part of the machine.
	rm -f "$cache/$SUITE.new"/var/cache/apt/archives/*.deb
	mv "$cache/$SUITE.new" "$cache/$SUITE" || exit 1
	say "debootstrap took $(since) s"
else
	say "the $SUITE root from $cache/$SUITE"
fi
mkdir -p "$cache/archives/partial" || exit 1

work=$(mktemp -d /var/tmp/conslet-bare.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
# The tree as a clone has it: the files git knows, as they are now.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf "$work/tree.tar") ||
	    exit 1
else
	(cd "$top" && tar --exclude=./.git --exclude='./tests/*/cache' \
	    -cf "$work/tree.tar" .) || exit 1
fi
BARE_T0=$t0 unshare --mount --propagation private -- sh "$0" --inside "$work" \
    "$cache" "$work/tree.tar" "$demo_cmd" "$check_cmd"
rc=$?
say "took $(since) s in all"
exit "$rc"
