/*
 * view.c - the rings at one moment, for shmcat status --watch and
 * --prom: each opened and its status taken, and its rates worked out
 * against the moment before.
 *
 * A ring is opened afresh at every tick, so one removed and made anew
 * under the same name is seen as what it is; its rates start over when
 * its creation (time and pid) differs, or a count went backwards.  The
 * handles stay open until view_release, since a status's strings live
 * as long as its handle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static struct ring_view *
new_entry(struct view *v, const char *name)
{
	struct ring_view *rv;
	int cap;

	if (v->n == v->cap) {
		cap = v->cap ? 2 * v->cap : 16;
		rv = realloc(v->now, (size_t)cap * sizeof(*rv));
		if (rv == NULL) {
			warnx_ring(NULL, "%s", strerror(ENOMEM));
			exit(EXIT_IO);
		}
		v->now = rv;
		v->cap = cap;
	}
	rv = &v->now[v->n++];
	memset(rv, 0, sizeof(*rv));
	snprintf(rv->name, sizeof(rv->name), "%s", name);
	return rv;
}

static void
no_such_ring(struct ring_view *rv)
{
	rv->bad = "gone";
	snprintf(rv->why, sizeof(rv->why), "no such ring");
}

/* What stands at name if it is not a ring we can show, in why. */
void
describe_invalid(const char *name, const struct shmcat_error *err,
    char *why, size_t len)
{
	char path[PATH_MAX];
	const char *kind = NULL;

	if (err->code == -SHMCAT_ENOTRING)
		kind = odd_kind(name, path, sizeof(path));
	if (kind)
		snprintf(why, len, "a %s, not a shmcat ring", kind);
	else
		snprintf(why, len, "%s", shmcat_strerror(err->code));
}

/* Say nothing of a ring that cannot be shown: watching, the output
 * says it; taking every ring, it was not asked for by name. */
static int
quiet(const struct view *v)
{
	return v->quiet || v->nnames == 0;
}

/* A ring's entry, open with its status, or saying why not; an exit
 * status if a named ring could not be shown (after saying why, unless
 * quiet). */
static int
take_ring(struct view *v, const char *name)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT, .dir = ring_dir};
	struct ring_view *rv = new_entry(v, name);
	struct shmcat_error err;
	int64_t now;
	int i, rc;

	if (strchr(name, '~')) { /* shmcat_list: a dead creator's build */
		rv->bad = "abandoned";
		snprintf(rv->why, sizeof(rv->why), "abandoned by a creator "
		    "that died; shmcat rm it");
		return 0;
	}
	catch_sigbus(name); /* its owner may truncate it as we look */
	if (shmcat_open(name, &o, &rv->r, &err) != 0) {
		rv->bad = "invalid";
		if (err.code == -ENOENT)
			no_such_ring(rv);
		else
			describe_invalid(name, &err, rv->why, sizeof(rv->why));
		return quiet(v) ? 0 : report_open_error(name, &err);
	}
	now = mono_ns();
	if ((rc = shmcat_status(rv->r, &rv->st)) != 0) {
		rv->bad = "corrupt";
		snprintf(rv->why, sizeof(rv->why), "%s", shmcat_strerror(rc));
		if (!quiet(v))
			warnx_ring(name, "%s", shmcat_strerror(rc));
		return EXIT_USAGE;
	}
	for (i = 0; i < rv->st.nreaders && i < SHMCAT_MAX_READERS; i++)
		if (shmcat_reader_status(rv->r, i, &rv->rd[i]) != 0)
			break;
	rv->nreaders = i;
	rv->at_ns = now; /* shown as a ring */
	return 0;
}

static int
take_listed(const char *name, void *ctx)
{
	take_ring(ctx, name);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct ring_view *)a)->name,
	    ((const struct ring_view *)b)->name);
}

/* The entry for name at the tick before, if it was shown as a ring. */
static const struct ring_view *
before(const struct view *v, const char *name)
{
	int i;

	for (i = 0; i < v->nthen; i++)
		if (v->then[i].at_ns && !strcmp(v->then[i].name, name))
			return &v->then[i];
	return NULL;
}

