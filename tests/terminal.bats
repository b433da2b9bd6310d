#!/usr/bin/env bats
# conslet run by hand in a terminal (here a tmux pane): raw for the session,
# restored on every way out.

setup() {
	load lib/helpers
	common_setup
	require tmux
	SOCK=$T/tmux.sock
}

teardown() {
	[ -S "${SOCK:-}" ] && tmux -S "$SOCK" kill-server 2>/dev/null
	common_teardown
}

# in_pane CMD: run CMD in a new detached tmux pane; its server is tracked.
in_pane() {
	env CONSLET_TESTDIR="$T" TERM=xterm tmux -S "$SOCK" -f /dev/null \
	    new-session -d -s t -x 100 -y 30 "$1" 3>&-
	track_pid "$(tmux -S "$SOCK" display -p '#{pid}')"
	PANE_TTY=$(tmux -S "$SOCK" display -p -t t '#{pane_tty}')
}

# local_session: conslet on console pbx in a pane, saving the terminal's
# settings before and after, and its exit status.
local_session() {
	start_guest pbx
	in_pane "stty -g >'$T/before'; '$CONSLET' -C '$T/consoles' -R '$T/run' -U '$T/lock' pbx; echo \$? >'$T/status'; stty -g >'$T/after'; exec sleep 2147483647"
	wait_for _in_use
	CONSLET_PID=$(sed -n 's/^pid //p' "$T"/run/dev.*.w)
}

# _in_use: the session holds the console.
_in_use() {
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l | grep -q "^pbx .* in use by "
}

# _pane_shows TEXT: the pane's screen contains TEXT.
_pane_shows() {
	tmux -S "$SOCK" capture-pane -p -t t | grep -q -F -- "$1"
}

@test "the terminal is raw during the session and restored after ~." {
	local_session
	# the holder is the local user on the pane's terminal
	"$CONSLET" -C "$T/consoles" -R "$T/run" -l |
	    grep -q -F "in use by $(id -un) on $PANE_TTY (pid $CONSLET_PID)"
	during=$(stty -F "$PANE_TTY" -a)
	[[ "$during" == *" -icanon "* ]]
	[[ "$during" == *" -echo "* ]]
	[ "$(stty -F "$PANE_TTY" -g)" != "$(cat "$T/before")" ]
	# typing reaches the guest, Enter as CR
	tmux -S "$SOCK" send-keys -t t -l "uname"
	tmux -S "$SOCK" send-keys -t t Enter
	wait_file_contains "$T/pbx.rec" $'uname\r'
	tmux -S "$SOCK" send-keys -t t -l "~."
	wait_file_size "$T/after" 1
	[ "$(cat "$T/status")" = 0 ]
	[ "$(cat "$T/after")" = "$(cat "$T/before")" ]
	wait_for _pane_shows "[conslet: disconnected]"
}

@test "the terminal is restored after SIGTERM" {
	local_session
	kill -TERM "$CONSLET_PID"
	wait_file_size "$T/after" 1
	[ "$(cat "$T/status")" = 0 ]
	[ "$(cat "$T/after")" = "$(cat "$T/before")" ]
	wait_for _pane_shows "[conslet: terminated]"
}

@test "the terminal is restored after SIGHUP, as when ssh drops" {
	local_session
	kill -HUP "$CONSLET_PID"
	wait_file_size "$T/after" 1
	[ "$(cat "$T/after")" = "$(cat "$T/before")" ]
}

@test "the terminal is restored when the console goes away" {
	local_session
	guest_hangup pbx
	wait_file_size "$T/after" 1
	[ "$(cat "$T/status")" = 74 ]
	[ "$(cat "$T/after")" = "$(cat "$T/before")" ]
	wait_for _pane_shows "[conslet: console closed]"
}
