#!/usr/bin/env bats
# 32-lifecycle (issue 10): how a ring's life goes on when its processes
# come and go -- a writer restarted after a crash (stream generations),
# dead fan-out readers (reaping), observers racing a live stream, build
# files of creators that died, and a library that refuses calls that do
# not fit.  Processes are killed by their own pid, never via `timeout`.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
}

setup() {
	shmcat_setup
}

teardown() {
	shmcat_teardown
}

##########################
#  6. stream generations #
##########################

@test "writer restarted right after a SIGKILLed writer: the old reader ends 3 naming the dead pid, the new stream is apart" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID rpid
	rpid=$(child_of "$rp")
	printf 'old stream\n' >&7
	wait_until file_size_ge "$T/out" 11

	# The reader is caught up and cannot notice the death before the
	# new writer has come and gone: the window of a supervisor restart.
	kill -STOP "$rpid"
	kill -KILL "$wpid"
	assert_job "$wp" 137 "first writer after kill -9"
	feed_close
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"new stream"
	kill -CONT "$rpid"

	assert_job "$rp" 3 "reader of the dead stream"
	assert_equal "$(cat "$T/out")" "old stream" "the old reader's output"
	assert_file_match "$T/out.err" "died.*pid $wpid\\)"
	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "reader of the new stream"
	assert_equal "$(cat "$T/out2")" "new stream" "the new stream"
	assert_no_ring "$R"
}

@test "writer started right after a clean end: the old reader gets only the old stream, exit 0" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED"
	local wp=$BG_PID
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID rpid
	rpid=$(child_of "$rp")
	printf 'first\n' >&7
	wait_until file_size_ge "$T/out" 6
	kill -STOP "$rpid"
	feed_close
	assert_job "$wp" 0 "first writer"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"second"
	kill -CONT "$rpid"

	assert_job "$rp" 0 "reader of the first stream"
	assert_equal "$(cat "$T/out")" "first" "the first stream"
	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "reader of the second stream"
	assert_equal "$(cat "$T/out2")" "second" "the second stream"
	assert_no_ring "$R"
}

@test "a writer restarted after a crash never counts the dead: its clean end is a clean end" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	printf 'a\n' >&7
	wait_until file_size_ge "$T/out" 2
	kill -KILL "$wpid"
	assert_job "$wp" 137 "first writer"
	feed_close
	assert_job "$rp" 3 "reader of the dead stream"
	# Nothing unread: the ring is gone or reusable, and a new stream
	# ends cleanly for its reader.
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"b"
	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "reader of the new stream"
	assert_equal "$(cat "$T/out2")" "b"
	assert_no_ring "$R"
}

#####################################
#  7. dead cursors are reaped       #
#####################################

@test "a SIGKILLed fan-out reader does not keep a finished ring: it is removed, and reused" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED"
	local wp=$BG_PID
	spawn "$SHMCAT_OUT" "$R" >"$T/a"
	local ap=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	spawn "$SHMCAT_OUT" "$R" >"$T/b"
	local bp=$BG_PID bpid
	bpid=$(child_of "$bp")
	wait_until ring_is "$R" readers_alive 2
	printf 'one\n' >&7
	wait_until file_size_ge "$T/b" 4
	kill -STOP "$bpid"
	printf 'two\n' >&7
	wait_until file_size_ge "$T/a" 8
	kill -KILL "$bpid"
	wait_job "$bp"
	# The dead cursor holds nothing: status counts only the living.
	wait_until ring_is "$R" readers_alive 1
	assert_equal "$(ring_kv "$R" buffered)" 0 "bytes buffered for live readers"
	feed_close
	assert_job "$wp" 0 "writer"
	assert_job "$ap" 0 "surviving reader"
	assert_equal "$(cat "$T/a")" $'one\ntwo'
	assert_no_ring "$R"
}

@test "a stale ring left by a dead fan-out reader is reused by the next writer" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED"
	local wp=$BG_PID
	spawn "$SHMCAT_OUT" "$R" >"$T/a"
	local ap=$BG_PID apid
	apid=$(child_of "$ap")
	wait_until ring_is "$R" readers_alive 1
	spawn "$SHMCAT_OUT" "$R" >"$T/b"
	local bp=$BG_PID bpid
	bpid=$(child_of "$bp")
	wait_until ring_is "$R" readers_alive 2
	kill -STOP "$bpid"
	printf 'one\n' >&7
	wait_until file_size_ge "$T/a" 4
	# Both readers die: the default cursor is caught up, the anonymous
	# one is not, and its bytes are nobody's any more.
	kill -KILL "$bpid" "$apid" # a stopped process dies of it too
	wait_job "$bp"
	wait_job "$ap"
	feed_close
	assert_job "$wp" 0 "writer"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"next"
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0
	assert_equal "$(cat "$T/out")" "next"
	assert_no_ring "$R"
}

