/*
 * copy.c - the validated copy: copy bytes out of the ring, then check
 * that the writer had not reserved over them meanwhile.
 *
 * A reader the writer does not wait for (the tap) cannot use bytes in
 * place: the writer may be overwriting them as they are read.  So it
 * copies them out first and judges the copy afterwards.  The writer
 * stores reserve_end, and fences, before it writes below it (ring.c):
 * a byte p copied before reserve_end is loaded again is intact iff
 * p >= reserve_end - capacity.  Bytes below that were lapped: they are
 * dropped and counted as skipped, and in a record mode the rest of a
 * record cut that way is dropped too, up to the next record end.
 */
#include <string.h>

#include "barrier.h"
#include "shmcat_int.h"

/* Drop bytes up to and including the next record end (after a skip). */
static size_t
resync(struct shmcat_ring *r, unsigned char *buf, size_t len)
{
	uint32_t mode = atomic_load(&r->sh->record_mode);
	unsigned char *end;

	if (mode != MODE_LINES && mode != MODE_NUL) {
		r->eol = 0;
		return 0;
	}
	end = memchr(buf, mode == MODE_LINES ? '\n' : '\0', len);
	if (end == NULL)
		return len;
	r->eol = 0;
	return (size_t)(end - buf) + 1;
}

/* Move the reader past lapped bytes, up to to; count them as skipped. */
static void
skip_lapped(struct shmcat_ring *r, uint64_t to, uint64_t *skipped)
{
	*skipped += to - r->pos;
	r->count.skipped += to - r->pos;
	atomic_fetch_add(&r->sh->readers[r->slot].skipped, to - r->pos);
	r->pos = to;
	r->eol = 1;
}

/* Copy len committed bytes at the reader's position into buf, then drop
 * from its front those the writer reserved over meanwhile (skipping
 * them); what is left in buf, intact, is returned. */
static size_t
copy_then_check(struct shmcat_ring *r, void *buf, size_t len,
    uint64_t *skipped)
{
	uint64_t oldest;
	size_t drop;

	memcpy(buf, r->data + r->pos % r->cap, len);
	/* Validate after copy: order the copy before re-reading the
	 * reservation; bytes below it minus capacity may have changed. */
	fence_acquire();
	oldest = load_relaxed64(&r->sh->reserve_end) - r->cap;
	if ((int64_t)(oldest - r->pos) > 0) {
		drop = oldest - r->pos < len ? oldest - r->pos : len;
		skip_lapped(r, r->pos + drop, skipped);
		memmove(buf, (unsigned char *)buf + drop, len - drop);
		len -= drop;
	}
	return len;
}

/*
 * Up to n bytes of the stream at the reader's position, copied into buf
 * and validated; the reader moves past them and past any it was lapped
 * by (added to *skipped).  The bytes delivered, 0 if none are there yet,
 * or -SHMCAT_ECORRUPT.
 */
ssize_t
copy_validated(struct shmcat_ring *r, void *buf, size_t n, uint64_t *skipped)
{
	uint64_t tail, oldest;
	size_t len, drop;

	tail = visible_tail(r);
	oldest = load_relaxed64(&r->sh->reserve_end);
	/* The writer reserves before it commits: tail beyond the
	 * reservation was scribbled, and stale bytes would look new. */
	if ((int64_t)(tail - oldest) > 0)
		return -SHMCAT_ECORRUPT;
	oldest -= r->cap;
	if ((int64_t)(oldest - r->pos) > 0 && (int64_t)(tail - oldest) >= 0)
		skip_lapped(r, oldest, skipped);
	if ((int64_t)(tail - r->pos) <= 0)
		return 0;
	len = tail - r->pos < n ? tail - r->pos : n;
	if (len > r->cap)
		len = r->cap;
	len = copy_then_check(r, buf, len, skipped);
	drop = r->eol ? resync(r, buf, len) : 0;
	memmove(buf, (unsigned char *)buf + drop, len - drop);
	r->pos += len;
	r->count.bytes += len - drop;
	/* for inspection only */
	store_relaxed64(&r->sh->readers[r->slot].pos, r->pos);
	return (ssize_t)(len - drop);
}
