#!/usr/bin/env bats
# make install and uninstall: exactly the files of the system make runs
# on, or of the PLATFORM given, with their modes and this build's paths,
# and nothing left by uninstall; under GNU make and bmake.

setup() {
	load lib/helpers
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
644 share/conslet/nginx/conslet-web.conf.sample
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
755 etc/rc.d/conslet_web
755 etc/rc.d/conslog
755 libexec/conslet/conslogctl
EOF
		esac
		case $1 in Linux | all)
			cat <<'EOF'
644 share/conslet/logrotate.d/conslog
644 share/conslet/systemd/conslet-web.service
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
