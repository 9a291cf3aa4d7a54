#!/usr/bin/env bats
# 35-hostile (issue 3, "Stale and foreign objects"): a header written by a
# buggy or hostile process.  tests/hostile.c maps a ring and stores chosen
# values into its header while shmcat processes use it; every process must
# then end within a bounded time, with exit 1 (mid-stream) or 2 (at
# attach) and a message that says the ring is corrupt -- or carry on with
# correct data -- and never die of a signal (SIGSEGV, SIGBUS, SIGABRT),
# hang, or print a sanitizer report.  A corrupt ring is kept (never
# removed or re-initialised without --force), so each test announces it
# with expect_left and teardown removes it.

bats_require_minimum_version 1.5.0
load test_helper

HOSTILE=${SHMCAT_HOSTILE:-$SHMCAT_BIN/hostile}

# How long a process may take to notice a hostile value and end (the
# sleep slices are 200 ms; a writer given -t 5 waits at most 5 s).
ENDS_WITHIN=${SHMCAT_HOSTILE_WAIT:-12}

setup_file() {
	shmcat_setup_file
	# The scribbler knows the private layout; make builds it beside
	# the binaries (make check, make sanitize).
	if [[ ! -x $HOSTILE ]]; then
		echo "# $HOSTILE is missing: run make check (or make $HOSTILE)" >&3
		return 1
	fi
	head -c 4M /dev/urandom >"$BATS_FILE_TMPDIR/rand4m"
	head -c 400000 "$BATS_FILE_TMPDIR/rand4m" >"$BATS_FILE_TMPDIR/first400k"
	seq 1 400000 >"$BATS_FILE_TMPDIR/seq"
}

setup() {
	shmcat_setup
	RAND=$BATS_FILE_TMPDIR/rand4m
	FIRST=$BATS_FILE_TMPDIR/first400k
	SEQ=$BATS_FILE_TMPDIR/seq
}

teardown() {
	shmcat_teardown
}

#############
#  helpers  #
#############

# scribble FIELD VALUE: store VALUE into FIELD of ring $R.
scribble() {
	"$HOSTILE" "$R" "$@" || _fail "hostile $R $* failed"
}

# let_slices_pass: give a side asleep on a semaphore time to come up for
# its next re-check (slices are 200 ms).  Not synchronisation: the point
# is that nothing else happens meanwhile.
let_slices_pass() {
	sleep 0.5
}

# no_reports FILE: no sanitizer report, no glibc abort message.
no_reports() {
	local text
	text=$(cat "$1")
	[[ ! $text =~ (runtime\ error:|Sanitizer|futex\ facility|stack\ smashing|double\ free|corrupted) ]] ||
		_fail "$(basename "$1") holds a sanitizer or libc report" "$text"
}

# side_ends JOB PROG ERRFILE ALLOWED...: JOB (a spawned PROG) ends within
# $ENDS_WITHIN s with one of the ALLOWED statuses and says why.
side_ends() {
	local job=$1 prog=$2 err=$3 ok
	shift 3
	if ! wait_until -t "$ENDS_WITHIN" pid_gone "$job" 2>/dev/null; then
		_fail "$prog did not end within ${ENDS_WITHIN}s (hung)" \
			"stderr: $(cat "$err")"
		return 1
	fi
	wait_job "$job"
	for ok in "$@"; do
		[[ $jstatus == "$ok" ]] && break
	done
	if [[ $jstatus != "$ok" ]]; then
		assert_status "$jstatus" "one of: $*" "$prog" || {
			_fail "$prog stderr: $(cat "$err")"
			return 1
		}
	fi
	said_why "$prog" "$jstatus" "$err" || return 1
	no_reports "$err"
}

# said_why PROG STATUS ERRFILE: the message that goes with STATUS.
said_why() {
	case $2 in
	1) assert_file_match "$3" "^$1: $R: .*corrupt" ;;
	2) assert_file_match "$3" "^$1: $R: .*(corrupt|not a shmcat ring|version|stale|already ended)" ;;
	3) assert_file_match "$3" "^$1: $R: .*(truncated|hung up)" ;;
	4) assert_file_match "$3" "^$1: $R: .*timed out" ;;
	esac
}

# status_survives: `shmcat status` on the scribbled ring ends at once,
# 0 or 2 (then saying the ring is corrupt), never by a signal.  With
# RING_MAY_GO set, the scribble may have ended the stream and the ring
# may be gone already (2, "no such ring").
RING_MAY_GO=
status_survives() {
	local why="^shmcat: $R: .*(corrupt|not a shmcat ring|version)"
	[[ -n $RING_MAY_GO ]] && why+="|^shmcat: $R: no such ring$"
	run_file "$T/status" "$SHMCAT" status -k "$R"
	case $status in
	0) ;;
	2) assert_stderr "$why" ;;
	*) assert_status "$status" "0 or 2" "shmcat status" ;;
	esac
	no_reports "$T/status.err"
}

# pair_start: a writer (-t 5, so a full ring with no live reader ends it
# with 4) fed through $FEED and a reader writing to $T/out have moved
# 100000 bytes through a 64K ring, and now both wait: the reader asleep
# on the empty ring, the writer on its input.  Sets WP and RP.
pair_start() {
	feed_open
	spawn "$SHMCAT_IN" -t 5 -s 64K "$R" <"$FEED" 2>"$T/in.err"
	WP=$BG_PID
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out" 2>"$T/out.err"
	RP=$BG_PID
	feed "$FIRST" 100000
	wait_until file_size_ge "$T/out" 100000
	expect_left "$R"
}

