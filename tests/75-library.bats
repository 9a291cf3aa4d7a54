#!/usr/bin/env bats
# 75-library: libshmcat as other C programs link it.  Only shmcat_* names
# are visible, so a program's own helpers never collide with or
# interpose on the library's.

bats_require_minimum_version 1.5.0
load test_helper

# The shared object's name: libshmcat.so.MAJOR, MAJOR from the Makefile.
SO=libshmcat.so.$(sed -n 's/^SOVERSION = //p' "$REPO/Makefile")

setup_file() {
	shmcat_setup_file
}

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
	fail spin_until wake_writer_if_room open_checked create_ring map_ring
	unmap_ring release_handle role_attach copy_validated)

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
	run -0 nm -D --defined-only "$SHMCAT_BIN/$SO"
	local names
	# (SHMCAT_3.0 is the symbol version node, an absolute symbol)
	names=$(awk 'NF == 3 && $3 !~ /^SHMCAT_[0-9.]+$/ { print $3 }' <<<"$output" |
	    grep -v '^shmcat_' || true)
	assert_equal "$names" "" "exported names outside shmcat_*"
}

@test "the archive defines only shmcat_* globals" {
	run -0 nm -g --defined-only "$SHMCAT_BIN/libshmcat.a"
	local names
	# (SHMCAT_3.0 is the symbol version node, an absolute symbol)
	names=$(awk 'NF == 3 && $3 !~ /^SHMCAT_[0-9.]+$/ { print $3 }' <<<"$output" |
	    grep -v '^shmcat_' || true)
	assert_equal "$names" "" "global names outside shmcat_*"
}

@test "a program with the library's old internal names links statically and runs" {
	write_clash_c
	run -0 cc -std=c11 -Wall -I"$REPO/include" -o "$T/clash" "$T/clash.c" \
		"$SHMCAT_BIN/libshmcat.a" -lpthread $TEST_LDFLAGS
	run -0 --separate-stderr tmo "$T/clash" "$R"
	assert_equal "$output" "timed out"
}

@test "a program with the library's old internal names links dynamically and runs" {
	write_clash_c
	ln -sf "$(readlink -f "$SHMCAT_BIN/$SO")" "$T/libshmcat.so"
	ln -sf "$(readlink -f "$SHMCAT_BIN/$SO")" "$T/$SO"
	run -0 cc -std=c11 -Wall -I"$REPO/include" -o "$T/clash" "$T/clash.c" \
		-L"$T" -lshmcat -lpthread $TEST_LDFLAGS
	LD_LIBRARY_PATH=$T run -0 --separate-stderr tmo "$T/clash" "$R"
	assert_equal "$output" "timed out"
}

