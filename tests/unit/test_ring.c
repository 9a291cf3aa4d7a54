/*
 * test_ring.c - unit tests of the ring library, in one process: writer
 * and readers are separate handles (separate open files, so separate
 * OFD locks), which lets us drive every edge step by step.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmcat.h"

static int failures, checks;
static char ring[64];

#define CHECK(cond)                                                         \
	do {                                                                \
		checks++;                                                   \
		if (!(cond)) {                                              \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n",    \
			    __FILE__, __LINE__, __func__, #cond);           \
		}                                                           \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		checks++;                                                   \
		if (a_ != b_) {                                             \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s: %s == %lld, expected "  \
			    "%s == %lld\n", __FILE__, __LINE__, __func__,   \
			    #a, a_, #b, b_);                                \
		}                                                           \
	} while (0)

static struct shmcat_ring *
open_role(enum shmcat_role role, size_t size, unsigned flags)
{
	struct shmcat_opts o = {.role = role, .size = size, .flags = flags};
	struct shmcat_ring *r = NULL;
	struct shmcat_error err;
	int rc = shmcat_open(ring, &o, &r, &err);

	if (rc != 0)
		fprintf(stderr, "open %s: %s: %s\n", ring, err.call,
		    shmcat_strerror(rc));
	return r;
}

static void
new_ring(const char *what)
{
	snprintf(ring, sizeof(ring), "unit-%ld-%s", (long)getpid(), what);
}

static int
ring_exists(void)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/shm/shmcat.%s", ring);
	return access(path, F_OK) == 0;
}

static void
fill(unsigned char *p, size_t n, uint64_t from)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((from + i) * 7 + 3);
}

static int
matches(const unsigned char *p, size_t n, uint64_t from)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)((from + i) * 7 + 3))
			return 0;
	return 1;
}

static void
test_names(void)
{
	static const char *good[] = {"a", "ring0", "A.b-c_d", "x..y"};
	static const char *bad[] = {"", "/", "a/b", "..", ".", ".hidden",
	    "a b", "a~b", "\xc3\xbc", "a*"};
	char longname[SHMCAT_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(shmcat_valid_name(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!shmcat_valid_name(bad[i]));
	memset(longname, 'a', sizeof(longname));
	longname[SHMCAT_NAME_MAX] = '\0';
	CHECK(shmcat_valid_name(longname));
	longname[SHMCAT_NAME_MAX] = 'a';
	longname[SHMCAT_NAME_MAX + 1] = '\0';
	CHECK(!shmcat_valid_name(longname));
}

/* Full and empty edges, and spans across the end of the data area. */
static void
test_full_empty_wrap(void)
{
	struct shmcat_ring *w, *r;
	const void *rp;
	void *wp;
	uint64_t in = 0, out = 0;
	size_t n;
	int round;

	new_ring("wrap");
	w = open_role(SHMCAT_WRITER, 4096, 0);
	r = open_role(SHMCAT_READER, 0, 0);
	CHECK(w && r);
	if (!w || !r)
		return;
	CHECK_EQ(shmcat_capacity(w), 4096);
	CHECK_EQ(shmcat_read_span(r, &rp), 0);
	CHECK_EQ(shmcat_wait_data(r, 0), -EAGAIN);
	/* Uneven steps so the data offset wraps at every possible place. */
	for (round = 0; round < 200; round++) {
		size_t want = (size_t)(round * 977 % 4096) + 1;

		/* The span may lag behind reads, but is never empty on
		 * a ring that is not full, and never exceeds the free space. */
		n = shmcat_write_span(w, &wp);
		CHECK(n > 0 && n <= 4096 - (in - out));
		if (want > n)
			want = n;
		fill(wp, want, in);
		CHECK_EQ(shmcat_write_commit(w, want), 0);
		in += want;
		n = shmcat_read_span(r, &rp);
		CHECK_EQ(n, in - out);
		want = n > 1500 ? n - 1500 : n; /* leave some behind */
		CHECK(matches(rp, want, out));
		CHECK_EQ(shmcat_read_commit(r, want), 0);
		out += want;
	}
	/* Fill to the brim: no wasted slot. */
	while ((n = shmcat_write_span(w, &wp)) > 0) {
		fill(wp, n, in);
		shmcat_write_commit(w, n);
		in += n;
	}
	CHECK_EQ(in - out, 4096);
	CHECK_EQ(shmcat_write_span(w, &wp), 0);
	CHECK_EQ(shmcat_wait_space(w, 0), -EAGAIN);
	CHECK_EQ(shmcat_wait_space(w, 50), -ETIMEDOUT);
	CHECK_EQ(shmcat_read_span(r, &rp), 4096);
	CHECK(matches(rp, 4096, out));
	CHECK_EQ(shmcat_read_commit(r, 4097), -EINVAL); /* beyond span */
	shmcat_read_commit(r, 4096);
	out += 4096;
	CHECK_EQ(shmcat_wait_space(w, 0), 0);
	/* End of stream: the reader sees EOF only when drained. */
	shmcat_close(w, SHMCAT_END);
	CHECK_EQ(shmcat_wait_data(r, 0), SHMCAT_EOF);
	shmcat_close(r, SHMCAT_END);
	CHECK(!ring_exists());
}

/* The writer may finish first; its bytes wait for a later reader. */
static void
test_writer_first(void)
{
	struct shmcat_ring *w, *r;
	const void *rp;

	new_ring("first");
	w = open_role(SHMCAT_WRITER, 8192, 0);
	CHECK_EQ(shmcat_write_record(w, "hello\n", 6, 0), 0);
	shmcat_close(w, SHMCAT_END);
	CHECK(ring_exists());
	r = open_role(SHMCAT_READER, 0, 0);
	CHECK_EQ(shmcat_read_span(r, &rp), 6);
	CHECK(memcmp(rp, "hello\n", 6) == 0);
	shmcat_read_commit(r, 6);
	CHECK_EQ(shmcat_wait_data(r, -1), SHMCAT_EOF);
	shmcat_close(r, SHMCAT_END);
	CHECK(!ring_exists());
}

static void
test_open_errors(void)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER, .size = 4096};
	struct shmcat_ring *w, *w2 = NULL;
	struct shmcat_error err;

	new_ring("errs");
	w = open_role(SHMCAT_WRITER, 4096, 0);
	CHECK_EQ(shmcat_open(ring, &o, &w2, &err), -SHMCAT_EBUSY);
	CHECK_EQ(err.pid, getpid());
	o.size = 8192;
	CHECK_EQ(shmcat_open(ring, &o, &w2, &err), -SHMCAT_ESIZE);
	o.role = SHMCAT_READER;
	CHECK_EQ(shmcat_open(ring, &o, &w2, &err), -SHMCAT_ESIZE);
	CHECK_EQ(shmcat_open("a/b", &o, &w2, &err), -EINVAL);
	CHECK(w2 == NULL);
	shmcat_close(w, SHMCAT_END);
	CHECK_EQ(shmcat_remove(ring, 0, &err), 0);
	CHECK(!ring_exists());
}

/* Scribble on the header through a private mapping of our own. */
static void
test_corrupt(void)
{
	struct shmcat_ring *w, *r;
	char obj[128];
	uint64_t *tail;
	void *base;
	const void *rp;
	int fd;

	new_ring("corrupt");
	w = open_role(SHMCAT_WRITER, 4096, 0);
	r = open_role(SHMCAT_READER, 0, 0);
	snprintf(obj, sizeof(obj), "/shmcat.%s", ring);
	fd = shm_open(obj, O_RDWR, 0);
	base = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tail = (uint64_t *)((char *)base + 128); /* the writer's hot line */
	*tail = 1u << 20;			 /* far past any cursor */
	CHECK_EQ(shmcat_read_span(r, &rp), 0);
	CHECK_EQ(shmcat_wait_data(r, 0), -SHMCAT_ECORRUPT);
	*tail = 0;
	memset(base, 0, 8); /* magic */
	shmcat_close(r, SHMCAT_END);
	r = NULL;
	{
		struct shmcat_opts o = {.role = SHMCAT_READER};
		struct shmcat_error err;

		CHECK_EQ(shmcat_open(ring, &o, &r, &err), -SHMCAT_ENOTRING);
		CHECK(r == NULL);
	}
	munmap(base, 8192);
	close(fd);
	shmcat_close(w, SHMCAT_ABANDON);
	shm_unlink(obj);
}

/* Two readers each get every byte; a tap is lapped and says so. */
static void
test_fanout_and_tap(void)
{
	struct shmcat_ring *w, *a, *b, *t;
	unsigned char buf[8192];
	uint64_t skipped = 0;
	const void *rp;
	void *wp;
	size_t n;

	new_ring("fan");
	w = open_role(SHMCAT_WRITER, 4096, 0);
	a = open_role(SHMCAT_READER, 0, 0);
	b = open_role(SHMCAT_READER, 0, 0);
	t = open_role(SHMCAT_READER, 0, SHMCAT_O_TAP);
	CHECK(w && a && b && t);
	n = shmcat_write_span(w, &wp);
	fill(wp, n, 0);
	shmcat_write_commit(w, n);
	CHECK_EQ(shmcat_write_span(w, &wp), 0);
	CHECK_EQ(shmcat_read_span(a, &rp), 4096);
	shmcat_read_commit(a, 4096);
	CHECK_EQ(shmcat_wait_space(w, 0), -EAGAIN); /* b still behind */
	CHECK_EQ(shmcat_read_span(b, &rp), 4096);
	CHECK(matches(rp, 4096, 0));
	shmcat_read_commit(b, 4096);
	n = shmcat_write_span(w, &wp);
	CHECK_EQ(n, 4096);
	fill(wp, n, 4096);
	shmcat_write_commit(w, n);
	/* The tap never read; bytes 0..4095 are gone. */
	CHECK_EQ(shmcat_tap_read(t, buf, sizeof(buf), &skipped), 4096);
	CHECK_EQ(skipped, 4096);
	CHECK(matches(buf, 4096, 4096));
	shmcat_close(t, SHMCAT_END);
	shmcat_close(b, SHMCAT_END);
	shmcat_close(w, SHMCAT_END);
	shmcat_read_commit(a, shmcat_read_span(a, &rp));
	CHECK_EQ(shmcat_wait_data(a, 0), SHMCAT_EOF);
	shmcat_close(a, SHMCAT_END);
	CHECK(!ring_exists());
}