# pair_finish WRITER-OK READER-OK: after the scribble, let a sleeper look,
# check `shmcat status`, then send 300000 more bytes (more than the ring
# holds: the writer re-scans the cursors several times) and end the input.
# Each side must end with a status in its list (space-separated); a
# reader that ends 0 must have delivered exactly the input.
pair_finish() {
	let_slices_pass
	status_survives
	tail -c +100001 "$FIRST" >"$T/rest"
	spawn cat "$T/rest" >"$FEED"
	feed_close
	side_ends "$WP" shmcat-in "$T/in.err" $1
	side_ends "$RP" shmcat-out "$T/out.err" $2
	if [[ $jstatus == 0 ]]; then
		assert_same_file "$T/out" "$FIRST"
	fi
}

# midstream FIELD VALUE: the whole mid-stream check with the usual
# allowed outcomes (writer: 0, 1, or 4 once its reader is gone; reader: 0,
# 1, or 3 once the writer gave up).
midstream() {
	pair_start
	scribble "$@"
	pair_finish "0 1 4" "0 1 3"
}

# attach_matrix FIELD VALUE: for each kind of newcomer (status, writer,
# reader, tap), a fresh ring a writer left with 1000 unread bytes, FIELD
# set to VALUE, then the newcomer: it must exit 2 at once with a message.
# Every failing combination is listed.
attach_matrix() {
	local field=$1 value=$2 who fails=() base=$R
	head -c 1000 "$RAND" >"$T/1000"
	for who in status writer reader tap; do
		R=$base-$who
		expect_left "$R"
		run_file "$T/w.$who" "$SHMCAT_IN" -k -s 64K "$R" <"$T/1000"
		assert_status "$status" 0 "shmcat-in -k (setting up $R)"
		scribble "$field" "$value"
		case $who in
		status) run_file "$T/o.$who" "$SHMCAT" status "$R" ;;
		writer) run_file "$T/o.$who" "$SHMCAT_IN" -n "$R" <"$T/1000" ;;
		reader) run_file "$T/o.$who" "$SHMCAT_OUT" -n "$R" ;;
		tap) run_file "$T/o.$who" "$SHMCAT_OUT" -n --tap "$R" ;;
		esac
		local prog=shmcat-out
		[[ $who == status ]] && prog=shmcat
		[[ $who == writer ]] && prog=shmcat-in
		if [[ $status != 2 ]] ||
			! grep -Eiq "^$prog: $R: .*(corrupt|not a shmcat ring|version)" "$T/o.$who.err"; then
			fails+=("$who: exit $status, stderr '$(tr '\n' ' ' <"$T/o.$who.err")'")
		fi
		no_reports "$T/o.$who.err"
	done
	R=$base
	((${#fails[@]} == 0)) ||
		_fail "$field=$value: expected exit 2 and a message saying the ring is corrupt" "${fails[@]}"
}

# lock_held BYTE: some process holds an OFD lock on byte BYTE of $R.
lock_held() {
	local ino
	ino=$(stat -c %i "$SHMDIR/shmcat.$R") || return 1
	grep -Eq "OFDLCK +ADVISORY +WRITE +[0-9-]+ +[0-9a-f]+:[0-9a-f]+:$ino +$1 +$1\$" /proc/locks
}

# lock_waiter: a record writer sleeps waiting for the commit lock.
lock_waiter() {
	[[ $("$HOSTILE" "$R" commit_waiting) -gt 0 ]]
}

##################################################
#  at attach: exit 2 and a message, ring kept    #
##################################################

@test "attach: wrong magic: status, writer, reader and tap exit 2" {
	attach_matrix magic 1
}

@test "attach: wrong layout version: exit 2" {
	attach_matrix version 99
}

@test "attach: capacity larger than the object: exit 2" {
	attach_matrix capacity 131072
}

@test "attach: capacity 0: exit 2" {
	attach_matrix capacity 0
}

@test "attach: capacity 2^63: exit 2" {
	attach_matrix capacity 0x8000000000000000
}

@test "attach: object_size in the header differs from the object's: exit 2" {
	attach_matrix object_size 1
}

@test "attach: default cursor ahead of tail: exit 2" {
	attach_matrix pos0 tail+1
}

@test "attach: tail more than a capacity ahead of the default cursor: exit 2" {
	attach_matrix tail tail+65537
}

@test "attach: floor ahead of tail: exit 2" {
	attach_matrix floor tail+1
}

@test "attach: floor 2^63: exit 2" {
	attach_matrix floor 0x8000000000000000
}

@test "attach: default slot of an unknown kind: exit 2" {
	attach_matrix kind0 99
}

@test "attach: floor between one and two capacities behind tail: a joining anonymous reader or tap exits 2" {
	# Between rescans the writer keeps tail - floor <= capacity, so a
	# joining cursor placed at such a floor would already be lapped.
	pair_start
	scribble floor tail-69632
	run_file "$T/anon" "$SHMCAT_OUT" -n "$R"
	assert_status "$status" 2 "a second (anonymous) shmcat-out"
	assert_stderr "^shmcat-out: $R: .*corrupt"
	run_file "$T/tap" "$SHMCAT_OUT" -n --tap "$R"
	assert_status "$status" 2 "shmcat-out --tap"
	assert_stderr "^shmcat-out: $R: .*corrupt"
}

@test "attach: reader names without a NUL: status shows them cut at 31 characters" {
	printf 'abc' | tmo "$SHMCAT_IN" -k -s 64K "$R"
	expect_left "$R"
	scribble kind3 2
	scribble pos3 tail
	scribble name3 0x41
	run_file "$T/st" "$SHMCAT" status -k "$R"
	assert_status "$status" 0 "shmcat status"
	grep -qx "reader.3.name=$(printf 'A%.0s' {1..31})" "$T/st" ||
		_fail "status does not show the name cut at 31 characters" "$(grep name "$T/st")"
	no_reports "$T/st.err"
}

@test "attach: semaphores filled with 0xff: a reader that attaches and leaves is not killed" {
	printf 'abc' | tmo "$SHMCAT_IN" -k -s 64K "$R"
	expect_left "$R"
	scribble sem 0xff
	run_file "$T/out" "$SHMCAT_OUT" -n "$R"
	case $status in
	2) assert_stderr "^shmcat-out: $R: .*corrupt" ;;
	4) assert_equal "$(cat "$T/out")" abc "delivered" ;;
	*) assert_status "$status" "2, or 4 after delivering abc" "shmcat-out" ;;
	esac
	no_reports "$T/out.err"
}

