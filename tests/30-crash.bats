#!/usr/bin/env bats
# 30-crash (issue 3): peers that die or are interrupted, consumers that
# leave, stale and truncated objects, a full /dev/shm.  Each test checks
# the exit statuses, the message, the bytes delivered and what is left in
# /dev/shm.  Processes are killed by their own pid (child_of/pid_named),
# never through the `timeout` that bounds them.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
	head -c 4M /dev/urandom >"$BATS_FILE_TMPDIR/rand4m"
	seq 1 200000 >"$BATS_FILE_TMPDIR/seq"
	# A slow, deterministic producer for the kill loops.
	for ((i = 0; i < 40000; i++)); do
		echo "line $i"
	done >"$BATS_FILE_TMPDIR/lines"
}

setup() {
	shmcat_setup
	RAND=$BATS_FILE_TMPDIR/rand4m
	SEQ=$BATS_FILE_TMPDIR/seq
	LINES_=$BATS_FILE_TMPDIR/lines
}

teardown() {
	shmcat_teardown
}

###################
#  writer  dies   #
###################

@test "writer killed -9 on a full ring, no reader: a reader gets all committed bytes, exits 3" {
	spawn "$SHMCAT_IN" -s 64K "$R" <"$RAND" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	wait_until ring_full "$R"

	kill -KILL "$wpid"
	assert_job "$wp" 137 "shmcat-in after kill -9"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 3 "shmcat-out"
	assert_size "$T/out" 65536
	assert_prefix "$T/out" "$RAND"
	assert_stderr "^shmcat-out: "
	assert_stderr "died"
	assert_stderr "\\b$wpid\\b"
	assert_no_ring "$R"
}

@test "writer killed -9 mid-stream under a live reader: the reader notices within seconds, exits 3" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID

	feed "$RAND" 100000
	wait_until file_size_ge "$T/out" 100000
	kill -KILL "$wpid"
	local t0
	t0=$(now_us)
	assert_job "$wp" 137 "shmcat-in after kill -9"

	wait_until -t 3 pid_gone "$rp"
	assert_within "$t0" 3000 "noticing the dead writer"
	assert_job "$rp" 3 "shmcat-out"
	assert_size "$T/out" 100000
	assert_prefix "$T/out" "$RAND"
	assert_file_match "$T/out.err" "^shmcat-out: .*died"
	assert_file_match "$T/out.err" "\\b$wpid\\b"
	assert_no_ring "$R"
}

# writer_signal SIG: a writer stopped by SIG exits 128+N; the reader
# delivers what was committed and reports an interruption (exit 3).
writer_signal() {
	local sig=$1 n
	n=$(kill -l "$sig")
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID

	feed "$RAND" 10000
	wait_until file_size_ge "$T/out" 10000
	kill "-$sig" "$wpid"
	assert_job "$wp" $((128 + n)) "shmcat-in after SIG$sig"
	assert_job "$rp" 3 "shmcat-out"
	assert_size "$T/out" 10000
	assert_prefix "$T/out" "$RAND"
	assert_file_match "$T/out.err" "^shmcat-out: .*interrupt"
	assert_no_ring "$R"
}

@test "writer interrupted by SIGINT: writer 130, reader 3" {
	writer_signal INT
}

@test "writer interrupted by SIGTERM: writer 143, reader 3" {
	writer_signal TERM
}

@test "writer interrupted by SIGHUP: writer 129, reader 3" {
	writer_signal HUP
}

###################
#  reader  dies   #
###################

