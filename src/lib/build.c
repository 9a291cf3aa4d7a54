/*
 * build.c - building a ring, and the build files its creators leave.
 *
 * A new ring is built under a private name ("shmcat.<name>~<pid>.<nonce>",
 * which no valid ring name can collide with), sized, backed with
 * posix_fallocate (so a full /dev/shm fails here, not as SIGBUS later),
 * initialised, and only then published with link(2).  link fails with
 * EEXIST if someone else published first, so two sides starting at once
 * never both initialise, and nobody ever sees a half-built header.
 *
 * A creator holds LOCK_ATTACH on its build file from the moment it
 * exists.  One killed while building (during posix_fallocate, say)
 * leaves the file behind, fully allocated: a build file whose lock is
 * free and whose pid is gone is abandoned.  The next create of the name
 * sweeps those, `shmcat list` shows them and `shmcat rm NAME~PID.NONCE`
 * removes them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmcat_int.h"

/* The pid of a build file name "NAME~PID.NONCE" (or the older
 * "NAME~PID") of a valid ring name, or 0. */
long
build_pid(const char *name, size_t *name_len)
{
	const char *t = strrchr(name, '~');
	char ring[SHMCAT_NAME_MAX + 1], *end;
	long pid;

	if (t == NULL || t == name || (size_t)(t - name) > SHMCAT_NAME_MAX ||
	    t[1] < '1' || t[1] > '9')
		return 0;
	memcpy(ring, name, t - name);
	ring[t - name] = '\0';
	pid = strtol(t + 1, &end, 10);
	if (*end == '.' && end[1] != '\0' &&
	    strspn(end + 1, "0123456789abcdef") == strlen(end + 1))
		end += strlen(end);
	if (*end != '\0' || pid <= 0 || pid > INT32_MAX ||
	    !shmcat_valid_name(ring))
		return 0;
	if (name_len)
		*name_len = t - name;
	return pid;
}

/* 1 if the build file (a name under /dev/shm) was left by a creator that
 * died: nobody holds its lock, and its pid is gone or it is older than
 * BUILD_GRACE_S.  A creator locks it right after making it; the pid (or,
 * where the pid is another namespace's, the age) covers the moment in
 * between. */
#define BUILD_GRACE_S 10
static int
build_abandoned(const char *file, long pid)
{
	char obj[SHMCAT_NAME_MAX + 64];
	struct stat st;
	int fd, rc, old;

	snprintf(obj, sizeof(obj), "/%s", file);
	fd = fd_above_stdio(shm_open(obj, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0));
	if (fd < 0)
		return 0;
	old = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime + BUILD_GRACE_S < time(NULL);
	rc = (old || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) &&
	    lock_try(fd, LOCK_ATTACH, 1) == 0;
	close(fd);
	return rc;
}

/* Call fn for each abandoned build file, with its name (NAME~PID.NONCE).  With
 * ring set, only those of that ring. */
int
each_abandoned(const char *ring, int (*fn)(const char *, void *), void *ctx)
{
	const size_t plen = strlen(SHMCAT_PREFIX);
	struct dirent *de;
	size_t len;
	long pid;
	DIR *d;
	int rc = 0;

	if ((d = opendir(SHMCAT_SHM_DIR)) == NULL)
		return -errno;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SHMCAT_PREFIX, plen) != 0 ||
		    (pid = build_pid(de->d_name + plen, &len)) == 0)
			continue;
		if (ring && (strlen(ring) != len ||
		    strncmp(ring, de->d_name + plen, len) != 0))
			continue;
		if (build_abandoned(de->d_name, pid))
			rc = fn(de->d_name + plen, ctx);
	}
	closedir(d);
	return rc;
}

static int
sweep_one(const char *name, void *ctx)
{
	struct shmcat_ring *r = ctx;
	char obj[SHMCAT_NAME_MAX + 64];
	int rc;

	snprintf(obj, sizeof(obj), "/" SHMCAT_PREFIX "%s", name);
	rc = shm_unlink(obj) == 0 ? 0 : errno; /* not inside LOG: it may
						  not evaluate its arguments */
	LOG(r, "shm_unlink %s: left by a creator that died: %s", obj,
	    rc == 0 ? "removed" : strerror(rc));
	return 0;
}