@test "attach: the commit lock's shared words filled with 0xff: a record writer is not disturbed" {
	# The lock itself is an OFD lock, kernel state; in the ring are only
	# the count of waiters and the semaphore they sleep on.
	printf 'a\n' | tmo "$SHMCAT_IN" -l -k -s 64K "$R"
	expect_left "$R"
	scribble commit 0xff
	printf 'b\n' >"$T/in"
	run_file "$T/w" "$SHMCAT_IN" -l -k "$R" <"$T/in"
	assert_status "$status" 0 "shmcat-in -l"
	no_reports "$T/w.err"
	run_file "$T/out" "$SHMCAT_OUT" -n "$R"
	assert_equal "$(cat "$T/out")" "$(printf 'a\nb')" "delivered"
}

@test "attach: ABI sizes in the header differ from ours: exit 2" {
	attach_matrix sem_size 16
}

@test "attach: reader slot size differs: exit 2" {
	attach_matrix reader_slot_size 128
}

# lock_taken_under_writer OPTS: a record writer with OPTS attached and
# waiting on $FEED, then a peer takes the commit lock ($PEER) and a line
# arrives: the writer now waits for the lock.  Sets WP.
lock_taken_under_writer() {
	printf 'a\n' | tmo "$SHMCAT_IN" -l -k -s 64K "$R"
	expect_left "$R"
	feed_open
	spawn "$SHMCAT_IN" -l "$@" "$R" <"$FEED" 2>"$T/w.err"
	WP=$BG_PID
	wait_until ring_is "$R" writers_active 1
	rewrite 20 lock2 1
	wait_until lock_held 2
	echo b >&7
}

@test "commit lock held by a live peer: a record writer with -t 1 gives up with exit 4" {
	local t0
	t0=$(now_us)
	lock_taken_under_writer -t 1
	side_ends "$WP" shmcat-in "$T/w.err" 4
	assert_within "$t0" 6000 "shmcat-in -l -t 1 on a held commit lock"
	peer_done
}

@test "commit lock held by a live peer: a waiting record writer ends on SIGTERM" {
	lock_taken_under_writer
	wait_until lock_waiter
	kill -TERM "$(child_of "$WP")"
	wait_until -t 3 pid_gone "$WP" || _fail "the writer did not end within 3 s of SIGTERM"
	wait_job "$WP"
	assert_status "$jstatus" 143 "shmcat-in -l after SIGTERM"
	no_reports "$T/w.err"
	peer_done
}

@test "commit lock: its holder dies, the waiting record writer goes on" {
	lock_taken_under_writer -k
	wait_until lock_waiter
	kill -KILL "$(child_of "$PEER")"
	wait_job "$PEER"
	feed_close
	side_ends "$WP" shmcat-in "$T/w.err" 0
	run_file "$T/out" "$SHMCAT_OUT" -n "$R"
	assert_equal "$(cat "$T/out")" "$(printf 'a\nb')" "delivered"
}

##########################################################
#  mid-stream: a writer and a reader attached, waiting   #
##########################################################

@test "mid-stream: tail far ahead of the reader: the reader reports corruption (exit 1)" {
	pair_start
	scribble tail tail+1000000
	pair_finish "0 1 4" "1"
}

@test "mid-stream: tail moved back behind the reader: the reader reports corruption (exit 1)" {
	pair_start
	scribble tail tail-1
	pair_finish "0 1 4" "1"
}

@test "mid-stream: tail a little ahead (stale bytes look committed): no crash, no silent success" {
	midstream tail tail+5000
}

# slow: the writer waits out its -t 5
# bats test_tags=slow
@test "mid-stream: default cursor ahead of tail" {
	midstream pos0 tail+1
}

# slow: the writer waits out its -t 5
# bats test_tags=slow
@test "mid-stream: default cursor at 0, more than a capacity behind" {
	midstream pos0 0
}

@test "mid-stream: a phantom named cursor with an impossible position: the writer reports corruption (exit 1)" {
	pair_start
	scribble pos5 tail+0x10000000000
	scribble kind5 2
	pair_finish "1" "0 1 3"
}

@test "mid-stream: default slot's kind set to an unknown value" {
	midstream kind0 99
}

@test "mid-stream: every slot's kind set to an unknown value" {
	pair_start
	local i
	for ((i = 0; i < 16; i++)); do
		scribble "kind$i" 0xdeadbeef
	done
	pair_finish "0 1 4" "0 1 3"
}

@test "mid-stream: floor 2^63" {
	midstream floor 0x8000000000000000
}

@test "mid-stream: reserve_end 2^64-1" {
	midstream reserve_end 0xffffffffffffffff
}

@test "mid-stream: record_mode 99" {
	midstream record_mode 99
}

@test "mid-stream: writer_events all ones" {
	midstream writer_events 0xffffffffffffffff
}

@test "mid-stream: stream_flags all ones (reads as a hangup: writer may end 141)" {
	pair_start
	scribble stream_flags 0xffffffff
	# The idle writer sees the hangup within a second (it looks while
	# waiting for input), the reader reports it, and the ring goes.
	RING_MAY_GO=1
	pair_finish "0 1 4 141" "0 1 3"
}

@test "mid-stream: readers_waiting all ones: no wake-up outside the 16 reader slots" {
	midstream readers_waiting 0xffffffff
}

@test "mid-stream: writer_waiting all ones" {
	midstream writer_waiting 0xffffffff
}

