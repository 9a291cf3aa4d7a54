/*
 * wait.c - the mechanism of waiting: spin, sleep on a semaphore, wake.
 *
 * What to wait for is the roles' business: shmcat_wait_data (reader.c)
 * and shmcat_wait_space (writer.c) loop over these primitives.
 *
 * A side that must wait first spins for a few microseconds, when it may
 * run on more than one CPU (a peer that is about to move is caught
 * without a sleep and a wake-up), then sleeps on a process-shared
 * semaphore.  See spin_until for why the spin is short and never yields.
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
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "barrier.h"
#include "shmcat_int.h"

#define SPIN_NS 5000
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
 * The semaphores live in the shared header, where a peer can change any
 * byte of them at any moment.  glibc's sem_clockwait() and sem_post()
 * read the futex flags from the sem_t itself at the moment they use
 * them, and abort the process ("The futex facility returned an
 * unexpected error code") when the futex call they build from a
 * scribbled flags word fails.  Checking the sem_t first cannot help: the
 * peer changes it between our check and glibc's read.
 *
 * So on glibc we drive the semaphores ourselves, with glibc's own
 * protocol on glibc's own layout (so a glibc process that calls
 * sem_post() on them still wakes us, and the other way round), but with
 * futex flags that come from us: FUTEX_WAIT_BITSET and FUTEX_WAKE on a
 * shared futex, an absolute CLOCK_MONOTONIC deadline.  The only word we
 * hand to the kernel is the count, at an address inside our mapping; any
 * value in it is harmless to the kernel.  Every value we load is checked
 * before we act on it: a count above SEM_VALUE_MAX, or a flags word other
 * than the one sem_init(sem, 1, 0) writes, is a corrupt ring.
 */
#if defined(__GLIBC__) && defined(__LP64__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
struct glibc_sem {
	_Atomic uint64_t data; /* count in the low 32 bits, waiters above */
	_Atomic int private;   /* futex flags */
	int pad;
};
_Static_assert(sizeof(struct glibc_sem) <= sizeof(sem_t), "sem_t layout");
_Static_assert(offsetof(struct glibc_sem, data) == 0, "count first");

#define SEM_WAITER (UINT64_C(1) << 32)

/* The flags word of a sane process-shared semaphore, from a probe. */
static int
shared_flags(void)
{
	static _Atomic int flags = -1;
	struct glibc_sem g;
	sem_t probe;
	int f = atomic_load_explicit(&flags, memory_order_relaxed);

	if (f == -1) {
		sem_init(&probe, 1, 0);
		memcpy(&g, &probe, sizeof(g));
		f = atomic_load_explicit(&g.private, memory_order_relaxed);
		atomic_store_explicit(&flags, f, memory_order_relaxed);
	}
	return f;
}

static int
sem_ok(struct glibc_sem *g, uint64_t d)
{
	return (uint32_t)d <= SEM_VALUE_MAX &&
	    atomic_load_explicit(&g->private, memory_order_relaxed) ==
	    shared_flags();
}

static int
futex(_Atomic uint64_t *word, int op, uint32_t val, const struct timespec *ts)
{
	/* The count is the low half of data (little-endian). */
	if (syscall(SYS_futex, (uint32_t *)(void *)word, op, val, ts, NULL,
	    op == FUTEX_WAIT_BITSET ? FUTEX_BITSET_MATCH_ANY : 0) == 0)
		return 0;
	return -errno;
}

/* sem_clockwait(sem, CLOCK_MONOTONIC, until), checked at every step. */
static int
sem_sleep(sem_t *sem, const struct timespec *until, int64_t until_ns)
{
	struct glibc_sem *g = (struct glibc_sem *)(void *)sem;
	uint64_t d = atomic_load(&g->data);
	int rc;

	while (sem_ok(g, d) && (uint32_t)d > 0)
		if (atomic_compare_exchange_weak(&g->data, &d, d - 1))
			return 0;
	if (!sem_ok(g, d))
		return -SHMCAT_ECORRUPT;
	d = atomic_fetch_add(&g->data, SEM_WAITER) + SEM_WAITER;
	for (;;) {
		if (!sem_ok(g, d)) {
			rc = -SHMCAT_ECORRUPT;
			break;
		}
		if ((uint32_t)d > 0) {
			if (atomic_compare_exchange_weak(&g->data, &d,
			    d - 1 - SEM_WAITER))
				return 0;
			continue;
		}
		rc = futex(&g->data, FUTEX_WAIT_BITSET, 0, until);
		if (rc == -EFAULT) { /* gone from under us: truncated? */
			(void)atomic_load(&g->data); /* then SIGBUS says so */
			rc = -SHMCAT_ECORRUPT;
		}
		if (rc != 0 && rc != -EAGAIN)
			break;
		/* A peer flipping the count could keep us here: bounded. */
		if (now_ns() >= until_ns) {
			rc = -ETIMEDOUT;
			break;
		}
		d = atomic_load(&g->data);
	}
	atomic_fetch_sub(&g->data, SEM_WAITER);
	return rc;
}