/* Build the ring under a private name and publish it.  -EEXIST: lost the
 * race to another creator; attach to theirs instead. */
int
create_ring(struct shmcat_ring *r, mode_t mode, struct shmcat_error *err)
{
	char tmp[SHMCAT_NAME_MAX + 64], path[SHMCAT_PATH_MAX + 64];
	char final[SHMCAT_PATH_MAX];
	off_t size = SHMCAT_HDR_SIZE + r->cap;
	int rc;

	/* The pid alone is not unique: in containers every side may be
	 * pid 1, and a creator killed here leaves its name behind.  The
	 * nonce makes each try a new name; EEXIST just means try again. */
	snprintf(tmp, sizeof(tmp), "/" SHMCAT_PREFIX "%s~%ld.%lx", r->name,
	    (long)getpid(), (unsigned long)now_ns());
	r->fd = shm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	LOG(r, "shm_open %s O_CREAT|O_EXCL mode %04o: %s", tmp,
	    (unsigned)mode, r->fd < 0 ? strerror(errno) : "ok");
	if (r->fd < 0)
		return fail(err, "shm_open", -errno);
	if ((r->fd = fd_above_stdio(r->fd)) < 0) {
		rc = fail(err, "fcntl", -errno);
		goto out;
	}
	/* Ours while we live (see the top of this file). */
	if ((rc = lock_try(r->fd, LOCK_ATTACH, 0)) != 0) {
		fail(err, "fcntl", rc);
		goto out;
	}
	each_abandoned(r->name, sweep_one, r);
	if ((rc = size_allowed(size)) != 0) {
		fail(err, "ftruncate", rc);
		goto out;
	}
	if (ftruncate(r->fd, size) != 0) {
		rc = fail(err, "ftruncate", -errno);
		goto out;
	}
	LOG(r, "ftruncate %lld", (long long)size);
	if ((rc = posix_fallocate(r->fd, 0, size)) != 0) {
		rc = fail(err, "posix_fallocate", -rc);
		goto out;
	}
	LOG(r, "posix_fallocate %lld: backed", (long long)size);
	if ((rc = map_ring(r)) != 0) {
		fail(err, "mmap", rc);
		goto out;
	}
	if ((rc = init_header(r)) != 0) {
		fail(err, "sem_init", rc);
		goto out;
	}
	shmcat_path(r->name, final, sizeof(final));
	snprintf(path, sizeof(path), SHMCAT_SHM_DIR "%s", tmp);
	rc = link(path, final) == 0 ? 0 : -errno;
	LOG(r, "link %s -> %s: %s", path, final, rc ? strerror(-rc) : "published");
	if (rc != 0 && rc != -EEXIST)
		fail(err, "link", rc);
	r->created = rc == 0;
out:
	shm_unlink(tmp);
	return rc;
}

/* Remove an abandoned build file NAME~PID.NONCE (see the top of this
 * file). */
int
remove_build(const char *name, struct shmcat_error *err)
{
	char file[SHMCAT_NAME_MAX + 64];
	long pid = build_pid(name, NULL);
	struct stat st;

	snprintf(file, sizeof(file), SHMCAT_SHM_DIR "/" SHMCAT_PREFIX "%s", name);
	if (lstat(file, &st) != 0) /* ("no such ring", not "in use") */
		return fail(err, "shm_open", -errno);
	snprintf(file, sizeof(file), SHMCAT_PREFIX "%s", name);
	if (!build_abandoned(file, pid))
		return fail(err, "remove", -SHMCAT_EBUSY);
	snprintf(file, sizeof(file), "/" SHMCAT_PREFIX "%s", name);
	return shm_unlink(file) == 0 ? 0 : fail(err, "shm_unlink", -errno);
}