@test "mid-stream: capacity, magic and version changed: the attached sides keep their own copy" {
	pair_start
	scribble capacity 4096
	scribble magic 0
	scribble version 7
	pair_finish "0 1 4" "0 1 3"
}

@test "mid-stream: semaphores filled with 0xff: neither side is killed (glibc aborts on a garbage sem_t)" {
	pair_start
	scribble sem 0xff
	# The reader now spins (its semaphore reads as posted 2^32 times) and
	# its own flag is up only now and then; flag slot 1 asleep too, so
	# the writer's next commit certainly posts a scribbled semaphore.
	scribble readers_waiting 3
	pair_finish "0 1 4" "0 1 3"
}

@test "mid-stream: reader pids and names scribbled: status still works" {
	pair_start
	scribble pid0 -1
	scribble name0 0xff
	scribble writer_pid 0x7fffffff
	pair_finish "0 1 4" "0 1 3"
}

@test "mid-stream: semaphores filled with 0xff while the reader waits on a live, idle writer: the reader reports it within 3 s" {
	pair_start
	scribble sem 0xff
	# Nothing is posted now; the reader must not just spin on its own.
	wait_until -t 3 pid_gone "$RP" 2>/dev/null ||
		_fail "the reader neither slept nor reported the scribbled semaphore within 3 s"
	side_ends "$RP" shmcat-out "$T/out.err" 1
	feed_close
	side_ends "$WP" shmcat-in "$T/in.err" 0 1 4
}

#############################################
#  a writer asleep on a full ring           #
#############################################

# full_writer [OPTS]: a writer given the 4M file through a 64K ring with
# no reader, asleep on the full ring.  Sets WP.
full_writer() {
	spawn "$SHMCAT_IN" -t 5 -s 64K "$@" "$R" <"$RAND" 2>"$T/in.err"
	WP=$BG_PID
	wait_until ring_full "$R"
	expect_left "$R"
}

# drain: a new reader reads the ring until the writer ends (or refuses
# the ring at attach, 2); check both.
drain() {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	RP=$BG_PID
	side_ends "$WP" shmcat-in "$T/in.err" 0 1 4
	side_ends "$RP" shmcat-out "$T/out.err" 0 1 2 3
	if [[ $jstatus == 0 ]]; then
		assert_same_file "$T/out" "$RAND"
	fi
}

@test "full ring: semaphores filled with 0xff while the writer sleeps, then a reader drains" {
	full_writer
	scribble sem 0xff
	let_slices_pass
	drain
}

@test "full ring: semaphores filled with 0xff, no reader: the writer reports it within 3 s" {
	full_writer
	scribble sem 0xff
	wait_until -t 3 pid_gone "$WP" 2>/dev/null ||
		_fail "the writer neither slept nor reported the scribbled semaphore within 3 s"
	side_ends "$WP" shmcat-in "$T/in.err" 1
}

@test "full ring: tail far ahead while the writer sleeps" {
	full_writer
	scribble tail tail+1000000
	let_slices_pass
	drain
}

@test "full ring: default cursor ahead of tail while the writer sleeps: the writer reports corruption (exit 1)" {
	full_writer
	scribble pos0 tail+1
	side_ends "$WP" shmcat-in "$T/in.err" 1
}

#####################################################
#  record writers and the commit lock             #
#####################################################

# writer_slept: the writer has slept on the full ring at least once (a
# record writer never fills the ring to the last byte).
writer_slept() {
	local n
	n=$(ring_kv "$R" writer_sleeps)
	[[ -n $n ]] && ((n > 0))
}

@test "record writer: the commit lock's words scribbled while it holds the lock: no SIGSEGV" {
	spawn "$SHMCAT_IN" -l -s 16K "$R" <"$SEQ" 2>"$T/in.err"
	WP=$BG_PID
	wait_until writer_slept
	expect_left "$R"
	# shmcat_write_record holds the commit lock while it waits for space;
	# (layout 1 kept a robust mutex here, whose list pointers glibc
	# followed on unlock).
	scribble commit 0x10
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	side_ends "$WP" shmcat-in "$T/in.err" 0 1
	case $status in
	0) assert_same_file "$T/out" "$SEQ" ;;
	1 | 3) said_why shmcat-out "$status" "$T/out.err" ;;
	*) assert_status "$status" "0, 1 or 3" "shmcat-out" ;;
	esac
}

@test "record writer: the commit lock's words filled with 0xff mid-stream: no crash" {
	spawn "$SHMCAT_IN" -l -t 5 -s 16K "$R" <"$SEQ" 2>"$T/in.err"
	WP=$BG_PID
	wait_until writer_slept
	expect_left "$R"
	scribble commit 0xff
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	side_ends "$WP" shmcat-in "$T/in.err" 0 1
}

############################################
#  plausible values that stall the stream  #
############################################

@test "default cursor rewound by exactly one capacity (a plausible value): the stream does not stall for good" {
	# Writer W, default reader A (caught up, asleep on the empty ring),
	# anonymous reader B stuck writing to a stopped cat: W sleeps on the
	# ring B keeps full.  Rewind A's cursor by one capacity, then kill B:
	# W now waits for A, A for W, unless someone checks the cursor.
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/outA" 2>"$T/outA.err"
	local ap=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	mkfifo "$T/pipeB"
	spawn cat "$T/pipeB" >/dev/null
	local cat=$BG_PID catpid
	catpid=$(child_of "$cat")
	# (this shell opens the FIFO for B: the cat must be running to meet it)
	spawn "$SHMCAT_OUT" "$R" >"$T/pipeB" 2>"$T/outB.err"
	local bp=$BG_PID bpid
	bpid=$(child_of "$bp")
	wait_until ring_is "$R" readers_alive 2
	kill -STOP "$catpid"
	spawn cat "$RAND" >"$FEED"
	wait_until ring_full "$R"
	wait_until ring_is "$R" reader.0.lag 0
	expect_left "$R"

	scribble pos0 tail-65536
	kill -KILL "$bpid"
	local n0
	n0=$(stat -c %s "$T/outA")
	# Either A notices its cursor is not what it stored (and ends, or
	# puts it back and the stream moves on), or W does.
	moved() { pid_gone "$ap" || pid_gone "$wp" || (($(stat -c %s "$T/outA") > n0)); }
	wait_until -t 5 moved || _fail "stalled: neither the writer nor the default reader moved for 5 s" \
		"status: $(ring_kv "$R" buffered) buffered, reader.0.pos=$(ring_kv "$R" reader.0.pos), tail=$(ring_kv "$R" bytes_in)"
	if pid_gone "$ap"; then
		wait_job "$ap"
		said_why shmcat-out "$jstatus" "$T/outA.err"
	fi
}

