/*
 * hostile.c - scribble on a ring's shared header, as a buggy or hostile
 * process could, for tests/35-hostile.bats.
 *
 *	hostile RING FIELD		print the field's current value (hex
 *					bytes for sem, mutex and nameN)
 *	hostile RING FIELD VALUE	store VALUE into it
 *	hostile -r SECS RING FIELD VALUE
 *					keep rewriting it for SECS seconds:
 *					VALUE, then what was there before,
 *					then VALUE again, every few tens of
 *					microseconds (a peer racing the
 *					processes that validate the field)
 *
 * VALUE is a number (strtoull, base 0: 0x.. works), or tail[+-]N for a
 * position relative to the current tail.  FIELD is one of
 *
 *	magic version header_size capacity object_size max_readers
 *	record_mode tail reserve_end floor writer_events stream_flags
 *	writer_pid writer_waiting readers_waiting
 *	writer_cpu			the spinning hint (any value is valid)
 *	posN cpuN kindN pidN nameN	reader slot N (0..15); nameN fills
 *					all 32 bytes with VALUE's low byte
 *	sem				every semaphore (space, wakeN): each
 *					byte set to VALUE's low byte
 *	sem_space sem_wakeN		one semaphore, likewise
 *	sem_private			every semaphore: count and waiters 0,
 *					glibc's private/shared word := VALUE
 *					(the futex flags glibc passes on)
 *	sem_commit			commit_wake, likewise
 *	commit				commit_waiting and commit_wake: every
 *					byte := VALUE's low byte
 *	feat_compat feat_ro_compat feat_incompat	the feature bits
 *	created_sec creator_pid writer_sleeps commit_waiting
 *	sem_size reader_slot_size writer_slot_size shared_size
 *	sleepsN skippedN		reader slot N's counters
 *	wbusyN wpidN wbytesN		writer slot N (0..15)
 *	lockN				(with -r only) hold an exclusive OFD
 *					lock on byte N of the object for SECS
 *					seconds, as a peer holding a role or
 *					the commit lock would
 *	rlockN				(with -r only) the same, shared: a
 *					peer still attached to the ring
 *
 * It maps the object itself (MAP_SHARED, no locks, no checks) and knows
 * the layout only from src/lib/shmcat_int.h.  Build:
 *	make build/hostile
 * Exit 0 on success, 2 on bad usage or a missing ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmcat_int.h"

static struct shared *sh;

static void __attribute__((noreturn))
usage(const char *why)
{
	fprintf(stderr, "hostile: %s\nusage: hostile RING FIELD [VALUE]\n", why);
	exit(2);
}

static uint64_t
parse_value(const char *s)
{
	uint64_t v, base = 0;
	char *end;
	int neg = 0;

	if (strncmp(s, "tail", 4) == 0) {
		base = atomic_load(&sh->tail);
		s += 4;
		if (*s == '\0')
			return base;
		if (*s != '+' && *s != '-')
			usage("bad relative value");
		neg = *s++ == '-';
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end != '\0')
		usage("bad value");
	return neg ? base - v : base + v;
}

/* Slot number at the end of a field name like "pos12", or -1. */
static int
slot_of(const char *field, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long i;

	if (strncmp(field, prefix, n) != 0 || field[n] == '\0')
		return -1;
	i = strtol(field + n, &end, 10);
	if (*end != '\0' || i < 0 || i >= SHMCAT_MAX_READERS)
		usage("slot out of range (0..15)");
	return (int)i;
}

#define U64(f) {#f, offsetof(struct shared, f), 8}
#define U32(f) {#f, offsetof(struct shared, f), 4}
#define U16(f) {#f, offsetof(struct shared, f), 2}

static const struct {
	const char *name;
	size_t off, size;
} fields[] = {
	U64(magic), U32(version), U32(header_size), U64(capacity),
	U64(object_size), U32(max_readers), U32(max_writers),
	U32(record_mode), U64(tail), U64(reserve_end), U64(floor),
	U64(writer_events), U32(stream_flags), U32(writer_pid),
	U32(writer_waiting), U32(readers_waiting), U64(created_sec),
	U32(creator_pid), U64(writer_sleeps), U32(commit_waiting),
	U16(sem_size), U16(reader_slot_size), U16(writer_slot_size),
	U16(shared_size), U32(writer_cpu), U32(feat_compat),
	U32(feat_ro_compat), U32(feat_incompat),
};