# call_edges SRC OBJ: "caller callee" for each pair of the files SRC/*.c
# where the first uses a global the second defines, read from their
# objects OBJ/*.o (only those of the sources: a stale object of a file
# since removed does not count).
call_edges() {
	local c o f s t
	declare -A def
	for c in "$1"/*.c; do
		f=$(basename "$c" .c)
		o=$2/$f.o
		[[ -f $o ]] || _fail "no object $o for $c" || return
		for s in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do
			def[$s]=$f
		done
	done
	for c in "$1"/*.c; do
		f=$(basename "$c" .c)
		for s in $(nm -u "$2/$f.o" | awk '{ print $2 }'); do
			t=${def[$s]:-}
			[[ -n $t && $t != "$f" ]] && echo "$f $t"
		done
	done | sort -u
}

# assert_no_call_loop SRC OBJ: the files of SRC call each other, and
# never in a loop (tsort names the files of one).
assert_no_call_loop() {
	local edges
	edges=$(call_edges "$1" "$2") || return
	[[ -n $edges ]] || _fail "found no calls between the files of $1" || return
	run --separate-stderr tsort <<<"$edges"
	assert_status "$status" 0 "tsort of the call graph of $1 (a loop: $stderr)"
}

# (build-tree: reads the build's own object files, which no package
# installs; debian/tests/installed leaves it out)
# bats test_tags=build-tree
@test "no two library files call each other in a loop" {
	assert_no_call_loop "$REPO/src/lib" "$SHMCAT_BIN/lib"
}

# (build-tree: reads the build's own object files, which no package
# installs; debian/tests/installed leaves it out)
# bats test_tags=build-tree
@test "no two tool files call each other in a loop" {
	assert_no_call_loop "$REPO/src/tools" "$SHMCAT_BIN/tools"
}

# The check itself: three files that call round in a circle (a -> b ->
# c -> a) and one outside it must be found out.
@test "the loop check finds a loop of calls between files" {
	mkdir "$T/loop"
	printf 'int b(void);\nint a(void) { return b(); }\n' >"$T/loop/a.c"
	printf 'int c(void);\nint b(void) { return c(); }\n' >"$T/loop/b.c"
	printf 'int a(void);\nint c(void) { return a(); }\n' >"$T/loop/c.c"
	printf 'int a(void);\nint d(void) { return a(); }\n' >"$T/loop/d.c"
	for f in a b c d; do
		run -0 cc -c -o "$T/loop/$f.o" "$T/loop/$f.c"
	done
	run -0 call_edges "$T/loop" "$T/loop"
	assert_equal "$output" $'a b\nb c\nc a\nd a' "edges"
	run -1 assert_no_call_loop "$T/loop" "$T/loop"
	assert_match "$output" "a loop: .*tsort: .*input contains a loop" "report"
}

# drawing FIRST: the lines of the code block of DESIGN.md that starts
# with FIRST ("file.c -> callee, ..."), each with its continuation lines.
drawing() {
	awk -v first="$1" '
	/^```/ { if (on) exit; fence = 1; next }
	fence { fence = 0; if (index($0, first) == 1) on = 1 }
	on && /^ / { line = line " " $0; next }
	on { if (line != "") print line; line = $0 }
	END { if (line != "") print line }' "$REPO/DESIGN.md"
}

# assert_drawing FIRST DIR: DESIGN.md's drawing of src/DIR, the block that
# starts with FIRST, names every file, each above the files it calls,
# and has the calls the objects in $SHMCAT_BIN/DIR have.
assert_drawing() {
	local drawn line f t n=0 files want edges objects differ
	declare -A row
	drawn=$(drawing "$1")
	[[ -n $drawn ]] || _fail "no drawing starting with $1 in DESIGN.md" || return
	while read -r line; do
		row[${line%%.c*}]=$((n++))
	done <<<"$drawn"
	files=$(printf '%s\n' "${!row[@]}" | sort)
	want=$(for f in "$REPO/src/$2"/*.c; do basename "$f" .c; done | sort)
	assert_equal "$files" "$want" "files drawn for src/$2" || return
	edges=$(while read -r line; do
		[[ $line == *'->'* ]] || continue
		for t in ${line#*->}; do
			echo "${line%%.c*} ${t%,}"
		done
	done <<<"$drawn" | sort -u)
	while read -r f t; do
		((row[$f] < row[$t])) ||
			_fail "src/$2: $f.c is drawn below $t.c, which it calls" || return
	done <<<"$edges"
	objects=$(call_edges "$REPO/src/$2" "$SHMCAT_BIN/$2") || return
	[[ $edges == "$objects" ]] && return
	mapfile -t differ < <(diff <(echo "$edges") <(echo "$objects") |
		sed -n 's/^\([<>]\) \(.*\) /\1 \2 -> /p')
	_fail "src/$2: the calls drawn (<) are not the objects' (>):" "${differ[@]}"
}

# (build-tree: reads the build's own object files, which no package
# installs; debian/tests/installed leaves it out)
# bats test_tags=build-tree
@test "DESIGN.md draws the calls between files as they are" {
	assert_drawing "inspect.c" lib
	assert_drawing "shmcat-in.c" tools
}

# cc_lib NAME: build $T/NAME.c against the archive, warnings fatal.
cc_lib() {
	run -0 cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $TEST_LDFLAGS \
		-I"$REPO/include" -o "$T/$1" "$T/$1.c" "$SHMCAT_BIN/libshmcat.a" \
		-lpthread
}

# Options that cannot be misread: unknown flags and roles are refused.

@test "options: a zero-initialised struct shmcat_opts has no role and is refused" {
	cat >"$T/zero.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {0};
	struct shmcat_ring *r = NULL;
	struct shmcat_error err;
	int rc = shmcat_open(argv[argc - 1], &o, &r, &err);

	printf("%d %s %d\n", rc == -EINVAL, err.call, r == NULL);
	return 0;
}
C
	cc_lib zero
	run -0 --separate-stderr tmo "$T/zero" "$R"
	assert_equal "$output" "1 role 1"
	assert_no_ring "$R"
}

@test "options: flag bits the header does not define are refused with -EINVAL" {
	cat >"$T/bits.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include "shmcat.h"
/* Each undefined bit alone, in each role: refused, nothing created. */
int main(int argc, char **argv)
{
	enum shmcat_role roles[] = {SHMCAT_WRITER, SHMCAT_READER, SHMCAT_INSPECT};
	struct shmcat_ring *r;
	unsigned bit;
	int i, rc, bad = 0;

	for (i = 0; i < 3; i++)
		for (bit = 0x200; bit != 0; bit <<= 1) {
			struct shmcat_opts o = {.role = roles[i], .flags = bit};

			r = NULL;
			rc = shmcat_open(argv[argc - 1], &o, &r, NULL);
			if (rc != -EINVAL || r != NULL) {
				printf("role %d flag %#x: %d\n", (int)roles[i], bit, rc);
				bad = 1;
				if (r)
					shmcat_close(r, SHMCAT_ABANDON);
			}
		}
	puts(bad ? "accepted" : "refused");
	return 0;
}
C
	cc_lib bits
	run -0 tmo "$T/bits" "$R"
	assert_equal "$output" refused "undefined flag bits"
	assert_no_ring "$R"
}

