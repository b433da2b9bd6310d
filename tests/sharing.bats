#!/usr/bin/env bats
# Shared consoles: with a logger, one writer and any number of read-only
# viewers; joins and leaves announced; -f and ~f take write access; ~w and
# conslet -l tell who is there; what a read-only client may and may not do.

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

TIME='[0-9]{2}:[0-9]{2}:[0-9]{2}'

@test "with a logger a second client joins read-only; only the writer's typing reaches the guest" {
	start_guest pbx
	start_logger pbx
	serve_as s pbx
	client_start a "$PORT"
	wait_who pbx 1
	apid=$(session_pid 1)
	apeer=$(re_quote "$(peer_of a)")
	client_start b "$PORT"
	wait_file_contains "$T/b.recv" "[conslet: read-only: "
	has_line "$T/b.recv" "\[conslet: read-only: pbx is in use by $apeer \(pid $apid\) since $TIME\]"
	wait_who pbx 2
	type_sync b "from b"
	type_sync a "from a"
	guest_got pbx 'from a\r'
	guest_print pbx $'for both\r\n'
	wait_file_contains "$T/a.recv" $'for both\r\n'
	wait_file_contains "$T/b.recv" $'for both\r\n'
	_alive "$(session_pid 2)"
}

@test "-r joins read-only on a free console; without a logger -r is refused (75)" {
	start_guest pbx
	start_logger pbx
	serve_as r -r pbx
	serve_as w pbx
	client_start v "$PORT_r"
	wait_who pbx 1
	on_server r
	vpid=$(session_pid 1)
	vpeer=$(re_quote "$(peer_of v)")
	type_sync v "from v"
	has_line "$T/v.recv" "\[conslet: pbx: viewer $vpeer \(pid $vpid\) since $TIME \(you\)\]"
	# the writer's place is still free
	client_start a "$PORT_w"
	wait_who pbx 2
	type_sync a "from a"
	has_line "$T/a.recv" "\[conslet: pbx: writer .* \(you\)\]"
	not grep -q -a -F "read-only" "$T/a.recv"
	guest_got pbx 'from a\r'
	# no logger for this one
	start_guest util
	serve_as u -r util
	client_start x "$PORT_u"
	client_wait_eof x
	printf '[conslet: util: read-only access needs conslog, and none runs]\r\n' >"$T/want"
	assert_same_bytes "$T/want" "$T/x.recv"
	[ "$(session_status 1)" = 75 ]
}

@test "the other clients are told of each join and leave" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	serve_as r -r pbx
	client_start v "$PORT_r"
	wait_who pbx 1
	client_start a "$PORT_w"
	apeer=$(peer_of a)
	wait_file_contains "$T/v.recv" "[conslet: $apeer joined]"$'\r\n'
	client_start b "$PORT_r"
	bpeer=$(peer_of b)
	wait_file_contains "$T/a.recv" "[conslet: $bpeer joined (read-only)]"$'\r\n'
	wait_file_contains "$T/v.recv" "[conslet: $bpeer joined (read-only)]"$'\r\n'
	# busy: this one is read-only too, without asking
	client_start c "$PORT_w"
	cpeer=$(peer_of c)
	wait_file_contains "$T/a.recv" "[conslet: $cpeer joined (read-only)]"$'\r\n'
	wait_file_contains "$T/b.recv" "[conslet: $cpeer joined (read-only)]"$'\r\n'
	client_close b
	wait_file_contains "$T/a.recv" "[conslet: $bpeer left]"$'\r\n'
	wait_file_contains "$T/v.recv" "[conslet: $bpeer left]"$'\r\n'
	wait_file_contains "$T/c.recv" "[conslet: $bpeer left]"$'\r\n'
	client_close a
	wait_file_contains "$T/v.recv" "[conslet: $apeer left]"$'\r\n'
	wait_file_contains "$T/c.recv" "[conslet: $apeer left]"$'\r\n'
	wait_who pbx 2
}

