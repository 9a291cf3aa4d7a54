/*
 * close.c - shmcat_close and the rule that removes a finished ring;
 * shmcat_remove.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmcat_int.h"

/* No writer lives, as far as a probe can tell (one that fails: alive). */
static int
writers_gone(struct shmcat_ring *r)
{
	int ws = writers_state(r);

	return ws >= 0 && ws != WRITERS_ALIVE;
}

/* Is the stream over and delivered, so the ring can go?  Either a reader
 * hung up, or a reader has reported the end and no persistent cursor
 * still has bytes to read; or nobody ever wrote and the ring is empty. */
static int
stream_finished(struct shmcat_ring *r)
{
	struct shared *sh = r->sh;
	uint32_t flags = atomic_load(&sh->stream_flags);
	struct positions p;

	if (flags & STREAM_HANGUP)
		return 1;
	/* Dead anonymous readers and taps do not count: nobody will
	 * read from their cursors again. */
	if (observe_positions(r, &p) != 0 || p.min != p.tail)
		return 0;
	if (atomic_load(&sh->writer_events) >> 32 == 0)
		return 1;
	return (flags & STREAM_DELIVERED) && writers_gone(r);
}

/* A tap holds its slot: the stream's end does not wait for a tap, and
 * one stopped or blocked on a pager may stay a long while. */
static int
tap_attached(struct shmcat_ring *r)
{
	int i;

	for (i = 0; i < SHMCAT_MAX_READERS; i++)
		if (atomic_load(&r->sh->readers[i].kind) == SLOT_TAP &&
		    lock_held_by_other(r->fd, LOCK_RSLOT + i, 1) > 0)
			return 1;
	return 0;
}

/* Are the others still attached only on their way out?  Once a stream
 * that was written has finished and no writer lives, a reader still
 * attached has delivered it all (its cursor counts) and is leaving.
 * Not so a reader waiting for a first writer, a writer not yet told of
 * a hang-up, or a tap; and shmcat rm takes no part. */
static int
others_leaving(struct shmcat_ring *r)
{
	if (r->role == SHMCAT_INSPECT ||
	    atomic_load(&r->sh->writer_events) >> 32 == 0)
		return 0;
	return stream_finished(r) && writers_gone(r) &&
	    !tap_attached(r);
}

/* Whoever leaves last removes a finished ring.  Every closer drops its
 * shared lock and tries for the exclusive one, which succeeds only once
 * nobody else is attached; the last to let go always gets it, and by
 * then everyone else's contribution to the stream state is in.
 *
 * Unless the last one dies between dropping its share and its own try
 * (SIGKILL while it exits): the kernel drops its lock, and nobody is
 * left to try.  So a closer waits up to LEAVE_WAIT_MS while the others
 * are only leaving, looking again every few milliseconds (a reader a
 * moment slower to go is leaving too). */
#define LEAVE_WAIT_MS 200
#define LEAVE_LOOK_MS 10
static void
remove_if_finished(struct shmcat_ring *r)
{
	int64_t until;
	int rc;

	if (r->rdonly)
		return; /* an observer never removes */
	lock_release(r->fd, LOCK_ATTACH);
	rc = lock_try(r->fd, LOCK_ATTACH, 1);
	until = deadline_of(LEAVE_WAIT_MS);
	while (rc == -EAGAIN && now_ns() < until && others_leaving(r))
		rc = lock_wait(r, LOCK_ATTACH, 1, deadline_of(LEAVE_LOOK_MS));
	if (rc == 0 && stream_finished(r))
		unlink_if_same(r);
}

int
shmcat_close(struct shmcat_ring *r, enum shmcat_end how)
{
	if (r == NULL)
		return 0;
	/* Refused, the handle stays open: how a stream ends cannot be
	 * undone, and a second close with a valid how can still be made. */
	if (!role_end_valid(r, how))
		return -EINVAL;
	bridge_detach(r); /* its thread reads our mapping */
	if (handle_forked(r)) { /* the stream is the parent's business */
		release_forked(r);
		return 0;
	}
	role_detach(r, how);
	remove_if_finished(r);
	release_handle(r);
	return 0;
}

/* shmcat_remove_in, in the directory d has open. */
static int
remove_in(const struct ring_dir *d, const char *name, int force,
    struct shmcat_error *err)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT, .flags = O_REMOVING};
	struct shmcat_ring *r;
	int rc;

	if (name && build_pid(name, NULL) > 0)
		return remove_build(d->fd, name, err);
	rc = open_checked(name, &o, d, &r, err);
	if (rc != 0) {
		if (!force || rc == -EINVAL || rc == -ENOENT)
			return rc;
		return remove_forced(d->fd, name, err);
	}
	lock_release(r->fd, LOCK_ATTACH);
	if (lock_try(r->fd, LOCK_ATTACH, 1) != 0) {
		if (err)
			err->pid = ring_holder(r);
		shmcat_close(r, SHMCAT_ABANDON);
		return fail(err, "remove", -SHMCAT_EBUSY);
	}
	rc = unlink_if_same(r);
	release_handle(r);
	return rc < 0 ? fail(err, "unlinkat", rc) : 0;
}

int
shmcat_remove_in(const char *dir, const char *name, int force,
    struct shmcat_error *err)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT};
	struct ring_dir d;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if ((rc = dir_open(&d, dir, &o, err)) != 0)
		return rc;
	rc = remove_in(&d, name, force, err);
	dir_close(&d);
	return rc;
}

int
shmcat_remove(const char *name, int force, struct shmcat_error *err)
{
	return shmcat_remove_in(NULL, name, force, err);
}