# Options that contradict each other, or belong to another role, are
# refused, never settled one way (issue 20, part 3).
@test "options: contradictory flags and a how that is no way to close are refused with -EINVAL" {
	cat >"$T/contra.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include "shmcat.h"
static const char *ring;

static void
try(const char *what, enum shmcat_role role, unsigned flags, const char *rname)
{
	struct shmcat_opts o = {.role = role, .flags = flags,
	    .reader_name = rname};
	struct shmcat_ring *r = NULL;
	int rc = shmcat_open(ring, &o, &r, NULL);

	printf("%s: %s\n", what, rc == -EINVAL && r == NULL ? "refused" :
	    "accepted");
	if (r)
		shmcat_close(r, SHMCAT_ABANDON);
}

int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *t;
	char buf[1];

	ring = argv[argc - 1];
	try("writer tap", SHMCAT_WRITER, SHMCAT_O_TAP, NULL);
	try("writer new", SHMCAT_WRITER, SHMCAT_O_NEW, NULL);
	try("writer named", SHMCAT_WRITER, 0, "x");
	try("lines and nul", SHMCAT_WRITER, SHMCAT_O_LINES | SHMCAT_O_NUL, NULL);
	try("reader lines", SHMCAT_READER, SHMCAT_O_LINES, NULL);
	try("named tap", SHMCAT_READER, SHMCAT_O_TAP, "x");
	try("inspect tap", SHMCAT_INSPECT, SHMCAT_O_TAP, NULL);
	if (shmcat_open(ring, &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	o.flags = SHMCAT_O_TAP;
	if (shmcat_open(ring, &o, &t, NULL) != 0)
		return 11;
	printf("close 99: %d\n", shmcat_close(w, (enum shmcat_end)99) == -EINVAL);
	printf("close -1: %d\n", shmcat_close(w, (enum shmcat_end)-1) == -EINVAL);
	printf("tap hangs up: %d\n", shmcat_close(t, SHMCAT_HANGUP) == -EINVAL);
	/* refused, so still open: both work, and close as asked */
	printf("still open: %d %d\n", shmcat_hungup(w) == 0,
	    shmcat_tap_read(t, buf, 1, NULL) == 0 &&
	    shmcat_wait_data(t, 0) == -EAGAIN);
	return shmcat_close(t, SHMCAT_END) == 0 &&
	    shmcat_close(w, SHMCAT_END) == 0 ? 0 : 12;
}
C
	cc_lib contra
	run -0 --separate-stderr tmo "$T/contra" "$R"
	assert_equal "$output" "$(printf '%s\n' "writer tap: refused" \
		"writer new: refused" "writer named: refused" \
		"lines and nul: refused" "reader lines: refused" \
		"named tap: refused" "inspect tap: refused" "close 99: 1" \
		"close -1: 1" "tap hangs up: 1" "still open: 1 1")"
	# the stream ended (empty): its reader takes the end, and the ring
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}

@test "options: NULL options are refused with -EINVAL" {
	cat >"$T/null.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_ring *r = NULL;
	int rc = shmcat_open(argv[argc - 1], NULL, &r, NULL);

	printf("%s\n", rc == -EINVAL && r == NULL ? "refused" : "accepted");
	return 0;
}
C
	cc_lib null
	run -0 --separate-stderr tmo "$T/null" "$R"
	assert_equal "$output" "refused"
	assert_no_ring "$R"
}

@test "options: SHMCAT_O_NONBLOCK makes waits with timeout -1 return -EAGAIN at once" {
	cat >"$T/nb.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER, .size = 4096,
	    .flags = SHMCAT_O_NONBLOCK};
	struct shmcat_ring *w, *r;
	void *p;
	size_t n;

	if (shmcat_open(argv[argc - 1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[argc - 1], &o, &r, NULL) != 0)
		return 11;
	printf("empty: %s\n", shmcat_strerror(shmcat_wait_data(r, -1)));
	n = shmcat_write_span(w, &p);
	memset(p, 'x', n);
	shmcat_write_commit(w, n);
	printf("full: %s\n", shmcat_strerror(shmcat_wait_space(w, -1)));
	printf("record: %s\n",
	    shmcat_strerror(shmcat_write_record(w, "y", 1, -1)));
	shmcat_close(w, SHMCAT_INTERRUPTED);
	shmcat_close(r, SHMCAT_HANGUP);
	return 0;
}
C
	cc_lib nb
	local t0
	t0=$(now_us)
	run -0 --separate-stderr tmo "$T/nb" "$R"
	assert_within "$t0" 5000 "three non-blocking waits"
	assert_equal "$output" "$(printf '%s\n' \
		"empty: $(strerror EAGAIN)" "full: $(strerror EAGAIN)" \
		"record: $(strerror EAGAIN)")"
}

# strerror NAME: the C library's words for errno NAME.
strerror() {
	perl -MPOSIX -e '$! = POSIX->can($ARGV[0])->(); print "$!"' "$1"
}

