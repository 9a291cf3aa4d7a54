#!/usr/bin/env bats
# 40-fanout: many writers of whole records, fan-out readers, the tap.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }
setup() { shmcat_setup; }
teardown() { shmcat_teardown; }

# lines_of WRITER COUNT: distinguishable, checkable lines.
lines_of() {
	seq -f "writer $1 line %06g of a record that is long enough to matter" 1 "$2"
}

@test "4 writers x 5000 lines arrive as 20000 whole lines" {
	local w fds=() pids=()
	for w in 1 2 3 4; do lines_of "$w" 5000 >"$T/in$w"; done
	spawn "$SHMCAT_OUT" -s 8K "$R" >"$T/out"
	local reader=$BG_PID
	wait_until ring_exists "$R"
	# All four attach before any sends a byte: the stream ends when the
	# last writer attached finishes (a writer alone would end it at once).
	# Our ends of the FIFOs are fds 41-44 (bats uses low ones); no child may inherit them, or
	# no writer would ever see the end of its input.
	for w in 1 2 3 4; do
		mkfifo "$T/f$w"
		eval "exec $((40 + w))<>\"\$T/f$w\""
	done
	for w in 1 2 3 4; do
		timeout "$TMO" "$SHMCAT_IN" --lines "$R" <"$T/f$w" \
			3>&- 41>&- 42>&- 43>&- 44>&- &
		pids+=("$!")
	done
	wait_until ring_is "$R" writers_active 4
	for w in 1 2 3 4; do
		timeout "$TMO" cat "$T/in$w" >"$T/f$w" 3>&- 41>&- 42>&- 43>&- 44>&- &
		fds+=("$!")
	done
	for w in "${fds[@]}"; do wait "$w"; done
	exec 41>&- 42>&- 43>&- 44>&-
	for w in "${pids[@]}"; do assert_job "$w" 0 "writer"; done
	assert_job "$reader" 0 "reader"
	assert_equal "$(wc -l <"$T/out")" 20000 "lines received"
	sort "$T"/in? >"$T/want"
	sort "$T/out" >"$T/got"
	assert_same_file "$T/got" "$T/want"
	# Each writer's lines are in its own order.
	for w in 1 2 3 4; do
		grep "^writer $w " "$T/out" >"$T/only$w"
		assert_same_file "$T/only$w" "$T/in$w"
	done
	assert_no_ring "$R"
}

@test "NUL-terminated records from two writers stay whole" {
	printf 'alpha one\0alpha two\0' >"$T/a"
	printf 'beta one\0beta two\0beta three\0' >"$T/b"
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local reader=$BG_PID
	wait_until ring_exists "$R"
	run -0 tmo "$SHMCAT_IN" --null -k "$R" <"$T/a"
	run -0 tmo "$SHMCAT_IN" --null "$R" <"$T/b"
	assert_job "$reader" 0 "reader"
	assert_equal "$(tr '\0' '\n' <"$T/out" | sort | tr '\n' ,)" \
		"alpha one,alpha two,beta one,beta three,beta two," "records"
}

# A ring takes 16 writers: the 17th is told so, not "ring is in use"
# (issue 20, part 3).
@test "a 17th record writer is told all 16 writer slots are taken" {
	feed_open
	local jobs=() n
	for n in {1..16}; do
		spawn "$SHMCAT_IN" --lines "$R" <"$FEED"
		jobs+=("$BG_PID")
	done
	wait_until ring_is "$R" writers_active 16
	run -2 --separate-stderr tmo "$SHMCAT_IN" --lines -n "$R" <<<"seventeen"
	assert_stderr "^shmcat-in: $R: all 16 writer slots are taken$"
	echo one >&7
	feed_close
	for n in "${jobs[@]}"; do
		assert_job "$n" 0 "a record writer"
	done
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" one
	assert_no_ring "$R"
}

@test "a record longer than the limit is an error, not interleaving" {
	head -c 5000 /dev/zero | tr '\0' x >"$T/long"
	echo >>"$T/long"
	run -2 --separate-stderr tmo "$SHMCAT_IN" --lines -s 4K "$R" <"$T/long"
	assert_stderr "record longer than 4096 bytes"
	run -0 tmo "$SHMCAT" rm -f "$R"
}

@test "a final line without a newline is delivered as a record" {
	printf 'first\nlast without newline' | tmo "$SHMCAT_IN" --lines "$R"
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "reader"
	printf 'first\nlast without newline\n' >"$T/want"
	assert_same_file "$T/out" "$T/want"
}