@test "-f with a logger: the holder is told and becomes read-only" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	serve_as f -f pbx
	client_start a "$PORT_w"
	wait_who pbx 1
	on_server w
	apid=$(session_pid 1)
	apeer=$(peer_of a)
	client_start b "$PORT_f"
	bpeer=$(peer_of b)
	wait_file_contains "$T/a.recv" "[conslet: write access taken by $bpeer]"$'\r\n'
	type_sync a "from a"
	has_line "$T/a.recv" "\[conslet: pbx: viewer $(re_quote "$apeer") \(pid $apid\) since $TIME \(you\)\]"
	type_sync b "from b"
	has_line "$T/b.recv" "\[conslet: pbx: writer $(re_quote "$bpeer") .* \(you\)\]"
	guest_got pbx 'from b\r'
	guest_print pbx $'for both\r\n'
	wait_file_contains "$T/a.recv" $'for both\r\n'
	wait_file_contains "$T/b.recv" $'for both\r\n'
	wait_listed pbx "in use by $(re_quote "$bpeer") .*"
}

@test "-f without a logger: the holder is told and disconnected" {
	start_guest pbx
	serve_as w pbx
	serve_as f -f pbx
	client_start a "$PORT_w"
	wait_listed pbx "in use by .*"
	client_start b "$PORT_f"
	bpeer=$(peer_of b)
	wait_file_contains "$T/a.recv" "[conslet: write access taken by $bpeer]"$'\r\n'
	client_wait_eof a
	on_server w
	echo "the holder's session ended with status $(session_status 1)"
	type_sync b "from b"
	guest_got pbx 'from b\r'
	guest_print pbx $'to the new writer\r\n'
	wait_file_contains "$T/b.recv" $'to the new writer\r\n'
	wait_listed pbx "in use by $(re_quote "$bpeer") .*"
}

@test "~f takes write access for a client that joined read-only" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	client_start a "$PORT_w"
	wait_who pbx 1
	client_start b "$PORT_w"
	bpeer=$(peer_of b)
	wait_file_contains "$T/b.recv" "[conslet: read-only: "
	client_send b '~f'
	wait_file_contains "$T/a.recv" "[conslet: write access taken by $bpeer]"$'\r\n'
	type_sync b "from b"
	type_sync a "from a"
	has_line "$T/b.recv" "\[conslet: pbx: writer $(re_quote "$bpeer") .* \(you\)\]"
	guest_got pbx 'from b\r'
	guest_print pbx $'for both\r\n'
	wait_file_contains "$T/a.recv" $'for both\r\n'
	wait_file_contains "$T/b.recv" $'for both\r\n'
}

@test "~f is refused, with a notice, for a client started with -r" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	serve_as r -r pbx
	client_start a "$PORT_w"
	client_start v "$PORT_r"
	wait_who pbx 2
	apeer=$(peer_of a)
	off=$(_file_size "$T/v.recv")
	client_send v '~f'
	wait_contains_after "$T/v.recv" "$off" "[conslet: "
	echo "the answer to ~f: $(tail -c +"$((off + 1))" "$T/v.recv")"
	type_sync v "from v"
	type_sync a "from a"
	guest_got pbx 'from a\r'
	not grep -q -a -F "write access taken" "$T/a.recv" "$T/v.recv"
	has_line "$T/v.recv" "\[conslet: pbx: writer $(re_quote "$apeer") .*\]"
	has_line "$T/v.recv" "\[conslet: pbx: viewer .* \(you\)\]"
}

