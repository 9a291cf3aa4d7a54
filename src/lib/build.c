/*
 * build.c - building a ring, and the build files its creators leave.
 *
 * A new ring is built under a private name ("shmcat.<name>~<pid>.<nonce>",
 * which no valid ring name can collide with), sized, backed with
 * posix_fallocate (so a full filesystem fails here, not as SIGBUS later),
 * initialised, and only then published with linkat(2), which fails with
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

/* 1 if the build file (a name in the directory dirfd) was left by a
 * creator that died: nobody holds its lock, and its pid is gone or it is
 * older than BUILD_GRACE_S.  A creator locks it right after making it;
 * the pid (or, where the pid is another namespace's, the age) covers the
 * moment in between. */
#define BUILD_GRACE_S 10
static int
build_abandoned(int dirfd, const char *file, long pid)
{
	struct stat st;
	int fd, rc, old;

	fd = fd_above_stdio(openat(dirfd, file, O_RDWR | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK));
	if (fd < 0)
		return 0;
	old = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime + BUILD_GRACE_S < time(NULL);
	rc = (old || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) &&
	    lock_try(fd, LOCK_ATTACH, 1) == 0;
	close(fd);
	return rc;
}

/* Call fn for each abandoned build file in dirfd, with its name
 * (NAME~PID.NONCE).  With ring set, only those of that ring. */
int
each_abandoned(int dirfd, const char *ring, int (*fn)(const char *, void *),
    void *ctx)
{
	const size_t plen = strlen(SHMCAT_PREFIX);
	struct dirent *de;
	size_t len;
	long pid;
	DIR *d;
	int rc = 0;

	if ((d = dir_stream(dirfd)) == NULL)
		return -errno;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SHMCAT_PREFIX, plen) != 0 ||
		    (pid = build_pid(de->d_name + plen, &len)) == 0)
			continue;
		if (ring && (strlen(ring) != len ||
		    strncmp(ring, de->d_name + plen, len) != 0))
			continue;
		if (build_abandoned(dirfd, de->d_name, pid))
			rc = fn(de->d_name + plen, ctx);
	}
	closedir(d);
	return rc;
}

static int
sweep_one(const char *name, void *ctx)
{
	struct shmcat_ring *r = ctx;
	char file[SHMCAT_NAME_MAX + 64];
	int rc;

	snprintf(file, sizeof(file), SHMCAT_PREFIX "%s", name);
	/* not inside LOG: it may not evaluate its arguments */
	rc = unlinkat(r->dir.fd, file, 0) == 0 ? 0 : errno;
	LOG(r, "unlinkat %s: left by a creator that died: %s", file,
	    rc == 0 ? "removed" : strerror(rc));
	return 0;
}

/* Size the new object and back it with memory (or fail here rather than
 * with SIGBUS later), map it and fill in its header. */
static int
build_object(struct shmcat_ring *r, struct shmcat_error *err)
{
	off_t size = r->hdr + r->cap;
	int rc;

	if ((rc = size_allowed(size)) != 0)
		return fail(err, "ftruncate", rc);
	while ((rc = ftruncate(r->fd, size)) != 0 &&
	    again_after_eintr(r->interrupt))
		;
	if (rc != 0)
		return fail(err, "ftruncate", -errno);
	LOG(r, "ftruncate %lld", (long long)size);
	/* posix_fallocate returns the error; EINTR: a signal came, and the
	 * caller's flag says whether to act on it or go on backing. */
	while ((rc = posix_fallocate(r->fd, 0, size)) == EINTR &&
	    !(r->interrupt && *r->interrupt))
		;
	if (rc != 0)
		return fail(err, "posix_fallocate", -rc);
	LOG(r, "posix_fallocate %lld: backed", (long long)size);
	if ((rc = map_ring(r)) != 0)
		return fail(err, "mmap", rc);
	if ((rc = init_header(r)) != 0)
		return fail(err, "sem_init", rc);
	return 0;
}

/* Build the ring under a private name and publish it.  -EEXIST: lost the
 * race to another creator; attach to theirs instead. */
int
create_ring(struct shmcat_ring *r, mode_t mode, struct shmcat_error *err)
{
	char tmp[SHMCAT_NAME_MAX + 64], final[SHMCAT_NAME_MAX + 16];
	int rc;

	/* The pid alone is not unique: in containers every side may be
	 * pid 1, and a creator killed here leaves its name behind.  The
	 * nonce makes each try a new name; EEXIST just means try again. */
	snprintf(tmp, sizeof(tmp), SHMCAT_PREFIX "%s~%ld.%lx", r->name,
	    (long)getpid(), (unsigned long)now_ns());
	r->page = r->dir.page;
	r->hdr = header_size_for(r->page);
	do
		r->fd = openat(r->dir.fd, tmp, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, mode);
	while (r->fd < 0 && again_after_eintr(r->interrupt));
	LOG(r, "openat %s/%s O_CREAT|O_EXCL mode %04o: %s", r->dir.path, tmp,
	    (unsigned)mode, r->fd < 0 ? strerror(errno) : "ok");
	if (r->fd < 0)
		return fail(err, "openat", -errno);
	if ((r->fd = fd_above_stdio(r->fd)) < 0) {
		rc = fail(err, "fcntl", -errno);
		goto out;
	}
	/* Ours while we live (see the top of this file). */
	if ((rc = lock_try(r->fd, LOCK_ATTACH, 0)) != 0) {
		fail(err, "fcntl", rc);
		goto out;
	}
	each_abandoned(r->dir.fd, r->name, sweep_one, r);
	if ((rc = build_object(r, err)) != 0)
		goto out;
	ring_file(r->name, final, sizeof(final));
	rc = linkat(r->dir.fd, tmp, r->dir.fd, final, 0) == 0 ? 0 : -errno;
	LOG(r, "linkat %s -> %s: %s", tmp, final,
	    rc ? strerror(-rc) : "published");
	if (rc != 0 && rc != -EEXIST)
		fail(err, "linkat", rc);
	r->created = rc == 0;
out:
	unlinkat(r->dir.fd, tmp, 0);
	return rc;
}

/* Remove an abandoned build file NAME~PID.NONCE from dirfd (see the top
 * of this file). */
int
remove_build(int dirfd, const char *name, struct shmcat_error *err)
{
	char file[SHMCAT_NAME_MAX + 64];
	long pid = build_pid(name, NULL);
	struct stat st;

	snprintf(file, sizeof(file), SHMCAT_PREFIX "%s", name);
	/* ("no such ring", not "in use") */
	if (fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return fail(err, "open", -errno);
	if (!build_abandoned(dirfd, file, pid))
		return fail(err, "remove", -SHMCAT_EBUSY);
	return unlinkat(dirfd, file, 0) == 0 ? 0 : fail(err, "unlinkat", -errno);
}