@test "semaphore crafted to make glibc sleep on a relative timeout: a reader still notices its writer died" {
	[[ $(uname -m) == x86_64 || $(uname -m) == aarch64 ]] && getconf GNU_LIBC_VERSION >/dev/null 2>&1 ||
		skip "tests/hostile.c's sem_private knows glibc's 64-bit sem_t only"
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	echo hello >&7
	wait_until file_size_ge "$T/out" 6
	expect_left "$R"
	# glibc turns the word after the count into the futex operation's
	# flags: 137 makes FUTEX_WAIT_BITSET|PRIVATE a plain FUTEX_WAIT, so
	# the absolute CLOCK_MONOTONIC deadline is taken as a relative one.
	scribble sem_private 137
	let_slices_pass
	kill -KILL "$wpid"
	wait_job "$wp"
	wait_until -t 3 pid_gone "$rp" || _fail "the reader did not notice the dead writer within 3 s"
	# Either it sees the semaphore is garbage (1, corrupt) or it sleeps
	# its slice and finds the writer dead (3); never a sleep past that.
	wait_job "$rp"
	case $jstatus in
	1) assert_file_match "$T/out.err" "corrupt" ;;
	*) assert_status "$jstatus" 3 "shmcat-out"
	   assert_file_match "$T/out.err" "died" ;;
	esac
}

@test "tap: tail set far ahead with no writer: the tap ends at once instead of streaming stale bytes" {
	head -c 1000 "$RAND" >"$T/1000"
	tmo "$SHMCAT_IN" -k -s 64K "$R" <"$T/1000"
	expect_left "$R"
	scribble tail tail+0x10000000000
	local ps=()
	timeout 5 "$SHMCAT_OUT" -n --tap "$R" 2>"$T/tap.err" | head -c 10000000 >"$T/tap" &&
		ps=("${PIPESTATUS[@]}") || ps=("${PIPESTATUS[@]}")
	local n
	n=$(stat -c %s "$T/tap")
	((n <= 1000)) || _fail "the tap delivered $n bytes from a ring holding 1000" \
		"shmcat-out --tap: exit ${ps[0]}"
	case ${ps[0]} in
	1 | 2) assert_file_match "$T/tap.err" "^shmcat-out: $R: .*corrupt" ;;
	*) assert_status "${ps[0]}" "1 or 2" "shmcat-out --tap" ;;
	esac
}

@test "tap: tail set far ahead mid-stream while the writer idles: the tap stops instead of streaming stale bytes" {
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	WP=$BG_PID
	# (head bounds what a runaway tap can write to the disk)
	spawn bash -c '"$0" --tap -s 64K "$1" | head -c 10000000 >"$2"; exit "${PIPESTATUS[0]}"' \
		"$SHMCAT_OUT" "$R" "$T/tap" 2>"$T/tap.err"
	local tp=$BG_PID n
	wait_until ring_is "$R" readers_alive 1
	feed "$FIRST" 50000
	wait_until ring_is "$R" reader.1.pos 50000
	expect_left "$R"
	scribble tail tail+0x10000000000
	side_ends "$tp" shmcat-out "$T/tap.err" 1
	n=$(stat -c %s "$T/tap")
	((n <= 50000)) || _fail "the tap delivered $n bytes; the writer wrote 50000"
	feed_close
	side_ends "$WP" shmcat-in "$T/in.err" 0 1
}

@test "tap: reserve_end scribbled under a streaming tap: no crash, the tap ends" {
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	WP=$BG_PID
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out" 2>"$T/out.err"
	RP=$BG_PID
	# (the tap may start first and make the ring: give it the same size)
	spawn "$SHMCAT_OUT" --tap -s 64K "$R" >"$T/tap" 2>"$T/tap.err"
	local tp=$BG_PID
	wait_until ring_is "$R" readers_alive 2
	feed "$FIRST" 100000
	wait_until file_size_ge "$T/out" 100000
	expect_left "$R"
	scribble reserve_end 0x8000000000000000
	let_slices_pass
	tail -c +100001 "$FIRST" >"$T/rest"
	spawn cat "$T/rest" >"$FEED"
	feed_close
	side_ends "$WP" shmcat-in "$T/in.err" 0 1
	side_ends "$RP" shmcat-out "$T/out.err" 0 1 3
	side_ends "$tp" shmcat-out "$T/tap.err" 0 1 3
}

######################################
#  truncated under a live stream     #
######################################

