#!/usr/bin/env bats
# 12-stdio: the ordinary ways a process is started and stopped.  A closed
# standard descriptor is never the ring; an ignored signal stays ignored;
# a caught one is acted on at once, even in the middle of read(2) or
# write(2), and the stream's end says what really happened; --hangup
# reaches a writer whose producer is idle.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
	seq 1 200000 >"$BATS_FILE_TMPDIR/seq"
	head -c 2M /dev/urandom >"$BATS_FILE_TMPDIR/rand2m"
	cc -shared -fPIC -o "$BATS_FILE_TMPDIR/sigshim.so" \
		"$BATS_TEST_DIRNAME/sigshim.c" -ldl
}

setup() {
	shmcat_setup
	SEQ=$BATS_FILE_TMPDIR/seq
	RAND=$BATS_FILE_TMPDIR/rand2m
}

teardown() {
	shmcat_teardown
}

# shim SIG WHERE: sets SHIM, a prefix that runs a command with
# tests/sigshim.c preloaded: it sends itself SIG at the moment WHERE
# names (see sigshim.c).  ASan builds want their runtime first; the shim
# does not mind.
SHIM=()
shim() {
	SHIM=(env SIGSHIM_SIG="$(kill -l "$1")" SIGSHIM_ON="$2"
		LD_PRELOAD="$BATS_FILE_TMPDIR/sigshim.so"
		ASAN_OPTIONS=verify_asan_link_order=0)
}

########################################
#  closed standard descriptors (1, 2)  #
########################################

@test "closed stdin: shmcat-in exits 1 naming the ring and creates nothing" {
	run -1 --separate-stderr tmo bash -c 'exec "$0" "$1" <&-' "$SHMCAT_IN" "$R"
	assert_stderr "^shmcat-in: $R: read: bad file descriptor"
	assert_no_ring "$R"
}

@test "a directory as stdin: shmcat-in exits 1 and creates nothing, as cat fails" {
	run -1 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T"
	assert_stderr "^shmcat-in: $R: read: is a directory$"
	assert_no_ring "$R"
}

@test "closed stdin: a waiting reader gets no byte of the ring, then the next writer's stream" {
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_exists "$R"

	run -1 --separate-stderr tmo bash -c 'exec "$0" "$1" <&-' "$SHMCAT_IN" "$R"
	assert_stderr "read: bad file descriptor"
	assert_equal "$(ring_kv "$R" state)" open "state after the failed writer"
	assert_size "$T/out" 0

	echo hello >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_job "$rp" 0 "shmcat-out"
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}

@test "closed stdout: shmcat-out exits 1, consumes nothing, and the ring stays whole" {
	spawn "$SHMCAT_IN" -s 64K "$R" <"$SEQ" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_full "$R"

	run -1 --separate-stderr tmo bash -c 'exec "$0" "$1" >&-' "$SHMCAT_OUT" "$R"
	assert_stderr "^shmcat-out: $R: write: bad file descriptor"
	run -1 --separate-stderr tmo bash -c 'exec "$0" --tap "$1" >&-' "$SHMCAT_OUT" "$R"
	assert_stderr "write: bad file descriptor"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "the next shmcat-out"
	assert_same_file "$T/out" "$SEQ"
	assert_job "$wp" 0 "shmcat-in"
	assert_no_ring "$R"
}

@test "closed stderr only silences messages: -v and --stats, nothing left behind" {
	run -0 --separate-stderr tmo bash -c \
		'seq 1000 | "$0" -v --stats "$1" 2>&-' "$SHMCAT_IN" "$R"
	run -0 --separate-stderr tmo bash -c \
		'"$0" -v --stats "$1" 2>&-' "$SHMCAT_OUT" "$R"
	assert_equal "$output" "$(seq 1000)"
	assert_no_ring "$R"
}

@test "shmcat status with stdout closed: exit 1, the ring untouched" {
	echo hi | tmo "$SHMCAT_IN" "$R"
	run -1 --separate-stderr tmo bash -c 'exec "$0" status "$1" >&-' "$SHMCAT" "$R"
	assert_stderr "^shmcat: write error: bad file descriptor"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" hi
	assert_no_ring "$R"
}

