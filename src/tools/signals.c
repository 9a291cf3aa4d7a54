/*
 * signals.c - what the filters do on signals: a flag for INT, TERM and
 * HUP, so the stream's end says what happened; a flag for USR1, which
 * asks for the statistics; one line, not a core dump, when the ring's
 * object is truncated under us.
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
 *
 * SIGUSR1 asks for the statistics now, as dd(1) does: its handler
 * raises stats_wanted and starts the same nudges, so a filter blocked
 * on a stalled peer still answers within NUDGE_MS; the copy loops look
 * at the flag (meter_tick) and stats_taken() stops the nudges.  Each
 * interrupted call is one the loops already retry: read(2) and write(2)
 * return what they moved, and only that is committed, so the stream
 * loses and repeats nothing.  SIGUSR1 stays blocked while the ring is
 * opened and closed, where a wait cut short would be an error; one sent
 * then is answered once the copying starts (or not at all at the end).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define NUDGE_MS 100

volatile sig_atomic_t caught_signal, stats_wanted;
static timer_t nudge_timer;
static volatile sig_atomic_t nudge_ready;
static char sigbus_msg[PATH_MAX + 160];
static const char *sigbus_what = "";

/* From a handler: nudge every NUDGE_MS until stopped. */
static void
start_nudges(void)
{
	static const struct itimerspec every = {
	    {0, NUDGE_MS * 1000000}, {0, NUDGE_MS * 1000000}};

	if (nudge_ready) /* timer_settime is async-signal-safe */
		timer_settime(nudge_timer, 0, &every, NULL);
}

static void
on_signal(int sig)
{
	caught_signal = sig;
	start_nudges();
}

static void
on_stats(int sig)
{
	(void)sig;
	stats_wanted = 1;
	start_nudges();
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

/* Catch sig with handler, unless it was inherited as ignored. */
static void
catch_unless_ignored(int sig, void (*handler)(int))
{
	struct sigaction sa, old;

	if (sigaction(sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN)
		return;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler; /* no SA_RESTART: waits return EINTR */
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
	catch_unless_ignored(SIGINT, on_signal);
	catch_unless_ignored(SIGTERM, on_signal);
	catch_unless_ignored(SIGHUP, on_signal);
	hold_stats_signal(1); /* until the ring is open */
	catch_unless_ignored(SIGUSR1, on_stats);
	signal(SIGPIPE, SIG_IGN); /* EPIPE from write(2) instead */
}

/* Hold SIGUSR1 pending (1), or let it in (0). */
void
hold_stats_signal(int hold)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* The statistics SIGUSR1 asked for are about to be printed: lower the
 * flag, and stop the nudges unless a stop signal wants them too.  The
 * signals are held meanwhile, so that none comes between the look at
 * caught_signal and the stop.  A SIGUSR1 after this asks anew. */
void
stats_taken(void)
{
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	stats_wanted = 0;
	if (!caught_signal)
		stop_nudges();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * shmcat --watch: INT, TERM and HUP (unless inherited ignored) set
 * caught_signal, and are held blocked but while wait_signal sleeps in
 * ppoll(2): one is never missed between a look at the flag and the
 * sleep, and never cuts a tick's output short.
 */
static sigset_t sleep_mask; /* what wait_signal lets in */

void
hold_stop_signals(void)
{
	static const int stop[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old;
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		sigaddset(&set, stop[i]);
	sigprocmask(SIG_BLOCK, &set, &sleep_mask);
	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
		catch_unless_ignored(stop[i], on_signal);
		if (sigaction(stop[i], NULL, &old) == 0 &&
		    old.sa_handler == on_signal)
			sigdelset(&sleep_mask, stop[i]);
	}
}

/* Sleep ms milliseconds, or until a stop signal: its number, or 0. */
int
wait_signal(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	if (!caught_signal)
		ppoll(NULL, 0, &ts, &sleep_mask);
	return caught_signal;
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