#############################################
#  10. observers never see false corruption #
#############################################

# slow: ten seconds of looking, by design
# bats test_tags=slow
@test "status and joining readers never report a live stream as corrupt" {
	spawn sh -c "yes 0123456789abcdef | '$SHMCAT_IN' -s 8K '$R'"
	local wp=$BG_PID
	wait_until ring_exists "$R"
	spawn "$SHMCAT_OUT" "$R" >/dev/null
	local rp=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	local round st t0
	t0=$(now_us)
	# Rounds for up to 10 s: the writer's own timeout is $TMO.
	for ((round = 0; $(now_us) - t0 < 10000000; round++)); do
		run --separate-stderr timeout 5 "$SHMCAT" status -k "$R"
		assert_status "$status" 0 "shmcat status, round $round ($stderr)"
		timeout 5 "$SHMCAT_OUT" -n "$R" 2>"$T/err" | head -c 65536 >/dev/null
		st=${PIPESTATUS[0]}
		[[ $st == 0 || $st == 141 || $st == 4 ]] ||
			_fail "joining reader, round $round: exit $st: $(cat "$T/err")"
		assert_not_match "$(cat "$T/err")" "corrupt" "joining reader, round $round"
	done
	assert_ring "$R"
	kill -TERM "$(child_of "$rp")"
	wait_job "$rp"
	kill -TERM "$(pid_named "$wp" shmcat-in)"
	wait_job "$wp"
	run -0 tmo "$SHMCAT" rm "$R"
}

# A stream that moves as fast as it can in two threads, and observers
# that look at it as often as they can from a third.
write_observer_c() {
	cat >"$T/observer.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "shmcat.h"

static struct shmcat_ring *w, *r;
static volatile int stop;

static void *writer(void *a)
{
	void *p;
	size_t n;

	(void)a;
	while (!stop)
		if ((n = shmcat_write_span(w, &p)) > 0)
			shmcat_write_commit(w, n < 7 ? n : 7);
	return NULL;
}

static void *reader(void *a)
{
	const void *p;
	size_t n;

	(void)a;
	while (!stop)
		if ((n = shmcat_read_span(r, &p)) > 0)
			shmcat_read_commit(r, n < 5 ? n : 5);
	return NULL;
}

int main(int argc, char **argv)
{
	struct shmcat_opts wo = {.role = SHMCAT_WRITER, .size = 4096};
	struct shmcat_opts ro = {.role = SHMCAT_READER};
	struct shmcat_opts io = {.role = SHMCAT_INSPECT};
	struct shmcat_status st;
	struct shmcat_ring *x;
	pthread_t t1, t2;
	time_t end = time(NULL) + 2;
	long looks = 0, bad = 0;
	int i, rc;

	(void)argc;
	if (shmcat_open(argv[1], &wo, &w, NULL) || shmcat_open(argv[1], &ro, &r, NULL))
		return 2;
	pthread_create(&t1, NULL, writer, NULL);
	pthread_create(&t2, NULL, reader, NULL);
	while (time(NULL) < end) {
		if (shmcat_open(argv[1], &io, &x, NULL) != 0) {
			bad++;
			continue;
		}
		for (i = 0; i < 20000; i++)
			bad += shmcat_status(x, &st) != 0;
		shmcat_close(x, SHMCAT_ABANDON);
		ro.flags = looks % 2 ? SHMCAT_O_NEW : 0;
		if ((rc = shmcat_open(argv[1], &ro, &x, NULL)) == 0)
			shmcat_close(x, SHMCAT_END);
		bad += rc != 0;
		looks++;
	}
	stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	shmcat_close(w, SHMCAT_END);
	shmcat_close(r, SHMCAT_END);
	printf("%ld false alarms in %ld looks\n", bad, looks);
	return bad != 0;
}
C
}

@test "observers never see a live stream as corrupt (threads, as often as they can look)" {
	write_observer_c
	run -0 cc -std=c11 -O2 -Wall -pthread -I"$REPO/include" -o "$T/observer" \
		"$T/observer.c" "$SHMCAT_BIN/libshmcat.a" -lpthread $TEST_LDFLAGS
	run --separate-stderr tmo "$T/observer" "$R"
	assert_status "$status" 0 "observer ($output)"
	assert_match "$output" "^0 false alarms"
	run tmo "$SHMCAT" rm "$R"
	assert_no_ring "$R"
}

