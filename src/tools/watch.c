/*
 * watch.c - shmcat status --watch: the rings again at every tick, with
 * rates, until a signal ends it.
 *
 * A table for people, redrawn in place on a terminal (cursor home,
 * each line cleared to its end, the rest of the screen cleared) and
 * printed anew, after a blank line, anywhere else; JSON Lines, one
 * object a tick, with --json; the Prometheus file, rewritten, with
 * --prom.  Ticks keep to a fixed beat of the monotonic clock, so the
 * time spent taking and printing one does not stretch the interval; a
 * beat missed (a stopped process, a slow terminal) is skipped, not made
 * up for.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static int tty; /* stdout is a terminal: redraw in place */

/* The end of a line of the table: on a terminal, also clear what an
 * older, longer line left there. */
static void
end_line(void)
{
	fputs(tty ? "\033[K\n" : "\n", stdout);
}

/* A rate for people, "12M/s", or "-" if not known yet. */
static void
human_rate(double rate, char *buf, size_t len)
{
	char size[16];

	if (rate < 0) {
		snprintf(buf, len, "-");
		return;
	}
	human_size((uint64_t)(rate + 0.5), size, sizeof(size));
	snprintf(buf, len, "%s/s", size);
}

static void
table_reader(const struct shmcat_reader_status *rs, double rate)
{
	char pos[16], lag[16], per[24];

	human_size(rs->pos, pos, sizeof(pos));
	human_size(rs->lag, lag, sizeof(lag));
	human_rate(rate, per, sizeof(per));
	printf("  reader %-2d %-9s %-12s pos %6s  lag %6s %9s  pid %ld %s",
	    rs->slot, rs->kind, rs->name[0] ? rs->name : "-", pos, lag, per,
	    rs->pid, rs->alive ? "alive" : "gone");
	end_line();
}

static void
table_ring(const struct ring_view *rv)
{
	const struct shmcat_status *st = &rv->st;
	char cap[16], buf[16], in[24], out[24];
	int i;

	if (rv->bad) {
		printf("%-24s (%s%s%s)", rv->name, rv->bad,
		    rv->why[0] ? ": " : "", rv->why);
		end_line();
		return;
	}
	human_size(st->capacity, cap, sizeof(cap));
	human_size(st->buffered, buf, sizeof(buf));
	human_rate(rv->rate.in, in, sizeof(in));
	human_rate(rv->rate.out, out, sizeof(out));
	printf("%-24s %8s %8s %4u%%  %-11s %9s %9s  %d/%d", rv->name, cap, buf,
	    (unsigned)(st->buffered * 100 / st->capacity), st->state, in, out,
	    st->writer_alive, st->readers_alive);
	end_line();
	for (i = 0; i < rv->nreaders; i++)
		table_reader(&rv->rd[i], rv->rate.reader[i]);
}

static void
table(const struct view *v, int interval_ms)
{
	char when[16] = "";
	time_t t = time(NULL);
	struct tm tm;
	int i;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fputs(tty ? "\033[H" : "", stdout);
	printf("%s  every %g s, %d ring%s", when, interval_ms / 1000.0, v->n,
	    v->n == 1 ? "" : "s");
	end_line();
	printf("%-24s %8s %8s %5s  %-11s %9s %9s  %s", "NAME", "CAPACITY",
	    "BUFFERED", "FILL", "STATE", "IN", "OUT", "W/R");
	end_line();
	for (i = 0; i < v->n; i++)
		table_ring(&v->now[i]);
	fputs(tty ? "\033[J" : "\n", stdout);
}

static void
json_tick(const struct view *v, unsigned long tick, int interval_ms)
{
	const struct ring_view *rv;
	struct timespec ts;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_tick_begin(tick, (double)ts.tv_sec + ts.tv_nsec / 1e9,
	    interval_ms / 1000.0);
	for (i = 0, rv = v->now; i < v->n; i++, rv++)
		if (rv->bad)
			json_bad_ring(i ? "," : "", rv->name, rv->bad, rv->why);
		else
			json_ring(i ? "," : "", rv->name, rv->r, &rv->st,
			    &rv->rate);
	json_end();
}

/* One tick's output: 0, or EXIT_IO if it could not be written. */
static int
show(const struct view *v, const struct watch_how *how, unsigned long tick)
{
	if (how->show == SHOW_PROM)
		return prom_write_file(v, how->output);
	if (how->show == SHOW_JSON)
		json_tick(v, tick, how->interval_ms);
	else
		table(v, how->interval_ms);
	/* A write error is said once, by close_stdout at exit. */
	return fflush(stdout) != 0 || ferror(stdout) ? EXIT_IO : 0;
}

/* Watch v until SIGINT, SIGTERM or SIGHUP, then die of it as the
 * filters do, with the last tick's output whole; or return EXIT_IO if
 * the output failed. */
int
watch(struct view *v, const struct watch_how *how)
{
	int64_t beat = (int64_t)how->interval_ms * 1000000, next, now;
	unsigned long tick;
	int rc, sig = 0;

	hold_stop_signals();
	v->quiet = 1; /* what cannot be shown is said in the output */
	tty = how->show == SHOW_TABLE && isatty(STDOUT_FILENO);
	if (tty)
		fputs("\033[H\033[2J", stdout); /* a clear screen to draw on */
	next = mono_ns();
	for (tick = 0; !sig; tick++) {
		view_take(v);
		rc = show(v, how, tick);
		view_release(v);
		if (rc != 0)
			return rc;
		next += beat;
		if ((now = mono_ns()) >= next) /* behind: skip what we missed */
			next += (now - next) / beat * beat + beat;
		while (!sig && (now = mono_ns()) < next)
			sig = wait_signal((int)((next - now + 999999) / 1000000));
	}
	view_free(v);
	reraise(sig);
}
