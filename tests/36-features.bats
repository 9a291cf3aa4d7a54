#!/usr/bin/env bats
# 36-features: the ring's feature bits (shmcat(7) FEATURES).  A later
# version marks what it stores with compat, ro_compat and incompat bits;
# this version ignores unknown compat bits, reads but never writes a
# ring with unknown ro_compat bits, and refuses one with unknown incompat
# bits, naming the bit, with exit 2.  tests/hostile.c sets the bits a
# later version would.

bats_require_minimum_version 1.5.0
load test_helper

HOSTILE=${SHMCAT_HOSTILE:-$SHMCAT_BIN/hostile}

setup_file() {
	shmcat_setup_file
	[[ -x $HOSTILE ]] || {
		echo "# $HOSTILE is missing: run make check (or make $HOSTILE)" >&3
		return 1
	}
}

setup() { shmcat_setup; }
teardown() { shmcat_teardown; }

# ring_with BITS-FIELD VALUE: a ring whose ended stream holds "hello\n",
# its field set.
ring_with() {
	echo hello | timeout "$TMO" "$SHMCAT_IN" "$R"
	"$HOSTILE" "$R" "$1" "$2"
}

@test "an unknown incompat bit refuses writer, reader, tap and status with exit 2, naming the bit" {
	ring_with feat_incompat 0x20
	expect_left "$R"
	for cmd in "$SHMCAT_IN -k" "$SHMCAT_OUT" "$SHMCAT_OUT --tap" "$SHMCAT status"; do
		run -2 --separate-stderr timeout "$TMO" $cmd "$R" </dev/null
		assert_stderr "$R: ring uses incompat feature bit 5, unknown to shmcat [0-9.]+: this version must not use it"
	done
	# refused, never replaced: the object is still the one we scribbled
	assert_equal "$("$HOSTILE" "$R" feat_incompat)" 32 "incompat bits"
}

@test "an unknown compat bit is ignored: the ring is used as usual" {
	ring_with feat_compat 0x80000000
	run -0 --separate-stderr timeout "$TMO" "$SHMCAT_OUT" "$R"
	assert_equal "$output" hello
	assert_equal "$stderr" ""
	assert_no_ring "$R"
}

@test "an unknown ro_compat bit: readers read, writers are refused with exit 2" {
	ring_with feat_ro_compat 0x100
	run -2 --separate-stderr timeout "$TMO" "$SHMCAT_IN" "$R" </dev/null
	assert_stderr "ring uses ro_compat feature bit 8, unknown to shmcat [0-9.]+: it may be read, not written, by this version"
	run -0 --separate-stderr timeout "$TMO" "$SHMCAT_OUT" "$R"
	assert_equal "$output" hello
	assert_no_ring "$R"
}

@test "a --lines stream sets the lines bit; the next stream, in bytes, clears it" {
	need jq
	echo one | timeout "$TMO" "$SHMCAT_IN" -l "$R"
	assert_equal "$(timeout 5 "$SHMCAT" status --json "$R" | jq -c '.rings[0].features')" \
		'{"compat":0,"ro_compat":1,"incompat":0}'
	# as if a reader had read it all and been killed before the end
	"$HOSTILE" "$R" pos0 tail+0
	printf 'two\n' | timeout "$TMO" "$SHMCAT_IN" "$R"
	assert_equal "$(ring_kv "$R" record_mode)" bytes
	assert_equal "$(ring_kv "$R" feat_ro_compat)" 0x0
	run -0 timeout "$TMO" "$SHMCAT_OUT" "$R"
	assert_equal "$output" two
	assert_no_ring "$R"
}

@test "a reader waiting when a stream starts with an unknown incompat bit stops with exit 2" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/err"
	READER=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	feed_open
	spawn "$SHMCAT_IN" "$R" <"$FEED"
	WRITER=$BG_PID
	wait_until ring_is "$R" writer_alive 1
	"$HOSTILE" "$R" feat_incompat 0x1
	echo data >&7 # the stream's first bytes: the reader looks at the bits
	assert_job "$READER" 2 "the reader"
	assert_file_match "$T/err" "$R: ring uses incompat feature bit 0, unknown to shmcat"
	assert_equal "$(cat "$T/out")" "" "delivered"
	feed_close
	assert_job "$WRITER" 0 "the writer"
	expect_left "$R"
}

@test "rm refuses a ring with an unknown incompat bit; rm -f removes it when idle" {
	ring_with feat_incompat 0x4
	run -2 --separate-stderr timeout "$TMO" "$SHMCAT" rm "$R"
	assert_stderr "incompat feature bit 2"
	run -0 timeout "$TMO" "$SHMCAT" rm -f "$R"
	assert_no_ring "$R"
}