@test "--keep-open lets writers take turns; the last one ends the stream" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local reader=$BG_PID
	wait_until ring_exists "$R"
	echo one | tmo "$SHMCAT_IN" --lines --keep-open "$R"
	wait_until file_size_ge "$T/out" 4
	# The reader is still waiting: the stream is open without a writer.
	assert_equal "$(ring_kv "$R" state)" open "state"
	pid_alive "$reader"
	echo two | tmo "$SHMCAT_IN" --lines "$R"
	assert_job "$reader" 0 "reader"
	assert_equal "$(cat "$T/out")" $'one\ntwo' "output"
}

@test "byte and record writers do not mix on one ring" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED"
	local writer=$BG_PID
	wait_until ring_is "$R" writer_alive 1
	run -2 --separate-stderr tmo "$SHMCAT_IN" --lines "$R" </dev/null
	assert_stderr "record mode|in use"
	feed_close
	assert_job "$writer" 0 "writer"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "3 named readers started first each get the whole stream" {
	head -c 20M /dev/urandom >"$T/in"
	local pids=() n
	for n in a b c; do
		spawn "$SHMCAT_OUT" -s 64K --reader "$n" "$R" >"$T/out.$n"
		pids+=("$BG_PID")
		wait_until ring_is "$R" "readers_alive" "${#pids[@]}"
	done
	run -0 tmo "$SHMCAT_IN" "$R" <"$T/in"
	for n in 0 1 2; do assert_job "${pids[$n]}" 0 "reader $n"; done
	for n in a b c; do assert_same_file "$T/out.$n" "$T/in"; done
	assert_no_ring "$R"
}

@test "a second plain reader joins at the oldest byte still in the ring" {
	head -c 6M /dev/urandom >"$T/in"
	spawn "$SHMCAT_IN" "$R" <"$T/in"
	local writer=$BG_PID
	# The first reader holds the default cursor and writes into a FIFO
	# nobody reads yet: it stalls, and so does the writer.
	feed_open
	wait_until ring_exists "$R"
	spawn "$SHMCAT_OUT" "$R" >"$FEED"
	local first=$BG_PID
	wait_until ring_full "$R"
	spawn "$SHMCAT_OUT" "$R" >"$T/second"
	local second=$BG_PID
	wait_until ring_is "$R" readers_alive 2
	timeout "$TMO" cat "$FEED" >"$T/first" 7>&- &
	local drain=$!
	assert_job "$writer" 0 "writer"
	assert_job "$first" 0 "first reader"
	assert_job "$second" 0 "second reader"
	feed_close
	wait_job "$drain"
	head -c "$(stat -c %s "$T/first")" "$T/in" >"$T/in.head"
	assert_same_file "$T/first" "$T/in.head"
	# The second got everything from the first reader's position then:
	# at most a pipe (1 MiB) and a bit behind the start.
	assert_suffix_from "$T/second" "$T/in" $(( $(stat -c %s "$T/in") - $(stat -c %s "$T/second") ))
	(($(stat -c %s "$T/second") >= 4 * 1024 * 1024))
}

@test "status shows every reader with its position and lag" {
	head -c 4M /dev/zero | tmo "$SHMCAT_IN" -s 2M "$R" &
	local writer=$!
	wait_until ring_exists "$R"
	feed_open
	spawn "$SHMCAT_OUT" --reader slow "$R" >"$FEED"
	local slow=$BG_PID
	wait_until ring_full "$R"
	run -0 tmo "$SHMCAT" status -k "$R"
	assert_match "$output" "reader\.[0-9]+\.name=slow" "named reader listed"
	assert_match "$output" "reader\.[0-9]+\.lag=[1-9][0-9]*" "lag listed"
	assert_match "$output" "reader\.[0-9]+\.pos=[0-9]+" "position listed"
	assert_match "$output" "reader\.[0-9]+\.alive=1" "liveness listed"
	timeout "$TMO" cat "$FEED" >/dev/null 7>&- &
	assert_job "$slow" 0 "reader"
	wait "$writer"
	feed_close
}

