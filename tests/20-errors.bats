#!/usr/bin/env bats
# 20-errors: invalid input and unavailable IPC resources give the
# documented exit status (2; 4 for would-block and time-outs) and a
# one-line message naming the program, and leave nothing behind.

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

# Names the spec forbids: 1..200 of [A-Za-z0-9._-], not starting with '.'.
bad_names() {
	printf '%s\n' "" "/" "a/b" "." ".." ".hidden" "a b" "ü" "a:b" "a*" \
		"$(printf 'a%.0s' {1..300})" "$(printf 'b%.0s' {1..201})"
}

@test "bad ring names: exit 2 with a message naming the program, nothing created" {
	local prog name
	while IFS= read -r name; do
		for prog in shmcat-in shmcat-out; do
			run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" "$name" </dev/null
			assert_stderr "^$prog: "
			assert_equal "$output" "" "$prog '$name' stdout"
		done
		run -2 --separate-stderr tmo "$SHMCAT" status "$name"
		assert_stderr "^shmcat: "
		run -2 --separate-stderr tmo "$SHMCAT" rm "$name"
		assert_stderr "^shmcat: "
		[[ ! -e "$SHMDIR/shmcat.$name" ]] ||
			_fail "a ring named '$name' was created" "$(ls -ld "$SHMDIR/shmcat.$name")"
	done < <(bad_names)
}

