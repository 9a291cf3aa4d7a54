/* tool.c - the shared parts of shmcat-in, shmcat-out and shmcat. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

const char *progname = "shmcat";
volatile sig_atomic_t caught_signal;
static char sigbus_msg[SHMCAT_NAME_MAX + 160];
static int watched_fd = -1;	  /* the ring's object, for on_sigabrt */
static off_t watched_size;	  /* smaller than this: truncated */

void
tool_init(const char *name, int argc, char **argv)
{
	(void)argc;
	progname = name;
	argv[0] = (char *)name; /* getopt's messages start with it */
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
warnx_ring(const char *ring, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	if (ring)
		fprintf(stderr, "%s: ", ring);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Map a library error to our exit code.  A corrupt header found while
 * streaming is a runtime failure (1); at attach it is bad input (2). */
int
exit_code_for(int code, int attached)
{
	switch (-code) {
	case ETIMEDOUT:
	case EAGAIN:
		return EXIT_TIMEOUT;
	case SHMCAT_EDIED:
	case SHMCAT_EINTERRUPTED:
	case SHMCAT_EHANGUP:
		return EXIT_TRUNCATED;
	case SHMCAT_ECORRUPT:
		return attached ? EXIT_IO : EXIT_USAGE;
	default:
		return attached ? EXIT_IO : EXIT_USAGE;
	}
}

int
report_open_error(const char *ring, const struct shmcat_error *err)
{
	const char *why = shmcat_strerror(err->code);

	switch (-err->code) {
	case SHMCAT_EBUSY:
		if (err->pid > 0)
			warnx_ring(ring, "%s by pid %ld", why, err->pid);
		else
			warnx_ring(ring, "%s", why);
		break;
	case SHMCAT_ESTALE:
	case SHMCAT_EENDED:
		warnx_ring(ring, "%s (%" PRIu64 " bytes); read them with "
		    "'shmcat-out %s' or replace the ring with -f", why,
		    err->bytes, ring);
		break;
	case SHMCAT_ENOTRING:
	case SHMCAT_EVERSION:
	case SHMCAT_ECORRUPT:
		warnx_ring(ring, "%s; left untouched (use -f to replace it)",
		    why);
		break;
	case SHMCAT_ESIZE:
		warnx_ring(ring, "%s; omit -s to use it as it is", why);
		break;
	case EINVAL:
		if (strcmp(err->call, "name") == 0) {
			warnx_ring(NULL, "invalid ring name '%s': use 1-%d of "
			    "A-Z a-z 0-9 . _ -, not starting with '.'", ring,
			    SHMCAT_NAME_MAX);
			break;
		}
		/* FALLTHROUGH */
	default:
		if (err->call[0])
			warnx_ring(ring, "%s: %s", err->call, why);
		else
			warnx_ring(ring, "%s", why);
	}
	return exit_code_for(err->code, 0);
}

/* Bytes with an optional K, M or G suffix (powers of 1024). */
int
parse_size(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	}
	if (*end == 'i' && mult > 1)
		end++;
	if (*end == 'B' && mult > 1)
		end++;
	/* at most 64 GiB: a ring is backed by memory */
	if (*end != '\0' || v == 0 || v > (64ULL << 30) / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int
parse_timeout(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= 0) || v > 86400.0 * 24)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

int
parse_mode(const char *s, mode_t *mode)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 8);
	if (errno || end == s || *end != '\0' || v <= 0 || v > 0777)
		return -1;
	*mode = (mode_t)v;
	return 0;
}

