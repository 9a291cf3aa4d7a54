/*
 * wait.c - the mechanism of waiting: spin, sleep on a semaphore, wake.
 *
 * What to wait for is the roles' business: shmcat_wait_data (reader.c)
 * and shmcat_wait_space (writer.c) loop over these primitives.
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

static int
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
static int
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

int
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

/* A scribbled semaphore is not posted; its sleeper wakes at the end of
 * its slice, finds it scribbled too and reports the corruption. */
static void
post(sem_t *sem)
{
	if (sem_sane(sem))
		sem_post(sem);
}

void
wake_readers(struct shared *sh)
{
	uint32_t bits;
	int i;

	fence_full(); /* (C): our tail store before their flag */
	if (load_relaxed32(&sh->readers_waiting) == 0)
		return;
	/* Only our slots' bits: the mask is in shared memory too. */
	bits = atomic_exchange(&sh->readers_waiting, 0) &
	    ((1u << SHMCAT_MAX_READERS) - 1);
	for (i = 0; bits != 0; i++, bits >>= 1)
		if (bits & 1)
			post(&sh->readers[i].wake);
}

/* Wake one reader's sleeper whether or not it announced itself. */
void
wake_reader(struct shared *sh, int slot)
{
	post(&sh->readers[slot].wake);
}

/* Wake a writer that sleeps on a full ring, but only once half the ring
 * is free by our count: it then moves a large batch per wake-up instead
 * of one chunk (hysteresis, like a pipe's).  No wake-up is lost: the
 * commit that empties the ring always posts, and a reader that leaves
 * posts unconditionally (reader_detach). */
void
wake_writer(struct shared *sh)
{
	fence_full(); /* (D): our pos store before their flag */
	if (atomic_exchange(&sh->writer_waiting, 0))
		post(&sh->space);
}

void
wake_writer_if_room(struct shmcat_ring *r)
{
	struct shared *sh = r->sh;

	fence_full(); /* (D): our pos store before their flag */
	if (!load_relaxed32(&sh->writer_waiting))
		return;
	if (r->seen_tail - r->pos > r->cap / 2)
		return;
	if (atomic_exchange(&sh->writer_waiting, 0))
		post(&sh->space);
}