@test "a 200-character name is allowed" {
	local name=$R
	while ((${#name} < 200)); do
		name+=x
	done
	printf x >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$name" <"$T/in"
	assert_ring "$name"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$name"
	assert_equal "$output" x
	assert_no_ring "$name"
}

@test "size mismatch between creator and attacher: exit 2 and a message" {
	printf x >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" -s 64K "$R" <"$T/in"

	run -2 --separate-stderr tmo "$SHMCAT_OUT" -s 128K "$R"
	assert_stderr "^shmcat-out: .*$R"
	assert_stderr "size|capacity"
	assert_equal "$output" "" "stdout"
	assert_ring "$R"

	# The same size spelled differently is no mismatch.
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -s 65536 "$R"
	assert_equal "$output" x
	assert_no_ring "$R"
}

@test "size mismatch, reader first: the writer's --size differs, exit 2" {
	printf x >"$T/in"
	spawn "$SHMCAT_OUT" -s 64K "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_exists "$R"

	run -2 --separate-stderr tmo "$SHMCAT_IN" -s 128K "$R" <"$T/in"
	assert_stderr "^shmcat-in: .*$R"
	assert_stderr "size|capacity"

	# Without --size a writer takes whatever exists.
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_job "$rp" 0 "shmcat-out"
	assert_equal "$(cat "$T/out")" x
	assert_no_ring "$R"
}

# slow: a program run per form; tests/unit/test_parse checks every form
# bats test_tags=slow
@test "bad sizes: exit 2, nothing created" {
	local prog size
	for prog in shmcat-in shmcat-out; do
		for size in 0 -1 12Q 99999999999G abc "" K 1x; do
			run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -s "$size" "$R" </dev/null
			assert_stderr "^$prog: "
			run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" --size="$size" "$R" </dev/null
			assert_stderr "^$prog: "
			assert_no_ring "$R"
		done
	done
}

# slow: a program run per form; tests/unit/test_parse checks every form
# bats test_tags=slow
@test "bad --mode and --timeout values: exit 2" {
	local prog v
	for prog in shmcat-in shmcat-out; do
		for v in 999 abc 8 10000 -1; do
			run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -m "$v" "$R" </dev/null
			assert_stderr "^$prog: "
		done
		for v in abc -1 1x ""; do
			run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -t "$v" "$R" </dev/null
			assert_stderr "^$prog: "
		done
		assert_no_ring "$R"
	done
}

@test "unknown option: exit 2 with the usage on stderr" {
	local prog
	for prog in shmcat-in shmcat-out shmcat; do
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" --bogus "$R" </dev/null
		assert_stderr "^$prog: "
		assert_stderr "usage"
		assert_equal "$output" "" "$prog --bogus stdout"
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -Z "$R" </dev/null
		assert_stderr "usage"
	done
	run -2 --separate-stderr tmo "$SHMCAT" frobnicate
	assert_stderr "^shmcat: "
	assert_no_ring "$R"
}

@test "missing or extra ring argument: exit 2" {
	local prog
	for prog in shmcat-in shmcat-out; do
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" </dev/null
		assert_stderr "^$prog: |usage"
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" "$R" "$R-2" </dev/null
		assert_stderr "^$prog: |usage"
	done
	run -2 --separate-stderr tmo "$SHMCAT" status
	run -2 --separate-stderr tmo "$SHMCAT" rm
	assert_no_ring "$R"
}

@test "a foreign object is 'not a shmcat ring': exit 2, never removed" {
	local f=$SHMDIR/shmcat.$R prog
	printf junk >"$f"
	for prog in shmcat-in shmcat-out; do
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" "$R" </dev/null
		assert_stderr "^$prog: $R: "
		assert_stderr "not a shmcat ring"
		assert_equal "$(cat "$f")" junk "the foreign object"
	done
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "not a shmcat ring"
	assert_equal "$(cat "$f")" junk "the foreign object after shmcat rm"

	# A large object of zeros is no ring either.
	head -c 1M /dev/zero >"$f"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_stderr "not a shmcat ring"
	assert_size "$f" 1048576
	rm -f "$f"
}

@test "--force replaces a foreign object" {
	printf junk >"$SHMDIR/shmcat.$R"
	echo hi >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" -f "$R" <"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" hi
	assert_no_ring "$R"
}

@test "--nonblock reader, no ring at all: exit 4 at once, nothing left" {
	local t0
	t0=$(now_us)
	run -4 --separate-stderr tmo "$SHMCAT_OUT" -n "$R"
	assert_within "$t0" 2000 "shmcat-out -n"
	assert_equal "$output" "" "stdout"
	assert_no_ring "$R"
}

@test "--nonblock reader on an empty ring with a live writer: exit 4 at once" {
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_is "$R" writer_alive 1

	local t0
	t0=$(now_us)
	run -4 --separate-stderr tmo "$SHMCAT_OUT" --nonblock "$R"
	assert_within "$t0" 2000 "shmcat-out --nonblock"
	assert_equal "$output" "" "stdout"

	# The stream is unharmed.
	echo abc >&7
	feed_close
	assert_job "$wp" 0 "shmcat-in"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" abc
	assert_no_ring "$R"
}

@test "--nonblock writer on a full ring: exit 4 at once; a reader gets the ring's worth, truncated" {
	head -c 8K /dev/urandom >"$T/in"
	local t0
	t0=$(now_us)
	run -4 --separate-stderr tmo "$SHMCAT_IN" -n -s 4K "$R" <"$T/in"
	assert_within "$t0" 2000 "shmcat-in -n"

	# The writer left before the end of its input: the stream is truncated.
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 3 "shmcat-out"
	assert_size "$T/out" 4096
	assert_prefix "$T/out" "$T/in"
	assert_no_ring "$R"
}

@test "--timeout 0.2 reader with no writer: exit 4 after about 0.2 s, nothing left" {
	local t0
	t0=$(now_us)
	run -4 --separate-stderr tmo "$SHMCAT_OUT" -t 0.2 "$R"
	assert_within "$t0" 3000 "shmcat-out -t 0.2"
	(($(now_us) - t0 >= 200000)) || _fail "shmcat-out -t 0.2 gave up before 0.2 s"
	assert_no_ring "$R"
}

@test "--timeout 0.2 writer on a full ring: exit 4; a reader gets the ring's worth, truncated" {
	head -c 8K /dev/urandom >"$T/in"
	local t0
	t0=$(now_us)
	run -4 --separate-stderr tmo "$SHMCAT_IN" --timeout=0.2 -s 4K "$R" <"$T/in"
	assert_within "$t0" 3000 "shmcat-in -t 0.2"
	(($(now_us) - t0 >= 200000)) || _fail "shmcat-in -t 0.2 gave up before 0.2 s"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 3 "shmcat-out"
	assert_size "$T/out" 4096
	assert_prefix "$T/out" "$T/in"
	assert_no_ring "$R"
}

@test "a 0600 ring of root's: user nobody gets 'Permission denied', exit 2" {
	(($(id -u) == 0)) || skip "needs root to run a command as user nobody"
	printf x >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_equal "$(stat -c %a "$SHMDIR/shmcat.$R")" 600 "mode of a new ring"

	local prog
	for prog in shmcat-out shmcat-in; do
		run -2 --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
			timeout "$TMO" "$SHMCAT_BIN/$prog" "$R" </dev/null
		assert_stderr "^$prog: $R: "
		assert_stderr "Permission denied"
	done

	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" x
	assert_no_ring "$R"
}

@test "--mode 0644 creates a 0644 ring; the umask applies" {
	printf x >"$T/in"
	umask 022
	run -0 --separate-stderr tmo "$SHMCAT_IN" --mode 0644 "$R" <"$T/in"
	assert_equal "$(stat -c %a "$SHMDIR/shmcat.$R")" 644 "mode with --mode 0644, umask 022"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"

	umask 077
	run -0 --separate-stderr tmo "$SHMCAT_IN" -m 0644 "$R" <"$T/in"
	assert_equal "$(stat -c %a "$SHMDIR/shmcat.$R")" 600 "mode with -m 0644, umask 077"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"

	umask 022
	spawn "$SHMCAT_OUT" --mode=0640 "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_exists "$R"
	assert_equal "$(stat -c %a "$SHMDIR/shmcat.$R")" 640 "mode of a reader-created ring"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_job "$rp" 0 "shmcat-out"
	assert_no_ring "$R"
}

@test "shmcat rm on a ring in use: exit 2, the ring stays" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_is "$R" readers_alive 1

	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "^shmcat: .*$R"
	assert_ring "$R"

	echo data >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_job "$rp" 0 "shmcat-out"
	assert_equal "$(cat "$T/out")" data
	assert_no_ring "$R"
}

@test "shmcat rm on an idle ring removes it" {
	echo data >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_ring "$R"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_no_ring "$R"
}

@test "shmcat status and rm of a missing ring: exit 2" {
	run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: .*$R"
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "^shmcat: .*$R"
	assert_no_ring "$R"
}
