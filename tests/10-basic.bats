#!/usr/bin/env bats
# 10-basic: the bytes that go in come out, whatever they are and whichever
# side starts first; after a clean end nothing is left in /dev/shm.
# (Every test also checks that in teardown.)

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
	head -c 4M /dev/urandom >"$BATS_FILE_TMPDIR/rand4m"
	seq 1 1000000 >"$BATS_FILE_TMPDIR/seq1m"
}

setup() {
	shmcat_setup
	RAND=$BATS_FILE_TMPDIR/rand4m
	SEQ=$BATS_FILE_TMPDIR/seq1m
}

teardown() {
	shmcat_teardown
}

@test "hello -> hello" {
	echo hello >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_ring "$R"

	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "hello"
	assert_no_ring "$R"
}

@test "empty input, writer first: empty output, both exit 0" {
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" </dev/null
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "shmcat-out"
	assert_size "$T/out" 0
	assert_no_ring "$R"
}

@test "empty input, reader first: empty output, both exit 0" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_exists "$R"

	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" </dev/null
	assert_job "$rp" 0 "shmcat-out"
	assert_size "$T/out" 0
	assert_no_ring "$R"
}

# slow: 1 GiB through the ring, hashed twice
# bats test_tags=slow
@test "1 GiB of random bytes arrives with the same sha256" {
	local data=$BATS_FILE_TMPDIR/rand1g
	head -c 1G /dev/urandom >"$data"
	local want
	want=$(sha256sum <"$data")

	TMO=300 spawn bash -c 'set -o pipefail; "$0" "$1" | sha256sum >"$2"' \
		"$SHMCAT_OUT" "$R" "$T/sum" 2>"$T/out.err"
	local rp=$BG_PID
	TMO=300 run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$data"
	assert_job "$rp" 0 "shmcat-out"
	assert_equal "$(cat "$T/sum")" "$want" "sha256 of the output"
	rm -f "$data"
	assert_no_ring "$R"
}

@test "binary bytes: NULs, 0xff, no trailing newline" {
	printf 'a\0b\0\0\377\n\0\0z' >"$T/in"
	head -c 3000 "$RAND" >>"$T/in"
	printf '\0\0' >>"$T/in"

	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "shmcat-out"
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}

@test "reader starts first" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_exists "$R"

	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$RAND"
	assert_job "$rp" 0 "shmcat-out"
	assert_same_file "$T/out" "$RAND"
	assert_no_ring "$R"
}

@test "writer starts first and blocks on the full ring until a reader comes" {
	spawn "$SHMCAT_IN" -s 64K "$R" <"$RAND" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_full "$R"
	assert_equal "$(ring_kv "$R" capacity)" 65536 "capacity"
	pid_alive "$wp"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "shmcat-out"
	assert_job "$wp" 0 "shmcat-in"
	assert_same_file "$T/out" "$RAND"
	assert_no_ring "$R"
}

@test "a writer that finishes before any reader starts: the bytes wait in the ring" {
	head -c 100K "$RAND" >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/in"
	assert_ring "$R"

	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "shmcat-out"
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}

@test "one-page ring (-s 4096 / -s 4K) with a slow reader" {
	seq 1 20000 >"$T/in"
	spawn "$SHMCAT_IN" -s 4096 "$R" <"$T/in" 2>"$T/in.err"
	local wp=$BG_PID
	# The writer is blocked on the full ring, not finished.
	wait_until ring_full "$R"
	assert_equal "$(ring_kv "$R" capacity)" 4096 "capacity"
	pid_alive "$wp"

	# A line-at-a-time shell loop is far slower than the writer, so the
	# one-page ring fills and drains many times over.
	run -0 --separate-stderr tmo bash -c \
		'set -o pipefail; "$0" -s 4K "$1" | while IFS= read -r l; do printf "%s\n" "$l"; done >"$2"' \
		"$SHMCAT_OUT" "$R" "$T/out"
	assert_job "$wp" 0 "shmcat-in"
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}

@test "--size is rounded up to a whole page" {
	printf x >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" -s 5000 "$R" <"$T/in"
	assert_equal "$(ring_kv "$R" capacity)" 8192 "capacity for -s 5000"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" x

	run -0 --separate-stderr tmo "$SHMCAT_IN" -s 1 "$R" <"$T/in"
	assert_equal "$(ring_kv "$R" capacity)" 4096 "capacity for -s 1"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" x
	assert_no_ring "$R"
}

