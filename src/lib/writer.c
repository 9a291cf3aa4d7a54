/*
 * writer.c - writers: attach, detach, stale-ring recovery, whole records.
 *
 * A bytes writer holds LOCK_WRITER exclusively: one at a time.  Record
 * writers (--lines, --null) hold it shared and serialise their commits
 * with an OFD lock on LOCK_COMMIT; a record is copied in whole before
 * tail moves, so a writer that dies mid-record leaves nothing of it.
 *
 * writer_events counts attaches (high 32 bits) and active writers (low
 * 32).  A writer that leaves decrements it; one that dies cannot, so
 * "active > 0 and nobody holds LOCK_WRITER" means a writer died.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "barrier.h"
#include "shmcat_int.h"

#define EVENT_ATTACH ((UINT64_C(1) << 32) + 1)
#define DETACH_LOCK_MS 1000

static uint32_t
wanted_mode(const struct shmcat_ring *r)
{
	if (r->flags & SHMCAT_O_NUL)
		return MODE_NUL;
	return (r->flags & SHMCAT_O_LINES) ? MODE_LINES : MODE_BYTES;
}

static int
records(const struct shmcat_ring *r)
{
	return wanted_mode(r) != MODE_BYTES;
}

/*
 * The commit lock is an OFD lock on byte LOCK_COMMIT: kernel state, so a
 * peer can neither corrupt it nor steer our writes through it, and the
 * kernel releases it when its holder dies (a record is copied in whole
 * before tail moves, so a dead holder left nothing half-done).
 *
 * F_OFD_SETLKW is not used: it has no timeout, and a signal that arrives
 * between our look at the interrupt flag and the call would leave us
 * blocked for as long as the holder likes.  Instead we try the lock, and
 * while it is busy we count ourselves in commit_waiting and sleep on
 * commit_wake, which the unlocker posts when it sees a waiter -- the
 * same Dekker handshake and the same 200 ms slices as every other wait,
 * so the deadline and the interrupt flag are honoured, and a lost or
 * scribbled wake-up costs at most one slice.  The kernel posts nobody
 * when it drops a dead holder's lock: its waiter wakes at the end of its
 * slice.  A writer that dies counted in commit_waiting only causes
 * spurious posts.  model/ring.pml checks this handshake (REC, mutations
 * 32 to 34); keep the two in step.
 */
static int
commit_lock_until(struct shmcat_ring *r, int64_t deadline)
{
	struct shared *sh = r->sh;
	int rc, got, tries;

	for (tries = 0;; tries++) {
		if ((rc = lock_try(r->fd, LOCK_COMMIT, 1)) != -EAGAIN)
			return rc;
		if (tries < 8) { /* the holder is usually about to let go */
			sched_yield();
			continue;
		}
		if (r->interrupt && *r->interrupt)
			return -EINTR;
		if (deadline >= 0 && now_ns() >= deadline)
			return -ETIMEDOUT;
		atomic_fetch_add(&sh->commit_waiting, 1);
		fence_full(); /* our count before our second look */
		if ((got = lock_try(r->fd, LOCK_COMMIT, 1)) == -EAGAIN)
			rc = sleep_on(r, &sh->commit_wake, deadline);
		atomic_fetch_sub(&sh->commit_waiting, 1);
		if (got != -EAGAIN)
			return got;
		if (rc == -EINTR || rc == -SHMCAT_ECORRUPT)
			return rc;
	}
}

static void
commit_unlock(struct shmcat_ring *r)
{
	lock_release(r->fd, LOCK_COMMIT);
	fence_full(); /* the release before our look at the waiters */
	if (atomic_load(&r->sh->commit_waiting) != 0)
		wake_one(&r->sh->commit_wake);
}

/* Unread bytes for cursors that live or persist, or -SHMCAT_ECORRUPT.
 * The cursors of anonymous readers and taps that died are released
 * first: nobody will read from them again. */
