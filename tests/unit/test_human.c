/*
 * test_human.c - sizes for people (human_size, src/tools/meter.c), as
 * shmcat(1) promises them for list and status: plain bytes below 1024,
 * else K, M, G, T (powers of 1024) with one decimal below 10, rounded
 * once; and the sizes shmcat-in -s takes back from them.
 */
#include <inttypes.h>
#include <stdint.h>

#include "tool.h"
#include "unit.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define K UINT64_C(1024)

struct human_case {
	uint64_t v;
	const char *want;
};

static void
test_examples(void)
{
	static const struct human_case cases[] = {
		/* bytes */
		{0, "0"}, {1, "1"}, {512, "512"}, {1023, "1023"},
		/* one decimal below 10 */
		{1024, "1.0K"}, {1075, "1.0K"}, {1076, "1.1K"}, {1536, "1.5K"},
		{3891, "3.8K"}, {4096, "4.0K"}, {10188, "9.9K"},
		/* 9.95K and up rounds to 10: no decimal from there on */
		{10189, "10K"}, {10240, "10K"}, {10700, "10K"}, {10701, "10K"},
		{10752, "11K"}, {65536, "64K"},
		/* the top of a unit rounds into the next one, never "1024K" */
		{1023 * K, "1023K"}, {1023 * K + 409, "1023K"},
		{1023 * K + 512, "1.0M"}, {1024 * K - 1, "1.0M"},
		{1024 * K, "1.0M"}, {4 * K * K, "4.0M"}, {64 * K * K, "64M"},
		{K * K * K, "1.0G"}, {64 * K * K * K, "64G"},
		{K * K * K * K, "1.0T"}, {1000 * K * K * K * K, "1000T"},
		/* and beyond T, up to the largest count there is */
		{K * K * K * K * K, "1.0P"}, {UINT64_C(1) << 60, "1.0E"},
		{UINT64_MAX, "16E"},
	};
	char buf[32];
	size_t i;

	for (i = 0; i < LEN(cases); i++) {
		human_size(cases[i].v, buf, sizeof(buf));
		CHECK_MSG(strcmp(buf, cases[i].want) == 0,
		    "%" PRIu64 ": '%s', expected '%s'", cases[i].v, buf,
		    cases[i].want);
	}
}

/* Every exact size shmcat-in -s can make, printed and read back: plain
 * bytes, and 10 to 1023 K, M or G (to 64G), come back as they were. */
static void
test_round_trips(void)
{
	static const char unit[] = "KMG";
	uint64_t v, n;
	size_t back;
	char buf[32];
	int u, ok = 1;

	for (v = 1; v < 1024 && ok; v++) {
		human_size(v, buf, sizeof(buf));
		ok = parse_size(buf, &back) == 0 && back == v;
		CHECK_MSG(ok, "%" PRIu64 " -> '%s' -> %zu", v, buf, back);
	}
	for (u = 0; u < 3; u++)
		for (n = 10; n < 1024 && (u < 2 || n <= 64) && ok; n++) {
			v = n << (10 * (u + 1));
			human_size(v, buf, sizeof(buf));
			ok = buf[strlen(buf) - 1] == unit[u] &&
			    parse_size(buf, &back) == 0 && back == v;
			CHECK_MSG(ok, "%" PRIu64 " -> '%s' -> %zu", v, buf, back);
		}
}

/* A short buffer gets a cut, terminated string, never more. */
static void
test_short_buffer(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	human_size(1536, buf, 3);
	CHECK_STR(buf, "1.", "1536 in 3 bytes");
	CHECK(buf[3] == 'x');
	memset(buf, 'x', sizeof(buf));
	human_size(UINT64_MAX, buf, 1);
	CHECK_STR(buf, "", "in 1 byte");
	CHECK(buf[1] == 'x');
}

int
main(void)
{
	test_examples();
	test_round_trips();
	test_short_buffer();
	return unit_done("test_human");
}
