/*
 * test_parse.c - the numbers and options of the filters' command lines
 * (src/tools/parse.c, options.c) against what shmcat-in(1) and
 * shmcat-out(1) promise: sizes, timeouts and modes in exactly the
 * documented forms and ranges, nothing else.  A refused option ends the
 * program, so those cases run in a child.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "unit.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define G64 (UINT64_C(64) << 30)

struct size_case {
	const char *s;
	uint64_t want; /* 0: refused */
};

static void
test_sizes(void)
{
	static const struct size_case cases[] = {
		{"1", 1}, {"4096", 4096}, {"65536", 65536}, {"0004K", 4096},
		{"4K", 4096}, {"4KiB", 4096}, {"1M", 1 << 20},
		{"1MiB", 1 << 20}, {"4MiB", 4 << 20}, {"64M", 64 << 20},
		{"1G", 1 << 30}, {"1GiB", 1 << 30},
		/* the top of the range, in every unit, and one past it */
		{"64G", G64}, {"64GiB", G64}, {"65536M", G64},
		{"67108864K", G64}, {"68719476736", G64},
		{"65G", 0}, {"65537M", 0}, {"67108865K", 0},
		{"68719476737", 0},
		/* no size at all */
		{"0", 0}, {"0K", 0}, {"000", 0}, {"", 0}, {"K", 0},
		{"KiB", 0},
		/* the suffixes are K, M, G, KiB, MiB, GiB: nothing else */
		{"4k", 0}, {"4m", 0}, {"4g", 0}, {"4kib", 0}, {"4Kib", 0},
		{"4KIB", 0}, {"4Ki", 0}, {"4KB", 0}, {"4KiBs", 0},
		{"4KK", 0}, {"4B", 0}, {"1T", 0}, {"1TiB", 0}, {"4 K", 0},
		/* no signs, blanks, fractions, exponents or hexadecimal */
		{"-1", 0}, {"-4K", 0}, {"+1", 0}, {"+4K", 0}, {" 1", 0},
		{" 4K", 0}, {"1 ", 0}, {"4K ", 0}, {"\t1", 0}, {"1\n", 0},
		{"1.5M", 0}, {"1e3", 0}, {"0x10", 0}, {"0x1000", 0},
		{"1,000", 0}, {"1_000", 0}, {"abc", 0}, {"1x", 0}, {"12Q", 0},
		/* wraps of 64 bits: the digits and the multiplier */
		{"18446744073709551616", 0}, {"18446744073709551617", 0},
		{"18014398509481984K", 0}, {"17592186044416M", 0},
		{"17179869184G", 0}, {"99999999999G", 0},
		{"99999999999999999999K", 0}, {"99999999999999999999999999G", 0},
	};
	size_t i, got;
	int rc;

	for (i = 0; i < LEN(cases); i++) {
		got = 12345; /* a refusal leaves it alone */
		rc = parse_size(cases[i].s, &got);
		if (cases[i].want == 0)
			CHECK_MSG(rc == -1 && got == 12345,
			    "size '%s' accepted as %zu", cases[i].s, got);
		else
			CHECK_MSG(rc == 0 && got == cases[i].want,
			    "size '%s': %d, %zu, expected %llu", cases[i].s, rc,
			    got, (unsigned long long)cases[i].want);
	}
}

/* Input far longer than any number: refused, or read to its end. */
static void
test_long_input(void)
{
	enum { N = 100000 };
	char *s = malloc(N + 8);
	size_t size = 0;
	int ms = -1;

	memset(s, '9', N);
	strcpy(s + N, "K");
	CHECK_EQ(parse_size(s, &size), -1);
	CHECK_EQ(parse_timeout(s, &ms), -1);
	/* zeros keep the value at 0: no overflow, just a long number */
	memset(s, '0', N);
	strcpy(s + N, "1K");
	CHECK_EQ(parse_size(s, &size), 0);
	CHECK_EQ(size, 1024);
	/* a fraction's digits beyond the fourth only have to be digits */
	strcpy(s, "0.");
	memset(s + 2, '9', N);
	s[N + 2] = '\0';
	CHECK_EQ(parse_timeout(s, &ms), 0);
	CHECK_EQ(ms, 1000);
	s[N] = 'x';
	CHECK_EQ(parse_timeout(s, &ms), -1);
	free(s);
}

struct timeout_case {
	const char *s;
	int ok, ms;
};