static int64_t
unread_bytes(struct shmcat_ring *r)
{
	struct positions p;
	int rc;

	reap_dead_readers(r);
	rc = observe_positions(r, &p);
	return rc ? rc : (int64_t)(p.tail - p.min);
}

/* How the stream that nobody writes any more ended, for its readers. */
static uint32_t
how_it_ended(uint64_t ev, uint32_t flags)
{
	if (flags & STREAM_HANGUP)
		return END_HANGUP;
	if ((uint32_t)ev != 0)
		return END_DIED; /* counted, yet nobody holds LOCK_WRITER */
	return flags & STREAM_INTERRUPTED ? END_INTERRUPTED : END_EOF;
}

/*
 * Close the stream that is over and start the next one where it ended.
 * Its end record goes first, then gen_start, then generation (seq_cst):
 * a reader that sees the new generation finds both (ring.c).  The count
 * of active writers starts again from zero: the dead are not in it.
 */
static void
new_generation(struct shmcat_ring *r, uint64_t ev, uint32_t flags)
{
	struct shared *sh = r->sh;
	uint64_t gen = atomic_load(&sh->generation);
	uint64_t tail = atomic_load(&sh->tail);
	struct stream_end *e = &sh->ends[gen % GEN_HISTORY];

	atomic_store(&e->gen, ~UINT64_C(0));
	atomic_store(&e->end, tail);
	atomic_store(&e->how, how_it_ended(ev, flags));
	atomic_store(&e->pid, atomic_load(&sh->writer_pid));
	atomic_store(&e->gen, gen);
	atomic_store(&sh->gen_start, tail);
	atomic_store(&sh->generation, gen + 1);
	atomic_store(&sh->writer_events, ev >> 32 << 32);
	atomic_store(&sh->stream_flags, 0);
	atomic_fetch_and(&sh->feat_ro_compat, ~FEAT_RO_STREAM);
	atomic_store(&sh->record_mode, MODE_UNSET);
	wake_readers(sh); /* the old stream's readers: it is over */
	LOG(r, "stream %llu (previous writer %s) closed at byte %llu; "
	    "stream %llu starts", (unsigned long long)gen,
	    (uint32_t)ev ? "died" : "finished", (unsigned long long)tail,
	    (unsigned long long)gen + 1);
}

/* Nobody else writes: is the previous stream over (ended, interrupted,
 * hung up, or its writer dead)?  Then refuse if it holds unread bytes;
 * otherwise start a new stream, so that the old one's readers end with
 * it and never see ours.  A stream the last writer left to a joiner
 * (STREAM_HANDOFF) is ours to continue, unless a reader already
 * reported its end. */
static int
recover_stale(struct shmcat_ring *r, struct shmcat_error *err)
{
	struct shared *sh = r->sh;
	uint64_t ev = atomic_load(&sh->writer_events);
	uint32_t flags = atomic_load(&sh->stream_flags);
	uint32_t f = flags & ~STREAM_DELIVERED;
	int64_t unread;

	if ((uint32_t)ev == 0 && (f == 0 || (f == STREAM_HANDOFF &&
	    !(flags & STREAM_DELIVERED))))
		return 0; /* a fresh ring, --keep-open, or handed to us */
	if ((unread = unread_bytes(r)) < 0)
		return (int)unread;
	if (unread > 0) {
		if (err)
			err->bytes = unread;
		return flags & (STREAM_EOF | STREAM_HANDOFF) ? -SHMCAT_EENDED :
		    -SHMCAT_ESTALE;
	}
	new_generation(r, ev, flags);
	return 0;
}

/* A writer slot: -SHMCAT_EFULLWRITERS if every one holds a writer,
 * -SHMCAT_EBUSY if some are not busy yet locked (a writer about to take
 * one, or a peer holding the lock bytes: reader.c, claim_free_slot). */
