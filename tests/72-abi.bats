#!/usr/bin/env bats
# 72-abi: room to grow.  A program built against this release's header
# must keep running when a later release adds a field to a struct the
# caller allocates (it takes a reserved word), and every export carries
# the symbol version of the release that brought it.

bats_require_minimum_version 1.5.0
load test_helper

SO=libshmcat.so.$(sed -n 's/^SOVERSION = //p' "$REPO/Makefile")

setup_file() { shmcat_setup_file; }
setup() { shmcat_setup; }
teardown() { shmcat_teardown; }

# old.c: uses every caller-allocated struct as a 3.0 program would.
write_old_c() {
	cat >"$T/old.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "shmcat.h"

int main(int argc, char **argv)
{
	struct shmcat_opts wo = {.role = SHMCAT_WRITER, .size = 8192,
	    .flags = SHMCAT_O_LINES};
	struct shmcat_opts ro = {.role = SHMCAT_READER, .reader_name = "old"};
	struct shmcat_error err;
	struct shmcat_status st;
	struct shmcat_reader_status rs;
	struct shmcat_counters c;
	struct shmcat_ring *w, *r;
	const void *p;
	size_t n;

	(void)argc;
	if (shmcat_open(argv[1], &wo, &w, &err) != 0 ||
	    shmcat_open(argv[1], &ro, &r, &err) != 0) {
		printf("open: %s %s\n", err.call, shmcat_strerror(err.code));
		return 1;
	}
	if (shmcat_write_record(w, "grown\n", 6, -1) != 0 ||
	    shmcat_status(w, &st) != 0 || shmcat_reader_status(w, 0, &rs) != 0)
		return 1;
	shmcat_counters(w, &c);
	n = shmcat_read_span(r, &p);
	printf("%d %s %s %llu %.*s", st.nreaders, st.record_mode, rs.kind,
	    (unsigned long long)c.bytes, (int)n, (const char *)p);
	shmcat_read_commit(r, n);
	shmcat_close(w, SHMCAT_END);
	return shmcat_wait_data(r, 1000) == SHMCAT_EOF &&
	    shmcat_close(r, SHMCAT_END) == 0 ? 0 : 1;
}
C
}

@test "a program built against this header runs against a library whose structs grew" {
	need cc
	write_old_c
	run -0 cc -std=c11 -Wall -Werror -I"$REPO/include" -o "$T/old" "$T/old.c" \
	    -L"$SHMCAT_BIN" -l:"$SO" -Wl,-rpath,"$SHMCAT_BIN"
	# The next release, as the next issue would write it: one field
	# more in the options, the status and the reader status, each taking
	# a reserved word.
	mkdir -p "$T/next"
	sed -e 's/^\tuint64_t reserved\[8\];$/\tuint64_t next_field;\n\tuint64_t reserved[7];/' \
	    -e 's/^\tuint64_t reserved\[16\];$/\tuint64_t next_count;\n\tuint64_t reserved[15];/' \
	    "$REPO/include/shmcat.h" >"$T/next/shmcat.h"
	run -0 grep -c 'next_field;\|next_count;' "$T/next/shmcat.h"
	assert_equal "$output" 3 "fields added (options, reader status, status)"
	TMO=300 run -0 tmo make -C "$REPO" B="$T/nb" CFLAGS="-O1 -I$T/next" "$T/nb/$SO"
	# the same sizes, so the old program's structs are what the library reads
	printf '#include <stdio.h>\n#include "shmcat.h"\nint main(void){printf("%%zu %%zu\\n", sizeof(struct shmcat_opts), sizeof(struct shmcat_status));return 0;}\n' >"$T/size.c"
	cc -I"$REPO/include" -o "$T/size-old" "$T/size.c"
	cc -I"$T/next" -o "$T/size-next" "$T/size.c"
	assert_equal "$("$T/size-next")" "$("$T/size-old")" "struct sizes, old vs next"

	LD_LIBRARY_PATH=$T/nb run -0 --separate-stderr tmo "$T/old" "$R"
	assert_equal "$output" "1 lines named 6 grown" "what the old program saw"
	# it really ran against the new library
	LD_LIBRARY_PATH=$T/nb run -0 ldd "$T/old"
	assert_match "$output" "$SO => $T/nb/$SO" "ldd old"
	assert_no_ring "$R"
}

@test "options with a reserved word set are refused, not guessed at" {
	need cc
	cat >"$T/resv.c" <<'C'
#include <stdio.h>
#include "shmcat.h"
int main(int argc, char **argv)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_error err;
	struct shmcat_ring *r;

	(void)argc;
	o.reserved[3] = 1;
	printf("%d %s\n", shmcat_open(argv[1], &o, &r, &err) == -22, err.call);
	return 0;
}
C
	run -0 cc -std=c11 -Wall -Werror -I"$REPO/include" -o "$T/resv" "$T/resv.c" "$SHMCAT_BIN/libshmcat.a" -lpthread
	run -0 tmo "$T/resv" "$R"
	assert_equal "$output" "1 reserved"
	assert_no_ring "$R"
}

@test "every export carries symbol version SHMCAT_3.0, and nothing else is exported" {
	need readelf
	run -0 readelf --dyn-syms -W "$SHMCAT_BIN/$SO"
	local defined bad
	defined=$(awk '$7 != "UND" && $8 ~ /^shmcat_/ { print $8 }' <<<"$output")
	[[ -n $defined ]] || _fail "no shmcat_ symbol exported"
	bad=$(grep -v '@@SHMCAT_3\.0$' <<<"$defined" || true)
	assert_equal "$bad" "" "exports without version SHMCAT_3.0"
	bad=$(awk '$7 != "UND" && $5 == "GLOBAL" && $8 !~ /^shmcat_/ && $8 != "SHMCAT_3.0" { print $8 }' <<<"$output")
	assert_equal "$bad" "" "other exports"
}