@test "shmcat_strerror has its own words for every code the library returns" {
	cat >"$T/words.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "shmcat.h"
int main(void)
{
	int code, bad = 0;

	for (code = SHMCAT_EBASE + 1; code < SHMCAT_ELAST; code++) {
		const char *s = shmcat_strerror(-code);
		if (s == NULL || *s == '\0' || strstr(s, "Unknown error")) {
			printf("%d: '%s'\n", code, s ? s : "(null)");
			bad = 1;
		}
	}
	printf("EOF: %s\n", shmcat_strerror(SHMCAT_EOF));
	printf("ETIMEDOUT: %s\n", shmcat_strerror(-110));
	return bad;
}
C
	cc_lib words
	run -0 --separate-stderr tmo "$T/words"
	assert_equal "$output" "$(printf '%s\n' "EOF: end of stream" \
		"ETIMEDOUT: $(strerror ETIMEDOUT)")"
}

@test "a handle used in the wrong role is refused with SHMCAT_EROLE" {
	cat >"$T/role.c" <<'C'
#include <stdio.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r, *i;
	struct shmcat_status st;
	const void *cp;
	void *p = &o;
	char buf[8];
	uint64_t sk;
	size_t n;

	if (shmcat_open(argv[argc - 1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[argc - 1], &o, &r, NULL) != 0)
		return 11;
	o.role = SHMCAT_INSPECT;
	if (shmcat_open(argv[argc - 1], &o, &i, NULL) != 0)
		return 12;
	n = shmcat_write_span(r, &p);
	printf("%zu %d ", n, p == NULL);
	printf("%s, ", shmcat_strerror(shmcat_write_commit(r, 1)));
	printf("%s, ", shmcat_strerror(shmcat_wait_space(r, 0)));
	printf("%s, ", shmcat_strerror(shmcat_write_record(i, "x", 1, 0)));
	cp = &o;
	n = shmcat_read_span(w, &cp);
	printf("%zu %d ", n, cp == NULL);
	printf("%s, ", shmcat_strerror(shmcat_read_commit(w, 1)));
	printf("%s, ", shmcat_strerror(shmcat_wait_data(i, 0)));
	printf("%s, ", shmcat_strerror((int)shmcat_tap_read(w, buf, 8, &sk)));
	printf("%d\n", shmcat_status(w, &st) == 0 && shmcat_status(r, &st) == 0);
	printf("%s\n", shmcat_strerror(-SHMCAT_EROLE));
	shmcat_close(i, SHMCAT_END);
	shmcat_close(w, SHMCAT_END);
	return shmcat_wait_data(r, 5000) == SHMCAT_EOF &&
	    shmcat_close(r, SHMCAT_END) == 0 ? 0 : 13;
}
C
	cc_lib role
	run -0 --separate-stderr tmo "$T/role" "$R"
	local e
	e=$(sed -n 2p <<<"$output")
	assert_match "$e" "role" "SHMCAT_EROLE's words"
	assert_equal "${lines[0]}" "0 1 $e, $e, $e, 0 1 $e, $e, $e, 1"
}

# C++ and versions (item 5).

@test "a C++ program includes shmcat.h, links and runs" {
	cat >"$T/cxx.cc" <<'C'
#include <shmcat.h>
#include <cstdio>
#include <cstring>
int main(int argc, char **argv)
{
	shmcat_opts o = {};
	o.role = SHMCAT_WRITER;
	shmcat_ring *w;
	void *p;
	if (shmcat_open(argv[argc - 1], &o, &w, nullptr) != 0)
		return 10;
	if (shmcat_write_span(w, &p) < 3)
		return 11;
	std::memcpy(p, "c+\n", 3);
	shmcat_write_commit(w, 3);
	std::printf("%d.%d.%d %s\n", SHMCAT_VERSION_MAJOR, SHMCAT_VERSION_MINOR,
	    SHMCAT_VERSION_PATCH, shmcat_version());
	return shmcat_close(w, SHMCAT_END);
}
C
	command -v g++ >/dev/null || _fail "g++ is missing: tests/deps installs it"
	run -0 g++ -std=c++11 -Wall -Wextra -Werror $TEST_LDFLAGS -I"$REPO/include" \
		-o "$T/cxx" "$T/cxx.cc" "$SHMCAT_BIN/libshmcat.a" -lpthread
	run -0 --separate-stderr tmo "$T/cxx" "$R"
	local v
	v=$(sed -n 's/^#define SHMCAT_VERSION "\(.*\)"$/\1/p' "$REPO/include/shmcat.h")
	assert_match "$v" '^[0-9]+\.[0-9]+\.[0-9]+$' "SHMCAT_VERSION"
	assert_equal "$output" "$v $v"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "c+"
}

@test "the version macros, shmcat_version() and the Makefile agree" {
	local mk major
	mk=$(sed -n 's/^VERSION = //p' "$REPO/Makefile")
	run -0 grep -c "^#define SHMCAT_VERSION_\(MAJOR\|MINOR\|PATCH\) [0-9]" \
		"$REPO/include/shmcat.h"
	assert_equal "$output" 3
	# The soname policy (shmcat_open(3)): the soname is the major version.
	major=$(sed -n 's/^#define SHMCAT_VERSION_MAJOR //p' "$REPO/include/shmcat.h")
	assert_equal "$SO" "libshmcat.so.$major" "soname"
	assert_equal "${mk%%.*}" "$major" "the Makefile's major version"
	run -0 --separate-stderr tmo "$SHMCAT_IN" --version
	assert_equal "$output" "shmcat-in $mk"
}