# slow: six streams, each truncated
# bats test_tags=slow
@test "object truncated to 0 under a streaming writer and reader (6 rounds): both exit 1 with the SIGBUS message" {
	local i r wp rp ps delay
	for ((i = 0; i < 6; i++)); do
		r=$R-$i
		spawn bash -c 'head -c 2G /dev/zero | "$0" -s 64K "$1"; exit "${PIPESTATUS[1]}"' \
			"$SHMCAT_IN" "$r" 2>"$T/in.$i.err"
		wp=$BG_PID
		spawn bash -c '"$0" -s 64K "$1" | cat >/dev/null; exit "${PIPESTATUS[0]}"' \
			"$SHMCAT_OUT" "$r" 2>"$T/out.$i.err"
		rp=$BG_PID
		wait_until ring_exists "$r"
		wait_until ring_is "$r" readers_alive 1
		delay=0.$((RANDOM % 4 + 1))
		sleep "$delay" # let the stream run at full speed
		truncate -s 0 "$SHMDIR/shmcat.$r"
		wait_job "$wp"
		assert_status "$jstatus" 1 "round $i (+${delay}s): shmcat-in" ||
			_fail "stderr: $(cat "$T/in.$i.err")"
		wait_job "$rp"
		assert_status "$jstatus" 1 "round $i (+${delay}s): shmcat-out" ||
			_fail "stderr: $(cat "$T/out.$i.err")"
		assert_file_match "$T/in.$i.err" "^shmcat-in: $r: .*(SIGBUS|truncated)"
		assert_file_match "$T/out.$i.err" "^shmcat-out: $r: .*(SIGBUS|truncated)"
		no_reports "$T/in.$i.err"
		no_reports "$T/out.$i.err"
		rm -f "$SHMDIR/shmcat.$r"
	done
}

###########################################################
#  peers that keep rewriting a field while the ring runs  #
###########################################################

# rewrite SECS FIELD VALUE: a peer that keeps storing VALUE into FIELD
# (and putting the old contents back in between) for SECS seconds, in
# the background; $PEER is its job.
PEER=
rewrite() {
	spawn "$HOSTILE" -r "$1" "$R" "$2" "$3"
	PEER=$BG_PID
}

# peer_done: the peer ended by itself (exit 0) or is stopped now.
peer_done() {
	kill -TERM "$PEER" 2>/dev/null || true
	wait_job "$PEER"
}

# record_writers N SECS FIELD VALUE: N --lines writers (-t 5) each send
# $SEQ through a 16K ring to one reader while a peer rewrites FIELD for
# SECS seconds.  Every writer ends 0, 1 (ring corrupt), 2 (found it
# corrupt at attach, or stale or ended after the others gave up) or 4 (gave
# up on a reader that left); the reader 0,
# 1, 2 or 3; none by a signal.  Whatever the reader delivered is whole
# lines of $SEQ, none more than N times, and every line of each writer
# that ended 0 if the reader ended 0.
record_writers() {
	local n=$1 i wps=() ok=0
	spawn "$SHMCAT_OUT" -s 16K "$R" >"$T/out" 2>"$T/out.err"
	RP=$BG_PID
	wait_until ring_exists "$R"
	expect_left "$R"
	rewrite "$2" "$3" "$4"
	for ((i = 0; i < n; i++)); do
		spawn "$SHMCAT_IN" -l -t 5 -s 16K "$R" <"$SEQ" 2>"$T/in.$i.err"
		wps+=("$BG_PID")
	done
	for ((i = 0; i < n; i++)); do
		side_ends "${wps[$i]}" shmcat-in "$T/in.$i.err" 0 1 2 4
		[[ $jstatus == 0 ]] && ok=$((ok + 1))
	done
	side_ends "$RP" shmcat-out "$T/out.err" 0 1 2 3
	local least=0
	[[ $jstatus == 0 ]] && least=$ok
	sort -n "$T/out" | uniq -c | awk -v n="$n" -v least="$least" \
		'$2 !~ /^[0-9]+$/ || $2 < 1 || $2 > 400000 || $1 > n || $1 < least { print; bad++ }
		 END { exit bad > 0 }' >"$T/bad" ||
		_fail "lines delivered wrongly (count, line):" "$(head -n 5 "$T/bad")"
	if ((least > 0)); then
		assert_equal "$(sort -nu "$T/out" | wc -l)" 400000 "distinct lines delivered"
	fi
	peer_done
}

@test "rewriting: the commit lock's words while three record writers run: no writer is killed" {
	record_writers 3 6 commit 0x10
}

##########################################################
#  a name swapped for a FIFO as it is opened             #
##########################################################

# swapped WHEN CMD...: run CMD with tests/swapshim.c preloaded, which
# swaps $R for a FIFO just before its shm_open, or truncates it just
# after its first mmap (see there).
swapped() {
	cc -shared -fPIC -o "$T/swapshim.so" "$BATS_TEST_DIRNAME/swapshim.c" -ldl
	run --separate-stderr tmo env SWAPSHIM_WHEN="$1" SWAPSHIM_RING="$R" \
		LD_PRELOAD="$T/swapshim.so" ASAN_OPTIONS=verify_asan_link_order=0 \
		"${@:2}"
}

# The ring went aside; the FIFO took its name.  Both are the peer's doing.
unswap() {
	[[ -p $SHMDIR/shmcat.$R ]] || _fail "the shim did not swap $R"
	rm -f "$SHMDIR/shmcat.$R" "$SHMDIR/shmcat.$R-aside"
}

@test "a FIFO swapped in as status, list or a reader opens the ring: no hang, exit 2 or 0" {
	local cmd
	for cmd in "$SHMCAT status" "$SHMCAT list" "$SHMCAT_OUT -n" "$SHMCAT_IN -n"; do
		echo data | tmo "$SHMCAT_IN" -k "$R"
		expect_left "$R-aside"
		if [[ $cmd == "$SHMCAT list" ]]; then
			swapped before $cmd </dev/null
			assert_status "$status" 0 "$cmd"
		else
			swapped before $cmd "$R" </dev/null
			assert_status "$status" 2 "$cmd"
			assert_stderr "not a shmcat ring"
		fi
		unswap
	done
}

@test "a ring truncated as status or list reads it: exit 1 naming the ring, no core" {
	local cmd
	for cmd in status list; do
		echo data | tmo "$SHMCAT_IN" -k "$R"
		expect_left "$R"
		if [[ $cmd == list ]]; then
			swapped truncate "$SHMCAT" list
		else
			swapped truncate "$SHMCAT" status "$R"
		fi
		assert_status "$status" 1 "shmcat $cmd"
		assert_stderr "^shmcat: $R: shared memory object was truncated under us \\(SIGBUS\\)$"
		rm -f "$SHMDIR/shmcat.$R"
	done
}