@test "the library never hands out descriptors 0-2, even when they are closed" {
	cat >"$T/lowfd.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "shmcat.h"

int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r;
	struct shmcat_bridge *b;
	int fd;

	(void)argc;
	close(0);
	close(1);
	close(2);
	if (shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 11;
	if (shmcat_bridge_open(r, 1, &b) != 0)
		return 12;
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			return 20 + fd; /* the library took a standard descriptor */
	shmcat_bridge_close(b);
	shmcat_close(w, SHMCAT_END);
	if (shmcat_wait_data(r, 1000) != SHMCAT_EOF)
		return 13;
	shmcat_close(r, SHMCAT_END);
	return 0;
}
C
	# (A sanitizer build's library needs its runtime in the program.)
	run -0 cc -std=c11 -Wall $TEST_LDFLAGS -I"$REPO/include" \
		-o "$T/lowfd" "$T/lowfd.c" "$SHMCAT_BIN/libshmcat.a" -lpthread
	run -0 tmo "$T/lowfd" "$R"
	assert_no_ring "$R"
}

##########################
#  ignored signals (4)   #
##########################

# survive_ignored SIG PREFIX...: a writer started under PREFIX (which
# leaves SIG ignored) takes SIG while streaming and goes on: the whole
# input arrives and both sides exit 0.
survive_ignored() {
	local sig=$1
	shift
	feed_open
	spawn "$@" "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(pid_named "$wp" shmcat-in)
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID

	feed "$RAND" 100000
	wait_until file_size_ge "$T/out" 100000
	kill "-$sig" "$wpid"
	# An ignored signal is dropped when it is sent: if the writer
	# caught it, it is already on its way out, and the rest never comes.
	tail -c +100001 "$RAND" >"$T/rest"
	feed "$T/rest"
	feed_close
	assert_job "$wp" 0 "shmcat-in after SIG$sig (ignored)"
	assert_job "$rp" 0 "shmcat-out"
	assert_same_file "$T/out" "$RAND"
	assert_no_ring "$R"
}

@test "nohup shmcat-in survives SIGHUP" {
	survive_ignored HUP nohup
}

@test "a writer started with SIGINT ignored (a background job of a script) survives SIGINT" {
	survive_ignored INT env --ignore-signal=INT
}

@test "a writer started with SIGTERM ignored survives SIGTERM" {
	survive_ignored TERM env --ignore-signal=TERM
}

@test "a reader started with SIGHUP ignored survives SIGHUP" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	spawn nohup "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID rpid
	rpid=$(pid_named "$rp" shmcat-out)

	feed "$RAND" 100000
	wait_until file_size_ge "$T/out" 100000
	kill -HUP "$rpid"
	tail -c +100001 "$RAND" >"$T/rest"
	feed "$T/rest"
	feed_close
	assert_job "$wp" 0 "shmcat-in"
	assert_job "$rp" 0 "shmcat-out after SIGHUP (ignored)"
	assert_same_file "$T/out" "$RAND"
	assert_no_ring "$R"
}

###############################################
#  a signal at the worst moment (4)           #
###############################################

@test "a signal just before the writer blocks on stdin is acted on at once: 143, reader 3" {
	feed_open
	shim TERM stdin
	spawn "${SHIM[@]}" "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID

	# No input ever comes: only the signal can end the writer.
	wait_until -t 5 pid_gone "$wp"
	assert_job "$wp" 143 "shmcat-in after SIGTERM"
	assert_job "$rp" 3 "shmcat-out"
	assert_size "$T/out" 0
	assert_file_match "$T/out.err" "interrupt"
	assert_no_ring "$R"
}

