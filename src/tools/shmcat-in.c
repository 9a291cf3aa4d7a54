/* shmcat-in - copy standard input into a shared-memory ring. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char usage_text[] =
    "usage: shmcat-in [-fklnpv0] [-m mode] [-s size] [-t seconds] [--stats[=json]]\n"
    "                 [--owner=user] [--group=group] [--dir=dir] ring\n";

static const char help_text[] =
    "Copy standard input into the shared-memory ring RING (/dev/shm/shmcat.RING,\n"
    "or DIR/shmcat.RING).\n"
    "\n"
    "  -s, --size=SIZE       capacity of a new ring (default 4M); SIZE is digits\n"
    "                        with an optional K, M, G, KiB, MiB or GiB\n"
    "  -m, --mode=MODE       octal permissions of a new ring (default 0600)\n"
    "  -t, --timeout=SECONDS give up waiting for space after SECONDS (exit 4)\n"
    "  -n, --nonblock        never wait: exit 4 if the ring is full\n"
    "  -f, --force           replace a stale ring or an object that is not a ring\n"
    "      --owner=USER      also attach to rings USER owns (default: only ours)\n"
    "      --group=GROUP     also attach to rings of group GROUP\n"
    "      --dir=DIR         rings live in DIR (default $SHMCAT_DIR, else /dev/shm)\n"
    "  -l, --lines           newline-terminated records; several writers may share\n"
    "  -0, --null            NUL-terminated records\n"
    "  -k, --keep-open       leave without ending the stream\n"
    "  -p, --progress        show progress on stderr when it is a terminal\n"
    "      --stats[=json]    print a summary on exit (and on SIGUSR1), as JSON\n"
    "                        if asked\n"
    "  -v, --verbose         log IPC calls and lifecycle steps to stderr\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Exit status: 0 done, 1 I/O error, 2 bad input or unavailable ring,\n"
    "4 timed out or would block, 128+N killed by signal N.  See shmcat-in(1).\n";

static const struct option longopts[] = {
	COMMON_LONGOPTS_HEAD,
	{"lines", no_argument, NULL, 'l'},
	{"null", no_argument, NULL, '0'},
	{"keep-open", no_argument, NULL, 'k'},
	COMMON_LONGOPTS_TAIL,
};

struct writer {
	struct filter f;
	int keep_open;
};

static int
own_option(int c, const char *arg, void *ctx)
{
	struct writer *w = ctx;

	(void)arg;
	switch (c) {
	case 'l':
		w->f.opt.lib.flags |= SHMCAT_O_LINES;
		return 0;
	case '0':
		w->f.opt.lib.flags |= SHMCAT_O_NUL;
		return 0;
	case 'k':
		w->keep_open = 1;
		return 0;
	}
	return -1;
}

/* Leave the ring and exit: on a signal, readers learn the stream was
 * cut short; on an error, likewise. */
static void __attribute__((noreturn))
finish(struct writer *w, enum shmcat_end how, int status)
{
	filter_exit(&w->f, how, status);
}

static void __attribute__((noreturn))
fail_wait(struct writer *w, int rc)
{
	if (rc == -SHMCAT_EHANGUP) {
		if (w->f.opt.verbose)
			warnx_ring(w->f.opt.ring, "reader hung up");
		finish(w, SHMCAT_ABANDON, EXIT_SIGNAL + SIGPIPE);
	}
	if (rc == -EAGAIN)
		warnx_ring(w->f.opt.ring, "ring is full (%s)", nowait_hint);
	else if (rc == -ETIMEDOUT)
		warnx_ring(w->f.opt.ring, "timed out waiting for space");
	else
		warnx_ring(w->f.opt.ring, "%s", shmcat_strerror(rc));
	finish(w, SHMCAT_ABANDON, exit_code_for(rc, 1));
}

/* Leave if a signal came or a reader hung up; an idle producer must not
 * keep a writer nobody reads from (shmcat-out --hangup).  Redraw
 * --progress, and print the statistics if SIGUSR1 asked. */
static void
look_around(struct writer *w)
{
	meter_tick(&w->f.meter);
	if (caught_signal)
		finish(w, SHMCAT_INTERRUPTED, 0);
	if (shmcat_hungup(w->f.ring) > 0)
		fail_wait(w, -SHMCAT_EHANGUP);
}

/* Wait until read(2) of stdin would not block, looking around (and
 * redrawing --progress) every IDLE_CHECK_MS and after a signal.  Stdin
 * may come with O_NONBLOCK set, a flag of the open file shared with the
 * producer: if read(2) still says EAGAIN (someone else took the bytes),
 * we come back here rather than fail or spin. */
static void
wait_input(struct writer *w)
{
	int rc;

	do {
		look_around(w);
		rc = wait_fd(STDIN_FILENO, POLLIN, IDLE_CHECK_MS);
	} while (rc == 0 || rc == -EINTR);
}