static void
test_timeouts(void)
{
	static const struct timeout_case cases[] = {
		{"0", 1, 0}, {"2", 1, 2000}, {"0.5", 1, 500}, {"1.25", 1, 1250},
		{"0.001", 1, 1}, {"0.0004", 1, 1} /* a timeout, not --nonblock */, {"0.0005", 1, 1},
		{"1.9995", 1, 2000}, {"0.123456789", 1, 123}, {"007", 1, 7000},
		{"2073600", 1, 2073600000}, {"2073600.0", 1, 2073600000},
		{"2073599.9999", 1, 2073600000},
		{"2073600.001", 0, 0}, {"2073601", 0, 0},
		{"99999999999999999999", 0, 0},
		{"", 0, 0}, {".5", 0, 0}, {"1.", 0, 0}, {"1..2", 0, 0},
		{"-1", 0, 0}, {"+1", 0, 0}, {" 1", 0, 0}, {"1 ", 0, 0},
		{"1s", 0, 0}, {"1e3", 0, 0}, {"0x10", 0, 0}, {"inf", 0, 0},
		{"nan", 0, 0}, {"1,5", 0, 0}, {"abc", 0, 0}, {"1x", 0, 0},
	};
	size_t i;
	int ms, rc;

	for (i = 0; i < LEN(cases); i++) {
		ms = -7; /* a refusal leaves it alone */
		rc = parse_timeout(cases[i].s, &ms);
		if (cases[i].ok)
			CHECK_MSG(rc == 0 && ms == cases[i].ms,
			    "timeout '%s': %d, %d ms, expected %d ms", cases[i].s,
			    rc, ms, cases[i].ms);
		else
			CHECK_MSG(rc == -1 && ms == -7,
			    "timeout '%s' accepted as %d ms", cases[i].s, ms);
	}
}

static void
test_modes(void)
{
	static const char *const bad[] = {"0", "00", "0000", "1000", "7777",
	    "10000", "00600", "00000600", "8", "800", "999", "0609", "-1",
	    "-600", "+600", " 600", "600 ", "0o600", "0x180", "rw", "abc",
	    ""};
	mode_t m;
	size_t i;

	CHECK(parse_mode("600", &m) == 0 && m == 0600);
	CHECK(parse_mode("0600", &m) == 0 && m == 0600);
	CHECK(parse_mode("0660", &m) == 0 && m == 0660);
	CHECK(parse_mode("777", &m) == 0 && m == 0777);
	CHECK(parse_mode("0777", &m) == 0 && m == 0777);
	CHECK(parse_mode("1", &m) == 0 && m == 01);
	for (i = 0; i < LEN(bad); i++) {
		m = 0123; /* a refusal leaves it alone */
		CHECK_MSG(parse_mode(bad[i], &m) == -1 && m == 0123,
		    "mode '%s' accepted as %04o", bad[i], (unsigned)m);
	}
}

/*
 * The options both filters take, as shmcat-in declares them (plus its
 * -l, handled by the program's own function).
 */
static const struct option longopts[] = {
	COMMON_LONGOPTS_HEAD,
	{"lines", no_argument, NULL, 'l'},
	COMMON_LONGOPTS_TAIL,
};

static int
own(int c, const char *arg, void *ctx)
{
	(void)arg;
	if (c != 'l')
		return -1;
	++*(int *)ctx;
	return 0;
}

static int lines_seen;
static const struct filter_cli cli = {"usage: test\n", "help text\n",
    "s:m:t:nflpvhV", longopts, own, &lines_seen};

