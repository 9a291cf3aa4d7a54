/*
 * wait.c - sleeping on a full or empty ring, and waking.
 *
 * A side that must wait first spins for a few tens of microseconds (a
 * cross-core wake-up costs about as much, so a peer that is about to move
 * is caught without a sleep), then sleeps on a process-shared semaphore.
 *
 * Sleep protocol (the (C)/(D) pairs of ring.c): the sleeper announces
 * itself (readers_waiting bit or writer_waiting), full fence, re-checks
 * the condition, and only then sleeps.  The waker publishes its position,
 * full fence, and posts if it sees the announcement.  Every sleep is cut
 * into slices of SLICE_MS so liveness and the caller's deadline are
 * re-checked: a dead peer never leaves us asleep.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>

#include "barrier.h"
#include "shmcat_int.h"

#define SPIN_NS 50000
#define SLICE_MS 200

int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Absolute deadline for a timeout in ms; -1 means none. */
int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
}

/*
 * A sem_t lives in the shared header, so a peer can scribble on it, and
 * glibc aborts the process when the futex call it derives from a garbage
 * sem_t fails.  glibc keeps the futex flags next to the count; they must
 * be what sem_init(sem, 1, 0) writes here.  A check of glibc's layout,
 * so only where we know it.
 */
#if defined(__GLIBC__) && defined(__x86_64__)
struct glibc_sem {
	uint64_t data; /* count in the low 32 bits, waiters above */
	int private;   /* futex flags */
	int pad;
};
_Static_assert(sizeof(struct glibc_sem) <= sizeof(sem_t), "sem_t layout");

int
sem_sane(sem_t *sem)
{
	struct glibc_sem g, ref;
	sem_t probe;

	sem_init(&probe, 1, 0); /* what a sane one looks like */
	memcpy(&ref, &probe, sizeof(ref));
	memcpy(&g, sem, sizeof(g));
	return g.private == ref.private && (uint32_t)g.data <= SEM_VALUE_MAX;
}
#else
int
sem_sane(sem_t *sem)
{
	(void)sem;
	return 1;
}
#endif

/* Sleep on sem for one slice or until the deadline.  0 when posted,
 * -ETIMEDOUT when the slice ran out, -EINTR on a signal. */
int
sleep_on(struct shmcat_ring *r, sem_t *sem, int64_t deadline)
{
	int64_t until = now_ns() + (int64_t)SLICE_MS * 1000000;
	struct timespec ts;

	if (deadline >= 0 && deadline < until)
		until = deadline;
	ts.tv_sec = until / 1000000000;
	ts.tv_nsec = until % 1000000000;
	r->count.sleeps++;
	if (r->interrupt && *r->interrupt)
		return -EINTR;
	if (!sem_sane(sem))
		return -SHMCAT_ECORRUPT;
	if (sem_clockwait(sem, CLOCK_MONOTONIC, &ts) == 0)
		return 0;
	return -errno;
}

/* Whether any writer is attached, and if none is, how the last one went.
 * Reads writer_events around the lock probe and retries if a writer came
 * or went in between, so a writer attaching is never taken for dead. */
int
writers_state(struct shmcat_ring *r)
{
	uint64_t before, after;
	int held;

	do {
		before = atomic_load(&r->sh->writer_events);
		held = lock_held_by_other(r->fd, LOCK_WRITER, 1);
		after = atomic_load(&r->sh->writer_events);
	} while (before != after);
	if (held > 0)
		return WRITERS_ALIVE;
	if (before >> 32 == 0)
		return WRITERS_NONE_YET;
	return (uint32_t)before == 0 ? WRITERS_GONE_CLEAN : WRITERS_DIED;
}

/* How the stream stands for a reader that has consumed everything:
 * 0 (more may come), SHMCAT_EOF, or a negative truncation code. */
static int
end_of_stream(struct shmcat_ring *r)
{
	uint32_t flags;
	int ws;

	if (atomic_load(&r->sh->stream_flags) & STREAM_HANGUP)
		return -SHMCAT_EHANGUP;
	ws = writers_state(r);
	if (ws == WRITERS_DIED)
		return -SHMCAT_EDIED;
	if (ws != WRITERS_GONE_CLEAN)
		return 0;
	/* After the count: writers set the flag before they decrement it. */
	flags = atomic_load(&r->sh->stream_flags);
	if (flags & STREAM_INTERRUPTED)
		return -SHMCAT_EINTERRUPTED;
	return flags & STREAM_EOF ? SHMCAT_EOF : 0;
}

