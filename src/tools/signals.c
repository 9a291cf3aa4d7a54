/*
 * signals.c - what the filters do on signals: a flag for INT, TERM and
 * HUP, so the stream's end says what happened; one line, not a core
 * dump, when the ring's object is truncated under us.
 *
 * A signal inherited as ignored stays ignored (nohup, background jobs of
 * scripts), as coreutils sort does it.
 *
 * A flag leaves a window: the loop looks at it, the signal comes, and
 * read(2) or write(2) then blocks for as long as its peer likes.  Waiting
 * in ppoll(2) with the signal unblocked closes that window for a read,
 * not for a write that blocks half way through.  So the handler also
 * starts a timer that nudges us with SIGRTMIN every NUDGE_MS: whatever
 * call we are blocked in then fails with EINTR, or returns what it did,
 * and the loop sees the flag.  Before a signal nothing is nudged, and
 * no copy loop makes a system call for signals' sake.  (The writer's
 * poll(2) before each read is there for --hangup: shmcat-in.c.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define NUDGE_MS 100

volatile sig_atomic_t caught_signal;
static timer_t nudge_timer;
static volatile sig_atomic_t nudge_ready;
static char sigbus_msg[SHMCAT_NAME_MAX + 160];
static const char *sigbus_what = "";

static void
on_signal(int sig)
{
	static const struct itimerspec every = {
	    {0, NUDGE_MS * 1000000}, {0, NUDGE_MS * 1000000}};

	caught_signal = sig;
	if (nudge_ready) /* timer_settime is async-signal-safe */
		timer_settime(nudge_timer, 0, &every, NULL);
}

/* Its only job is to be caught without SA_RESTART. */
static void
on_nudge(int sig)
{
	(void)sig;
}

/* The nudges: SIGRTMIN, ours alone, caught so that it interrupts. */
static void
prepare_nudges(void)
{
	struct sigevent ev;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_nudge;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	if (sigaction(SIGRTMIN, &sa, NULL) == 0 &&
	    timer_create(CLOCK_MONOTONIC, &ev, &nudge_timer) == 0)
		nudge_ready = 1;
}

/* Stop the nudges: we are on our way out, and a message to stderr
 * should not fail with EINTR. */
void
stop_nudges(void)
{
	static const struct itimerspec never;

	if (nudge_ready)
		timer_settime(nudge_timer, 0, &never, NULL);
}

/* Catch sig with on_signal, unless it was inherited as ignored. */
static void
catch_unless_ignored(int sig)
{
	struct sigaction sa, old;

	if (sigaction(sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN)
		return;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return EINTR */
	sigaction(sig, &sa, NULL);
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

/* The kernel reports a truncated object to read(2) and write(2) on its
 * pages as EFAULT rather than SIGBUS: the same event, the same words
 * and the same exit, without touching the ring again (that would be the
 * SIGBUS). */
void
ring_truncated(const char *call)
{
	stop_nudges();
	warnx_ring(sigbus_what, "shared memory object was truncated under us "
	    "(%s: %s)", call, strerror(EFAULT));
	_exit(EXIT_IO);
}

void
catch_sigbus(const char *what)
{
	struct sigaction sa;

	sigbus_what = what;
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
	catch_sigbus(ring);
	prepare_nudges();
	catch_unless_ignored(SIGINT);
	catch_unless_ignored(SIGTERM);
	catch_unless_ignored(SIGHUP);
	signal(SIGPIPE, SIG_IGN); /* EPIPE from write(2) instead */
}

void
reraise(int sig)
{
	sigset_t set;

	stop_nudges();
	fflush(stdout);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(EXIT_SIGNAL + sig);
}
