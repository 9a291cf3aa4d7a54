/*
 * test_build.c - build files: a ring is built as NAME~PID.NONCE and
 * published by link(2); a creator that died leaves that file behind
 * (src/lib/shm.c).  Which names count as build files, when one counts as
 * abandoned, and what list, rm and the next create of the ring do with
 * it.  build_pid, which reads the names, is static: each_abandoned
 * (internal) and the public calls show what it accepts.  Every file here
 * is made in /dev/shm under this process's own names, and removed.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "shmcat_int.h"
#include "unit.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static char base[32];	 /* "unit-PID": the start of every ring name here */
static long dead;	 /* a pid no process has */
static char made[64][SHMCAT_NAME_MAX + 64]; /* files made, to remove */
static size_t nmade;
static int shm_dir = -1; /* the default directory, as the library holds one */

/* A pid no process has: above pid_max, so never reused under the test
 * (tests/test_helper.bash, dead_pid). */
static long
dead_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long max = 0;

	if (f == NULL || fscanf(f, "%ld", &max) != 1)
		max = 0;
	if (f)
		fclose(f);
	return max > 0 && kill((pid_t)(max + 1), 0) != 0 && errno == ESRCH ?
	    max + 1 : 0;
}

/* Make /dev/shm/shmcat.NAME (name printf-style); its descriptor. */
static int
make(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
make(const char *fmt, ...)
{
	char *name = made[nmade];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(made[0]), fmt, ap);
	va_end(ap);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK_MSG(fd >= 0, "shm_open %s: %s", name, strerror(errno));
	if (fd >= 0 && nmade + 1 < LEN(made))
		nmade++;
	return fd;
}

/* The names fn was called with, each between newlines. */
static char seen[65536];

static void
forget(void)
{
	strcpy(seen, "\n");
}

static int
note(const char *name, void *ctx)
{
	size_t n = strlen(seen);

	(void)ctx;
	snprintf(seen + n, sizeof(seen) - n, "%s\n", name);
	return 0;
}

static int
was_seen(const char *name)
{
	char line[SHMCAT_NAME_MAX + 64];

	snprintf(line, sizeof(line), "\n%s\n", name);
	return strstr(seen, line) != NULL;
}

/* Is the file shmcat.NAME an abandoned build file of the ring its name
 * starts with (up to its last '~')?  Other rings' files are not looked
 * at (each_abandoned locks the ones it checks for a moment). */
static int
abandoned(const char *name)
{
	char ring[SHMCAT_NAME_MAX + 64];
	const char *t = strrchr(name, '~');

	snprintf(ring, sizeof(ring), "%.*s", (int)(t ? t - name : 0), name);
	forget();
	CHECK_EQ(each_abandoned(shm_dir, ring, note, NULL), 0);
	return was_seen(name);
}

/* The forms of the name, each of a ring of its own, all with a dead pid. */
static void
test_names(void)
{
	static const char *const bad[] = {
		"%s-a~%ld.", "%s-b~%ld.ABC", "%s-c~%ld.12g", "%s-d~%ld.1.2",
		"%s-e~%ldx", "%s-f~%ld~", "%s-g~0%ld.1", "%s-h~-%ld.1",
		"%s-i~+%ld.1", "%s-j~ %ld.1", "%s-k~%ld .1", "%s-l~.%ld",
		".%s-m~%ld.1", "%s-n~x~%ld.1",
	};
	char name[SHMCAT_NAME_MAX + 64], ring[SHMCAT_NAME_MAX + 2];
	size_t i, n;

	/* What create_ring makes, and the older form without a nonce. */
	snprintf(name, sizeof(name), "%s-new~%ld.%lx", base, dead, ~0UL);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(abandoned(name), "%s not abandoned", name);
	snprintf(name, sizeof(name), "%s-old~%ld", base, dead);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(abandoned(name), "%s not abandoned", name);
	/* The longest ring name, and one byte more. */
	n = snprintf(ring, sizeof(ring), "%s-", base);
	memset(ring + n, 'L', SHMCAT_NAME_MAX - n);
	ring[SHMCAT_NAME_MAX] = '\0';
	snprintf(name, sizeof(name), "%s~%ld.1", ring, dead);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(abandoned(name), "the longest name not abandoned");
	strcat(ring, "L");
	snprintf(name, sizeof(name), "%s~%ld.1", ring, dead);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(!abandoned(name), "a ring name of %zu bytes taken",
	    strlen(ring));
	/* Not build files: never reported, whatever ring is asked for. */
	for (i = 0; i < LEN(bad); i++) {
		snprintf(name, sizeof(name), bad[i], base, dead);
		close(make(SHMCAT_PREFIX "%s", name));
		CHECK_MSG(!abandoned(name), "'%s' taken for a build file", name);
	}
	/* An empty ring name, and pids out of range. */
	snprintf(name, sizeof(name), "~%ld.%lx", dead, (unsigned long)getpid());
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(!abandoned(name), "'%s' taken", name);
	snprintf(name, sizeof(name), "%s-p~0.1", base);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(!abandoned(name), "'%s' taken", name);
	snprintf(name, sizeof(name), "%s-q~2147483648.1", base);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(!abandoned(name), "'%s' taken", name);
	snprintf(name, sizeof(name), "%s-r~99999999999999999999.1", base);
	close(make(SHMCAT_PREFIX "%s", name));
	CHECK_MSG(!abandoned(name), "'%s' taken", name);
}

/* Abandoned means: nobody holds its lock, and its pid is gone or it is
 * older than the grace of a creator between making and locking it. */
