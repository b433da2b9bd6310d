#!/usr/bin/env bats
# How a session ends, each way there is: the client's last notice, the
# exit status and the word in the "detached by" message, each held against
# what conslet(8) says of it (DIAGNOSTICS for the notice and its status,
# the list under "detached by" for the word and its status).

# PORT_ID variables come from serve_as ID.
# shellcheck disable=SC2154

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
}

teardown() {
	common_teardown
}

MAN=$BATS_TEST_DIRNAME/../man/conslet.8

# man_notice_exit TEXT: the status DIAGNOSTICS gives for "[conslet: TEXT]".
man_notice_exit() {
	awk -v item=".It Li [conslet: $1]" '
	$0 == item { on = 1; next }
	on && /^\.It / { if (body) exit; next }
	on { body = body " " $0 }
	END { if (match(body, /exits [0-9]+/))
		print substr(body, RSTART + 6, RLENGTH - 6) }
	' "$MAN"
}

# man_word_exit WORD: the status the "detached by" list gives for WORD.
man_word_exit() {
	awk -v item=".It $1" '
	/detached by/ { list = 1 }
	list && $0 == item { on = 1; next }
	on && /^\.(It|El)/ { exit }
	on && match($0, /\(exit [0-9]+\)/) {
		print substr($0, RSTART + 6, RLENGTH - 7); exit }
	' "$MAN"
}

# ended WHY NOTICE: the session ended for WHY: the client was told NOTICE
# last ("" for no notice), conslet logged the word WHY, and its exit status
# is what the manual gives for both.
ended() {
	local why=$1 notice=$2 status word_st notice_st last
	status=$(session_status 1)
	echo "status $status"
	wait_file_contains "$SERVER_ERR" "detached by"
	grep -a "detached by" "$SERVER_ERR"
	grep -a -q -E "detached by 127\.0\.0\.1:[0-9]+ \($why\), [0-9]+ bytes in, [0-9]+ bytes out" "$SERVER_ERR"
	word_st=$(man_word_exit "$why")
	echo "conslet.8: \"$why\" exits $word_st"
	[ -n "$word_st" ]
	[ "$status" = "$word_st" ]
	last=$(grep -a -o '\[conslet: [^]]*\]' "$T/c.recv" | tail -n 1)
	echo "last notice: $last"
	if [ -z "$notice" ]; then
		return 0
	fi
	[ "$last" = "[conslet: $notice]" ]
	notice_st=$(man_notice_exit "$notice")
	echo "conslet.8: \"[conslet: $notice]\" exits $notice_st"
	[ -n "$notice_st" ]
	[ "$status" = "$notice_st" ]
}

@test "the client closes: 0, no notice, \"client closed\"" {
	session pbx
	type_sync c "hello"
	client_close c
	ended "client closed" ""
	not grep -a -q 'disconnected\|terminated' "$T/c.recv"
}

@test "~.: \"disconnected\" as the manual says, \"escape\"" {
	session pbx
	client_send c $'~.'
	client_wait_eof c
	ended "escape" "disconnected"
}

@test "-i: \"idle timeout\" as the manual says, \"idle\"" {
	session pbx -i 1
	client_wait_eof c
	ended "idle" "idle timeout"
}

@test "SIGTERM: \"terminated\" as the manual says, \"signal\"" {
	session pbx
	type_sync c "hello"
	kill -TERM "$(session_pid 1)"
	client_wait_eof c
	ended "signal" "terminated"
}

@test "the guest goes: \"console closed\" as the manual says, 74" {
	session pbx
	type_sync c "hello"
	guest_hangup pbx
	client_wait_eof c
	ended "console closed" "console closed"
}

@test "the logger stops: \"logger stopped\" as the manual says, 74" {
	start_guest pbx
	start_logger pbx
	serve pbx
	client_start c "$PORT"
	type_sync c "hello"
	kill -TERM "$LOGGER_PID"
	logger_wait_exit "$LOGGER_PID"
	client_wait_eof c
	ended "logger stopped" "logger stopped"
}

@test "write access taken without a logger: 0, \"write access taken\"" {
	start_guest pbx
	serve_as w pbx
	serve_as f -f pbx
	client_start c "$PORT_w"
	wait_listed pbx "in use by .*"
	client_start b "$PORT_f"
	wait_file_contains "$T/c.recv" "[conslet: write access taken by"
	client_wait_eof c
	on_server w
	ended "write access taken" ""
	grep -a -q -F "[conslet: write access taken by $(peer_of b)]" "$T/c.recv"
}