/* Print or store an integer field of size 4 or 8 at p. */
static void
scalar(void *p, size_t size, const char *val)
{
	uint64_t v;

	if (val == NULL) {
		v = size == 8 ? atomic_load((_Atomic uint64_t *)p) :
		    size == 4 ? atomic_load((_Atomic uint32_t *)p) :
		    atomic_load((_Atomic uint16_t *)p);
		printf("%" PRIu64 "\n", v);
		return;
	}
	v = parse_value(val);
	if (size == 8)
		atomic_store((_Atomic uint64_t *)p, v);
	else if (size == 4)
		atomic_store((_Atomic uint32_t *)p, (uint32_t)v);
	else
		atomic_store((_Atomic uint16_t *)p, (uint16_t)v);
}

/* Set every byte of p[0..size) to VALUE's low byte. */
static void
fill(void *p, size_t size, const char *val)
{
	size_t i;

	if (val == NULL) {
		for (i = 0; i < size; i++)
			printf("%02x", ((unsigned char *)p)[i]);
		putchar('\n');
		return;
	}
	memset(p, (int)(parse_value(val) & 0xff), size);
}

/* glibc's sem_t on 64-bit: a 64-bit count|waiters<<32 word, then an int
 * that it turns into the futex operation's flags. */
static void
sem_private(sem_t *sem, const char *val)
{
	struct {
		_Atomic uint64_t data;
		_Atomic int private;
	} *g = (void *)sem;

	if (val == NULL) {
		printf("%" PRIu64 " %d\n", atomic_load(&g->data),
		    atomic_load(&g->private));
		return;
	}
	atomic_store(&g->data, 0);
	atomic_store(&g->private, (int)parse_value(val));
}

static void
scribble(const char *field, const char *val)
{
	struct reader_slot *s;
	size_t i;
	int n;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(field, fields[i].name) == 0) {
			scalar((char *)sh + fields[i].off, fields[i].size, val);
			return;
		}
	if ((n = slot_of(field, "pos")) >= 0) {
		scalar(&sh->readers[n].pos, 8, val);
	} else if ((n = slot_of(field, "cpu")) >= 0) {
		scalar(&sh->readers[n].cpu, 4, val);
	} else if ((n = slot_of(field, "kind")) >= 0) {
		scalar(&sh->readers[n].kind, 4, val);
	} else if ((n = slot_of(field, "pid")) >= 0) {
		scalar(&sh->readers[n].pid, 4, val);
	} else if ((n = slot_of(field, "sleeps")) >= 0) {
		scalar(&sh->readers[n].sleeps, 8, val);
	} else if ((n = slot_of(field, "skipped")) >= 0) {
		scalar(&sh->readers[n].skipped, 8, val);
	} else if ((n = slot_of(field, "wbusy")) >= 0) {
		scalar(&sh->writers[n].busy, 4, val);
	} else if ((n = slot_of(field, "wpid")) >= 0) {
		scalar(&sh->writers[n].pid, 4, val);
	} else if ((n = slot_of(field, "wbytes")) >= 0) {
		scalar(&sh->writers[n].bytes, 8, val);
	} else if ((n = slot_of(field, "name")) >= 0) {
		s = &sh->readers[n];
		if (val == NULL)
			printf("%.*s\n", (int)sizeof(s->name), s->name);
		else
			fill(s->name, sizeof(s->name), val);
	} else if ((n = slot_of(field, "sem_wake")) >= 0) {
		fill(&sh->readers[n].wake, sizeof(sem_t), val);
	} else if (strcmp(field, "sem_space") == 0) {
		fill(&sh->space, sizeof(sem_t), val);
	} else if (strcmp(field, "sem_commit") == 0) {
		fill(&sh->commit_wake, sizeof(sem_t), val);
	} else if (strcmp(field, "commit") == 0) {
		fill(&sh->commit_waiting, offsetof(struct shared, commit_wake) +
		    sizeof(sem_t) - offsetof(struct shared, commit_waiting), val);
	} else if (strcmp(field, "sem_private") == 0) {
		sem_private(&sh->space, val);
		sem_private(&sh->commit_wake, val);
		for (n = 0; n < SHMCAT_MAX_READERS; n++)
			sem_private(&sh->readers[n].wake, val);
	} else if (strcmp(field, "sem") == 0) {
		fill(&sh->space, sizeof(sem_t), val);
		fill(&sh->commit_wake, sizeof(sem_t), val);
		for (n = 0; n < SHMCAT_MAX_READERS; n++)
			fill(&sh->readers[n].wake, sizeof(sem_t), val);
	} else {
		usage("unknown field");
	}
}

