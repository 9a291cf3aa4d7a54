/*
 * barrier.h - the orderings weaker or stronger than C11's default, named.
 *
 * The hot path (the pairing diagram in ring.c: publishing tail and a
 * cursor, the Dekker fences of sleeping and waking) uses these helpers,
 * and each call site says what it pairs with.  Everything else (slot
 * kinds, flags, counts, the lifecycle) uses plain atomic_load/store/RMW,
 * which are sequentially consistent: never weaker than what any pairing
 * needs, and slow only where speed does not matter.  No other file names
 * a memory order, except wait.c's look at glibc's own semaphore word
 * (relaxed: it only compares a flag that never changes after sem_init).
 */
#ifndef SHMCAT_BARRIER_H
#define SHMCAT_BARRIER_H

#include <stdatomic.h>
#include <stdint.h>

/* Only lock-free atomics work between processes: they must not depend on
 * a lock table private to one address space. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");

/* Publish: everything written before becomes visible to whoever
 * load_acquire()s the new value. */
static inline void
store_release64(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_release);
}

static inline uint64_t
load_acquire64(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

/* Our own field, or a value only used as a hint: no ordering needed. */
static inline uint64_t
load_relaxed64(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void
store_relaxed64(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

/* A flag looked at before an RMW that decides (wake-ups): a stale value
 * costs at most a sleep slice, never a lost wake-up, see wait.c.  Also
 * the CPU hints of spin_until, where any value costs at most a spin. */
static inline uint32_t
load_relaxed32(_Atomic uint32_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

/* Only the CPU hints (wait.c note_cpu): no ordering is needed. */
static inline void
store_relaxed32(_Atomic uint32_t *p, uint32_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

/* Store-then-load across two variables (the "waiting" flag against a
 * position, a cursor against the floor) needs a full fence on both sides:
 * release/acquire alone lets each side miss the other's store. */
static inline void
fence_full(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* After copying bytes that a writer may overwrite (the tap), order the
 * copy before re-reading the writer's reservation. */
static inline void
fence_acquire(void)
{
	atomic_thread_fence(memory_order_acquire);
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif
