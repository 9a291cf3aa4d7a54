#!/usr/bin/env bats
# 75-library: libshmcat as other C programs link it.  Only shmcat_* names
# are visible, so a program's own helpers never collide with or
# interpose on the library's.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
}

# A sanitizer build's library needs its runtime in the program too
# (make sanitize sets this).
LINK_FLAGS=${SHMCAT_TEST_LDFLAGS:-}

setup() {
	shmcat_setup
}

teardown() {
	shmcat_teardown
}

# Every name the library defined outside shmcat_* up to 1.0.0, and a few
# of its static helpers' names for good measure.
INTERNAL_NAMES=(check_distance check_header check_state deadline_of
	lock_held_by_other lock_release lock_try lock_wait now_ns reader_attach
	reader_detach reader_scan_min reap_dead_readers ring_floor sem_sane
	shm_object_name sleep_on stream_finished unlink_if_same wake_readers
	wake_writer writer_attach writer_begin writer_detach writers_state post
	fail spin_until wake_writer_if_room)

# A program that defines each of those names (now_ns returns 0: if the
# library called ours, a timed wait would never end), then writes a
# ring and waits on it with a timeout.
write_clash_c() {
	local n
	{
		echo '#include <errno.h>'
		echo '#include <stdint.h>'
		echo '#include <stdio.h>'
		echo '#include <string.h>'
		echo '#include "shmcat.h"'
		echo 'int64_t now_ns(void);'
		echo 'int64_t now_ns(void) { return 0; }'
		for n in "${INTERNAL_NAMES[@]}"; do
			[[ $n == now_ns ]] && continue
			echo "int $n(void);"
			echo "int $n(void) { return 7; }"
		done
		cat <<'C'
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r;
	const void *p;
	void *q;
	int rc;

	(void)argc;
	if (now_ns() != 0 || check_state() != 7)
		return 10; /* our own definitions lost */
	if (shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 11;
	shmcat_write_span(w, &q);
	memcpy(q, "hi\n", 3);
	shmcat_write_commit(w, 3);
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 12;
	if (shmcat_read_span(r, &p) != 3 || memcmp(p, "hi\n", 3) != 0)
		return 13;
	shmcat_read_commit(r, 3);
	rc = shmcat_wait_data(r, 300); /* must time out, not hang */
	shmcat_close(w, SHMCAT_END);
	printf("%s\n", rc == -ETIMEDOUT ? "timed out" : "wrong result");
	rc = shmcat_wait_data(r, 5000);
	shmcat_close(r, SHMCAT_END);
	return rc == SHMCAT_EOF ? 0 : 14;
}
C
	} >"$T/clash.c"
}

@test "the shared library exports only shmcat_* names" {
	run -0 nm -D --defined-only "$SHMCAT_BIN/libshmcat.so.1"
	local names
	names=$(awk 'NF == 3 { print $3 }' <<<"$output" | grep -v '^shmcat_' || true)
	assert_equal "$names" "" "exported names outside shmcat_*"
}

@test "the archive defines only shmcat_* globals" {
	run -0 nm -g --defined-only "$SHMCAT_BIN/libshmcat.a"
	local names
	names=$(awk 'NF == 3 { print $3 }' <<<"$output" | grep -v '^shmcat_' || true)
	assert_equal "$names" "" "global names outside shmcat_*"
}

@test "a program with the library's old internal names links statically and runs" {
	write_clash_c
	run -0 cc -std=c11 -Wall -I"$REPO/include" -o "$T/clash" "$T/clash.c" \
		"$SHMCAT_BIN/libshmcat.a" -lpthread $LINK_FLAGS
	run -0 --separate-stderr tmo "$T/clash" "$R"
	assert_equal "$output" "timed out"
}

@test "a program with the library's old internal names links dynamically and runs" {
	write_clash_c
	ln -sf "$(readlink -f "$SHMCAT_BIN/libshmcat.so.1")" "$T/libshmcat.so"
	ln -sf "$(readlink -f "$SHMCAT_BIN/libshmcat.so.1")" "$T/libshmcat.so.1"
	run -0 cc -std=c11 -Wall -I"$REPO/include" -o "$T/clash" "$T/clash.c" \
		-L"$T" -lshmcat -lpthread $LINK_FLAGS
	LD_LIBRARY_PATH=$T run -0 --separate-stderr tmo "$T/clash" "$R"
	assert_equal "$output" "timed out"
}

# lib_edges: "caller callee" for each pair of library files where the
# first uses a global the second defines.
lib_edges() {
	local o f s t
	declare -A def
	for o in "$SHMCAT_BIN"/lib/*.o; do
		f=$(basename "$o" .o)
		for s in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do
			def[$s]=$f
		done
	done
	for o in "$SHMCAT_BIN"/lib/*.o; do
		f=$(basename "$o" .o)
		for s in $(nm -u "$o" | awk '{ print $2 }'); do
			t=${def[$s]:-}
			[[ -n $t && $t != "$f" ]] && echo "$f $t"
		done
	done | sort -u
}

@test "no two library files call each other in a loop" {
	local edges
	edges=$(lib_edges)
	[[ -n $edges ]] || _fail "found no calls between library files in $SHMCAT_BIN/lib"
	run --separate-stderr tsort <<<"$edges"
	assert_status "$status" 0 "tsort of the call graph (a loop: $stderr)"
}