void
vlog(void *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", progname, (const char *)ctx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

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
static void
watch_truncation(const char *ring, size_t capacity)
{
	char path[SHMCAT_NAME_MAX + 32];
	struct sigaction sa;

	snprintf(path, sizeof(path), "/dev/shm/shmcat.%s", ring);
	if ((watched_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	watched_size = (off_t)capacity;
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

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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

/* pv-style line on a terminal, at most twice a second. */
void
meter_tick(struct meter *m)
{
	struct shmcat_counters c;
	struct shmcat_status st;
	char total[32], rate[32];
	int64_t now;

	if (!m->tty)
		return;
	now = mono_ns();
	if (now - m->last_ns < 500000000)
		return;
	shmcat_counters(m->ring, &c);
	human((double)c.bytes, total, sizeof(total));
	human((double)(c.bytes - m->last_bytes) * 1e9 / (double)(now - m->last_ns),
	    rate, sizeof(rate));
	if (shmcat_status(m->ring, &st) != 0)
		st.buffered = 0;
	fprintf(stderr, "\r%s: %s: %s  %s/s  ring %3u%% full\033[K", progname,
	    shmcat_name(m->ring), total, rate,
	    (unsigned)(st.buffered * 100 / (st.capacity ? st.capacity : 1)));
	m->last_ns = now;
	m->last_bytes = c.bytes;
}

void
meter_stats(struct meter *m)
{
	struct shmcat_counters c;
	double secs = (double)(mono_ns() - m->start_ns) / 1e9;
	char total[32], rate[32];

	if (m->tty)
		fputc('\n', stderr);
	shmcat_counters(m->ring, &c);
	human((double)c.bytes, total, sizeof(total));
	human(secs > 0 ? (double)c.bytes / secs : 0, rate, sizeof(rate));
	fprintf(stderr, "%s: %s: %" PRIu64 " bytes (%s) %s in %.3f s, %s/s, "
	    "slept %" PRIu64 " times", progname, shmcat_name(m->ring), c.bytes,
	    total, m->verb, secs, rate, c.sleeps);
	if (c.skipped)
		fprintf(stderr, ", skipped %" PRIu64 " bytes", c.skipped);
	fputc('\n', stderr);
}

/* Options both filters take; 1 if c was one, 0 if not, -1 if invalid. */
int
common_option(int c, const char *arg, struct tool_opts *t)
{
	switch (c) {
	case 's':
		if (parse_size(arg, &t->lib.size) != 0) {
			warnx_ring(NULL, "invalid size '%s': a positive number "
			    "of bytes with optional K, M or G suffix, at most 64G",
			    arg);
			return -1;
		}
		return 1;
	case 'm':
		if (parse_mode(arg, &t->lib.mode) != 0) {
			warnx_ring(NULL, "invalid mode '%s': octal, like 0600",
			    arg);
			return -1;
		}
		return 1;
	case 't':
		if (parse_timeout(arg, &t->timeout_ms) != 0) {
			warnx_ring(NULL, "invalid timeout '%s': seconds, like "
			    "2 or 0.5", arg);
			return -1;
		}
		return 1;
	case 'n':
		t->timeout_ms = 0;
		t->lib.flags |= SHMCAT_O_NONBLOCK;
		return 1;
	case 'f':
		t->lib.flags |= SHMCAT_O_FORCE;
		return 1;
	case 'p':
		t->progress = 1;
		return 1;
	case OPT_STATS:
		t->stats = 1;
		return 1;
	case 'v':
		t->verbose = 1;
		return 1;
	}
	return 0;
}

/* After getopt: exactly one ring name; verbose logging hooked up. */
int
finish_options(struct tool_opts *t, int argc, char **argv, int optind_)
{
	if (argc - optind_ != 1) {
		warnx_ring(NULL, argc == optind_ ? "missing ring name" :
		    "too many arguments");
		return -1;
	}
	t->ring = argv[optind_];
	if (t->verbose) {
		t->lib.log = vlog;
		t->lib.log_ctx = (void *)t->ring;
	}
	return 0;
}

/* A bigger pipe on our side means fewer hand-offs with the process at its
 * other end (fewer wake-ups per byte).  Best effort: not a pipe, or over
 * /proc/sys/fs/pipe-max-size, and we carry on as we are. */
void
widen_pipe(int fd)
{
	int size = PIPE_SIZE;

	while (size >= 65536 && fcntl(fd, F_SETPIPE_SZ, size) < 0 &&
	    errno == EPERM)
		size /= 2;
}

/* A wait that comes up twice a second to refresh --progress, so a
 * stalled transfer still shows how full the ring is. */
int
meter_wait(struct meter *m, int (*wait)(struct shmcat_ring *, int),
    int timeout_ms)
{
	int64_t deadline, left;
	int rc;

	if (!m->tty || timeout_ms == 0)
		return wait(m->ring, timeout_ms);
	deadline = timeout_ms < 0 ? -1 : mono_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		left = deadline < 0 ? 500 : (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			return -ETIMEDOUT;
		rc = wait(m->ring, left < 500 ? (int)left : 500);
		if (rc != -ETIMEDOUT)
			return rc;
		meter_tick(m);
	}
}

/* The start both filters share: signals first, so that no wait is left
 * unbounded, then the ring; a failure is one line and an exit code. */
int
open_filter_ring(struct tool_opts *t, struct shmcat_ring **r)
{
	struct shmcat_error err;

	catch_signals(t->ring);
	t->lib.interrupt = &caught_signal;
	if (shmcat_open(t->ring, &t->lib, r, &err) != 0)
		return report_open_error(t->ring, &err);
	watch_truncation(t->ring, shmcat_capacity(*r));
	if (t->verbose)
		warnx_ring(t->ring, "%s ring, capacity %zu bytes",
		    shmcat_created(*r) ? "created" : "attached to",
		    shmcat_capacity(*r));
	return 0;
}