static int
claim_writer_slot(struct shmcat_ring *r)
{
	int i, locked_free = 0;

	for (i = 0; i < SHMCAT_MAX_WRITERS; i++) {
		if (lock_try(r->fd, LOCK_WSLOT + i, 1) != 0) {
			locked_free += atomic_load(&r->sh->writers[i].busy) == 0;
			continue;
		}
		atomic_store(&r->sh->writers[i].pid, (int32_t)getpid());
		atomic_store(&r->sh->writers[i].bytes, 0);
		atomic_store(&r->sh->writers[i].busy, 1);
		return i;
	}
	return locked_free ? -SHMCAT_EBUSY : -SHMCAT_EFULLWRITERS;
}

static int
join_stream(struct shmcat_ring *r, struct shmcat_error *err)
{
	uint32_t unset = MODE_UNSET, mode = wanted_mode(r);
	int rc, others;

	others = lock_held_by_other(r->fd, LOCK_WRITER, 1);
	if (others < 0)
		return others;
	if (!others && (rc = recover_stale(r, err)) != 0)
		return rc;
	/* The first writer of a stream states its bits before its mode:
	 * joiners are serialised (LOCK_WRITER, or LOCK_COMMIT for records),
	 * so whoever sees the mode set also sees the bits of its stream. */
	if (atomic_load(&r->sh->record_mode) == MODE_UNSET)
		atomic_fetch_or(&r->sh->feat_ro_compat, features_of_mode(mode));
	if ((rc = features_check(r, err)) != 0)
		return rc;
	if (!atomic_compare_exchange_strong(&r->sh->record_mode, &unset, mode) &&
	    unset != mode)
		return -SHMCAT_EMODE;
	if ((rc = claim_writer_slot(r)) < 0)
		return rc;
	r->slot = rc;
	atomic_fetch_add(&r->sh->writer_events, EVENT_ATTACH);
	/* Counted now: a hand-off to us is complete. */
	atomic_fetch_and(&r->sh->stream_flags, ~STREAM_HANDOFF);
	atomic_store(&r->sh->writer_pid, (int32_t)getpid());
	writer_begin(r);
	return 0;
}

/* The commit lock for joining: the other record writers may hold it for
 * as long as they wait for space, so the caller's deadline, its
 * non-blocking flag and its interrupt flag all apply. */
static int
join_lock(struct shmcat_ring *r)
{
	int64_t deadline = -1;
	int rc;

	if (r->flags & SHMCAT_O_NONBLOCK)
		deadline = now_ns();
	else if (r->attach_timeout_ms > 0)
		deadline = deadline_of(r->attach_timeout_ms);
	rc = commit_lock_until(r, deadline);
	LOG(r, "commit lock to join the record writers: %s",
	    rc == 0 ? "ok" : shmcat_strerror(rc));
	return rc == -ETIMEDOUT && (r->flags & SHMCAT_O_NONBLOCK) ? -EAGAIN : rc;
}

int
writer_attach(struct shmcat_ring *r, struct shmcat_error *err)
{
	int rc = lock_try(r->fd, LOCK_WRITER, !records(r));

	LOG(r, "fcntl F_OFD_SETLK writer lock (%s): %s",
	    records(r) ? "shared" : "exclusive", rc ? strerror(-rc) : "ok");
	if (rc == -EAGAIN) {
		uint32_t mode = atomic_load(&r->sh->record_mode);

		if (err)
			err->pid = writer_holder(r);
		rc = mode != MODE_UNSET && mode != wanted_mode(r) ?
		    -SHMCAT_EMODE : -SHMCAT_EBUSY;
	}
	if (rc == 0 && records(r)) {
		/* The wait to join is the one step of opening whose -EAGAIN
		 * and -ETIMEDOUT mean "busy": its call is "join". */
		if ((rc = join_lock(r)) != 0) {
			fail(err, "join", rc);
		} else {
			rc = join_stream(r, err);
			commit_unlock(r);
		}
	} else if (rc == 0) {
		rc = join_stream(r, err);
	}
	if (rc != 0) {
		lock_release(r->fd, LOCK_WRITER);
		if (err && err->call[0] == '\0') {
			err->code = rc;
			strcpy(err->call, "attach");
		}
	}
	return rc;
}

void
writer_detach(struct shmcat_ring *r, enum shmcat_end how)
{
	struct shared *sh = r->sh;
	uint64_t ev;
	/* Bounded: a peer may hold the lock for ever, and without it we
	 * only risk what an interrupted writer risks (see below). */
	int locked = records(r) &&
	    commit_lock_until(r, deadline_of(DETACH_LOCK_MS)) == 0;

	if (how == SHMCAT_INTERRUPTED || how == SHMCAT_ABANDON ||
	    how == SHMCAT_HANGUP)
		atomic_fetch_or(&sh->stream_flags, STREAM_INTERRUPTED);
	/* The flag goes before the count: a reader that sees the count drop
	 * must also see why (wait.c reads them in the other order). */
	/* The last writer ends the stream, unless another one already holds
	 * the writer lock and waits for the commit lock to join it: then it
	 * hands the stream over.  Should that joiner die before it is
	 * counted, readers take the hand-off for the end (reader.c). */
	if (how == SHMCAT_END) {
		ev = atomic_load(&sh->writer_events);
		if ((uint32_t)ev == 1)
			atomic_fetch_or(&sh->stream_flags,
			    lock_held_by_other(r->fd, LOCK_WRITER, 1) == 0 ?
			    STREAM_EOF : STREAM_HANDOFF);
	}
	atomic_fetch_sub(&sh->writer_events, 1);
	atomic_store(&sh->writers[r->slot].busy, 0);
	if (locked)
		commit_unlock(r);
	lock_release(r->fd, LOCK_WSLOT + r->slot);
	lock_release(r->fd, LOCK_WRITER);
	LOG(r, "writer detached: %s", how == SHMCAT_END ? "end of stream" :
	    how == SHMCAT_KEEP_OPEN ? "stream kept open" : "interrupted");
	wake_readers(sh);
}

/* Write buf as one unit: readers see all of it or none of it. */
int
shmcat_write_record(struct shmcat_ring *r, const void *buf, size_t n,
    int timeout_ms)
{
	void *p;
	int rc;

	if (r == NULL || (buf == NULL && n > 0) || !timeout_valid(timeout_ms))
		return -EINVAL;
	if ((rc = handle_check(r, SHMCAT_WRITER)) != 0)
		return rc;
	timeout_ms = effective_timeout(r, timeout_ms);
	if (n > r->cap || n > SHMCAT_RECORD_MAX)
		return -SHMCAT_ERECORD;
	/* A record ends with its terminator: without it, the next one
	 * would run into it. */
	if (records(r) && (n == 0 || ((const char *)buf)[n - 1] !=
	    (wanted_mode(r) == MODE_NUL ? '\0' : '\n')))
		return -EINVAL;
	if (records(r) &&
	    (rc = commit_lock_until(r, deadline_of(timeout_ms))) != 0)
		return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
	writer_begin(r); /* other writers moved tail */
	r->need = n;
	while (writer_span(r, &p) < n)
		if ((rc = shmcat_wait_space(r, timeout_ms)) != 0)
			goto out;
	memcpy(p, buf, n);
	rc = writer_commit(r, n);
	atomic_fetch_add(&r->sh->writers[r->slot].bytes, n);
out:
	r->need = 1;
	if (records(r))
		commit_unlock(r);
	return rc;
}

/* Spinning: one read-only scan of the cursors, no stores to lines the
 * readers poll.  Corruption is left for the slow path to report. */
