#!/usr/bin/env bats
# One port for every console (conslet -m), the console named by an ssh
# forced command, and the machine-readable list (conslet -l -H).

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	common_teardown
}

PROMPT='console (? for a list): '

# menu_client ID [OPTIONS]: conslet -m OPTIONS under tcpserver, client ID.
menu_client() {
	local id=$1
	shift
	serve -m "$@"
	client_start "$id" "$PORT"
	wait_file_contains "$T/$id.recv" "$PROMPT"
}

# _script_has NAME STATE: conslet -l -H shows console NAME in STATE.
_script_has() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l -H |
	    awk -F '\t' -v n="$1" -v s="$2" '$1 == n && $3 == s { f = 1 }
	    END { exit !f }'
}

# run_menu [OPTIONS]: conslet -m straight from the test, input on stdin.
run_menu() {
	env -u SSH_ORIGINAL_COMMAND CONSLET_TESTDIR="$T" timeout "$WAIT_TIMEOUT" \
	    "$CONSLET" -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" -m "$@" \
	    2>/dev/null 3>&-
}

@test "-m: the client chooses a console by name and the session is as by name" {
	start_guest pbx
	start_guest util
	menu_client c
	client_send c $'pbx\n'
	wait_file_contains "$SERVER_ERR" "pbx: attached by"
	guest_print pbx "login: "
	wait_file_contains "$T/c.recv" "login: "
	client_send c "root"
	wait_file_contains "$T/pbx.rec" "root"
	# the answer itself never reaches the guest, nor the other console
	[ "$(cat "$T/pbx.rec")" = root ]
	[ ! -s "$T/util.rec" ]
	# the client sees the prompt, then the guest: nothing else
	printf '%s' "${PROMPT}login: " >"$T/want"
	assert_same_bytes "$T/want" "$T/c.recv"
}

@test "-m: ? and an empty line list the consoles with their state" {
	start_guest pbx
	start_guest util
	ln -s /nonexistent "$T/consoles/gone"
	serve util
	client_start holder "$PORT"
	hport=$(client_lport holder)
	menu_client c
	client_send c $'?\n'
	wait_file_contains "$T/c.recv" "util"
	wait_file_contains "$T/c.recv" "  util "
	grep -q -a -E "  gone +missing"$'\r'"\$" "$T/c.recv"
	grep -q -a -E "^  pbx +free"$'\r'"\$" "$T/c.recv"
	grep -q -a -E "^  util +in use by 127\.0\.0\.1:$hport \(pid [0-9]+\) since [0-9:]{8}"$'\r'"\$" "$T/c.recv"
	# no device paths are told to the network
	if grep -a -n "/dev/" "$T/c.recv"; then
		echo "expected no device path in the list, got the lines above" >&2
		return 1
	fi
	n=$(grep -a -c "^  pbx " "$T/c.recv")
	client_send c $'\n'
	wait_for _more_lines "$T/c.recv" "  pbx " "$n"
	client_send c $'pbx\n'
	wait_file_contains "$SERVER_ERR" "pbx: attached by"
	client_send c "x"
	wait_file_contains "$T/pbx.rec" "x"
}

@test "-m: what is typed after the name, even in the same packet, goes to the guest" {
	start_guest pbx
	menu_client c
	client_send c $'pbx\r\nls -l\r'
	wait_file_contains "$T/pbx.rec" "ls -l"$'\r'
	# CR LF ended the answer: no LF is left over for the guest
	printf 'ls -l\r' >"$T/want"
	assert_same_bytes "$T/want" "$T/pbx.rec"
}

@test "-m: lines typed ahead are answered in turn" {
	start_guest pbx
	printf '?\nnope\npbx\nabc' >"$T/input"
	run_menu <"$T/input" >"$T/out"
	grep -q -a -E "  pbx +free" "$T/out"
	grep -q -a -F "[conslet: no such console: nope]" "$T/out"
	[ "$(cat "$T/pbx.rec")" = abc ]
}

@test "-m: hostile answers are refused, and the client may try again" {
	start_guest pbx
	long=$(printf 'a%.0s' $(seq 1 300))
	printf '../pbx\n/dev/null\npbx;sh\n%s\npbx\nok' "$long" >"$T/input"
	run_menu <"$T/input" >"$T/out"
	cat -v "$T/out"
	grep -q -a -F '[conslet: invalid console name: "../pbx"]' "$T/out"
	grep -q -a -F '[conslet: invalid console name: "/dev/null"]' "$T/out"
	grep -q -a -F '[conslet: invalid console name: "pbx;sh"]' "$T/out"
	[ "$(grep -a -o 'invalid console name' "$T/out" | wc -l)" = 4 ]
	[ "$(cat "$T/pbx.rec")" = ok ]
}

@test "-m: control bytes in an answer are shown escaped, and five wrong answers end it" {
	printf 'a\033[2Jb\n-f pbx\nx2\nx3\nx4\npbx\n' >"$T/input"
	run run_menu <"$T/input"
	[ "$status" = 64 ]
	[[ $output == *'invalid console name: "a\033[2Jb"'* ]]
	[[ $output == *'[conslet: 5 wrong answers: bye]'* ]]
	[[ $output != *$'\033'* ]]
}

@test "-m: no answer in time (-i) is told, and the client let go" {
	start_guest pbx
	menu_client c -i 1
	client_wait_eof c
	grep -q -a -F "[conslet: no console chosen in 1 s]" "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
}

@test "-m: a client that leaves at the prompt leaves nothing behind" {
	start_guest pbx
	menu_client c
	client_close c
	[ "$(session_status 1)" = 0 ]
	[ -z "$(ls "$T/run")" ] || [ -z "$(find "$T/run" -type f -size +0)" ]
}

