/* signals.c - what the filters do on signals: a flag for INT, TERM and
 * HUP, so the stream's end says what happened; one line, not a core
 * dump, when the ring's object is truncated under us. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

volatile sig_atomic_t caught_signal;
static char sigbus_msg[SHMCAT_NAME_MAX + 160];
static int watched_fd = -1;	  /* the ring's object, for on_sigabrt */
static off_t watched_size;	  /* smaller than this: truncated */

static void
on_signal(int sig)
{
	caught_signal = sig;
}

/* A truncated object makes the next touch of its pages SIGBUS: say so
 * in one line instead of dumping core.  Only async-signal-safe calls. */
static void
on_sigbus(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, sigbus_msg, strlen(sigbus_msg)) < 0)
		_exit(EXIT_IO);
	_exit(EXIT_IO);
}

/* A futex call on a page of a truncated object fails with EFAULT, and
 * glibc then aborts inside sem_post()/sem_clockwait() instead of our
 * SIGBUS handler running.  If the ring's object shrank, that abort is
 * the truncation: say so as for SIGBUS.  Otherwise abort as asked. */
static void
on_sigabrt(int sig)
{
	struct stat st;

	if (watched_fd >= 0 && fstat(watched_fd, &st) == 0 &&
	    st.st_size < watched_size)
		on_sigbus(sig);
	signal(SIGABRT, SIG_DFL);
	raise(SIGABRT);
}

/* Watch the ring's object for truncation while the filter runs. */
void
watch_truncation(const struct shmcat_ring *r)
{
	char path[SHMCAT_PATH_MAX];
	struct sigaction sa;

	if (shmcat_path(shmcat_name(r), path, sizeof(path)) != 0 ||
	    (watched_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	watched_size = (off_t)shmcat_object_size(r);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigabrt;
	sigaction(SIGABRT, &sa, NULL);
}

void
catch_sigbus(const char *what)
{
	struct sigaction sa;

	snprintf(sigbus_msg, sizeof(sigbus_msg), "%s: %s: shared memory "
	    "object was truncated under us (SIGBUS)\n", progname, what);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
}

void
catch_signals(const char *ring)
{
	struct sigaction sa;

	catch_sigbus(ring);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* EPIPE from write(2) instead */
}

void
reraise(int sig)
{
	sigset_t set;

	fflush(stdout);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(EXIT_SIGNAL + sig);
}