# start_stuck_reader: a writer streaming $RAND through a 64K ring into a
# reader whose stdout is a FIFO drained by `cat >$T/out1`; after 200000
# bytes the cat is stopped, so the reader ends up blocked in write(2) on a
# full pipe with a chunk in hand, and the writer waits on the full ring.
# Sets WP (writer job), RP and RPID (reader job and pid), CAT and CATPID.
# (Readers started right after a writer pass the same --size: whichever
# side comes first creates the ring.)
start_stuck_reader() {
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	WP=$BG_PID
	mkfifo "$T/pipe1"
	spawn cat "$T/pipe1" >"$T/out1"
	CAT=$BG_PID
	CATPID=$(child_of "$CAT")
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/pipe1" 2>"$T/out1.err"
	RP=$BG_PID
	RPID=$(child_of "$RP")

	feed "$RAND" 200000
	wait_until file_size_ge "$T/out1" 200000
	kill -STOP "$CATPID"
	# The rest of the input, from a feeder of its own (it will block).
	tail -c +200001 "$RAND" >"$T/rest"
	spawn cat "$T/rest" >"$FEED"
	FEEDER=$BG_PID
	feed_close
	wait_until ring_full "$R"
	pid_alive "$WP"
}

# finish_with_second_reader: let the stopped cat drain what the first
# reader wrote, then read the rest with a second reader.
finish_with_second_reader() {
	kill -CONT "$CATPID"
	assert_job "$CAT" 0 "cat of the first reader's output"
	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "the second shmcat-out"
	assert_job "$FEEDER" 0 "feeder"
	assert_job "$WP" 0 "shmcat-in"
}

@test "reader killed -9 mid-write: the writer waits; a new reader resumes, nothing lost, at most one chunk repeated" {
	start_stuck_reader
	kill -KILL "$RPID"
	assert_job "$RP" 137 "shmcat-out after kill -9"

	# No committed byte is lost: the writer keeps the ring full and waits.
	wait_until ring_full "$R"
	pid_alive "$WP"
	assert_equal "$(ring_kv "$R" state)" open "state"

	finish_with_second_reader
	local n1 n2 total start
	n1=$(stat -c %s "$T/out1")
	n2=$(stat -c %s "$T/out2")
	total=$(stat -c %s "$RAND")
	start=$((total - n2))
	assert_prefix "$T/out1" "$RAND"
	((start <= n1)) || _fail "bytes lost between the readers" \
		"first reader wrote bytes [0, $n1), second reader started at $start"
	((n1 - start <= 65536)) || _fail "more than one chunk repeated" \
		"repeated: $((n1 - start)) bytes, ring capacity 65536"
	assert_suffix_from "$T/out2" "$RAND" "$start"
	echo "# repeated after kill -9: $((n1 - start)) bytes" >&3
	assert_no_ring "$R"
}

# reader_signal SIG: a reader stopped by SIG (even inside write(2)) commits
# exactly what was written; the next reader resumes at the very next byte.
reader_signal() {
	local sig=$1 n
	n=$(kill -l "$sig")
	start_stuck_reader
	kill "-$sig" "$RPID"
	assert_job "$RP" $((128 + n)) "shmcat-out after SIG$sig"

	finish_with_second_reader
	cat "$T/out1" "$T/out2" >"$T/both"
	assert_same_file "$T/both" "$RAND"
	assert_no_ring "$R"
}

@test "reader stopped by SIGTERM mid-write: the next reader resumes exactly" {
	reader_signal TERM
}

@test "reader stopped by SIGINT mid-write: the next reader resumes exactly" {
	reader_signal INT
}

@test "reader stopped by SIGHUP mid-write: the next reader resumes exactly" {
	reader_signal HUP
}

######################
#  consumer leaves   #
######################

@test "shmcat-out | head -n 3: shmcat-out exits 141, the writer carries on, the next reader continues" {
	spawn "$SHMCAT_IN" -s 64K "$R" <"$SEQ" 2>"$T/in.err"
	local wp=$BG_PID
	local ps=()
	tmo "$SHMCAT_OUT" -s 64K "$R" 2>"$T/out1.err" | head -n 3 >"$T/head" &&
		ps=("${PIPESTATUS[@]}") || ps=("${PIPESTATUS[@]}")
	assert_status "${ps[0]}" 141 "shmcat-out | head -n 3"
	assert_equal "$(cat "$T/head")" $'1\n2\n3' "head -n 3"

	# The stream has not ended: the writer waits on the full ring.
	wait_until ring_full "$R"
	pid_alive "$wp"
	assert_equal "$(ring_kv "$R" state)" open "state"

	# What head took (and what was still in the pipe) is gone; the rest
	# comes next, in order, up to the end.
	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "the second shmcat-out"
	assert_job "$wp" 0 "shmcat-in"
	local start=$(($(stat -c %s "$SEQ") - $(stat -c %s "$T/out2")))
	((start >= 6)) || _fail "the second reader repeated what head printed" "started at byte $start"
	assert_suffix_from "$T/out2" "$SEQ" "$start"
	assert_no_ring "$R"
}