@test "a filter opens its ring's name once: a name swapped later cannot block it" {
	# A peer that owns the name can make it a FIFO (or a symlink to one)
	# at any moment: a second open(2) of the name would block there, or
	# open whatever the peer chose.  Counted from the system calls.
	seq 1 1000 >"$T/in"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		tmo strace -f -qq -o "$T/in.trace" -e trace=open,openat "$SHMCAT_IN" "$R" <"$T/in"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		tmo strace -f -qq -o "$T/out.trace" -e trace=open,openat "$SHMCAT_OUT" -n "$R" >"$T/out"
	assert_same_file "$T/out" "$T/in"
	assert_equal "$(grep -c "/dev/shm/shmcat\\.$R\"" "$T/out.trace")" 1 "opens of the name by shmcat-out"
	# the writer created it under a build name, then never opened it by name
	assert_equal "$(grep -c "/dev/shm/shmcat\\.$R\"" "$T/in.trace")" 0 "opens of the name by shmcat-in"
	assert_no_ring "$R"
}

##########################################################
#  what is printed: checked, escaped, clamped            #
##########################################################

# idle_ring: 3 bytes kept in $R by a writer that left it open.
idle_ring() {
	printf 'abc' | tmo "$SHMCAT_IN" -k -s 64K "$R"
	expect_left "$R"
}

# printable FILE: FILE holds no control character other than newline.
printable() {
	if LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$1"); then
		_fail "$(basename "$1") holds control characters" "$(od -c "$1" | head -n 5)"
	fi
}

@test "printed: a creation time far out of range: status shows it as unknown, no crash" {
	idle_ring
	local v
	for v in 0x7fffffffffffffff 0x8000000000000000 -1 67768036191676800; do
		scribble created_sec "$v"
		run_file "$T/st" "$SHMCAT" status "$R"
		assert_status "$status" 0 "shmcat status with created_sec=$v"
		assert_file_match "$T/st" "created +unknown"
		run_file "$T/kv" "$SHMCAT" status -k "$R"
		assert_status "$status" 0 "shmcat status -k with created_sec=$v"
		grep -qx "created=0" "$T/kv" || _fail "status -k: $(grep created "$T/kv")"
	done
}

@test "printed: reader names with terminal escapes are shown with ? for each byte outside A-Za-z0-9._-" {
	idle_ring
	scribble kind3 2
	scribble pos3 tail
	scribble name3 0x1b
	run_file "$T/st" "$SHMCAT" status "$R"
	assert_status "$status" 0 "shmcat status"
	printable "$T/st"
	run_file "$T/kv" "$SHMCAT" status -k "$R"
	printable "$T/kv"
	grep -qx "reader.3.name=$(printf '?%.0s' {1..31})" "$T/kv" ||
		_fail "status -k does not show the name as 31 question marks" "$(grep name "$T/kv" | od -c | head -n 3)"
}

@test "printed: process ids out of range are shown as 0, never negative or huge" {
	idle_ring
	scribble creator_pid -5
	scribble writer_pid 0x7fffffff
	run_file "$T/kv" "$SHMCAT" status -k "$R"
	assert_status "$status" 0 "shmcat status -k"
	grep -qx "creator_pid=0" "$T/kv" || _fail "status -k: $(grep creator_pid "$T/kv")"
	grep -qx "writer_pid=0" "$T/kv" || _fail "status -k: $(grep writer_pid "$T/kv")"
}

@test "printed: a busy writer's pid scribbled: the second writer's message does not repeat it" {
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	WP=$BG_PID
	wait_until ring_is "$R" writer_alive 1
	expect_left "$R"
	scribble writer_pid 0x7fffffff
	run_file "$T/w2" "$SHMCAT_IN" -n "$R" </dev/null
	assert_status "$status" 2 "a second byte writer"
	assert_stderr "^shmcat-in: $R: ring is in use$"
	feed_close
	side_ends "$WP" shmcat-in "$T/in.err" 0
}

@test "printed: writer count and reader counters scribbled: status clamps the count, no crash" {
	idle_ring
	scribble writer_events 0xffffffff
	scribble kind2 3
	scribble pos2 tail+7
	run_file "$T/kv" "$SHMCAT" status -k "$R"
	case $status in
	0) local n
	   n=$(sed -n 's/^writers_active=//p' "$T/kv")
	   ((n >= 0 && n <= 16)) || _fail "writers_active=$n" ;;
	2) assert_stderr "^shmcat: $R: .*corrupt" ;;
	*) assert_status "$status" "0 or 2" "shmcat status" ;;
	esac
	run_file "$T/list" "$SHMCAT" list -k
	assert_status "$status" 0 "shmcat list -k"
	printable "$T/list"
}

###############################################################
#  every field of shmcat(7) rewritten under a running stream   #
###############################################################

# status_loop FILE: run `shmcat status -k` on $R over and over, noting in
# FILE every run that ended other than 0 or 2, or printed a report.  $SL
# is the loop's job; stop it with kill.
status_loop() {
	spawn bash -c 'while :; do
		"$0" status -k "$1" >/dev/null 2>"$2.err"; s=$?
		case $s in 0 | 2) ;; *) echo "status exit $s: $(cat "$2.err")" >>"$2" ;; esac
		grep -Eq "runtime error:|Sanitizer|futex facility" "$2.err" && cat "$2.err" >>"$2"
	done' "$SHMCAT" "$R" "$1"
	SL=$BG_PID
}

