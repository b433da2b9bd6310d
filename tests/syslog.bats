#!/usr/bin/env bats
# conslog -S: the console's lines, its events and its alerts in syslog,
# received by a real rsyslogd (Debian's) on a socket of the test's own
# (conslog -D, rsyslog's imuxsock there); a daemon that stops reading or
# goes away costs the guest and the clients nothing; the counters of
# conslet -l -H; the recipes of contrib/rsyslog and contrib/syslog-ng
# (Debian's syslog-ng, run from its unpacked package) shipping to a
# collector; and a private systemd-journald.

# shellcheck disable=SC2154,SC2016,SC1003
# (PORT_w, PORT_v and PORT_f are set by serve_as; sh -c scripts and
# what the guest prints are single-quoted on purpose, backslashes too.)

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	# a stopped daemon takes no SIGTERM
	[ -z "${RS_PID:-}" ] || kill -CONT "$RS_PID" 2>/dev/null || true
	common_teardown
}

# start_rsyslog [IMUXSOCK-OPTIONS]: rsyslogd in the foreground, reading
# $T/rs.sock only (not /dev/log), writing each message to $T/rs.out as
# "FACILITY.PRIORITY APP-NAME MSGID MSG"; sets RS_PID.
start_rsyslog() {
	require rsyslogd
	mkdir -p "$T/rs"
	cat >"$T/rs.conf" <<EOF
global(workDirectory="$T/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/rs.sock" ${1:-})
template(name="line" type="string"
    string="%pri-text% %app-name% %msgid%%msg:::sp-if-no-1st-sp%%msg%\\n")
*.* action(type="omfile" file="$T/rs.out" template="line")
EOF
	rm -f "$T/rs.sock"
	_spawn "$T/rsyslogd.out" "$T/rsyslogd.err" rsyslogd -n -f "$T/rs.conf" \
	    -i "$T/rs.pid"
	RS_PID=$SPAWN_PID
	wait_for test -S "$T/rs.sock" || {
		cat "$T/rsyslogd.err" >&2
		return 1
	}
}

# rs_has ERE: rsyslog wrote a line matching ERE (waits for it).
rs_has() {
	wait_for grep -q -E -e "$1" "$T/rs.out" 2>/dev/null && return 0
	echo "rsyslog wrote no line /$1/; it has:" >&2
	tail -n 20 "$T/rs.out" >&2
	return 1
}

# rs_count ERE: how many lines rsyslog wrote that match ERE.
rs_count() {
	grep -c -E -e "$1" "$T/rs.out" || true
}