@test "consumer leaves while shmcat-out waits: exit 141, exactly the bytes write(2) accepted are committed" {
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	mkfifo "$T/pipe1"
	spawn head -c 100000 "$T/pipe1" >"$T/got"
	local hp=$BG_PID
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/pipe1" 2>"$T/out1.err"
	local rp=$BG_PID

	# shmcat-out writes exactly 100000 bytes; head takes them all and
	# leaves while shmcat-out sleeps on the empty ring.
	feed "$SEQ" 100000
	assert_job "$hp" 0 "head -c 100000"
	assert_size "$T/got" 100000

	# More data: shmcat-out's next write(2) fails, it ends with 141 and
	# commits nothing of what it could not write.
	tail -c +100001 "$SEQ" >"$T/rest"
	spawn cat "$T/rest" >"$FEED"
	local feeder=$BG_PID
	feed_close
	assert_job "$rp" 141 "shmcat-out after its consumer left"
	# The writer carries on, and waits once the ring is full.
	wait_until ring_full "$R"
	pid_alive "$wp"

	run_file "$T/out2" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "the second shmcat-out"
	assert_job "$feeder" 0 "feeder"
	assert_job "$wp" 0 "shmcat-in"
	assert_same_file "$T/out2" "$T/rest"
	assert_no_ring "$R"
}

@test "--hangup: yes | shmcat-in, shmcat-out --hangup | head -n 1 end like yes | head -n 1" {
	spawn bash -c 'yes | "$0" "$1"; exit "${PIPESTATUS[1]}"' "$SHMCAT_IN" "$R" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_exists "$R"

	local ps=()
	tmo "$SHMCAT_OUT" --hangup "$R" 2>"$T/out.err" | head -n 1 >"$T/head" &&
		ps=("${PIPESTATUS[@]}") || ps=("${PIPESTATUS[@]}")
	assert_equal "$(cat "$T/head")" y "head -n 1"
	assert_status "${ps[0]}" 141 "shmcat-out --hangup"

	local t0
	t0=$(now_us)
	wait_until -t 3 pid_gone "$wp"
	assert_within "$t0" 3000 "the writer stopping"
	assert_job "$wp" 141 "shmcat-in after the hangup"
	wait_until -t 3 ring_gone "$R"
}

###################
#  stale objects  #
###################

# stale_ring: a writer killed -9 holding 16 unread bytes, no reader.
stale_ring() {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid
	wpid=$(child_of "$wp")
	printf 'committed bytes\n' >"$T/old"
	feed "$T/old"
	wait_until ring_is "$R" buffered 16
	kill -KILL "$wpid"
	assert_job "$wp" 137 "shmcat-in after kill -9"
	feed_close
}

@test "stale ring with unread bytes: a new writer refuses (exit 2, mentions --force); a reader drains it, exit 3" {
	stale_ring
	echo new >"$T/new"
	run -2 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/new"
	assert_stderr "^shmcat-in: .*$R"
	assert_stderr "(^|[^[:alnum:]-])-f([^[:alnum:]]|$)|--force"
	assert_ring "$R"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 3 "shmcat-out"
	assert_same_file "$T/out" "$T/old"
	assert_stderr "died"
	assert_no_ring "$R"
}

@test "stale ring with unread bytes: shmcat-in --force replaces it" {
	stale_ring
	echo new >"$T/new"
	run -0 --separate-stderr tmo "$SHMCAT_IN" --force "$R" <"$T/new"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" new
	assert_no_ring "$R"
}