@test "seq 1 1000000 arrives intact" {
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$SEQ"
	assert_job "$rp" 0 "shmcat-out"
	assert_equal "$(sha256sum <"$T/out")" "$(sha256sum <"$SEQ")" "sha256"
	assert_no_ring "$R"
}

@test "--version and -V print 'PROG VERSION' on stdout and exit 0" {
	local prog opt v
	v=$(sed -n 's/^#define SHMCAT_VERSION "\(.*\)"$/\1/p' "$REPO/include/shmcat.h")
	assert_match "$v" '^[0-9]+\.[0-9]+\.[0-9]+$' "SHMCAT_VERSION in shmcat.h"
	for prog in shmcat-in shmcat-out shmcat; do
		for opt in --version -V; do
			run -0 --separate-stderr tmo "$SHMCAT_BIN/$prog" "$opt"
			assert_equal "${lines[0]}" "$prog $v" "$prog $opt"
			assert_equal "$stderr" "" "$prog $opt stderr"
		done
	done
}

@test "--help and -h print the usage on stdout and exit 0" {
	local prog opt o
	for prog in shmcat-in shmcat-out shmcat; do
		for opt in --help -h; do
			run -0 --separate-stderr tmo "$SHMCAT_BIN/$prog" "$opt"
			assert_match "$output" "[Uu]sage" "$prog $opt"
			assert_match "$output" "$prog" "$prog $opt"
			assert_equal "$stderr" "" "$prog $opt stderr"
		done
	done
	# Every option of the spec is listed.
	run -0 --separate-stderr tmo "$SHMCAT_IN" --help
	for o in --size --mode --timeout --nonblock --force --lines --null \
		--keep-open --progress --stats --verbose --help --version; do
		assert_match "$output" "$o" "shmcat-in --help"
	done
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --help
	for o in --size --mode --timeout --nonblock --force --reader --tap --new \
		--hangup --progress --stats --verbose --help --version; do
		assert_match "$output" "$o" "shmcat-out --help"
	done
	run -0 --separate-stderr tmo "$SHMCAT" --help
	for o in list status rm; do
		assert_match "$output" "$o" "shmcat --help"
	done
}

@test "tar c | shmcat-in, shmcat-out | tar t and tar x" {
	local src=$T/src
	mkdir -p "$src/sub dir/deeper"
	head -c 300K "$RAND" >"$src/random.bin"
	seq 1 5000 >"$src/sub dir/numbers"
	printf 'no newline' >"$src/sub dir/deeper/tail"
	: >"$src/empty"
	tar -C "$src" -cf - . | tar -tf - | sort >"$T/want"

	spawn bash -c 'set -o pipefail; tar -C "$0" -cf - . | "$1" "$2"' \
		"$src" "$SHMCAT_IN" "$R" 2>"$T/in.err"
	local wp=$BG_PID
	run -0 --separate-stderr tmo bash -c \
		'set -o pipefail; "$0" "$1" | tar -tf - | sort' "$SHMCAT_OUT" "$R"
	assert_job "$wp" 0 "tar | shmcat-in"
	assert_equal "$output" "$(cat "$T/want")" "tar t listing"
	assert_no_ring "$R"

	# And the files themselves, through a second ring.
	local r2
	r2=$(ring_name)
	mkdir "$T/dst"
	spawn bash -c 'set -o pipefail; tar -C "$0" -cf - . | "$1" "$2"' \
		"$src" "$SHMCAT_IN" "$r2" 2>"$T/in.err"
	wp=$BG_PID
	run -0 --separate-stderr tmo bash -c \
		'set -o pipefail; "$0" "$1" | tar -C "$2" -xf -' "$SHMCAT_OUT" "$r2" "$T/dst"
	assert_job "$wp" 0 "tar | shmcat-in"
	diff -r "$src" "$T/dst"
	assert_no_ring "$r2"
}

@test "gzip -c | shmcat-in, shmcat-out | gunzip" {
	{ seq 1 200000; head -c 1M "$RAND"; } >"$T/in"
	spawn bash -c 'set -o pipefail; gzip -c <"$0" | "$1" "$2"' \
		"$T/in" "$SHMCAT_IN" "$R" 2>"$T/in.err"
	local wp=$BG_PID
	run -0 --separate-stderr tmo bash -c \
		'set -o pipefail; "$0" "$1" | gunzip >"$2"' "$SHMCAT_OUT" "$R" "$T/out"
	assert_job "$wp" 0 "gzip | shmcat-in"
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}
