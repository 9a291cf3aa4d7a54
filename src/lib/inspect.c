/*
 * inspect.c - what a ring holds and who uses it, and listing.
 *
 * Inspection maps the ring read-only (open.c), and everything it hands
 * out has been checked: any process that may write the ring may have
 * written anything, and these values end up on terminals, in key=value
 * lines and in messages.  Strings come out as [A-Za-z0-9._-] and '?',
 * process ids within the kernel's range or 0, times within years 1970
 * to 9999 or 0, counts within what a ring can hold.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "barrier.h"
#include "shmcat_int.h"

#define TIME_LIMIT INT64_C(253402300799) /* 9999-12-31 23:59:59 UTC */

/* Copy a name of at most len bytes from the ring into out[len + 1],
 * every byte outside [A-Za-z0-9._-] turned into '?'; it ends at the
 * first NUL or after len bytes. */
static void
safe_name(char *out, const char *in, size_t len)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = ((const volatile char *)in)[i]; /* read each byte once */
		if (c == '\0')
			break;
		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' ? c : '?';
	}
	out[i] = '\0';
}

static const char *
kind_name(uint32_t kind)
{
	static const char *const names[] = {"free", "default", "named",
	    "anonymous", "tap"};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "corrupt";
}

static const char *
state_name(int ws, uint32_t flags)
{
	if (flags & STREAM_HANGUP)
		return "hangup";
	if (ws == WRITERS_ALIVE || ws == WRITERS_NONE_YET)
		return "open";
	if (ws == WRITERS_DIED)
		return "writer-died";
	if (flags & STREAM_INTERRUPTED)
		return "interrupted";
	return flags & STREAM_EOF ? "ended" : "open";
}

/* 0, or the -errno of a liveness probe that failed. */
static int
reader_status(struct shmcat_ring *r, int i, const struct positions *p,
    struct shmcat_reader_status *rs)
{
	struct reader_slot *s = &r->sh->readers[i];
	int alive = lock_held_by_other(r->fd, LOCK_RSLOT + i, 1);

	if (alive < 0)
		return alive;
	memset(rs, 0, sizeof(*rs));
	rs->slot = i;
	safe_name(rs->name, s->name, SHMCAT_READER_NAME_MAX);
	rs->kind = kind_name(p->kind[i]);
	rs->pos = p->pos[i];
	/* a tap may be lapped; a joining cursor jumps up to the floor */
	rs->lag = (int64_t)(p->tail - rs->pos) < 0 ? 0 : p->tail - rs->pos;
	rs->alive = alive;
	rs->pid = rs->alive ? safe_pid(atomic_load(&s->pid)) : 0;
	rs->sleeps = atomic_load(&s->sleeps);
	rs->skipped = atomic_load(&s->skipped);
	return 0;
}

/* A reader whose stream is over, or was cut short, reports that stream:
 * the next one's writer may be in the shared fields by now. */
static void
own_stream(struct shmcat_ring *r, struct shmcat_status *st)
{
	if (r->role != SHMCAT_READER || (!r->gen_over && r->end_pid == 0))
		return;
	/* a stream that is over: its writer, or 0 if that is unknown */
	st->writer_pid = safe_pid((int32_t)r->end_pid);
	if (r->gen_over)
		st->state = r->end_rc == SHMCAT_EOF ? "ended" :
		    r->end_rc == -SHMCAT_EHANGUP ? "hangup" :
		    r->end_rc == -SHMCAT_EINTERRUPTED ? "interrupted" :
		    r->end_rc == -SHMCAT_EBEHIND ? "unknown" :
		    "writer-died";
}

