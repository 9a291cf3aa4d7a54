/*
 * reader.c - reader cursors: claim, resume, release, and the tap.
 *
 * Slot 0 is the default cursor; it exists from creation, so a writer that
 * starts first keeps its bytes for the first reader, and a restarted
 * reader resumes where the last one stopped.  A reader that finds slot 0
 * held takes an anonymous slot instead (fan-out: it gets the stream from
 * the oldest byte still in the ring), released when it leaves or dies.
 * Named slots (--reader NAME) persist like slot 0.  The first named
 * reader adopts the default cursor if nobody holds it (it inherits the
 * bytes kept for "the first reader", and slot 0 stops holding the writer
 * back); a later plain reader re-creates slot 0 at the oldest byte kept.
 * Taps are slots the writer ignores.  A slot is owned by whoever holds
 * its OFD lock byte.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "barrier.h"
#include "shmcat_int.h"

static int
slot_lock(struct shmcat_ring *r, int i)
{
	return lock_try(r->fd, LOCK_RSLOT + i, 1);
}

/* Publish a new cursor at start, then apply the floor handshake: if the
 * writer raised the floor past us meanwhile, those bytes may be gone and
 * we start at the floor instead (see ring.c). */
static void
place_cursor(struct shmcat_ring *r, struct reader_slot *s, uint32_t kind,
    const uint64_t *from)
{
	uint64_t start, floor;

	if (from)
		start = *from;
	else if (r->flags & SHMCAT_O_NEW)
		start = atomic_load(&r->sh->tail);
	else
		start = atomic_load(&r->sh->floor);
	atomic_store(&s->pos, start);
	atomic_store(&s->kind, kind); /* seq_cst: writer scans kind, pos */
	for (;;) {
		floor = atomic_load(&r->sh->floor);
		if ((int64_t)(floor - start) <= 0)
			break;
		start = floor;
		atomic_store(&s->pos, start);
	}
	/* Moving up may have freed the very space a writer sleeps for, and
	 * our first, lower cursor may be what it saw (model/README.md, A). */
	wake_writer(r->sh);
}

/* A slot for a new cursor of this kind.  -SHMCAT_EFULLREADERS if every
 * slot holds a reader; -SHMCAT_EBUSY if some are free yet locked, by a
 * reader about to take one or by a peer that holds the lock bytes
 * without taking part (DESIGN.md, Threat model): in use, not full. */
static int
claim_free_slot(struct shmcat_ring *r, uint32_t kind, const char *name,
    const uint64_t *from)
{
	struct reader_slot *s;
	uint32_t k;
	int i, locked_free = 0;

	for (i = 1; i < SHMCAT_MAX_READERS; i++) {
		s = &r->sh->readers[i];
		k = atomic_load(&s->kind);
		if (k != SLOT_FREE && k != SLOT_ANON && k != SLOT_TAP)
			continue;
		if (slot_lock(r, i) != 0) {
			locked_free += k == SLOT_FREE;
			continue;
		}
		/* Ours now; an anonymous or tap holder without the lock is
		 * dead and its cursor is released with it. */
		k = atomic_load(&s->kind);
		if (k != SLOT_FREE && k != SLOT_ANON && k != SLOT_TAP) {
			lock_release(r->fd, LOCK_RSLOT + i);
			continue;
		}
		atomic_store(&s->kind, SLOT_FREE);
		memset(s->name, 0, sizeof(s->name));
		if (name)
			strncpy(s->name, name, SHMCAT_READER_NAME_MAX);
		atomic_store(&s->sleeps, 0);
		atomic_store(&s->skipped, 0);
		place_cursor(r, s, kind, from);
		return i;
	}
	return locked_free ? -SHMCAT_EBUSY : -SHMCAT_EFULLREADERS;
}