/* sem_post(sem); a semaphore that is not sane is left alone, and its
 * sleeper finds it so at the end of its slice. */
void
wake_one(sem_t *sem)
{
	struct glibc_sem *g = (struct glibc_sem *)(void *)sem;
	uint64_t d = atomic_load(&g->data);

	do {
		if (!sem_ok(g, d) || (uint32_t)d == SEM_VALUE_MAX)
			return;
	} while (!atomic_compare_exchange_weak(&g->data, &d, d + 1));
	if (d >> 32 != 0)
		(void)futex(&g->data, FUTEX_WAKE, 1, NULL);
}
#else
/* Elsewhere glibc's layout is not known: plain POSIX calls, which a
 * scribbled semaphore may make fail (or abort, in some C libraries). */
static int
sem_sleep(sem_t *sem, const struct timespec *until, int64_t until_ns)
{
	(void)until_ns;
	if (sem_clockwait(sem, CLOCK_MONOTONIC, until) == 0)
		return 0;
	return errno == EINVAL ? -SHMCAT_ECORRUPT : -errno;
}

void
wake_one(sem_t *sem)
{
	sem_post(sem);
}
#endif

/* Sleep on sem for one slice or until the deadline.  0 when posted,
 * -ETIMEDOUT when the slice ran out, -EINTR on a signal,
 * -SHMCAT_ECORRUPT if the semaphore was scribbled on. */
int
sleep_on(struct shmcat_ring *r, sem_t *sem, int64_t deadline)
{
	int64_t until = now_ns() + (int64_t)SLICE_MS * 1000000;
	struct timespec ts;

	if (deadline >= 0 && deadline < until)
		until = deadline;
	ts.tv_sec = until / 1000000000;
	ts.tv_nsec = until % 1000000000;
	if (r->interrupt && *r->interrupt)
		return -EINTR;
	return sem_sleep(sem, &ts, until);
}

/* The CPU we run on, for the spinning hint; UINT32_MAX if unknown. */
uint32_t
this_cpu(void)
{
	int cpu = sched_getcpu(); /* glibc reads it from rseq: no syscall */

	return cpu < 0 ? UINT32_MAX : (uint32_t)cpu;
}

/* Publish our CPU in a hint word on a line the peer polls: stored only
 * when it changed, as every store there costs the peer a cache miss. */
void
note_cpu(_Atomic uint32_t *hint)
{
	uint32_t cpu = this_cpu();

	if (load_relaxed32(hint) != cpu)
		store_relaxed32(hint, cpu);
}

/*
 * Poll ready() for up to SPIN_NS; 1 as soon as it says yes.  The caller
 * says whether the peer it waits for last ran on another CPU (from the
 * CPU hints in the header): if not, the peer cannot move while we spin
 * on its CPU, so we do not; the sleep hands the CPU over.
 *
 * Short, and without sched_yield(), because the CPU we would spin on is
 * usually wanted by the processes that fill or drain the ring: in a
 * pipeline (producer | shmcat-in, shmcat-out | consumer) four processes
 * share the CPUs.  Measured on 2 x AMD EPYC (BENCHMARKS.md):
 * the 50 us spin with a yield between polls that this replaced made the
 * relay about 1.4x slower than this, the yields (8 k per GiB) costing
 * more than the spinning; 5 us without yields keeps a cross-CPU round
 * trip near 1 us (a pipe's takes 20 us there).
 */
int
spin_until(struct shmcat_ring *r, int (*ready)(struct shmcat_ring *),
    int peer_elsewhere)
{
	int64_t until;
	int i;

	if (!peer_elsewhere)
		return ready(r);
	until = now_ns() + SPIN_NS;
	do {
		for (i = 0; i < 64; i++) {
			if (ready(r))
				return 1;
			cpu_relax();
		}
	} while (now_ns() < until);
	return 0;
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
			wake_one(&sh->readers[i].wake);
}

/* Wake one reader's sleeper whether or not it announced itself. */
void
wake_reader(struct shared *sh, int slot)
{
	wake_one(&sh->readers[slot].wake);
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
		wake_one(&sh->space);
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
		wake_one(&sh->space);
}
