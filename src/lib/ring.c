/*
 * ring.c - the head/tail protocol.
 *
 * Positions are free-running 64-bit byte counts.  `tail` is the next byte
 * the writer will commit; each reader slot has `pos`, the next byte that
 * reader will deliver.  For every non-tap cursor:
 *
 *	I1  pos <= tail and tail - pos <= capacity		(never trusted:
 *	    check_distance() is applied to every loaded pair)
 *	I2  bytes [pos, tail) are committed and unchanged until pos passes them
 *	I3  the writer writes only positions in [tail, floor_eff + capacity),
 *	    floor_eff = min over non-tap cursors, so it never overwrites I2
 *	I4  tail and every pos only grow; the byte at position p lives at
 *	    data[p % capacity] (the data area is mapped twice, so a span of up
 *	    to capacity bytes never wraps)
 *
 * Pairing diagram (one writer W, readers R; seq_cst fences shown as F):
 *
 *	W (produce)                          R (consume)
 *	-----------                          -----------
 *	fill data[tail..tail+n)              t = load_acquire(tail)      (A)
 *	store_release(tail, tail + n)  (A)   read data[pos..t)
 *	F                                    store_release(slot.pos, p')  (B)
 *	if readers_waiting: post R.wake (C)  F
 *	                                     if writer_waiting: post space (D)
 *	p = load_acquire(slot.pos)     (B)
 *	... then overwrite below p + capacity
 *
 *	(A) R sees the bytes W wrote before publishing tail.
 *	(B) W reuses bytes only after R has finished reading them.
 *	(C)/(D) Sleeping, Dekker style: the sleeper sets its flag, F, then
 *	    re-checks the position; the waker stores the position, F, then
 *	    reads the flag.  With a full fence on both sides at least one of
 *	    them sees the other, so no wake-up is lost (wait.c).
 *
 * Floor and late-joining readers.  The writer computes floor_eff by
 * scanning the slots (ring_floor) and stores the scan into the shared
 * `floor` (a start hint for new readers), then scans again and uses the
 * minimum of both scans.  A new reader stores its pos, marks its slot
 * used, F, and re-loads `floor`, moving up if the floor passed it
 * (reader.c).  Again Dekker: either the writer's second scan sees the new
 * cursor, or the reader sees the floor the writer acted on.  model/ring.pml
 * checks these interleavings.
 *
 * Generations.  A writer starting a new stream on a ring whose last one
 * is over fills in that stream's end record, stores gen_start, then
 * generation (writer.c), all before its first commit (A).  A reader
 * loads tail, then generation: if tail shows a byte of the new stream,
 * the acquire on tail makes the new generation visible too, so a reader
 * of the old stream never delivers a byte of the new one
 * (visible_tail).
 *
 * Tap readers are not cursors for I3.  They copy bytes out first and then
 * re-read `reserve_end` (the writer's limit, stored and fenced before it
 * hands out space): byte p is intact iff p >= reserve_end - capacity.
 * That is the validated copy (copy.c).
 */
#include <errno.h>
#include <semaphore.h>
#include <string.h>

#include "barrier.h"
#include "shmcat_int.h"

int
check_distance(uint64_t from, uint64_t to, uint64_t cap)
{
	return to - from <= cap ? 0 : -SHMCAT_ECORRUPT;
}

static int
counts_for_floor(uint32_t kind)
{
	return kind == SLOT_DEFAULT || kind == SLOT_NAMED || kind == SLOT_ANON;
}

/* Minimum cursor of the non-tap readers, each counted as at most a ring
 * behind; -SHMCAT_ECORRUPT if one is ahead of tail (a scribble). */
int
reader_scan_min(struct shared *sh, uint64_t tail, uint64_t cap, uint64_t *min)
{
	uint64_t pos;
	int i;

	*min = tail;
	for (i = 0; i < SHMCAT_MAX_READERS; i++) {
		struct reader_slot *s = &sh->readers[i];
		/* seq_cst: part of the floor handshake with reader_attach. */
		uint32_t kind = atomic_load(&s->kind);

		if (kind > SLOT_TAP)
			return -SHMCAT_ECORRUPT;
		if (!counts_for_floor(kind))
			continue;
		/* Pairs with the reader's store_release (B). */
		pos = load_acquire64(&s->pos);
		if ((int64_t)(tail - pos) < 0)
			return -SHMCAT_ECORRUPT; /* ahead of tail: impossible */
		/* More than a ring behind: a reader still joining, about to
		 * move up to the floor (reader.c), or a scribble; either way
		 * it can hold at most the whole ring. */
		if (tail - pos > cap)
			pos = tail - cap;
		if (tail - pos > tail - *min)
			*min = pos;
	}
	return 0;
}

/* An anonymous cursor or a tap whose holder died (its lock is free).
 * Our own slot is alive: F_OFD_GETLK does not see our own lock. */
static int
holder_died(struct shmcat_ring *r, int i, uint32_t kind)
{
	return (kind == SLOT_ANON || kind == SLOT_TAP) && i != r->slot &&
	    lock_held_by_other(r->fd, LOCK_RSLOT + i, 1) == 0;
}

