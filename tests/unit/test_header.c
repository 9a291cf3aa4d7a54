/*
 * test_header.c - check_header (src/lib), the check of a ring's
 * immutable header on attach, on headers made in memory: a good one is
 * accepted, and each field made wrong in turn is refused with the code
 * shmcat(7) gives for it: not a ring (magic), another layout or ABI
 * (version and the sizes of what is stored), or corrupt (the geometry).
 * Links the library's objects: check_header is internal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "shmcat_int.h"
#include "unit.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define G64 (UINT64_C(64) << 30)

static struct shared sh; /* the header under test */

/* What the creator writes (shm.c, init_header), for capacity cap. */
static void
good_header(uint64_t cap)
{
	memset(&sh, 0, sizeof(sh));
	sh.magic = SHMCAT_MAGIC;
	sh.version = SHMCAT_LAYOUT_VERSION;
	sh.header_size = SHMCAT_HDR_SIZE;
	sh.capacity = cap;
	sh.object_size = SHMCAT_HDR_SIZE + cap;
	sh.max_readers = SHMCAT_MAX_READERS;
	sh.max_writers = SHMCAT_MAX_WRITERS;
	sh.sem_size = sizeof(sem_t);
	sh.reader_slot_size = sizeof(struct reader_slot);
	sh.writer_slot_size = sizeof(struct writer_slot);
	sh.shared_size = sizeof(struct shared);
}

/* Any whole number of pages is a capacity, from one page to the 64G
 * shmcat-in -s allows: no power of two needed. */
static void
test_good(void)
{
	static const uint64_t caps[] = {SHMCAT_PAGE, 2 * SHMCAT_PAGE,
	    3 * SHMCAT_PAGE, 12345 * SHMCAT_PAGE, SHMCAT_DEFAULT_SIZE, G64};
	size_t i;

	for (i = 0; i < LEN(caps); i++) {
		good_header(caps[i]);
		CHECK_MSG(check_header(&sh, SHMCAT_HDR_SIZE + caps[i], SHMCAT_PAGE) == 0,
		    "capacity %llu refused", (unsigned long long)caps[i]);
	}
	/* The fields a stream changes are checked elsewhere (check_state). */
	good_header(SHMCAT_PAGE);
	sh.tail = UINT64_MAX;
	sh.record_mode = 99;
	sh.stream_flags = UINT32_MAX;
	sh.created_sec = -1;
	sh.creator_pid = -1;
	CHECK_EQ(check_header(&sh, SHMCAT_HDR_SIZE + SHMCAT_PAGE, SHMCAT_PAGE), 0);
}

/* One field of the header, and the value to put there. */
struct field {
	size_t off, width;
	uint64_t value;
};
#define F(name, v)                                                          \
	{offsetof(struct shared, name), sizeof(((struct shared *)0)->name), (v)}

/*
 * A header of capacity cap with up to two fields changed, attached as
 * an object of object_size bytes (0: the size the header says).  The
 * cases that change the geometry keep the other fields consistent, so
 * that one rule alone refuses them.
 */
struct bad_case {
	const char *what;
	uint64_t cap;
	struct field f[2];
	uint64_t object_size;
	int want;
};

#define CAP (4 * SHMCAT_PAGE)
#define OBJ (SHMCAT_HDR_SIZE + CAP)