static int
find_named(struct shmcat_ring *r, const char *name)
{
	int i;

	for (i = 1; i < SHMCAT_MAX_READERS; i++)
		if (atomic_load(&r->sh->readers[i].kind) == SLOT_NAMED &&
		    strncmp(r->sh->readers[i].name, name,
			SHMCAT_READER_NAME_MAX) == 0)
			return i;
	return -1;
}

/* Take an existing persistent slot and resume at its cursor. */
static int
resume_slot(struct shmcat_ring *r, int i, struct shmcat_error *err)
{
	struct reader_slot *s = &r->sh->readers[i];
	int rc = slot_lock(r, i);

	if (rc == -EAGAIN) {
		if (err)
			err->pid = reader_holder(r, i);
		return -SHMCAT_EBUSY;
	}
	if (rc != 0)
		return rc;
	if (atomic_load(&s->kind) == SLOT_FREE) /* slot 0, given away */
		place_cursor(r, s, SLOT_DEFAULT, NULL);
	else if (r->flags & SHMCAT_O_NEW) { /* skip what this cursor kept */
		store_release64(&s->pos, atomic_load(&r->sh->tail));
		wake_writer(r->sh);
	}
	r->pos = atomic_load(&s->pos);
	if (check_distance(r->pos, atomic_load(&r->sh->tail), r->cap) != 0)
		return -SHMCAT_ECORRUPT;
	return i;
}

/* A new named cursor: adopt the default one if nobody holds it.  The
 * named slot is in place before slot 0 lets go, so the writer never sees
 * neither of them.  A lock that fails for another reason than a holder
 * is an error: not adopting a default cursor that nobody reads would
 * leave it holding the writer back. */
static int
new_named(struct shmcat_ring *r, const char *rname)
{
	struct reader_slot *s0 = &r->sh->readers[0];
	uint64_t pos;
	int i, adopt, held = slot_lock(r, 0);

	if (held != 0 && held != -EAGAIN)
		return held;
	adopt = held == 0 && atomic_load(&s0->kind) == SLOT_DEFAULT;
	pos = atomic_load(&s0->pos);
	/* With --new, the adopted bytes are skipped like any old data: the
	 * cursor starts at tail (place_cursor). */
	i = claim_free_slot(r, SLOT_NAMED, rname,
	    adopt && !(r->flags & SHMCAT_O_NEW) ? &pos : NULL);
	if (adopt && i > 0) {
		atomic_store(&s0->kind, SLOT_FREE);
		LOG(r, "named reader %s adopts the default cursor at byte %llu",
		    rname, (unsigned long long)pos);
	}
	lock_release(r->fd, LOCK_RSLOT + 0);
	return i;
}

/* Hold LOCK_NAMES: only one process at a time looks a name up and
 * creates it if missing, so two first starts of one name make one slot.
 * Holders keep it for microseconds; one that dies loses it. */
static int
names_lock(struct shmcat_ring *r)
{
	return lock_wait(r, LOCK_NAMES, 1, -1);
}

static int
named_reader(struct shmcat_ring *r, const char *rname, struct shmcat_error *err)
{
	int i, rc;

	if ((rc = names_lock(r)) != 0)
		return rc;
	i = find_named(r, rname);
	i = i > 0 ? resume_slot(r, i, err) : new_named(r, rname);
	lock_release(r->fd, LOCK_NAMES);
	return i;
}

/* A plain reader: the default cursor, re-created if a named reader took
 * it over; when another reader holds it, an anonymous cursor (fan-out). */
static int
plain_reader(struct shmcat_ring *r, struct shmcat_error *err)
{
	int i = resume_slot(r, 0, err);

	return i == -SHMCAT_EBUSY ? claim_free_slot(r, SLOT_ANON, NULL, NULL) : i;
}

/*
 * Which stream the new cursor reads: the generation current once it is
 * in place.  A cursor below that stream's start (a persistent one from
 * an older stream, or one placed while a writer started the stream) is
 * moved up to it: those bytes belong to a stream that is over.  A
 * cursor placed before the new generation was stored belongs to the old
 * stream, and the new writer's scans see it (ring.c, Generations).
 */
