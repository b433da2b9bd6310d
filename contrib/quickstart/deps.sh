#!/bin/sh
# deps.sh check|demo|fuzz|valgrind|bench|guest|syslogng: make sure what
# `make check`, `make demo`, `make fuzz`, `make valgrind`, `make bench` or
# `make guest` needs is installed.  Silent when all is there; as root on
# Debian or FreeBSD it installs what is missing; otherwise it prints the
# command to run.  What is optional (the browser and the web page's parts)
# is installed when it can be; when it cannot, deps.sh says so, the tests
# that need it say why they skip, and it is no failure.
#
# syslogng, which check does too as an optional part: Debian's
# syslog-ng-core for the test of contrib/syslog-ng, fetched with apt-get
# download together with those of its dependencies that are not
# installed, and unpacked with dpkg-deb -x into SYSLOGNG_CACHE (default
# tests/syslog-ng/cache; a relative path is from the top of the tree),
# never installed: it conflicts with rsyslog, which the other syslog
# tests run.  The test runs it from there.
#
# DEPS_MISSING="cmd ..." pretends those commands are missing (to test this).

set -u

usage() {
	echo "usage: sh contrib/quickstart/deps.sh" \
	    "check|demo|fuzz|valgrind|bench|guest|syslogng" >&2
	exit 2
}

# Needs, one a line: name, how to test for it, Debian package, FreeBSD
# package ("-": part of the base system or not available there).
needs_demo='make		cmd:make				make		-
cc		cmd:cc					gcc		-
libc-dev	builds:cc				libc6-dev	-
pkg-config	cmd:pkg-config				pkg-config	pkgconf
libbsd		pc:libbsd-overlay			libbsd-dev	-
tcpserver	cmd:tcpserver				ucspi-tcp	ucspi-tcp
nc		nc:					netcat-openbsd	-
pgrep		cmd:pgrep				procps		-
socat		cmd:socat				socat		socat
telnet		cmd:telnet				telnet		-'
needs_check="$needs_demo"'
bats		cmd:bats				bats		bats-core
inetd		file:/usr/sbin/inetd			openbsd-inetd	-
systemd-socket-activate	cmd:systemd-socket-activate	systemd		-
tmux		cmd:tmux				tmux		tmux
strace		cmd:strace				strace		-
mandoc		cmd:mandoc				mandoc		-
bmake		cmd:bmake				bmake		-
script		cmd:script				bsdutils	-
python3		cmd:python3				python3		python3
unshare		cmd:unshare				util-linux	-
expect		cmd:expect				expect		expect
kermit		cmd:kermit				ckermit		ckermit
pyserial	py:serial				python3-serial	py311-pyserial
sshd		file:/usr/sbin/sshd			openssh-server	-
cu		cmd:cu					cu		-
picocom		cmd:picocom				picocom		picocom
minicom		cmd:minicom				minicom		minicom
flock		cmd:flock				util-linux	-
shellcheck	cmd:shellcheck				shellcheck	hs-ShellCheck
systemd-analyze	cmd:systemd-analyze			systemd		-
logrotate	file:/usr/sbin/logrotate		logrotate	-
s6		cmd:s6-supervise			s6		s6
conserver	file:/usr/sbin/conserver		conserver-server	conserver-com
console		cmd:console				conserver-client	conserver-com
rsyslogd	file:/usr/sbin/rsyslogd			rsyslog		rsyslog
labgrid		py:labgrid				python3-labgrid	-'
needs_valgrind="$needs_check"'
valgrind	cmd:valgrind				valgrind	valgrind'
needs_fuzz='clang		cmd:clang-14				clang-14	-
libFuzzer	fuzzer:clang-14				libclang-rt-14-dev	-'
needs_bench="$needs_demo"'
ser2net		cmd:ser2net				ser2net		ser2net'
# The guest test boots a Debian kernel (fetched with apt-get download,
# never installed) with a busybox initramfs: Linux only.
needs_guest="$needs_demo"'
bats		cmd:bats				bats		bats-core
python3		cmd:python3				python3		python3
qemu		cmd:qemu-system-x86_64			qemu-system-x86	-
busybox		static:/bin/busybox			busybox-static	-
cpio		cmd:cpio				cpio		-'