/* Bytes per second from was to now over ns; RATE_NONE if it went back. */
static double
per_second(uint64_t now, uint64_t was, int64_t ns)
{
	return now >= was && ns > 0 ? (double)(now - was) * 1e9 / (double)ns :
	    RATE_NONE;
}

/* A reader's rate: the same slot held by the same process. */
static double
reader_rate(const struct shmcat_reader_status *rs,
    const struct ring_view *was, int64_t ns)
{
	int i;

	for (i = 0; i < was->nreaders; i++)
		if (was->rd[i].slot == rs->slot && was->rd[i].pid == rs->pid)
			return per_second(rs->pos, was->rd[i].pos, ns);
	return RATE_NONE;
}

static void
work_out_rates(const struct view *v, struct ring_view *rv)
{
	const struct ring_view *was = before(v, rv->name);
	int64_t ns;
	int i;

	rv->rate.in = rv->rate.out = RATE_NONE;
	for (i = 0; i < SHMCAT_MAX_READERS; i++)
		rv->rate.reader[i] = RATE_NONE;
	if (was == NULL || was->st.created_sec != rv->st.created_sec ||
	    was->st.creator_pid != rv->st.creator_pid)
		return; /* new, or made anew under its name */
	ns = rv->at_ns - was->at_ns;
	rv->rate.in = per_second(rv->st.tail, was->st.tail, ns);
	rv->rate.out = per_second(rv->st.floor, was->st.floor, ns);
	for (i = 0; i < rv->nreaders; i++)
		rv->rate.reader[i] = reader_rate(&rv->rd[i], was, ns);
}

/* Watching every ring: one that was there at the last tick and is not
 * now is said to be gone, once. */
static void
note_gone(struct view *v)
{
	int i, j, n = v->n;

	for (i = 0; i < v->nthen; i++) {
		if (!v->then[i].at_ns)
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(v->now[j].name, v->then[i].name))
				break;
		if (j < n)
			continue;
		no_such_ring(new_entry(v, v->then[i].name));
	}
}

/* Take the rings named (or, with none, every ring there is) as they are
 * now: 0, or an exit status if one could not be shown or the directory
 * not read. */
int
view_take(struct view *v)
{
	struct ring_view *swap = v->then;
	int i, rc, worst = 0, cap = v->capthen;

	v->then = v->now; /* the last tick's, released */
	v->nthen = v->n;
	v->capthen = v->cap;
	v->now = swap;
	v->cap = cap;
	v->n = 0;
	for (i = 0; i < v->nnames; i++)
		if ((rc = take_ring(v, v->names[i])) != 0)
			worst = rc;
	if (v->nnames == 0) {
		if ((rc = shmcat_list_in(ring_dir, take_listed, v)) != 0) {
			warnx_ring(NULL, "%s: %s", SHMCAT_DEFAULT_DIR,
			    shmcat_strerror(rc));
			worst = EXIT_USAGE;
		}
		note_gone(v);
		qsort(v->now, (size_t)v->n, sizeof(*v->now), by_name);
	}
	for (i = 0; i < v->n; i++)
		if (v->now[i].at_ns)
			work_out_rates(v, &v->now[i]);
	return worst;
}

/* Close this tick's handles; their numbers stay for the next rates. */
void
view_release(struct view *v)
{
	int i;

	for (i = 0; i < v->n; i++) {
		if (v->now[i].r)
			shmcat_close(v->now[i].r, SHMCAT_ABANDON);
		v->now[i].r = NULL;
		/* its strings went with the handle */
		v->now[i].st.state = v->now[i].st.record_mode = NULL;
		v->now[i].st.dir = v->now[i].st.fs = NULL;
	}
}

void
view_free(struct view *v)
{
	view_release(v);
	free(v->now);
	free(v->then);
	memset(v, 0, sizeof(*v));
}
