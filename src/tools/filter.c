/* filter.c - the start and the finish both filters share. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define PROGRESS_WRITE_MAX 4096 /* a page: see filter_write */

/* A bigger pipe on our side means fewer hand-offs with the process at its
 * other end (fewer wake-ups per byte).  Best effort: not a pipe, or over
 * /proc/sys/fs/pipe-max-size, and we carry on as we are. */
static void
widen_pipe(int fd)
{
	int size = PIPE_SIZE;

	while (size >= 65536 && fcntl(fd, F_SETPIPE_SZ, size) < 0 &&
	    errno == EPERM)
		size /= 2;
}

static int
is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* The start both filters share: signals first, so that no wait is left
 * unbounded, then the ring; a failure is one line and an exit code. */
int
filter_start(struct filter *f, int stdio_fd, const char *verb)
{
	struct tool_opts *t = &f->opt;
	int writer = t->lib.role == SHMCAT_WRITER, rc;
	struct shmcat_error err;

	/* A closed stdin or stdout (io.c) is an error, as for cat; found
	 * before the ring is touched, so nothing is taken from it or put
	 * into it. */
	if ((rc = stdio_usable(stdio_fd, writer ? O_RDONLY : O_WRONLY)) != 0) {
		warnx_ring(t->ring, "%s: %s", writer ? "read" : "write",
		    strerror(-rc));
		return EXIT_IO;
	}
	catch_signals(t->ring);
	t->lib.interrupt = &caught_signal;
	/* -t and -n bound a record writer's wait to join, too */
	if (t->timeout_ms == 0)
		t->lib.flags |= SHMCAT_O_NONBLOCK;
	else if (t->timeout_ms > 0)
		t->lib.attach_timeout_ms = t->timeout_ms;
	if (shmcat_open(t->ring, &t->lib, &f->ring, &err) != 0) {
		if (err.code == -EINTR && caught_signal)
			reraise(caught_signal); /* stopped while attaching */
		return report_open_error(t->ring, &err);
	}
	if (t->verbose)
		warnx_ring(t->ring, "%s ring, capacity %zu bytes",
		    shmcat_created(f->ring) ? "created" : "attached to",
		    shmcat_capacity(f->ring));
	widen_pipe(stdio_fd);
	/* A file takes (or gives) any amount in one call: big calls mean
	 * fewer system calls per byte.  A pipe gains nothing from calls
	 * larger than it holds. */
	f->io_max = is_regular(stdio_fd) ? FILE_CHUNK : CHUNK;
	meter_start(&f->meter, f->ring, verb, t->progress);
	f->meter.json = t->stats == STATS_JSON;
	hold_stats_signal(0); /* SIGUSR1: the statistics (signals.c) */
	return 0;
}

/* Leave the ring, then exit with status; if a signal stopped us, or
 * status says we should die of one (141: SIGPIPE), die of it, as a
 * filter in a pipeline should.  A writer that dies of a signal never
 * says the stream ended well, even if its input ended at the same time. */
void
filter_exit(struct filter *f, enum shmcat_end how, int status)
{
	hold_stats_signal(1); /* closing must not be cut short */
	stop_nudges();
	if (caught_signal && f->opt.lib.role == SHMCAT_WRITER &&
	    (how == SHMCAT_END || how == SHMCAT_KEEP_OPEN))
		how = SHMCAT_INTERRUPTED;
	meter_end(&f->meter);
	if (f->opt.stats)
		meter_stats(&f->meter, 1);
	shmcat_close(f->ring, how);
	if (caught_signal)
		reraise(caught_signal);
	if (status > EXIT_SIGNAL)
		reraise(status - EXIT_SIGNAL);
	exit(status);
}

/* Wait until stdout takes more, in slices of IDLE_CHECK_MS that redraw
 * --progress; 0, or -errno (-EINTR: a signal came). */
static int
wait_output(struct filter *f)
{
	int rc;

	while ((rc = wait_fd(STDOUT_FILENO, POLLOUT, IDLE_CHECK_MS)) == 0)
		meter_tick(&f->meter);
	return rc < 0 ? rc : 0;
}

/*
 * write(2) to stdout: -1 with errno as write(2) would, but never EAGAIN.
 * Stdout may come with O_NONBLOCK set (a flag of the open file, shared
 * with the consumer, so we leave it as it is): then we wait in poll(2)
 * rather than fail or spin.  While --progress is drawn we wait there
 * first, and write at most a page: poll's POLLOUT on a pipe promises room
 * for one, and a bigger write could block, and freeze the line, for as
 * long as the consumer does not read.
 */
ssize_t
filter_write(struct filter *f, const void *buf, size_t n)
{
	int wait = f->meter.tty, rc;
	ssize_t put;

	if (wait && n > PROGRESS_WRITE_MAX)
		n = PROGRESS_WRITE_MAX;
	for (;;) {
		if (wait && (rc = wait_output(f)) != 0) {
			errno = -rc;
			return -1;
		}
		put = write(STDOUT_FILENO, buf, n);
		if (put >= 0 || errno != EAGAIN)
			return put;
		wait = 1;
	}
}