# fork(): a handle belongs to the process that opened it (item 3).

# A writer that forks after its first line.  The child tries the
# inherited handle, closes it and leaves (or, with "stay", keeps it and
# stays alive until killed); the parent then writes its second line and ends the
# stream (or, with "stay", waits to be killed).
write_fork_c() {
	cat >"$T/fork.c" <<'C'
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shmcat.h"

static int
put(struct shmcat_ring *w, const char *s)
{
	void *p;

	if (shmcat_write_span(w, &p) < strlen(s))
		return -1;
	memcpy(p, s, strlen(s));
	return shmcat_write_commit(w, strlen(s));
}

int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w;
	int stay = argc > 2, st;
	pid_t pid;
	void *p = &o;

	if (shmcat_open(argv[1], &o, &w, NULL) != 0 || put(w, "before\n") != 0)
		return 10;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		size_t n = shmcat_write_span(w, &p);
		int commit = shmcat_write_commit(w, 1);
		int wait = shmcat_wait_space(w, 0);
		int hungup = shmcat_hungup(w);
		int close = stay ? 0 : shmcat_close(w, SHMCAT_END);

		printf("child: %zu %d %s, %s, %s, %d\n", n, p == NULL,
		    shmcat_strerror(commit), shmcat_strerror(wait),
		    shmcat_strerror(hungup), close);
		fflush(stdout);
		if (stay)
			pause();
		_exit(0);
	}
	if (stay) {
		printf("%ld %ld\n", (long)getpid(), (long)pid);
		fflush(stdout);
		pause();
	}
	if (waitpid(pid, &st, 0) != pid || st != 0)
		return 11;
	if (put(w, "after\n") != 0)
		return 12;
	printf("parent: ok\n");
	return shmcat_close(w, SHMCAT_END) == 0 ? 0 : 13;
}
C
	cc_lib fork
}

@test "fork: the child's inherited writer handle is refused and its close leaves the stream alone" {
	write_fork_c
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	wait_until ring_exists "$R"
	run -0 --separate-stderr tmo "$T/fork" "$R"
	local e="handle belongs to the parent process"
	assert_equal "$output" "$(printf '%s\n' "child: 0 1 $e, $e, $e, 0" "parent: ok")"
	assert_job "$rp" 0 "shmcat-out"
	assert_equal "$(cat "$T/out")" $'before\nafter'
	assert_no_ring "$R"
}

@test "fork: a child that stays alive does not hide its parent's death from readers" {
	write_fork_c
	spawn "$T/fork" "$R" stay >"$T/pids"
	local wp=$BG_PID pids
	wait_until file_size_ge "$T/pids" 5
	wait_until -t 5 grep -q '^[0-9]* [0-9]*$' "$T/pids"
	read -r -a pids < <(grep '^[0-9]* [0-9]*$' "$T/pids")
	kill -KILL "${pids[0]}"
	assert_job "$wp" 137 "the forking writer after kill -9"
	run_file "$T/out" "$SHMCAT_OUT" -t 10 "$R"
	pid_alive "${pids[1]}" || _fail "the child should still be alive"
	kill -KILL "${pids[1]}"
	assert_status "$status" 3 "shmcat-out"
	assert_stderr "died"
	assert_equal "$(cat "$T/out")" "before"
	assert_no_ring "$R"
}

# A child made without the pthread_atfork handlers (_Fork(3), a raw
# clone(2)) inherits the handle as it was: the library must still tell
# it is not the process that opened it (issue 20, part 3).  The child
# tries the writer handle and a reader handle, and closes both; the
# parent then writes its second line and ends the stream, its reader
# intact.
write_rawfork_c() {
	cat >"$T/rawfork.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shmcat.h"

static int
put(struct shmcat_ring *w, const char *s)
{
	void *p;

	if (shmcat_write_span(w, &p) < strlen(s))
		return -1;
	memcpy(p, s, strlen(s));
	return shmcat_write_commit(w, strlen(s));
}

int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r;
	const void *cp;
	void *p = &o;
	pid_t pid;
	int st;

	if (argc != 3 || shmcat_open(argv[1], &o, &w, NULL) != 0 ||
	    put(w, "before\n") != 0)
		return 10;
	o.role = SHMCAT_READER;
	o.reader_name = "side";
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 11;
	fflush(stdout);
	pid = strcmp(argv[2], "_Fork") == 0 ? _Fork() :
	    (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		size_t n = shmcat_write_span(w, &p);
		int commit = shmcat_write_commit(w, 1);
		size_t m = shmcat_read_span(r, &cp);
		int rcommit = shmcat_read_commit(r, 1);
		int wait = shmcat_wait_data(r, 0);
		int hungup = shmcat_hungup(w);
		int wclose = shmcat_close(w, SHMCAT_END);
		int rclose = shmcat_close(r, SHMCAT_HANGUP);

		printf("child: %zu %d %s, %zu, %s, %s, %s, %d %d\n", n,
		    p == NULL, shmcat_strerror(commit), m,
		    shmcat_strerror(rcommit), shmcat_strerror(wait),
		    shmcat_strerror(hungup), wclose, rclose);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
		return 12;
	if (put(w, "after\n") != 0)
		return 13;
	printf("parent: %s\n", shmcat_hungup(w) == 0 ? "ok" : "hung up");
	if (shmcat_read_commit(r, shmcat_read_span(r, &cp)) != 0)
		return 14;
	shmcat_close(r, SHMCAT_END);
	return shmcat_close(w, SHMCAT_END) == 0 ? 0 : 15;
}
C
	cc_lib rawfork
}