@test "~w lists the writer and the viewers; conslet -l lists them too" {
	start_guest pbx
	start_logger pbx
	wait_listed pbx 'free \(logged\)'
	serve_as w pbx
	serve_as r -r pbx
	client_start a "$PORT_w"
	client_start v1 "$PORT_r"
	client_start v2 "$PORT_w"
	wait_who pbx 3
	on_server w
	apid=$(session_pid 1)
	v2pid=$(session_pid 2)
	on_server r
	v1pid=$(session_pid 1)
	apeer=$(re_quote "$(peer_of a)")
	v1peer=$(re_quote "$(peer_of v1)")
	v2peer=$(re_quote "$(peer_of v2)")
	client_send a '~w'
	wait_for _who_lines "$T/a.recv" 3
	has_line "$T/a.recv" "\[conslet: pbx: writer $apeer \(pid $apid\) since $TIME \(you\)\]"
	has_line "$T/a.recv" "\[conslet: pbx: viewer $v1peer \(pid $v1pid\) since $TIME\]"
	has_line "$T/a.recv" "\[conslet: pbx: viewer $v2peer \(pid $v2pid\) since $TIME\]"
	client_send v1 '~w'
	wait_for _who_lines "$T/v1.recv" 3
	has_line "$T/v1.recv" "\[conslet: pbx: writer $apeer \(pid $apid\) since $TIME\]"
	has_line "$T/v1.recv" "\[conslet: pbx: viewer $v1peer \(pid $v1pid\) since $TIME \(you\)\]"
	has_line "$T/v1.recv" "\[conslet: pbx: viewer $v2peer \(pid $v2pid\) since $TIME\]"
	wait_listed pbx "in use by $apeer \(pid $apid\) since $TIME, 2 viewers \(logged\)"
	# a line for each viewer under the console's, with address and time
	run "$CONSLET" -C "$T/consoles" -R "$T/run" -l
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^pbx\  ]]
	[[ "${lines[2]}" =~ ^\ {42}viewer\ ($v1peer|$v2peer)\ \(pid\ ($v1pid|$v2pid)\)\ since\ $TIME$ ]]
	[[ "${lines[3]}" =~ ^\ {42}viewer\ ($v1peer|$v2peer)\ \(pid\ ($v1pid|$v2pid)\)\ since\ $TIME$ ]]
	[ "${lines[2]}" != "${lines[3]}" ]
	[ "${#lines[@]}" -eq 4 ]
	client_close a
	wait_listed pbx "free, 2 viewers \(logged\)"
	[ ! -s "$T/pbx.rec" ]
}

# _who_lines FILE N: FILE holds at least N lines of a ~w answer.
_who_lines() {
	[ "$(grep -a -c -E '^\[conslet: pbx: (writer|viewer) ' "$1")" -ge "$2" ]
}

@test "a read-only client's ~. ~? ~w ~r work; ~B sends no BREAK" {
	start_guest pbx
	start_logger pbx
	serve_as w pbx
	serve_nobreak serve_as r -r pbx
	client_start a "$PORT_w"
	client_start v "$PORT_r"
	wait_who pbx 2
	guest_print pbx $'earlier output\r\n'
	wait_file_contains "$T/v.recv" $'earlier output\r\n'
	client_send v '~?'
	wait_file_contains "$T/v.recv" "[conslet: ~.  disconnect]"$'\r\n'
	client_send v '~w'
	wait_file_contains "$T/v.recv" "(you)]"$'\r\n'
	has_line "$T/v.recv" "\[conslet: pbx: viewer .* \(you\)\]"
	client_send v '~r'
	wait_for _count_is "$T/v.recv" $'earlier output\r\n' 2
	off=$(_file_size "$T/v.recv")
	client_send v '~B'
	wait_contains_after "$T/v.recv" "$off" "[conslet: "
	answer=$(tail -c +"$((off + 1))" "$T/v.recv")
	echo "the answer to ~B: $answer"
	[[ "$answer" == *"[conslet: "*"not allowed"*"]"* ]]
	[[ "$answer" != *"BREAK sent"* ]]
	client_send v '~.'
	wait_file_contains "$T/v.recv" "[conslet: disconnected]"$'\r\n'
	on_server r
	[ "$(session_status 1)" = 0 ]
	[ ! -e "$T/breaks" ]
	# no BREAK, no CR ~ ^B, no escape byte: the guest got nothing
	[ ! -s "$T/pbx.rec" ]
	type_sync a "writer still here"
	guest_got pbx 'writer still here\r'
}