/*
 * Positions as an observer can trust them: every cursor is loaded
 * before tail.  A reader stores a cursor only after loading a tail at
 * least as far (acquire here, release there), and tail only grows, so
 * progress between the loads never shows a cursor ahead of tail: that
 * is a scribble.  Cursors of dead anonymous readers and taps are marked
 * and not counted in min: nobody will read from them again.
 */
int
observe_positions(struct shmcat_ring *r, struct positions *p)
{
	struct shared *sh = r->sh;
	uint64_t pos;
	int i;

	for (i = 0; i < SHMCAT_MAX_READERS; i++) {
		/* kind first: a slot's cursor is stored before its kind */
		p->kind[i] = atomic_load(&sh->readers[i].kind);
		p->pos[i] = load_acquire64(&sh->readers[i].pos);
		if (p->kind[i] > SLOT_TAP)
			return -SHMCAT_ECORRUPT;
	}
	p->tail = load_acquire64(&sh->tail);
	p->min = p->tail;
	for (i = 0; i < SHMCAT_MAX_READERS; i++) {
		p->dead[i] = holder_died(r, i, p->kind[i]);
		if (!counts_for_floor(p->kind[i]) || p->dead[i])
			continue;
		pos = p->pos[i];
		if ((int64_t)(p->tail - pos) < 0)
			return -SHMCAT_ECORRUPT;
		if (p->tail - pos > r->cap) /* joining: see reader_scan_min */
			pos = p->tail - r->cap;
		if (p->tail - pos > p->tail - p->min)
			p->min = pos;
	}
	return 0;
}

/* The shared state a peer may scribble, checked once on attach: every
 * later use re-checks what it relies on, but a ring that is already
 * impossible is refused up front (exit 2, not 1 mid-stream).  Every
 * position is loaded before tail (observe_positions), so progress
 * between the loads never looks like a cursor ahead of tail. */
int
check_state(struct shmcat_ring *r)
{
	struct shared *sh = r->sh;
	uint64_t before = atomic_load(&sh->floor), after;
	struct positions p;
	int rc;

	if ((rc = observe_positions(r, &p)) != 0)
		return rc;
	/* The floor hint moves on as tail does: loaded before tail it may
	 * be more than a ring behind it, after tail it may be past it.
	 * Each of the two bounds holds for one of the two loads. */
	after = atomic_load(&sh->floor);
	if ((int64_t)(p.tail - before) < 0 ||
	    (int64_t)(p.tail - after) > (int64_t)r->cap)
		return -SHMCAT_ECORRUPT;
	/* A mode we do not know is a later version's, if a bit we do not
	 * know says so (features.c judges the bit); otherwise a scribble. */
	if (atomic_load(&sh->record_mode) > MODE_NUL &&
	    (atomic_load(&sh->feat_ro_compat) & ~FEAT_RO_COMPAT_KNOWN) == 0 &&
	    (atomic_load(&sh->feat_incompat) & ~FEAT_INCOMPAT_KNOWN) == 0)
		return -SHMCAT_ECORRUPT;
	if ((uint32_t)atomic_load(&sh->writer_events) > SHMCAT_MAX_WRITERS)
		return -SHMCAT_ECORRUPT;
	return 0;
}

static int
end_code(uint32_t how)
{
	switch (how) {
	case END_EOF:
		return SHMCAT_EOF;
	case END_INTERRUPTED:
		return -SHMCAT_EINTERRUPTED;
	case END_HANGUP:
		return -SHMCAT_EHANGUP;
	default:
		return -SHMCAT_EDIED;
	}
}

/* Learn where and how our stream ended from its end record.  A record
 * already reused (GEN_HISTORY newer streams meanwhile): the stream ends
 * where we are, and how is unknown (-SHMCAT_EBEHIND), its writer too;
 * an impossible one: likewise, taken for a death as before. */
static void
learn_end(struct shmcat_ring *r)
{
	struct stream_end *e = &r->sh->ends[r->gen % GEN_HISTORY];
	uint64_t end;
	uint32_t how;
	int32_t pid;

	r->gen_over = 1;
	r->gen_end = r->pos;
	r->end_rc = -SHMCAT_EBEHIND;
	r->end_pid = 0;
	if (atomic_load(&e->gen) != r->gen)
		return;
	end = atomic_load(&e->end);
	how = atomic_load(&e->how);
	pid = atomic_load(&e->pid);
	if (atomic_load(&e->gen) != r->gen) /* reused as we read it */
		return;
	r->end_rc = -SHMCAT_EDIED;
	if ((int64_t)(end - r->pos) < 0 ||
	    ((r->flags & SHMCAT_O_TAP) == 0 && end - r->pos > r->cap))
		return;
	r->gen_end = end;
	r->end_rc = end_code(how);
	r->end_pid = pid;
}

/* 1 if a writer has started the next stream after ours. */
int
stream_over(struct shmcat_ring *r)
{
	/* Pairs with the new writer's store of generation, made after it
	 * filled in our stream's end record and before its first commit. */
	if (!r->gen_over && load_acquire64(&r->sh->generation) != r->gen)
		learn_end(r);
	return r->gen_over;
}