static int
space_appeared(struct shmcat_ring *r)
{
	uint64_t min;

	return reader_scan_min(r->sh, r->tail, r->cap, &min) != 0 ||
	    r->cap - (r->tail - min) >= r->need;
}

static int
has_space(struct shmcat_ring *r)
{
	void *p;

	r->limit = r->tail; /* force a fresh floor */
	return writer_span(r, &p) >= r->need;
}

/* One load, cheap enough to call between any two reads of the input:
 * a writer waiting for input rather than for space learns of a hangup
 * here (shmcat_wait_space reports it as -SHMCAT_EHANGUP).  Any role may
 * ask, from its own process. */
int
shmcat_hungup(const struct shmcat_ring *r)
{
	if (r == NULL)
		return -EINVAL;
	if (handle_forked(r)) /* (its mapping may be gone: test this first) */
		return -SHMCAT_EFORKED;
	if (r->sh == NULL)
		return -EINVAL;
	return (atomic_load(&r->sh->stream_flags) & STREAM_HANGUP) != 0;
}

/* Whether a reader that frees space last committed on another CPU than
 * ours (the hints of spin_until; scribbled values only cost a spin).  A
 * cursor that never committed (UINT32_MAX: the default cursor of a ring
 * nobody reads yet, say) frees nothing soon: no reason to spin. */
static int
readers_elsewhere(struct shared *sh)
{
	uint32_t me = this_cpu(), kind, cpu;
	int i;

	for (i = 0; i < SHMCAT_MAX_READERS; i++) {
		kind = load_relaxed32(&sh->readers[i].kind);
		cpu = load_relaxed32(&sh->readers[i].cpu);
		if ((kind == SLOT_DEFAULT || kind == SLOT_NAMED ||
		    kind == SLOT_ANON) && cpu != me && cpu != UINT32_MAX)
			return 1;
	}
	return 0;
}

int
shmcat_wait_space(struct shmcat_ring *r, int timeout_ms)
{
	struct shared *sh;
	int64_t deadline;
	uint64_t floor;
	int rc;

	if (r == NULL || !timeout_valid(timeout_ms))
		return -EINVAL;
	if ((rc = handle_check(r, SHMCAT_WRITER)) != 0)
		return rc;
	sh = r->sh;
	timeout_ms = effective_timeout(r, timeout_ms);
	deadline = deadline_of(timeout_ms);
	if (timeout_ms != 0 &&
	    spin_until(r, space_appeared, readers_elsewhere(sh)) && has_space(r))
		return 0;
	for (;;) {
		if (atomic_load(&sh->stream_flags) & STREAM_HANGUP)
			return -SHMCAT_EHANGUP;
		if (load_relaxed64(&sh->tail) != r->tail)
			return -SHMCAT_ECORRUPT; /* only we move it */
		if ((rc = ring_floor(r, &floor)) != 0)
			return rc;
		if (has_space(r))
			return 0;
		if (reap_dead_readers(r) > 0)
			continue;
		if (timeout_ms == 0 || (deadline >= 0 && now_ns() >= deadline))
			return timeout_ms == 0 ? -EAGAIN : -ETIMEDOUT;
		atomic_store(&sh->writer_waiting, 1); /* (D) */
		fence_full();
		if (has_space(r) ||
		    (atomic_load(&sh->stream_flags) & STREAM_HANGUP)) {
			atomic_store(&sh->writer_waiting, 0);
			return 0;
		}
		LOG(r, "sem_wait: ring full, sleeping");
		r->count.sleeps++;
		rc = sleep_on(r, &sh->space, deadline);
		atomic_store(&sh->writer_waiting, 0);
		atomic_fetch_add(&sh->writer_sleeps, 1);
		LOG(r, "sem_wait: %s", rc == 0 ? "woken" : rc == -ETIMEDOUT ?
		    "slice over, re-checking" : shmcat_strerror(rc));
		if (rc == -EINTR || rc == -SHMCAT_ECORRUPT)
			return rc;
	}
}
