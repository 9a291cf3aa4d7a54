/*
 * replace.c - letting go of a name: unlinking our object when the ring
 * is done, replacing a bad one (--force), removing what is no ring
 * (rm -f).
 *
 * A name is unlinked only while its object is ours alone (LOCK_ATTACH
 * held exclusively, so nobody is attached), and only if the name still
 * leads to the object we judged: another process may have published a
 * ring there since we looked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmcat_int.h"

/* 1 if the ring's name in dirfd leads to the object open on fd, 0 if
 * not, or -errno. */
static int
name_leads_to(int dirfd, const char *name, int fd)
{
	char file[SHMCAT_NAME_MAX + 16];
	struct stat a, b;
	int rc;

	if ((rc = ring_file(name, file, sizeof(file))) != 0)
		return rc;
	if (fstat(fd, &a) != 0)
		return -errno;
	if (fstatat(dirfd, file, &b, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* 1 if the name still leads to the object we hold, 0 if not, or -errno. */
int
still_published(struct shmcat_ring *r)
{
	return name_leads_to(r->dir.fd, r->name, r->fd);
}

/* Unlink the name if it still leads to our object.  Callers hold
 * LOCK_ATTACH exclusively, so nobody else can be using it. */
int
unlink_if_same(struct shmcat_ring *r)
{
	char file[SHMCAT_NAME_MAX + 16];
	int rc = still_published(r);

	if (rc <= 0)
		return rc;
	ring_file(r->name, file, sizeof(file));
	while ((rc = unlinkat(r->dir.fd, file, 0) == 0 ? 0 : -errno) == -EINTR)
		; /* a signal came: we are leaving anyway */
	LOG(r, "unlinkat %s/%s: %s", r->dir.path, file,
	    rc ? strerror(-rc) : "removed");
	return rc;
}

/* Remove what sits at a ring's name in dirfd and is not a regular file,
 * under --force: a FIFO, socket, device node or symlink (the link, never
 * its target) goes with unlinkat(2), an empty directory with
 * AT_REMOVEDIR; a full one stays (-ENOTEMPTY): its contents are nobody's
 * ring.  Another --force may have put a ring at the name since we
 * looked, so the object is first moved aside (renameat(2) is atomic)
 * and what moved is looked at again: a regular file goes back, -EAGAIN.
 * Aside, it bears a build file's name (NAME~PID.NONCE) in case we die
 * there. */
static int
remove_name(int dirfd, const char *name)
{
	char file[SHMCAT_NAME_MAX + 16], aside[SHMCAT_NAME_MAX + 64];
	struct stat st;
	int rc;

	if ((rc = ring_file(name, file, sizeof(file))) != 0)
		return rc;
	snprintf(aside, sizeof(aside), "%s~%ld.%llx", file, (long)getpid(),
	    (unsigned long long)now_ns());
	if (renameat(dirfd, file, dirfd, aside) != 0)
		return -errno;
	if (fstatat(dirfd, aside, &st, AT_SYMLINK_NOFOLLOW) != 0)
		rc = -errno;
	else if (S_ISREG(st.st_mode))
		rc = -EAGAIN;
	else
		rc = unlinkat(dirfd, aside, S_ISDIR(st.st_mode) ?
		    AT_REMOVEDIR : 0) == 0 ? 0 : -errno;
	/* Should the put-back fail (the name taken meanwhile), what stays
	 * aside has a build file's name: listed, swept by the next create
	 * once nobody holds it, removable with shmcat rm NAME~PID.NONCE. */
	if (rc != 0)
		(void)renameat2(dirfd, aside, dirfd, file, RENAME_NOREPLACE);
	return rc;
}

/* Remove a bad object under --force, so a fresh ring can take its name.
 * A regular file is ours alone from the check to the unlink: our share
 * of LOCK_ATTACH becomes exclusive (nobody attaches in between, and
 * anyone attached keeps it; a moment's holder, such as shmcat rm -f
 * removing it, is waited out) and only the object we judged is
 * unlinked, not one published at the name since.  0 when the name is
 * free or leads elsewhere now: the caller looks again. */
int
force_replace(struct shmcat_ring *r, int why)
{
	struct stat st;
	int rc;

	LOG(r, "--force: replacing " SHMCAT_PREFIX "%s (%s)", r->name,
	    shmcat_strerror(why));
	if (r->fd >= 0 && fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		rc = lock_wait(r, LOCK_ATTACH, 1, deadline_of(ATTACH_BUSY_MS));
		if (rc == -EAGAIN) {
			LOG(r, "--force: " SHMCAT_PREFIX "%s is in use; "
			    "not replacing it", r->name);
			return -SHMCAT_EBUSY;
		}
		if (rc == 0)
			rc = unlink_if_same(r);
	} else {
		rc = remove_name(r->dir.fd, r->name);
	}
	unmap_ring(r);
	return rc == -ENOENT || rc == -EAGAIN ? 0 : rc;
}

/* rm -f of something that is not a usable ring: never while a live
 * process holds it, and never a ring published at the name after we
 * looked (only a regular file can be one of our objects; it is opened,
 * locked exclusively and unlinked only if the name still leads to it). */
int
remove_forced(int dirfd, const char *name, struct shmcat_error *err)
{
	char file[SHMCAT_NAME_MAX + 16];
	struct stat st;
	int fd, rc;

	if ((rc = ring_file(name, file, sizeof(file))) != 0)
		return fail(err, "name", rc);
	if (fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return fail(err, "unlinkat", -errno);
	if (!S_ISREG(st.st_mode)) {
		rc = remove_name(dirfd, name);
		if (rc == -EAGAIN) /* a ring took the name meanwhile */
			return fail(err, "remove", -SHMCAT_EBUSY);
		return rc == 0 ? 0 : fail(err, "unlinkat", rc);
	}
	/* Ours alone from the check to the unlink, as in force_replace. */
	fd = fd_above_stdio(openat(dirfd, file, O_RDWR | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK));
	if (fd < 0 && errno == EACCES) /* ours, but read-only (0400): ask */
		fd = fd_above_stdio(openat(dirfd, file, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW | O_NONBLOCK));
	if (fd < 0)
		return fail(err, "openat", -errno);
	rc = lock_try(fd, LOCK_ATTACH, 1);
	if (rc == -EBADF) /* read-only: no lock to take, only to see */
		rc = lock_held_by_other(fd, LOCK_ATTACH, 1) == 0 ? 0 : -EAGAIN;
	if (rc == 0 && (rc = name_leads_to(dirfd, name, fd)) == 1)
		rc = unlinkat(dirfd, file, 0) == 0 ? 0 : -errno;
	else if (rc == 0 || rc == -EAGAIN) /* in use, or replaced */
		rc = -SHMCAT_EBUSY;
	close(fd);
	if (rc == -SHMCAT_EBUSY)
		return fail(err, "remove", rc);
	return rc == 0 ? 0 : fail(err, "unlinkat", rc);
}