@test "rm -f refuses a ring that live processes hold" {
	spawn "$SHMCAT_OUT" "$R"
	local reader=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	run -2 --separate-stderr tmo "$SHMCAT" rm -f "$R"
	assert_stderr "in use"
	assert_ring "$R"
	kill -TERM "$(child_of "$reader")"
	wait_job "$reader"
	# the reader was the last to leave a ring nobody wrote: it is gone
	assert_no_ring "$R"
}

###############################################
#  11. build files of creators that died      #
###############################################

@test "a dead creator's build file is listed, removable by rm, and swept by the next create" {
	dead_build "$R"
	run -0 --separate-stderr tmo "$SHMCAT" list -k
	assert_match "$output" "name=$BUILD state=abandoned"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$BUILD"
	[[ ! -e $SHMDIR/shmcat.$BUILD ]] || _fail "rm left the build file"

	dead_build "$R"
	run -0 --separate-stderr tmo "$SHMCAT_IN" -v "$R" <<<"x"
	assert_stderr "shm_unlink /shmcat.$BUILD: left by a creator that died"
	[[ ! -e $SHMDIR/shmcat.$BUILD ]] || _fail "create did not sweep the build file"
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}

@test "the next create sweeps a dead creator's build file without -v too" {
	dead_build "$R" 1f
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"x"
	[[ ! -e $SHMDIR/shmcat.$BUILD ]] || _fail "create did not sweep the build file"
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}

@test "rm of a build file name that is not there says there is no such ring" {
	dead_build "$R" 1f
	# list shows NAME~PID.NONCE; NAME~PID alone names no file.
	run -2 --separate-stderr tmo "$SHMCAT" rm "${BUILD%.1f}"
	assert_stderr "^shmcat: ${BUILD%.1f}: no such ring$"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$BUILD"
	[[ ! -e $SHMDIR/shmcat.$BUILD ]] || _fail "rm left the build file"
}

@test "a live creator's build file is neither swept nor removed" {
	# $$ is alive: its name stands for a creation in progress.
	head -c 12288 /dev/zero >"$SHMDIR/shmcat.$R~$$"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"x"
	[[ -e $SHMDIR/shmcat.$R~$$ ]] || _fail "a live creator's file was swept"
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R~$$"
	[[ -e $SHMDIR/shmcat.$R~$$ ]] || _fail "rm removed a live creator's file"
	rm -f "$SHMDIR/shmcat.$R~$$"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "ulimit -f below the ring size: exit 2 with a message, nothing left" {
	run -2 --separate-stderr tmo bash -c "ulimit -f 64; exec '$SHMCAT_IN' -s 1M '$R' </dev/null"
	assert_stderr "^shmcat-in: $R: .*(too large|limit)"
	assert_no_ring "$R"
	assert_equal "$(shm_list | grep -c "shmcat.$R" || true)" 0 "objects left"
}

####################################################
#  12. the library refuses calls that do not fit   #
####################################################

write_misuse_c() {
	cat >"$T/misuse.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "shmcat.h"

#define CHECK(c) do { if (!(c)) { printf("line %d: %s\n", __LINE__, #c); \
	return 1; } } while (0)

