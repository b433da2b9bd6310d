#!/usr/bin/env bats
# The FreeBSD files, contrib/freebsd and devd/: rc.d/conslog driven
# through a stand-in for /etc/rc.subr that does what FreeBSD's
# run_rc_command does for start, stop and status; the shape of the
# newsyslog.conf.d entry; the devd rules' syntax and the nodes they take;
# conslogctl with a recorder standing in for daemon(8); shellcheck.

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
	# PREFIX (install.bats checks that it is installed there and that
	# /usr/local becomes the PREFIX given)
	[ "${f[6]}" = /usr/local/libexec/conslet/conslogctl ]
	# What "conslogctl 1" does with running loggers (SIGHUP to conslog
	# itself by its child pid file, not to daemon(8)) is the test
	# "conslogctl: a running logger is not started twice; stop, status
	# and signal use the pid files" below.
}

# --- devd rules --------------------------------------------------------------

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

# --- conslogctl, which devd, rc.d and newsyslog run --------------------------

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
	# the stand-in for conslog dies of SIGHUP even where the suite runs
	# with it ignored (nohup), which a shell cannot undo with trap
	env --default-signal=HUP sleep 2147483647 3>&- &
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

@test "conslogctl and rc.d/conslog pass shellcheck as POSIX sh" {
	require shellcheck
	cd "$TOP"
	shellcheck -s sh contrib/freebsd/libexec/conslogctl \
	    contrib/freebsd/rc.d/conslog
}
