#!/usr/bin/env bats
# Hostile and careless clients: one that floods the -m prompt and never
# reads, one that half-closes, a terminal that stops reading, a flood of
# BREAKs; and a log that outgrows the file size limit.

setup() {
	load helpers
	load logger
	common_setup
}

teardown() {
	common_teardown
}

@test "conslog survives a log past the file size limit, and counts the loss" {
	require prlimit
	start_guest pbx
	start_logger pbx
	prlimit --pid "$LOGGER_PID" --fsize=65536
	before=$(_file_size "$LOGGER_LOG")
	numbered_lines "$T/big" 2000 big	# 122,000 bytes
	guest_print_file pbx "$T/big"
	wait_file_contains "$LOGGER_ERR" "File too large"
	_alive "$LOGGER_PID"
	[ "$(_file_size "$LOGGER_LOG")" = 65536 ]
	# once the log is rotated, the new one says what the old one missed
	mv "$LOGGER_LOG" "$LOGGER_LOG.0"
	kill -HUP "$LOGGER_PID"
	wait_for test -e "$LOGGER_LOG"
	guest_print pbx "after"
	wait_file_contains "$LOGGER_LOG" "after"
	lost=$((before + 122000 - 65536))
	grep -q -F "[conslog: $lost bytes lost: File too large]" "$LOGGER_LOG"
	_alive "$LOGGER_PID"
}