@test "-m: a busy console is refused as by name" {
	start_guest pbx
	serve pbx
	client_start holder "$PORT"
	menu_client c
	client_send c $'pbx\n'
	client_wait_eof c
	grep -q -a -F "[conslet: pbx is in use by 127.0.0.1:" "$T/c.recv"
	[ "$(session_status 1)" = 75 ]
}

@test "-m -r: a viewer chooses a logged console and watches it" {
	start_guest pbx
	start_logger pbx
	menu_client v -r
	client_send v $'pbx\n'
	wait_who pbx 1
	guest_print pbx "hello viewer"
	wait_file_contains "$T/v.recv" "hello viewer"
	client_send v "typed"
	guest_print pbx "sync"
	wait_file_contains "$T/v.recv" "sync"
	not _contains "$T/pbx.rec" "typed"
}

@test "-m -t: telnet commands at the prompt are skipped, CR NUL ends the answer" {
	start_guest pbx
	menu_client c -t
	# IAC DO ECHO, IAC WILL NAWS, IAC SB NAWS 0 80 0 24 IAC SE, then pbx CR NUL
	printf '\377\375\001\377\373\037\377\372\037\000\120\000\030\377\360pbx\r\000' >"$T/answer"
	client_send_file c "$T/answer"
	wait_file_contains "$SERVER_ERR" "pbx: attached by"
	client_send c "abc"
	wait_file_contains "$T/pbx.rec" "abc"
	printf abc >"$T/want"
	assert_same_bytes "$T/want" "$T/pbx.rec"
	# and then the usual telnet negotiation: WILL ECHO
	wait_for grep -q -a -F $'\377\373\001' "$T/c.recv"
}

@test "ssh: the console comes from SSH_ORIGINAL_COMMAND, names only" {
	start_guest pbx
	printf 'hi' >"$T/input"
	env SSH_ORIGINAL_COMMAND=pbx CONSLET_TESTDIR="$T" timeout "$WAIT_TIMEOUT" \
	    "$CONSLET" -C "$T/consoles" -R "$T/run" "${UUCP_OPTS[@]}" -m \
	    <"$T/input" >"$T/out" 2>/dev/null
	[ "$(cat "$T/pbx.rec")" = hi ]
	if grep -a -n "console (" "$T/out"; then
		echo "expected no prompt with SSH_ORIGINAL_COMMAND set, got one" >&2
		return 1
	fi
	for bad in /dev/null ../pbx "pbx -f" '-f' 'pbx;sh' '$(id)'; do
		run env SSH_ORIGINAL_COMMAND="$bad" "$CONSLET" -C "$T/consoles" \
		    -R "$T/run" -m </dev/null
		echo "$bad: $status $output"
		[ "$status" = 64 ]
		[[ $output == *"invalid console name"* ]]
	done
	run env SSH_ORIGINAL_COMMAND='?' "$CONSLET" -C "$T/consoles" -R "$T/run" -m </dev/null
	[ "$status" = 0 ]
	[[ $output == *"  pbx "*free* ]]
}

@test "-m and -H: bad combinations are usage errors" {
	for args in "-m pbx" "-m -l" "-H pbx" "-H -m"; do
		# shellcheck disable=SC2086
		run "$CONSLET" -C "$T/consoles" -R "$T/run" $args </dev/null
		echo "$args: $status $output"
		[ "$status" = 64 ]
		[[ $output == *usage:* ]]
	done
}

@test "-l -H: one tab-separated line per console, fields as documented" {
	start_guest pbx
	start_guest util
	start_guest web
	ln -s /nonexistent "$T/consoles/gone"
	: >"$T/consoles/plain"
	serve pbx
	client_start a "$PORT"
	hpid=$(session_pid 1)
	hport=$(client_lport a)
	wait_for _script_has pbx busy
	start_logger util
	serve -r util
	client_start v "$PORT"
	wait_who util 1
	lpid=$LOGGER_PID
	run "$CONSLET" -C "$T/consoles" -R "$T/run" -l -H
	[ "$status" = 0 ]
	printf '%s\n' "$output" | cat -A
	[ "${#lines[@]}" = 5 ]
	# no logger: its six counters are "-"
	none=$'\t-\t-\t-\t-\t-\t-'
	[ "${lines[0]}" = "gone"$'\t'"/nonexistent"$'\t'"missing"$'\t-\t-\t-\t-\t0'"$none" ]
	[[ ${lines[1]} =~ ^pbx$'\t'/dev/pts/[0-9]+$'\t'busy$'\t'$hpid$'\t'127\.0\.0\.1:$hport$'\t'[0-9]{10}$'\t-\t0'"$none"$ ]]
	[ "${lines[2]}" = "plain"$'\t'"$T/consoles/plain"$'\t'"notty"$'\t-\t-\t-\t-\t0'"$none" ]
	# logged: bytes, last output, clients, skipped, dropped, present since
	[[ ${lines[3]} =~ ^util$'\t'/dev/pts/[0-9]+$'\t'free$'\t-\t-\t-\t'$lpid$'\t'1$'\t'[0-9]+$'\t'(-|[0-9]{10})$'\t'[0-9]+$'\t'0$'\t'0$'\t'[0-9]{10}$ ]]
	[[ ${lines[4]} =~ ^web$'\t'/dev/pts/[0-9]+$'\t'free$'\t-\t-\t-\t-\t'0"$none"$ ]]
	# the since field is the holder's start, in seconds since the epoch
	since=$(cut -f6 <<<"${lines[1]}")
	now=$(date +%s)
	[ "$since" -le "$now" ] && [ "$since" -gt $((now - 600)) ]
}
