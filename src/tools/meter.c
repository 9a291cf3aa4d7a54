/* meter.c - --progress (a pv-style line on a terminal) and --stats, at
 * the end and whenever SIGUSR1 asks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static void meter_draw(struct meter *m, int64_t now);

int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The moment timeout_ms (-1: none) from now, for ms_left. */
int64_t
deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : mono_ns() + (int64_t)timeout_ms * 1000000;
}

/* Milliseconds left until deadline, at least 0; -1 if there is none. */
int
ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = (deadline - mono_ns() + 999999) / 1000000;
	return left > 0 ? (int)left : 0;
}

void
meter_start(struct meter *m, struct shmcat_ring *r, const char *verb,
    int progress)
{
	memset(m, 0, sizeof(*m));
	m->ring = r;
	m->verb = verb;
	m->start_ns = m->last_ns = mono_ns();
	m->progress = progress;
	m->tty = progress && isatty(STDERR_FILENO);
	if (m->tty)
		meter_draw(m, m->start_ns);
}

static void
human(double v, char *buf, size_t len)
{
	const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[i]);
}

/* A size for people, as ls -h and df -h print it: plain bytes below
 * 1024, else K, M, G, T (powers of 1024) with one decimal below 10. */
void
human_size(uint64_t v, char *buf, size_t len)
{
	static const char unit[] = "KMGTPE";
	uint64_t scale = 1024, tenths;
	int i;

	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64, v);
		return;
	}
	/* The unit in which v, rounded to tenths, is below 1024. */
	for (i = 0;; i++, scale *= 1024) {
		tenths = (uint64_t)((double)v * 10 / (double)scale + 0.5);
		if (tenths < 10235 || i == 5)
			break;
	}
	/* Round once, from v: 10.45K is 10K, not 10.5K rounded again. */
	if (tenths < 100)
		snprintf(buf, len, "%u.%u%c", (unsigned)(tenths / 10),
		    (unsigned)(tenths % 10), unit[i]);
	else
		snprintf(buf, len, "%" PRIu64 "%c",
		    (uint64_t)((double)v / (double)scale + 0.5), unit[i]);
}

/* The pv-style line: total, elapsed time, rate since the last line, how
 * full the ring is.  stderr is line-buffered and the line ends in \r
 * (so the next one overwrites it): flush, or nothing shows for seconds. */
static void
meter_draw(struct meter *m, int64_t now)
{
	struct shmcat_counters c;
	struct shmcat_status st;
	char total[32], rate[32];
	int64_t secs = (now - m->start_ns) / 1000000000;

	shmcat_counters(m->ring, &c);
	human((double)c.bytes, total, sizeof(total));
	human(now > m->last_ns ? (double)(c.bytes - m->last_bytes) * 1e9 /
	    (double)(now - m->last_ns) : 0, rate, sizeof(rate));
	if (shmcat_status(m->ring, &st) != 0)
		st.buffered = 0;
	fprintf(stderr, "\r%s: %s: %s  %d:%02d:%02d  %s/s  ring %3u%% full"
	    "\033[K", progname, shmcat_name(m->ring), total,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), rate,
	    (unsigned)(st.buffered * 100 / (st.capacity ? st.capacity : 1)));
	fflush(stderr);
	progress_shown = 1;
	m->last_ns = now;
	m->last_bytes = c.bytes;
}

/* The statistics now, on a line of their own, as SIGUSR1 asks. */
static void
meter_report(struct meter *m)
{
	stats_taken();
	end_progress_line(); /* redrawn below on the next tick */
	meter_stats(m, 0);
}

/* Called by every copy loop, also after a call cut short by a signal:
 * print the statistics SIGUSR1 asked for; redraw --progress at most
 * twice a second (pv draws every second). */
void
meter_tick(struct meter *m)
{
	int64_t now;

	if (stats_wanted)
		meter_report(m);
	if (!m->tty)
		return;
	now = mono_ns();
	if (now - m->last_ns >= 500000000)
		meter_draw(m, now);
}

/* The final count, and the line ended, so what follows starts clean. */
void
meter_end(struct meter *m)
{
	if (!m->tty)
		return;
	meter_draw(m, mono_ns());
	fputc('\n', stderr);
	fflush(stderr);
	progress_shown = 0;
}

/* The summary of --stats (final), or of SIGUSR1 (not final). */
void
meter_stats(struct meter *m, int final)
{
	struct shmcat_counters c;
	double secs = (double)(mono_ns() - m->start_ns) / 1e9;
	char total[32], rate[32];

	shmcat_counters(m->ring, &c);
	if (m->json) {
		json_stats(stderr, progname, shmcat_name(m->ring), final, &c,
		    secs);
		return;
	}
	human((double)c.bytes, total, sizeof(total));
	human(secs > 0 ? (double)c.bytes / secs : 0, rate, sizeof(rate));
	fprintf(stderr, "%s: %s: %" PRIu64 " bytes (%s) %s in %.3f s, %s/s, "
	    "slept %" PRIu64 " times", progname, shmcat_name(m->ring), c.bytes,
	    total, m->verb, secs, rate, c.sleeps);
	if (c.skipped)
		fprintf(stderr, ", skipped %" PRIu64 " bytes", c.skipped);
	fputc('\n', stderr);
}

/* A wait on the ring for up to timeout_ms (-1: no limit), which comes
 * up twice a second to refresh --progress, so a stalled transfer still
 * shows how full the ring is, and after SIGUSR1 to print the
 * statistics; either way it goes on to the same deadline.  A stop
 * signal ends it: -EINTR. */
int
meter_wait(struct meter *m, int (*wait)(struct shmcat_ring *, int),
    int timeout_ms)
{
	int64_t deadline;
	int left, slice, rc;

	if (timeout_ms == 0)
		return wait(m->ring, 0);
	deadline = deadline_after(timeout_ms);
	for (;;) {
		if ((left = ms_left(deadline)) == 0)
			return -ETIMEDOUT;
		slice = m->tty && (left < 0 || left > 500) ? 500 : left;
		rc = wait(m->ring, slice);
		if (rc == -EINTR ? caught_signal != 0 : rc != -ETIMEDOUT)
			return rc;
		meter_tick(m);
	}
}