/* 1 if there are bytes to deliver, 0 if not, -SHMCAT_ECORRUPT if the
 * positions are impossible.  A tap may legitimately be lapped. */
static int
peek(struct shmcat_ring *r)
{
	uint64_t tail = load_acquire64(&r->sh->tail);

	if (r->flags & SHMCAT_O_TAP)
		return (int64_t)(tail - r->pos) < 0 ? -SHMCAT_ECORRUPT :
		    tail != r->pos;
	if (check_distance(r->pos, tail, r->cap) != 0)
		return -SHMCAT_ECORRUPT;
	return tail != r->pos;
}

static int
has_data(struct shmcat_ring *r)
{
	return peek(r) != 0;
}

static int
spin_until(struct shmcat_ring *r, int (*ready)(struct shmcat_ring *))
{
	int64_t until = now_ns() + SPIN_NS;
	int i;

	do {
		for (i = 0; i < 64; i++) {
			if (ready(r))
				return 1;
			cpu_relax();
		}
		/* If the peer shares our CPU it cannot move while we spin:
		 * let it run.  With nothing else runnable this returns at
		 * once, so on separate CPUs it only slows the poll a little. */
		sched_yield();
	} while (now_ns() < until);
	return 0;
}

int
shmcat_wait_data(struct shmcat_ring *r, int timeout_ms)
{
	struct shared *sh = r->sh;
	uint32_t bit = 1u << r->slot;
	int64_t deadline = deadline_of(timeout_ms);
	int rc;

	if (timeout_ms != 0 && spin_until(r, has_data))
		return peek(r) < 0 ? -SHMCAT_ECORRUPT : 0;
	for (;;) {
		/* Only we move our cursor: a different one was scribbled,
		 * and the writer is counting on it. */
		if (!(r->flags & SHMCAT_O_TAP) &&
		    atomic_load(&sh->readers[r->slot].pos) != r->pos) {
			/* put it right for the writer and our successor */
			store_release64(&sh->readers[r->slot].pos, r->pos);
			return -SHMCAT_ECORRUPT;
		}
		if ((rc = peek(r)) != 0)
			return rc < 0 ? rc : 0;
		if ((rc = end_of_stream(r)) != 0) {
			if (peek(r) != 0) /* committed just before the end */
				continue;
			atomic_fetch_or(&sh->stream_flags, STREAM_DELIVERED);
			return rc;
		}
		if (timeout_ms == 0 || (deadline >= 0 && now_ns() >= deadline))
			return timeout_ms == 0 ? -EAGAIN : -ETIMEDOUT;
		atomic_fetch_or(&sh->readers_waiting, bit); /* (C) */
		fence_full(); /* an RMW alone does not order the loads after it */
		/* Re-check both: a writer leaving wakes us only if it saw
		 * our bit, and its unlock is ordered before that look. */
		if (peek(r) != 0 || end_of_stream(r) != 0) {
			atomic_fetch_and(&sh->readers_waiting, ~bit);
			continue;
		}
		LOG(r, "sem_wait: ring empty, sleeping");
		rc = sleep_on(r, &sh->readers[r->slot].wake, deadline);
		atomic_fetch_and(&sh->readers_waiting, ~bit);
		atomic_fetch_add(&sh->readers[r->slot].sleeps, 1);
		LOG(r, "sem_wait: %s", rc == 0 ? "woken" : rc == -ETIMEDOUT ?
		    "slice over, re-checking" : shmcat_strerror(rc));
		if (rc == -EINTR || rc == -SHMCAT_ECORRUPT)
			return rc;
	}
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
	return shmcat_write_span(r, &p) >= r->need;
}

int
shmcat_wait_space(struct shmcat_ring *r, int timeout_ms)
{
	struct shared *sh = r->sh;
	int64_t deadline = deadline_of(timeout_ms);
	uint64_t floor;
	int rc;

	if (timeout_ms != 0 && spin_until(r, space_appeared) && has_space(r))
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
		rc = sleep_on(r, &sh->space, deadline);
		atomic_store(&sh->writer_waiting, 0);
		atomic_fetch_add(&sh->writer_sleeps, 1);
		LOG(r, "sem_wait: %s", rc == 0 ? "woken" : rc == -ETIMEDOUT ?
		    "slice over, re-checking" : shmcat_strerror(rc));
		if (rc == -EINTR || rc == -SHMCAT_ECORRUPT)
			return rc;
	}
}