static void
test_liveness(void)
{
	const struct timespec old[2] = {{.tv_sec = time(NULL) - 60},
	    {.tv_sec = time(NULL) - 60}}; /* atime, mtime */
	char ring[64], name[128];
	int fd;

	snprintf(ring, sizeof(ring), "%s-live", base);
	/* a creator alive, a moment before its lock */
	snprintf(name, sizeof(name), "%s~%ld.1", ring, (long)getpid());
	fd = make(SHMCAT_PREFIX "%s", name);
	CHECK_MSG(!abandoned(name), "a live creator's file taken");
	/* a live creator of another pid namespace: only the age tells */
	CHECK_EQ(futimens(fd, old), 0);
	CHECK_MSG(abandoned(name), "an old unlocked file not taken");
	/* the lock says a creator lives, whatever its pid or age */
	CHECK_EQ(lock_try(fd, LOCK_ATTACH, 0), 0);
	CHECK_MSG(!abandoned(name), "a locked old file taken");
	close(fd);
	snprintf(name, sizeof(name), "%s~%ld.2", ring, dead);
	fd = make(SHMCAT_PREFIX "%s", name);
	CHECK_EQ(lock_try(fd, LOCK_ATTACH, 0), 0);
	CHECK_MSG(!abandoned(name), "a locked file of a dead pid taken");
	close(fd); /* the lock goes with it */
	CHECK_MSG(abandoned(name), "a dead pid's unlocked file not taken");
}

static int
stop(const char *name, void *ctx)
{
	(void)name;
	++*(int *)ctx;
	return 7;
}

/* One ring's build files only, not those of a ring named longer. */
static void
test_filter(void)
{
	char ring[64], mine[128], other[128], want[136];
	int calls = 0;

	snprintf(ring, sizeof(ring), "%s-f", base);
	snprintf(mine, sizeof(mine), "%s~%ld.1", ring, dead);
	snprintf(other, sizeof(other), "%sx~%ld.1", ring, dead);
	close(make(SHMCAT_PREFIX "%s", mine));
	close(make(SHMCAT_PREFIX "%s", other));
	forget();
	CHECK_EQ(each_abandoned(shm_dir, ring, note, NULL), 0);
	snprintf(want, sizeof(want), "\n%s\n", mine);
	CHECK_STR(seen, want, "the build files of the ring");
	/* fn's non-zero result ends the walk and is returned */
	CHECK_EQ(each_abandoned(shm_dir, ring, stop, &calls), 7);
	CHECK_EQ(calls, 1);
}

static int
listed(const char *name)
{
	forget();
	CHECK_EQ(shmcat_list(note, NULL), 0);
	return was_seen(name);
}

static int
exists(const char *name)
{
	char path[SHMCAT_NAME_MAX + 64];

	snprintf(path, sizeof(path), SHMCAT_DEFAULT_DIR "/" SHMCAT_PREFIX "%s",
	    name);
	return access(path, F_OK) == 0;
}

/* What users see: shmcat list names an abandoned file, shmcat rm takes
 * it but no live creator's, and the next create of the ring sweeps it. */
static void
test_public(void)
{
	struct shmcat_opts o = {.role = SHMCAT_WRITER, .size = 4096};
	struct shmcat_ring *w = NULL;
	struct shmcat_error err;
	char ring[64], gone[128], live[128], other[128];
	int fd;

	snprintf(ring, sizeof(ring), "%s-pub", base);
	snprintf(gone, sizeof(gone), "%s~%ld.a1", ring, dead);
	snprintf(live, sizeof(live), "%s~%ld.b2", ring, (long)getpid());
	snprintf(other, sizeof(other), "%s2~%ld.c3", ring, dead);
	close(make(SHMCAT_PREFIX "%s", gone));
	fd = make(SHMCAT_PREFIX "%s", live);
	close(make(SHMCAT_PREFIX "%s", other));
	CHECK_MSG(listed(gone), "shmcat_list: no %s", gone);
	CHECK_MSG(!listed(live), "shmcat_list: %s", live);
	CHECK_EQ(shmcat_remove(live, 0, &err), -SHMCAT_EBUSY);
	CHECK(exists(live));
	CHECK_EQ(shmcat_remove(gone, 0, &err), 0);
	CHECK(!exists(gone));
	CHECK_EQ(shmcat_remove(gone, 0, &err), -ENOENT);
	close(make(SHMCAT_PREFIX "%s", gone));
	CHECK_EQ(shmcat_open(ring, &o, &w, &err), 0);
	CHECK_MSG(!exists(gone), "creating %s left %s", ring, gone);
	CHECK_MSG(exists(live), "creating %s removed %s", ring, live);
	CHECK_MSG(exists(other), "creating %s removed %s", ring, other);
	if (w)
		shmcat_close(w, SHMCAT_ABANDON);
	CHECK_EQ(shmcat_remove(ring, 0, &err), 0);
	close(fd);
}

/* Nothing of ours left in /dev/shm. */
static void
remove_made(void)
{
	size_t i;

	for (i = 0; i < nmade; i++)
		if (shm_unlink(made[i]) != 0 && errno != ENOENT)
			CHECK_MSG(0, "shm_unlink %s: %s", made[i], strerror(errno));
}

int
main(void)
{
	snprintf(base, sizeof(base), "unit-%ld", (long)getpid());
	shm_dir = open(SHMCAT_DEFAULT_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(shm_dir >= 0);
	dead = dead_pid();
	CHECK(dead > 0);
	if (dead > 0) {
		test_names();
		test_liveness();
		test_filter();
		test_public();
	}
	remove_made();
	return unit_done("test_build");
}