int main(int argc, char **argv)
{
	struct shmcat_opts w = {.role = SHMCAT_WRITER, .flags = SHMCAT_O_LINES};
	struct shmcat_opts rd = {.role = SHMCAT_READER};
	struct shmcat_ring *wr, *r, *x = NULL;
	struct shmcat_status st;
	const void *cp;
	void *p = &p;
	char buf[16];

	(void)argc;
	CHECK(shmcat_open(argv[1], &w, &wr, NULL) == 0);
	CHECK(shmcat_open(argv[1], &rd, &r, NULL) == 0);
	/* a reader handle cannot write */
	CHECK(shmcat_write_span(r, &p) == 0 && p == NULL);
	CHECK(shmcat_write_commit(r, 1) < 0);
	CHECK(shmcat_write_record(r, "x\n", 2, 0) < 0);
	CHECK(shmcat_wait_space(r, 0) < 0);
	/* a writer handle cannot read */
	CHECK(shmcat_read_span(wr, &cp) == 0);
	CHECK(shmcat_read_commit(wr, 1) < 0);
	CHECK(shmcat_wait_data(wr, 0) < 0);
	CHECK(shmcat_tap_read(wr, buf, sizeof(buf), NULL) < 0);
	/* a record writer writes records only, each with its terminator */
	CHECK(shmcat_write_record(wr, "no end", 6, 0) < 0);
	CHECK(shmcat_write_record(wr, "", 0, 0) < 0);
	CHECK(shmcat_write_span(wr, &p) == 0);
	CHECK(shmcat_write_commit(wr, 1) < 0);
	CHECK(shmcat_read_span(r, &cp) == 0);
	/* reader names the tools refuse */
	rd.reader_name = "a-name-that-is-much-longer-than-31-bytes";
	CHECK(shmcat_open(argv[1], &rd, &x, NULL) == -EINVAL && x == NULL);
	rd.reader_name = "bad/name";
	CHECK(shmcat_open(argv[1], &rd, &x, NULL) == -EINVAL && x == NULL);
	rd.reader_name = "";
	CHECK(shmcat_open(argv[1], &rd, &x, NULL) == -EINVAL && x == NULL);
	/* NULL pointers */
	rd.reader_name = NULL;
	CHECK(shmcat_open(NULL, &rd, &x, NULL) == -EINVAL);
	CHECK(shmcat_open(argv[1], &rd, NULL, NULL) == -EINVAL);
	CHECK(shmcat_write_span(NULL, &p) == 0);
	CHECK(shmcat_write_span(wr, NULL) == 0);
	CHECK(shmcat_write_commit(NULL, 0) < 0);
	CHECK(shmcat_write_record(NULL, "x\n", 2, 0) < 0);
	CHECK(shmcat_write_record(wr, NULL, 2, 0) < 0);
	CHECK(shmcat_wait_space(NULL, 0) < 0);
	CHECK(shmcat_read_span(NULL, &cp) == 0);
	CHECK(shmcat_read_span(r, NULL) == 0);
	CHECK(shmcat_read_commit(NULL, 0) < 0);
	CHECK(shmcat_wait_data(NULL, 0) < 0);
	CHECK(shmcat_tap_read(NULL, buf, 1, NULL) < 0);
	CHECK(shmcat_status(NULL, &st) < 0);
	CHECK(shmcat_status(r, NULL) < 0);
	CHECK(shmcat_list(NULL, NULL) < 0);
	CHECK(shmcat_capacity(NULL) == 0);
	CHECK(shmcat_name(NULL) == NULL);
	CHECK(shmcat_created(NULL) == 0);
	shmcat_counters(NULL, NULL);
	CHECK(shmcat_remove(NULL, 0, NULL) == -EINVAL);
	CHECK(shmcat_path(argv[1], NULL, 100) == -EINVAL);
	CHECK(shmcat_path(NULL, buf, sizeof(buf)) == -EINVAL);
	CHECK(shmcat_valid_name(NULL) == 0);
	CHECK(shmcat_object_size(NULL) == 0);
	CHECK(shmcat_hungup(NULL) == -EINVAL);
	CHECK(shmcat_bridge_open(NULL, 1, NULL) < 0);
	CHECK(shmcat_bridge_fd(NULL) < 0);
	CHECK(shmcat_bridge_rearm(NULL) < 0);
	/* nothing of the above reached the stream */
	CHECK(shmcat_write_record(wr, "ok\n", 3, 0) == 0);
	CHECK(shmcat_read_span(r, &cp) == 3 && memcmp(cp, "ok\n", 3) == 0);
	CHECK(shmcat_read_commit(r, 3) == 0);
	shmcat_close(wr, SHMCAT_END);
	CHECK(shmcat_wait_data(r, 0) == SHMCAT_EOF);
	shmcat_close(r, SHMCAT_END);
	puts("ok");
	return 0;
}
C
}

@test "the library refuses calls that do not fit the handle's role or limits, never crashes" {
	write_misuse_c
	run -0 cc -std=c11 -Wall -I"$REPO/include" -o "$T/misuse" "$T/misuse.c" \
		"$SHMCAT_BIN/libshmcat.a" -lpthread $TEST_LDFLAGS
	run --separate-stderr tmo "$T/misuse" "$R"
	assert_status "$status" 0 "misuse test ($output)"
	assert_equal "$output" "ok"
	assert_no_ring "$R"
}

###############################################
#  8. a record writer joining a busy ring      #
###############################################

# in_lock_wait PID: PID sleeps in futex(2) (the commit lock).
in_lock_wait() {
	local call
	read -r call _ 2>/dev/null <"/proc/$1/syscall" || return 1
	[[ $call == 202 ]]
}