# Optional: the page's server and xterm.js for the demo and the tests,
# and for the tests a browser, and nginx in front with TLS.
optional_demo='websocketd	cmd:websocketd				websocketd	websocketd
xterm.js	read:/usr/share/nodejs/xterm/lib/public/Terminal.js	node-xterm	-'
optional_check="$optional_demo"'
chromium	cmd:chromium				chromium	chromium
chromedriver	cmd:chromedriver			chromium-driver	chromium
selenium	py:selenium				python3-selenium	py311-selenium
nginx		file:/usr/sbin/nginx			nginx-light	nginx
openssl		cmd:openssl				openssl		-'

optional=
case ${1:-} in
check)	needs=$needs_check optional=$optional_check ;;
demo)	needs=$needs_demo optional=$optional_demo ;;
fuzz)	needs=$needs_fuzz ;;
valgrind)	needs=$needs_valgrind ;;
bench)	needs=$needs_bench ;;
guest)	needs=$needs_guest ;;
syslogng)	needs= ;;
*)	usage ;;
esac

# pretended NAME: true if DEPS_MISSING names it.
pretended() {
	case " ${DEPS_MISSING:-} " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# fuzzer_links CC: CC builds and links an empty libFuzzer target.
fuzzer_links() {
	_d=$(mktemp -d "${TMPDIR:-/tmp}/deps.XXXXXX") || return 1
	echo 'int LLVMFuzzerTestOneInput(const char *p, unsigned long n)
	    { (void)p; (void)n; return 0; }' >"$_d/t.c"
	"$1" -fsanitize=fuzzer -o "$_d/t" "$_d/t.c" >/dev/null 2>&1
	_rc=$?
	rm -rf "$_d"
	return "$_rc"
}

# builds CC: CC compiles and links a program with the C library's headers
# (Debian's gcc without its recommends has no libc6-dev).
builds() {
	command -v "$1" >/dev/null 2>&1 || return 1
	_d=$(mktemp -d "${TMPDIR:-/tmp}/deps.XXXXXX") || return 1
	printf '#include <sys/types.h>\n#include <stdio.h>\n%s\n' \
	    'int main(void) { return 0; }' >"$_d/t.c"
	"$1" -o "$_d/t" "$_d/t.c" >/dev/null 2>&1
	_rc=$?
	rm -rf "$_d"
	return "$_rc"
}

# present NAME TEST: true if the need is met.
present() {
	pretended "$1" && return 1
	case $2 in
	cmd:*)	command -v "${2#cmd:}" >/dev/null 2>&1 ;;
	file:*)	[ -x "${2#file:}" ] ;;
	read:*)	[ -r "${2#read:}" ] ;;
	pc:*)	command -v pkg-config >/dev/null 2>&1 &&
		    pkg-config --exists "${2#pc:}" ;;
	py:*)	# Debian's python3-* modules are for /usr/bin/python3, which
		# need not be the python3 first on PATH (a pyenv, a venv).
		python3 -c "import ${2#py:}" >/dev/null 2>&1 ||
		    /usr/bin/python3 -c "import ${2#py:}" >/dev/null 2>&1 ;;
	builds:*)	builds "${2#builds:}" ;;
	fuzzer:*)	# the compiler links a libFuzzer target (on Debian
		# its runtime is a package of its own)
		fuzzer_links "${2#fuzzer:}" ;;
	static:*)	# a statically linked program (for an initramfs)
		[ -x "${2#static:}" ] && ! ldd "${2#static:}" >/dev/null 2>&1 ;;
	nc:)	# The OpenBSD netcat: the tests use its -N and -n.
		command -v nc >/dev/null 2>&1 &&
		    { nc -h 2>&1 | grep -q OpenBSD ||
		    [ "$(uname -s)" = FreeBSD ]; } ;;
	esac
}

os=$(uname -s)

# wants NEEDS: the names in NEEDS not met, in $missing, and the packages
# that meet them, in $pkgs.
wants() {
	missing=
	pkgs=
	# Read the table from a here-document, not a pipe: the loop sets
	# variables.
	while read -r name test deb fbsd; do
		[ -n "$name" ] || continue
		present "$name" "$test" && continue
		case $os in
		FreeBSD) pkg=$fbsd ;;
		*) pkg=$deb ;;
		esac
		[ "$pkg" = - ] && continue	# in base, or not to be had: tests skip
		missing="$missing $name"
		case " $pkgs " in
		*" $pkg "*) ;;
		*) pkgs="$pkgs $pkg" ;;
		esac
	done <<EOF
$1
EOF
	pkgs=${pkgs# }
}