static const struct bad_case cases[] = {
	{"magic 0", CAP, {F(magic, 0)}, 0, -SHMCAT_ENOTRING},
	{"magic one bit off", CAP, {F(magic, SHMCAT_MAGIC ^ 1)}, 0,
	    -SHMCAT_ENOTRING},
	{"magic of the other byte order", CAP,
	    {F(magic, __builtin_bswap64(SHMCAT_MAGIC))}, 0, -SHMCAT_ENOTRING},
	{"magic 0 and version 0: magic first", CAP,
	    {F(magic, 0), F(version, 0)}, 0, -SHMCAT_ENOTRING},

	{"version 0", CAP, {F(version, 0)}, 0, -SHMCAT_EVERSION},
	{"version 1", CAP, {F(version, 1)}, 0, -SHMCAT_EVERSION},
	{"version 3", CAP, {F(version, SHMCAT_LAYOUT_VERSION + 1)}, 0,
	    -SHMCAT_EVERSION},
	{"sem_size 16", CAP, {F(sem_size, 16)}, 0, -SHMCAT_EVERSION},
	{"sem_size 0", CAP, {F(sem_size, 0)}, 0, -SHMCAT_EVERSION},
	{"reader_slot_size - 1", CAP,
	    {F(reader_slot_size, sizeof(struct reader_slot) - 1)}, 0,
	    -SHMCAT_EVERSION},
	{"reader_slot_size + 64", CAP,
	    {F(reader_slot_size, sizeof(struct reader_slot) + 64)}, 0,
	    -SHMCAT_EVERSION},
	{"writer_slot_size 0", CAP, {F(writer_slot_size, 0)}, 0,
	    -SHMCAT_EVERSION},
	{"writer_slot_size 128", CAP, {F(writer_slot_size, 128)}, 0,
	    -SHMCAT_EVERSION},
	{"shared_size 1", CAP, {F(shared_size, 1)}, 0, -SHMCAT_EVERSION},
	{"shared_size + 64", CAP,
	    {F(shared_size, sizeof(struct shared) + 64)}, 0, -SHMCAT_EVERSION},
	{"version wrong and capacity 0: version first", CAP,
	    {F(version, 1), F(capacity, 0)}, 0, -SHMCAT_EVERSION},

	{"header_size 4096", CAP, {F(header_size, 4096)}, 0, -SHMCAT_ECORRUPT},
	{"header_size 0", CAP, {F(header_size, 0)}, 0, -SHMCAT_ECORRUPT},
	{"header_size 2^32-1", CAP, {F(header_size, UINT32_MAX)}, 0,
	    -SHMCAT_ECORRUPT},
	{"capacity 0", 0, {{0, 0, 0}}, 0, -SHMCAT_ECORRUPT},
	{"capacity 1", 1, {{0, 0, 0}}, 0, -SHMCAT_ECORRUPT},
	{"capacity half a page", SHMCAT_PAGE / 2, {{0, 0, 0}}, 0,
	    -SHMCAT_ECORRUPT},
	{"capacity a page and a half", 3 * SHMCAT_PAGE / 2, {{0, 0, 0}}, 0,
	    -SHMCAT_ECORRUPT},
	{"capacity a page and a byte", SHMCAT_PAGE + 1, {{0, 0, 0}}, 0,
	    -SHMCAT_ECORRUPT},
	{"capacity larger than the object", CAP, {F(capacity, 2 * CAP)}, OBJ,
	    -SHMCAT_ECORRUPT},
	{"capacity larger than the object, object_size agreeing", CAP,
	    {F(capacity, 2 * CAP), F(object_size, SHMCAT_HDR_SIZE + 2 * CAP)},
	    OBJ, -SHMCAT_ECORRUPT},
	{"capacity smaller than the object", CAP, {F(capacity, CAP / 2)}, OBJ,
	    -SHMCAT_ECORRUPT},
	{"capacity 2^63", CAP, {F(capacity, UINT64_C(1) << 63)}, OBJ,
	    -SHMCAT_ECORRUPT},
	{"capacity 2^64 - a page", CAP,
	    {F(capacity, UINT64_MAX - SHMCAT_PAGE + 1)}, OBJ, -SHMCAT_ECORRUPT},
	{"object_size a page more than the object", CAP,
	    {F(object_size, OBJ + SHMCAT_PAGE)}, OBJ, -SHMCAT_ECORRUPT},
	{"object_size a page less than the object", CAP,
	    {F(object_size, OBJ - SHMCAT_PAGE)}, OBJ, -SHMCAT_ECORRUPT},
	{"object a page larger than the header says", CAP, {{0, 0, 0}},
	    OBJ + SHMCAT_PAGE, -SHMCAT_ECORRUPT},
	{"object a page smaller than the header says", CAP, {{0, 0, 0}},
	    OBJ - SHMCAT_PAGE, -SHMCAT_ECORRUPT},
	{"object_size 0", CAP, {F(object_size, 0)}, OBJ, -SHMCAT_ECORRUPT},
	{"max_readers 0", CAP, {F(max_readers, 0)}, 0, -SHMCAT_ECORRUPT},
	{"max_readers - 1", CAP, {F(max_readers, SHMCAT_MAX_READERS - 1)}, 0,
	    -SHMCAT_ECORRUPT},
	{"max_readers + 1", CAP, {F(max_readers, SHMCAT_MAX_READERS + 1)}, 0,
	    -SHMCAT_ECORRUPT},
	{"max_readers 2^32-1", CAP, {F(max_readers, UINT32_MAX)}, 0,
	    -SHMCAT_ECORRUPT},
	{"max_writers 0", CAP, {F(max_writers, 0)}, 0, -SHMCAT_ECORRUPT},
	{"max_writers - 1", CAP, {F(max_writers, SHMCAT_MAX_WRITERS - 1)}, 0,
	    -SHMCAT_ECORRUPT},
	{"max_writers + 1", CAP, {F(max_writers, SHMCAT_MAX_WRITERS + 1)}, 0,
	    -SHMCAT_ECORRUPT},
};

