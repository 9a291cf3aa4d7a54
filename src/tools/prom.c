/*
 * prom.c - shmcat status --prom: the rings' counters and gauges in the
 * Prometheus text exposition format (version 0.0.4), for the textfile
 * collector of node_exporter; names, types and help in shmcat(1).
 *
 * Each metric family comes once, all its samples together, as the
 * format requires.  Counters end in _total, units are in the names,
 * ring and reader are labels.  No rates (Prometheus works them out from
 * the counters) and no timestamps (the collector stamps the scrape).
 *
 * With -o FILE the text goes to .FILE.tmp.PID in FILE's directory, which
 * the collector skips (it reads *.prom only), and is then renamed over
 * FILE: a scrape sees the old file or the new one, never a part.  No
 * fsync: the file is rewritten at every tick, and one lost in a crash
 * only means the metrics are missing until the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct metric {
	const char *name, *type, *help;
};

/* In the order of shmcat(1); ring_value and reader_value follow it. */
static const struct metric ring_metrics[] = {
	{"shmcat_ring_capacity_bytes", "gauge",
	    "Bytes of data the ring holds at most."},
	{"shmcat_ring_buffered_bytes", "gauge",
	    "Bytes in the ring not yet read by the slowest reader."},
	{"shmcat_ring_written_bytes_total", "counter",
	    "Bytes written into the ring since it was created."},
	{"shmcat_ring_read_bytes_total", "counter",
	    "Bytes read from the ring by its slowest reader."},
	{"shmcat_ring_writer_sleeps_total", "counter",
	    "Times writers waited for space."},
	{"shmcat_ring_writers_active", "gauge",
	    "Writers attached to the ring."},
	{"shmcat_ring_writer_alive", "gauge",
	    "1 if the ring's last writer is alive, else 0."},
	{"shmcat_ring_readers_alive", "gauge",
	    "Readers of the ring that are alive."},
	{"shmcat_ring_created_timestamp_seconds", "gauge",
	    "When the ring was created, in seconds since the epoch."},
};

static const struct metric reader_metrics[] = {
	{"shmcat_reader_position_bytes", "gauge",
	    "Bytes of the stream the reader has read."},
	{"shmcat_reader_lag_bytes", "gauge",
	    "Bytes the reader is behind the writer."},
	{"shmcat_reader_sleeps_total", "counter",
	    "Times the reader waited for data."},
	{"shmcat_reader_skipped_bytes_total", "counter",
	    "Bytes a tap reader missed because the writer overtook it."},
	{"shmcat_reader_alive", "gauge",
	    "1 if the reader's process is alive, else 0."},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t
ring_value(const struct shmcat_status *st, size_t i)
{
	switch (i) {
	case 0: return st->capacity;
	case 1: return st->buffered;
	case 2: return st->tail;
	case 3: return st->floor;
	case 4: return st->writer_sleeps;
	case 5: return (uint64_t)st->writers_active;
	case 6: return st->writer_alive != 0;
	case 7: return (uint64_t)st->readers_alive;
	default: return (uint64_t)st->created_sec;
	}
}

static uint64_t
reader_value(const struct shmcat_reader_status *rs, size_t i)
{
	switch (i) {
	case 0: return rs->pos;
	case 1: return rs->lag;
	case 2: return rs->sleeps;
	case 3: return rs->skipped;
	default: return rs->alive != 0;
	}
}

/* name="value", the value escaped as the format asks (\\, \", \n);
 * sep goes before it ("{" or ","). */
static void
label(FILE *f, const char *sep, const char *name, const char *value)
{
	fprintf(f, "%s%s=\"", sep, name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			putc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			putc(*value, f);
	}
	putc('"', f);
}

/* {ring="NAME",dir="DIR": rings of one name in two directories are two
 * series (the caller closes the braces, or adds labels first). */
static void
ring_labels(FILE *f, const char *ring)
{
	label(f, "{", "ring", ring);
	label(f, ",", "dir", shown_dir());
}

static void
family(FILE *f, const struct metric *m)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
	    m->type);
}