# syslogng_here: Debian's syslog-ng-core as deps.sh unpacked it (never
# installed: it conflicts with rsyslog) in SYSLOGNG_CACHE, by default
# tests/syslog-ng/cache; sets SNG_ROOT, SNG_LIBS and SNG_MODS.  Skips,
# saying why, when it is not there or does not run.
syslogng_here() {
	local cache=${SYSLOGNG_CACHE:-$TOP/tests/syslog-ng/cache} d
	case $cache in /*) ;; *) cache=$TOP/$cache ;; esac
	SNG_ROOT=$cache/root
	if [ ! -x "$SNG_ROOT/usr/sbin/syslog-ng" ]; then
		[ ! -s "$cache/failed" ] ||
		    skip "syslog-ng could not be had: $(cat "$cache/failed")"
		skip "syslog-ng is not unpacked in $cache (sh contrib/quickstart/deps.sh syslogng fetches it)"
	fi
	SNG_LIBS=$SNG_ROOT/usr/lib/syslog-ng
	for d in "$SNG_ROOT"/usr/lib/*-linux-gnu* "$SNG_ROOT"/lib/*-linux-gnu*; do
		[ ! -d "$d" ] || SNG_LIBS=$SNG_LIBS:$d
	done
	SNG_MODS=
	for d in "$SNG_ROOT"/usr/lib/syslog-ng/[0-9]*; do
		[ ! -d "$d" ] || SNG_MODS=$d
	done
	if ! LD_LIBRARY_PATH=$SNG_LIBS "$SNG_ROOT/usr/sbin/syslog-ng" -V \
	    >"$T/sng.version" 2>&1; then
		skip "the unpacked syslog-ng does not run: $(tail -n 1 "$T/sng.version")"
	fi
	echo "$(head -n 1 "$T/sng.version"), $(sed -n 's/^Revision: //p' "$T/sng.version")"
}

# start_syslogng NAME: that syslog-ng in the foreground on $T/NAME.conf,
# its persist file, pid file and control socket $T/NAME.*.
start_syslogng() {
	_spawn "$T/$1.out" "$T/$1.err" env LD_LIBRARY_PATH="$SNG_LIBS" \
	    "$SNG_ROOT/usr/sbin/syslog-ng" -F -e --no-caps \
	    --module-path="$SNG_MODS" -f "$T/$1.conf" -R "$T/$1.persist" \
	    -p "$T/$1.pid" -c "$T/$1.ctl"
}

# sng_ship: a collector's syslog-ng on a free loopback port, writing
# each message it receives to $T/coll.out as "HOST FACILITY.PRIORITY
# PROGRAM[PID] MSGID MSG"; and a host's, whose main configuration follows
# Debian's (its @version, the SCL, its options, the host's own log, here
# $T/host.syslog from a socket of the test's standing for /dev/log, and
# conf.d/*.conf included last), with contrib/syslog-ng/conslog.conf in its
# conf.d, on the socket $T/host.sock and shipping to the collector here.
sng_ship() {
	local cport
	require logger
	syslogng_here
	cport=$(free_port)
	cat >"$T/coll.conf" <<EOF2
$(head -n 1 "$SNG_ROOT/etc/syslog-ng/syslog-ng.conf")
options { use_dns(no); dns_cache(no); stats_freq(0); keep_hostname(yes); };
source s_net { syslog(ip("127.0.0.1") port($cport) transport("tcp")); };
destination d_out { file("$T/coll.out" template(
    "\${HOST} \${FACILITY}.\${LEVEL} \${PROGRAM}[\${PID}] \${MSGID:--} \${MSG}\n")); };
log { source(s_net); destination(d_out); };
EOF2
	start_syslogng coll
	wait_listen "$cport" || return 1
	mkdir -p "$T/conf.d"
	cat >"$T/host.conf" <<EOF2
$(head -n 1 "$SNG_ROOT/etc/syslog-ng/syslog-ng.conf")
@define include-path "$SNG_ROOT/usr/share/syslog-ng/include"
@include "$SNG_ROOT/etc/syslog-ng/scl.conf"
options { chain_hostnames(off); flush_lines(0); use_dns(no); use_fqdn(no);
	  dns_cache(no); stats_freq(0); bad_hostname("^gconfd$"); };
source s_src { unix-dgram("$T/devlog"); internal(); };
destination d_syslog { file("$T/host.syslog"); };
log { source(s_src); destination(d_syslog); };
@include "$T/conf.d/*.conf"
EOF2
	sed -e "s|/run/conslog.sock|$T/host.sock|" \
	    -e 's|"logs.example.net"|"127.0.0.1"|' \
	    -e "s|port(601)|port($cport)|" \
	    "$TOP/contrib/syslog-ng/conslog.conf" >"$T/conf.d/conslog.conf"
	cat "$T/conf.d/conslog.conf"
	start_syslogng host
	wait_for test -S "$T/host.sock" || return 1
	# the host's own log works, and is where its own messages go
	logger -u "$T/devlog" -t hostprog 'a message of the host' &&
	    wait_file_contains "$T/host.syslog" 'hostprog: a message of the host'
}

# coll_has ERE: the collector wrote a line matching ERE (waits for it).
coll_has() {
	wait_for grep -q -E -e "$1" "$T/coll.out" 2>/dev/null && return 0
	echo "the collector wrote no line /$1/; it has:" >&2
	tail -n 20 "$T/coll.out" >&2
	return 1
}

# hook: the alert command (tests/tools/alert-record) in $T/bin; its
# record is $T/bin/alerts.
hook() {
	mkdir -p "$T/bin"
	cp "$TOP/tests/tools/alert-record" "$T/bin/alert-record"
	chmod 755 "$T/bin/alert-record"
}

# stat_field NAME KEY: a counter of the logger's status file.
stat_field() {
	sed -n "s/^$2 //p" "$T/run/$1.stat"
}

# listed_field NAME N: field N of conslet -l -H for console NAME.
listed_field() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l -H |
	    awk -F '\t' -v n="$1" -v f="$2" '$1 == n { print $f }'
}

# field_is NAME N VALUE: field N of conslet -l -H for NAME is VALUE.
field_is() {
	[ "$(listed_field "$1" "$2")" = "$3" ]
}

# field_over NAME N VALUE: field N of conslet -l -H is a number over VALUE.
field_over() {
	local v
	v=$(listed_field "$1" "$2")
	[ "$v" != - ] && [ "$v" -gt "$3" ]
}

# dropped_over NAME N: the logger's status file counts more than N dropped.
dropped_over() {
	[ -e "$T/run/$1.stat" ] && [ "$(stat_field "$1" dropped)" -gt "$2" ]
}

@test "every line the guest printed reaches rsyslog in order, with the console's name: LF, CR LF and lone CR end a line; control bytes are made visible" {
	start_rsyslog
	start_guest pbx
	start_logger pbx -S local3 -D "$T/rs.sock"
	python3 - "$T/lines" <<'EOF'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(1, 201):
        end = [b"\r\n", b"\n", b"\r"][i % 3]
        f.write(b"line %03d \x1b[1;31mred\x1b[0m\ttab \xe2\x97\x8f bel\x07" % i + end)
    f.write(b"last line\r\n")
EOF
	guest_print_file pbx "$T/lines"
	rs_has '^local3\.info conslog - pbx: last line$'
	python3 - "$T/rs.out" <<'EOF'
import re, sys
got = [l for l in open(sys.argv[1], "rb").read().split(b"\n")
    if l.startswith(b"local3.info ")]
want = [b"local3.info conslog - pbx: line %03d \\033[1;31mred\\033[0m"
    b"\\011tab \\342\\227\\217 bel\\007" % i for i in range(1, 201)]
want.append(b"local3.info conslog - pbx: last line")
if got != want:
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            sys.exit("line %d: expected %r, got %r" % (i + 1, w, g))
    sys.exit("expected %d lines, got %d" % (len(want), len(got)))
data = open(sys.argv[1], "rb").read()
bad = [c for c in data if c != 10 and not 32 <= c < 127]
if bad or b"#0" in data:
    sys.exit("a byte not printable ASCII reached rsyslog: %r" % bad[:5])
EOF
}

@test "a prompt without a line end reaches syslog after a short quiet time; a long line is cut and continued, marked" {
	start_rsyslog
	start_guest pbx
	start_logger pbx -S daemon -D "$T/rs.sock"
	guest_print pbx 'pbx login: '
	rs_has '^daemon\.info conslog - pbx: pbx login: $'
	long=$(printf '%03000d' 7)
	guest_print pbx "root"$'\r\n'"$long"$'\r\n'
	rs_has '^daemon\.info conslog - pbx: root$'
	wait_for grep -q -E '^daemon\.info conslog - pbx: 0+7$' "$T/rs.out"
	# 3000 bytes: two pieces that end with a lone backslash, then the rest
	run grep -E '^daemon\.info conslog - pbx: 0+7?\\?$' "$T/rs.out"
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *'\' ]] && [[ "${lines[1]}" == *'\' ]]
	[[ "${lines[2]}" != *'\' ]]
	joined=$(printf '%s\n' "${lines[@]}" |
	    sed 's/^daemon\.info conslog - pbx: //; s/\\$//' | tr -d '\n')
	[ "$joined" = "$long" ]
	[ "${#lines[0]}" -le $((1024 + 30)) ]
}

@test "events go at notice with who did them: joins, BREAK, takeover, leaving, the guest gone and back" {
	start_rsyslog
	start_guest pbx
	start_logger pbx -S local0 -D "$T/rs.sock"
	serve_as w pbx
	serve_as f -f pbx
	client_start w "$PORT_w"
	wait_who pbx 1
	w=$(peer_of w)
	rs_has "^local0\.notice conslog - pbx: $(re_quote "$w") joined, pid [0-9]+$"
	client_send w $'\r~B'
	rs_has "^local0\.notice conslog - pbx: BREAK.* by $(re_quote "$w")$"
	client_start f "$PORT_f"
	f=$(peer_of f)
	rs_has "^local0\.notice conslog - pbx: write access taken by $(re_quote "$f"), pid [0-9]+$"
	client_close f
	rs_has "^local0\.notice conslog - pbx: $(re_quote "$f") left, pid [0-9]+$"
	guest_hangup pbx
	rs_has '^local0\.notice conslog - pbx: console closed$'
	guest_reboot pbx
	rs_has '^local0\.notice conslog - pbx: console reopened$'
	# what conslog always said to syslog still goes, at its own facility
	rs_has "^daemon\.info conslog - $(re_quote "$w") joined, pid"
}

@test "a log that cannot be written is an event at err, and its recovery, with the bytes lost, one at notice" {
	require prlimit
	start_rsyslog
	start_guest pbx
	start_logger pbx -S local0 -D "$T/rs.sock"
	prlimit --pid "$LOGGER_PID" --fsize=4096:unlimited
	random_bytes "$T/data" 8192
	guest_print_file pbx "$T/data"
	rs_has "^local0\.err conslog - pbx: log $(re_quote "$LOGGER_LOG"): File too large; counting what is lost$"
	prlimit --pid "$LOGGER_PID" --fsize=unlimited:unlimited
	guest_print pbx $'written again\r\n'
	rs_has "^local0\.notice conslog - pbx: log $(re_quote "$LOGGER_LOG"): writing again, [0-9]+ bytes lost$"
	[ "$(rs_count '^local0\.err ')" -eq 1 ]
}

@test "an alert: a planted Kernel panic goes at warning and runs the command once, without a shell, with the console and the line in its environment; its status is logged" {
	start_rsyslog
	hook
	start_guest pbx
	start_logger pbx -S local0 -D "$T/rs.sock" -a 'Kernel panic' \
	    -a '^KDB: enter' -x "$T/bin/alert-record"
	guest_print pbx $'booting\r\n[    1.234] Kernel panic - not syncing: $(reboot) `id` ;\033[0m\r\nafter\r\n'
	rs_has '^local0\.warning conslog - pbx: \[    1\.234\] Kernel panic - not syncing: \$\(reboot\) `id` ;\\033\[0m$'
	rs_has '^local0\.info conslog - pbx: after$'
	rs_has "^daemon\.(info|warning) conslog - pbx: alert command $T/bin/alert-record, pid [0-9]+, exited 3$"
	run cat "$T/bin/alerts"
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == 'argc=0 console=pbx line=[    1.234] Kernel panic - not syncing: $(reboot) `id` ;\033[0m pattern=Kernel panic time='[0-9]*' path=/bin:/usr/bin:/sbin:/usr/sbin' ]]
	[ "$(rs_count '^local0\.info .* pbx: booting$')" -eq 1 ]
	[ "$(rs_count '^local0\.warning')" -eq 1 ]
}

@test "alerts: patterns from a file at a chosen priority; one command at a time, the rest counted; a bad pattern, file or command is refused" {
	start_rsyslog
	hook
	printf '# comments and empty lines are skipped\n\npanic: \nwatchdog\n' \
	    >"$T/patterns"
	: >"$T/bin/hold"
	echo 0 >"$T/bin/status"
	start_guest pbx
	start_logger pbx -S local0 -D "$T/rs.sock" -A "$T/patterns" -w crit \
	    -x "$T/bin/alert-record"
	guest_print pbx $'panic: page fault\r\n'
	wait_file_contains "$T/bin/alerts" "line=panic: page fault"
	guest_print pbx $'watchdog: BUG: soft lockup\r\npanic: again\r\nno alert here\r\n'
	rs_has '^local0\.info conslog - pbx: no alert here$'
	[ "$(rs_count '^local0\.crit conslog - pbx: (panic|watchdog)')" -eq 3 ]
	rm "$T/bin/hold"
	rs_has 'alert command .*, exited 0$'
	rs_has 'alert command .* not run for 2 alerts'
	[ "$(grep -c . "$T/bin/alerts")" -eq 1 ]
	# refused: status 64, with the reason
	run conslog_run -S local0 -a 'a(b' pbx
	[ "$status" -eq 64 ] && [[ "$output" == *"pattern is invalid: a(b"* ]]
	run conslog_run -A "$T/nonesuch" pbx
	[ "$status" -eq 64 ] && [[ "$output" == *"pattern file $T/nonesuch"* ]]
	run conslog_run -x alert-record pbx
	[ "$status" -eq 64 ] && [[ "$output" == *"not an absolute path"* ]]
	run conslog_run -S local9 pbx
	[ "$status" -eq 64 ] && [[ "$output" == *"facility is invalid: local9"* ]]
	run conslog_run -w loud pbx
	[ "$status" -eq 64 ] && [[ "$output" == *"priority is invalid: loud"* ]]
}

@test "rsyslogd stopped (SIGSTOP): the log and a client get every byte at once, syslog's lines are dropped and counted, and the count is told when it reads again" {
	start_rsyslog
	start_guest pbx
	start_logger pbx -S local0 -D "$T/rs.sock"
	serve_as v -r -h 0 pbx
	guest_print pbx $'before\r\n'
	rs_has '^local0\.info conslog - pbx: before$'
	kill -STOP "$RS_PID"
	# 20000 lines: more than the socket and conslog's queue hold
	numbered_lines "$T/data" 20000 stopped
	client_start v "$PORT_v"
	wait_who pbx 1
	start=$(_now_us)
	guest_print_file pbx "$T/data"
	wait_file_size -t 20 "$T/v.recv" "$(_file_size "$T/data")"
	echo "the client had all $(_file_size "$T/data") bytes after" \
	    "$((($(_now_us) - start) / 1000)) ms"
	wait_file_size "$LOGGER_LOG" $(($(_file_size "$T/data") + 8))
	# a client that comes and goes meanwhile is not held up either
	client_close v
	wait_who pbx 0
	[ "$(proc_state "$RS_PID")" = T ]
	wait_for dropped_over pbx 0
	dropped=$(stat_field pbx dropped)
	echo "dropped: $dropped"
	kill -CONT "$RS_PID"
	guest_print pbx $'after\r\n'
	rs_has '^local0\.info conslog - pbx: after$'
	rs_has '^local0\.warning conslog - pbx: [0-9]+ messages to syslog dropped$'
	told=$(sed -n 's/.* pbx: \([0-9]*\) messages to syslog dropped$/\1/p' \
	    "$T/rs.out" | awk '{ n += $1 } END { print n }')
	# what was not told went: every line is there or counted
	got=$(rs_count '^local0\.info conslog - pbx: stopped line')
	echo "lines received $got, told dropped $told, counted $dropped"
	[ $((got + told)) -ge 20000 ]
	[ "$told" -gt 0 ]
	# the lines that came are in order, the newest among them
	grep -o 'stopped line [0-9]*' "$T/rs.out" | awk '
	    { if ($3 + 0 <= last) { print "out of order: " $0; exit 1 }
	      last = $3 + 0 }'
	rs_has '^local0\.info conslog - pbx: stopped line 20000 '
}

@test "the syslog daemon gone: conslog goes on, counts, and tells the count to the daemon that comes back" {
	start_rsyslog
	start_guest pbx
	start_logger pbx -S local0 -D "$T/rs.sock"
	guest_print pbx $'one\r\n'
	rs_has '^local0\.info conslog - pbx: one$'
	kill -TERM "$RS_PID"
	wait_pid_gone "$RS_PID"
	numbered_lines "$T/data" 3000 gone
	guest_print_file pbx "$T/data"
	wait_file_size "$LOGGER_LOG" $(($(_file_size "$T/data") + 5))
	wait_for dropped_over pbx 0
	mv "$T/rs.out" "$T/rs.out.1"
	start_rsyslog
	guest_print pbx $'back\r\n'
	rs_has '^local0\.info conslog - pbx: back$'
	# the oldest made room for the newest, and the count stands for them
	run grep -n -E 'messages to syslog dropped$|gone line (0001|3000) ' \
	    "$T/rs.out"
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"local0.warning conslog - pbx: "*" messages to syslog dropped" ]]
	[[ "${lines[1]}" == *"gone line 3000 "* ]]
	_alive "$LOGGER_PID"
}

@test "-5: RFC 5424, with APP-NAME conslog and MSGID line, event or alert, to a daemon that parses it" {
	start_rsyslog 'UseSpecialParser="off"'
	start_guest pbx
	start_logger pbx -5 -S local1 -D "$T/rs.sock" -a 'Oops'
	serve_as v -r pbx
	guest_print pbx $'plain line\r\nOops: 0000 [#1] SMP\r\n'
	client_start v "$PORT_v"
	rs_has '^local1\.info conslog line pbx: plain line$'
	rs_has '^local1\.warning conslog alert pbx: Oops: 0000 \[#1\] SMP$'
	rs_has '^local1\.notice conslog event pbx: 127\.0\.0\.1:[0-9]+ joined \(read-only\), pid [0-9]+$'
}

@test "conslet -l -H: bytes logged, last output, clients attached, bytes skipped, syslog messages dropped, guest present since" {
	start_guest pbx
	t0=$(date +%s)
	start_logger pbx -S local0 -D "$T/nonesuch.sock"
	serve_as v -r pbx
	run listed_field pbx 9
	[ "$output" = 0 ]
	[ "$(listed_field pbx 10)" = - ]
	[ "$(listed_field pbx 14)" -ge "$t0" ]
	guest_print pbx $'twelve bytes'
	client_start v "$PORT_v"
	wait_who pbx 1
	wait_for field_is pbx 11 1
	wait_for field_is pbx 9 12
	[ "$(listed_field pbx 13)" = 0 ]
	[ "$(listed_field pbx 10)" -ge "$t0" ]
	[ "$(listed_field pbx 12)" = 0 ]
	# no daemon at that socket: what its queue does not hold is counted
	numbered_lines "$T/data" 3000 unheard
	guest_print_file pbx "$T/data"
	wait_for field_over pbx 13 0
	guest_hangup pbx
	wait_for field_is pbx 14 -
	# without a logger, nothing to say
	kill -TERM "$LOGGER_PID"
	wait_pid_gone "$LOGGER_PID"
	run "$CONSLET" -C "$T/consoles" -R "$T/run" -l -H
	echo "$output"
	[[ "$output" == *$'\t-\t0\t-\t-\t-\t-\t-\t-' ]]
}

@test "contrib/rsyslog/conslog.conf: a host's rsyslogd ships the consoles' messages to a collector's over TCP" {
	require rsyslogd
	mkdir -p "$T/coll" "$T/host"
	cport=$(free_port)
	cat >"$T/coll.conf" <<EOF2
global(workDirectory="$T/coll")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$cport")
template(name="line" type="string"
    string="%hostname% %pri-text% %app-name% %msgid%%msg:::sp-if-no-1st-sp%%msg%\\n")
*.* action(type="omfile" file="$T/coll.out" template="line")
EOF2
	_spawn "$T/coll.stdout" "$T/coll.err" rsyslogd -n -f "$T/coll.conf" \
	    -i "$T/coll.pid"
	wait_listen "$cport"
	{
		printf 'global(workDirectory="%s")\n' "$T/host"
		printf 'module(load="imuxsock" SysSock.Use="off")\n'
		sed -e "s|/run/conslog.sock|$T/host.sock|" \
		    -e 's|logs.example.net|127.0.0.1|' \
		    -e "s|port=\"514\"|port=\"$cport\"|" \
		    "$TOP/contrib/rsyslog/conslog.conf"
	} >"$T/host.conf"
	_spawn "$T/host.stdout" "$T/host.err" rsyslogd -n -f "$T/host.conf" \
	    -i "$T/host.pid"
	wait_for test -S "$T/host.sock"
	start_guest pbx
	start_logger pbx -S local0 -D "$T/host.sock" -a 'Kernel panic'
	guest_print pbx $'shipped line\r\nKernel panic - not syncing\r\n'
	wait_file_contains "$T/coll.out" "pbx: Kernel panic"
	cat "$T/coll.out"
	grep -q -x -E "$(hostname -s | sed 's/[.]/\\./g')[^ ]* local0\.info conslog - pbx: shipped line" \
	    "$T/coll.out"
	grep -q -E "^[^ ]+ local0\.warning conslog - pbx: Kernel panic - not syncing$" \
	    "$T/coll.out"
}

@test "contrib/syslog-ng/conslog.conf: a host's syslog-ng ships the consoles' lines, events and alerts (RFC 3164) to a collector's over TCP, and none to the host's own log" {
	sng_ship
	start_guest pbx
	start_logger pbx -S local0 -D "$T/host.sock" -a 'Kernel panic'
	serve_as v -r pbx
	guest_print pbx $'shipped line \033[1mbold\033[0m\r\nKernel panic - not syncing\r\n'
	client_start v "$PORT_v"
	v=$(peer_of v)
	host=$(hostname -s | sed 's/[.]/\\./g')
	pid=$LOGGER_PID
	coll_has "^${host}[^ ]* local0\.info conslog\[$pid\] - pbx: shipped line \\\\033\[1mbold\\\\033\[0m$"
	coll_has "^${host}[^ ]* local0\.warning conslog\[$pid\] - pbx: Kernel panic - not syncing$"
	coll_has "^${host}[^ ]* local0\.notice conslog\[$pid\] - pbx: $(re_quote "$v") joined \(read-only\), pid [0-9]+$"
	coll_has "^${host}[^ ]* daemon\.info conslog\[$pid\] - $(re_quote "$v") joined \(read-only\), pid [0-9]+$"
	coll_has "^${host}[^ ]* daemon\.info conslog\[$pid\] - pbx: logging [^ ]+ to $(re_quote "$LOGGER_LOG")$"
	cat "$T/coll.out"
	[ "$(grep -c . "$T/coll.out")" -eq 5 ]
	run grep -c -F ' conslog[' "$T/host.syslog"
	[ "$output" = 0 ]
}

@test "contrib/syslog-ng/conslog.conf with conslog -5 (RFC 5424): the collector has the same fields, and MSGID line, event or alert" {
	sng_ship
	start_guest pbx
	start_logger pbx -5 -S local1 -D "$T/host.sock" -a 'Oops'
	serve_as v -r pbx
	guest_print pbx $'plain line\r\nOops: 0000 [#1] SMP\r\n'
	client_start v "$PORT_v"
	v=$(peer_of v)
	host=$(hostname -s | sed 's/[.]/\\./g')
	pid=$LOGGER_PID
	coll_has "^${host}[^ ]* local1\.info conslog\[$pid\] line pbx: plain line$"
	coll_has "^${host}[^ ]* local1\.warning conslog\[$pid\] alert pbx: Oops: 0000 \[#1\] SMP$"
	coll_has "^${host}[^ ]* local1\.notice conslog\[$pid\] event pbx: $(re_quote "$v") joined \(read-only\), pid [0-9]+$"
	coll_has "^${host}[^ ]* daemon\.info conslog\[$pid\] - $(re_quote "$v") joined \(read-only\), pid [0-9]+$"
	coll_has "^${host}[^ ]* daemon\.info conslog\[$pid\] - pbx: logging [^ ]+ to $(re_quote "$LOGGER_LOG")$"
	cat "$T/coll.out"
	[ "$(grep -c . "$T/coll.out")" -eq 5 ]
	run grep -c -F ' conslog[' "$T/host.syslog"
	[ "$output" = 0 ]
}

@test "systemd-journald (a private one): SYSLOG_IDENTIFIER conslog, the pid, the priority and facility, the line made visible as MESSAGE" {
	journald=/lib/systemd/systemd-journald
	[ -x "$journald" ] || skip "systemd-journald is not installed"
	[ "$(id -u)" = 0 ] || skip "journald's test runs it as root"
	require journalctl unshare
	# its /run (sockets, volatile journal) and /var/log are the test's
	mkdir -p "$T/jd.run" "$T/jd.log"
	_spawn "$T/journald.out" "$T/journald.err" unshare --mount \
	    --propagation private -- sh -c \
	    'mount --bind "$1" /run && mount --bind "$2" /var/log &&
	    exec "$3"' sh "$T/jd.run" "$T/jd.log" "$journald"
	sock=$T/jd.run/systemd/journal/dev-log
	wait_for test -S "$sock"
	start_guest pbx
	start_logger pbx -S local2 -D "$sock" -a 'Kernel panic'
	guest_print pbx $'journal line \033[1mbold\033[0m\r\nKernel panic - not syncing\r\n'
	_journal() {
		journalctl -D "$T/jd.run/log/journal" --no-pager -o json \
		    SYSLOG_IDENTIFIER=conslog 2>/dev/null |
		    python3 -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print(d["SYSLOG_PID"], d["PRIORITY"], d["SYSLOG_FACILITY"], d["MESSAGE"])' \
		    >"$T/journal"
		grep -q 'Kernel panic' "$T/journal"
	}
	wait_for _journal
	cat "$T/journal"
	grep -q -x -F "$LOGGER_PID 6 18 pbx: journal line \\033[1mbold\\033[0m" \
	    "$T/journal"
	grep -q -x -F "$LOGGER_PID 4 18 pbx: Kernel panic - not syncing" \
	    "$T/journal"
}