/* The end of the bytes this reader may deliver: tail, or the end of its
 * stream if a newer one follows (see Generations above). */
uint64_t
visible_tail(struct shmcat_ring *r)
{
	uint64_t tail = load_acquire64(&r->sh->tail); /* (A) */

	return stream_over(r) ? r->gen_end : tail;
}

/* The lowest position any non-tap reader still needs.  Writer only. */
int
ring_floor(struct shmcat_ring *r, uint64_t *floor)
{
	struct shared *sh = r->sh;
	uint64_t first, second, hint;
	int rc;

	if ((rc = reader_scan_min(sh, r->tail, r->cap, &first)) != 0)
		return rc;
	hint = load_relaxed64(&sh->floor);
	if (first - hint <= r->cap && first != hint)
		atomic_store(&sh->floor, first); /* seq_cst: see diagram */
	fence_full();
	if ((rc = reader_scan_min(sh, r->tail, r->cap, &second)) != 0)
		return rc;
	*floor = r->tail - second > r->tail - first ? second : first;
	return 0;
}

void
writer_begin(struct shmcat_ring *r)
{
	r->tail = load_relaxed64(&r->sh->tail);
	r->limit = r->tail; /* recomputed on the first span */
}

/* A handle that may use the span calls: a bytes writer.  A record
 * writer's commits must go through shmcat_write_record, under the lock
 * that keeps records whole. */
static int
bytes_writer(const struct shmcat_ring *r)
{
	int rc;

	if (r == NULL)
		return -EINVAL;
	if ((rc = handle_check(r, SHMCAT_WRITER)) != 0)
		return rc;
	return r->flags & (SHMCAT_O_LINES | SHMCAT_O_NUL) ? -SHMCAT_EROLE : 0;
}

size_t
shmcat_write_span(struct shmcat_ring *r, void **p)
{
	if (p)
		*p = NULL;
	/* commit and wait say why not */
	return bytes_writer(r) == 0 && p ? writer_span(r, p) : 0;
}

int
shmcat_write_commit(struct shmcat_ring *r, size_t n)
{
	int rc = bytes_writer(r);

	return rc ? rc : writer_commit(r, n);
}

size_t
writer_span(struct shmcat_ring *r, void **p)
{
	uint64_t floor;

	if (r->role != SHMCAT_WRITER) { /* commit and wait say why */
		*p = NULL;
		return 0;
	}
	/* Re-scan the cursors only when half our known space is used:
	 * amortised over many commits, yet spans stay large. */
	if (r->limit - r->tail < r->cap / 2) {
		if (ring_floor(r, &floor) != 0)
			return 0; /* shmcat_wait_space reports it */
		r->limit = floor + r->cap;
		/* Taps must learn of the reservation before any byte of it
		 * changes; the fence orders this store before our writes. */
		store_relaxed64(&r->sh->reserve_end, r->limit);
		fence_full();
	}
	*p = r->data + r->tail % r->cap;
	return r->limit - r->tail;
}

int
writer_commit(struct shmcat_ring *r, size_t n)
{
	if (n > r->limit - r->tail)
		return -EINVAL;
	/* Only we move tail: if it moved, a peer scribbled on it, and the
	 * readers may have been shown bytes we never wrote. */
	if (load_relaxed64(&r->sh->tail) != r->tail)
		return -SHMCAT_ECORRUPT;
	r->tail += n;
	r->count.bytes += n;
	store_release64(&r->sh->tail, r->tail); /* (A) */
	note_cpu(&r->sh->writer_cpu);
	wake_readers(r->sh);
	return 0;
}

size_t
shmcat_read_span(struct shmcat_ring *r, const void **p)
{
	uint64_t tail;

	if (p)
		*p = NULL;
	/* commit and wait say why not */
	if (r == NULL || p == NULL || handle_check(r, SHMCAT_READER) != 0)
		return 0;
	if (r->flags & SHMCAT_O_TAP) { /* see shmcat_wait_data */
		r->spanned = 1;
		return 0;
	}
	tail = visible_tail(r);
	if (check_distance(r->pos, tail, r->cap) != 0) {
		r->seen_tail = r->pos; /* report corruption via wait_data */
		*p = NULL;
		return 0;
	}
	r->seen_tail = tail;
	*p = r->data + r->pos % r->cap;
	return tail - r->pos;
}

int
shmcat_read_commit(struct shmcat_ring *r, size_t n)
{
	int rc;

	if (r == NULL)
		return -EINVAL;
	if ((rc = handle_check(r, SHMCAT_READER)) != 0)
		return rc;
	if (r->flags & SHMCAT_O_TAP)
		return -SHMCAT_EROLE;
	if (n > r->seen_tail - r->pos)
		return -EINVAL;
	r->pos += n;
	r->count.bytes += n;
	/* (B): we are done reading these bytes. */
	store_release64(&r->sh->readers[r->slot].pos, r->pos);
	note_cpu(&r->sh->readers[r->slot].cpu);
	wake_writer_if_room(r);
	return 0;
}
