#!/usr/bin/env bats
# The FreeBSD files: rc.d/conslog driven through a stand-in for
# /etc/rc.subr that does what FreeBSD's run_rc_command does for start,
# stop and status, and the shape of the newsyslog.conf.d entry.

setup() {
	load lib/helpers
	common_setup
}

teardown() {
	common_teardown
}

# A stand-in for FreeBSD's /etc/rc.subr with what rc.d/conslog uses of it,
# done as libexec/rc/rc.subr does it: the arguments after the command are
# left in rc_extra_args and appended to the ${rc_arg}_cmd run; a "one" or
# "force" prefix sets ${rcvar} to YES; otherwise start and stop (stop
# when no pid is known, and this script names neither command nor pid
# file) are refused, with status 0, unless ${rcvar} is YES; status is not;
# status is a keyword only because status_cmd is set.  "fast" (what
# rc.shutdown uses: faststop) and "quiet" only silence the refusal.
write_rc_subr() {
	cat >"$T/rc.subr" <<'EOF'
warn() { echo "${0##*/}: WARNING: $*" >&2; }
err() { _e=$1; shift; echo "${0##*/}: ERROR: $*" >&2; exit "$_e"; }

checkyesno()
{
	eval _value=\$${1}
	case $_value in
	[Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0 ;;
	[Nn][Oo]|[Ff][Aa][Ll][Ss][Ee]|[Oo][Ff][Ff]|0) return 1 ;;
	*) warn "\$${1} is not set properly - see rc.conf(5)."; return 1 ;;
	esac
}

# The test's rc.conf stands for /etc/defaults/rc.conf, /etc/rc.conf and
# /etc/rc.conf.d/NAME.
load_rc_config()
{
	[ -n "$1" ] || err 3 'USAGE: load_rc_config name'
	. "$RC_CONF"
}

_run_rc_doit()
{
	eval "$@"
	_return=$?
	if [ $_return -ne 0 ] && [ -z "$rc_force" ]; then
		return 1
	fi
	return 0
}

run_rc_command()
{
	_return=0
	rc_arg=$1
	[ -n "$name" ] || err 3 'run_rc_command: $name is not set.'
	shift 1
	rc_extra_args="$*"
	case $rc_arg in
	fast*)	rc_arg=${rc_arg#fast}
		rc_fast=yes
		rc_quiet=yes ;;
	force*)	rc_force=yes
		rc_arg=${rc_arg#force}
		[ -z "$rcvar" ] || eval "$rcvar=YES" ;;
	one*)	rc_arg=${rc_arg#one}
		[ -z "$rcvar" ] || eval "$rcvar=YES" ;;
	quiet*)	rc_arg=${rc_arg#quiet}
		rc_quiet=yes ;;
	esac
	_keywords="start stop restart rcvar enable disable delete enabled describe extracommands $extra_commands"
	rc_pid=
	[ -n "$status_cmd" ] && _keywords="$_keywords status"
	if [ "$rc_arg" = enabled ]; then
		checkyesno "$rcvar"
		return $?
	fi
	for _elem in $_keywords; do
		[ "$_elem" = "$rc_arg" ] || continue
		if { [ -n "$rcvar" ] && [ "$rc_arg" != rcvar ] &&
		    [ "$rc_arg" != stop ] && [ "$rc_arg" != delete ] &&
		    [ "$rc_arg" != enable ] && [ "$rc_arg" != describe ] &&
		    [ "$rc_arg" != status ]; } ||
		    { [ -n "$rcvar" ] && [ "$rc_arg" = stop ] &&
		    [ -z "$rc_pid" ]; }; then
			if ! checkyesno "$rcvar"; then
				[ -n "$rc_quiet" ] ||
				echo "Cannot '${rc_arg}' $name. Set ${rcvar} to YES in /etc/rc.conf or use 'one${rc_arg}' instead of '${rc_arg}'."
				return 0
			fi
		fi
		eval _cmd=\$${rc_arg}_cmd
		if [ -n "$_cmd" ]; then
			_run_rc_doit "$_cmd $rc_extra_args" || return 1
			return $_return
		fi
		# Only the script's own commands are stood in for.
		echo "rc.subr stand-in: no default '$rc_arg'" >&2
		return 70
	done
	echo "$0: unknown directive '$rc_arg'." >&2
	echo "Usage: $0 [fast|force|one|quiet]($(echo $_keywords | tr ' ' '|'))" >&2
	exit 1
}
EOF
}