static void
set_field(const struct field *f)
{
	unsigned char *p = (unsigned char *)&sh + f->off;

	/* little-endian, as shmcat(7) lays the header out */
	for (size_t i = 0; i < f->width; i++)
		p[i] = (unsigned char)(f->value >> (8 * i));
}

static void
test_bad(void)
{
	const struct bad_case *c;
	uint64_t size;
	size_t i;
	int rc;

	for (i = 0; i < LEN(cases); i++) {
		c = &cases[i];
		good_header(c->cap);
		set_field(&c->f[0]);
		set_field(&c->f[1]);
		size = c->object_size ? c->object_size : SHMCAT_HDR_SIZE + c->cap;
		rc = check_header(&sh, size, SHMCAT_PAGE);
		CHECK_MSG(rc == c->want, "%s: %d (%s), expected %d (%s)", c->what,
		    rc, shmcat_strerror(rc), c->want, shmcat_strerror(c->want));
	}
}

/*
 * An object too small for a header and a page: check_header alone would
 * take the capacity that wraps object_size - header_size around, so the
 * caller must refuse it first.  Through shmcat_open, as a reader.
 */
static void
test_small_object(void)
{
	struct shmcat_opts o = {.role = SHMCAT_READER};
	struct shmcat_ring *r = NULL;
	struct shmcat_error err;
	char ring[64], obj[80];
	int fd;

	snprintf(ring, sizeof(ring), "unit-%ld-small", (long)getpid());
	snprintf(obj, sizeof(obj), "/" SHMCAT_PREFIX "%s", ring);
	fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	good_header(UINT64_MAX - SHMCAT_PAGE + 1);
	sh.object_size = SHMCAT_PAGE;
	CHECK_EQ(write(fd, &sh, SHMCAT_PAGE), SHMCAT_PAGE);
	CHECK_EQ(shmcat_open(ring, &o, &r, &err), -SHMCAT_ENOTRING);
	CHECK(r == NULL);
	/* one page short of a ring of one page */
	CHECK_EQ(ftruncate(fd, SHMCAT_HDR_SIZE), 0);
	CHECK_EQ(shmcat_open(ring, &o, &r, &err), -SHMCAT_ENOTRING);
	close(fd);
	CHECK_EQ(shm_unlink(obj), 0);
}

int
main(void)
{
	test_good();
	test_bad();
	test_small_object();
	return unit_done("test_header");
}