/* Records go in whole or not at all; byte and record writers don't mix. */
static void
test_records(void)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER};
	struct shmcat_ring *w1, *w2, *x = NULL, *r;
	static char big[4097];
	struct shmcat_error err;
	const void *rp;

	new_ring("rec");
	w1 = open_role(SHMCAT_WRITER, 4096, SHMCAT_O_LINES);
	w2 = open_role(SHMCAT_WRITER, 0, SHMCAT_O_LINES);
	CHECK(w1 && w2);
	CHECK_EQ(shmcat_open(ring, &o, &x, &err), -SHMCAT_EMODE);
	CHECK_EQ(shmcat_write_record(w1, "one\n", 4, 0), 0);
	CHECK_EQ(shmcat_write_record(w2, "two\n", 4, 0), 0);
	CHECK_EQ(shmcat_write_record(w1, big, 4097, 0), -SHMCAT_ERECORD);
	shmcat_close(w1, SHMCAT_END);
	r = open_role(SHMCAT_READER, 0, 0);
	CHECK_EQ(shmcat_read_span(r, &rp), 8);
	CHECK(memcmp(rp, "one\ntwo\n", 8) == 0);
	shmcat_read_commit(r, 8);
	CHECK_EQ(shmcat_wait_data(r, 0), -EAGAIN); /* w2 still writes */
	shmcat_close(w2, SHMCAT_END);
	CHECK_EQ(shmcat_wait_data(r, 0), SHMCAT_EOF);
	shmcat_close(r, SHMCAT_END);
	CHECK(!ring_exists());
}

/* Writer and reader threads race through a small ring with uneven
 * chunks; under -fsanitize=thread this checks the data hand-over (tail
 * and pos release/acquire) and the sleeping and waking. */
#define STRESS_BYTES (32u << 20)

static void *
stress_writer(void *arg)
{
	struct shmcat_ring *w = arg;
	uint64_t in = 0;
	unsigned seed = 1;
	void *wp;
	size_t n;

	while (in < STRESS_BYTES) {
		if ((n = shmcat_write_span(w, &wp)) == 0) {
			if (shmcat_wait_space(w, 5000) != 0)
				return (void *)1;
			continue;
		}
		seed = seed * 1103515245 + 12345;
		n = n < (seed >> 16) % 3000 + 1 ? n : (seed >> 16) % 3000 + 1;
		if (n > STRESS_BYTES - in)
			n = STRESS_BYTES - in;
		fill(wp, n, in);
		shmcat_write_commit(w, n);
		in += n;
	}
	shmcat_close(w, SHMCAT_END);
	return NULL;
}

static void
test_threads(void)
{
	struct shmcat_ring *w, *r;
	pthread_t t;
	const void *rp;
	uint64_t out = 0;
	int rc, bad = 0;
	size_t n;

	new_ring("threads");
	w = open_role(SHMCAT_WRITER, 4096, 0);
	r = open_role(SHMCAT_READER, 0, 0);
	pthread_create(&t, NULL, stress_writer, w);
	for (;;) {
		if ((n = shmcat_read_span(r, &rp)) == 0) {
			rc = shmcat_wait_data(r, 5000);
			if (rc == SHMCAT_EOF)
				break;
			CHECK_EQ(rc, 0);
			if (rc != 0)
				break;
			continue;
		}
		if (n > 1777)
			n = 1777;
		bad += !matches(rp, n, out);
		shmcat_read_commit(r, n);
		out += n;
	}
	pthread_join(t, NULL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(out, STRESS_BYTES);
	shmcat_close(r, SHMCAT_END);
	CHECK(!ring_exists());
}

int
main(void)
{
	test_names();
	test_full_empty_wrap();
	test_writer_first();
	test_open_errors();
	test_corrupt();
	test_fanout_and_tap();
	test_records();
	test_threads();
	printf("test_ring: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
