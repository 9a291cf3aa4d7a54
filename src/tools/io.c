/* io.c - the standard descriptors: never the ring, and waited on with a
 * deadline so that a filter blocked on them still looks around; the
 * start every program makes (tool_init). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

/*
 * A program may be started with 0, 1 or 2 closed; the next open(2) would
 * then return one of them, and output meant for stdout would land in the
 * ring (gnulib's stdopen).  Occupy each closed one with /dev/null opened
 * the wrong way round, so that using it fails with EBADF as the closed
 * descriptor would have: reading a closed stdin is an error, not an
 * empty input.  Nothing can be printed yet: stderr may be one of them.
 */
void
occupy_stdio(void)
{
	static const int wrong_way[] = {O_WRONLY, O_RDONLY, O_RDONLY};
	int fd, nfd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", wrong_way[fd]);
		if (nfd < 0) /* no /dev/null (a bare chroot): any path will do */
			nfd = open("/", O_PATH);
		if (nfd != fd)
			_exit(EXIT_USAGE);
	}
}

/* First thing in main: before anything is opened, and before anything
 * is printed. */
void
tool_init(const char *name, char **argv)
{
	occupy_stdio();
	atexit(close_stdout);
	progname = name;
	argv[0] = (char *)name; /* getopt's messages start with it */
	setvbuf(stderr, NULL, _IOLBF, 0);
}

/* 0 if fd can be read (O_RDONLY) or written (O_WRONLY) at all, else
 * -EBADF (closed, opened the other way, or O_PATH) or -EISDIR (a
 * directory, which read(2) refuses). */
int
stdio_usable(int fd, int how)
{
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	if (fl < 0)
		return -errno;
	if (fl & O_PATH)
		return -EBADF;
	if ((fl & O_ACCMODE) != O_RDWR && (fl & O_ACCMODE) != how)
		return -EBADF;
	if (how == O_RDONLY && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	return 0;
}

/* Wait up to timeout_ms for events on fd: the events that came (POLLHUP,
 * POLLERR included), 0 if none came in time, or -errno (-EINTR on a
 * signal).  A signal that comes just before the wait starts is caught by
 * the nudges of signals.c. */
int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n == 0 ? 0 : p.revents;
}

/* Has the reader of our stdout pipe gone?  poll says POLLERR on the
 * writing end of a pipe without readers; then write(2) fails with EPIPE,
 * whatever we would write. */
int
stdout_gone(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode))
		return 0;
	return (wait_fd(STDOUT_FILENO, 0, 0) & POLLERR) != 0;
}

/* At exit: what we printed really went out, or exit 1 as cat does. */
void
close_stdout(void)
{
	int failed = ferror(stdout);

	if (fclose(stdout) != 0) {
		warnx_ring(NULL, "write error: %s", strerror(errno));
		_exit(EXIT_IO);
	}
	if (failed) {
		warnx_ring(NULL, "write error");
		_exit(EXIT_IO);
	}
}