static void
reader_sample(FILE *f, const char *metric, const char *ring,
    const struct shmcat_reader_status *rs, uint64_t value)
{
	char slot[16];

	snprintf(slot, sizeof(slot), "%d", rs->slot);
	fputs(metric, f);
	ring_labels(f, ring);
	label(f, ",", "slot", slot);
	label(f, ",", "kind", rs->kind);
	label(f, ",", "reader", rs->name);
	fprintf(f, "} %" PRIu64 "\n", value);
}

/* The exposition of every ring in v shown as a ring. */
void
prom_print(FILE *f, const struct view *v)
{
	const struct ring_view *rv;
	size_t m;
	int i, j;

	for (m = 0; m < COUNT(ring_metrics); m++) {
		family(f, &ring_metrics[m]);
		for (i = 0, rv = v->now; i < v->n; i++, rv++) {
			if (rv->bad)
				continue;
			fputs(ring_metrics[m].name, f);
			ring_labels(f, rv->name);
			fprintf(f, "} %" PRIu64 "\n", ring_value(&rv->st, m));
		}
	}
	fputs("# HELP shmcat_ring_info The ring's stream state, record mode "
	    "and filesystem, as labels; always 1.\n"
	    "# TYPE shmcat_ring_info gauge\n", f);
	for (i = 0, rv = v->now; i < v->n; i++, rv++) {
		if (rv->bad)
			continue;
		fputs("shmcat_ring_info", f);
		ring_labels(f, rv->name);
		label(f, ",", "state", rv->st.state);
		label(f, ",", "record_mode", rv->st.record_mode);
		label(f, ",", "fs", rv->st.fs);
		fputs("} 1\n", f);
	}
	for (m = 0; m < COUNT(reader_metrics); m++) {
		family(f, &reader_metrics[m]);
		for (i = 0, rv = v->now; i < v->n; i++, rv++)
			for (j = 0; !rv->bad && j < rv->nreaders; j++)
				reader_sample(f, reader_metrics[m].name,
				    rv->name, &rv->rd[j],
				    reader_value(&rv->rd[j], m));
	}
}

/* .NAME.tmp.PID beside path's NAME, in tmp[len]; -ENAMETOOLONG. */
static int
temp_name(const char *path, char *tmp, size_t len)
{
	const char *base = strrchr(path, '/');
	int dirlen = base ? (int)(base - path + 1) : 0;
	int n;

	base = base ? base + 1 : path;
	n = snprintf(tmp, len, "%.*s.%s.tmp.%ld", dirlen, path, base,
	    (long)getpid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A new file at tmp, for us alone: one left by a process that had our
 * pid before goes first. */
static FILE *
create_temp(const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, flags, 0666);
	FILE *f;

	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, flags, 0666);
	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

/* Write the exposition to path, atomically: 0, or EXIT_IO after saying
 * why, with nothing left behind but the old path. */
int
prom_write_file(const struct view *v, const char *path)
{
	char tmp[PATH_MAX];
	const char *step = "open";
	int rc = 0, err;
	FILE *f = NULL;

	if ((rc = temp_name(path, tmp, sizeof(tmp))) != 0) {
		warnx_ring(NULL, "%s: %s", path, strerror(-rc));
		return EXIT_IO;
	}
	if ((f = create_temp(tmp)) == NULL)
		goto fail;
	prom_print(f, v);
	step = "write";
	if (fflush(f) != 0 || ferror(f))
		goto fail;
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	step = "rename";
	if (rename(tmp, path) == 0)
		return 0;
fail:
	err = errno;
	if (f)
		fclose(f);
	unlink(tmp);
	warnx_ring(NULL, "%s: %s: %s", step[0] == 'r' ? path : tmp, step,
	    strerror(err));
	return EXIT_IO;
}
