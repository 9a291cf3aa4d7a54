/*
 * lock.c - liveness through open-file-description locks.
 *
 * Each role holds a lock on one byte of the object's descriptor (see the
 * LOCK_* offsets in shmcat_int.h).  The kernel releases it when the owner
 * dies, however it dies, so "is the writer alive" is "is its byte
 * locked" -- immune to PID reuse.  OFD locks belong to the open file, not
 * the process, so two handles in one process exclude each other too.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "barrier.h"
#include "shmcat_int.h"

static struct flock
byte_lock(int byte, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	return fl;
}

/* 0, -EAGAIN if someone else holds a conflicting lock, or -errno.
 * F_OFD_SETLK never waits, so EINTR only says a signal came meanwhile:
 * try again, and leave the signal to the caller's interrupt flag. */
int
lock_try(int fd, int byte, int exclusive)
{
	struct flock fl = byte_lock(byte, exclusive ? F_WRLCK : F_RDLCK);
	int rc;

	while ((rc = fcntl(fd, F_OFD_SETLK, &fl)) != 0 && errno == EINTR)
		;
	if (rc == 0)
		return 0;
	return errno == EACCES ? -EAGAIN : -errno;
}

/* lock_try until it succeeds or fails for another reason than a
 * conflict, napping 1 ms between tries: for locks their holders keep for
 * moments only.  Until the deadline (-1: none); -EINTR once the caller's
 * interrupt flag is set. */
int
lock_wait(struct shmcat_ring *r, int byte, int exclusive, int64_t until)
{
	static const struct timespec ms = {0, 1000000};
	int rc;

	while ((rc = lock_try(r->fd, byte, exclusive)) == -EAGAIN &&
	    (until < 0 || now_ns() < until)) {
		if (r->interrupt && *r->interrupt)
			return -EINTR;
		nanosleep(&ms, NULL);
	}
	return rc;
}

void
lock_release(int fd, int byte)
{
	struct flock fl = byte_lock(byte, F_UNLCK);

	(void)fcntl(fd, F_OFD_SETLK, &fl);
}

/* 1 if another open file holds a lock on byte that would conflict with
 * ours (an exclusive probe sees shared locks too), 0 if not, or -errno. */
int
lock_held_by_other(int fd, int byte, int exclusive_probe)
{
	struct flock fl = byte_lock(byte, exclusive_probe ? F_WRLCK : F_RDLCK);

	int rc;

	/* EINTR: the probe only looks; looking again is always right. */
	while ((rc = fcntl(fd, F_OFD_GETLK, &fl)) != 0 && errno == EINTR)
		;
	if (rc != 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}

/* Whether any writer is attached, and if none is, how the last one went.
 * Reads writer_events around the lock probe and retries if a writer came
 * or went in between, so a writer attaching is never taken for dead.  A
 * probe that fails says nothing about the writer: it is tried again, and
 * if it fails again its -errno is returned, never a death. */
#define PROBE_TRIES 2
int
writers_state(struct shmcat_ring *r)
{
	uint64_t before, after;
	int held, failed = 0;

	do {
		before = atomic_load(&r->sh->writer_events);
		held = lock_held_by_other(r->fd, LOCK_WRITER, 1);
		after = atomic_load(&r->sh->writer_events);
	} while (before != after || (held < 0 && ++failed < PROBE_TRIES));
	if (held < 0)
		return held;
	if (held > 0)
		return WRITERS_ALIVE;
	if (before >> 32 == 0)
		return WRITERS_NONE_YET;
	return (uint32_t)before == 0 ? WRITERS_GONE_CLEAN : WRITERS_DIED;
}

/*
 * Who holds a role, for messages.  The kernel does not say which process
 * holds an OFD lock (F_OFD_GETLK and /proc/locks give -1), so the only
 * name is the pid a holder stores in its slot once it holds the slot's
 * lock.  It is named only while that lock is held and a process with
 * that pid exists; otherwise the holder cannot be named (0): a peer that
 * may read the ring can hold any lock byte without a slot, and a pid
 * left by a process that died may belong to another one by now.
 */
static long
holder_of(struct shmcat_ring *r, int byte, _Atomic int32_t *stored)
{
	long pid = safe_pid(atomic_load(stored));

	if (pid == 0 || lock_held_by_other(r->fd, byte, 1) <= 0)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM ? pid : 0;
}

/* The holder of reader slot i, or 0. */
long
reader_holder(struct shmcat_ring *r, int i)
{
	return holder_of(r, LOCK_RSLOT + i, &r->sh->readers[i].pid);
}

/* A writer holding the ring, or 0. */
long
writer_holder(struct shmcat_ring *r)
{
	long pid = 0;
	int i;

	for (i = 0; i < SHMCAT_MAX_WRITERS && pid == 0; i++)
		pid = holder_of(r, LOCK_WSLOT + i, &r->sh->writers[i].pid);
	return pid;
}

/* Anyone using the ring, a writer first, or 0. */
long
ring_holder(struct shmcat_ring *r)
{
	long pid = writer_holder(r);
	int i;

	for (i = 0; i < SHMCAT_MAX_READERS && pid == 0; i++)
		pid = reader_holder(r, i);
	return pid;
}
