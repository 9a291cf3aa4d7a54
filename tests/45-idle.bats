#!/usr/bin/env bats
# 45-idle: a side that waits spins only briefly, then really sleeps.
#
# These measure CPU time over a fixed window; the window is a measurement,
# not synchronisation (every state is reached with wait_until first).

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }
setup() { shmcat_setup; }
teardown() { shmcat_teardown; }

# cpu_ticks PID: user + system time in clock ticks.
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	read -r -a f <<<"$stat"
	# fields after "pid (comm) ": state=0 ... utime=11 stime=12
	echo $((f[11] + f[12]))
}

# assert_idle PID WHAT: over 3 s, PID uses under 1% of a core.
assert_idle() {
	local hz before after window=3
	hz=$(getconf CLK_TCK)
	before=$(cpu_ticks "$1")
	sleep "$window"
	after=$(cpu_ticks "$1")
	# 1% of a core over the window, in ticks: window * hz / 100.
	((after - before <= window * hz / 100)) && return 0
	_fail "$2 is not idle" "expected: at most $((window * hz / 100)) ticks in ${window}s" \
		"actual:   $((after - before)) ticks"
}

@test "a reader waiting on an empty ring uses under 1% of a core" {
	spawn "$SHMCAT_OUT" "$R"
	local pid
	pid=$(child_of "$BG_PID")
	wait_until ring_is "$R" readers_alive 1
	assert_idle "$pid" "the waiting reader"
	kill -TERM "$pid"
	assert_job "$BG_PID" 143 "reader stopped by SIGTERM"
	assert_no_ring "$R"
}

@test "a writer waiting on a full ring uses under 1% of a core" {
	spawn "$SHMCAT_IN" -s 4K "$R" </dev/zero
	local pid
	pid=$(child_of "$BG_PID")
	wait_until ring_full "$R"
	assert_idle "$pid" "the waiting writer"
	kill -TERM "$pid"
	assert_job "$BG_PID" 143 "writer stopped by SIGTERM"
	expect_left "$R"
}