@test "a signal as input ends: the stream is marked interrupted, not ended" {
	echo partial >"$T/in"
	shim TERM eof
	spawn "${SHIM[@]}" "$SHMCAT_IN" "$R" <"$T/in" 2>"$T/in.err"
	local wp=$BG_PID
	assert_job "$wp" 143 "shmcat-in after SIGTERM"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 3 "shmcat-out"
	assert_same_file "$T/out" "$T/in"
	assert_stderr "interrupt"
	assert_no_ring "$R"
}

@test "a signal just before the reader blocks in write(2): 143 at once, the next reader resumes exactly" {
	spawn "$SHMCAT_IN" -s 64K "$R" <"$RAND" 2>"$T/in.err"
	local wp=$BG_PID
	mkfifo "$T/pipe"
	# The consumer stops after 100000 bytes, so the reader's writes to
	# the pipe soon cannot complete; the signal comes just before that.
	spawn bash -c 'exec <"$2"; head -c 100000 >"$1"; kill -STOP $$; cat >>"$1"' \
		_ "$T/out1" "$T/pipe"
	local cat=$BG_PID catpid
	catpid=$(child_of "$cat")
	shim TERM stdout
	spawn "${SHIM[@]}" "$SHMCAT_OUT" -s 64K "$R" >"$T/pipe" 2>"$T/out1.err"
	local rp=$BG_PID

	wait_until -t 5 pid_gone "$rp"
	assert_job "$rp" 143 "shmcat-out after SIGTERM"
	kill -CONT "$catpid"
	assert_job "$cat" 0 "the consumer"
	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "the second shmcat-out"
	assert_job "$wp" 0 "shmcat-in"
	cat "$T/out1" "$T/out2" >"$T/both"
	assert_same_file "$T/both" "$RAND"
	assert_no_ring "$R"
}

##########################################
#  --hangup reaches an idle writer (5)   #
##########################################

@test "--hangup ends a writer whose producer is idle within about a second: both exit 141" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	spawn bash -c 'set -o pipefail; "$1" --hangup "$2" | head -n 1 >"$3"' \
		_ "$SHMCAT_OUT" "$R" "$T/out" 2>"$T/out.err"
	local rp=$BG_PID

	echo first >&7
	wait_until file_size_ge "$T/out" 6
	# head has left; the producer stays idle (fd 7 stays open).
	local t0
	t0=$(now_us)
	wait_until -t 10 pid_gone "$rp"
	wait_until -t 10 pid_gone "$wp"
	assert_within "$t0" 3000 "the hangup reaching the idle writer"
	assert_job "$rp" 141 "shmcat-out --hangup | head"
	assert_job "$wp" 141 "shmcat-in"
	assert_equal "$(cat "$T/out")" first "output"
	assert_no_ring "$R"
}

# A regular file can block in read(2) too (tracefs, FUSE, NFS): the
# writer must still look around while it waits (adversary's D1, 2.1.0).
@test "--hangup reaches a writer whose regular-file stdin blocks (trace_pipe)" {
	local tp=/sys/kernel/tracing/trace_pipe
	[[ -r $tp ]] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	[[ -r $tp && -f $tp ]] ||
		skip "no readable tracefs trace_pipe here (a kernel facility, not a tool)"
	spawn "$SHMCAT_IN" "$R" <"$tp" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_is "$R" writer_alive 1
	hangup_reaches_writer "$wp" "the writer blocked on its file"
}

# hangup_reaches_writer JOB WHAT: a reader that hangs up at once (its
# stdout has no reader) ends the writer JOB with 141 within 3 s, and the
# ring goes.
hangup_reaches_writer() {
	local t0
	t0=$(now_us)
	run -141 --separate-stderr tmo bash -c \
		'exec "$0" --hangup "$1" > >(exec true)' "$SHMCAT_OUT" "$R"
	wait_until -t 10 pid_gone "$1"
	assert_within "$t0" 3000 "the hangup reaching $2"
	assert_job "$1" 141 "shmcat-in"
	assert_no_ring "$R"
}

@test "--hangup while the writer is idle: the writer exits 141 within about a second" {
	writer_fed
	hangup_reaches_writer "$WP" "the idle writer"
}