# scene FIELD VALUE: a byte writer sends 1.2 MB in 12 bursts over about
# 1.2 s through a 64K ring to a reader and a tap while `shmcat status` runs
# in a loop and a peer rewrites FIELD with VALUE for 1 s.  Every side
# must end with a documented status (writer 0, 1, 2 (corrupt when it
# attaches, after the peer started), 4, or 141 (stream_flags read as a
# hangup); reader 0, 1, 3 or
# 4 (its -t); tap 0, 1, 3 or 4; status 0 or 2) and no report.  Data are
# not compared: a peer that may write the ring can garble the stream.
scene() {
	local field=$1 value=$2 wp rp tp
	R=$BASE-$field-$((++SCENE))
	expect_left "$R"
	spawn "$SHMCAT_OUT" -t 2 -s 64K "$R" >/dev/null 2>"$T/$R.out.err"
	rp=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	spawn "$SHMCAT_OUT" -t 2 --tap "$R" >/dev/null 2>"$T/$R.tap.err"
	tp=$BG_PID
	wait_until ring_is "$R" readers_alive 2
	: >"$T/$R.st"
	status_loop "$T/$R.st"
	rewrite 1 "$field" "$value"
	spawn bash -c 'for ((i = 0; i < 12; i++)); do head -c 100000 "$0"; sleep 0.1; done |
		"$1" -t 2 "$2"; exit "${PIPESTATUS[1]}"' "$RAND" "$SHMCAT_IN" "$R" 2>"$T/$R.in.err"
	wp=$BG_PID
	# (called in an || list, where errexit is off: every check returns)
	local bad=0
	side_ends "$wp" shmcat-in "$T/$R.in.err" 0 1 2 4 141 || bad=1
	side_ends "$rp" shmcat-out "$T/$R.out.err" 0 1 3 4 || bad=1
	side_ends "$tp" shmcat-out "$T/$R.tap.err" 0 1 3 4 || bad=1
	peer_done
	kill "$SL" 2>/dev/null || true
	wait_job "$SL"
	[[ ! -s $T/$R.st ]] || _fail "shmcat status, $field=$value:" "$(head -n 5 "$T/$R.st")" || bad=1
	return "$bad"
}

# scenes FIELD=VALUE...: one scene each, every failure listed.
scenes() {
	local fv fails=()
	BASE=$R SCENE=0
	for fv in "$@"; do
		scene "${fv%%=*}" "${fv#*=}" 2>"$T/scene.log" </dev/null ||
			fails+=("${fv}: $(tr '\n' ' ' <"$T/scene.log")")
	done
	R=$BASE
	((${#fails[@]} == 0)) || _fail "${fails[@]}"
}

# A stream per field rewritten makes these scenes slow (make check-quick
# leaves them out); slow:sanitized, as well, costs more than make
# sanitize can carry.
# bats test_tags=slow, slow:sanitized
@test "rewriting under a stream: identity fields (magic, version, sizes, capacity, creation)" {
	scenes magic=0 version=1 header_size=0xffffffff capacity=0x8000000000000000 \
		object_size=1 created_sec=0x7fffffffffffffff creator_pid=-1 \
		max_readers=0xffffffff max_writers=0 sem_size=16 reader_slot_size=0 \
		writer_slot_size=0xffff shared_size=1
}

# bats test_tags=slow
@test "rewriting under a stream: positions (tail, floor, reserve_end, cursors)" {
	scenes tail=tail+5000 floor=0x8000000000000000 reserve_end=0xffffffffffffffff \
		pos0=tail+1 pos1=0
}

# bats test_tags=slow, slow:sanitized
@test "rewriting under a stream: flags and counts" {
	scenes record_mode=99 writer_events=0xffffffffffffffff stream_flags=0xffffffff \
		writer_pid=0x7fffffff writer_waiting=0xffffffff writer_sleeps=0xffffffffffffffff \
		readers_waiting=0xffffffff commit_waiting=0xffffffff
}

# bats test_tags=slow, slow:sanitized
@test "rewriting under a stream: reader and writer slots (kind, pid, counters, name)" {
	scenes kind0=99 kind1=0 kind5=2 pid0=-1 sleeps1=0xffffffffffffffff \
		skipped1=0xffffffffffffffff name0=0x1b name1=0xff wbusy0=0xffffffff \
		wpid0=-1 wbytes0=0xffffffffffffffff
}

# The CPU hints (2.1.0) only decide whether a waiter spins 5 us: a peer
# that keeps rewriting them must not change a byte of the stream.
@test "rewriting the CPU hints under a stream: the stream is exact" {
	head -c 3000000 /dev/urandom >"$T/in"
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID p1 p2
	wait_until ring_is "$R" readers_alive 1
	spawn "$HOSTILE" -r 3 "$R" writer_cpu 0xffffffff
	p1=$BG_PID
	spawn "$HOSTILE" -r 3 "$R" cpu0 0
	p2=$BG_PID
	run -0 --separate-stderr tmo bash -c \
		'{ head -c 1000000 "$2"; sleep 0.5; tail -c +1000001 "$2"; } | "$0" -s 64K "$1"' \
		"$SHMCAT_IN" "$R" "$T/in"
	assert_job "$rp" 0 "shmcat-out"
	assert_job "$p1" 0 "the peer rewriting writer_cpu"
	assert_job "$p2" 0 "the peer rewriting cpu0"
	cmp "$T/in" "$T/out" || _fail "the output differs from the input"
	assert_no_ring "$R"
}

# bats test_tags=slow
@test "rewriting under a stream: the semaphores (every byte, and glibc's flags word alone)" {
	scenes sem=0xff sem_space=0x01 sem_wake0=0xff sem_wake1=0x80 sem_private=137 sem_private=246 \
		sem_commit=0xff
}

# bats test_tags=slow
@test "rewriting under record writers: the commit lock's waiters and semaphore" {
	record_writers 3 3 commit_waiting 0
	R=$R-2
	record_writers 2 3 sem_commit 0xff
}