# empty_stale_ring: a reader that created the ring, killed -9.
empty_stale_ring() {
	local rp rpid
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	rp=$BG_PID
	rpid=$(child_of "$rp")
	wait_until ring_is "$R" readers_alive 1
	kill -KILL "$rpid"
	assert_job "$rp" 137 "shmcat-out after kill -9"
}

@test "empty stale ring (reader killed -9) is reused quietly" {
	empty_stale_ring
	echo hello >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_equal "$stderr" "" "shmcat-in stderr"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" hello
	assert_no_ring "$R"
}

@test "empty stale ring (reader killed -9): shmcat-in -v says it reuses a stale ring" {
	empty_stale_ring
	echo hello >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" -v "$R" <"$T/in"
	assert_stderr "stale|abandon|re-?init"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" hello
	assert_no_ring "$R"
}

@test "a second concurrent writer: exit 2, the message names the first writer's pid" {
	writer_fed

	echo second >"$T/in2"
	run -2 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in2"
	assert_stderr "^shmcat-in: .*$R"
	assert_stderr "\\b$WPID\\b"

	feed_close
	assert_job "$WP" 0 "the first shmcat-in"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" first
	assert_no_ring "$R"
}

####################
#  resources       #
####################

@test "a ring larger than /dev/shm can hold: exit 2 at once, a clear message, nothing left" {
	local kib gib t0 prog
	kib=$(df -k --output=size "$SHMDIR" | tail -n 1)
	gib=$(((kib + 1048575) / 1048576 + 1))
	if ((gib > 64)); then
		skip "/dev/shm ($((kib / 1048576)) GiB) is larger than the largest ring shmcat accepts (64G)"
	fi
	echo "# /dev/shm: $kib KiB; asking for ${gib}G" >&3
	for prog in shmcat-in shmcat-out; do
		t0=$(now_us)
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -s "${gib}G" "$R" </dev/null
		assert_within "$t0" 5000 "$prog -s ${gib}G"
		assert_stderr "^$prog: $R: "
		assert_stderr "space"
		assert_no_ring "$R"
	done
}

@test "object truncated under a waiting reader: exit 1 with a message, no core dump" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_is "$R" readers_alive 1

	truncate -s 0 "$SHMDIR/shmcat.$R"
	assert_job "$rp" 1 "shmcat-out after truncation"
	assert_file_match "$T/out.err" "^shmcat-out: $R: "

	# What is left is no ring: refused, never re-initialised or removed.
	assert_ring "$R"
	run -2 --separate-stderr tmo "$SHMCAT_IN" "$R" </dev/null
	assert_stderr "^shmcat-in: $R: "
	assert_size "$SHMDIR/shmcat.$R" 0
	rm -f "$SHMDIR/shmcat.$R"
}

@test "object truncated under a writer blocked on a full ring: exit 1 with a message, no core dump" {
	spawn "$SHMCAT_IN" -s 64K "$R" <"$RAND" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_full "$R"

	truncate -s 0 "$SHMDIR/shmcat.$R"
	assert_job "$wp" 1 "shmcat-in after truncation"
	assert_file_match "$T/in.err" "^shmcat-in: $R: "
	rm -f "$SHMDIR/shmcat.$R"
}

@test "object truncated mid-stream: both sides exit 1, no core dump" {
	# Writer waiting on the full ring, reader blocked writing to a pipe.
	start_stuck_reader
	truncate -s 0 "$SHMDIR/shmcat.$R"
	kill -CONT "$CATPID"
	assert_job "$WP" 1 "shmcat-in after truncation"
	assert_job "$RP" 1 "shmcat-out after truncation"
	assert_job "$CAT" 0 "cat"
	wait_job "$FEEDER"
	assert_prefix "$T/out1" "$RAND"
	assert_file_match "$T/in.err" "^shmcat-in: $R: "
	assert_file_match "$T/out1.err" "^shmcat-out: $R: "
	rm -f "$SHMDIR/shmcat.$R"
}

#############################
#  kills at random moments  #
#############################