# write_rcd: rc.d/conslog as $T/conslog, sourcing the stand-in, with
# conslogctl a recorder and the console directory the test's.
write_rcd() {
	cat >"$T/conslogctl" <<'EOF'
#!/bin/sh
# conslogctl stand-in: one line a call, "ARGS|CONSLOG_FLAGS".
printf '%s|%s\n' "$*" "${CONSLOG_FLAGS-(unset)}" >>"$CTL_LOG"
exit "${CTL_STATUS:-0}"
EOF
	chmod 755 "$T/conslogctl"
	sed -e "s|^\. /etc/rc\.subr\$|. $T/rc.subr|" \
	    -e "s|^ctl=/usr/local/libexec/conslet/conslogctl\$|ctl=$T/conslogctl|" \
	    -e "s|^consdir=/usr/local/etc/conslet/consoles\$|consdir=$T/consoles|" \
	    "$TOP/contrib/freebsd/rc.d/conslog" >"$T/conslog"
	chmod 755 "$T/conslog"
	# each of the three lines was there, and is now the test's
	[ "$(grep -c -x -F -e ". $T/rc.subr" -e "ctl=$T/conslogctl" \
	    -e "consdir=$T/consoles" "$T/conslog")" = 3 ] || {
		echo "rc.d/conslog: the rc.subr, ctl= or consdir= line" \
		    "was not found to rewrite" >&2
		return 1
	}
}

# rc_conf LINES...: the test's rc.conf.
rc_conf() {
	printf '%s\n' "$@" >"$T/rc.conf"
}

# rcd ARGS...: the script as service(8) runs it, with a clean environment.
rcd() {
	[ -e "$T/conslog" ] || { write_rc_subr && write_rcd; } || return 1
	env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/ RC_CONF="$T/rc.conf" \
	    CTL_LOG="$T/ctl.log" CTL_STATUS="${CTL_STATUS:-0}" \
	    "$T/conslog" "$@"
}

# calls_are LINES...: conslogctl was called exactly so ("ARGS|FLAGS"
# each); then forget the calls.
calls_are() {
	[ -e "$T/ctl.log" ] || : >"$T/ctl.log"
	if [ $# -eq 0 ]; then : >"$T/want"; else printf '%s\n' "$@" >"$T/want"; fi
	if ! cmp -s "$T/want" "$T/ctl.log"; then
		echo "expected these conslogctl calls (ARGS|CONSLOG_FLAGS):" >&2
		sed 's/^/  /' "$T/want" >&2
		echo "got:" >&2
		sed 's/^/  /' "$T/ctl.log" >&2
		return 1
	fi
	rm -f "$T/ctl.log"
}

@test "rc.d/conslog: start, stop and status pass conslog_consoles and conslog_flags to conslogctl" {
	rc_conf 'conslog_enable="YES"' 'conslog_consoles="pbx web"' \
	    'conslog_flags="-T -h 4096"'
	rcd start
	calls_are "start pbx web|-T -h 4096"
	rcd stop
	calls_are "stop pbx web|-T -h 4096"
	rcd status
	calls_are "status pbx web|-T -h 4096"
	# at shutdown (KEYWORD: shutdown) rc.shutdown runs faststop
	rcd faststop
	calls_are "stop pbx web|-T -h 4096"
	# without conslog_flags, none
	rc_conf 'conslog_enable="YES"' 'conslog_consoles="pbx"'
	rcd start
	calls_are "start pbx|"
}

@test "rc.d/conslog: start, stop or status NAME act on that console only" {
	rc_conf 'conslog_enable="YES"' 'conslog_consoles="pbx web"' \
	    'conslog_flags="-T"'
	rcd start pbx
	calls_are "start pbx|-T"
	rcd stop web
	calls_are "stop web|-T"
	rcd status pbx web
	calls_are "status pbx web|-T"
	# conslogctl's status is the script's: status of a stopped logger
	CTL_STATUS=1 run rcd status pbx
	[ "$status" = 1 ]
	calls_are "status pbx|-T"
}

@test "rc.d/conslog: without conslog_consoles, every link in the console directory" {
	rc_conf 'conslog_enable="YES"'
	ln -s /dev/nmdm0B "$T/consoles/pbx"
	ln -s /nonexistent "$T/consoles/web"
	: >"$T/consoles/notes.txt"
	mkdir "$T/consoles/old"
	rcd start
	calls_are "start pbx web|"
	rcd stop
	calls_are "stop pbx web|"
	rcd status
	calls_are "status pbx web|"
	# an empty directory: nothing to do, and no error
	rm "$T/consoles/pbx" "$T/consoles/web"
	rcd start
	calls_are
}

@test "rc.d/conslog: with conslog_enable=NO (or unset) nothing is started or stopped; onestart and onestop do" {
	rc_conf 'conslog_enable="NO"' 'conslog_consoles="pbx web"'
	run rcd start
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *"Cannot 'start' conslog. Set conslog_enable to YES"* ]]
	calls_are
	run rcd start pbx
	[ "$status" = 0 ]
	calls_are
	run rcd stop
	[ "$status" = 0 ]
	calls_are
	run rcd faststop
	[ "$status" = 0 ]
	[ -z "$output" ]
	calls_are
	rc_conf 'conslog_consoles="pbx web"'
	run rcd start
	[ "$status" = 0 ]
	[[ $output == *"Cannot 'start' conslog."* ]]
	calls_are
	rcd onestart pbx
	calls_are "start pbx|"
	rcd onestop
	calls_are "stop pbx web|"
}