@test "fork without the atfork handlers (_Fork, clone): the child's handles are refused" {
	write_rawfork_c
	local how e="handle belongs to the parent process"
	for how in _Fork clone; do
		spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
		local rp=$BG_PID
		wait_until ring_is "$R" readers_alive 1
		run -0 --separate-stderr tmo "$T/rawfork" "$R" "$how"
		assert_equal "$output" "$(printf '%s\n' \
			"child: 0 1 $e, 0, $e, $e, $e, 0 0" "parent: ok")" "$how"
		assert_job "$rp" 0 "shmcat-out ($how)"
		assert_equal "$(cat "$T/out")" $'before\nafter' "what the reader got ($how)"
		assert_no_ring "$R"
	done
}

# examples/ (item 2): built here from the source, as a user would.
build_example() {
	run -0 cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $TEST_LDFLAGS \
		-I"$REPO/include" -o "$T/$1" "$REPO/examples/$1.c" \
		"$SHMCAT_BIN/libshmcat.a" -lpthread
}

@test "examples: producer and consumer, and each with the filters" {
	build_example producer
	build_example consumer
	spawn "$T/consumer" "$R" >"$T/out" 2>"$T/err"
	local rp=$BG_PID
	run -0 --separate-stderr tmo "$T/producer" "$R" 200000
	assert_job "$rp" 0 "consumer"
	assert_equal "$(cat "$T/out")" "200000 records"
	# The producer's records are lines: shmcat-out prints them.
	run -0 --separate-stderr tmo "$T/producer" "$R" 3
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "${#lines[@]}" 3
	assert_match "${lines[2]}" '^record 2 +$'
	# And the consumer reads what shmcat-in writes in that format.
	local i
	for i in 0 1 2 3; do printf 'record %-56d\n' "$i"; done >"$T/recs"
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R" <"$T/recs"
	run -0 --separate-stderr tmo "$T/consumer" "$R"
	assert_equal "$output" "4 records"
	assert_no_ring "$R"
}

@test "examples: the event loop sees the ring and its other descriptor" {
	build_example producer
	build_example evloop
	spawn "$T/evloop" "$R" < <(printf 'one\ntwo\n') >"$T/out" 2>"$T/err"
	local ep=$BG_PID
	run -0 --separate-stderr tmo "$T/producer" "$R" 100000
	assert_job "$ep" 0 "evloop"
	assert_equal "$(cat "$T/out")" "100000 records, 2 lines"
	assert_no_ring "$R"
}

# The bridge (item 6): readable at min bytes or at the end, not before.
@test "bridge: the descriptor is readable once min bytes are unread, and at the end" {
	cat >"$T/bridge.c" <<'C'
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "shmcat.h"

static struct shmcat_ring *w;

static void
put(size_t n)
{
	void *p;

	if (shmcat_write_span(w, &p) >= n) {
		memset(p, 'x', n);
		shmcat_write_commit(w, n);
	}
}

static int
readable(struct shmcat_bridge *b, int ms)
{
	struct pollfd pfd = {.fd = shmcat_bridge_fd(b), .events = POLLIN};

	return poll(&pfd, 1, ms);
}

int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_bridge *b;
	struct shmcat_ring *r;
	const void *p;

	if (shmcat_open(argv[argc - 1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[argc - 1], &o, &r, NULL) != 0)
		return 11;
	printf("writer: %s\n", shmcat_strerror(shmcat_bridge_open(w, 1, &b)));
	if (shmcat_bridge_open(r, 100, &b) != 0)
		return 12;
	put(60);
	printf("60 bytes: %d\n", readable(b, 300));
	put(40);
	printf("100 bytes: %d\n", readable(b, 10000));
	shmcat_read_commit(r, shmcat_read_span(r, &p));
	printf("drained: %s\n", shmcat_strerror(shmcat_wait_data(r, 0)));
	shmcat_bridge_rearm(b);
	printf("re-armed: %d\n", readable(b, 300));
	put(10);
	shmcat_close(w, SHMCAT_END);
	printf("ended: %d\n", readable(b, 10000));
	shmcat_read_commit(r, shmcat_read_span(r, &p));
	printf("then: %s\n", shmcat_strerror(shmcat_wait_data(r, 0)));
	shmcat_bridge_close(b);
	return shmcat_close(r, SHMCAT_END);
}
C
	cc_lib bridge
	run -0 --separate-stderr tmo "$T/bridge" "$R"
	assert_equal "$output" "$(printf '%s\n' \
		"writer: call does not match the handle's role" \
		"60 bytes: 0" "100 bytes: 1" "drained: $(strerror EAGAIN)" \
		"re-armed: 0" "ended: 1" "then: end of stream")"
	assert_no_ring "$R"
}