# install NEEDS: install $pkgs, for the missing names of NEEDS, or say what
# to run; status 1 when they are not all there after.
install() {
	# A fresh FreeBSD has only pkg(7), the stub that installs pkg itself:
	# it asks first unless ASSUME_ALWAYS_YES says yes (no terminal: it
	# refuses).
	if [ "$os" = FreeBSD ]; then
		cmd="env ASSUME_ALWAYS_YES=yes pkg install -y $pkgs"
	elif command -v apt-get >/dev/null 2>&1; then
		cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs"
	else
		echo "deps.sh: missing:$missing; install them (Debian packages: $pkgs)" >&2
		return 1
	fi

	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing:$missing" >&2
		echo "deps.sh: as root, run: $cmd" >&2
		return 1
	fi

	echo "deps.sh: installing $pkgs (for:$missing)" >&2
	if [ "$os" = FreeBSD ]; then
		# shellcheck disable=SC2086
		env ASSUME_ALWAYS_YES=yes pkg install -y $pkgs || return 1
	else
		# Installing openbsd-inetd (or systemd) must not start a
		# service: a policy-rc.d that says no, ours only if there was
		# none.
		policy=/usr/sbin/policy-rc.d
		ours=
		if [ ! -e "$policy" ]; then
			printf '#!/bin/sh\nexit 101\n' >"$policy" &&
			    chmod 755 "$policy" && ours=1
			trap 'rm -f "$policy"' EXIT
			trap 'exit 1' HUP INT TERM
		fi
		ok=1
		apt-get update || ok=
		# shellcheck disable=SC2086
		[ -z "$ok" ] || DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y --no-install-recommends $pkgs || ok=
		if [ -n "$ours" ]; then
			rm -f "$policy"
			trap - EXIT
		fi
		[ -n "$ok" ] || return 1
	fi

	# What is still missing now could not be installed.
	still=
	DEPS_MISSING=
	for name in $missing; do
		test=$(printf '%s\n' "$1" | awk -v n="$name" '$1 == n { print $2 }')
		present "$name" "$test" || still="$still $name"
	done
	if [ -n "$still" ]; then
		echo "deps.sh: still missing:$still" >&2
		return 1
	fi
	return 0
}

# installed PKG: dpkg has PKG installed (held or not).
installed() {
	dpkg -s "$1" 2>/dev/null | grep -q -x 'Status: [a-z]* ok installed'
}

# dep_groups PKG: PKG's dependencies, one a line, each as the packages any
# of which meets it: its alternatives, each followed by the packages that
# provide it.  A virtual package is named in <>.
dep_groups() {
	apt-cache depends --no-recommends --no-suggests --no-conflicts \
	    --no-breaks --no-replaces --no-enhances "$1" 2>/dev/null | awk '
	    /^ [ |](Pre)?Depends: / {
		if (done) { print cur; cur = "" }
		name = $0
		sub(/^.*Depends: /, "", name)
		cur = cur " " name
		done = $0 !~ /^ \|/
		next
	    }
	    /^    [^ ]/ { cur = cur " " $1 }
	    END { if (cur != "") print cur }'
}

# debs_for PKG: PKG and, down its dependencies, every package it needs
# that dpkg does not have installed, one a line; of alternatives none of
# which is installed, the first.
debs_for() {
	_todo=$1
	_want=
	while [ -n "$_todo" ]; do
		# shellcheck disable=SC2086
		set -- $_todo
		_p=$1
		shift
		_todo=$*
		case " $_want " in
		*" $_p "*) continue ;;
		esac
		_want="$_want $_p"
		_groups=$(dep_groups "$_p")
		while read -r _alts; do
			[ -n "$_alts" ] || continue
			_met=
			_pick=
			for _a in $_alts; do
				case $_a in
				"<"*) continue ;;
				esac
				if installed "$_a"; then
					_met=1
					break
				fi
				[ -n "$_pick" ] || _pick=$_a
			done
			[ -n "$_met" ] || [ -z "$_pick" ] || _todo="$_todo $_pick"
		done <<EOF
$_groups
EOF
	done
	# shellcheck disable=SC2086
	printf '%s\n' $_want
}

# syslogng_failed DIR REASON...: say why syslog-ng cannot be had, on
# stderr and in DIR/failed, where its test reads it; status 1.
syslogng_failed() {
	_d=$1
	shift
	mkdir -p "$_d" && echo "$*" >"$_d/failed"
	echo "deps.sh: syslog-ng: $*" >&2
	return 1
}