/* Bytes mode: read(2) straight into the ring, commit what arrived. */
static void __attribute__((noreturn))
copy_bytes(struct writer *w)
{
	ssize_t got;
	size_t n;
	void *p;
	int rc;

	for (;;) {
		look_around(w);
		if ((n = shmcat_write_span(w->f.ring, &p)) == 0) {
			rc = meter_wait(&w->f.meter, shmcat_wait_space,
			    w->f.opt.timeout_ms);
			if (rc != 0 && rc != -EINTR)
				fail_wait(w, rc);
			continue;
		}
		/* Even for a regular file: most never block (poll says so at
		 * once), but tracefs, FUSE or NFS files can, and --hangup
		 * must still reach us then. */
		wait_input(w);
		got = read(STDIN_FILENO, p, n < w->f.io_max ? n : w->f.io_max);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue; /* EAGAIN: see wait_input */
		if (got < 0 && errno == EFAULT) /* into the ring: it is gone */
			ring_truncated("read");
		if (got < 0) {
			warnx_ring(w->f.opt.ring, "read: %s", strerror(errno));
			finish(w, SHMCAT_ABANDON, EXIT_IO);
		}
		if (got == 0)
			finish(w, w->keep_open ? SHMCAT_KEEP_OPEN : SHMCAT_END, 0);
		if ((rc = shmcat_write_commit(w->f.ring, (size_t)got)) != 0)
			fail_wait(w, rc);
	}
}

/* shmcat_write_record within --timeout, waiting for space in
 * half-second slices while --progress is drawn, so the line goes on
 * moving on a full ring; SIGUSR1 is answered on the way, as in
 * meter_wait, and only a stop signal ends the wait early (-EINTR). */
static int
write_record(struct writer *w, const char *buf, size_t n)
{
	int64_t deadline = deadline_after(w->f.opt.timeout_ms);
	int left = w->f.opt.timeout_ms, slice, rc;

	for (;;) {
		slice = !w->f.meter.tty || (left >= 0 && left <= 500) ? left : 500;
		rc = shmcat_write_record(w->f.ring, buf, n, slice);
		if (rc == -EINTR ? caught_signal != 0 :
		    rc != -ETIMEDOUT || slice == left)
			return rc;
		meter_tick(&w->f.meter);
		if (left != 0 && (left = ms_left(deadline)) == 0)
			return -ETIMEDOUT;
	}
}

/* Write the whole records at the front of buf[0..len); returns how many
 * bytes were written, or exits. */
static size_t
put_records(struct writer *w, const char *buf, size_t len, char sep, int eof)
{
	size_t limit = shmcat_capacity(w->f.ring), done = 0, n;
	const char *end;
	int rc;

	if (limit > SHMCAT_RECORD_MAX)
		limit = SHMCAT_RECORD_MAX;
	while (done < len) {
		n = len - done < limit ? len - done : limit;
		end = memrchr(buf + done, sep, n);
		if (end == NULL && !eof && len - done < limit)
			break; /* wait for the rest of this record */
		if (end == NULL) {
			warnx_ring(w->f.opt.ring, "record longer than %zu bytes",
			    limit);
			finish(w, SHMCAT_ABANDON, EXIT_USAGE);
		}
		n = (size_t)(end - (buf + done)) + 1;
		while ((rc = write_record(w, buf + done, n)) == -EINTR)
			look_around(w);
		if (rc != 0)
			fail_wait(w, rc);
		done += n;
		meter_tick(&w->f.meter);
	}
	return done;
}

/* Records mode: gather input in a private buffer, hand over whole
 * records only; a final record without terminator gets one.  The buffer
 * is static: every way out of here is an exit, and a heap buffer would
 * be reported as leaked on each of them. */
static void __attribute__((noreturn))
copy_records(struct writer *w, char sep)
{
	static char buf[SHMCAT_RECORD_MAX + CHUNK + 1];
	const size_t size = sizeof(buf) - 1;
	size_t len = 0, done;
	ssize_t got;

	for (;;) {
		wait_input(w);
		got = read(STDIN_FILENO, buf + len, size - len);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue; /* EAGAIN: see wait_input */
		if (got < 0) {
			warnx_ring(w->f.opt.ring, "read: %s", strerror(errno));
			finish(w, SHMCAT_ABANDON, EXIT_IO);
		}
		if (got == 0 && len > 0 && buf[len - 1] != sep)
			buf[len++] = sep;
		len += (size_t)got;
		done = put_records(w, buf, len, sep, got == 0);
		memmove(buf, buf + done, len - done);
		len -= done;
		if (got == 0)
			finish(w, w->keep_open ? SHMCAT_KEEP_OPEN : SHMCAT_END, 0);
	}
}

int
main(int argc, char **argv)
{
	struct writer w = {.f.opt = {.lib.role = SHMCAT_WRITER, .timeout_ms = -1}};
	const struct filter_cli cli = {usage_text, help_text,
	    "s:m:t:nfl0kpvhV", longopts, own_option, &w};
	struct tool_opts *t = &w.f.opt;
	int rc;

	tool_init("shmcat-in", argv);
	parse_filter_args(argc, argv, &cli, t);
	/* one record mode: the last one given would not be what was meant */
	if ((t->lib.flags & SHMCAT_O_LINES) && (t->lib.flags & SHMCAT_O_NUL)) {
		warnx_ring(NULL, "-l and -0: choose one record mode");
		return EXIT_USAGE;
	}
	if ((rc = filter_start(&w.f, STDIN_FILENO, "written")) != 0)
		return rc;
	if (t->lib.flags & (SHMCAT_O_LINES | SHMCAT_O_NUL))
		copy_records(&w, (t->lib.flags & SHMCAT_O_NUL) ? '\0' : '\n');
	copy_bytes(&w);
}
