#!/usr/bin/env bats
# Issue 12, everyday use: live progress, strict numbers, non-blocking
# pipes, odd objects at a ring's name, human sizes, JSON.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }
setup() { shmcat_setup; }
teardown() {
	[[ -n ${TMUX_SOCK:-} ]] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	shmcat_teardown
}

##############
#  progress  #
##############

# tmux_run CMD: run CMD in a detached tmux pane, then "exit=STATUS" on a
# line of its own.
tmux_run() {
	TMUX_SOCK=$T/tmux.sock
	tmux -S "$TMUX_SOCK" new-session -d -x 160 -y 10 "$1; echo exit=\$?; sleep 60" 3>&- 7>&-
}

pane() { tmux -S "$TMUX_SOCK" capture-pane -p; }

_pane_matches() { [[ $(pane) =~ $1 ]]; }

# The elapsed time the progress line shows, in seconds.
_elapsed() {
	local p
	p=$(pane)
	[[ $p =~ ([0-9]+):([0-9][0-9]):([0-9][0-9]) ]] || return 1
	echo $((10#${BASH_REMATCH[1]} * 3600 + 10#${BASH_REMATCH[2]} * 60 + 10#${BASH_REMATCH[3]}))
}

_elapsed_gt() {
	local e
	e=$(_elapsed) && ((e > $1))
}

# assert_ticking: the progress line is redrawn at least every second:
# its elapsed time moves on within 2 s, twice.
assert_ticking() {
	local e
	e=$(_elapsed) || _fail "no elapsed time in the pane: $(pane)"
	wait_until -t 2 _elapsed_gt "$e"
	e=$(_elapsed)
	wait_until -t 2 _elapsed_gt "$e"
}

@test "progress: shmcat-in draws at once and every second while input pauses" {
	feed_open
	local t0
	t0=$(now_us)
	tmux_run "timeout $TMO '$SHMCAT_IN' -p -s 64K '$R' <'$FEED'"
	wait_until -t 2 _pane_matches "shmcat-in: $R: 0\.0 B +0:00:0[0-9] +0\.0 B/s +ring +0% full"
	assert_within "$t0" 2000 "the first progress line"
	assert_ticking
	seq 1 1000 >"$T/in"
	feed "$T/in"
	wait_until -t 2 _pane_matches "shmcat-in: $R: 3\.8 KiB +[0-9]+:[0-9]{2}:[0-9]{2} +[0-9.]+ [KMG]?i?B/s +ring +5% full"
	feed_close
	# The last line is left clean: the final count, then the shell's
	# next output on a line of its own.
	wait_until -t 2 _pane_matches $'shmcat-in: '"$R"$': 3\\.8 KiB[^\n]*5% full *\nexit=0'
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "$(cat "$T/in")"
}

@test "progress: shmcat-out draws at once and every second while it waits" {
	local t0
	t0=$(now_us)
	tmux_run "timeout $TMO '$SHMCAT_OUT' -p -s 64K '$R' >'$T/out'"
	wait_until -t 2 _pane_matches "shmcat-out: $R: 0\.0 B +0:00:0[0-9] +0\.0 B/s +ring +0% full"
	assert_within "$t0" 2000 "the first progress line"
	assert_ticking
	seq 1 1000 >"$T/in"
	run -0 tmo "$SHMCAT_IN" "$R" <"$T/in"
	wait_until -t 2 _pane_matches $'shmcat-out: '"$R"$': 3\\.8 KiB[^\n]*full *\nexit=0'
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}