# Observers (shmcat status, shmcat list, an SHMCAT_INSPECT handle) take
# no part in the stream: one that happens to be looking when the last
# reader leaves must not keep a finished ring (found by the soak's
# observe class, seed 20261127 round 365).
@test "an inspecting handle open as the last reader leaves does not keep the finished ring" {
	cat >"$T/look.c" <<'C'
#include <stdio.h>
#include "shmcat.h"
/* Open RING to inspect, say so, hold it until stdin ends. */
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT};
	struct shmcat_ring *r;
	struct shmcat_error err;
	char line[16];

	if (argc != 2 || shmcat_open(argv[1], &o, &r, &err) != 0)
		return 2;
	puts("attached");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL)
		;
	shmcat_close(r, SHMCAT_END);
	return 0;
}
C
	cc_lib look
	run -0 tmo "$SHMCAT_IN" "$R" <<<"one line"
	# fd 8 keeps the FIFO's write end, so the program holds its handle
	# until we close it (O_RDWR: the open does not wait for a reader)
	mkfifo "$T/hold"
	exec 8<>"$T/hold"
	spawn "$T/look" "$R" <"$T/hold" >"$T/said" 8>&-
	local lp=$BG_PID
	wait_until grep -qx attached "$T/said"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "one line" "what the reader delivered"
	local left=no
	ring_exists "$R" && left=yes
	exec 8>&-
	assert_job "$lp" 0 "the inspecting program"
	assert_equal "$left" no "ring left after its last reader, with an observer looking"
}

# Issue 20, part 3: the library's own rough edges.

# A consumer that takes the records it expects and closes, without
# waiting for the end it knows is there, has delivered the stream: the
# ring must go, or each run leaks one.  Not so if it left bytes unread.
@test "a reader that read a cleanly ended stream to its end and closes without waiting removes the ring" {
	cat >"$T/take.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "shmcat.h"
/* Write "a\nb\nc\n" and end; read back all of it (or, with "some", one
 * byte of it) and close without asking how the stream ended. */
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r;
	const void *p;
	size_t n;
	void *q;

	if (argc != 3 || shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 10;
	if (shmcat_write_span(w, &q) < 6)
		return 11;
	memcpy(q, "a\nb\nc\n", 6);
	shmcat_write_commit(w, 6);
	shmcat_close(w, SHMCAT_END);
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 12;
	n = shmcat_read_span(r, &p);
	shmcat_read_commit(r, strcmp(argv[2], "some") == 0 ? 1 : n);
	return shmcat_close(r, SHMCAT_END);
}
C
	cc_lib take
	run -0 --separate-stderr tmo "$T/take" "$R" all
	assert_no_ring "$R"
	run -0 --separate-stderr tmo "$T/take" "$R" some
	assert_ring "$R"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" $'\nb\nc'
	assert_no_ring "$R"
}

# The header's reader loop on a tap: the span calls give nothing (a tap
# copies with shmcat_tap_read), so shmcat_wait_data must not answer "data
# is there" for ever; the loop ends with SHMCAT_EROLE.  A tap used as a
# tap is not held to that.
@test "the header's reader loop on a tap ends with SHMCAT_EROLE instead of spinning" {
	cat >"$T/taploop.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r;
	const void *p;
	char buf[8];
	size_t n;
	void *q;
	int rc = 0, rounds = 0;

	if (argc != 2 || shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	o.flags = SHMCAT_O_TAP;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 11;
	shmcat_write_span(w, &q);
	memcpy(q, "hi\n", 3);
	shmcat_write_commit(w, 3);
	for (;;) {	/* as shmcat.h draws it */
		n = shmcat_read_span(r, &p);
		if (n == 0) {
			rc = shmcat_wait_data(r, 1000);
			if (rc != 0 || ++rounds > 1000000)
				break;
			continue;
		}
		shmcat_read_commit(r, n);
	}
	printf("%s\n", rounds > 1000000 ? "spins" : shmcat_strerror(rc));
	/* as a tap: it reads, and its wait is as any reader's */
	printf("%zd ", shmcat_tap_read(r, buf, sizeof(buf), NULL));
	printf("%d\n", shmcat_wait_data(r, 0));
	shmcat_close(w, SHMCAT_END);
	printf("%d\n", shmcat_wait_data(r, 1000));
	shmcat_close(r, SHMCAT_END);
	return 0;
}
C
	cc_lib taploop
	run -0 --separate-stderr tmo "$T/taploop" "$R"
	assert_equal "$output" "$(printf '%s\n' \
		"call does not match the handle's role" "3 -11" "1")"
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}

