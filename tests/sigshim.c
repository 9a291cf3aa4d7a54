/*
 * sigshim.c - an LD_PRELOAD shim for tests/12-stdio.bats.  It sends the
 * process a signal at the worst moment: after the program last looked at
 * its flag, just before a call on standard input or output blocks.  No
 * test can time a kill(1) that finely; this makes the race happen every
 * time.
 *
 *	SIGSHIM_SIG=N          the signal to send (once)
 *	SIGSHIM_ON=stdin       the first read/poll/ppoll of fd 0 that would block
 *	SIGSHIM_ON=stdout      the first write/poll/ppoll of fd 1 that would block
 *	SIGSHIM_ON=eof         the first read(2) of fd 0 that returns 0
 *
 * Build: cc -shared -fPIC -o sigshim.so sigshim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <unistd.h>

static int fired;

static int
armed(const char *where)
{
	const char *on = getenv("SIGSHIM_ON");

	return !fired && on != NULL && strcmp(on, where) == 0;
}

static void
fire(void)
{
	const char *s = getenv("SIGSHIM_SIG");

	fired = 1;
	kill(getpid(), s ? atoi(s) : SIGTERM);
}

/* Would a call waiting for events on fd block right now? */
static int
would_block(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	static int (*real_poll)(struct pollfd *, nfds_t, int);

	if (real_poll == NULL)
		real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	return real_poll(&p, 1, 0) == 0;
}

/* Would writing n bytes to fd block: a pipe with less room than that? */
static int
write_would_block(int fd, size_t n)
{
	int size = fcntl(fd, F_GETPIPE_SZ), unread = 0;

	if (size < 0 || ioctl(fd, FIONREAD, &unread) != 0)
		return 0;
	return (size_t)(size - unread) < n;
}

static void
check_poll(struct pollfd *fds, nfds_t n)
{
	nfds_t i;

	for (i = 0; i < n; i++) {
		if (fds[i].fd == 0 && armed("stdin") && would_block(0, POLLIN))
			fire();
		if (fds[i].fd == 1 && armed("stdout") && would_block(1, POLLOUT))
			fire();
	}
}

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	ssize_t got;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (fd == 0 && armed("stdin") && would_block(0, POLLIN))
		fire();
	got = real(fd, buf, n);
	if (fd == 0 && got == 0 && armed("eof"))
		fire();
	return got;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (fd == 1 && armed("stdout") && write_would_block(1, n))
		fire();
	return real(fd, buf, n);
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	check_poll(fds, n);
	return real(fds, n, timeout);
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	static int (*real)(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, const struct timespec *,
		    const sigset_t *))dlsym(RTLD_NEXT, "ppoll");
	check_poll(fds, n);
	return real(fds, n, ts, mask);
}