# busy_record_ring: a --lines writer ($A, pid $apid) blocked on a full
# 4K ring, holding the commit lock while it waits for space.
busy_record_ring() {
	local i
	for ((i = 0; i < 800; i++)); do
		echo "a line of the first writer, number $i"
	done >"$T/a.in"
	feed_open
	spawn "$SHMCAT_IN" --lines -s 4K "$R" <"$FEED"
	A=$BG_PID
	apid=$(child_of "$A")
	timeout "$TMO" cat "$T/a.in" >&7 &
	FEEDER=$!
	wait_until ring_nearly_full "$R"
}

# ring_nearly_full NAME: no room for another line of busy_record_ring.
ring_nearly_full() {
	local cap buf
	cap=$(ring_kv "$1" capacity)
	buf=$(ring_kv "$1" buffered)
	[[ -n $cap && -n $buf ]] && ((buf + 64 > cap))
}

@test "a record writer joining a busy ring with -n: exit 4 at once, not a wait without end" {
	busy_record_ring
	run -4 --separate-stderr timeout 5 "$SHMCAT_IN" --lines -n "$R" <<<"joiner"
	assert_stderr "^shmcat-in: $R: "
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local rp=$BG_PID
	wait "$FEEDER"
	feed_close
	assert_job "$A" 0 "first writer"
	assert_job "$rp" 0 "reader"
	assert_same_file "$T/out" "$T/a.in"
	assert_no_ring "$R"
}

@test "a record writer joining a busy ring with -t 1: exit 4 after about a second" {
	busy_record_ring
	local t0
	t0=$(now_us)
	run -4 --separate-stderr timeout 10 "$SHMCAT_IN" --lines -t 1 "$R" <<<"joiner"
	assert_within "$t0" 4000 "giving up on -t 1"
	assert_stderr "timed out"
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local rp=$BG_PID
	wait "$FEEDER"
	feed_close
	assert_job "$A" 0 "first writer"
	assert_job "$rp" 0 "reader"
	assert_same_file "$T/out" "$T/a.in"
	assert_no_ring "$R"
}

@test "SIGINT to a record writer waiting to join: exit 130, not an attach error" {
	busy_record_ring
	spawn env --default-signal=INT "$SHMCAT_IN" --lines "$R" <<<"joiner" 2>"$T/b.err"
	local bp=$BG_PID bpid
	bpid=$(pid_named "$bp" shmcat-in)
	wait_until in_lock_wait "$bpid"
	kill -INT "$bpid"
	assert_job "$bp" 130 "interrupted joiner"
	assert_not_match "$(cat "$T/b.err")" "attach" "joiner's message"
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local rp=$BG_PID
	wait "$FEEDER"
	feed_close
	assert_job "$A" 0 "first writer"
	assert_job "$rp" 0 "reader"
	assert_same_file "$T/out" "$T/a.in"
	assert_no_ring "$R"
}

@test "a joiner that dies as the last writer leaves cannot hide the end of the stream" {
	busy_record_ring
	spawn "$SHMCAT_IN" --lines "$R" <<<"joiner"
	local bp=$BG_PID bpid
	bpid=$(child_of "$bp")
	wait_until in_lock_wait "$bpid"
	kill -STOP "$bpid"
	# The first writer finishes while the joiner holds the writer lock
	# but is not counted yet: it hands the stream over.
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local rp=$BG_PID
	wait "$FEEDER"
	feed_close
	assert_job "$A" 0 "first writer"
	kill -KILL "$bpid"
	wait_job "$bp"
	assert_job "$rp" 0 "reader (the stream did end)"
	assert_same_file "$T/out" "$T/a.in"
	assert_no_ring "$R"
}

#########################################
#  9. named readers                     #
#########################################

@test "--reader NAME --new adopting the idle default cursor delivers no old data" {
	run -0 tmo "$SHMCAT_IN" -k "$R" <<<"old"
	run -4 --separate-stderr tmo "$SHMCAT_OUT" -r late --new -n "$R"
	assert_equal "$output" "" "what the new named reader delivered"
	run -0 tmo "$SHMCAT_IN" "$R" <<<"new"
	run_file "$T/out" "$SHMCAT_OUT" -r late "$R"
	assert_status "$status" 0 "named reader"
	assert_equal "$(cat "$T/out")" "new"
	assert_no_ring "$R"
}