/*
 * -r: the bytes the one-shot scribble changed, as 32-bit words (every
 * field is 4-byte aligned; an 8-byte one is then written in two halves,
 * so a reader may also see it torn).  Alternate the new and the old
 * contents until the deadline.
 */
static void
keep_rewriting(const char *field, const char *val, double secs)
{
	static uint32_t before[SHMCAT_HDR_SIZE / 4], after[SHMCAT_HDR_SIZE / 4];
	_Atomic uint32_t *w = (_Atomic uint32_t *)(void *)sh;
	struct timespec pause = {0, 20000}, now, end;
	size_t i, n = 0, idx[SHMCAT_HDR_SIZE / 4];

	for (i = 0; i < SHMCAT_HDR_SIZE / 4; i++)
		before[i] = atomic_load_explicit(&w[i], memory_order_relaxed);
	scribble(field, val);
	for (i = 0; i < SHMCAT_HDR_SIZE / 4; i++) {
		after[i] = atomic_load_explicit(&w[i], memory_order_relaxed);
		if (after[i] != before[i])
			idx[n++] = i;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)secs;
	end.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	for (;;) {
		for (i = 0; i < n; i++)
			atomic_store(&w[idx[i]], before[idx[i]]);
		nanosleep(&pause, NULL);
		for (i = 0; i < n; i++)
			atomic_store(&w[idx[i]], after[idx[i]]);
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec &&
		    now.tv_nsec >= end.tv_nsec))
			break;
	}
}

/* Hold an OFD lock on one byte of the object for secs. */
static void
hold_lock(int fd, const char *byte, int exclusive, double secs)
{
	struct flock fl;
	struct timespec ts;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = strtol(byte, NULL, 10);
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		fprintf(stderr, "hostile: lock byte %s: %s\n", byte,
		    strerror(errno));
		exit(2);
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	char path[SHMCAT_NAME_MAX + 64];
	struct stat st;
	double secs = -1;
	int fd;

	if (argc > 2 && strcmp(argv[1], "-r") == 0) {
		secs = strtod(argv[2], NULL);
		if (!(secs > 0 && secs < 3600))
			usage("bad -r seconds");
		argc -= 2;
		argv += 2;
		if (argc != 4)
			usage("-r needs a value");
	}
	if (argc < 3 || argc > 4)
		usage("wrong number of arguments");
	snprintf(path, sizeof(path), SHMCAT_SHM_DIR "/" SHMCAT_PREFIX "%s",
	    argv[1]);
	if ((fd = open(path, O_RDWR)) < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "hostile: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if ((size_t)st.st_size < SHMCAT_HDR_SIZE) {
		fprintf(stderr, "hostile: %s: smaller than a header\n", path);
		return 2;
	}
	sh = mmap(NULL, SHMCAT_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "hostile: mmap: %s\n", strerror(errno));
		return 2;
	}
	if (secs > 0 && strncmp(argv[2], "lock", 4) == 0)
		hold_lock(fd, argv[2] + 4, 1, secs);
	else if (secs > 0 && strncmp(argv[2], "rlock", 5) == 0)
		hold_lock(fd, argv[2] + 5, 0, secs);
	else if (secs > 0)
		keep_rewriting(argv[2], argv[3], secs);
	else
		scribble(argv[2], argc == 4 ? argv[3] : NULL);
	munmap(sh, SHMCAT_HDR_SIZE);
	close(fd);
	return 0;
}