# newsyslog_line: the lines of newsyslog.conf.d/conslog.conf that are
# neither comments nor blank.
newsyslog_line() {
	grep -v -E '^[[:space:]]*(#|$)' \
	    "$TOP/contrib/freebsd/newsyslog.conf.d/conslog.conf"
}

@test "newsyslog.conf.d/conslog.conf: one entry, of newsyslog.conf(5)'s fields, running the installed conslogctl" {
	local f n
	[ "$(newsyslog_line | wc -l)" = 1 ]
	read -r -a f < <(newsyslog_line)
	n=${#f[@]}
	echo "fields: ${f[*]}"
	# logfilename mode count size when flags path_to_command: no
	# owner:group, and no signal field, so newsyslog(8) runs
	# "path_to_command 1" (SIGHUP, the default signal)
	[ "$n" = 7 ] || { echo "expected 7 fields, got $n" >&2; return 1; }
	[ "${f[0]}" = "/var/log/conslet/*.log" ]
	[[ ${f[1]} =~ ^[0-7]{3}$ ]] || { echo "mode ${f[1]} is not octal" >&2; return 1; }
	[ "${f[1]}" = 640 ]
	[[ ${f[2]} =~ ^[0-9]+$ ]] || { echo "count ${f[2]}" >&2; return 1; }
	[[ ${f[3]} =~ ^([0-9]+|\*)$ ]] || { echo "size ${f[3]}" >&2; return 1; }
	[[ ${f[4]} =~ ^(\*|[0-9]+|@.*|\$.*)$ ]] || { echo "when ${f[4]}" >&2; return 1; }
	# G a pattern, B binary (no line of newsyslog's own in a console's
	# bytes), J bzip2, R run the command instead of signalling a pid
	local flag
	for flag in G B J R; do
		[[ ${f[5]} == *"$flag"* ]] ||
		    { echo "expected flag $flag in ${f[5]}" >&2; return 1; }
	done
	[[ ${f[5]} =~ ^([BCDEGJNPRTUXYZbcdegjnprtuxyz]+|-)$ ]] ||
	    { echo "unknown flag in ${f[5]}" >&2; return 1; }
	# the command is where make install puts conslogctl for the default
	# PREFIX (platform.bats checks that it is installed there and that
	# /usr/local becomes the PREFIX given)
	[ "${f[6]}" = /usr/local/libexec/conslet/conslogctl ]
	# What "conslogctl 1" does with running loggers (SIGHUP to conslog
	# itself by its child pid file, not to daemon(8)) is the test
	# "conslogctl: a running logger is not started twice; stop, status
	# and signal use the pid files" in platform.bats.
}
