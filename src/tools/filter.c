/* filter.c - the start and the finish both filters share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

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
	watch_truncation(f->ring);
	if (t->verbose)
		warnx_ring(t->ring, "%s ring, capacity %zu bytes",
		    shmcat_created(f->ring) ? "created" : "attached to",
		    shmcat_capacity(f->ring));
	widen_pipe(stdio_fd);
	meter_start(&f->meter, f->ring, verb, t->progress);
	return 0;
}

/* Leave the ring, then exit with status; if a signal stopped us, or
 * status says we should die of one (141: SIGPIPE), die of it, as a
 * filter in a pipeline should.  A writer that dies of a signal never
 * says the stream ended well, even if its input ended at the same time. */
void
filter_exit(struct filter *f, enum shmcat_end how, int status)
{
	stop_nudges();
	if (caught_signal && f->opt.lib.role == SHMCAT_WRITER &&
	    (how == SHMCAT_END || how == SHMCAT_KEEP_OPEN))
		how = SHMCAT_INTERRUPTED;
	if (f->opt.stats)
		meter_stats(&f->meter);
	shmcat_close(f->ring, how);
	if (caught_signal)
		reraise(caught_signal);
	if (status > EXIT_SIGNAL)
		reraise(status - EXIT_SIGNAL);
	exit(status);
}