static void
join_generation(struct shmcat_ring *r, struct reader_slot *s)
{
	uint64_t gen, start;

	do {
		gen = atomic_load(&r->sh->generation);
		start = atomic_load(&r->sh->gen_start);
	} while (gen != atomic_load(&r->sh->generation));
	r->gen = gen;
	r->pos = atomic_load(&s->pos);
	if ((int64_t)(start - r->pos) > 0 && !(r->flags & SHMCAT_O_TAP) &&
	    start - r->pos <= r->cap) {
		r->pos = start;
		store_release64(&s->pos, start);
		wake_writer(r->sh);
	}
}

int
reader_attach(struct shmcat_ring *r, const char *rname, struct shmcat_error *err)
{
	int i;

	if (r->flags & SHMCAT_O_TAP) {
		i = claim_free_slot(r, SLOT_TAP, NULL, NULL);
	} else if (rname) {
		i = named_reader(r, rname, err);
	} else {
		i = plain_reader(r, err);
	}
	if (i < 0) {
		if (err) {
			err->code = i;
			strcpy(err->call, "attach");
		}
		return i;
	}
	r->slot = i;
	join_generation(r, &r->sh->readers[i]);
	if (!(r->flags & SHMCAT_O_TAP) &&
	    check_distance(r->pos, atomic_load(&r->sh->tail), r->cap) != 0) {
		if (err) {
			err->code = -SHMCAT_ECORRUPT;
			strcpy(err->call, "header");
		}
		lock_release(r->fd, LOCK_RSLOT + i);
		return -SHMCAT_ECORRUPT;
	}
	atomic_store(&r->sh->readers[i].pid, (int32_t)getpid());
	LOG(r, "reader slot %d (%s) at byte %llu", i, i == 0 ? "default" :
	    rname ? "named" : (r->flags & SHMCAT_O_TAP) ? "tap" : "anonymous",
	    (unsigned long long)r->pos);
	return 0;
}

/* Release the slots of anonymous readers and taps that died. */
int
reap_dead_readers(struct shmcat_ring *r)
{
	struct reader_slot *s;
	uint32_t k;
	int i, n = 0;

	for (i = 1; i < SHMCAT_MAX_READERS; i++) {
		s = &r->sh->readers[i];
		k = atomic_load(&s->kind);
		if ((k != SLOT_ANON && k != SLOT_TAP) || slot_lock(r, i) != 0)
			continue;
		if (atomic_load(&s->kind) == k) {
			atomic_store(&s->kind, SLOT_FREE);
			LOG(r, "reader slot %d: holder %d died, released", i,
			    (int)atomic_load(&s->pid));
			n += k == SLOT_ANON;
		}
		lock_release(r->fd, LOCK_RSLOT + i);
	}
	return n;
}

/* The tap's bytes are the validated copy's (copy.c): the writer does
 * not wait for a tap, so it may lap one. */
ssize_t
shmcat_tap_read(struct shmcat_ring *r, void *buf, size_t n, uint64_t *skipped)
{
	uint64_t unused = 0;
	int rc;

	if (r == NULL || (buf == NULL && n > 0))
		return -EINVAL;
	if ((rc = handle_check(r, SHMCAT_READER)) != 0)
		return rc;
	if (!(r->flags & SHMCAT_O_TAP))
		return -SHMCAT_EROLE;
	r->spanned = 0;
	return copy_validated(r, buf, n, skipped ? skipped : &unused);
}

/* 1 if there are bytes to deliver, 0 if not, -SHMCAT_ECORRUPT if the
 * positions are impossible.  A tap may legitimately be lapped. */