static int
count(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* Parse argv (which must succeed) into a fresh t. */
static void
parse(char **argv, struct tool_opts *t)
{
	memset(t, 0, sizeof(*t));
	t->timeout_ms = -1;
	lines_seen = 0;
	optind = 0; /* glibc: start afresh */
	parse_filter_args(count(argv), argv, &cli, t);
}

#define ARGS(...) ((char *[]){"shmcat-in", __VA_ARGS__, NULL})

static void
test_options(void)
{
	struct tool_opts t;

	parse(ARGS("ring"), &t);
	CHECK_STR(t.ring, "ring", "the ring name");
	CHECK_EQ(t.lib.size, 0);
	CHECK_EQ(t.timeout_ms, -1);
	CHECK_EQ(t.lib.flags, 0);
	CHECK(t.lib.log == NULL);
	parse(ARGS("-s", "4K", "r"), &t);
	CHECK_EQ(t.lib.size, 4096);
	parse(ARGS("--size=64M", "r"), &t);
	CHECK_EQ(t.lib.size, 64 << 20);
	parse(ARGS("r", "--size", "1G"), &t); /* GNU order: options after */
	CHECK_EQ(t.lib.size, 1 << 30);
	CHECK_STR(t.ring, "r", "the ring name before an option");
	parse(ARGS("-s4K", "-s", "1M", "r"), &t); /* the last one counts */
	CHECK_EQ(t.lib.size, 1 << 20);
	parse(ARGS("-t", "0.5", "-m", "0660", "r"), &t);
	CHECK_EQ(t.timeout_ms, 500);
	CHECK_EQ(t.lib.mode, 0660);
	parse(ARGS("-t", "2", "-n", "r"), &t); /* -n: a timeout of 0 */
	CHECK_EQ(t.timeout_ms, 0);
	CHECK_EQ(t.lib.flags, SHMCAT_O_NONBLOCK);
	parse(ARGS("-fpv", "--stats", "-l", "--lines", "r"), &t);
	CHECK_EQ(t.lib.flags, SHMCAT_O_FORCE);
	CHECK(t.progress && t.verbose && t.stats);
	CHECK(t.lib.log == vlog && t.lib.log_ctx == (void *)t.ring);
	CHECK_EQ(lines_seen, 2);
	parse(ARGS("--owner=0", "--group", "0", "r"), &t);
	CHECK_EQ(t.lib.flags, SHMCAT_O_TRUST_UID | SHMCAT_O_TRUST_GID);
	CHECK(t.lib.trust_uid == 0 && t.lib.trust_gid == 0);
	parse(ARGS("--owner=root", "r"), &t);
	CHECK(t.lib.flags == SHMCAT_O_TRUST_UID && t.lib.trust_uid == 0);
	parse(ARGS("--owner=4294967294", "r"), &t);
	CHECK(t.lib.trust_uid == 4294967294u);
	parse(ARGS("--", "-r"), &t);
	CHECK_STR(t.ring, "-r", "a ring name after --");
}

/*
 * Run parse_filter_args on argv in a child; its exit status (100 if it
 * returned) and what it printed on stderr (or stdout, with out).
 */
static int
child_parse(char **argv, int out, char *buf, size_t len)
{
	int fd[2], st;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	fflush(NULL);
	if (pipe(fd) != 0 || (pid = fork()) < 0) {
		perror("test_parse: pipe or fork");
		exit(1);
	}
	if (pid == 0) {
		struct tool_opts t;

		dup2(fd[1], out ? STDOUT_FILENO : STDERR_FILENO);
		close(fd[0]);
		close(fd[1]);
		parse(argv, &t);
		_exit(100);
	}
	close(fd[1]);
	while (got + 1 < len && (n = read(fd[0], buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* refused(ERR, argv): exit 2, and stderr holds ERR. */
static void
refused(const char *err, char **argv)
{
	char buf[4096];
	int rc = child_parse(argv, 0, buf, sizeof(buf));

	CHECK_MSG(rc == EXIT_USAGE && strstr(buf, err) != NULL,
	    "%s %s: exit %d, stderr '%s'; expected exit 2 and '%s'", argv[1],
	    argv[2] ? argv[2] : "", rc, buf, err);
}

static void
test_refused_options(void)
{
	char buf[4096];

	refused("shmcat-in: invalid size '4k': digits with an optional suffix "
	    "K, M, G (or KiB, MiB, GiB), powers of 1024, from 1 to 64G",
	    ARGS("-s", "4k", "r"));
	refused("invalid size '0'", ARGS("--size=0", "r"));
	refused("invalid size ''", ARGS("--size=", "r"));
	refused("invalid size '65G'", ARGS("-s", "65G", "r"));
	refused("invalid size ' 1M'", ARGS("-s", " 1M", "r"));
	refused("shmcat-in: invalid timeout '-1': decimal seconds: digits with "
	    "an optional fraction, like 2 or 0.5, at most 2073600",
	    ARGS("-t", "-1", "r"));
	refused("invalid timeout '2073601'", ARGS("--timeout=2073601", "r"));
	refused("shmcat-in: invalid mode '0999': octal, like 0600",
	    ARGS("-m", "0999", "r"));
	refused("invalid user '': give a name or a number", ARGS("--owner=", "r"));
	refused("unknown user 'no-such-user-here'",
	    ARGS("--owner=no-such-user-here", "r"));
	refused("unknown user '4294967295'", ARGS("--owner=4294967295", "r"));
	refused("unknown group '-1'", ARGS("--group=-1", "r"));
	refused("missing ring name", ARGS("-s", "4K"));
	refused("too many arguments", ARGS("r1", "r2"));
	refused("usage: test", ARGS("--no-such-option", "r"));
	refused("usage: test", ARGS("-x", "r"));
	refused("requires an argument", ARGS("r", "-s"));
	/* --help and --version: stdout, exit 0, ring or not */
	CHECK_EQ(child_parse(ARGS("--help"), 1, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "usage: test\nhelp text\n", "--help");
	CHECK_EQ(child_parse(ARGS("-s", "4K", "-V"), 1, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "shmcat-in " SHMCAT_VERSION "\n", "-V");
}

int
main(void)
{
	progname = "shmcat-in";
	test_sizes();
	test_long_input();
	test_timeouts();
	test_modes();
	test_options();
	test_refused_options();
	return unit_done("test_parse");
}