# candidate: the version of syslog-ng-core apt would fetch, if any.
candidate() {
	apt-cache policy syslog-ng-core 2>/dev/null |
	    sed -n 's/^ *Candidate: //p' | grep -v -x '(none)'
}

# syslogng: Debian's syslog-ng-core and what it needs unpacked in
# SYSLOGNG_CACHE/root (the packages and their versions in
# SYSLOGNG_CACHE/packages); fetched again when apt has another
# syslog-ng-core.  Status 1, the reason in SYSLOGNG_CACHE/failed, when it
# cannot be had.
syslogng() {
	_top=$(cd "$(dirname "$0")/../.." && pwd) || return 1
	_dir=${SYSLOGNG_CACHE:-$_top/tests/syslog-ng/cache}
	case $_dir in
	/*) ;;
	*) _dir=$_top/$_dir ;;
	esac
	if [ "$os" != Linux ] || ! command -v apt-get >/dev/null 2>&1 ||
	    ! command -v dpkg-deb >/dev/null 2>&1; then
		syslogng_failed "$_dir" "no apt-get and dpkg-deb here" \
		    "(Debian's package is unpacked from its .deb)"
		return 1
	fi
	_ver=$(candidate)
	if [ -z "$_ver" ] && [ ! -x "$_dir/root/usr/sbin/syslog-ng" ] &&
	    [ "$(id -u)" = 0 ]; then
		apt-get update >/dev/null 2>&1
		_ver=$(candidate)
	fi
	# a copy of that version, or of any when apt knows none, will do
	if [ -x "$_dir/root/usr/sbin/syslog-ng" ] && { [ -z "$_ver" ] ||
	    [ "$(cat "$_dir/version" 2>/dev/null)" = "$_ver" ]; }; then
		rm -f "$_dir/failed"
		return 0
	fi
	if [ -z "$_ver" ]; then
		syslogng_failed "$_dir" "apt-cache knows no syslog-ng-core" \
		    "(as root, run apt-get update)"
		return 1
	fi
	_debs=$(debs_for syslog-ng-core | tr '\n' ' ')
	_debs=${_debs% }
	echo "deps.sh: fetching $_debs into $_dir (unpacked, not installed)" >&2
	_new=$_dir/new
	rm -rf "$_new"
	mkdir -p "$_new/debs" || {
		syslogng_failed "$_dir" "cannot make $_new"
		return 1
	}
	# apt-get download writes into the current directory
	# shellcheck disable=SC2086
	if ! (cd "$_new/debs" && apt-get download -q $_debs) \
	    >"$_new/download.log" 2>&1; then
		syslogng_failed "$_dir" "apt-get download $_debs failed:" \
		    "$(grep -v '^W: ' "$_new/download.log" | tail -n 1)"
		rm -rf "$_new"
		return 1
	fi
	for _deb in "$_new"/debs/*.deb; do
		if ! dpkg-deb -x "$_deb" "$_new/root"; then
			syslogng_failed "$_dir" "dpkg-deb -x $_deb failed"
			rm -rf "$_new"
			return 1
		fi
		echo "$(dpkg-deb -f "$_deb" Package) $(dpkg-deb -f "$_deb" Version)" \
		    >>"$_new/packages"
	done
	if [ ! -x "$_new/root/usr/sbin/syslog-ng" ]; then
		syslogng_failed "$_dir" "syslog-ng-core $_ver has no" \
		    "usr/sbin/syslog-ng"
		rm -rf "$_new"
		return 1
	fi
	echo "$_ver" >"$_new/version"
	rm -rf "$_dir/root" "$_dir/packages" "$_dir/version" "$_dir/failed"
	mv "$_new/root" "$_new/packages" "$_new/version" "$_dir/" &&
	    rm -rf "$_new"
}

if [ "$1" = syslogng ]; then
	syslogng
	exit
fi

wants "$needs"
if [ -n "$missing" ]; then
	install "$needs" || exit 1
fi
wants "$optional"
if [ -n "$missing" ] && ! install "$optional"; then
	echo "deps.sh: optional, not installed:$missing; the tests that" \
	    "need them say they are skipped" >&2
fi
if [ "$1" = check ] && ! syslogng; then
	echo "deps.sh: optional, not fetched: syslog-ng; its test says it" \
	    "is skipped" >&2
fi
exit 0