static int
peek(struct shmcat_ring *r)
{
	uint64_t tail = visible_tail(r);

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

/* rc is an end of the stream that cut it short, or may have. */
static int
truncated(int rc)
{
	return rc == -SHMCAT_EDIED || rc == -SHMCAT_EINTERRUPTED ||
	    rc == -SHMCAT_EHANGUP || rc == -SHMCAT_EBEHIND;
}

/* How the stream stands for a reader that has consumed everything:
 * 0 (more may come), SHMCAT_EOF, a negative truncation code, or the
 * -errno of a liveness probe that failed (an error, not an end).  Read
 * from the shared count and flags, which belong to the current stream. */
static int
stream_state(struct shmcat_ring *r)
{
	uint32_t flags;
	int ws;

	if (atomic_load(&r->sh->stream_flags) & STREAM_HANGUP)
		return -SHMCAT_EHANGUP;
	ws = writers_state(r);
	if (ws < 0)
		return ws;
	if (ws == WRITERS_DIED)
		return -SHMCAT_EDIED;
	if (ws != WRITERS_GONE_CLEAN)
		return 0;
	/* After the count: writers set the flag before they decrement it. */
	flags = atomic_load(&r->sh->stream_flags);
	if (flags & STREAM_INTERRUPTED)
		return -SHMCAT_EINTERRUPTED;
	/* A hand-off whose joiner died before it was counted: the last
	 * writer did end the stream. */
	return flags & (STREAM_EOF | STREAM_HANDOFF) ? SHMCAT_EOF : 0;
}

/* The same for our stream.  A writer starting the next stream stores
 * the generation before it touches the count, the flags or writer_pid,
 * so if any of them was the next stream's, the generation loaded after
 * them is too: then our stream's end record says how it ended
 * (model/ring.pml, LIFE, found the reader that took a newer stream's
 * end for its own without this second look). */
static int
end_of_stream(struct shmcat_ring *r)
{
	int32_t pid;
	int rc;

	if (stream_over(r))
		return r->end_rc;
	rc = stream_state(r);
	pid = atomic_load(&r->sh->writer_pid);
	if (stream_over(r))
		return r->end_rc;
	if (truncated(rc))
		r->end_pid = pid;
	return rc;
}

/* 1 if this cursor has read all of its stream, which has ended cleanly
 * and is still the current one (an older stream's flags are gone). */
static int
read_to_the_end(struct shmcat_ring *r)
{
	return !(r->flags & SHMCAT_O_TAP) && peek(r) == 0 &&
	    end_of_stream(r) == SHMCAT_EOF && !r->gen_over;
}

void
reader_detach(struct shmcat_ring *r, enum shmcat_end how)
{
	struct reader_slot *s = &r->sh->readers[r->slot];
	uint32_t kind = atomic_load(&s->kind);

	/* Hanging up ends our stream; a newer one is not ours to end. */
	if (how == SHMCAT_HANGUP && !stream_over(r)) {
		atomic_fetch_or(&r->sh->stream_flags,
		    STREAM_HANGUP | STREAM_DELIVERED);
		LOG(r, "hangup: ending the stream for the writer");
	}
	/* A reader that read to the end of a stream that ended cleanly has
	 * delivered it, even if it never asked how it ended (a consumer
	 * that takes the records it expects): as for shmcat_wait_data, the
	 * ring may go once it is read. */
	if (how == SHMCAT_END && read_to_the_end(r)) {
		atomic_fetch_or(&r->sh->stream_flags, STREAM_DELIVERED);
		LOG(r, "read to the end of the stream, which ended cleanly");
	}
	atomic_store(&s->pid, 0);
	if (kind == SLOT_ANON || kind == SLOT_TAP)
		atomic_store(&s->kind, SLOT_FREE);
	/* Our cursor may have been the floor, or the writer may wait for
	 * the hangup: let it look again. */
	wake_writer(r->sh);
	lock_release(r->fd, LOCK_RSLOT + r->slot);
}

/* Data after a wait may be the first of a stream that started while we
 * waited, with bits we lack: the writer stored them before its first
 * commit, so they are visible with the data (features.c). */
static int
new_data(struct shmcat_ring *r)
{
	return features_check(r, NULL);
}

int
shmcat_wait_data(struct shmcat_ring *r, int timeout_ms)
{
	struct shared *sh;
	uint32_t bit;
	int64_t deadline;
	int rc;

	if (r == NULL || !timeout_valid(timeout_ms))
		return -EINVAL;
	if ((rc = handle_check(r, SHMCAT_READER)) != 0)
		return rc;
	/* A tap's bytes come from shmcat_tap_read; a loop that asks the
	 * span calls, which give it nothing, would be told "data" for ever
	 * and spin.  Since its last tap_read, it is told this instead. */
	if ((r->flags & SHMCAT_O_TAP) && r->spanned)
		return -SHMCAT_EROLE;
	sh = r->sh;
	bit = 1u << r->slot; /* a reader has a slot */
	timeout_ms = effective_timeout(r, timeout_ms);
	deadline = deadline_of(timeout_ms);
	if (timeout_ms != 0 && spin_until(r, has_data,
	    load_relaxed32(&sh->writer_cpu) != this_cpu()))
		return peek(r) < 0 ? -SHMCAT_ECORRUPT : new_data(r);
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
			return rc < 0 ? rc : new_data(r);
		if ((rc = end_of_stream(r)) != 0) {
			if (rc != SHMCAT_EOF && !truncated(rc))
				return rc; /* a probe failed: no end known */
			if (peek(r) != 0) /* committed just before the end */
				continue;
			/* Reported: the ring may go once it is read.  Not
			 * for a stream that is over: the flags are the
			 * next stream's by now. */
			if (!r->gen_over)
				atomic_fetch_or(&sh->stream_flags,
				    STREAM_DELIVERED);
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
		r->count.sleeps++;
		rc = sleep_on(r, &sh->readers[r->slot].wake, deadline);
		atomic_fetch_and(&sh->readers_waiting, ~bit);
		atomic_fetch_add(&sh->readers[r->slot].sleeps, 1);
		LOG(r, "sem_wait: %s", rc == 0 ? "woken" : rc == -ETIMEDOUT ?
		    "slice over, re-checking" : shmcat_strerror(rc));
		if (rc == -EINTR || rc == -SHMCAT_ECORRUPT)
			return rc;
	}
}

/*
 * For a bridge thread (bridge.c): sleep until at least min bytes lie
 * beyond pos, the stream ends, the positions turn impossible, or *stop
 * is set; 1 if there is something to report, 0 if stopped.  s is the
 * thread's private copy of the handle: the caller's thread owns the
 * cursor and the counters, so this reads only shared state.
 */
static int
beyond(struct shmcat_ring *s, uint64_t pos, size_t min)
{
	uint64_t tail = load_acquire64(&s->sh->tail);

	return (int64_t)(tail - pos) < 0 || tail - pos >= min ||
	    end_of_stream(s) != 0;
}

int
reader_wait_beyond(struct shmcat_ring *s, uint64_t pos, size_t min,
    const _Atomic int *stop)
{
	struct shared *sh = s->sh;
	uint32_t bit = 1u << s->slot;
	int rc, ready;

	while (!atomic_load(stop)) {
		if (beyond(s, pos, min))
			return 1;
		atomic_fetch_or(&sh->readers_waiting, bit); /* (C) */
		fence_full();
		ready = beyond(s, pos, min);
		if (!ready && !atomic_load(stop))
			rc = sleep_on(s, &sh->readers[s->slot].wake, -1);
		else
			rc = 0;
		atomic_fetch_and(&sh->readers_waiting, ~bit);
		if (ready || rc == -SHMCAT_ECORRUPT)
			return 1; /* the caller's wait_data says what */
	}
	return 0;
}
