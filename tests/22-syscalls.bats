#!/usr/bin/env bats
# 22-syscalls (issue 20): system calls that fail.  strace makes one call
# fail (-e inject=SYSCALL:error=ERRNO:when=N); each test checks that the
# program says which call failed and why, with the exit status that
# failure has, and that nothing is mistaken for something else: an
# EAGAIN for busy writers, a failed probe for a dead writer.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
}

setup() {
	shmcat_setup
	need strace
}

teardown() {
	shmcat_teardown
}

# LeakSanitizer refuses to run under ptrace: the sanitizer builds run
# these without it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# injected SYSCALL ERRNO WHEN CMD...: CMD (under tmo) with the WHEN-th
# call of SYSCALL (strace's syntax: 3, 3+, 2+2) failing with ERRNO.
injected() {
	local call=$1 errno=$2 when=$3
	shift 3
	tmo strace -f -qq -o /dev/null -e trace="$call" \
		-e inject="$call:error=$errno:when=$when" "$@"
}

# nth_call SYSCALL ERE CMD...: which call of SYSCALL (1, 2, ...) CMD
# makes first whose trace line matches ERE, for `injected`; CMD runs
# once under strace to count.  Fails if no call matches.
nth_call() {
	local call=$1 ere=$2 n
	shift 2
	tmo strace -qq -o "$T/count.st" -e trace="$call" "$@" >/dev/null 2>&1 || true
	n=$(grep "^$call(" "$T/count.st" | grep -n -E -m 1 "$ere" | cut -d: -f1)
	[[ -n $n ]] || _fail "no $call call matching $ere" "$(cat "$T/count.st")" || return
	echo "$n"
}

#########################################
#  EAGAIN while opening is no busy ring  #
#########################################

# Only a record writer's wait to join the others (bounded by -n or -t)
# can be "the other writers are busy"; EAGAIN from a call made while
# opening is that call's failure: exit 2, naming it.
@test "EAGAIN from ftruncate while creating: exit 2 naming the call, not busy writers" {
	local prog
	for prog in shmcat-in shmcat-out; do
		run -2 --separate-stderr injected ftruncate EAGAIN 1 \
			"$SHMCAT_BIN/$prog" "$R" </dev/null
		assert_stderr "^$prog: $R: ftruncate: Resource temporarily unavailable$"
		assert_not_match "$stderr" "busy|nonblock" "$prog's message"
		assert_no_ring "$R"
	done
}

@test "EAGAIN from mmap while shmcat status opens a ring: exit 2 naming the call" {
	run -0 tmo "$SHMCAT_IN" "$R" <<<"x"
	local n
	n=$(nth_call mmap MAP_SHARED "$SHMCAT" status "$R")
	run -2 --separate-stderr injected mmap EAGAIN "$n" "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: mmap: Resource temporarily unavailable$"
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}

###############################################
#  a failed liveness probe is no death         #
###############################################

# A reader with nothing left to read asks whether a writer holds the
# writer lock (F_OFD_GETLK on byte 1).  That probe failing says nothing
# about the writer: it must not be reported dead while it lives on.
@test "a failed probe of the writer's lock: the reader does not call a live writer dead" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID n
	wait_until ring_is "$R" writer_alive 1
	n=$(nth_call fcntl 'F_OFD_GETLK.*l_start=1,' "$SHMCAT_OUT" -n "$R")
	run -4 --separate-stderr injected fcntl EIO "$n" "$SHMCAT_OUT" -n "$R"
	assert_stderr "empty"
	assert_not_match "$stderr" "died" "the reader's message"
	# Every later probe failing too: the reader cannot tell, and says
	# so, rather than call the writer dead.
	run -1 --separate-stderr injected fcntl EIO "$n+" "$SHMCAT_OUT" -n "$R"
	assert_stderr "^shmcat-out: $R: waiting for data: Input/output error$"
	assert_not_match "$stderr" "died" "the reader's message"
	echo last >&7
	feed_close
	assert_job "$wp" 0 "shmcat-in"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" last
	assert_no_ring "$R"
}