@test "a tap on a fast stream skips, says so, and outputs only whole lines" {
	seq -f 'line %08g end' 1 300000 >"$T/in"
	spawn "$SHMCAT_OUT" -s 4K "$R" >/dev/null
	local reader=$BG_PID
	wait_until ring_exists "$R"
	# The tap writes into a FIFO whose reader we stop once the tap is
	# attached (its open of the FIFO returned, so the reader has it open
	# too), so the tap falls far behind while the writer and the real
	# reader race on.  Only the tap holds the write end: its exit is EOF.
	mkfifo "$T/tapfifo"
	timeout "$TMO" cat "$T/tapfifo" >"$T/tap" 3>&- &
	local drain=$!
	spawn "$SHMCAT_OUT" --tap --stats "$R" >"$T/tapfifo" 2>"$T/tap.err"
	local tap=$BG_PID
	wait_until ring_is "$R" readers_alive 2
	kill -STOP "$(pid_named "$drain" cat)"
	run -0 tmo "$SHMCAT_IN" --lines "$R" <"$T/in"
	assert_job "$reader" 0 "reader"
	kill -CONT "$(pid_named "$drain" cat)"
	assert_job "$tap" 0 "tap"
	wait "$drain"
	assert_file_match "$T/tap.err" "skipped [0-9]+ bytes"
	# Every line whole and in order; far fewer than were sent.
	run awk 'BEGIN { prev = 0 }
		!/^line [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9] end$/ { print "torn: " $0; exit 1 }
		{ n = $2 + 0; if (n <= prev) { print "order: " $0; exit 1 }; prev = n }
		END { print NR }' "$T/tap"
	assert_status "$status" 0 "tap output check: $output"
	((output < 300000))
}

# A ring remembers how the last four streams ended (shmcat(7)).  A tap
# stopped while five more streams come and go cannot learn how its own
# ended: it must say so, not call a clean stream's writer dead, nor name
# the last writer of a later stream (issue 20, part 3).
@test "a tap that sleeps through five later streams says it cannot know how its stream ended" {
	writer_fed
	spawn "$SHMCAT_OUT" --tap "$R" >"$T/tap" 2>"$T/tap.err"
	local tp=$BG_PID tpid n
	wait_until ring_is "$R" readers_alive 1
	tpid=$(child_of "$tp")
	echo second >&7
	wait_until grep -qx second "$T/tap"
	kill -STOP "$tpid"
	feed_close
	assert_job "$WP" 0 "the first stream's writer"
	run -0 tmo "$SHMCAT_OUT" "$R"
	# (not $i: bats's run sets it)
	for n in 1 2 3 4 5; do
		run -0 tmo "$SHMCAT_IN" "$R" <<<"stream $n"
		run -0 tmo "$SHMCAT_OUT" "$R"
		assert_equal "$output" "stream $n"
	done
	kill -CONT "$tpid"
	assert_job "$tp" 3 "the tap"
	assert_equal "$(cat "$T/tap")" $'first\nsecond' "what the tap delivered"
	run cat "$T/tap.err"
	assert_match "$output" "too far behind" "the tap's message"
	assert_not_match "$output" "died|pid" "the tap's message"
	assert_no_ring "$R"
}

@test "killing one of two writers leaves the other's lines whole and says so" {
	lines_of 1 200000 >"$T/in1"
	lines_of 2 2000 >"$T/in2"
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out" 2>"$T/out.err"
	local reader=$BG_PID
	wait_until ring_exists "$R"
	feed_open
	spawn "$SHMCAT_IN" --lines "$R" <"$FEED"
	local victim
	victim=$(child_of "$BG_PID")
	local victim_job=$BG_PID
	feed "$T/in1" 3000000
	# The second writer is attached before the first dies: otherwise
	# the reader may notice the death (within one 200 ms slice) and end
	# the stream before the second writer arrives -- a race the test
	# used to lose under load.
	mkfifo "$T/feed2"
	exec 8<>"$T/feed2"
	spawn "$SHMCAT_IN" --lines "$R" <"$T/feed2" 8>&-
	local second=$BG_PID
	wait_until ring_is "$R" writers_active 2
	kill -9 "$victim"
	wait_job "$victim_job"
	timeout "$TMO" cat "$T/in2" >&8
	exec 8>&-
	assert_job "$second" 0 "the second writer"
	feed_close
	assert_job "$reader" 3 "reader (a writer died)"
	assert_file_match "$T/out.err" "writer died"
	grep '^writer 2 ' "$T/out" >"$T/got2"
	assert_same_file "$T/got2" "$T/in2"
	grep '^writer 1 ' "$T/out" >"$T/got1"
	assert_prefix "$T/got1" "$T/in1"
	assert_equal "$(grep -vc '^writer [12] line [0-9]\{6\} of a record that is long enough to matter$' "$T/out")" 0 "torn lines"
	assert_no_ring "$R"
}

@test "a killed anonymous reader does not stall the writer or the others" {
	head -c 8M /dev/urandom >"$T/in"
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out"
	local keeper=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	feed_open
	spawn "$SHMCAT_OUT" "$R" >"$FEED"
	local victim
	victim=$(child_of "$BG_PID")
	local victim_job=$BG_PID
	wait_until ring_is "$R" readers_alive 2
	kill -9 "$victim"
	wait_job "$victim_job"
	run -0 tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_job "$keeper" 0 "remaining reader"
	assert_same_file "$T/out" "$T/in"
	feed_close
}