write_names_c() {
	cat >"$T/names.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shmcat.h"

#define KIDS 12

int main(int argc, char **argv)
{
	struct shmcat_opts io = {.role = SHMCAT_INSPECT};
	struct shmcat_opts ro = {.role = SHMCAT_READER, .reader_name = "same"};
	struct shmcat_status st;
	struct shmcat_ring *x, *r;
	int go[2], done[2], hold[2], round, k, i, n, worst = 0;
	char c;

	(void)argc;
	if (shmcat_open(argv[1], &io, &x, NULL) != 0)
		return 2;
	for (round = 0; round < 50; round++) {
		if (pipe(go) || pipe(done) || pipe(hold))
			return 2;
		for (k = 0; k < KIDS; k++) {
			if (fork() != 0)
				continue;
			close(go[1]);
			close(hold[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(2);
			n = shmcat_open(argv[1], &ro, &r, NULL);
			if (write(done[1], "x", 1) != 1)
				_exit(2);
			if (read(hold[0], &c, 1) < 0) /* held until the end */
				_exit(2);
			_exit(n == 0 ? 0 : 1);
		}
		close(go[0]);
		close(go[1]); /* all start at once */
		for (k = 0; k < KIDS; k++)
			if (read(done[0], &c, 1) != 1)
				return 2;
		if (shmcat_status(x, &st) != 0)
			return 2;
		for (i = n = 0; i < st.nreaders; i++)
			n += strcmp(st.readers[i].name, "same") == 0;
		if (n != 1) {
			printf("round %d: %d slots named same\n", round, n);
			worst = 1;
		}
		close(hold[1]);
		close(hold[0]);
		close(done[1]);
		close(done[0]);
		while (wait(NULL) > 0)
			;
	}
	shmcat_close(x, SHMCAT_ABANDON);
	if (!worst)
		puts("ok");
	return worst;
}
C
}

@test "first starts of one reader name at once make one slot" {
	write_names_c
	run -0 cc -std=c11 -Wall -I"$REPO/include" -o "$T/names" "$T/names.c" \
		"$SHMCAT_BIN/libshmcat.a" -lpthread $TEST_LDFLAGS
	run -0 tmo "$SHMCAT_IN" -k "$R" </dev/null
	run --separate-stderr tmo "$T/names" "$R"
	assert_status "$status" 0 "names ($output)"
	assert_equal "$output" "ok"
	run -0 tmo "$SHMCAT" rm "$R"
}

# A process leaving a ring holds byte 0 exclusively for the moment it
# takes to decide whether to remove it; a reader attaching right then
# was told "ring is in use" (exit 2) and the stream went undelivered
# (the adversary's review, 2.1.0).  Here a peer holds that lock for a
# second, longer than any leaver does: the reader waits it out.
@test "a reader attaching while byte 0 is held exclusively waits, then reads" {
	read_beside_peer 0.6 lock0 WRITE
}

# read_beside_peer SECS FIELD TYPE: a finished stream ("kept") in ring R;
# a peer (hostile FIELD, lock0 or rlock0) holds byte 0 for SECS seconds
# (/proc/locks shows TYPE) while a reader delivers the stream; the peer
# ends by itself and the ring is gone.
read_beside_peer() {
	local hostile=${SHMCAT_HOSTILE:-$SHMCAT_BIN/hostile} ino peer
	[[ -x $hostile ]] || _fail "$hostile is missing: make $SHMCAT_BIN/hostile"
	run -0 tmo "$SHMCAT_IN" "$R" <<<"kept"
	ino=$(stat -c %i "$SHMDIR/shmcat.$R")
	spawn "$hostile" -r "$1" "$R" "$2" 1
	peer=$BG_PID
	wait_until grep -q "OFDLCK.*$3.*:$ino 0 0\$" /proc/locks
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" kept "what the reader delivered"
	assert_job "$peer" 0 "the peer holding byte 0"
	assert_no_ring "$R"
}

# The last two to leave a finished ring each drop their shared lock on
# byte 0 and try for the exclusive one; if the one still holding it dies
# before its own try (SIGKILL during exit), nobody removed the ring: the
# soak found one left, state=ended, all delivered (seed 271127, round
# 529).  Here a peer stays attached for 0.1 s after the reader arrives;
# the reader, leaving a finished stream, waits that out and removes it.
@test "a reader leaving a finished ring while a peer still holds it removes it once the peer goes" {
	read_beside_peer 0.1 rlock0 READ
}

# traced LOG CMD...: CMD under strace (and tmo), its fcntl(2) calls in
# LOG.
# LeakSanitizer refuses to run under ptrace: the sanitizer builds run
# these without it.
traced() {
	local log=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		tmo strace -f -qq -o "$log" -e trace=fcntl "$@"
}

# assert_no_leave_wait LOG WHAT: the process traced into LOG (strace -e
# trace=fcntl) did not wait at leaving for others to go: a few tries for
# byte 0 exclusively, not the ~200 of a 200 ms wait (1 ms apart).  A
# count, not a clock: sanitizer builds and a loaded machine are slow.
assert_no_leave_wait() {
	local n
	n=$(grep -c 'F_OFD_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=1}' "$1")
	((n <= 3)) || _fail "$2 waited at leaving" \
		"expected: at most 3 tries for byte 0" "actual: $n"
}

##########################################################
#  the wait at leaving: only for those leaving  (review)  #
##########################################################

# A closer of a finished stream waits up to 200 ms for the others to
# go (see "removes it once the peer goes" above), but only for those on
# their way out.  A ring nobody has written to yet counts as finished,
# and the first version of the wait made anyone leaving it while a
# reader waited for the writer wait 200 ms for a reader that was not
# leaving (the review of 2.1.0's wait).

@test "--nonblock on a ring another reader waits on exits without waiting at leaving" {
	need strace
	spawn "$SHMCAT_OUT" "$R"
	local reader=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	run -4 --separate-stderr traced "$T/st" "$SHMCAT_OUT" -n "$R"
	assert_no_leave_wait "$T/st" "shmcat-out -n (never wait)"
	kill -TERM "$(child_of "$reader")"
	wait_job "$reader"
	assert_no_ring "$R"
}

@test "shmcat rm of a ring in use says so without waiting at leaving" {
	need strace
	spawn "$SHMCAT_OUT" "$R"
	local reader=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	run -2 --separate-stderr traced "$T/st" "$SHMCAT" rm "$R"
	assert_no_leave_wait "$T/st" "shmcat rm of a busy ring"
	assert_stderr "in use"
	kill -TERM "$(child_of "$reader")"
	wait_job "$reader"
	assert_no_ring "$R"
}

# A --hangup reader sets STREAM_HANGUP, which stream_finished() takes
# as finished at once: the reader then waits 200 ms for a writer that is
# alive and has not yet seen the hang-up (an idle producer: it looks
# every 100-250 ms; stopped here so that the wait is certain).  The live
# writer holds LOCK_WRITER: it is not "on its way out".
@test "a --hangup reader does not wait at leaving for a live writer" {
	need strace
	writer_fed
	kill -STOP "$WPID"
	# Its stdout: a pipe nobody reads, from the start (a consumer that
	# exits races the first write, and an idle reader notices a
	# consumer gone only at its next look, up to 250 ms on).
	mkfifo "$T/gone"
	exec 8<>"$T/gone" 9>"$T/gone" 8<&-
	run -141 --separate-stderr traced "$T/st" bash -c 'exec "$0" --hangup "$1" >&9' "$SHMCAT_OUT" "$R"
	exec 9>&-
	assert_no_leave_wait "$T/st" "shmcat-out --hangup leaving"
	kill -CONT "$WPID"
	assert_job "$WP" 141 "shmcat-in"
	assert_no_ring "$R"
}

# A tap holds nothing back, not even a reader's exit: a stopped one
# (or one blocked writing to a pager) is attached but not leaving.
@test "a reader leaving a finished stream does not wait for a stopped tap" {
	need strace
	spawn "$SHMCAT_OUT" --tap "$R" >/dev/null
	local tp=$BG_PID tpid
	wait_until ring_is "$R" readers_alive 1
	tpid=$(child_of "$tp")
	kill -STOP "$tpid"
	seq 1000 >"$T/in"
	run -0 tmo "$SHMCAT_IN" "$R" <"$T/in"
	run -0 --separate-stderr traced "$T/st" "$SHMCAT_OUT" "$R"
	assert_no_leave_wait "$T/st" "the reader leaving"
	assert_equal "$output" "$(cat "$T/in")" "what the reader delivered"
	kill -CONT "$tpid"
	assert_job "$tp" 0 "the tap"
	assert_no_ring "$R"
}

##############################################################
#  --force and rm -f remove only the object they judged     #
##############################################################

# --force and rm -f judge the object at the name, then remove it; a ring
# published at the name in between (by another --force) must survive.
# strace delays the remover's unlink(2) or rename(2) to hold the window
# open (it is a few system calls wide otherwise); meanwhile a writer
# replaces the bad object with a ring and streams into it.

@test "rm -f never removes a ring published at the name after it judged the old object" {
	need strace
	head -c 20000 /dev/urandom >"$SHMDIR/shmcat.$R" # not a ring
	spawn env ASAN_OPTIONS=detect_leaks=0 strace -f -o "$T/rm.st" -e trace=unlink \
		-e inject=unlink:delay_enter=500000:when=1 \
		"$SHMCAT" rm -f "$R"
	local rm=$BG_PID
	wait_until grep -qs unlink "$T/rm.st"
	feed_open
	spawn "$SHMCAT_IN" -f -s 8K "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	echo "live stream" >&7
	wait_until ring_is "$R" buffered 12
	assert_job "$rm" 0 "rm -f" # its delayed unlink lands now
	assert_ring "$R"  # the live writer's ring is still there
	feed_close
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "live stream" "what a reader gets"
	assert_job "$wp" 0 "shmcat-in -f"
	assert_no_ring "$R"
}

@test "--force that judged a FIFO never removes a ring published at the name since" {
	need strace
	mkfifo "$SHMDIR/shmcat.$R" # not a ring
	mkfifo "$T/a.fifo"
	exec 8<>"$T/a.fifo"
	# A: judges the FIFO; its removal (a rename(2) aside) is delayed.
	spawn env ASAN_OPTIONS=detect_leaks=0 strace -f -o "$T/a.st" \
		-e trace=rename,renameat2,unlink,link \
		-e inject=rename:delay_enter=1500000:when=1 \
		"$SHMCAT_IN" -f -s 8K "$R" <"$T/a.fifo" 8>&-
	local ap=$BG_PID
	wait_until grep -qs 'rename(' "$T/a.st"
	# B: replaces the FIFO with a ring and streams into it.
	feed_open
	spawn "$SHMCAT_IN" -f -s 8K "$R" <"$FEED" 8>&- 2>"$T/b.err"
	local bp=$BG_PID ino
	echo "stream of B" >&7
	wait_until ring_is "$R" buffered 12
	ino=$(stat -c %i "$SHMDIR/shmcat.$R")
	# A's rename lands: it moved B's ring aside, sees a regular file and
	# puts it back; then A looks again and finds B's ring.
	wait_until grep -Eq '^[0-9]+ +renameat2\(.*= 0' "$T/a.st"
	local now
	now=$(stat -c %i "$SHMDIR/shmcat.$R" 2>/dev/null || echo none)
	exec 8>&-
	feed_close
	wait_job "$ap"
	assert_job "$bp" 0 "B"
	# what a reader of R gets once both writers are done
	run --separate-stderr tmo "$SHMCAT_OUT" -n "$R"
	local got=$output
	assert_equal "$now" "$ino" "the object at the name after A's --force (B's ring)"
	assert_equal "$got" "stream of B" "what a reader of R gets"
}

# cursor_at RING NAME POS: the named cursor NAME of RING is at POS.
cursor_at() {
	local kv slot
	kv=$(timeout 5 "$SHMCAT" status -k "$1" 2>/dev/null) || return 1
	slot=$(sed -n "s/^reader\.\([0-9]*\)\.name=$2\$/\1/p" <<<"$kv")
	[[ -n $slot ]] && grep -qx "reader\.$slot\.pos=$3" <<<"$kv"
}

# The wait at leaving covers a peer SIGKILLed between dropping its share
# of byte 0 and its own try for it, also when the peer is a moment slower
# to go and still holds its slot at our first look (the second review of
# the wait: it decided once, then).  tests/leaveshim.c plays the peer: a
# named reader that holds its slot 100 ms longer, then dies at its try.
# The wait is for a finished stream, one the peer has delivered too: the
# quick reader is held (SIGSTOP) until the slow one's cursor is at the
# end, or it could leave first and rightly not wait.
@test "a reader leaving beside a peer that is slower to go still removes the finished ring" {
	cc -shared -fPIC -o "$T/leaveshim.so" "$BATS_TEST_DIRNAME/leaveshim.c" -ldl
	spawn env LD_PRELOAD="$T/leaveshim.so" LEAVESHIM_HOLD_MS=100 \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$SHMCAT_OUT" -r slow "$R" >"$T/slow.out"
	local sp=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	spawn "$SHMCAT_OUT" -r quick "$R" >"$T/quick.out"
	local qp=$BG_PID qpid
	wait_until ring_is "$R" readers_alive 2
	qpid=$(pid_named "$qp" shmcat-out)
	kill -STOP "$qpid"
	run -0 tmo "$SHMCAT_IN" "$R" <<<"kept"
	wait_until cursor_at "$R" slow 5
	kill -CONT "$qpid"
	assert_job "$qp" 0 "the quick reader"
	assert_job "$sp" 137 "the slow reader (SIGKILLed at its try)"
	assert_equal "$(cat "$T/quick.out")" kept "what the quick reader delivered"
	assert_equal "$(cat "$T/slow.out")" kept "what the slow reader delivered"
	assert_no_ring "$R"
}