# slow: ten whole streams, each killed
# bats test_tags=slow
@test "writer killed -9 at random moments (10 rounds): reader delivers a prefix, exits 3 (or 0 if the stream was complete)" {
	local i r wp rp wpid k n deadline=$((SECONDS + 90))
	for ((i = 0; i < 10 && SECONDS < deadline; i++)); do
		r=$(ring_name)
		spawn bash -c 'while IFS= read -r l; do printf "%s\n" "$l"; done <"$0" | "$1" -s 16K "$2"' \
			"$LINES_" "$SHMCAT_IN" "$r" 2>"$T/in.$i.err"
		wp=$BG_PID
		wpid=$(pid_named "$wp" shmcat-in)
		spawn "$SHMCAT_OUT" -s 16K "$r" >"$T/out.$i" 2>"$T/out.$i.err"
		rp=$BG_PID

		k=$((RANDOM % $(stat -c %s "$LINES_")))
		wait_until file_size_ge "$T/out.$i" "$k"
		kill -KILL "$wpid" 2>/dev/null || true
		wait_job "$wp"
		wait_job "$rp"
		n=$(stat -c %s "$T/out.$i")
		echo "# round $i: kill at >= $k bytes; reader got $n, exit $jstatus" >&3
		assert_prefix "$T/out.$i" "$LINES_"
		if [[ $jstatus == 0 ]]; then
			assert_same_file "$T/out.$i" "$LINES_"
		else
			assert_status "$jstatus" 3 "round $i: shmcat-out"
			assert_file_match "$T/out.$i.err" "died"
		fi
		wait_until -t 3 ring_gone "$r"
	done
	((i >= 5)) || _fail "only $i rounds in 90 s"
}

# slow: ten whole streams, each killed
# bats test_tags=slow
@test "reader killed -9 at random moments (10 rounds): a second reader completes the stream" {
	local i r wp rp rpid k n1 n2 start total deadline=$((SECONDS + 90))
	total=$(stat -c %s "$LINES_")
	for ((i = 0; i < 10 && SECONDS < deadline; i++)); do
		r=$(ring_name)
		spawn bash -c 'while IFS= read -r l; do printf "%s\n" "$l"; done <"$0" | "$1" -s 16K "$2"' \
			"$LINES_" "$SHMCAT_IN" "$r" 2>"$T/in.$i.err"
		wp=$BG_PID
		spawn "$SHMCAT_OUT" -s 16K "$r" >"$T/out1.$i" 2>"$T/out1.$i.err"
		rp=$BG_PID
		rpid=$(child_of "$rp")

		k=$((RANDOM % total))
		wait_until file_size_ge "$T/out1.$i" "$k"
		kill -KILL "$rpid" 2>/dev/null || true
		wait_job "$rp"
		n1=$(stat -c %s "$T/out1.$i")
		assert_prefix "$T/out1.$i" "$LINES_"
		if [[ $jstatus == 0 ]]; then
			# The stream was already complete.
			assert_same_file "$T/out1.$i" "$LINES_"
			assert_job "$wp" 0 "round $i: shmcat-in"
			wait_until -t 3 ring_gone "$r"
			continue
		fi
		assert_status "$jstatus" 137 "round $i: shmcat-out after kill -9"

		run_file "$T/out2.$i" "$SHMCAT_OUT" "$r"
		assert_status "$status" 0 "round $i: the second shmcat-out"
		assert_job "$wp" 0 "round $i: shmcat-in"
		n2=$(stat -c %s "$T/out2.$i")
		start=$((total - n2))
		echo "# round $i: killed at >= $k; first got $n1, second from $start" >&3
		((start <= n1)) || _fail "round $i: bytes lost" "first [0, $n1), second from $start"
		((n1 - start <= 16384)) || _fail "round $i: more than one chunk repeated" "$((n1 - start)) bytes"
		assert_suffix_from "$T/out2.$i" "$LINES_" "$start"
		assert_no_ring "$r"
	done
	((i >= 5)) || _fail "only $i rounds in 90 s"
}