# A bridge and its handle: a NULL handle, a second bridge, and the
# handle closed first (issue 20, part 3).  Closing the handle stops the
# bridge's thread; the bridge is then only freed.
@test "bridge: NULL handle and a second bridge are refused; closing the handle first is safe" {
	cat >"$T/bridge2.c" <<'C'
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_bridge *b = NULL, *b2 = NULL;
	struct shmcat_ring *w, *r;
	const void *p;
	void *q;

	if (argc != 2 || shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 11;
	printf("NULL: %d\n", shmcat_bridge_open(NULL, 1, &b) == -EINVAL && b == NULL);
	if (shmcat_bridge_open(r, 1, &b) != 0)
		return 12;
	printf("second: %d\n", shmcat_bridge_open(r, 1, &b2) == -EBUSY && b2 == NULL);
	shmcat_write_span(w, &q);
	memcpy(q, "hi\n", 3);
	shmcat_write_commit(w, 3);
	shmcat_close(w, SHMCAT_END);
	shmcat_read_commit(r, shmcat_read_span(r, &p));
	printf("end: %d\n", shmcat_wait_data(r, 0));
	/* the handle goes first, while the thread sleeps on it */
	printf("close: %d\n", shmcat_close(r, SHMCAT_END));
	printf("rearm: %d\n", shmcat_bridge_rearm(b) == -EINVAL);
	printf("fd: %d\n", shmcat_bridge_fd(b) > 2);
	printf("bridge close: %d\n", shmcat_bridge_close(b));
	return 0;
}
C
	cc_lib bridge2
	run -0 --separate-stderr tmo "$T/bridge2" "$R"
	assert_equal "$output" "$(printf '%s\n' "NULL: 1" "second: 1" "end: 1" \
		"close: 0" "rearm: 1" "fd: 1" "bridge close: 0")"
	assert_no_ring "$R"
}

# -1 waits for ever; any other negative timeout is a caller's mistake
# (a deadline gone by, say), refused at once rather than taken for
# "for ever" (issue 20, part 3).
@test "a negative timeout other than -1 is refused with -EINVAL, at once" {
	cat >"$T/negative.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER, .size = 4096};
	struct shmcat_ring *w, *r, *x = NULL;

	if (argc != 2 || shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0)
		return 11;
	printf("%d ", shmcat_wait_data(r, -2) == -EINVAL);
	printf("%d ", shmcat_wait_data(r, -1000) == -EINVAL);
	while (shmcat_write_record(w, "x", 1, 0) == 0)
		;	/* full */
	printf("%d ", shmcat_wait_space(w, -2) == -EINVAL);
	printf("%d ", shmcat_write_record(w, "x", 1, -3) == -EINVAL);
	o.role = SHMCAT_WRITER;
	o.flags = SHMCAT_O_LINES;
	o.attach_timeout_ms = -1;
	printf("%d\n", shmcat_open(argv[1], &o, &x, NULL) == -EINVAL && !x);
	shmcat_close(w, SHMCAT_INTERRUPTED);
	shmcat_close(r, SHMCAT_HANGUP);
	return 0;
}
C
	cc_lib negative
	local t0
	t0=$(now_us)
	run -0 --separate-stderr tmo "$T/negative" "$R"
	assert_within "$t0" 5000 "the refused waits"
	assert_equal "$output" "1 1 1 1 1"
	assert_no_ring "$R"
}

# The writer's own handle: F_OFD_GETLK does not see the caller's own
# lock, so its status took the writer for dead (found by the test below).
@test "status on the writer's own handle says a live writer" {
	cat >"$T/ownstatus.c" <<'C'
#include <stdio.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w;
	struct shmcat_status st;

	if (argc != 2 || shmcat_open(argv[1], &o, &w, NULL) != 0 ||
	    shmcat_status(w, &st) != 0)
		return 10;
	printf("%s %d %d\n", st.state, st.writer_alive, st.writers_active);
	return shmcat_close(w, SHMCAT_ABANDON);
}
C
	cc_lib ownstatus
	run -0 --separate-stderr tmo "$T/ownstatus" "$R"
	assert_equal "$output" "open 1 1"
	run -3 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}

# A ring whose name is removed under its handles (rm of the file, a
# RemoveIPC= cleanup) is no longer "open" to anyone who looks for it:
# status says so (issue 20, part 3).
@test "status of a handle whose ring was unlinked says unlinked" {
	cat >"$T/unlinked.c" <<'C'
#include <stdio.h>
#include <unistd.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w, *r;
	struct shmcat_status st;
	char path[SHMCAT_PATH_MAX];

	if (argc != 2 || shmcat_open(argv[1], &o, &w, NULL) != 0)
		return 10;
	o.role = SHMCAT_READER;
	if (shmcat_open(argv[1], &o, &r, NULL) != 0 ||
	    shmcat_path(argv[1], path, sizeof(path)) != 0)
		return 11;
	shmcat_status(w, &st);
	printf("%s ", st.state);
	if (unlink(path) != 0)
		return 12;
	shmcat_status(w, &st);
	printf("%s ", st.state);
	shmcat_status(r, &st);
	printf("%s\n", st.state);
	shmcat_close(w, SHMCAT_END);
	shmcat_close(r, SHMCAT_END);
	return 0;
}
C
	cc_lib unlinked
	run -0 --separate-stderr tmo "$T/unlinked" "$R"
	assert_equal "$output" "open unlinked unlinked"
	assert_no_ring "$R"
}