int
shmcat_status(struct shmcat_ring *r, struct shmcat_status *st)
{
	struct shared *sh;
	static const char *const modes[] = {"unset", "bytes", "lines", "nul"};
	struct positions p;
	uint32_t mode, i;
	uint64_t ev;
	int rc, ws, writer;

	if (r == NULL || st == NULL)
		return -EINVAL;
	if (handle_forked(r)) /* any role may look, from its own process */
		return -SHMCAT_EFORKED;
	sh = r->sh;
	mode = atomic_load(&sh->record_mode);
	ev = atomic_load(&sh->writer_events);
	memset(st, 0, sizeof(*st));
	st->capacity = r->cap;
	st->object_size = r->hdr + r->cap;
	/* cursors before tail: see observe_positions */
	if ((rc = observe_positions(r, &p)) != 0)
		return rc;
	st->tail = p.tail;
	st->floor = p.min;
	st->buffered = st->tail - st->floor;
	st->record_mode = mode < 4 ? modes[mode] : "corrupt";
	/* A liveness probe that fails is an error, not a death.  The
	 * probe does not see our own lock: a writer's handle is a live
	 * writer. */
	if (r->role == SHMCAT_WRITER) {
		ws = WRITERS_ALIVE;
		writer = 1;
	} else if ((ws = writers_state(r)) < 0) {
		return ws;
	} else if ((writer = lock_held_by_other(r->fd, LOCK_WRITER, 1)) < 0) {
		return writer;
	}
	st->state = state_name(ws, atomic_load(&sh->stream_flags));
	st->writer_alive = writer;
	st->writer_pid = safe_pid(atomic_load(&sh->writer_pid));
	st->writers_active = (uint32_t)ev > SHMCAT_MAX_WRITERS ?
	    SHMCAT_MAX_WRITERS : (int)(uint32_t)ev;
	st->writer_sleeps = atomic_load(&sh->writer_sleeps);
	st->creator_pid = safe_pid(((volatile struct shared *)sh)->creator_pid);
	st->created_sec = ((volatile struct shared *)sh)->created_sec;
	if (st->created_sec < 0 || st->created_sec > TIME_LIMIT)
		st->created_sec = 0; /* unknown */
	st->feat_compat = atomic_load(&sh->feat_compat);
	st->feat_ro_compat = atomic_load(&sh->feat_ro_compat);
	st->feat_incompat = atomic_load(&sh->feat_incompat);
	st->dir = r->dir.path;
	st->fs = r->dir.fs;
	st->page_size = r->page;
	r->nstatus = 0;
	for (i = 0; i < SHMCAT_MAX_READERS; i++) {
		if (p.kind[i] == SLOT_FREE)
			continue;
		if ((rc = reader_status(r, i, &p, &r->status[r->nstatus])) != 0) {
			r->nstatus = -1;
			return rc;
		}
		st->readers_alive += r->status[r->nstatus].alive;
		r->nstatus++;
	}
	st->nreaders = r->nstatus;
	own_stream(r, st);
	/* Its name removed under us (rm, RemoveIPC=): whatever the stream
	 * does, nobody can attach to it any more. */
	if (still_published(r) == 0)
		st->state = "unlinked";
	return 0;
}

int
shmcat_reader_status(struct shmcat_ring *r, int i,
    struct shmcat_reader_status *rs)
{
	if (r == NULL || rs == NULL)
		return -EINVAL;
	if (handle_forked(r))
		return -SHMCAT_EFORKED;
	if (r->nstatus < 0)
		return -EINVAL;
	if (i < 0 || i >= r->nstatus)
		return -ERANGE;
	*rs = r->status[i];
	return 0;
}

/* readdir(3), with its end (NULL, *rc 0) told from its failure (NULL,
 * *rc -errno): only errno says which, so a failure is no longer taken
 * for an empty directory. */
static struct dirent *
next_entry(DIR *d, int *rc)
{
	struct dirent *de;

	errno = 0;
	if ((de = readdir(d)) == NULL)
		*rc = -errno;
	return de;
}

/* Call fn for each ring name in the open directory d. */
static int
each_ring(const struct ring_dir *d, int (*fn)(const char *name, void *ctx),
    void *ctx)
{
	const size_t plen = strlen(SHMCAT_PREFIX);
	struct dirent *de;
	DIR *dp;
	int rc = 0;

	if ((dp = dir_stream(d->fd)) == NULL)
		return -errno;
	while (rc == 0 && (de = next_entry(dp, &rc)) != NULL)
		if (strncmp(de->d_name, SHMCAT_PREFIX, plen) == 0 &&
		    shmcat_valid_name(de->d_name + plen))
			rc = fn(de->d_name + plen, ctx);
	closedir(dp);
	return rc;
}

int
shmcat_list_in(const char *dir, int (*fn)(const char *name, void *ctx),
    void *ctx)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT};
	struct ring_dir d;
	int rc;

	if (fn == NULL)
		return -EINVAL;
	if ((rc = dir_open(&d, dir, &o, NULL)) != 0)
		return rc;
	rc = each_ring(&d, fn, ctx);
	/* and the build files creators left when they died (build.c) */
	if (rc == 0)
		rc = each_abandoned(d.fd, NULL, fn, ctx);
	dir_close(&d);
	return rc;
}

int
shmcat_list(int (*fn)(const char *name, void *ctx), void *ctx)
{
	return shmcat_list_in(NULL, fn, ctx);
}
